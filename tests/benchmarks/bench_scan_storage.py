"""Scan intake throughput: hash and store 1 GB of scans through ``ingest_scan_file``.

Half the bytes are PDFs, half TIFFs, each a valid file whose page is an uncompressed image of random
(incompressible) pixels, so python-magic, pikepdf and Pillow see real scans. They are written once
to a temporary folder, then:

- hashing alone: ``scans.digest_file`` over every file (the single read intake makes to hash);
- a plain Python file copy of every file, as a reference for what writing the bytes costs here;
- intake: ``ingest_scan_file`` for every file (hash, type check, header checks, copy into a
  ``FileSystemStorage`` in a temporary folder, row insert), inside a transaction rolled back at the
  end so nothing is queued for processing and no row is left.

Prints MB/s for both. Figures are measurements, not asserts; the source files are read from the page
cache (they were just written), so the figures are CPU and write bound, not disk-read bound.

Run::

    .venv/bin/pytest tests/benchmarks/bench_scan_storage.py -s -p no:cacheprovider \\
        --ds=archivecms.settings.test

Environment:
    BENCH_SCAN_MB        total size of the generated scans in MB (default 1024)
    BENCH_SCAN_FILE_MB   size of each file in MB (default 64)
"""

import math
import os
import shutil
import time
from pathlib import Path

import pikepdf
import pytest
from django.db import transaction
from django.test import override_settings
from PIL import Image

from collections_app.factories import (
    ArchiveFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    current_province,
)
from collections_app.ingest import scans
from collections_app.ingest.scans import Status, ingest_scan_file

pytestmark = pytest.mark.benchmark

MB = 1024 * 1024


def env_int(name, default):
    return int(os.environ.get(name, "").replace("_", "") or default)


TOTAL_MB = env_int("BENCH_SCAN_MB", 1024)
FILE_MB = env_int("BENCH_SCAN_FILE_MB", 64)


def noise_side(size_bytes):
    """The side of a square RGB image of about ``size_bytes`` bytes."""
    return int(math.sqrt(size_bytes / 3))


def write_pdf(path, size_bytes):
    side = noise_side(size_bytes)
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, os.urandom(side * side * 3))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height = side, side
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    points = side * 72 / 300  # a page scanned at 300 dpi
    pdf.add_blank_page(page_size=(points, points))
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pikepdf.Stream(pdf, f"q {points} 0 0 {points} 0 0 cm /Im0 Do Q".encode())
    pdf.save(path, compress_streams=False)


def write_tiff(path, size_bytes):
    side = noise_side(size_bytes)
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        path, format="TIFF", dpi=(300, 300)
    )


@pytest.fixture(scope="module")
def scan_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scans-source")
    count = max(2, TOTAL_MB // FILE_MB)
    paths = []
    started = time.perf_counter()
    for number in range(count):
        if number % 2:
            path = folder / f"scan-{number:03d}.tif"
            write_tiff(path, FILE_MB * MB)
        else:
            path = folder / f"scan-{number:03d}.pdf"
            write_pdf(path, FILE_MB * MB)
        paths.append(path)
    size = sum(path.stat().st_size for path in paths)
    print(f"\nGenerated {count} scans, {size / MB:,.0f} MB, in {time.perf_counter() - started:.1f} s")
    return paths


def measure(label, paths, work):
    size = sum(path.stat().st_size for path in paths)
    started = time.perf_counter()
    for path in paths:
        work(path)
    elapsed = time.perf_counter() - started
    rate = size / MB / elapsed
    print(f"{label:<48} {size / MB:>8,.0f} MB {elapsed:>8.2f} s {rate:>9,.0f} MB/s")
    return rate


def hash_only(path):
    with open(path, "rb") as handle:
        scans.digest_file(handle)


def plain_copy(path, folder):
    with open(path, "rb") as source, open(folder / path.name, "wb") as target:
        shutil.copyfileobj(source, target, 64 * 1024)


def test_hash_and_store_a_gigabyte_of_scans(scan_files, django_db_setup, django_db_blocker, tmp_path):
    storage_root = tmp_path / "media"
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(storage_root)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    print()
    hashing = measure("hash only (SHA-256, 1 MB chunks)", scan_files, hash_only)
    copies = tmp_path / "copies"
    copies.mkdir()
    measure("plain copy, for reference (64 KB chunks)", scan_files, lambda path: plain_copy(path, copies))
    with django_db_blocker.unblock(), override_settings(STORAGES=storages), transaction.atomic():
        archive = ArchiveFactory(code="LTB01", slug="bench-scans", unit=current_province("Tuyên Quang"))
        document = DocumentFactory(
            file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=archive)))
        )
        results = []

        def intake(path):
            results.append(ingest_scan_file(Path(path), path.name, document))

        intake_rate = measure("hash + check + store (ingest_scan_file)", scan_files, intake)
        transaction.set_rollback(True)  # nothing queued, no rows left
    refused = [result for result in results if result.status != Status.STORED]
    assert not refused, [result.message for result in refused]
    stored = [path for path in storage_root.rglob("*") if path.is_file()]
    assert len(stored) == len(scan_files)
    print(f"Intake runs at {intake_rate / hashing:.0%} of the hashing speed.")
