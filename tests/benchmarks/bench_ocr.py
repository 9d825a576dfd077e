"""OCR throughput: scans processed by two real ``db_worker`` processes against Tesseract run directly.

40 A4 pages of Vietnamese text at 300 dpi are rendered once. The reference runs ``tesseract <page>
- -l vie`` on every page, two at a time, each with ``OMP_THREAD_LIMIT=1``. Then the same pages go
through the product: queued as scans, drained by two ``manage.py db_worker`` processes (one
single-threaded Tesseract each, ``SCAN_OCR_JOBS=1``), in two shapes: 40 one-page PNG scans, and
four ten-page PDFs (skip mode, no text layer yet: every page is recognised).

Processing has two stages (collections_app/ingest/processing.py): the text first (higher task
priority), then page images, tiles, thumbnail and the PDF/A. Per shape, right after its own
reference run (the ratio compares like with like on a machine whose load varies), two rows:

- OCR throughput: pages / (time from queueing to the moment the last scan's text is saved, its
  ``ocr_finished_at`` set, seen by polling every 0.1 s): what the target is about;
- the whole pipeline: pages / (time from queueing until every scan is done), images and PDF/A
  included.

Target: OCR row ≥ 0.9 × the reference (PASS/FAIL is printed, not asserted). The seconds per page of
each stage, summed over the tasks' returned timings, are printed under the table.

Run (see README.md in this folder)::

    .venv/bin/pytest tests/benchmarks/bench_ocr.py -s -p no:cacheprovider --ds=archivecms.settings.test

Environment:
    BENCH_OCR_PAGES     pages (default 40)
    BENCH_OCR_WORKERS   db_worker processes and parallel reference Tesseracts (default 2)
    BENCH_OCR_SHAPES    comma-separated: ``images`` (one-page PNG scans), ``pdf10`` (ten-page PDFs)
"""

import io
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.test import override_settings
from PIL import Image

from collections_app.factories import DigitalObjectFactory, DocumentFactory
from collections_app.ingest import samples
from collections_app.ingest.processing import queue_processing
from collections_app.models import DigitalObject, ProcessingState

pytestmark = pytest.mark.benchmark

PAGES = int(os.environ.get("BENCH_OCR_PAGES", "40"))
WORKERS = int(os.environ.get("BENCH_OCR_WORKERS", "2"))
SHAPES = [shape for shape in os.environ.get("BENCH_OCR_SHAPES", "images,pdf10").split(",") if shape]
TARGET_RATIO = 0.9
DPI = 300
WORKER_SETTINGS = {"SCAN_OCR_JOBS": 1, "SCAN_HEARTBEAT_SECONDS": 30, "SCAN_STALE_AFTER_SECONDS": 600}

RESULTS = []
STAGE_LINES = []


@pytest.fixture(scope="module")
def pages_dir(tmp_path_factory):
    """The 40 pages, rendered once as 300 dpi PNG files."""
    folder = tmp_path_factory.mktemp("ocr-pages")
    for number in range(1, PAGES + 1):
        text = samples.sample_text(len(samples.SAMPLE_PARAGRAPHS), offset=number)
        (folder / f"{number:04d}.png").write_bytes(samples.png_page(text, dpi=DPI))
    return folder


@pytest.fixture(scope="module", autouse=True)
def print_table():
    yield
    print(f"\n\nOCR throughput, {PAGES} A4 pages at {DPI} dpi, {WORKERS} in parallel")
    print(f"{'run':<72} {'seconds':>8} {'pages/s':>8} {'× ref':>6}")
    reference = None
    for name, seconds, pages_per_second, judged in RESULTS:
        if name.startswith("reference"):
            reference = pages_per_second
            print(f"{name:<72} {seconds:8.1f} {pages_per_second:8.2f}")
            continue
        ratio = pages_per_second / reference
        verdict = ("PASS" if ratio >= TARGET_RATIO else "FAIL") if judged else ""
        print(f"{name:<72} {seconds:8.1f} {pages_per_second:8.2f} {ratio:6.2f} {verdict}")
    for line in STAGE_LINES:
        print(line)


def run_reference(pages_dir):
    """Tesseract on every page, WORKERS at a time, each single-threaded; appended to the results."""
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def recognise(path):
        subprocess.run(  # noqa: S603
            ["tesseract", str(path), "-", "-l", "vie"],  # noqa: S607
            check=True,
            capture_output=True,
            env=environment,
        )

    paths = sorted(pages_dir.glob("*.png"))
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(recognise, paths))
    seconds = time.monotonic() - started
    RESULTS.append(
        (f"reference: tesseract <page> - -l vie, {WORKERS} at a time", seconds, PAGES / seconds, False)
    )


def worker_environment(database_url, storage_dir):
    return {
        "DATABASE_URL": database_url,
        "TEST_STORAGE_DIR": str(storage_dir),
        **{name: str(value) for name, value in WORKER_SETTINGS.items()},
    }


def scans_for(shape, pages_dir):
    """(content, name, mime type) of the scans that hold the pages, in the given shape."""
    paths = sorted(pages_dir.glob("*.png"))
    if shape == "images":
        return [(path.read_bytes(), path.name, "image/png") for path in paths]
    size = int(shape.removeprefix("pdf"))
    scans = []
    for start in range(0, len(paths), size):
        chunk = paths[start : start + size]
        images = [Image.open(path).convert("RGB") for path in chunk]
        buffer = io.BytesIO()
        images[0].save(buffer, format="PDF", resolution=DPI, save_all=True, append_images=images[1:])
        scans.append((buffer.getvalue(), f"ho-so-{start // size + 1}.pdf", "application/pdf"))
    return scans


def wait_for_stages(ids, started, timeout, log_dir):
    """Seconds from ``started`` until every scan's text was saved, and until every scan was done."""
    deadline = time.monotonic() + timeout
    text_seconds = None
    scans = DigitalObject.objects.filter(pk__in=ids)
    while time.monotonic() < deadline:
        if text_seconds is None and not scans.filter(ocr_finished_at__isnull=True).exists():
            text_seconds = time.monotonic() - started
        states = list(scans.values_list("state", flat=True))
        if all(state in (ProcessingState.DONE, ProcessingState.FAILED) for state in states):
            done_seconds = time.monotonic() - started
            return text_seconds or done_seconds, done_seconds
        time.sleep(0.1)
    logs = "\n".join(path.read_text(errors="replace")[-2000:] for path in log_dir.glob("*.log"))
    pytest.fail(f"Scans not processed within {timeout} s. Worker logs:\n{logs}")


@pytest.mark.parametrize("shape", SHAPES)
def test_pipeline_with_db_workers(
    shape, pages_dir, django_db_setup, django_db_blocker, tmp_path, other_process_database, db_workers
):
    from django_tasks_db.models import DBTaskResult

    storage_dir = tmp_path / "media"
    storage_dir.mkdir()
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": storage_dir},
        },
    }
    tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with (
        django_db_blocker.unblock(),
        other_process_database(tmp_path) as database_url,
        override_settings(STORAGES=storages, TASKS=tasks, **WORKER_SETTINGS),
    ):
        scans = [
            DigitalObjectFactory(
                content=content, original_name=name, mime_type=mime, document=DocumentFactory()
            )
            for content, name, mime in scans_for(shape, pages_dir)
        ]
        # The reference right before, in the same conditions: the ratio is what counts.
        run_reference(pages_dir)
        with db_workers(WORKERS, worker_environment(database_url, storage_dir), tmp_path):
            time.sleep(4)  # the workers' start-up (Django set-up) is not part of the measurement
            started = time.monotonic()
            for digital_object in scans:
                queue_processing(digital_object)
            text_seconds, done_seconds = wait_for_stages(
                [scan.pk for scan in scans], started, timeout=60 * PAGES, log_dir=tmp_path
            )
        failed = DigitalObject.objects.filter(
            pk__in=[scan.pk for scan in scans], state=ProcessingState.FAILED
        )
        assert not failed.exists(), list(failed.values_list("original_name", "state_message"))
        pages = sum(
            DigitalObject.objects.filter(pk__in=[scan.pk for scan in scans]).values_list(
                "page_count", flat=True
            )
        )
        assert pages == PAGES
        stage_seconds = {}
        for row in DBTaskResult.objects.filter(status="SUCCESSFUL"):
            task = row.task_path.rsplit(".", 1)[-1]
            for stage, value in (row.return_value or {}).get("seconds", {}).items():
                key = f"{task}.{stage}"
                stage_seconds[key] = stage_seconds.get(key, 0) + value
        DBTaskResult.objects.all().delete()

    label = (
        f"{len(scans)} one-page PNG scans" if shape == "images" else f"{len(scans)} PDFs of {shape[3:]} pages"
    )
    RESULTS.append(
        (
            f"db_worker ×{WORKERS}, OCR (until the last text saved), {label}",
            text_seconds,
            PAGES / text_seconds,
            True,
        )
    )
    RESULTS.append(
        (
            f"db_worker ×{WORKERS}, whole pipeline (until all done), {label}",
            done_seconds,
            PAGES / done_seconds,
            False,
        )
    )
    per_page = ", ".join(f"{stage} {value / PAGES:.2f}" for stage, value in sorted(stage_seconds.items()))
    STAGE_LINES.append(f"{label}: worker seconds per page by task and step: {per_page}")
