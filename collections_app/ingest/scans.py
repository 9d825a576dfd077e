"""Scan intake: check a scan file, store it once, attach it to a file or document, queue its processing.

A scan arrives from the admin upload form or from ``ingest_scans DIR``. Its bytes are read once in
chunks to compute its SHA-256 (a 1 GB scan is never held in memory), its real type is taken from
its first bytes with python-magic, and its structure is checked from headers only: nothing is
decoded, so a decompression bomb is refused before any pixel is drawn. A file with the same hash
already stored in the archive is reported as a duplicate and not stored again. The stored file and
its ``DigitalObject`` row exist together or not at all; the row's commit queues the derivatives and
OCR (``collections_app.ingest.processing``).
"""

import hashlib
import os
import re
import shutil
import struct
import tempfile
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath

import magic
import pikepdf
from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from PIL import JpegImagePlugin, PngImagePlugin, TiffImagePlugin

from .. import preservation
from ..codes import resolve_reference
from ..models import DigitalObject, Document, EventType, OcrMode, RecordFile

CHUNK_SIZE = 1024 * 1024
HEADER_SIZE = 8192
DEFAULT_MAX_PIXELS = 350_000_000
PDF_MAX_SIDE_INCHES = 200  # the largest page the PDF format allows (14,400 points)
PDF_RASTER_DPI = 300  # a PDF page's area is judged as if rendered at this resolution
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class ScanType:
    label: str
    extensions: tuple


SCAN_TYPES = {
    "application/pdf": ScanType("PDF", (".pdf",)),
    "image/tiff": ScanType("TIFF", (".tif", ".tiff")),
    "image/jpeg": ScanType("JPEG", (".jpg", ".jpeg")),
    "image/png": ScanType("PNG", (".png",)),
}
SCAN_EXTENSIONS = frozenset(ext for scan_type in SCAN_TYPES.values() for ext in scan_type.extensions)
SCAN_ACCEPT = ",".join(sorted(SCAN_EXTENSIONS)) + "," + ",".join(SCAN_TYPES)

OTHER_TYPE_LABELS = {
    "text/plain": gettext_lazy("văn bản thuần"),
    "text/html": gettext_lazy("trang HTML"),
    "text/xml": gettext_lazy("tệp XML"),
    "text/csv": gettext_lazy("tệp CSV"),
    "application/zip": gettext_lazy("tệp nén ZIP"),
    "application/x-rar": gettext_lazy("tệp nén RAR"),
    "application/x-7z-compressed": gettext_lazy("tệp nén 7z"),
    "application/gzip": gettext_lazy("tệp nén gzip"),
    "application/msword": gettext_lazy("văn bản Word"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": gettext_lazy("văn bản Word"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": gettext_lazy("bảng tính Excel"),
    "application/vnd.ms-excel": gettext_lazy("bảng tính Excel"),
    "image/gif": gettext_lazy("ảnh GIF"),
    "image/bmp": gettext_lazy("ảnh BMP"),
    "image/webp": gettext_lazy("ảnh WebP"),
    "image/heic": gettext_lazy("ảnh HEIC"),
    "image/jp2": gettext_lazy("ảnh JPEG 2000"),
    "image/vnd.djvu": gettext_lazy("tệp DjVu"),
    "application/octet-stream": gettext_lazy("dữ liệu nhị phân không rõ loại"),
    "application/x-empty": gettext_lazy("tệp rỗng"),
}


class Status:
    STORED = "stored"
    READY = "ready"  # dry run: would be stored
    DUPLICATE = "duplicate"
    REFUSED = "refused"


STATUS_LABELS = {
    Status.STORED: gettext_lazy("đã lưu"),
    Status.READY: gettext_lazy("sẽ lưu"),
    Status.DUPLICATE: gettext_lazy("trùng"),
    Status.REFUSED: gettext_lazy("từ chối"),
}


@dataclass
class IntakeResult:
    """What happened to one file: stored, duplicate (of ``digital_object``) or refused (``message``)."""

    name: str
    status: str
    message: str
    record: object = None
    digital_object: DigitalObject | None = None
    sha256: str = ""
    size: int = 0
    mime_type: str = ""
    page_count: int | None = None

    @property
    def stored(self):
        return self.status == Status.STORED

    @property
    def duplicate(self):
        return self.status == Status.DUPLICATE

    @property
    def refused(self):
        return self.status == Status.REFUSED

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


class Refusal(Exception):
    """A scan that cannot be accepted; the message says why and what to do."""


@dataclass
class Digest:
    sha256: str
    size: int
    head: bytes


def max_pixels():
    return int(getattr(settings, "SCAN_MAX_PIXELS", DEFAULT_MAX_PIXELS))


# --- Reading the source once ----------------------------------------------------------------------


@contextmanager
def opened_source(source):
    """A seekable binary file for a path or a file-like object; a non-seekable stream is spooled."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            yield handle
        return
    if _is_seekable(source):
        source.seek(0)
        yield source
        return
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(source, spool, CHUNK_SIZE)
        spool.seek(0)
        yield spool


def _is_seekable(handle):
    try:
        return bool(handle.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def digest_file(handle):
    """SHA-256, size and first bytes of ``handle``, read once in chunks from its start."""
    handle.seek(0)
    sha256 = hashlib.sha256()
    size = 0
    head = b""
    while chunk := handle.read(CHUNK_SIZE):
        if len(head) < HEADER_SIZE:
            head += chunk[: HEADER_SIZE - len(head)]
        sha256.update(chunk)
        size += len(chunk)
    return Digest(sha256.hexdigest(), size, head)


# --- Checks -----------------------------------------------------------------------------------------


def extension_of(name):
    """The file-type suffix of a name; the last segment of a code (``….08.1``) is not one."""
    suffix = PurePath(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z][a-z0-9]{0,4}", suffix) else ""


def type_label(mime_type):
    if mime_type in SCAN_TYPES:
        return SCAN_TYPES[mime_type].label
    label = OTHER_TYPE_LABELS.get(mime_type)
    return f"{label} ({mime_type})" if label else mime_type


def check_type(name, head):
    """The real MIME type of a scan, or a Refusal naming the extension and the real type."""
    mime_type = magic.from_buffer(head, mime=True)
    extension = extension_of(name)
    scan_type = SCAN_TYPES.get(mime_type)
    if scan_type and extension in scan_type.extensions:
        return mime_type
    if scan_type:
        raise Refusal(
            _(
                "Đuôi tên tệp là “%(extension)s” nhưng nội dung thực là %(real)s. Hãy kiểm tra lại "
                "tệp; nếu đúng là bản quét, đổi đuôi tên tệp thành %(expected)s rồi tải lên lại."
            )
            % {
                "extension": extension or _("(không có đuôi)"),
                "real": scan_type.label,
                "expected": scan_type.extensions[0],
            }
        )
    if extension in SCAN_EXTENSIONS:
        expected = next(t.label for t in SCAN_TYPES.values() if extension in t.extensions)
        raise Refusal(
            _(
                "Đuôi tên tệp là “%(extension)s” nhưng nội dung thực là %(real)s, không phải %(expected)s. "
                "Chỉ nhận bản quét PDF, TIFF, JPEG hoặc PNG."
            )
            % {"extension": extension, "real": type_label(mime_type), "expected": expected}
        )
    raise Refusal(
        _("Định dạng không được hỗ trợ: tệp là %(real)s. Chỉ nhận bản quét PDF, TIFF, JPEG hoặc PNG.")
        % {"real": type_label(mime_type)}
    )


def check_scan(handle, mime_type, size):
    """Check the structure of a scan from its headers; returns its page count or raises Refusal."""
    handle.seek(0)
    if mime_type == "application/pdf":
        return check_pdf(handle)
    return check_image(handle, mime_type, size)


def check_pdf(handle):
    try:
        with pikepdf.open(handle) as pdf:
            if _pdf_was_repaired(pdf):
                raise Refusal(
                    _(
                        "Tệp PDF bị hỏng hoặc bị cắt cụt (phải dựng lại cấu trúc tệp mới đọc được, có thể "
                        "đã mất trang). Hãy sao chép hoặc xuất lại tệp PDF từ phần mềm máy quét."
                    )
                )
            if pdf.is_encrypted:
                raise _encrypted_refusal()
            page_count = len(pdf.pages)
            if page_count == 0:
                raise Refusal(_("Tệp PDF không có trang nào. Hãy xuất lại tệp PDF từ phần mềm máy quét."))
            _check_pdf_pages(pdf)
            return page_count
    except pikepdf.PasswordError as error:
        raise _encrypted_refusal() from error
    except (pikepdf.PdfError, RuntimeError, OSError, ValueError, TypeError, KeyError, IndexError) as error:
        raise Refusal(
            _("Tệp PDF bị hỏng, không mở được (%(detail)s). Hãy xuất lại tệp PDF từ phần mềm máy quét.")
            % {"detail": _short_detail(error, strip_source=True)}
        ) from error


def _pdf_was_repaired(pdf):
    return any("damaged" in warning or "reconstruct" in warning for warning in pdf.get_warnings())


def _encrypted_refusal():
    return Refusal(
        _(
            "Tệp PDF có đặt mật khẩu hoặc bị mã hóa nên không xử lý được. Hãy tải lên bản không đặt "
            "mật khẩu (gỡ bảo vệ trong phần mềm tạo PDF, hoặc xin bên số hóa gửi lại bản không khóa)."
        )
    )


def _check_pdf_pages(pdf):
    limit = max_pixels()
    seen_images = set()
    for number, page in enumerate(pdf.pages, start=1):
        width, height = _page_size_inches(page)
        if width <= 0 or height <= 0:
            raise Refusal(
                _("Trang %(page)s của tệp PDF không có khổ giấy hợp lệ. Hãy xuất lại tệp PDF.")
                % {"page": number}
            )
        too_long = max(width, height) > PDF_MAX_SIDE_INCHES
        if too_long or width * height * PDF_RASTER_DPI**2 > limit:
            raise Refusal(
                _(
                    "Trang %(page)s của tệp PDF có khổ %(width)s × %(height)s cm, quá lớn để xử lý "
                    "(tối đa %(limit)s megapixel một trang khi quét ở %(dpi)s dpi). Hãy kiểm tra lại "
                    "khổ trang trong phần mềm máy quét."
                )
                % {
                    "page": number,
                    "width": round(width * 2.54),
                    "height": round(height * 2.54),
                    "limit": _megapixels(limit),
                    "dpi": PDF_RASTER_DPI,
                }
            )
        for image in page.get_images().values():
            key = image.objgen if image.objgen != (0, 0) else id(image)
            if key in seen_images:
                continue
            seen_images.add(key)
            _check_pixels(int(image.get("/Width", 0)), int(image.get("/Height", 0)), number)


def _page_size_inches(page):
    box = [float(value) for value in page.mediabox]
    unit = float(page.obj.get("/UserUnit", 1))
    return abs(box[2] - box[0]) * unit / 72, abs(box[3] - box[1]) * unit / 72


IMAGE_OPENERS = {
    "image/png": PngImagePlugin.PngImageFile,
    "image/jpeg": JpegImagePlugin.JpegImageFile,
    "image/tiff": TiffImagePlugin.TiffImageFile,
}


def check_image(handle, mime_type, size):
    """Dimensions from the header (Pillow's plugin classes open lazily and decode nothing)."""
    label = SCAN_TYPES[mime_type].label
    if mime_type == "image/tiff":
        _check_tiff_header(handle, size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns about damaged tags; the checks below decide
            page_count = _check_image_pages(handle, mime_type, size)
    except Refusal:
        raise
    except IMAGE_HEADER_ERRORS as error:
        raise Refusal(
            _("Ảnh %(type)s bị hỏng, không đọc được (%(detail)s). Hãy sao chép hoặc quét lại tệp.")
            % {"type": label, "detail": _short_detail(error)}
        ) from error
    _check_image_complete(handle, mime_type, size, label)
    return page_count


# What Pillow raises on damaged headers (a TIFF without dimensions is a TypeError, for one).
IMAGE_HEADER_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    EOFError,
    ZeroDivisionError,
    struct.error,
    IndexError,
    KeyError,
)


def _check_image_pages(handle, mime_type, size):
    image = IMAGE_OPENERS[mime_type](handle)
    page_count = image.n_frames if mime_type == "image/tiff" else 1
    for frame in range(page_count):
        if frame:
            image.seek(frame)
        _check_pixels(*image.size, frame + 1 if page_count > 1 else None)
        if mime_type == "image/tiff":
            _check_tiff_data_present(image, size, frame + 1)
    return page_count


def _check_pixels(width, height, page=None):
    limit = max_pixels()
    if width <= 0 or height <= 0:
        raise Refusal(_("Ảnh không có kích thước hợp lệ (%(w)s × %(h)s).") % {"w": width, "h": height})
    if width * height <= limit:
        return
    values = {
        "page": page,
        "width": _thousands(width),
        "height": _thousands(height),
        "pixels": _megapixels(width * height),
        "limit": _megapixels(limit),
    }
    if page:
        message = _(
            "Trang %(page)s: ảnh %(width)s × %(height)s điểm ảnh (%(pixels)s megapixel) vượt giới hạn "
            "%(limit)s megapixel một trang. Đây có thể là tệp hỏng hoặc cố ý làm tràn bộ nhớ; nếu là bản "
            "quét thật, hãy quét lại ở độ phân giải thấp hơn hoặc chia thành nhiều ảnh."
        )
    else:
        message = _(
            "Ảnh %(width)s × %(height)s điểm ảnh (%(pixels)s megapixel) vượt giới hạn %(limit)s megapixel "
            "một trang. Đây có thể là tệp hỏng hoặc cố ý làm tràn bộ nhớ; nếu là bản quét thật, hãy quét "
            "lại ở độ phân giải thấp hơn hoặc chia thành nhiều ảnh."
        )
    raise Refusal(message % values)


def _check_tiff_header(handle, size):
    """A TIFF whose first directory lies past its end was cut off (writers often put it last)."""
    handle.seek(0)
    header = handle.read(16)
    byte_order = "<" if header[:2] == b"II" else ">"
    version = struct.unpack(byte_order + "H", header[2:4])[0] if len(header) >= 4 else 0
    if version == 42 and len(header) >= 8:
        first_directory = struct.unpack(byte_order + "I", header[4:8])[0]
    elif version == 43 and len(header) >= 16:  # BigTIFF
        first_directory = struct.unpack(byte_order + "Q", header[8:16])[0]
    else:
        return
    if first_directory >= size:
        raise _truncated_refusal("TIFF")
    handle.seek(0)


def _check_tiff_data_present(image, size, page):
    """Every strip or tile of the page must lie inside the file: a cut-off copy loses its end."""
    tags = image.tag_v2
    for offsets_tag, counts_tag in ((273, 279), (324, 325)):
        offsets, counts = tags.get(offsets_tag), tags.get(counts_tag)
        if offsets is None or counts is None:
            continue
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        end = max((offset + count for offset, count in zip(offsets, counts, strict=False)), default=0)
        if end > size:
            raise _truncated_refusal("TIFF", page)


def _check_image_complete(handle, mime_type, size, label):
    if mime_type == "image/png":
        _check_png_chunks(handle, label)
    elif mime_type == "image/jpeg":
        handle.seek(max(0, size - 4096))
        if b"\xff\xd9" not in handle.read(4096):
            raise _truncated_refusal(label)


def _check_png_chunks(handle, label):
    """Walk the chunks up to IEND checking each CRC, reading image data in bounded pieces."""
    handle.seek(8)
    while True:
        header = handle.read(8)
        if len(header) < 8:
            raise _truncated_refusal(label)
        length, chunk_type = struct.unpack(">I4s", header)
        crc = zlib.crc32(chunk_type)
        remaining = length
        while remaining:
            piece = handle.read(min(remaining, CHUNK_SIZE))
            if not piece:
                raise _truncated_refusal(label)
            crc = zlib.crc32(piece, crc)
            remaining -= len(piece)
        stored_crc = handle.read(4)
        if len(stored_crc) < 4:
            raise _truncated_refusal(label)
        if struct.unpack(">I", stored_crc)[0] != crc:
            raise Refusal(
                _("Ảnh PNG bị hỏng (sai mã kiểm tra ở khối %(chunk)s). Hãy sao chép hoặc quét lại tệp.")
                % {"chunk": chunk_type.decode("latin-1")}
            )
        if chunk_type == b"IEND":
            return


def _truncated_refusal(label, page=None):
    if page:
        message = _(
            "Ảnh %(type)s bị cắt cụt (trang %(page)s): thiếu phần cuối tệp, có thể do sao chép hoặc tải "
            "lên bị gián đoạn. Hãy sao chép lại tệp từ máy quét rồi tải lên lại."
        )
    else:
        message = _(
            "Ảnh %(type)s bị cắt cụt: thiếu phần cuối tệp, có thể do sao chép hoặc tải lên bị gián đoạn. "
            "Hãy sao chép lại tệp từ máy quét rồi tải lên lại."
        )
    return Refusal(message % {"type": label, "page": page})


def _megapixels(pixels):
    return _thousands(round(pixels / 1_000_000))


def _thousands(number):
    return f"{number:,}".replace(",", ".")


def _short_detail(error, strip_source=False):
    text = str(error).strip() or type(error).__name__
    if strip_source:  # qpdf prefixes its messages with the stream or path it read
        text = text.rsplit(": ", 1)[-1]
    return text if len(text) <= 160 else text[:157] + "…"


# --- Which record a file name names -----------------------------------------------------------------


def code_from_file_name(name):
    """The reference code in a scan's file name: ``H19.25.07.2024.08.1.pdf`` → ``H19.25.07.2024.08.1``."""
    base = PurePath(name).name.strip()
    stem, dot, extension = base.rpartition(".")
    if dot and f".{extension.lower()}" in SCAN_EXTENSIONS:
        return stem.strip()
    return base


def find_record_for_scan(archive, name):
    """``(record, problem)``: the file or document of ``archive`` a scan's file name refers to.

    Accepted names: a document's identifier (docId), a file's code, either with the archive's code in
    front (the full reference code), or a former code kept as an alias. ``problem`` says in
    Vietnamese why no record was found.
    """
    code = code_from_file_name(name)
    if not code:
        return None, _("Tên tệp không chứa mã hồ sơ hoặc mã định danh tài liệu.")
    candidates = [f"{archive.code}.{code}"]
    if code.upper().startswith(f"{archive.code.upper()}."):
        candidates.insert(0, code)
    else:
        candidates.append(code)
    wrong_level = other_archive = None
    for candidate in candidates:
        record, _alias = resolve_reference(candidate)
        if record is None:
            continue
        if not isinstance(record, Document | RecordFile):
            wrong_level = record
        elif record.archive_id != archive.pk:
            other_archive = record
        else:
            return record, ""
    if wrong_level is not None:
        return None, _(
            "Mã “%(code)s” là của %(level)s “%(record)s”; bản quét phải gắn vào một hồ sơ hoặc một tài "
            "liệu. Đặt tên tệp theo mã hồ sơ hoặc mã định danh tài liệu."
        ) % {"code": code, "level": wrong_level._meta.verbose_name, "record": wrong_level}
    if other_archive is not None:
        return None, _("Mã “%(code)s” thuộc cơ quan lưu trữ khác, không phải %(archive)s.") % {
            "code": code,
            "archive": archive,
        }
    return None, _(
        "Không tìm thấy hồ sơ hoặc tài liệu có mã “%(code)s” trong %(archive)s. Tên tệp phải là mã định "
        "danh tài liệu (ví dụ H19.25.07.2024.08.1.pdf) hoặc mã hồ sơ, có thể kèm mã cơ quan lưu trữ ở đầu."
    ) % {"code": code, "archive": archive}


# --- Intake -----------------------------------------------------------------------------------------


def ingest_scan_file(source, name, record, *, user=None, batch=None, ocr_mode=None, dry_run=False):
    """Check a scan, store it and attach it to ``record`` (a RecordFile or a Document).

    ``source`` is a path or a file-like object; ``name`` the file's name as received. Returns an
    ``IntakeResult``: stored (with the new DigitalObject), duplicate (with the one already stored),
    refused (with the reason), or, with ``dry_run``, ready (nothing written).
    """
    name = _display_name(name)
    with opened_source(source) as handle:
        digest = digest_file(handle)
        result = IntakeResult(name, Status.REFUSED, "", record=record, sha256=digest.sha256, size=digest.size)
        try:
            if digest.size == 0:
                raise Refusal(_("Tệp rỗng (0 byte). Hãy sao chép lại tệp từ máy quét rồi tải lên lại."))
            _check_batch(batch, record)
            result.mime_type = check_type(name, digest.head)
            existing = find_duplicate(record.archive_id, digest.sha256)
            if existing is not None:
                return _duplicate_result(result, existing)
            result.page_count = check_scan(handle, result.mime_type, digest.size)
        except Refusal as refusal:
            result.message = str(refusal)
            return result
        if dry_run:
            result.status = Status.READY
            result.message = _("Sẽ gắn vào %(level)s %(code)s: %(type)s, %(pages)s, %(size)s.") % describe(
                result
            )
            return result
        return _store(handle, result, record, user=user, batch=batch, ocr_mode=ocr_mode)


def find_duplicate(archive_id, sha256):
    return (
        DigitalObject.objects.filter(archive_id=archive_id, sha256=sha256)
        .select_related("archive", "document", "record_file")
        .first()
    )


def _store(handle, result, record, *, user, batch, ocr_mode):
    digital_object = DigitalObject(
        archive=record.archive,
        original_name=result.name,
        mime_type=result.mime_type,
        size_bytes=result.size,
        sha256=result.sha256,
        page_count=result.page_count,
        batch=batch,
        uploaded_by=user if user is not None and user.is_authenticated else None,
        ocr_mode=ocr_mode or (batch.ocr_mode if batch is not None else OcrMode.SKIP_TEXT),
    )
    if isinstance(record, Document):
        digital_object.document = record
    else:
        digital_object.record_file = record
    handle.seek(0)
    digital_object.file.save(result.name, File(handle, name=result.name), save=False)
    stored_name = digital_object.file.name
    try:
        _save_row_and_queue(digital_object)
    except IntegrityError:
        # Another upload of the same bytes won the race: keep its file, drop ours if it is separate.
        existing = find_duplicate(record.archive_id, result.sha256)
        if existing is None or existing.file.name != stored_name:
            digital_object.file.storage.delete(stored_name)
        if existing is None:
            raise
        return _duplicate_result(result, existing)
    except BaseException:
        digital_object.file.storage.delete(stored_name)
        raise
    result.status = Status.STORED
    result.digital_object = digital_object
    result.message = _(
        "Đã lưu, gắn vào %(level)s %(code)s: %(type)s, %(pages)s, %(size)s. Đang chờ xử lý (ảnh trang, "
        "nhận dạng chữ)."
    ) % describe(result)
    return result


def _save_row_and_queue(digital_object):
    with transaction.atomic():
        digital_object.save()
        record_ingestion(digital_object)
        # robust: a queue outage is logged and leaves the scan "queued" instead of failing the upload
        transaction.on_commit(lambda: _queue_processing(digital_object), robust=True)


def record_ingestion(digital_object):
    preservation.record_event(
        EventType.INGESTION,
        archive=digital_object.archive,
        digital_object=digital_object,
        record=digital_object.record,
        detail=_("Tiếp nhận tệp “%(name)s” (%(size)s byte).")
        % {"name": digital_object.original_name, "size": digital_object.size_bytes},
        outcome_detail=f"SHA-256: {digital_object.sha256}",
        agent=digital_object.uploaded_by,
    )


def _queue_processing(digital_object):
    from collections_app.ingest.processing import queue_processing

    queue_processing(digital_object)


def _duplicate_result(result, existing):
    result.status = Status.DUPLICATE
    result.digital_object = existing
    result.message = _(
        "Trùng với tệp “%(original)s” đã lưu (cùng mã SHA-256), đang gắn vào %(level)s %(code)s; "
        "không lưu lại lần nữa."
    ) % {
        "original": existing.original_name,
        "level": existing.record._meta.verbose_name,
        "code": existing.record.reference_code,
    }
    return result


def _check_batch(batch, record):
    if batch is not None and batch.plan.archive_id != record.archive_id:
        raise Refusal(
            _(
                "Lô số hóa “%(batch)s” thuộc cơ quan lưu trữ khác với %(record)s. Chọn một lô của "
                "chính cơ quan lưu trữ này."
            )
            % {"batch": batch, "record": record.reference_code}
        )


def describe(result):
    """The values the stored / would-be-stored messages show about a scan and its record."""
    if result.page_count:
        pages = ngettext("%(count)s trang", "%(count)s trang", result.page_count) % {
            "count": result.page_count
        }
    else:
        pages = _("chưa rõ số trang")
    return {
        "level": result.record._meta.verbose_name,
        "code": result.record.reference_code,
        "type": type_label(result.mime_type),
        "pages": pages,
        "size": filesizeformat(result.size),
    }


def _display_name(name):
    base = PurePath(str(name).replace("\\", "/")).name.strip() or "scan"
    if len(base) <= MAX_NAME_LENGTH:
        return base
    stem, extension = os.path.splitext(base)
    return stem[: MAX_NAME_LENGTH - len(extension)] + extension
