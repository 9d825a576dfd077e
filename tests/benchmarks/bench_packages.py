"""Circular 05 package throughput: export and import about 2 GB of packages, streaming.

An archive holds ``BENCH_PACKAGES_MB`` of scans (valid one-page PDFs whose image is random,
incompressible bytes, ``BENCH_PACKAGES_FILE_MB`` each), 8 documents per file, in a
``FileSystemStorage`` in a temporary folder. The benchmark then

- copies every stored scan once with a plain file copy, as a reference for what the disk costs;
- exports every file as a SIP with ``export_packages`` (hash while copying into the zip, METS, EAD,
  schema validation, temporary name and rename, one row and one event per package);
- imports the packages into a second archive with ``read_all`` / ``plan`` / ``import_package``
  (validation hashes every file, storing hashes the stored copy again, then its structure is
  checked), inside a transaction rolled back at the end so nothing is queued for processing.

Prints MB/s each way and the process's peak memory (``ru_maxrss``) after each phase; the target is
a peak of at most 300 MB. Figures are measurements, not asserts (only a failed import fails).

Run::

    .venv/bin/pytest tests/benchmarks/bench_packages.py -s -p no:cacheprovider --ds=archivecms.settings.test

Environment:
    BENCH_PACKAGES_MB        total size of the scans in MB (default 2048)
    BENCH_PACKAGES_FILE_MB   size of each scan in MB (default 8)
"""

import hashlib
import math
import os
import resource
import shutil
import time
import uuid

import pikepdf
import pytest
from django.db import transaction
from django.test import override_settings

from collections_app.factories import (
    ArchiveFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    current_province,
)
from collections_app.models import DigitalObject
from collections_app.transfers.packages.importer import import_package, plan, read_all
from collections_app.transfers.packages.writer import export_packages

pytestmark = pytest.mark.benchmark

MB = 1024 * 1024
DOCUMENTS_PER_FILE = 8


def env_int(name, default):
    return int(os.environ.get(name, "").replace("_", "") or default)


TOTAL_MB = env_int("BENCH_PACKAGES_MB", 2048)
FILE_MB = env_int("BENCH_PACKAGES_FILE_MB", 8)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_pdf(path, size_bytes):
    side = int(math.sqrt(size_bytes / 3))
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, os.urandom(side * side * 3))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height = side, side
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    points = side * 72 / 300
    pdf.add_blank_page(page_size=(points, points))
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pikepdf.Stream(pdf, f"q {points} 0 0 {points} 0 0 cm /Im0 Do Q".encode())
    pdf.save(path, compress_streams=False)


def digest(path):
    sha256 = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(MB):
            sha256.update(chunk)
    return sha256.hexdigest()


def load_holdings(archive, folder):
    """Files of 8 documents, each document with one stored scan written straight into storage."""
    fonds = FondsFactory(archive=archive, code="PB1")
    count = max(2, TOTAL_MB // FILE_MB)
    record_file = None
    for number in range(count):
        if number % DOCUMENTS_PER_FILE == 0:
            record_file = RecordFileFactory(series=None, fonds=fonds, year=2020, file_number=f"{number:05d}")
        document = DocumentFactory(file=record_file, ordinal=number % DOCUMENTS_PER_FILE + 1)
        source = folder / f"scan-{number:05d}.pdf"
        write_pdf(source, FILE_MB * MB)
        sha256 = digest(source)
        scan = DigitalObject(
            archive=archive,
            document=document,
            original_name=source.name,
            mime_type="application/pdf",
            size_bytes=source.stat().st_size,
            sha256=sha256,
        )
        with open(source, "rb") as handle:
            scan.file.save(source.name, handle, save=False)
        scan.save()
        source.unlink()
    return count


def timed(label, size, work):
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    print(
        f"{label:<46} {size / MB:>8,.0f} MB {elapsed:>8.1f} s {size / MB / elapsed:>8,.0f} MB/s"
        f"   peak so far {peak_mb():,.0f} MB"
    )
    return result


def test_export_and_import_packages(django_db_setup, django_db_blocker, tmp_path):
    storage_root = tmp_path / "media"
    settings_storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(storage_root)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    packages_dir = tmp_path / "packages"
    packages_dir.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with django_db_blocker.unblock(), override_settings(STORAGES=settings_storages), transaction.atomic():
        province = current_province("Tuyên Quang")
        source = ArchiveFactory(code="LTPB1", slug="bench-packages-1", unit=province)
        target = ArchiveFactory(code="LTPB2", slug="bench-packages-2", unit=province)
        started = time.perf_counter()
        count = load_holdings(source, scratch)
        stored = [path for path in storage_root.rglob("*") if path.is_file()]
        stored_bytes = sum(path.stat().st_size for path in stored)
        print(
            f"\nLoaded {count} scans ({stored_bytes / MB:,.0f} MB) in {count // DOCUMENTS_PER_FILE} files "
            f"in {time.perf_counter() - started:.0f} s; peak so far {peak_mb():,.0f} MB"
        )

        copies = tmp_path / "copies"
        copies.mkdir()

        def plain_copy():
            for path in stored:
                shutil.copyfile(path, copies / f"{uuid.uuid4()}.pdf")

        timed("plain copy of the stored scans (reference)", stored_bytes, plain_copy)
        shutil.rmtree(copies)

        written = timed(
            "export_packages (SIP, zip, METS/EAD, SHA-256)",
            stored_bytes,
            lambda: list(export_packages(source, packages_dir)),
        )
        package_bytes = sum(item.path.stat().st_size for item in written)
        print(f"{len(written)} packages, {package_bytes / MB:,.0f} MB of zips")

        def import_all():
            packages = read_all(packages_dir)
            planned = plan(target, packages)
            assert not any(item.conflicts for item in planned), [item.conflicts for item in planned]
            batch = uuid.uuid4()
            return [import_package(target, item, batch=batch) for item in planned]

        imported = timed("read_all + import_package (validate, store)", package_bytes, import_all)
        assert len(imported) == len(written)
        assert DigitalObject.objects.filter(archive=target).count() == count
        transaction.set_rollback(True)
    print(f"Peak memory of the process (ru_maxrss): {peak_mb():,.0f} MB (target ≤ 300 MB)")
