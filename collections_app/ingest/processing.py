"""Background processing of scans: queueing, the processing run, its states, and crash recovery.

A scan (``DigitalObject``) goes through these states, shown in the admin with the reason of a
failure:

    queued ──(a worker claims it)──> processing ──> done
       ^                                  │
       └──── retry, or the stale sweep ───┴──────> failed (state_message says why and what to do)

One run (the ``process_scan`` task, ``collections_app.ingest.tasks``) downloads the original into a
temporary folder, renders page images, a thumbnail and IIIF tiles, makes the PDF/A-2b with OCR,
uploads everything under the scan's storage folder and then switches the database in one
transaction: pages, their text revisions, the record's text and the state ``done``. Until that
transaction nothing in the database points at the new files, so a run that dies half-way leaves
the previous results (or none) in place. Uploads are idempotent: page images, tiles and the
thumbnail are the same bytes for the same original and keep their names; the PDF/A of each run gets
a fresh name and the superseded copies are deleted after the switch.

Crash recovery: django-tasks' database worker leaves the task of a killed worker "running" forever.
A running scan therefore records its progress (``progress_at``) every ``SCAN_HEARTBEAT_SECONDS``
from a background thread; ``requeue_stale_scans`` re-queues every scan that has made no progress for
``SCAN_STALE_AFTER_SECONDS`` or whose task has ended without finishing it, and every queued scan
whose task is gone, and marks failed a scan that stopped ``SCAN_MAX_ATTEMPTS`` times. It runs when
``manage.py db_worker`` starts (``recover_at_worker_start``), as a periodic task
(``sweep_stale_scans``, scheduled whenever a scan is queued, again by itself while scans are in
flight, so any running worker picks it up) and as the command ``manage.py requeue_stale_scans``
for cron. docs/scan-processing.md tells operators how to run them.
"""

import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from ..file_serving import stored_file_url
from ..models import DigitalObject, OcrMode, PageTextRevision, ProcessingState, ScanPage, TextSource
from . import derivatives, ocr
from .derivatives import ScanProcessingError
from .text import refresh_record_text

logger = logging.getLogger(__name__)

WORK_DIR_PREFIX = "kho-scan-"
STATE_FIELDS = (
    "state",
    "state_message",
    "attempts",
    "task_id",
    "queued_at",
    "started_at",
    "finished_at",
    "progress_at",
)
RESULT_FIELDS = (
    "page_count",
    "thumbnail",
    "archival_copy",
    "archival_sha256",
    "archival_size_bytes",
    "quality_warnings",
)
UPLOAD_THREADS = 8


class Superseded(Exception):
    """This run no longer owns the scan (re-queued, retried or deleted meanwhile)."""


# --- queueing -------------------------------------------------------------------------------------


def queue_processing(digital_object):
    """Queue the scan for processing: state "queued", a new ``process_scan`` task, its id stored.

    Queueing again a scan that is being processed supersedes the running attempt: its results are
    discarded when it ends. ``attempts`` counts the runs since this request.
    """
    now = timezone.now()
    with transaction.atomic():
        DigitalObject.objects.filter(pk=digital_object.pk).update(
            state=ProcessingState.QUEUED,
            state_message="",
            attempts=0,
            task_id="",
            queued_at=now,
            started_at=None,
            finished_at=None,
            progress_at=None,
        )
        result = _enqueue(digital_object.pk)
    schedule_sweep()
    digital_object.refresh_from_db(fields=STATE_FIELDS + RESULT_FIELDS)
    return result


def retry_processing(digital_object):
    """Queue again a scan that failed or is stuck; return False, doing nothing, for any other scan.

    Stuck: processing without progress for ``SCAN_STALE_AFTER_SECONDS`` or whose task has ended,
    or queued while its task is gone. A done scan or one a live worker is processing is left alone.
    """
    digital_object.refresh_from_db(fields=STATE_FIELDS)
    stuck = stale_reason(digital_object) is not None
    if digital_object.state != ProcessingState.FAILED and not stuck:
        return False
    if stuck:
        mark_task_lost(digital_object.task_id)
    queue_processing(digital_object)
    return True


def _enqueue(object_id):
    """Enqueue ``process_scan`` and record its id; call inside the transaction that queued the scan."""
    from .tasks import process_scan

    result = process_scan.enqueue(object_id)
    # With an immediate backend the task has already run (and recorded its id when it claimed).
    DigitalObject.objects.filter(pk=object_id, state=ProcessingState.QUEUED, task_id="").update(
        task_id=str(result.id)
    )
    return result


# --- one processing run ---------------------------------------------------------------------------


@dataclass
class Run:
    object_id: int
    task_id: str
    attempt: int

    def owned(self):
        """The scan, filtered to this run still owning it."""
        return DigitalObject.objects.filter(
            pk=self.object_id, state=ProcessingState.PROCESSING, task_id=self.task_id, attempts=self.attempt
        )


@dataclass
class PageResult:
    rendered: derivatives.RenderedPage
    text: str
    confidence: float | None
    source: str
    timed_out: bool = False


@dataclass
class Outcome:
    """What one run produced in its work folder, before anything is uploaded."""

    work_dir: Path
    pages: list = field(default_factory=list)
    thumbnail: Path | None = None
    pdfa: Path | None = None
    pdfa_sha256: str = ""
    pdfa_size: int = 0
    warnings: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)


def claim(object_id, task_id):
    """Move a queued scan to "processing" for this task; None if it is not this task's to process."""
    now = timezone.now()
    claimed = (
        DigitalObject.objects.filter(pk=object_id, state=ProcessingState.QUEUED)
        .filter(Q(task_id="") | Q(task_id=task_id))
        .update(
            state=ProcessingState.PROCESSING,
            task_id=task_id,
            attempts=F("attempts") + 1,
            state_message="",
            started_at=now,
            progress_at=now,
            finished_at=None,
        )
    )
    if not claimed:
        return None
    attempt = DigitalObject.objects.filter(pk=object_id).values_list("attempts", flat=True).first()
    return Run(object_id, task_id, attempt)


def run_processing(object_id, task_id):
    """Process one scan end to end for the task ``task_id``. Never raises for a bad scan."""
    run = claim(object_id, task_id)
    if run is None:
        return {"state": "skipped", "object": object_id}
    pdfa_name = ""
    started = time.monotonic()
    try:
        digital_object = DigitalObject.objects.select_related("archive", "document", "record_file").get(
            pk=object_id
        )
        with Heartbeat(run), work_folder() as work_dir:
            outcome = build_outputs(digital_object, work_dir)
            pdfa_name = store_outputs(digital_object, outcome)
            switch_to_results(digital_object, run, outcome, pdfa_name)
    except Superseded:
        _delete_quietly(pdfa_name)
        return {"state": "superseded", "object": object_id}
    except ScanProcessingError as error:
        _delete_quietly(pdfa_name)
        record_failure(run, error.message)
        return {"state": ProcessingState.FAILED, "object": object_id, "reason": error.message}
    except Exception as error:
        logger.exception("Processing scan %s failed unexpectedly", object_id)
        _delete_quietly(pdfa_name)
        record_failure(run, unexpected_failure_message(error))
        return {"state": ProcessingState.FAILED, "object": object_id, "reason": str(error)}
    remove_superseded_copies(digital_object, keep=pdfa_name)
    outcome.timings["total"] = round(time.monotonic() - started, 3)
    return {
        "state": ProcessingState.DONE,
        "object": object_id,
        "pages": len(outcome.pages),
        "seconds": outcome.timings,
    }


def work_folder():
    """A temporary folder named after this process, so the sweep can remove those of dead workers."""
    return tempfile.TemporaryDirectory(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-")


def build_outputs(digital_object, work_dir):
    """Everything the scan yields, in ``work_dir``: pages, tiles, thumbnail, PDF/A, texts, warnings."""
    work_dir = Path(work_dir)
    outcome = Outcome(work_dir=work_dir)
    with _timed(outcome, "download"):
        original = download_original(digital_object, work_dir)
    ocr.check_tesseract(settings.SCAN_OCR_LANGUAGE)
    own_ocr = recognised_page_by_page(digital_object, original)
    with _timed(outcome, "pages_and_ocr"):
        if own_ocr:
            with PageRecogniser(work_dir) as recogniser:
                rendered = render(digital_object, original, work_dir, on_page=recogniser.page_rendered)
                recognised = recogniser.results()
            outcome.timings["tesseract"] = round(sum(page.seconds for page in recognised.values()), 3)
        else:
            rendered = render(digital_object, original, work_dir)
        outcome.thumbnail = derivatives.make_thumbnail(rendered[0].image_path, work_dir / "thumbnail.jpg")
    is_map = is_map_or_drawing(digital_object)
    for page in rendered:
        page.warnings = derivatives.page_quality_warnings(page, is_map=is_map)
    with _timed(outcome, "pdfa"):
        if own_ocr:
            save_archival_copy(digital_object, original, rendered, recognised, outcome)
        else:
            recognised = archival_copy_by_ocrmypdf(digital_object, original, outcome)
    outcome.pages = page_results(original, rendered, recognised)
    outcome.warnings = derivatives.scan_quality_summary(rendered, is_map=is_map)
    timed_out = [result.rendered for result in outcome.pages if result.timed_out]
    if timed_out:
        outcome.warnings.append(
            _("Trang %(pages)s: nhận dạng chữ quá thời gian, trang chưa có nội dung.")
            % {"pages": derivatives.page_list(timed_out)}
        )
    growth = pdfa_growth_warning(digital_object, outcome.pdfa_size)
    if growth:
        outcome.warnings.append(growth)
    return outcome


def recognised_page_by_page(digital_object, original):
    """Whether this scan's pages are OCR'd here, one Tesseract per page as they render.

    Images and upright PDFs in ``skip`` mode are. ``redo`` and ``force`` PDFs go through OCRmyPDF,
    which strips old text layers and rasterizes pages, as do PDFs with rotated pages.
    """
    if derivatives.file_type(original) != derivatives.PDF_TYPE:
        return True
    return digital_object.ocr_mode == OcrMode.SKIP_TEXT and derivatives.upright_pdf(original)


def render(digital_object, original, work_dir, on_page=None):
    return derivatives.render_pages(
        original,
        work_dir,
        name=digital_object.original_name,
        iiif_id_base=stored_file_url(digital_object, digital_object.tiles_prefix),
        render_dpi=settings.SCAN_RENDER_DPI,
        max_dpi=settings.SCAN_RENDER_MAX_DPI,
        on_page=on_page,
    )


class PageRecogniser:
    """Runs Tesseract on each page as soon as it is rendered, ``SCAN_OCR_JOBS`` pages at a time.

    At most two pages per job wait on disk (as uncompressed greyscale): rendering pauses when OCR
    falls behind, so a scan of hundreds of pages never fills the temporary folder.
    """

    def __init__(self, work_dir):
        self.folder = Path(work_dir) / "ocr"
        self.folder.mkdir()
        jobs = max(1, settings.SCAN_OCR_JOBS)
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="tesseract")
        self.slots = threading.BoundedSemaphore(2 * jobs)
        self.futures = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.pool.shutdown(wait=True, cancel_futures=True)
        return False

    def page_rendered(self, page, image):
        if page.has_text:
            return  # skip mode: the scanner's text layer stays, its text is read from the PDF
        self.slots.acquire()
        try:
            path = derivatives.write_ocr_image(image, self.folder / f"{page.name}.pgm")
            self.futures[page.number] = self.pool.submit(self._recognise, page, path)
        except BaseException:
            self.slots.release()
            raise

    def _recognise(self, page, path):
        try:
            return ocr.recognise_page(
                path,
                self.folder / page.name,
                language=settings.SCAN_OCR_LANGUAGE,
                dpi=page.pixels_per_inch,
                timeout=settings.SCAN_OCR_PAGE_TIMEOUT,
                threads=settings.SCAN_TESSERACT_THREADS,
            )
        finally:
            path.unlink(missing_ok=True)
            self.slots.release()

    def results(self):
        return {number: future.result() for number, future in self.futures.items()}


def download_original(digital_object, work_dir):
    """Copy the original from storage into the work folder, checking its SHA-256 on the way."""
    source_dir = work_dir / "source"
    source_dir.mkdir()
    target = source_dir / ("original" + Path(digital_object.original_name).suffix.lower())
    digest = hashlib.sha256()
    try:
        with default_storage.open(digital_object.file.name, "rb") as stored, open(target, "wb") as local:
            for chunk in iter(lambda: stored.read(1 << 20), b""):
                digest.update(chunk)
                local.write(chunk)
    except FileNotFoundError as error:
        raise ScanProcessingError(
            _(
                "Không tìm thấy tệp gốc “%(name)s” trong kho lưu tệp (%(path)s). Tệp có thể đã bị xóa "
                "hoặc kho lưu tệp chưa được gắn; báo cho quản trị hệ thống."
            )
            % {"name": digital_object.original_name, "path": digital_object.file.name}
        ) from error
    except Exception as error:
        raise storage_error(error) from error
    if digest.hexdigest() != digital_object.sha256:
        raise ScanProcessingError(
            _(
                "Tệp gốc “%(name)s” trong kho lưu tệp không còn khớp mã SHA-256 ghi lúc tải lên: tệp đã "
                "bị thay đổi hoặc hỏng. Không xử lý; báo ngay cho quản trị hệ thống để khôi phục từ bản sao."
            )
            % {"name": digital_object.original_name}
        )
    return target


def save_archival_copy(digital_object, original, rendered, recognised, outcome):
    """The PDF/A-2b: the scan's own pages with Tesseract's invisible text laid over them."""
    output = archival_copy_path(digital_object, outcome)
    layers = {number: page.layer for number, page in recognised.items() if page.layer is not None}
    metadata = archival_metadata(digital_object)
    if derivatives.file_type(original) == derivatives.PDF_TYPE:
        ocr.save_with_text_layers(original, layers, output, metadata=metadata)
    else:
        try:
            source = derivatives.image_pdf(original, rendered, outcome.work_dir)
            ocr.save_with_text_layers(source, layers, output, metadata=metadata)
        except (ScanProcessingError, *img2pdf_errors()) as error:
            # An encoding PDF/A does not take as it is (CMYK JPEG, 16-bit PNG…): decoded pixels, lossless.
            logger.info("Scan %s goes into its PDF/A decoded: %s", digital_object.pk, error)
            source = derivatives.image_pdf(original, rendered, outcome.work_dir, decoded=True)
            ocr.save_with_text_layers(source, layers, output, metadata=metadata)
    _note_archival_copy(outcome, output)


def img2pdf_errors():
    import img2pdf

    return (
        img2pdf.ImageOpenError,
        img2pdf.AlphaChannelError,
        img2pdf.UnsupportedColorspaceError,
        img2pdf.JpegColorspaceError,
        img2pdf.ExifOrientationError,
        ValueError,
        OSError,
    )


def archival_copy_by_ocrmypdf(digital_object, original, outcome):
    """The PDF/A-2b made by OCRmyPDF (``redo`` and ``force`` modes); returns the recognised page texts."""
    output = archival_copy_path(digital_object, outcome)
    recognised = ocr.make_archival_copy(
        original,
        output,
        mode=digital_object.ocr_mode,  # OcrMode values are OCRmyPDF's mode names
        language=settings.SCAN_OCR_LANGUAGE,
        jobs=settings.SCAN_OCR_JOBS,
        threads=settings.SCAN_TESSERACT_THREADS,
        page_timeout=settings.SCAN_OCR_PAGE_TIMEOUT,
        pdfa_backend=settings.SCAN_PDFA_BACKEND,
        metadata=archival_metadata(digital_object),
    )
    _note_archival_copy(outcome, output)
    return recognised


def archival_copy_path(digital_object, outcome):
    pdfa_dir = outcome.work_dir / "pdfa"
    pdfa_dir.mkdir(exist_ok=True)
    return pdfa_dir / f"{archival_stem(digital_object)}.pdf"


def archival_metadata(digital_object):
    record = digital_object.record
    return {
        "title": str(record.title)[:500],
        "author": str(digital_object.archive.name),
        "subject": str(record.reference_code),
    }


def _note_archival_copy(outcome, output):
    outcome.pdfa = output
    outcome.pdfa_size = output.stat().st_size
    outcome.pdfa_sha256 = _sha256(output)


def archival_stem(digital_object):
    stem = get_valid_filename(Path(digital_object.original_name).stem)[:100]
    return stem or "ban-luu-tru"


def page_results(original, rendered, recognised):
    """Each page's text: Tesseract's where it ran, else the text layer the PDF already had."""
    missing = [page for page in rendered if page.number not in recognised]
    embedded = []
    if missing and derivatives.file_type(original) == derivatives.PDF_TYPE:
        embedded = ocr.embedded_page_texts(original)
    results = []
    for page in rendered:
        found = recognised.get(page.number)
        if found is not None:
            if found.timed_out:
                page.warnings.append(ocr_timeout_warning(page.number))
            results.append(PageResult(page, found.text, found.confidence, TextSource.OCR, found.timed_out))
        elif page.number <= len(embedded) and embedded[page.number - 1]:
            results.append(PageResult(page, embedded[page.number - 1], None, TextSource.EMBEDDED))
        else:
            results.append(PageResult(page, "", None, TextSource.OCR))
    return results


def is_map_or_drawing(digital_object):
    document = digital_object.document
    return document is not None and document.type_name in derivatives.MAP_TYPE_NAMES


# PDF/A adds a font, a colour profile and metadata (about 15 KB) to any file: a tiny scan that grows
# by less than this is not worth a warning.
PDFA_GROWTH_FLOOR_BYTES = 32 * 1024


def pdfa_growth_warning(digital_object, pdfa_size):
    """A warning when the archival copy is much larger than the scan (``force`` rasterizes pages)."""
    if not digital_object.size_bytes or not pdfa_size:
        return None
    ratio = pdfa_size / digital_object.size_bytes
    if (
        ratio < settings.SCAN_PDFA_GROWTH_WARNING
        or pdfa_size - digital_object.size_bytes < PDFA_GROWTH_FLOOR_BYTES
    ):
        return None
    return _(
        "Bản PDF/A lớn gấp %(ratio)s lần tệp gốc (%(pdfa)s so với %(original)s) với cách nhận dạng "
        "“%(mode)s”. Nếu tệp gốc đã có lớp chữ, cân nhắc chọn “Giữ lớp chữ sẵn có” hoặc “Nhận dạng lại, "
        "giữ nguyên ảnh quét” cho lô này rồi xử lý lại."
    ) % {
        "ratio": number_format(round(ratio, 1), 1),
        "pdfa": filesizeformat(pdfa_size),
        "original": filesizeformat(digital_object.size_bytes),
        "mode": digital_object.get_ocr_mode_display(),
    }


def ocr_timeout_warning(number):
    return _(
        "Trang %(page)s: nhận dạng chữ quá %(seconds)s giây nên trang chưa có nội dung. Kiểm tra ảnh "
        "trang; có thể nhập nội dung bằng tay hoặc xử lý lại."
    ) % {"page": number, "seconds": settings.SCAN_OCR_PAGE_TIMEOUT}


# --- storage --------------------------------------------------------------------------------------


def store_outputs(digital_object, outcome):
    """Upload the run's files under the scan's storage folder; return the new PDF/A's storage name."""
    prefix = digital_object.storage_prefix
    work_dir = outcome.work_dir
    uploads = [(outcome.thumbnail, f"{prefix}/thumbnail.jpg")]
    for result in outcome.pages:
        page = result.rendered
        uploads.append((page.image_path, f"{prefix}/pages/{page.name}.jpg"))
        for path in sorted(page.tiles_dir.rglob("*")):
            if path.is_file():
                uploads.append((path, f"{prefix}/{path.relative_to(work_dir).as_posix()}"))
    try:
        with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
            for _done in pool.map(lambda item: put_file(*item), uploads):
                pass
        # A fresh name for every run: the PDF/A the database points at stays until the switch.
        with open(outcome.pdfa, "rb") as handle:
            return default_storage.save(f"{prefix}/pdfa/{outcome.pdfa.name}", File(handle))
    except Exception as error:
        raise storage_error(error) from error


def put_file(local_path, name):
    """Store ``local_path`` under exactly ``name``, replacing what a previous run left there."""
    with open(local_path, "rb") as handle:
        saved = default_storage.save(name, File(handle))
        if saved == name:
            return name
        default_storage.delete(saved)
        default_storage.delete(name)
        handle.seek(0)
        saved = default_storage.save(name, File(handle))
    if saved != name:
        default_storage.delete(saved)
        raise OSError(f"{name} is being written by another run")
    return name


def remove_superseded_copies(digital_object, keep):
    """Delete PDF/A copies of earlier or abandoned runs (never the one the database points at)."""
    folder = f"{digital_object.storage_prefix}/pdfa"
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    except Exception:
        # The scan is done; a copy left behind is removed after the next successful run.
        logger.exception("Could not list %s to remove superseded copies", folder)
        return
    for name in files:
        path = f"{folder}/{name}"
        if path != keep:
            _delete_quietly(path)


def storage_error(error):
    return ScanProcessingError(
        _(
            "Không đọc hoặc ghi được kho lưu tệp (%(kind)s: %(detail)s). Kiểm tra ổ đĩa hoặc kết nối tới "
            "kho lưu trữ tệp (S3), còn dung lượng và quyền ghi, rồi bấm “Xử lý lại”. Kết quả cũ vẫn giữ "
            "nguyên."
        )
        % {"kind": error.__class__.__name__, "detail": str(error)[:300]}
    )


def _delete_quietly(name):
    if not name:
        return
    try:
        default_storage.delete(name)
    except Exception:
        logger.exception("Could not delete %s from storage", name)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- the switch -----------------------------------------------------------------------------------


def switch_to_results(digital_object, run, outcome, pdfa_name):
    """In one transaction: the state "done", the pages, their text revisions and the record's text."""
    now = timezone.now()
    prefix = digital_object.storage_prefix
    with transaction.atomic():
        owned = run.owned().update(
            state=ProcessingState.DONE,
            state_message="",
            finished_at=now,
            progress_at=now,
            page_count=len(outcome.pages),
            thumbnail=f"{prefix}/thumbnail.jpg",
            archival_copy=pdfa_name,
            archival_sha256=outcome.pdfa_sha256,
            archival_size_bytes=outcome.pdfa_size,
            quality_warnings=outcome.warnings,
        )
        if not owned:
            raise Superseded
        save_pages(digital_object, outcome.pages)
        refresh_record_text(digital_object.record)


def save_pages(digital_object, results):
    """Create or update the scan's pages and keep a text revision for each page whose text changed.

    The batched equivalent of ``text.set_page_text`` for every page; a page whose text staff
    corrected keeps the correction.
    """
    prefix = digital_object.storage_prefix
    existing = {
        page.number: page
        for page in ScanPage.objects.select_for_update().filter(digital_object=digital_object)
    }
    new_pages, kept_pages, revised = [], [], []
    for result in results:
        rendered = result.rendered
        page = existing.pop(rendered.number, None)
        if page is None:
            page = ScanPage(digital_object=digital_object, number=rendered.number)
            new_pages.append(page)
        else:
            kept_pages.append(page)
        page.image = f"{prefix}/pages/{rendered.name}.jpg"
        page.tiles_info = f"{digital_object.tiles_prefix}/{rendered.name}/info.json"
        page.width, page.height = rendered.width, rendered.height
        page.dpi, page.colour_depth = rendered.dpi, rendered.colour_depth
        page.quality_warnings = rendered.warnings
        if page.text_corrected:
            continue
        if page.pk is None or page.text != result.text or page.ocr_confidence != result.confidence:
            page.text, page.ocr_confidence = result.text, result.confidence
            revised.append((page, result))
    ScanPage.objects.bulk_create(new_pages)
    ScanPage.objects.bulk_update(
        kept_pages,
        [
            "image",
            "tiles_info",
            "width",
            "height",
            "dpi",
            "colour_depth",
            "quality_warnings",
            "text",
            "ocr_confidence",
        ],
    )
    if existing:
        ScanPage.objects.filter(pk__in=[page.pk for page in existing.values()]).delete()
    PageTextRevision.objects.bulk_create(
        PageTextRevision(page=page, text=result.text, source=result.source, confidence=result.confidence)
        for page, result in revised
    )


def record_failure(run, message):
    """State "failed" with the reason, if this run still owns the scan; earlier results stay as they are."""
    try:
        run.owned().update(state=ProcessingState.FAILED, state_message=message, finished_at=timezone.now())
    except DatabaseError:
        logger.exception("Could not record the failure of scan %s: %s", run.object_id, message)


def unexpected_failure_message(error):
    return _(
        "Lỗi không mong đợi khi xử lý tệp (%(kind)s: %(detail)s). Bấm “Xử lý lại”; nếu vẫn lỗi, báo cho "
        "quản trị hệ thống kèm tên tệp."
    ) % {"kind": error.__class__.__name__, "detail": str(error)[:300]}


# --- liveness and crash recovery ------------------------------------------------------------------


class Heartbeat:
    """Records the run's progress every ``SCAN_HEARTBEAT_SECONDS`` from a thread while it works.

    Not inside a transaction (an immediate task backend in a request or a test): the thread could
    not see the claimed row and would wait on its lock.
    """

    def __init__(self, run):
        self.run = run
        self.interval = settings.SCAN_HEARTBEAT_SECONDS
        self.stop = threading.Event()
        self.thread = None

    def __enter__(self):
        if self.interval > 0 and not connection.in_atomic_block:
            self.thread = threading.Thread(
                target=self._beat, name=f"scan-{self.run.object_id}-heartbeat", daemon=True
            )
            self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        return False

    def _beat(self):
        try:
            while not self.stop.wait(self.interval):
                try:
                    self.run.owned().update(progress_at=timezone.now())
                except DatabaseError:
                    logger.warning("Could not record progress of scan %s", self.run.object_id, exc_info=True)
        finally:
            connection.close()


def stale_after():
    return timedelta(seconds=settings.SCAN_STALE_AFTER_SECONDS)


def stale_reason(digital_object, now=None, task_states=None):
    """Why a queued or processing scan is stuck, or None if it is fine (or done, or failed)."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    if task_states is None:
        task_states = task_row_states([digital_object.task_id])
    row = task_states.get(digital_object.task_id)
    if digital_object.state == ProcessingState.PROCESSING:
        if row is not None and row.ended:
            return _("tác vụ xử lý đã kết thúc mà không hoàn tất")
        last = digital_object.progress_at or digital_object.started_at
        if last is None or last < cutoff:
            return _("tiến trình xử lý không còn hoạt động (không cập nhật tiến độ)")
        return None
    if digital_object.state != ProcessingState.QUEUED:
        return None
    since = digital_object.queued_at or digital_object.created_at
    if since is None or since >= cutoff:
        return None
    if not digital_object.task_id or row is MISSING:
        return _("không có tác vụ trong hàng đợi")
    if row is not None and row.ended:
        return _("tác vụ đã kết thúc mà chưa xử lý")
    if row is not None and row.running and row.started_at and row.started_at < cutoff:
        return _("tiến trình nhận tác vụ đã dừng")
    return None


@dataclass
class TaskRowState:
    status: str
    started_at: object

    @property
    def ended(self):
        return self.status in ("SUCCESSFUL", "FAILED")

    @property
    def running(self):
        return self.status == "RUNNING"


MISSING = TaskRowState("MISSING", None)


def task_row_states(task_ids):
    """The status of the given tasks in the task queue: MISSING when a task is gone.

    Only the database backend can be asked; with any other backend nothing is known.
    """
    ids = [task_id for task_id in task_ids if task_id]
    if not ids or not _uses_database_backend():
        return {}
    from django_tasks_db.models import DBTaskResult

    states = dict.fromkeys(ids, MISSING)
    valid = [task_id for task_id in ids if _is_uuid(task_id)]
    for start in range(0, len(valid), 500):
        rows = DBTaskResult.objects.filter(id__in=valid[start : start + 500]).values_list(
            "id", "status", "started_at"
        )
        for row_id, status, started_at in rows:
            states[str(row_id)] = TaskRowState(status, started_at)
    return states


def mark_task_lost(task_id):
    """Mark failed the task row a dead worker left "running", so the task list tells the truth."""
    if not task_id or not _uses_database_backend() or not _is_uuid(task_id):
        return
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.filter(id=task_id, status="RUNNING").first()
    if row is not None:
        row.set_failed(WorkerLost(f"Worker stopped while processing; scan re-queued (task {task_id})"))


class WorkerLost(Exception):
    """Recorded on the task row of a worker that died while it ran the task."""


def requeue_stale_scans(now=None):
    """Re-queue every stuck scan, or mark it failed after ``SCAN_MAX_ATTEMPTS`` runs.

    Returns a list of ``(digital_object, action, reason)`` with action "requeued" or "failed".
    """
    now = now or timezone.now()
    cutoff = now - stale_after()
    candidates = list(
        DigitalObject.objects.filter(
            Q(state=ProcessingState.PROCESSING)
            | Q(state=ProcessingState.QUEUED, queued_at__lt=cutoff)
            | Q(state=ProcessingState.QUEUED, queued_at__isnull=True, created_at__lt=cutoff)
        ).select_related("archive")
    )
    task_states = task_row_states([candidate.task_id for candidate in candidates])
    recovered = []
    for digital_object in candidates:
        reason = stale_reason(digital_object, now=now, task_states=task_states)
        if reason is None:
            continue
        action = recover(digital_object, reason, now)
        if action:
            logger.warning("Scan %s %s: %s", digital_object.pk, action, reason)
            recovered.append((digital_object, action, reason))
    return recovered


def recover(digital_object, reason, now):
    """Re-queue (or fail) one stuck scan, only if nobody changed it since it was read."""
    unchanged = DigitalObject.objects.filter(
        pk=digital_object.pk,
        state=digital_object.state,
        task_id=digital_object.task_id,
        progress_at=digital_object.progress_at,
    )
    with transaction.atomic():
        if digital_object.state == ProcessingState.PROCESSING and (
            digital_object.attempts >= settings.SCAN_MAX_ATTEMPTS
        ):
            failed = unchanged.update(
                state=ProcessingState.FAILED,
                state_message=too_many_attempts_message(digital_object.attempts, reason),
                finished_at=now,
            )
            action = "failed" if failed else None
        else:
            requeued = unchanged.update(
                state=ProcessingState.QUEUED, task_id="", queued_at=now, started_at=None, progress_at=None
            )
            if requeued:
                _enqueue(digital_object.pk)
            action = "requeued" if requeued else None
        if action:
            mark_task_lost(digital_object.task_id)
    return action


def too_many_attempts_message(attempts, reason):
    return _(
        "Đã thử xử lý %(attempts)s lần nhưng lần nào tiến trình cũng dừng giữa chừng (%(reason)s): tệp "
        "có thể quá lớn so với bộ nhớ máy chủ, hoặc máy chủ khởi động lại liên tục. Kiểm tra nhật ký của "
        "db_worker, rồi bấm “Xử lý lại”."
    ) % {"attempts": attempts, "reason": reason}


def sweep():
    """The periodic sweep: schedule the next one while scans are in flight, then recover stuck ones."""
    if scans_in_flight():
        # First, so that a worker killed during this sweep still leaves the next one queued.
        schedule_sweep()
    recovered = requeue_stale_scans()
    remove_dead_work_folders()
    return {
        "requeued": [obj.pk for obj, action, _r in recovered if action == "requeued"],
        "failed": [obj.pk for obj, action, _r in recovered if action == "failed"],
    }


def scans_in_flight():
    in_flight = [ProcessingState.QUEUED, ProcessingState.PROCESSING]
    return DigitalObject.objects.filter(state__in=in_flight).exists()


def recover_at_worker_start():
    """Run by ``manage.py db_worker`` before it starts: recover stuck scans, keep the sweep going.

    Never stops the worker from starting: a database that cannot be asked yet is only logged.
    """
    try:
        requeue_stale_scans()
        remove_dead_work_folders()
        if scans_in_flight():
            schedule_sweep()
    except DatabaseError:
        logger.warning("Could not recover stuck scans at worker start", exc_info=True)


def schedule_sweep():
    """Queue one ``sweep_stale_scans`` to run in ``SCAN_SWEEP_INTERVAL_SECONDS``, unless one is waiting.

    Only with the database backend: other backends run tasks at once or cannot be asked.
    """
    if not _uses_database_backend():
        return None
    from django_tasks_db.models import DBTaskResult

    from .tasks import sweep_stale_scans

    if DBTaskResult.objects.filter(task_path=sweep_stale_scans.module_path, status="READY").exists():
        return None
    run_after = timezone.now() + timedelta(seconds=settings.SCAN_SWEEP_INTERVAL_SECONDS)
    return sweep_stale_scans.using(run_after=run_after).enqueue()


def remove_dead_work_folders():
    """Remove work folders that workers killed on this host left in the temporary directory."""
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{WORK_DIR_PREFIX}*"):
        pid = folder.name[len(WORK_DIR_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _uses_database_backend():
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    from .tasks import process_scan

    return isinstance(task_backends[process_scan.backend], DatabaseBackend)


def _is_uuid(value):
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class _timed:
    """Adds the seconds spent in a block to ``outcome.timings[name]``."""

    def __init__(self, outcome, name):
        self.outcome, self.name = outcome, name

    def __enter__(self):
        self.started = time.monotonic()

    def __exit__(self, *exc_info):
        self.outcome.timings[self.name] = round(time.monotonic() - self.started, 3)
        return False
