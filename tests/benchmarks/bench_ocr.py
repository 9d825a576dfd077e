"""OCR throughput: scans processed by two real ``db_worker`` processes against Tesseract run directly.

40 A4 pages of Vietnamese text at 300 dpi are rendered once. The reference runs ``tesseract <page>
- -l vie`` on every page, two at a time, each with ``OMP_THREAD_LIMIT=1``. Then the same pages go
through the product: queued as scans, drained by two ``manage.py db_worker`` processes (one
single-threaded Tesseract each, ``SCAN_OCR_JOBS=1``), in two shapes: 40 one-page PNG scans, and
four ten-page PDFs (skip mode, no text layer yet: every page is recognised).

Rows, each right after its own reference run so that the ratio compares like with like on a
machine whose load varies:

- the OCR stage alone, outside the workers: ``ocr.recognise_page`` (one Tesseract run per page
  giving the text, its confidence and the invisible text layer, on the greyscale image the pipeline
  writes) on every page, two at a time;
- per shape, the whole pipeline through the workers (download, page images, IIIF tiles, thumbnail,
  OCR, the PDF/A-2b with its text layer, upload and the database switch: wall time from queueing
  to the last scan done), and under it the seconds its runs spent in Tesseract, as pages per second
  of the two workers together (slower than alone: the workers render the next pages meanwhile).

Target: ≥ 0.9 × the reference (PASS/FAIL is printed, not asserted).

Run (see README.md in this folder)::

    .venv/bin/pytest tests/benchmarks/bench_ocr.py -s -p no:cacheprovider --ds=archivecms.settings.test

Environment:
    BENCH_OCR_PAGES     pages (default 40)
    BENCH_OCR_WORKERS   db_worker processes and parallel reference Tesseracts (default 2)
    BENCH_OCR_SHAPES    comma-separated: ``images`` (one-page PNG scans), ``pdf10`` (ten-page PDFs)
"""

import io
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import pyvips
from django.conf import settings
from django.test import override_settings
from PIL import Image

from collections_app.factories import DigitalObjectFactory, DocumentFactory
from collections_app.ingest import derivatives, ocr, samples
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
    print(f"{'run':<64} {'seconds':>8} {'pages/s':>8} {'× ref':>6}")
    reference = None
    for name, seconds, pages_per_second in RESULTS:
        if name.startswith("reference"):
            reference = pages_per_second
            print(f"{name:<64} {seconds:8.1f} {pages_per_second:8.2f}")
            continue
        ratio = pages_per_second / reference
        verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
        print(f"{name:<64} {seconds:8.1f} {pages_per_second:8.2f} {ratio:6.2f} {verdict}")


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
    RESULTS.append((f"reference: tesseract <page> - -l vie, {WORKERS} at a time", seconds, PAGES / seconds))


def test_ocr_stage_as_the_pipeline_runs_it(pages_dir, tmp_path):
    """The OCR stage alone: ``ocr.recognise_page`` (text, confidence and text layer in one Tesseract
    run, on the greyscale page image the pipeline writes) on every page, WORKERS at a time."""
    greyscale = []
    for path in sorted(pages_dir.glob("*.png")):
        greyscale.append(
            derivatives.write_ocr_image(pyvips.Image.new_from_file(str(path)), tmp_path / f"{path.stem}.pgm")
        )
    run_reference(pages_dir)

    def recognise(path):
        return ocr.recognise_page(path, path.with_suffix(""), language="vie", dpi=DPI, timeout=300, threads=1)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(recognise, greyscale))
    seconds = time.monotonic() - started
    assert all(result.text and result.layer.exists() for result in results)
    RESULTS.append((f"OCR stage alone: ocr.recognise_page, {WORKERS} at a time", seconds, PAGES / seconds))


def start_workers(database_url, storage_dir, log_dir):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "archivecms.settings.test_worker",
        "DATABASE_URL": database_url,
        "TEST_STORAGE_DIR": str(storage_dir),
        **{name: str(value) for name, value in WORKER_SETTINGS.items()},
    }
    workers = []
    for number in range(WORKERS):
        log = open(log_dir / f"worker-{number}.log", "wb")  # noqa: SIM115
        command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"]
        process = subprocess.Popen(  # noqa: S603
            [*command, "--interval", "0.1"], cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=log
        )
        workers.append((process, log))
    return workers


def stop_workers(workers):
    for process, _log in workers:
        process.send_signal(signal.SIGTERM)
    for process, log in workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


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


def wait_until_done(ids, timeout, log_dir):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = list(DigitalObject.objects.filter(pk__in=ids).values_list("state", flat=True))
        if all(state in (ProcessingState.DONE, ProcessingState.FAILED) for state in states):
            return
        time.sleep(0.2)
    logs = "\n".join(path.read_text(errors="replace")[-2000:] for path in log_dir.glob("*.log"))
    pytest.fail(f"Scans not processed within {timeout} s. Worker logs:\n{logs}")


@pytest.mark.parametrize("shape", SHAPES)
def test_pipeline_with_db_workers(
    shape, pages_dir, django_db_setup, django_db_blocker, tmp_path, other_process_database
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
        workers = start_workers(database_url, storage_dir, tmp_path)
        try:
            time.sleep(4)  # the workers' start-up (Django set-up) is not part of the measurement
            started = time.monotonic()
            for digital_object in scans:
                queue_processing(digital_object)
            wait_until_done([scan.pk for scan in scans], timeout=60 * PAGES, log_dir=tmp_path)
            seconds = time.monotonic() - started
        finally:
            stop_workers(workers)
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
        for row in DBTaskResult.objects.filter(task_path__endswith="process_scan", status="SUCCESSFUL"):
            for stage, value in (row.return_value or {}).get("seconds", {}).items():
                stage_seconds[stage] = stage_seconds.get(stage, 0) + value
        DBTaskResult.objects.all().delete()

    label = (
        f"{len(scans)} one-page PNG scans" if shape == "images" else f"{len(scans)} PDFs of {shape[3:]} pages"
    )
    RESULTS.append((f"db_worker ×{WORKERS}, whole pipeline, {label}", seconds, PAGES / seconds))
    ocr_seconds = stage_seconds.get("tesseract", 0) / WORKERS
    if ocr_seconds:
        RESULTS.append(
            (f"  its OCR stage (Tesseract seconds in the runs), {label}", ocr_seconds, PAGES / ocr_seconds)
        )
    per_page = ", ".join(f"{stage} {value / PAGES:.2f}" for stage, value in sorted(stage_seconds.items()))
    print(f"\n{label}: worker seconds per page by stage: {per_page}")
