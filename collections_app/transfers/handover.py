"""Handover records (biên bản giao nhận): the inventory of what is handed over, the signed PDF/A.

What one side hands over to the other is taken stock of from a merger (its fonds, ``MergeStep``),
from an imported package batch (``InformationPackage`` rows sharing a ``batch``) or from a chosen set
of fonds: per fonds, its files (hồ sơ) with their documents, pages, stored files and bytes, and the
SHA-256 of every stored file. The record states both sides, the volume, the physical condition and
carries that inventory as its annex. It is written as PDF/A-2B (fpdf2, DejaVu fonts embedded so
Vietnamese renders everywhere), signed (``collections_app.signing``), in two copies that differ only
by the side each is for, stored under a private prefix of the default storage with their SHA-256.

Drawing and signing the copies of a provincial merger takes longer than a request may, so the admin
saves the record ``DRAWING`` (``start_handover``) and the ``draw_handover`` task takes stock of its
source again and signs it (``SIGNED``, or ``FAILED`` with what went wrong).
"""

import hashlib
import io
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from anyascii import anyascii
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_tasks import task

from .. import signing
from ..ingest.samples import font_path
from ..models import (
    DigitalObject,
    Document,
    Fonds,
    HandoverRecord,
    HandoverStatus,
    InformationPackage,
    MergeRun,
    RecordFile,
)
from ..preservation import software_agent

logger = logging.getLogger(__name__)

BOXES_PER_SHELF_METRE = 8
GIVER, RECEIVER = "giver", "receiver"
SIDES = (GIVER, RECEIVER)
CHECKSUM_ALGORITHM = "SHA-256"
# A drawing this old is taken for dead (its worker stopped): it may be drawn again. A provincial
# merger's record takes minutes.
STALE_DRAWING = timedelta(hours=1)
A4_HEIGHT_MM = 297
POINTS_PER_MM = 72 / 25.4
STAMP_HEIGHT_MM = 24
STAMP_WIDTH_MM = 85


class HandoverError(Exception):
    """The handover record could not be made; ``str()`` says why and what to do, in Vietnamese."""


# The inventory --------------------------------------------------------------------------------------------


@dataclass
class StoredFileRow:
    record_code: str
    label: str
    size: int
    sha256: str


@dataclass
class FileRow:
    reference_code: str
    title: str
    years: str
    box: str
    documents: int = 0
    pages: int = 0
    digital_objects: int = 0
    bytes: int = 0


@dataclass
class FondsRow:
    pk: int
    reference_code: str
    old_reference_code: str
    name: str
    date_range: str
    files: list = field(default_factory=list)
    stored_files: list = field(default_factory=list)

    @property
    def documents(self):
        return sum(row.documents for row in self.files)

    @property
    def pages(self):
        return sum(row.pages for row in self.files)

    @property
    def digital_objects(self):
        return sum(row.digital_objects for row in self.files)

    @property
    def bytes(self):
        return sum(row.size for row in self.stored_files)

    @property
    def boxes(self):
        return len({row.box for row in self.files if row.box})


@dataclass
class PackageRow:
    objid: str
    kind: str
    name: str
    size: int
    sha256: str


@dataclass
class Inventory:
    fonds: list = field(default_factory=list)
    packages: list = field(default_factory=list)

    def totals(self):
        return {
            "fonds": len(self.fonds),
            "files": sum(len(row.files) for row in self.fonds),
            "documents": sum(row.documents for row in self.fonds),
            "pages": sum(row.pages for row in self.fonds),
            "boxes": sum(row.boxes for row in self.fonds),
            "digital_files": sum(len(row.stored_files) for row in self.fonds),
            "bytes": sum(row.bytes for row in self.fonds),
            "packages": len(self.packages),
            "package_bytes": sum(row.size for row in self.packages),
        }

    @property
    def is_empty(self):
        return not self.fonds and not self.packages


def build_inventory(fonds_ids, *, file_ids=None, old_codes=None, packages=()):
    """The inventory of the fonds (all their files, or only ``file_ids``), with the packages listed.

    Every row the fonds hold is counted, as a merger moves them all. A few aggregate queries, so
    that a merger of hundreds of thousands of documents is taken stock of in seconds.
    """
    old_codes = old_codes or {}
    fonds_rows = {
        fonds.pk: FondsRow(
            pk=fonds.pk,
            reference_code=fonds.reference_code,
            old_reference_code=old_codes.get(fonds.pk, ""),
            name=fonds.name,
            date_range=fonds.date_range,
        )
        for fonds in Fonds.objects.filter(pk__in=list(fonds_ids)).order_by("reference_code")
    }
    files = RecordFile.objects.filter(fonds_id__in=fonds_rows)
    if file_ids is not None:
        files = files.filter(pk__in=list(file_ids))
    file_rows = {}
    for values in files.order_by("reference_code").values(
        "pk", "fonds_id", "reference_code", "title", "start_year", "end_year", "box", "page_count"
    ):
        row = FileRow(
            reference_code=values["reference_code"],
            title=values["title"],
            years=years_of(values["start_year"], values["end_year"]),
            box=values["box"],
            pages=values["page_count"] or 0,
        )
        file_rows[values["pk"]] = (row, values["page_count"] is None)
        fonds_rows[values["fonds_id"]].files.append(row)
    add_document_counts(file_rows)
    add_stored_files(fonds_rows, file_rows)
    return Inventory(
        fonds=[row for row in fonds_rows.values() if row.files or file_ids is None], packages=list(packages)
    )


def years_of(start, end):
    if start and end and start != end:
        return f"{start}–{end}"
    return str(start or end or "")


def add_document_counts(file_rows):
    counts = (
        Document.objects.filter(file_id__in=list(file_rows))
        .values("file_id")
        .annotate(documents=Count("pk"), pages=Sum("page_count"))
        .order_by()
    )
    for values in counts:
        row, pages_from_documents = file_rows[values["file_id"]]
        row.documents = values["documents"]
        if pages_from_documents:
            row.pages = values["pages"] or 0


def add_stored_files(fonds_rows, file_rows):
    """Each stored file of the files and their documents: the scan as received and its PDF/A copy."""
    fields = (
        "record_file_id",
        "record_file__fonds_id",
        "record_file__reference_code",
        "document__file_id",
        "document__file__fonds_id",
        "document__reference_code",
        "original_name",
        "size_bytes",
        "sha256",
        "archival_copy",
        "archival_size_bytes",
        "archival_sha256",
    )
    scans = [
        *DigitalObject.objects.filter(record_file_id__in=list(file_rows)).order_by("pk").values(*fields),
        *DigitalObject.objects.filter(document__file_id__in=list(file_rows), record_file__isnull=True)
        .order_by("pk")
        .values(*fields),
    ]
    scans.sort(key=lambda values: values["record_file__reference_code"] or values["document__reference_code"])
    for values in scans:
        file_id = values["record_file_id"] or values["document__file_id"]
        fonds_id = values["record_file__fonds_id"] or values["document__file__fonds_id"]
        record_code = values["record_file__reference_code"] or values["document__reference_code"]
        row, _pages = file_rows[file_id]
        row.digital_objects += 1
        stored = [StoredFileRow(record_code, values["original_name"], values["size_bytes"], values["sha256"])]
        if values["archival_copy"] and values["archival_sha256"]:
            stored.append(
                StoredFileRow(
                    record_code,
                    Path(values["archival_copy"]).name + " (PDF/A)",
                    values["archival_size_bytes"] or 0,
                    values["archival_sha256"],
                )
            )
        row.bytes += sum(item.size for item in stored)
        fonds_rows[fonds_id].stored_files.extend(stored)


def inventory_for_fonds(fonds):
    return build_inventory([item.pk for item in fonds])


def inventory_for_merge(run, source=None):
    """What a merger moved (or is to move) from ``source`` (every former archive when None)."""
    steps = run.steps.all()
    if source is not None:
        steps = steps.filter(source=source)
    old_codes = dict(steps.values_list("fonds_id", "old_reference_code"))
    return build_inventory(old_codes.keys(), old_codes=old_codes)


def packages_of_batch(batch):
    return InformationPackage.objects.filter(batch=batch).select_related("archive", "record_file")


def inventory_for_package_batch(batch):
    """The files an imported (or exported) batch of packages carried, and the packages themselves."""
    packages = list(packages_of_batch(batch).order_by("objid"))
    file_ids = [package.record_file_id for package in packages if package.record_file_id]
    fonds_ids = set(RecordFile.objects.filter(pk__in=file_ids).values_list("fonds_id", flat=True))
    rows = [
        PackageRow(package.objid, package.get_kind_display(), package.name, package.size, package.sha256)
        for package in packages
    ]
    return build_inventory(fonds_ids, file_ids=file_ids, packages=rows)


def inventory_of_source(source):
    """The inventory of the source a record keeps (``volume["source"]``), taken stock of now."""
    kind = source.get("kind")
    if kind == "merge_run":
        run = MergeRun.objects.filter(pk=source.get("merge_run")).first()
        if run is None:
            raise HandoverError(
                _("Không tìm thấy đợt hợp nhất số %(run)s: lập biên bản mới từ trang đợt hợp nhất.")
                % {"run": source.get("merge_run")}
            )
        return inventory_for_merge(run, source.get("source_archive"))
    if kind == "package_batch":
        return inventory_for_package_batch(uuid.UUID(source["batch"]))
    if kind == "fonds":
        return inventory_of_fonds_codes(source.get("fonds", []))
    raise HandoverError(_("Biên bản không ghi nguồn tài liệu giao nhận: lập biên bản mới."))


def inventory_of_fonds_codes(codes):
    fonds = list(Fonds.objects.filter(reference_code__in=codes))
    missing = sorted(set(codes) - {item.reference_code for item in fonds})
    if missing:
        raise HandoverError(
            _(
                "Không còn phông nào mang mã: %(codes)s (có thể đã đổi mã khi hợp nhất): lập biên bản mới "
                "với mã tham chiếu hiện nay."
            )
            % {"codes": ", ".join(missing)}
        )
    return inventory_for_fonds(fonds)


def refuse_if_empty(inventory):
    if inventory.is_empty:
        raise HandoverError(_("Không có phông, hồ sơ hay gói tin nào để giao nhận: chọn lại nguồn tài liệu."))


# The volume ---------------------------------------------------------------------------------------------


def volume_of(inventory, *, boxes=None, shelf_metres=None):
    """The volume stated in the record: counted from the inventory, boxes and metres as entered.

    What was entered is kept under ``entered``, so that counting again (``recounted_volume``) keeps it.
    """
    entered = {"boxes": boxes, "shelf_metres": None if shelf_metres is None else str(shelf_metres)}
    totals = inventory.totals()
    boxes = totals["boxes"] if boxes is None else boxes
    if shelf_metres is None:
        shelf_metres = (Decimal(boxes) / BOXES_PER_SHELF_METRE).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {
        "shelf_metres": str(shelf_metres),
        "boxes": boxes,
        "fonds": totals["fonds"],
        "files": totals["files"],
        "documents": totals["documents"],
        "pages": totals["pages"],
        "packages": totals["packages"],
        "digital_files": totals["digital_files"] + totals["packages"],
        "bytes": totals["bytes"] + totals["package_bytes"],
        "checksum_algorithm": CHECKSUM_ALGORITHM,
        "entered": entered,
    }


def recounted_volume(volume, inventory):
    """``volume`` counted again from ``inventory``, with what the leader entered (boxes, metres, place…)."""
    entered = volume.get("entered") or {}
    metres = entered.get("shelf_metres")
    counted = volume_of(
        inventory, boxes=entered.get("boxes"), shelf_metres=None if metres is None else Decimal(metres)
    )
    return {**volume, **counted}


# Creating the record ------------------------------------------------------------------------------------


def start_handover(record, *, user=None, place="", basis="", source=None):
    """Save ``record`` (unsaved) ``DRAWING``, with its place, basis and the source it lists; its number
    is then taken. The ``draw_handover`` task, queued by the caller, draws and signs it."""
    record.volume = {**record.volume, "place": place, "basis": basis, "source": source or {}}
    record.created_by = user
    record.status, record.message = HandoverStatus.DRAWING, ""
    record.drawing_since = timezone.now()
    record.save()
    return record


def is_stale(record):
    """Whether ``record`` has been ``DRAWING`` for so long that its task must have died with its worker."""
    return (
        record.status == HandoverStatus.DRAWING
        and record.drawing_since is not None
        and record.drawing_since < timezone.now() - STALE_DRAWING
    )


@task()
def draw_handover(record_id):
    """Draw, sign and store both copies of a ``DRAWING`` record; a failure is kept in it (``FAILED``).

    A record in any other status (the task queued twice, or already done) is left as it is.
    """
    record = HandoverRecord.objects.filter(pk=record_id, status=HandoverStatus.DRAWING).first()
    if record is None:
        return None
    try:
        sign_handover(record)
    except Exception as error:
        if isinstance(error, HandoverError):
            message = str(error)
        else:
            logger.exception("Handover record %s: drawing failed", record.pk)
            message = _(
                "Lập biên bản bị lỗi (%(error)s). Hãy bấm “Lập lại”; nếu lỗi lặp lại, báo quản trị hệ thống."
            ) % {"error": error}
        HandoverRecord.objects.filter(pk=record.pk, status=HandoverStatus.DRAWING).update(
            status=HandoverStatus.FAILED, message=message
        )
        if not isinstance(error, HandoverError):
            raise
        return HandoverStatus.FAILED
    return HandoverStatus.SIGNED


def redraw_handover(record):
    """Queue a ``FAILED`` record, or one stale in ``DRAWING``, to be drawn again; False for any other."""
    now = timezone.now()
    may_redraw = Q(status=HandoverStatus.FAILED) | Q(
        status=HandoverStatus.DRAWING, drawing_since__lt=now - STALE_DRAWING
    )
    with transaction.atomic():
        again = HandoverRecord.objects.filter(may_redraw, pk=record.pk).update(
            status=HandoverStatus.DRAWING, message="", drawing_since=now
        )
        if again:
            draw_handover.enqueue(record.pk)
    return bool(again)


def sign_handover(record):
    """Take stock of the record's source again, render, sign and store both copies: ``SIGNED``.

    Atomic: the two files are written first, then the row in a transaction; if anything fails, the
    files already written are removed and the row is left as it was. When another run of the task
    signed the record first, its files are kept and this run's removed.
    """
    inventory = inventory_of_source(record.volume.get("source") or {})
    refuse_if_empty(inventory)
    record.volume = recounted_volume(record.volume, inventory)
    signed_at = timezone.localtime(timezone.now()).replace(microsecond=0)
    # The annex is the same in both copies: drawn once (it is most of the work for a large transfer).
    annex = HandoverDocument(record, inventory, None, created_at=signed_at).render_annex()
    copies = {side: signed_copy(record, inventory, side, signed_at, annex) for side in SIDES}
    folder = f"{settings.HANDOVER_STORAGE_PREFIX}/{record.handed_over_on:%Y}/{uuid.uuid4().hex}"
    written = []
    try:
        for side, content in copies.items():
            intended = f"{folder}/{copy_file_name(record, side)}"
            written.append(intended)  # removed on failure even if the storage wrote part of it
            name = default_storage.save(intended, ContentFile(content))
            written.append(name)
            setattr(record, f"{side}_copy", name)
            setattr(record, f"{side}_copy_sha256", hashlib.sha256(content).hexdigest())
        summary = signing.verify_signature(copies[GIVER])
        record.signed_at = signed_at
        record.signer = (summary.organisation or summary.signer)[:300]
        record.status, record.message = HandoverStatus.SIGNED, ""
        if not save_if_still_drawing(record):
            remove_files(written)
            record.refresh_from_db()
    except OSError as error:
        remove_files(written)
        raise HandoverError(
            _(
                "Không ghi được tệp biên bản vào kho tệp (%(error)s): kiểm tra dung lượng và quyền ghi của "
                "kho tệp rồi lập lại biên bản. Các tệp đã ghi dở đã được xóa."
            )
            % {"error": error}
        ) from error
    except Exception:
        remove_files(written)
        raise
    return record


def save_if_still_drawing(record):
    with transaction.atomic():
        drawing = HandoverRecord.objects.select_for_update().filter(status=HandoverStatus.DRAWING)
        if drawing.filter(pk=record.pk).first() is None:
            return False
        record.save()
    return True


def remove_files(names):
    for name in dict.fromkeys(names):
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
        except OSError:
            logger.exception("Could not remove %s after a failed handover record", name)


def copy_file_name(record, side):
    number = slugify(anyascii(record.number)) or "khong-so"
    return f"bien-ban-giao-nhan-{number}-{'ben-giao' if side == GIVER else 'ben-nhan'}.pdf"


def signed_copy(record, inventory, side, signed_at, annex):
    document = HandoverDocument(record, inventory, side, created_at=signed_at)
    pdf_bytes = with_pages_of(document.render(), annex)
    try:
        return signing.sign_pdf(
            pdf_bytes,
            reason=_("Biên bản giao nhận tài liệu lưu trữ số %(number)s") % {"number": record.number},
            location=record.volume.get("place", ""),
            page=document.stamp_page,
            box=document.stamp_box,
            signed_at=signed_at,
        )
    except signing.SigningError as error:
        raise HandoverError(str(error)) from error


def with_pages_of(main, annex):
    """The main part followed by the annex's pages: both PDF/A-2B with their fonts embedded, so the whole
    is too; the main part's catalogue (XMP identification, output intent) is kept."""
    import pikepdf

    with pikepdf.open(io.BytesIO(main)) as document, pikepdf.open(io.BytesIO(annex)) as appendix:
        document.pages.extend(appendix.pages)
        output = io.BytesIO()
        document.save(output)
    return output.getvalue()


def read_copy(record, side):
    """The stored bytes of one copy, or None when the file is missing from storage."""
    name = getattr(record, f"{side}_copy")
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    except (OSError, ValueError):
        return None


# Formatting ---------------------------------------------------------------------------------------------


def number(value):
    """1234567 → "1.234.567", as Vietnamese documents write numbers."""
    return f"{int(value or 0):,}".replace(",", ".")


def human_bytes(value):
    value = float(value or 0)
    for unit in ("byte", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            text = f"{value:.0f}" if unit == "byte" else f"{value:.2f}".replace(".", ",")
            return f"{text} {unit}"
        value /= 1024
    return ""


def long_date(day, place=""):
    text = _("ngày %(day)02d tháng %(month)02d năm %(year)d") % {
        "day": day.day,
        "month": day.month,
        "year": day.year,
    }
    return f"{place}, {text}" if place else text.capitalize()


def side_label(record, side):
    if side == GIVER:
        return _("Bản của bên giao (%(name)s giữ)") % {"name": record.giver_name}
    return _("Bản của bên nhận (%(name)s giữ)") % {"name": record.receiver_name}


# The PDF ------------------------------------------------------------------------------------------------


def fonts():
    """Regular, bold and monospaced DejaVu (the bold and mono faces fall back to the regular one)."""
    regular = font_path()
    bold = regular.with_name("DejaVuSans-Bold.ttf")
    mono = regular.with_name("DejaVuSansMono.ttf")
    return regular, bold if bold.exists() else regular, mono if mono.exists() else regular


class HandoverDocument:
    """One copy of the record as a PDF/A-2B; ``stamp_page``/``stamp_box`` say where the signature goes.

    ``render()`` draws the record for ``side``; ``render_annex()`` (``side`` None) the annex both share.
    """

    def __init__(self, record, inventory, side, *, created_at):
        self.record = record
        self.inventory = inventory
        self.side = side
        self.created_at = created_at
        self.stamp_page = -1
        self.stamp_box = signing.DEFAULT_STAMP_BOX
        self.pdf = self.new_pdf()

    def new_pdf(self):
        from fpdf import FPDF

        record = self.record
        if self.side is None:
            label = _("Phụ lục biên bản giao nhận số %(number)s") % {"number": record.number}
        else:
            label = side_label(record, self.side)

        def footer_text(page):
            if self.side is None:
                return f"{label} · " + _("Trang %(page)s/{nb}") % {"page": page}
            return _("Biên bản giao nhận số %(number)s · %(side)s · Trang %(page)s/{nb}") % {
                "number": record.number,
                "side": label,
                "page": page,
            }

        class Pdf(FPDF):
            def footer(pdf):
                pdf.set_y(-12)
                pdf.set_font("DejaVu", size=7)
                pdf.set_text_color(90, 90, 90)
                pdf.cell(0, 5, footer_text(pdf.page_no()), align="C")

        pdf = Pdf(format="A4", unit="mm", enforce_compliance="PDF/A-2B")
        regular, bold, mono = fonts()
        pdf.add_font("DejaVu", fname=str(regular))
        pdf.add_font("DejaVu", style="B", fname=str(bold))
        pdf.add_font("DejaVuMono", fname=str(mono))
        pdf.set_title(str(record))
        pdf.set_subject(label)
        pdf.set_author(record.giver_name)
        pdf.set_creator(software_agent())
        pdf.set_lang("vi")
        pdf.set_creation_date(self.created_at)
        pdf.set_margins(20, 15, 15)
        pdf.set_auto_page_break(True, margin=18)
        return pdf

    def render(self):
        pdf = self.pdf
        pdf.add_page()
        self.write_heading()
        self.write_sides()
        self.write_volume()
        self.write_condition()
        self.write_closing()
        self.write_signature_blocks()
        return bytes(pdf.output())

    def render_annex(self):
        self.write_annex()
        return bytes(self.pdf.output())

    # The record itself

    def write_heading(self):
        pdf, record = self.pdf, self.record
        half = (pdf.epw - 5) / 2
        top = pdf.get_y()
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(half, 5, record.receiver_name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=10)
        pdf.multi_cell(
            half, 5, _("Số: %(number)s") % {"number": record.number}, align="C", new_x="LMARGIN", new_y="NEXT"
        )
        left_bottom = pdf.get_y()
        pdf.set_xy(pdf.l_margin + half + 5, top)
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(
            half, 5, _("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), align="C", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_x(pdf.l_margin + half + 5)
        pdf.multi_cell(half, 5, _("Độc lập - Tự do - Hạnh phúc"), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(pdf.l_margin + half + 5)
        pdf.set_font("DejaVu", size=9)
        place = record.volume.get("place", "")
        pdf.multi_cell(
            half, 5, long_date(record.handed_over_on, place), align="C", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_y(max(left_bottom, pdf.get_y()) + 4)
        pdf.set_font("DejaVu", "B", 9)
        pdf.set_fill_color(235, 235, 235)
        pdf.multi_cell(
            0, 6, side_label(record, self.side), align="C", fill=True, new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 14)
        pdf.multi_cell(
            0, 7, _("BIÊN BẢN GIAO NHẬN TÀI LIỆU LƯU TRỮ"), align="C", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(3)
        self.paragraph_basis()

    def paragraph_basis(self):
        basis = self.record.volume.get("basis", "")
        if basis:
            self.text(_("Căn cứ: %(basis)s") % {"basis": basis}, style="")
        self.text(
            _("Hôm nay, %(date)s, chúng tôi gồm:")
            % {"date": long_date(self.record.handed_over_on, self.record.volume.get("place", ""))}
        )

    def write_sides(self):
        record = self.record
        for title, name, representative, position in (
            (_("BÊN GIAO"), record.giver_name, record.giver_representative, record.giver_position),
            (_("BÊN NHẬN"), record.receiver_name, record.receiver_representative, record.receiver_position),
        ):
            self.text(f"{title}: {name}", style="B")
            line = _("Đại diện: Ông/Bà %(name)s") % {"name": representative}
            if position:
                line += " – " + _("Chức vụ: %(position)s") % {"position": position}
            self.text(line, indent=5)
        self.text(_("Hai bên thống nhất giao nhận tài liệu lưu trữ với nội dung sau:"))

    def write_volume(self):
        volume = self.record.volume
        self.text(_("1. Tên phông và khối tài liệu giao nhận"), style="B")
        for row in self.inventory.fonds:
            line = f"– {row.reference_code} · {row.name}"
            if row.old_reference_code and row.old_reference_code != row.reference_code:
                line += " " + _("(mã cũ %(code)s)") % {"code": row.old_reference_code}
            if row.date_range:
                line += f" · {row.date_range}"
            self.text(line, indent=5)
        self.text(_("2. Khối lượng tài liệu"), style="B")
        self.text(
            _(
                "Tài liệu giấy: %(metres)s mét giá, %(boxes)s hộp, %(fonds)s phông, %(files)s hồ sơ, "
                "%(documents)s văn bản, tài liệu, %(pages)s trang."
            )
            % {
                "metres": str(volume.get("shelf_metres", "0")).replace(".", ","),
                "boxes": number(volume.get("boxes")),
                "fonds": number(volume.get("fonds")),
                "files": number(volume.get("files")),
                "documents": number(volume.get("documents")),
                "pages": number(volume.get("pages")),
            },
            indent=5,
        )
        self.text(
            _(
                "Tài liệu số: %(packages)s gói tin, %(digital_files)s tệp, dung lượng %(bytes)s byte "
                "(%(human)s); mã kiểm tra %(algorithm)s của từng tệp ghi tại Phụ lục."
            )
            % {
                "packages": number(volume.get("packages")),
                "digital_files": number(volume.get("digital_files")),
                "bytes": number(volume.get("bytes")),
                "human": human_bytes(volume.get("bytes")),
                "algorithm": CHECKSUM_ALGORITHM,
            },
            indent=5,
        )

    def write_condition(self):
        self.text(_("3. Tình trạng vật lý của tài liệu"), style="B")
        self.text(self.record.condition or _("Không ghi nhận hư hỏng."), indent=5)
        self.text(_("4. Công cụ tra cứu kèm theo"), style="B")
        self.text(
            _(
                "Mục lục hồ sơ, danh sách tệp tài liệu số với dung lượng và mã kiểm tra %(algorithm)s "
                "(Phụ lục kèm theo biên bản này)."
            )
            % {"algorithm": CHECKSUM_ALGORITHM},
            indent=5,
        )

    def write_closing(self):
        self.text(
            _(
                "Biên bản được lập thành hai bản có giá trị như nhau, bên giao giữ một bản, bên nhận giữ "
                "một bản. Bản điện tử được ký số; mã kiểm tra của từng tệp cho phép đối chiếu tài liệu "
                "số đã giao nhận."
            )
        )

    def write_signature_blocks(self):
        pdf, record = self.pdf, self.record
        needed = 45 + STAMP_HEIGHT_MM
        if pdf.get_y() + needed > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(4)
        half = pdf.epw / 2
        top = pdf.get_y()
        for index, (title, name, position) in enumerate(
            (
                (_("ĐẠI DIỆN BÊN GIAO"), record.giver_representative, record.giver_position),
                (_("ĐẠI DIỆN BÊN NHẬN"), record.receiver_representative, record.receiver_position),
            )
        ):
            x = pdf.l_margin + index * half
            pdf.set_xy(x, top)
            pdf.set_font("DejaVu", "B", 10)
            pdf.multi_cell(half, 5, title, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.set_x(x)
            pdf.set_font("DejaVu", size=8)
            pdf.multi_cell(
                half, 5, _("(Ký, ghi rõ họ tên, đóng dấu)"), align="C", new_x="LMARGIN", new_y="NEXT"
            )
            pdf.set_xy(x, top + 30)
            pdf.set_font("DejaVu", "B", 10)
            pdf.multi_cell(half, 5, name, align="C", new_x="LMARGIN", new_y="NEXT")
            if position:
                pdf.set_x(x)
                pdf.set_font("DejaVu", size=9)
                pdf.multi_cell(half, 5, position, align="C", new_x="LMARGIN", new_y="NEXT")
        self.place_stamp(top + 45)

    def place_stamp(self, y_mm):
        pdf = self.pdf
        self.stamp_page = pdf.page_no() - 1
        x_mm = pdf.l_margin + (pdf.epw - STAMP_WIDTH_MM) / 2
        bottom_mm = y_mm + STAMP_HEIGHT_MM
        self.stamp_box = (
            round(x_mm * POINTS_PER_MM),
            round((A4_HEIGHT_MM - bottom_mm) * POINTS_PER_MM),
            round((x_mm + STAMP_WIDTH_MM) * POINTS_PER_MM),
            round((A4_HEIGHT_MM - y_mm) * POINTS_PER_MM),
        )

    # The annex

    def write_annex(self):
        pdf = self.pdf
        pdf.add_page(orientation="L")
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(
            0, 7, _("PHỤ LỤC: MỤC LỤC TÀI LIỆU GIAO NHẬN"), align="C", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font("DejaVu", size=9)
        pdf.multi_cell(
            0,
            5,
            _("(Kèm theo Biên bản giao nhận số %(number)s, %(date)s)")
            % {"number": self.record.number, "date": long_date(self.record.handed_over_on).lower()},
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(3)
        if self.inventory.fonds:
            self.write_fonds_summary()
        if self.inventory.packages:
            self.write_packages()
        for row in self.inventory.fonds:
            self.write_fonds_files(row)
            if row.stored_files:
                self.write_stored_files(row)

    def annex_title(self, text):
        pdf = self.pdf
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=7.5)

    def table(self, widths, headings, rows, mono_columns=(), right_columns=()):
        AnnexTable(self.pdf, widths, mono_columns=mono_columns, right_columns=right_columns).draw(
            headings, rows
        )

    def write_fonds_summary(self):
        self.annex_title(_("I. Tổng hợp theo phông"))
        rows = [
            (
                index,
                row.reference_code,
                row.old_reference_code,
                row.name,
                number(len(row.files)),
                number(row.documents),
                number(row.pages),
                number(len(row.stored_files)),
                number(row.bytes),
            )
            for index, row in enumerate(self.inventory.fonds, 1)
        ]
        self.table(
            (10, 28, 28, 82, 20, 22, 22, 15, 25),
            (
                _("STT"),
                _("Mã phông"),
                _("Mã cũ"),
                _("Tên phông"),
                _("Số hồ sơ"),
                _("Số văn bản"),
                _("Số trang"),
                _("Số tệp"),
                _("Dung lượng (byte)"),
            ),
            rows,
            right_columns=(4, 5, 6, 7, 8),
        )

    def write_packages(self):
        self.annex_title(_("II. Danh sách gói tin"))
        rows = [
            (index, row.objid, row.kind, row.name, number(row.size), row.sha256)
            for index, row in enumerate(self.inventory.packages, 1)
        ]
        self.table(
            (10, 40, 28, 55, 25, 100),
            (_("STT"), _("Mã gói tin"), _("Loại"), _("Tên tệp"), _("Dung lượng (byte)"), _("SHA-256")),
            rows,
            mono_columns=(5,),
            right_columns=(4,),
        )

    def write_fonds_files(self, fonds_row):
        self.annex_title(
            _("Mục lục hồ sơ phông %(code)s – %(name)s")
            % {"code": fonds_row.reference_code, "name": fonds_row.name}
        )
        rows = [
            (
                index,
                row.reference_code,
                row.title,
                row.years,
                row.box,
                number(row.documents),
                number(row.pages),
                number(row.digital_objects),
                number(row.bytes),
            )
            for index, row in enumerate(fonds_row.files, 1)
        ]
        self.table(
            (10, 45, 87, 18, 15, 20, 20, 15, 30),
            (
                _("STT"),
                _("Mã hồ sơ"),
                _("Tiêu đề hồ sơ"),
                _("Thời gian"),
                _("Hộp số"),
                _("Số văn bản"),
                _("Số trang"),
                _("Số tệp"),
                _("Dung lượng (byte)"),
            ),
            rows,
            right_columns=(5, 6, 7, 8),
        )

    def write_stored_files(self, fonds_row):
        self.annex_title(
            _("Tệp tài liệu số của phông %(code)s và mã kiểm tra %(algorithm)s")
            % {"code": fonds_row.reference_code, "algorithm": CHECKSUM_ALGORITHM}
        )
        rows = [
            (index, row.record_code, row.label, number(row.size), row.sha256)
            for index, row in enumerate(fonds_row.stored_files, 1)
        ]
        self.table(
            (10, 60, 67, 25, 100),
            (_("STT"), _("Mã hồ sơ / tài liệu"), _("Tên tệp"), _("Dung lượng (byte)"), _("SHA-256")),
            rows,
            mono_columns=(4,),
            right_columns=(3,),
        )

    # Text

    def text(self, value, *, style="", indent=0):
        pdf = self.pdf
        pdf.set_font("DejaVu", style, 10.5)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(pdf.epw - indent, 5.5, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


class AnnexTable:
    """A bordered table drawn line by line, with the headings repeated on every page.

    fpdf2's own table lays every cell out with its general line breaker, about 200 rows a second;
    an annex of a provincial merger has tens of thousands of rows, so words are measured once here.
    """

    FONT_SIZE = 7.5
    MONO_SIZE = 6.5
    LINE_HEIGHT = 3.4
    PADDING = 1.0

    def __init__(self, pdf, widths, *, mono_columns=(), right_columns=()):
        self.pdf = pdf
        self.widths = widths
        self.mono_columns = set(mono_columns)
        self.right_columns = set(right_columns)
        self.word_widths = {}

    def draw(self, headings, rows):
        self.headings = headings
        self.pdf.set_fill_color(230, 230, 230)
        self.pdf.set_draw_color(120, 120, 120)
        self.draw_row(headings, heading=True)
        for values in rows:
            self.draw_row([str(value) for value in values])

    def font(self, index, heading):
        if heading:
            return ("DejaVu", "B", self.FONT_SIZE)
        if index in self.mono_columns:
            return ("DejaVuMono", "", self.MONO_SIZE)
        return ("DejaVu", "", self.FONT_SIZE)

    def draw_row(self, values, heading=False):
        pdf = self.pdf
        cells = [self.wrap(value, index, heading) for index, value in enumerate(values)]
        height = max(len(lines) for lines in cells) * self.LINE_HEIGHT + 2 * self.PADDING
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page(orientation="L")
            if not heading:
                self.draw_row(self.headings, heading=True)
        y, x = pdf.get_y(), pdf.l_margin
        for index, lines in enumerate(cells):
            width = self.widths[index]
            pdf.rect(x, y, width, height, style="DF" if heading else "D")
            pdf.set_font(*self.font(index, heading))
            right = index in self.right_columns and not heading
            baseline = y + self.PADDING + self.LINE_HEIGHT * 0.78
            for line, line_width in lines:
                if line:
                    left = x + width - self.PADDING - line_width if right else x + self.PADDING
                    pdf.text(left, baseline, line)
                baseline += self.LINE_HEIGHT
            x += width
        pdf.set_xy(pdf.l_margin, y + height)

    def wrap(self, text, index, heading):
        """(line, width) pairs of ``text`` in the column, broken between words (or inside a long word)."""
        font = self.font(index, heading)
        available = self.widths[index] - 2 * self.PADDING
        lines, line, line_width = [], "", 0.0
        space = self.measure(" ", font)
        for word in text.split():
            for piece in self.pieces(word, font, available):
                width = self.measure(piece, font)
                if line and line_width + space + width > available:
                    lines.append((line, line_width))
                    line, line_width = piece, width
                else:
                    line_width += (space if line else 0) + width
                    line = f"{line} {piece}" if line else piece
        lines.append((line, line_width))
        return lines

    def pieces(self, word, font, available):
        if self.measure(word, font) <= available:
            return [word]
        pieces, piece = [], ""
        for character in word:
            if piece and self.measure(piece + character, font) > available:
                pieces.append(piece)
                piece = ""
            piece += character
        return [*pieces, piece]

    def measure(self, text, font):
        key = (text, font)
        if key not in self.word_widths:
            self.pdf.set_font(*font)
            self.word_widths[key] = self.pdf.get_string_width(text)
        return self.word_widths[key]


def today():
    return timezone.localdate()


def default_number(giver_archive=None, day=None):
    """A suggestion for the record's number: sequence in the year / BB-<archive code>."""
    day = day or today()
    count = HandoverRecord.objects.filter(handed_over_on__year=day.year).count() + 1
    suffix = f"BB-{giver_archive.code}" if giver_archive is not None else "BB-GN"
    return f"{count:02d}/{suffix}"
