"""``import_package`` killed with SIGKILL in the middle of a run, then run again: nothing lost or doubled."""

import hashlib
import io
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from collections_app.factories import DigitalObjectFactory, DocumentFactory, FondsFactory, RecordFileFactory
from collections_app.ingest import samples
from collections_app.models import DigitalObject, Document, InformationPackage, RecordFile

# Committed data, so that the killed command (another process) sees it; the rollback keeps the
# data migrations' rows for the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PACKAGES = 6
SCANS_PER_FILE = 3


@pytest.fixture
def exported(tuyen_quang, dong_nai, tmp_path):
    """Six exported packages of three scanned documents each, and a file storage both processes share."""
    storage_dir = tmp_path / "media"
    storage_dir.mkdir()
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": storage_dir},
        },
    }
    with override_settings(STORAGES=storages):
        fonds = FondsFactory(archive=tuyen_quang, code="P05")
        for number in range(PACKAGES):
            record_file = RecordFileFactory(
                series=None, fonds=fonds, year=2018, file_number=f"{number + 1:02d}"
            )
            for ordinal in range(1, SCANS_PER_FILE + 1):
                DigitalObjectFactory(
                    document=DocumentFactory(file=record_file, ordinal=ordinal),
                    content=samples.pdf_scan([f"Hồ sơ {number}, tài liệu {ordinal}"], dpi=150),
                    mime_type="application/pdf",
                    original_name=f"{ordinal}.pdf",
                )
        packages = tmp_path / "packages"
        packages.mkdir()
        call_command("export_package", str(packages), "--archive", "LT08", stdout=io.StringIO())
        expected = dict(
            DigitalObject.objects.filter(archive=tuyen_quang).values_list("document__doc_id", "sha256")
        )
        yield packages, storage_dir, expected


def import_command(packages, database_url, storage_dir):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "archivecms.settings.test_worker",  # file storage, shared database
        "DATABASE_URL": database_url,
        "TEST_STORAGE_DIR": str(storage_dir),
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "import_package", str(packages), "--archive", "LT75"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def imported_count():
    return InformationPackage.objects.filter(archive__code="LT75", direction="import").count()


def test_a_killed_import_resumes_without_loss_or_duplicates(exported, tmp_path, other_process_database):
    packages, storage_dir, expected = exported
    with other_process_database(tmp_path) as database_url:
        process = import_command(packages, database_url, storage_dir)
        deadline = time.monotonic() + 120
        while imported_count() < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is not None:
            pytest.skip(reason="the import finished before it could be killed (machine too fast)")
        process.send_signal(signal.SIGKILL)  # mid-run: at least two packages done, the next one half-way
        process.wait()
        assert 2 <= imported_count() < PACKAGES

        resumed = import_command(packages, database_url, storage_dir)
        output = resumed.communicate(timeout=300)[0].decode()
        assert resumed.returncode == 0, output
        assert "[đã nhập trước]" in output

        assert imported_count() == PACKAGES
        assert RecordFile.objects.filter(archive__code="LT75").count() == PACKAGES
        assert Document.objects.filter(archive__code="LT75").count() == PACKAGES * SCANS_PER_FILE
        copies = DigitalObject.objects.filter(archive__code="LT75")
        assert dict(copies.values_list("document__doc_id", "sha256")) == expected
        for scan in copies:
            assert hashlib.sha256((storage_dir / scan.file.name).read_bytes()).hexdigest() == scan.sha256
        stored = sorted(
            path.relative_to(storage_dir).as_posix()
            for path in (storage_dir / "scans" / "LT75").rglob("*")
            if path.is_file()
        )
        assert stored == sorted(scan.file.name for scan in copies)  # no file left by the killed run
