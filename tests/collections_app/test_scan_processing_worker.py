"""Crash safety with real ``manage.py db_worker`` processes: a worker killed mid-scan loses nothing.

The worker processes use ``archivecms.settings.test_worker``: the database task queue, a file storage
in a temporary folder, and this test's database (on SQLite a file copy of the in-memory test
database, used by this process too for the duration of the test; on PostgreSQL the test database).
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from collections_app.factories import DigitalObjectFactory, DocumentFactory
from collections_app.ingest import processing, samples
from collections_app.ingest.processing import queue_processing
from collections_app.models import DigitalObject, PageTextRevision, ProcessingStage, ProcessingState, ScanPage

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Fast recovery for the test: progress every half second, stale after three, a sweep every second.
RECOVERY = {
    "SCAN_HEARTBEAT_SECONDS": 0.5,
    "SCAN_STALE_AFTER_SECONDS": 3,
    "SCAN_SWEEP_INTERVAL_SECONDS": 1,
    "SCAN_OCR_JOBS": 1,
}


class Workers:
    """``manage.py db_worker`` processes started (and always stopped) by the test."""

    def __init__(self, database_url, storage_dir, log_dir):
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "archivecms.settings.test_worker",
            "DATABASE_URL": database_url,
            "TEST_STORAGE_DIR": str(storage_dir),
            **{name: str(value) for name, value in RECOVERY.items()},
        }
        self.log_dir = log_dir
        self.processes = []

    def start(self):
        log = open(self.log_dir / f"worker-{len(self.processes) + 1}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-startup-delay",
                "--no-reload",
                "--interval",
                "0.2",
            ],
            cwd=settings.BASE_DIR,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((process, log))
        return process

    def logs(self):
        return "\n".join(
            path.read_text(errors="replace")[-3000:] for path in sorted(self.log_dir.glob("*.log"))
        )

    def stop_all(self):
        for process, log in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()


@pytest.fixture
def worker_setup(transactional_db, tmp_path, other_process_database):
    storage_dir = tmp_path / "media"
    storage_dir.mkdir()
    with other_process_database(tmp_path) as database_url:
        storages = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": storage_dir},
            },
        }
        tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        with override_settings(STORAGES=storages, TASKS=tasks, **RECOVERY):
            workers = Workers(database_url, storage_dir, tmp_path)
            try:
                yield workers, storage_dir
            finally:
                workers.stop_all()


def wait_for(condition, timeout, workers, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"Timed out waiting for {what}. Worker logs:\n{workers.logs()}")


def state_of(digital_object):
    return DigitalObject.objects.filter(pk=digital_object.pk).values_list("state", flat=True).get()


def ocr_started(folder):
    return any((folder / "ocr-input").glob("0001.*")) or any((folder / "ocr").glob("0001.*"))


def work_folders_of(pid):
    return list(Path(tempfile.gettempdir()).glob(f"{processing.WORK_DIR_PREFIX}{pid}-*"))


def test_a_worker_killed_mid_scan_leaves_nothing_half_done_and_another_worker_finishes(worker_setup):
    workers, storage_dir = worker_setup
    texts = [samples.sample_text(2, offset=0), samples.sample_text(2, offset=2)]
    document = DocumentFactory()
    digital_object = DigitalObjectFactory(
        content=samples.pdf_scan(texts, dpi=300),
        original_name="ho-so-2-trang.pdf",
        mime_type="application/pdf",
        document=document,
    )
    queue_processing(digital_object)
    first_task = DigitalObject.objects.get(pk=digital_object.pk).task_id

    first = workers.start()
    wait_for(lambda: state_of(digital_object) == ProcessingState.PROCESSING, 60, workers, "the scan to start")
    folders = wait_for(lambda: work_folders_of(first.pid), 10, workers, "the worker's work folder")
    # Page 1 rendered for Tesseract or being recognised, page 2 not recognised yet: kill it right there.
    wait_for(lambda: any(ocr_started(folder) for folder in folders), 30, workers, "OCR to start")
    first.send_signal(signal.SIGKILL)
    first.wait()

    # Killed mid-scan: nothing of the run reached the database.
    assert state_of(digital_object) == ProcessingState.PROCESSING
    assert DigitalObject.objects.get(pk=digital_object.pk).stage == ProcessingStage.OCR
    assert not ScanPage.objects.filter(digital_object=digital_object).exists()
    assert not PageTextRevision.objects.filter(page__digital_object=digital_object).exists()
    assert DigitalObject.objects.get(pk=digital_object.pk).archival_copy.name == ""

    workers.start()
    wait_for(lambda: state_of(digital_object) == ProcessingState.DONE, 120, workers, "the scan to be done")

    digital_object.refresh_from_db()
    assert digital_object.state_message == ""
    assert digital_object.stage == ProcessingStage.IMAGES
    assert digital_object.attempts == 1  # of the images stage; the text stage took two
    assert digital_object.task_id != first_task
    pages = list(ScanPage.objects.filter(digital_object=digital_object).order_by("number"))
    assert [page.number for page in pages] == [1, 2]
    for page in pages:
        assert PageTextRevision.objects.filter(page=page).count() == 1
        assert page.text and page.text == PageTextRevision.objects.get(page=page).text
        assert (storage_dir / page.image.name).read_bytes().startswith(b"\xff\xd8\xff")
        assert (storage_dir / page.tiles_info).exists()
    assert "Nguyễn Văn Bình" in pages[1].text
    document.refresh_from_db()
    assert document.ocr_text == pages[0].text + "\n\n" + pages[1].text
    archival = storage_dir / digital_object.archival_copy.name
    assert archival.read_bytes().startswith(b"%PDF")
    assert [path.name for path in archival.parent.iterdir()] == [archival.name]  # no copy left behind

    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get(id=first_task).status == "FAILED"  # not "running" forever
    recognised = DBTaskResult.objects.filter(task_path__endswith="recognise_scan", status="SUCCESSFUL")
    assert [row.return_value["state"] for row in recognised] == ["recognised"]
    images_task = DBTaskResult.objects.filter(id=digital_object.task_id)
    wait_for(lambda: images_task.filter(status="SUCCESSFUL").exists(), 10, workers, "the task to finish")
    assert images_task.get().task_path.endswith("make_scan_images")
    assert images_task.get().return_value["state"] == "done"
    assert not any(folder.exists() for folder in folders)  # the dead worker's temporary files are gone


def test_a_worker_starting_up_recovers_a_scan_left_behind(worker_setup):
    """After a crash of every worker nothing is queued any more: the next worker to start finds the scan."""
    workers, storage_dir = worker_setup
    digital_object = DigitalObjectFactory(
        content=samples.png_page("Hồ sơ bị bỏ dở khi máy chủ tắt", dpi=200, size_inches=(4, 2)),
        original_name="bo-do.png",
        document=DocumentFactory(),
    )
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    DigitalObject.objects.filter(pk=digital_object.pk).update(
        state=ProcessingState.PROCESSING,
        task_id="5f0c6a51-8d1e-4a53-9a7e-2f3b9c1d0e42",  # its task row went with the crashed database
        attempts=1,
        started_at=long_ago,
        progress_at=long_ago,
    )

    workers.start()
    wait_for(lambda: state_of(digital_object) == ProcessingState.DONE, 60, workers, "the scan to be done")

    page = ScanPage.objects.get(digital_object=digital_object)
    assert "bỏ dở" in page.text
    assert PageTextRevision.objects.filter(page=page).count() == 1


def test_a_running_scan_records_its_progress(worker_setup):
    digital_object = DigitalObjectFactory()
    DigitalObject.objects.filter(pk=digital_object.pk).update(state=ProcessingState.QUEUED, task_id="")
    run = processing.claim(digital_object.pk, "a-task")
    claimed_at = DigitalObject.objects.get(pk=digital_object.pk).progress_at

    with processing.Heartbeat(run):
        time.sleep(1.3)

    progress_at = DigitalObject.objects.get(pk=digital_object.pk).progress_at
    assert progress_at > claimed_at
    assert timezone.now() - progress_at < timezone.timedelta(seconds=1)
    assert processing.stale_reason(DigitalObject.objects.get(pk=digital_object.pk)) is None


def test_a_worker_killed_making_the_images_keeps_the_text_and_the_images_are_made_again(worker_setup):
    workers, storage_dir = worker_setup
    digital_object = DigitalObjectFactory(
        content=samples.png_page(samples.sample_text(2), dpi=300),
        original_name="mot-trang.png",
        document=DocumentFactory(),
    )
    queue_processing(digital_object)

    first = workers.start()
    scan = DigitalObject.objects.filter(pk=digital_object.pk)
    in_images = scan.filter(stage=ProcessingStage.IMAGES, state=ProcessingState.PROCESSING)
    wait_for(in_images.exists, 90, workers, "the images stage to start")

    def page_image_written():
        return any((folder / "pages" / "0001.jpg").exists() for folder in work_folders_of(first.pid))

    wait_for(page_image_written, 30, workers, "the page image to be written")
    first.send_signal(signal.SIGKILL)
    first.wait()

    # Killed while making the images: the text is saved, nothing of the images run is.
    assert in_images.exists()
    page = ScanPage.objects.get(digital_object=digital_object)
    assert page.text and not page.image
    assert scan.get().archival_copy.name == ""

    workers.start()
    wait_for(lambda: state_of(digital_object) == ProcessingState.DONE, 120, workers, "the scan to be done")

    digital_object.refresh_from_db()
    assert digital_object.attempts == 2  # the images stage ran twice; the text stage once
    page.refresh_from_db()
    assert (storage_dir / page.image.name).read_bytes().startswith(b"\xff\xd8\xff")
    assert PageTextRevision.objects.filter(page=page).count() == 1
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path__endswith="recognise_scan").count() == 1
