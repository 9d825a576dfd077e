"""Background processing of scans in two stages, their states, and crash recovery.

A scan (``DigitalObject``) is processed in two stages (``stage``), each a task of its own:

1. ``ocr`` (task ``recognise_scan``, high priority): the text. The original is downloaded and
   checked against its SHA-256; each page goes to Tesseract (``SCAN_OCR_JOBS`` at a time) as it is
   when Tesseract reads the file as it is (single-page PNG, JPEG, TIFF), else as a greyscale image
   rendered for it; a skip-mode PDF page that already carries text keeps it. Each page's invisible
   text layer (Tesseract's text-only PDF page) is stored under ``ocr/NNNN.pdf`` in the scan's
   folder, with ``ocr/manifest.json`` saying which pages have one. ``redo`` and ``force`` PDFs (and
   rotated ones) go through OCRmyPDF, which makes the PDF/A-2b and the text together: that PDF/A is
   stored in this stage. One transaction then writes the pages with their text, their text
   revisions, the record's text and ``ocr_finished_at``, and moves the scan to stage ``images``,
   queued; the ``make_scan_images`` task is enqueued after the commit. The record is searchable
   from here on.
2. ``images`` (task ``make_scan_images``, lower priority, so text comes first for every waiting
   scan): page JPEGs, IIIF tiles, the thumbnail, the resolution and colour checks, and the PDF/A-2b
   (the original with the stored text layers) unless the first stage made it. One transaction sets
   the pages' images, tiles and warnings, the archival copy and the state ``done``.

Each stage goes through the states, shown in the admin with the stage and the reason of a failure:

    queued ──(a worker claims it)──> processing ──> (next stage, queued) ... ──> done
       ^                                  │
       └──── retry, or the stale sweep ───┴──────> failed (state_message says why and what to do)

Until a stage's transaction nothing in the database points at its new files, so a run that dies
half-way leaves the previous results (or none) in place. Uploads are idempotent: page images, tiles,
text layers and the thumbnail keep their names; the PDF/A of each run gets a fresh name and the
superseded copies are deleted after the switch. ``queue_processing`` (a new or re-uploaded scan)
starts at stage ``ocr``; a retry resumes at the stage that failed. Staff corrections of a page's text
(``text_corrected``) are never overwritten by a later run.

Crash recovery: django-tasks' database worker leaves the task of a killed worker "running" forever.
A running stage therefore records its progress (``progress_at``) every ``SCAN_HEARTBEAT_SECONDS``
from a background thread; ``requeue_stale_scans`` re-queues, at its current stage, every scan that
has made no progress for ``SCAN_STALE_AFTER_SECONDS`` or whose task has ended without finishing it,
and every queued scan whose task is gone, and marks failed a scan whose stage stopped
``SCAN_MAX_ATTEMPTS`` times. It runs when ``manage.py db_worker`` starts (``recover_at_worker_start``),
as a periodic task (``sweep_stale_scans``, scheduled whenever a scan is queued, again by itself while
scans are in flight, so any running worker picks it up) and as the command
``manage.py requeue_stale_scans`` for cron. docs/scan-processing.md tells operators how to run them.
"""

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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

from .. import preservation
from ..file_serving import stored_file_url
from ..models import (
    DigitalObject,
    EventType,
    OcrMode,
    PageTextRevision,
    ProcessingStage,
    ProcessingState,
    ScanPage,
    TextSource,
)
from . import derivatives, ocr
from .derivatives import ScanProcessingError
from .text import refresh_record_text

logger = logging.getLogger(__name__)

WORK_DIR_PREFIX = "kho-scan-"
STATE_FIELDS = (
    "state",
    "stage",
    "state_message",
    "attempts",
    "task_id",
    "queued_at",
    "started_at",
    "finished_at",
    "progress_at",
    "ocr_finished_at",
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
MANIFEST_NAME = "manifest.json"


class Superseded(Exception):
    """This run no longer owns the scan (re-queued, retried or deleted meanwhile)."""


class OcrResultsMissing(Exception):
    """The images stage found no text layers of the scan's last OCR run: the text is made again."""


# --- queueing -------------------------------------------------------------------------------------


def queue_processing(digital_object):
    """Queue the scan from its first stage: state "queued", stage "ocr", a new ``recognise_scan`` task.

    Queueing again a scan that is being processed supersedes the running attempt: its results are
    discarded when it ends. ``attempts`` counts the runs of the current stage since this request.
    """
    return _queue(digital_object, ProcessingStage.OCR)


def retry_processing(digital_object):
    """Queue again a scan that failed or is stuck, at its stage; return False, doing nothing, otherwise.

    Stuck: processing without progress for ``SCAN_STALE_AFTER_SECONDS`` or whose task has ended,
    or queued while its task is gone. A done scan or one a live worker is processing is left alone.
    A scan whose text is done resumes at its images.
    """
    digital_object.refresh_from_db(fields=STATE_FIELDS)
    stuck = stale_reason(digital_object) is not None
    if digital_object.state != ProcessingState.FAILED and not stuck:
        return False
    if stuck:
        mark_task_lost(digital_object.task_id)
    _queue(digital_object, resume_stage(digital_object))
    return True


def resume_stage(digital_object):
    """The stage a retried scan starts at: its images when its text is done, else its text."""
    if digital_object.stage == ProcessingStage.IMAGES and digital_object.ocr_finished_at is not None:
        return ProcessingStage.IMAGES
    return ProcessingStage.OCR


def _queue(digital_object, stage):
    changes = {
        "state": ProcessingState.QUEUED,
        "stage": stage,
        "state_message": "",
        "attempts": 0,
        "task_id": "",
        "queued_at": timezone.now(),
        "started_at": None,
        "finished_at": None,
        "progress_at": None,
    }
    if stage == ProcessingStage.OCR:
        changes["ocr_finished_at"] = None
    with transaction.atomic():
        DigitalObject.objects.filter(pk=digital_object.pk).update(**changes)
        result = enqueue_stage(digital_object.pk, stage)
    schedule_sweep()
    digital_object.refresh_from_db(fields=STATE_FIELDS + RESULT_FIELDS)
    return result


def stage_task(stage):
    from .tasks import make_scan_images, recognise_scan

    return make_scan_images if stage == ProcessingStage.IMAGES else recognise_scan


def enqueue_stage(object_id, stage):
    """Enqueue the task of ``stage`` and record its id on the scan queued at that stage."""
    result = stage_task(stage).enqueue(object_id)
    # With an immediate backend the task has already run (and recorded its id when it claimed).
    DigitalObject.objects.filter(pk=object_id, state=ProcessingState.QUEUED, stage=stage, task_id="").update(
        task_id=str(result.id)
    )
    return result


# --- one run of a stage ---------------------------------------------------------------------------


@dataclass
class Run:
    object_id: int
    task_id: str
    attempt: int
    stage: str = ProcessingStage.OCR

    def owned(self):
        """The scan, filtered to this run still owning it."""
        return DigitalObject.objects.filter(
            pk=self.object_id,
            state=ProcessingState.PROCESSING,
            stage=self.stage,
            task_id=self.task_id,
            attempts=self.attempt,
        )


def claim(object_id, task_id, stage=ProcessingStage.OCR):
    """Move a scan queued at ``stage`` to "processing" for this task; None if it is not this task's."""
    now = timezone.now()
    claimed = (
        DigitalObject.objects.filter(pk=object_id, state=ProcessingState.QUEUED, stage=stage)
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
    return Run(object_id, task_id, attempt, stage)


def run_stage(stage, object_id, task_id, work):
    """Claim the scan at ``stage`` and run ``work(digital_object, run, work_dir, written)``.

    ``work`` returns the task's result; ``written`` collects storage names to delete should the run
    fail. Never raises for a bad scan: the failure is recorded with its reason.
    """
    run = claim(object_id, task_id, stage)
    if run is None:
        return {"state": "skipped", "stage": stage, "object": object_id}
    written = []
    started = time.monotonic()
    try:
        digital_object = DigitalObject.objects.select_related("archive", "document", "record_file").get(
            pk=object_id
        )
        with Heartbeat(run), work_folder() as work_dir:
            result = work(digital_object, run, Path(work_dir), written)
    except Superseded:
        _delete_all_quietly(written)
        return {"state": "superseded", "stage": stage, "object": object_id}
    except ScanProcessingError as error:
        _delete_all_quietly(written)
        record_failure(run, error.message)
        return {"state": ProcessingState.FAILED, "stage": stage, "object": object_id, "reason": error.message}
    except Exception as error:
        logger.exception("Processing scan %s (stage %s) failed unexpectedly", object_id, stage)
        _delete_all_quietly(written)
        record_failure(run, unexpected_failure_message(error))
        return {"state": ProcessingState.FAILED, "stage": stage, "object": object_id, "reason": str(error)}
    result.setdefault("seconds", {})["total"] = round(time.monotonic() - started, 3)
    return result


def run_ocr_stage(object_id, task_id):
    """The text of one scan (stage "ocr"), then its images stage queued. Never raises for a bad scan."""
    result = run_stage(ProcessingStage.OCR, object_id, task_id, recognise_and_switch)
    if result["state"] == "recognised":
        _enqueue_after_commit(object_id, ProcessingStage.IMAGES)
    return result


def run_images_stage(object_id, task_id):
    """Page images, tiles, thumbnail, checks and PDF/A of one scan (stage "images")."""
    result = run_stage(ProcessingStage.IMAGES, object_id, task_id, images_and_switch)
    if result["state"] == "back_to_ocr":
        _enqueue_after_commit(object_id, ProcessingStage.OCR)
    return result


# Tasks of the single-stage processing, still in the queues of installations that upgrade.
run_processing = run_ocr_stage


def _enqueue_after_commit(object_id, stage):
    """Enqueue the next stage once the previous one's transaction is over.

    Should this fail (or the worker die right here), the scan waits queued without a task and the
    stale sweep enqueues it.
    """
    try:
        enqueue_stage(object_id, stage)
    except DatabaseError:
        logger.exception("Could not enqueue stage %s of scan %s; the stale sweep will", stage, object_id)


def work_folder():
    """A temporary folder named after this process, so the sweep can remove those of dead workers."""
    return tempfile.TemporaryDirectory(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-")


# --- stage 1: the text ----------------------------------------------------------------------------


@dataclass
class PageText:
    """One page's text as the OCR stage found it, and what it learnt of the page image."""

    number: int
    text: str
    confidence: float | None
    source: str
    timed_out: bool = False
    layer: Path | None = None
    width: int | None = None
    height: int | None = None
    dpi: int | None = None
    colour_depth: int | None = None
    seconds: float = 0.0  # in Tesseract


@dataclass
class TextOutcome:
    """What the OCR stage produced in its work folder, before anything is uploaded."""

    work_dir: Path
    pages: list = field(default_factory=list)
    pdfa: Path | None = None
    pdfa_sha256: str = ""
    pdfa_size: int = 0
    timings: dict = field(default_factory=dict)


def recognise_and_switch(digital_object, run, work_dir, written):
    outcome = recognise(digital_object, work_dir)
    finished_at = timezone.now()
    with _timed(outcome, "upload"):
        pdfa_name = store_text_outputs(digital_object, outcome, finished_at, written)
    with _timed(outcome, "switch"):
        switch_to_text(digital_object, run, outcome, pdfa_name, finished_at)
    if pdfa_name:
        remove_superseded_copies(digital_object, keep=pdfa_name)
    return {
        "state": "recognised",
        "stage": ProcessingStage.OCR,
        "object": digital_object.pk,
        "pages": len(outcome.pages),
        "seconds": outcome.timings,
    }


def recognise(digital_object, work_dir):
    """Every page's text, in ``work_dir``: Tesseract's with its text layer, or the PDF's own."""
    outcome = TextOutcome(work_dir=work_dir)
    with _timed(outcome, "download"):
        original = download_original(digital_object, work_dir)
    ocr.check_tesseract(settings.SCAN_OCR_LANGUAGE)
    with _timed(outcome, "ocr"):
        if derivatives.file_type(original) == derivatives.PDF_TYPE:
            ocr.check_not_signed(original)
        if recognised_page_by_page(digital_object, original):
            outcome.pages = recognise_page_by_page(digital_object, original, work_dir)
            outcome.timings["tesseract"] = round(sum(page.seconds for page in outcome.pages), 3)
        else:
            outcome.pages = text_by_ocrmypdf(digital_object, original, outcome)
    return outcome


def recognised_page_by_page(digital_object, original):
    """Whether this scan's pages are OCR'd here, one Tesseract per page.

    Images and upright PDFs in ``skip`` mode are. ``redo`` and ``force`` PDFs go through OCRmyPDF,
    which strips old text layers and rasterizes pages, as do PDFs with rotated pages.
    """
    if derivatives.file_type(original) != derivatives.PDF_TYPE:
        return True
    return digital_object.ocr_mode == OcrMode.SKIP_TEXT and derivatives.upright_pdf(original)


def recognise_page_by_page(digital_object, original, work_dir):
    inputs = derivatives.ocr_inputs(
        original,
        work_dir,
        name=digital_object.original_name,
        render_dpi=settings.SCAN_RENDER_DPI,
        max_dpi=settings.SCAN_RENDER_MAX_DPI,
    )
    with PageRecogniser(work_dir, digital_object.original_name) as recogniser:
        for page in inputs:
            recogniser.add(page)
        return recogniser.results()


class PageRecogniser:
    """Runs Tesseract on each page as soon as it is ready, ``SCAN_OCR_JOBS`` pages at a time.

    At most two images per job wait on disk: rendering pauses when OCR falls behind, so a scan of
    hundreds of pages never fills the temporary folder.
    """

    def __init__(self, work_dir, name):
        self.folder = Path(work_dir) / "ocr"
        self.folder.mkdir()
        self.name = name
        jobs = max(1, settings.SCAN_OCR_JOBS)
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="tesseract")
        self.slots = threading.BoundedSemaphore(2 * jobs)
        self.pages = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.pool.shutdown(wait=True, cancel_futures=True)
        return False

    def add(self, page):
        if page.path is None:  # skip mode: the scanner's text layer stays, its text is the page's
            self.pages.append((page, None))
            return
        self.slots.acquire()
        try:
            self.pages.append((page, self.pool.submit(self._recognise, page)))
        except BaseException:
            self.slots.release()
            raise

    def _recognise(self, page):
        try:
            return ocr.recognise_page(
                page.path,
                self.folder / page.name,
                language=settings.SCAN_OCR_LANGUAGE,
                dpi=page.pixels_per_inch,
                timeout=settings.SCAN_OCR_PAGE_TIMEOUT,
                threads=settings.SCAN_TESSERACT_THREADS,
            )
        except ScanProcessingError as error:
            if page.original:  # Tesseract read the uploaded file itself: the file is damaged
                raise derivatives.corrupt_file_error(self.name, error.message) from error
            raise
        finally:
            if not page.original:
                page.path.unlink(missing_ok=True)
            self.slots.release()

    def results(self):
        texts = []
        for page, future in self.pages:
            known = {
                "width": page.width,
                "height": page.height,
                "dpi": page.dpi,
                "colour_depth": page.colour_depth,
            }
            if future is None:
                text = ocr.normalise_text(page.embedded_text)
                texts.append(PageText(page.number, text, None, TextSource.EMBEDDED, **known))
                continue
            found = future.result()
            texts.append(
                PageText(
                    page.number,
                    found.text,
                    found.confidence,
                    TextSource.OCR,
                    timed_out=found.timed_out,
                    layer=found.layer,
                    seconds=found.seconds,
                    **known,
                )
            )
        return texts


def text_by_ocrmypdf(digital_object, original, outcome):
    """Each page's text and the PDF/A-2b, both from OCRmyPDF (``redo``, ``force``, rotated pages)."""
    recognised = archival_copy_by_ocrmypdf(digital_object, original, outcome)
    embedded = ocr.embedded_page_texts(original)
    pages = []
    for number in range(1, len(embedded) + 1):
        found = recognised.get(number)
        if found is not None:
            pages.append(PageText(number, found.text, found.confidence, TextSource.OCR, found.timed_out))
        elif embedded[number - 1]:
            pages.append(PageText(number, embedded[number - 1], None, TextSource.EMBEDDED))
        else:
            pages.append(PageText(number, "", None, TextSource.OCR))
    return pages


def store_text_outputs(digital_object, outcome, finished_at, written):
    """Upload the text layers, the manifest and (from OCRmyPDF) the PDF/A; return the PDF/A's name."""
    folder = ocr_folder(digital_object)
    layers = [page for page in outcome.pages if page.layer is not None and page.layer.exists()]
    manifest = outcome.work_dir / MANIFEST_NAME
    manifest.write_text(
        json.dumps(
            {
                "ocr_finished_at": finished_at.isoformat(),
                "pages": len(outcome.pages),
                "layers": [page.number for page in layers],
                "timed_out": [page.number for page in outcome.pages if page.timed_out],
                "archival_copy": bool(outcome.pdfa),
            }
        ),
        encoding="utf-8",
    )
    uploads = [(page.layer, f"{folder}/{derivatives.page_name(page.number)}.pdf") for page in layers]
    uploads.append((manifest, f"{folder}/{MANIFEST_NAME}"))
    try:
        upload_all(uploads)
        if outcome.pdfa is None:
            return ""
        name = save_fresh(outcome.pdfa, digital_object)
        written.append(name)
        return name
    except Exception as error:
        raise storage_error(error) from error


def ocr_folder(digital_object):
    return f"{digital_object.storage_prefix}/ocr"


def switch_to_text(digital_object, run, outcome, pdfa_name, finished_at):
    """In one transaction: the pages' text, their revisions, the record's text, then stage "images"."""
    changes = {
        "state": ProcessingState.QUEUED,
        "stage": ProcessingStage.IMAGES,
        "state_message": "",
        "attempts": 0,
        "task_id": "",
        "queued_at": finished_at,
        "started_at": None,
        "progress_at": None,
        "finished_at": None,
        "ocr_finished_at": finished_at,
        "page_count": len(outcome.pages),
    }
    if pdfa_name:
        changes.update(
            archival_copy=pdfa_name,
            archival_sha256=outcome.pdfa_sha256,
            archival_size_bytes=outcome.pdfa_size,
        )
    with transaction.atomic():
        if not run.owned().update(**changes):
            raise Superseded
        if pdfa_name:
            record_migration(digital_object, pdfa_name, outcome)
        save_page_texts(digital_object, outcome.pages)
        refresh_record_text(digital_object.record)


def save_page_texts(digital_object, results):
    """Create or update the scan's pages and keep a text revision for each page whose text changed.

    The batched equivalent of ``text.set_page_text`` for every page; a page whose text staff
    corrected keeps the correction. What the page image's size and resolution are, where known, is
    kept too; images come with the next stage (a page from an earlier run keeps its image meanwhile).
    """
    existing = {
        page.number: page
        for page in ScanPage.objects.select_for_update().filter(digital_object=digital_object)
    }
    new_pages, kept_pages, revised = [], [], []
    for result in results:
        page = existing.pop(result.number, None)
        if page is None:
            page = ScanPage(digital_object=digital_object, number=result.number)
            new_pages.append(page)
        else:
            kept_pages.append(page)
        for name in ("width", "height", "dpi", "colour_depth"):
            if getattr(result, name) is not None:
                setattr(page, name, getattr(result, name))
        if page.text_corrected:
            continue
        if page.pk is None or page.text != result.text or page.ocr_confidence != result.confidence:
            page.text, page.ocr_confidence = result.text, result.confidence
            revised.append((page, result))
    ScanPage.objects.bulk_create(new_pages)
    ScanPage.objects.bulk_update(
        kept_pages, ["width", "height", "dpi", "colour_depth", "text", "ocr_confidence"]
    )
    if existing:
        ScanPage.objects.filter(pk__in=[page.pk for page in existing.values()]).delete()
    PageTextRevision.objects.bulk_create(
        PageTextRevision(page=page, text=result.text, source=result.source, confidence=result.confidence)
        for page, result in revised
    )


# --- stage 2: images, checks and the archival copy ------------------------------------------------


@dataclass
class Outcome:
    """What the images stage produced in its work folder, before anything is uploaded."""

    work_dir: Path
    pages: list = field(default_factory=list)
    thumbnail: Path | None = None
    pdfa: Path | None = None
    pdfa_sha256: str = ""
    pdfa_size: int = 0
    warnings: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)


def images_and_switch(digital_object, run, work_dir, written):
    try:
        manifest = read_manifest(digital_object)
    except OcrResultsMissing as missing:
        logger.warning("Scan %s goes back to its OCR stage: %s", digital_object.pk, missing)
        back_to_ocr(run)
        return {"state": "back_to_ocr", "stage": ProcessingStage.IMAGES, "object": digital_object.pk}
    outcome = build_images(digital_object, work_dir, manifest)
    with _timed(outcome, "upload"):
        pdfa_name = store_image_outputs(digital_object, outcome, written)
    with _timed(outcome, "switch"):
        switch_to_images(digital_object, run, outcome, pdfa_name)
    remove_superseded_copies(digital_object, keep=pdfa_name or digital_object.archival_copy.name)
    return {
        "state": ProcessingState.DONE,
        "stage": ProcessingStage.IMAGES,
        "object": digital_object.pk,
        "pages": len(outcome.pages),
        "seconds": outcome.timings,
    }


def read_manifest(digital_object):
    """What the scan's last OCR run stored (``ocr/manifest.json``).

    OcrResultsMissing when it is missing or from another run than the one the database holds.
    """
    name = f"{ocr_folder(digital_object)}/{MANIFEST_NAME}"
    try:
        with default_storage.open(name, "rb") as handle:
            manifest = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError as error:
        raise OcrResultsMissing(f"{name} not found") from error
    except ValueError as error:
        raise OcrResultsMissing(f"{name} unreadable: {error}") from error
    except Exception as error:
        raise storage_error(error) from error
    finished = manifest.get("ocr_finished_at")
    if (
        digital_object.ocr_finished_at is None
        or not finished
        or (datetime.fromisoformat(finished) != digital_object.ocr_finished_at)
    ):
        raise OcrResultsMissing(f"{name} is of another OCR run ({finished})")
    return manifest


def back_to_ocr(run):
    """Queue the scan at its OCR stage again, from the images stage that found no text layers."""
    changes = {"state": ProcessingState.QUEUED, "stage": ProcessingStage.OCR, "task_id": "", "attempts": 0}
    if not run.owned().update(ocr_finished_at=None, queued_at=timezone.now(), **changes):
        raise Superseded


def build_images(digital_object, work_dir, manifest):
    """Pages, tiles, thumbnail, warnings and (unless OCRmyPDF made it) the PDF/A, in ``work_dir``."""
    outcome = Outcome(work_dir=work_dir)
    with _timed(outcome, "download"):
        original = download_original(digital_object, work_dir)
    with _timed(outcome, "pages"):
        rendered = render(digital_object, original, work_dir)
        outcome.thumbnail = derivatives.make_thumbnail(rendered[0].image_path, work_dir / "thumbnail.jpg")
    is_map = is_map_or_drawing(digital_object)
    timed_out = set(manifest.get("timed_out", []))
    for page in rendered:
        page.warnings = derivatives.page_quality_warnings(page, is_map=is_map)
        if page.number in timed_out:
            page.warnings.append(ocr_timeout_warning(page.number))
    outcome.pages = rendered
    with _timed(outcome, "pdfa"):
        if manifest.get("archival_copy") and digital_object.archival_copy:
            pdfa_size = digital_object.archival_size_bytes
        else:
            layers = download_layers(digital_object, manifest.get("layers", []), work_dir)
            save_archival_copy(digital_object, original, rendered, layers, outcome)
            pdfa_size = outcome.pdfa_size
    outcome.warnings = derivatives.scan_quality_summary(rendered, is_map=is_map)
    timed_out_pages = [page for page in rendered if page.number in timed_out]
    if timed_out_pages:
        outcome.warnings.append(
            _("Trang %(pages)s: nhận dạng chữ quá thời gian, trang chưa có nội dung.")
            % {"pages": derivatives.page_list(timed_out_pages)}
        )
    growth = pdfa_growth_warning(digital_object, pdfa_size)
    if growth:
        outcome.warnings.append(growth)
    return outcome


def render(digital_object, original, work_dir):
    return derivatives.render_pages(
        original,
        work_dir,
        name=digital_object.original_name,
        iiif_id_base=stored_file_url(digital_object, digital_object.tiles_prefix),
        render_dpi=settings.SCAN_RENDER_DPI,
        max_dpi=settings.SCAN_RENDER_MAX_DPI,
    )


def download_layers(digital_object, numbers, work_dir):
    """The text layers the OCR stage stored, copied into the work folder: {page number: path}."""
    folder = work_dir / "layers"
    folder.mkdir()
    layers = {}
    for number in numbers:
        name = f"{ocr_folder(digital_object)}/{derivatives.page_name(number)}.pdf"
        target = folder / f"{derivatives.page_name(number)}.pdf"
        try:
            with default_storage.open(name, "rb") as stored, open(target, "wb") as local:
                shutil.copyfileobj(stored, local, 1 << 20)
        except FileNotFoundError as error:
            raise OcrResultsMissing(f"{name} not found") from error
        except Exception as error:
            raise storage_error(error) from error
        layers[number] = target
    return layers


def store_image_outputs(digital_object, outcome, written):
    """Upload page images, tiles, the thumbnail and a new PDF/A; return the new PDF/A's name or ""."""
    prefix = digital_object.storage_prefix
    uploads = [(outcome.thumbnail, f"{prefix}/thumbnail.jpg")]
    for page in outcome.pages:
        uploads.append((page.image_path, f"{prefix}/pages/{page.name}.jpg"))
        for path in sorted(page.tiles_dir.rglob("*")):
            if path.is_file():
                uploads.append((path, f"{prefix}/{path.relative_to(outcome.work_dir).as_posix()}"))
    try:
        upload_all(uploads)
        if outcome.pdfa is None:
            return ""
        name = save_fresh(outcome.pdfa, digital_object)
        written.append(name)
        return name
    except Exception as error:
        raise storage_error(error) from error


def switch_to_images(digital_object, run, outcome, pdfa_name):
    """In one transaction: the pages' images, tiles and warnings, the archival copy, the state "done"."""
    now = timezone.now()
    changes = {
        "state": ProcessingState.DONE,
        "state_message": "",
        "finished_at": now,
        "progress_at": now,
        "page_count": len(outcome.pages),
        "thumbnail": f"{digital_object.storage_prefix}/thumbnail.jpg",
        "quality_warnings": outcome.warnings,
    }
    if pdfa_name:
        changes.update(
            archival_copy=pdfa_name,
            archival_sha256=outcome.pdfa_sha256,
            archival_size_bytes=outcome.pdfa_size,
        )
    with transaction.atomic():
        if not run.owned().update(**changes):
            raise Superseded
        if pdfa_name:
            record_migration(digital_object, pdfa_name, outcome)
        save_page_images(digital_object, outcome.pages)


def record_migration(digital_object, pdfa_name, outcome):
    """The archival PDF/A made from the scan, as a PREMIS migration of the original."""
    preservation.record_event(
        EventType.MIGRATION,
        archive=digital_object.archive,
        digital_object=digital_object,
        record=digital_object.record,
        detail=_("Tạo bản lưu trữ PDF/A “%(name)s” (%(size)s byte) từ tệp quét gốc.")
        % {"name": pdfa_name, "size": outcome.pdfa_size},
        outcome_detail=f"SHA-256: {outcome.pdfa_sha256}",
    )


def save_page_images(digital_object, rendered):
    prefix = digital_object.storage_prefix
    existing = {
        page.number: page
        for page in ScanPage.objects.select_for_update().filter(digital_object=digital_object)
    }
    new_pages, kept_pages = [], []
    for page_image in rendered:
        page = existing.get(page_image.number)
        if page is None:
            page = ScanPage(digital_object=digital_object, number=page_image.number)
            new_pages.append(page)
        else:
            kept_pages.append(page)
        page.image = f"{prefix}/pages/{page_image.name}.jpg"
        page.tiles_info = f"{digital_object.tiles_prefix}/{page_image.name}/info.json"
        page.width, page.height = page_image.width, page_image.height
        page.dpi, page.colour_depth = page_image.dpi, page_image.colour_depth
        page.quality_warnings = page_image.warnings
    ScanPage.objects.bulk_create(new_pages)
    ScanPage.objects.bulk_update(
        kept_pages, ["image", "tiles_info", "width", "height", "dpi", "colour_depth", "quality_warnings"]
    )


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


def save_archival_copy(digital_object, original, rendered, layers, outcome):
    """The PDF/A-2b: the scan's own pages with Tesseract's invisible text layers laid over them.

    ``layers`` maps page numbers to the text-only PDF pages the OCR stage stored.
    """
    output = archival_copy_path(digital_object, outcome)
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


def upload_all(uploads):
    """Store each ``(local path, storage name)``, several at once (object storage is slow per file)."""
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        for _done in pool.map(lambda item: put_file(*item), uploads):
            pass


def save_fresh(local_path, digital_object):
    """Store a PDF/A under a fresh name: the copy the database points at stays until the switch."""
    with open(local_path, "rb") as handle:
        return default_storage.save(f"{digital_object.storage_prefix}/pdfa/{local_path.name}", File(handle))


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


def _delete_all_quietly(names):
    for name in names:
        _delete_quietly(name)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- failures -------------------------------------------------------------------------------------


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
                enqueue_stage(digital_object.pk, digital_object.stage)
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

    from .tasks import recognise_scan

    return isinstance(task_backends[recognise_scan.backend], DatabaseBackend)


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
