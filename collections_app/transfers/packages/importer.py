"""Importing validated packages into an archive: one transaction per package, resumable.

Every package is read and validated (``reader``) and every conflict found (codes or files the
archive already holds) before the first row is written; then each package is imported in its own
transaction: fonds and series found or created, the file, its documents, their data files stored
and hashed again once stored, the ``InformationPackage`` row that makes a re-run skip it, aliases for
the source's codes, ingestion events; scans are queued for processing once the transaction commits.
What the package carries beyond the Circular's fields (``extensions``) is applied in the same
transaction; what the receiving archive cannot match (a category it lacks) is left out with a
warning, never refused.
"""

import hashlib
import re
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from ...codes import reference_code_owner
from ...ingest.scans import Refusal, check_scan
from ...models import (
    AliasReason,
    DigitalObject,
    Document,
    EventType,
    Fonds,
    InformationPackage,
    OcrMode,
    PackageDirection,
    PageTextRevision,
    RecordFile,
    ReferenceAlias,
    ScanPage,
    Series,
    TextSource,
)
from ...models.description import CODE_SEGMENT_PATTERN
from ...preservation import build_event
from ...signals import records_changed
from ..freeze import refusal as frozen_refusal
from . import layout
from .extensions import Resolution
from .reader import read_package
from .sources import PackageInvalid, find_sources

CHUNK_SIZE = 1024 * 1024


class ImportRefused(Exception):
    """The import cannot start (conflicts, frozen archive); the message lists every reason."""


@dataclass
class PlannedPackage:
    package: object
    already_imported: InformationPackage | None = None
    conflicts: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # what the import leaves out, the record still imported
    fonds: Fonds | None = None
    fonds_code: str = ""

    @property
    def label(self):
        return self.package.label


@dataclass
class ImportedPackage:
    planned: PlannedPackage
    record_file: RecordFile
    information_package: InformationPackage
    aliases: list
    warnings: list = field(default_factory=list)


def read_all(path):
    """Validate every package under ``path``; PackageInvalid on the first bad one (nothing written)."""
    sources = find_sources(path)
    packages, seen = [], {}
    for source in sources:
        try:
            package = read_package(source)
        finally:
            source.close()
        if package.objid in seen:
            raise PackageInvalid(
                source.label,
                "METS.xml",
                _("OBJID %(objid)s trùng với gói “%(other)s” trong cùng lần nhập.")
                % {"objid": package.objid, "other": seen[package.objid]},
            )
        seen[package.objid] = source.label
        packages.append(package)
    return packages


def plan(archive, packages, fonds_code=None):
    """What importing the packages into ``archive`` would do, with the conflicts that prevent it."""
    planned, file_codes, hashes = [], {}, {}
    for package in packages:
        item = PlannedPackage(package)
        item.already_imported = InformationPackage.objects.filter(
            archive=archive, objid=package.objid, direction=PackageDirection.IMPORT
        ).first()
        planned.append(item)
        if item.already_imported is not None:
            continue
        _plan_fonds(archive, item, fonds_code)
        _check_codes(archive, item, file_codes)
        _check_data(archive, item, hashes)
        item.warnings = _extension_warnings(archive, item)
    return planned


def _extension_warnings(archive, item):
    resolution = Resolution(archive, item.package)
    if item.fonds is None:
        resolution.fonds_unit(item.fonds_code)
    return resolution.warnings


def _plan_fonds(archive, item, fonds_code):
    code = fonds_code or item.package.fonds_code
    item.fonds_code = code
    if not code:
        item.conflicts.append(
            _("gói không ghi mã phông (agent/note IDENTIFICATIONCODE); dùng --fonds MÃ_PHÔNG.")
        )
        return
    item.fonds = Fonds.objects.filter(archive=archive, code=code).first()
    if fonds_code and item.fonds is None:
        item.conflicts.append(_("không có phông “%(code)s” trong cơ quan lưu trữ này.") % {"code": code})
    elif item.fonds is not None and item.fonds.deleted_at is not None:
        item.conflicts.append(
            _("phông “%(code)s” đang ở thùng rác; khôi phục phông hoặc dùng --fonds khác.") % {"code": code}
        )
    elif item.fonds is None and (len(code) > 13 or not re.match(CODE_SEGMENT_PATTERN, code)):
        item.conflicts.append(
            _(
                "mã phông “%(code)s” của gói không dùng được làm mã phông (tối đa 13 ký tự không dấu); dùng "
                "--fonds MÃ_PHÔNG để đặt hồ sơ vào một phông có sẵn."
            )
            % {"code": code}
        )


def _check_codes(archive, item, file_codes):
    package = item.package
    if package.file_code in file_codes:
        item.conflicts.append(
            _("mã hồ sơ %(code)s trùng với gói “%(other)s” trong cùng lần nhập.")
            % {"code": package.file_code, "other": file_codes[package.file_code]}
        )
    file_codes[package.file_code] = package.label
    if RecordFile.objects.filter(archive=archive, file_code=package.file_code).exists():
        item.conflicts.append(
            _("hồ sơ mã %(code)s đã có trong cơ quan lưu trữ (kể cả trong thùng rác).")
            % {"code": package.file_code}
        )
        return
    codes = [f"{archive.code}.{package.file_code}"]
    codes += [f"{archive.code}.{document.doc_id}" for document in package.documents]
    for code in codes:
        if reference_code_owner(code) is not None:
            item.conflicts.append(_("mã tham chiếu %(code)s đã được dùng.") % {"code": code})


def _check_data(archive, item, hashes):
    for data in item.package.data_files:
        existing = DigitalObject.objects.filter(archive=archive, sha256=data.sha256).select_related(
            "document", "record_file"
        )
        existing = existing.first()
        if existing is not None:
            item.conflicts.append(
                _("tệp %(name)s trùng nội dung (SHA-256) với bản số hóa đã lưu của %(code)s.")
                % {"name": data.name, "code": existing.record.reference_code}
            )
        elif data.sha256 in hashes:
            item.conflicts.append(
                _("tệp %(name)s trùng nội dung với %(other)s trong cùng lần nhập.")
                % {"name": data.name, "other": hashes[data.sha256]}
            )
        hashes.setdefault(data.sha256, f"{item.label}/{data.name}")


def refuse_if_blocked(archive, planned):
    reasons = []
    frozen = frozen_refusal(archive)
    if frozen:
        reasons.append(frozen)
    for item in planned:
        reasons += [f"{item.label}: {conflict}" for conflict in item.conflicts]
    if reasons:
        raise ImportRefused(
            _("Không nhập gói nào (chưa ghi gì) vì:\n%(reasons)s")
            % {"reasons": "\n".join(f"- {r}" for r in reasons)}
        )


# Writing one package ------------------------------------------------------------------------------


def import_package(archive, item, *, batch, user=None):
    """Import one planned package in one transaction; stored files are removed if it fails."""
    stored = []
    try:
        with transaction.atomic():
            return PackageImport(archive, item, user, batch, stored).run()
    except BaseException:
        item.package.source.close()
        for storage, name in stored:
            try:
                storage.delete(name)
            except OSError:
                pass
        raise


class PackageImport:
    def __init__(self, archive, item, user, batch, stored):
        self.archive = archive
        self.item = item
        self.package = item.package
        self.user = user if user is not None and user.is_authenticated else None
        self.batch = batch
        self.stored = stored
        self.events = []
        self.resolution = Resolution(archive, item.package)

    def run(self):
        record_file = self.create_file()
        documents = {
            document.ordinal: self.create_document(record_file, document)
            for document in self.package.documents
        }
        self.set_categories(record_file, documents)
        scans = []
        for parsed in self.package.documents:
            if parsed.data is not None:
                scans.append(self.store(parsed.data, document=documents[parsed.ordinal]))
        for data in self.package.loose_data:
            scans.append(self.store(data, record_file=record_file))
        aliases = self.create_aliases(record_file, documents)
        information_package = InformationPackage.objects.create(
            objid=self.package.objid,
            kind=self.package.kind,
            direction=PackageDirection.IMPORT,
            archive=self.archive,
            record_file=record_file,
            file_code=record_file.file_code,
            name=self.package.label,
            size=self.package.source.total_size,
            sha256=self.package_digest(),
            batch=self.batch,
            created_by=self.user,
        )
        self.record_events(record_file)
        records_changed.send(
            PackageImport,
            changes={RecordFile: [record_file.pk], Document: [doc.pk for doc in documents.values()]},
        )
        for scan in scans:
            transaction.on_commit(lambda scan=scan: _queue_processing(scan), robust=True)
        self.package.source.close()
        return ImportedPackage(self.item, record_file, information_package, aliases, self.resolution.warnings)

    # Description --------------------------------------------------------------------------------

    def create_file(self):
        # An earlier package of the same run may have created the fonds.
        fonds = (
            self.item.fonds or Fonds.objects.filter(archive=self.archive, code=self.item.fonds_code).first()
        )
        fonds = fonds or self.create_fonds()
        series = self.series(fonds)
        package = self.package
        creator = package.creator_code if package.creator_code != fonds.file_code_prefix else ""
        record_file = RecordFile(
            archive=self.archive,
            fonds=fonds,
            series=series,
            creator_code=creator,
            year=package.year,
            file_number=package.file_number,
            creating_unit=self.resolution.creating_unit,
            **package.file_values,
        )
        record_file.save()
        return record_file

    def create_fonds(self):
        package = self.package
        fonds = Fonds(
            archive=self.archive,
            code=self.item.fonds_code,
            name=(package.alt_ids.get("FONDSNAME") or self.item.fonds_code)[:200],
            creator_code=package.creator_code if len(package.creator_code) <= 40 else "",
            unit=self.resolution.fonds_unit(self.item.fonds_code),
        )
        fonds.save()
        self.item.fonds = fonds
        return fonds

    def series(self, fonds):
        number = self.package.alt_ids.get("SERIESNUMBER")
        if not number:
            return None
        series = Series.objects.filter(fonds=fonds, number=number).first()
        if series is None:
            series = Series(
                archive=self.archive,
                fonds=fonds,
                number=number,
                title=(self.package.alt_ids.get("SERIESTITLE") or number)[:500],
            )
            series.save()
        return series

    def create_document(self, record_file, parsed):
        document = Document(
            archive=self.archive, file=record_file, kind=parsed.kind, ordinal=parsed.ordinal, **parsed.values
        )
        document.save()
        return document

    def set_categories(self, record_file, documents):
        """The package's categories the receiving archive has (the others are in the warnings)."""
        for ordinal, record in [(None, record_file), *documents.items()]:
            categories = self.resolution.categories_of(ordinal)
            if categories:
                record.categories.set(categories)

    # Data files --------------------------------------------------------------------------------

    def store(self, data, document=None, record_file=None):
        scan = DigitalObject(
            archive=self.archive,
            document=document,
            record_file=record_file,
            original_name=data.name,
            mime_type=data.mime_type,
            size_bytes=data.size,
            sha256=data.sha256,
            uploaded_by=self.user,
            ocr_mode=OcrMode.SKIP_TEXT,
        )
        self.remove_leftover(scan, data.name)
        with self.package.source.open(data.path) as handle:
            scan.file.save(data.name, File(handle, name=data.name), save=False)
        self.stored.append((scan.file.storage, scan.file.name))
        scan.page_count = self.check_stored(scan, data)
        scan.save()
        self.restore_corrected_pages(scan, data)
        self.events.append(
            build_event(
                EventType.INGESTION,
                archive=self.archive,
                digital_object=scan,
                record=scan.record,
                detail=_("Nhập tệp “%(name)s” (%(size)s byte) từ gói %(objid)s.")
                % {"name": data.name, "size": data.size, "objid": self.package.objid},
                outcome_detail=f"SHA-256: {data.sha256}",
                agent=self.user,
            )
        )
        return scan

    def restore_corrected_pages(self, scan, data):
        """The pages staff corrected at the giving archive, marked corrected so processing keeps them.

        Processing, queued once the import commits, fills in the other pages and the record's text.
        """
        pages = self.package.extensions.pages_of(data.path)
        beyond = [page.number for page in pages if scan.page_count and page.number > scan.page_count]
        if beyond:
            raise PackageInvalid(
                self.package.label,
                layout.EXTENSIONS,
                _("trang hiệu đính số %(pages)s không có trong tệp %(name)s (%(count)s trang).")
                % {"pages": ", ".join(map(str, beyond)), "name": data.name, "count": scan.page_count},
            )
        created = ScanPage.objects.bulk_create(
            ScanPage(digital_object=scan, number=page.number, text=page.text, text_corrected=True)
            for page in pages
        )
        PageTextRevision.objects.bulk_create(
            PageTextRevision(page=page, text=page.text, source=TextSource.CORRECTION) for page in created
        )

    def remove_leftover(self, scan, name):
        """A file at this scan's path that no row holds was left by an import killed mid-package."""
        path = scan.file.field.generate_filename(scan, name)
        storage = scan.file.storage
        if storage.exists(path) and not DigitalObject.objects.filter(file=path).exists():
            storage.delete(path)

    def check_stored(self, scan, data):
        """Hash the stored copy again and check its structure: what is kept is what the package held."""
        sha256, size = hashlib.sha256(), 0
        with scan.file.storage.open(scan.file.name, "rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                sha256.update(chunk)
                size += len(chunk)
            if sha256.hexdigest() != data.sha256.lower() or size != data.size:
                raise PackageInvalid(
                    self.package.label,
                    data.path,
                    _(
                        "bản đã lưu vào kho không khớp mã SHA-256 của gói (lỗi khi ghi vào kho lưu trữ); "
                        "chạy lại."
                    ),
                )
            try:
                return check_scan(handle, data.mime_type, size)
            except Refusal as refusal:
                raise PackageInvalid(self.package.label, data.path, str(refusal)) from None

    def package_digest(self):
        if not self.package.source.is_zip:
            return ""
        sha256 = hashlib.sha256()
        with open(self.package.source.path, "rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                sha256.update(chunk)
        return sha256.hexdigest()

    # Codes and events ------------------------------------------------------------------------------

    def source_codes(self, documents):
        """``(record, code, reason)``: the codes the file and its documents had in the source system.

        First the codes the source gave them, then their former codes there (carried as extensions).
        """
        alt = self.package.alt_ids
        prefix = f"{alt['ARCHIVECODE']}." if alt.get("ARCHIVECODE") else ""
        file_code = alt.get("REFERENCECODE") or f"{prefix}{self.package.file_code}"
        codes = [(None, file_code, AliasReason.IMPORTED)]
        codes += [
            (document, f"{prefix}{self.package.file_code}.{ordinal}", AliasReason.IMPORTED)
            for ordinal, document in documents.items()
        ]
        for ordinal, former in self.resolution.former_codes.items():
            codes += [(documents.get(ordinal), code, reason) for code, reason in former]
        return codes

    def create_aliases(self, record_file, documents):
        aliases, seen = [], set()
        for record, code, reason in self.source_codes(documents):
            record = record or record_file
            if code in seen or code == record.reference_code or len(code) > 150:
                continue
            seen.add(code)
            if reference_code_owner(code) is not None:
                continue
            aliases.append(
                ReferenceAlias(
                    code=code,
                    content_type=ContentType.objects.get_for_model(type(record)),
                    object_id=record.pk,
                    archive=self.archive,
                    reason=reason,
                )
            )
        ReferenceAlias.objects.bulk_create(aliases)
        return [alias.code for alias in aliases]

    def record_events(self, record_file):
        self.events.append(
            build_event(
                EventType.INGESTION,
                archive=self.archive,
                record=record_file,
                detail=_("Nhập hồ sơ từ gói %(kind)s %(objid)s (“%(name)s”), %(count)s tài liệu.")
                % {
                    "kind": self.package.kind.upper(),
                    "objid": self.package.objid,
                    "name": self.package.label,
                    "count": len(self.package.documents),
                },
                outcome_detail="\n".join(self.resolution.warnings),
                agent=self.user,
            )
        )
        type(self.events[0]).objects.bulk_create(self.events)


def _queue_processing(scan):
    from ...ingest.processing import queue_processing

    queue_processing(scan)
