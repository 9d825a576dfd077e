"""A real ``manage.py merge_archives`` process killed with SIGKILL mid-fonds, then resumed.

The process uses ``archivecms.settings.test_worker``: this test's database (on SQLite a file copy of
the in-memory test database, used by this process too meanwhile) and a file storage in a temporary
folder, so both processes see the same rows and the same stored files.
"""

import hashlib
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Q
from django.test import override_settings

from collections_app.bulk import bulk_create_documents, bulk_create_files
from collections_app.factories import DigitalObjectFactory, FondsFactory, SeriesFactory
from collections_app.ingest import samples
from collections_app.models import (
    AliasReason,
    DigitalObject,
    Document,
    Fonds,
    MergeRun,
    MergeStatus,
    MergeStep,
    MergeStepStatus,
    RecordFile,
    ReferenceAlias,
    Series,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FONDS, FILES_PER_FONDS, DOCUMENTS_PER_FILE, SCANS_PER_FONDS = 6, 30, 30, 3


def build_holdings(source, destination):
    """Six fonds of 900 documents in the source, one clashing fonds code in the destination."""
    FondsFactory(archive=destination, code="P00", creator_code="")
    page = samples.png_page(dpi=30)
    for number in range(FONDS):
        fonds = FondsFactory(archive=source, code=f"P{number:02d}", creator_code="")
        series = SeriesFactory(fonds=fonds, number="01")
        files = bulk_create_files(
            RecordFile(series=series, year=2019, file_number=f"{n:03d}", title=f"Hồ sơ đất đai số {n}")
            for n in range(1, FILES_PER_FONDS + 1)
        )
        bulk_create_documents(
            Document(file=file, ordinal=ordinal, type_name="02", title="Quyết định giao đất")
            for file in files
            for ordinal in range(1, DOCUMENTS_PER_FILE + 1)
        )
        first_documents = Document.objects.filter(file__fonds=fonds, ordinal=1).order_by("pk")
        for index, document in enumerate(first_documents[:SCANS_PER_FONDS]):
            DigitalObjectFactory(document=document, content=page + f"{number}-{index}".encode())


def holdings_snapshot():
    """Each row under the merged fonds by id, and each scan's stored file with its SHA-256."""
    scans = {
        scan.pk: (scan.file.name, hashlib.sha256(scan.file.open("rb").read()).hexdigest())
        for scan in DigitalObject.objects.all()
    }
    return {
        "documents": Document.objects.count(),
        "files": RecordFile.objects.count(),
        "series": Series.objects.count(),
        "fonds": Fonds.objects.count(),
        "scans": scans,
    }


def start_merge(environment, *arguments):
    return subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", "merge_archives", "--into", "LT75", *arguments],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_mid_fonds(process, steps_done_before, rng):
    """SIGKILL once the process has moved at least one more fonds, at a random moment after it."""
    deadline = time.monotonic() + 120
    while MergeStep.objects.filter(status=MergeStepStatus.DONE).count() <= steps_done_before:
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the merger did not move a fonds"
        time.sleep(0.01)
    time.sleep(rng.uniform(0, 0.05))
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def assert_each_fonds_whole(source, destination):
    """A killed transaction leaves each fonds entirely in one archive: moved with its step, or not."""
    for step in MergeStep.objects.select_related("fonds"):
        archive = destination if step.status == MergeStepStatus.DONE else source
        fonds = step.fonds
        assert fonds.archive_id == archive.pk
        assert not Document.objects.filter(file__fonds=fonds).exclude(archive=archive).exists()
        assert not RecordFile.objects.filter(fonds=fonds).exclude(archive=archive).exists()
        assert (
            not DigitalObject.objects.filter(Q(document__file__fonds=fonds)).exclude(archive=archive).exists()
        )
        aliases = ReferenceAlias.objects.filter(code__startswith=f"{step.old_reference_code}.")
        assert aliases.exists() == (step.status == MergeStepStatus.DONE)


def test_merge_killed_mid_fonds_resumes_with_nothing_lost_or_doubled(
    tuyen_quang, dong_nai, tmp_path, other_process_database
):
    storage_dir = tmp_path / "media"
    storage_dir.mkdir()
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": storage_dir},
        },
    }
    rng = random.Random()  # a different kill point every run
    with override_settings(STORAGES=storages):
        build_holdings(tuyen_quang, dong_nai)
        before = holdings_snapshot()
        with other_process_database(tmp_path) as database_url:
            environment = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "archivecms.settings.test_worker",
                "DATABASE_URL": database_url,
                "TEST_STORAGE_DIR": str(storage_dir),
            }
            killed, pending_after_kill = 0, []
            for arguments in (("--from", "LT08"), ("--resume",)):
                done_before = MergeStep.objects.filter(status=MergeStepStatus.DONE).count()
                process = start_merge(environment, *arguments)
                try:
                    killed += kill_mid_fonds(process, done_before, rng)
                finally:
                    if process.poll() is None:
                        process.kill()
                        process.wait()
                assert_each_fonds_whole(tuyen_quang, dong_nai)
                pending_after_kill.append(MergeStep.objects.filter(status=MergeStepStatus.PENDING).count())
            assert killed, "the merger finished before it could be killed"
            assert pending_after_kill[0] > 0, "the first kill came after the last fonds had moved"
            # Nobody recorded the kill: the run is still marked as moving (or verifying).
            assert MergeRun.objects.get().status in (MergeStatus.RUNNING, MergeStatus.VERIFYING)

            call_command("merge_archives", "--into", "LT75", "--resume")

            run = MergeRun.objects.get()
            assert run.status == MergeStatus.DONE, run.message
            after = holdings_snapshot()
            assert {key: after[key] for key in ("documents", "files", "series", "fonds")} == {
                key: before[key] for key in ("documents", "files", "series", "fonds")
            }
            assert after["scans"] == before["scans"]  # same files, same bytes
            moved = FONDS * FILES_PER_FONDS * DOCUMENTS_PER_FILE
            assert Document.objects.filter(archive=dong_nai).count() == moved
            assert Document.objects.values("reference_code").distinct().count() == moved
            merged = ReferenceAlias.objects.filter(reason=AliasReason.MERGED)
            assert merged.count() == FONDS * (1 + 1 + FILES_PER_FONDS + FILES_PER_FONDS * DOCUMENTS_PER_FILE)
            assert merged.values("content_type", "object_id").distinct().count() == merged.count()
            assert run.verification["files_checked"] == FONDS * SCANS_PER_FONDS
