"""Provincial merger at scale: three former archives, 300,000 documents and 5,000 stored files.

Three former archives (4 fonds each, 20 documents per file) and their scans, stored as real files
(a PNG page padded to ``BENCH_MERGE_FILE_KB``) in a file storage in a temporary folder, are merged
into a fourth archive through ``collections_app.transfers.merger``: the dry run (counts, conflicts,
SHA-256 of every file), the freeze, the move fonds by fonds (aliases for every old code, new codes)
and the final check (counts and SHA-256 again). Search indexing is only queued (database task
backend), as in production.

The baseline is a plain copy of the same rows and files: ``CREATE TABLE … AS SELECT`` of the fonds,
series, files, documents and scans of the three archives into scratch tables, and a copy of every
stored file. The ratio merger / plain copy is printed, with peak memory (``ru_maxrss``).

Run (see README.md in this folder)::

    DATABASE_URL=$(bash scripts/postgres-test-database.sh) \\
        .venv/bin/pytest tests/benchmarks/bench_merge.py -s -p no:cacheprovider -o addopts=""

Environment:
    BENCH_MERGE_DOCS     documents in all three archives together (default 300000; e.g. 30000 for a smoke run)
    BENCH_MERGE_FILES    stored scan files in all three archives together (default 5000)
    BENCH_MERGE_FILE_KB  size of each stored file in KB (default 64)
"""

import os
import resource
import shutil
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from archivecms.portal.factories import national_home
from collections_app.bulk import bulk_create_files, create_documents_in_batches
from collections_app.factories import ArchiveFactory, current_province
from collections_app.ingest import samples
from collections_app.models import (
    DigitalObject,
    Document,
    Fonds,
    MergeStatus,
    RecordFile,
    ReferenceAlias,
    Series,
)
from collections_app.transfers import merger

pytestmark = pytest.mark.benchmark


def env_int(name, default):
    return int(os.environ.get(name, "").replace("_", "") or default)


DOCUMENTS = env_int("BENCH_MERGE_DOCS", 300_000)
STORED_FILES = env_int("BENCH_MERGE_FILES", 5_000)
FILE_KB = env_int("BENCH_MERGE_FILE_KB", 64)
SOURCES = ("BM1", "BM2", "BM3")
DESTINATION = "BM0"
FONDS_PER_ARCHIVE = 4
DOCUMENTS_PER_FILE = 20
QUEUED_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
COPIED_TABLES = (Fonds, Series, RecordFile, Document, DigitalObject)


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def archive(code):
    return ArchiveFactory(
        code=code,
        name=f"Lưu trữ lịch sử thử {code}",
        slug=f"bench-merge-{code.lower()}",
        unit=current_province("Tuyên Quang"),
    )


def build_source(source, documents, stored_files, page, storage_dir):
    """Fonds P01..P04 (the destination has P01 too: one clash per archive), files of 20 documents."""
    files_wanted = -(-documents // DOCUMENTS_PER_FILE)
    all_fonds = [
        Fonds.objects.create(archive=source, code=f"P{n:02d}", name=f"UBND huyện {source.code} {n}")
        for n in range(1, FONDS_PER_ARCHIVE + 1)
    ]
    series = [
        Series.objects.create(fonds=fonds, number="01", title="Mục lục vĩnh viễn") for fonds in all_fonds
    ]
    files = bulk_create_files(
        RecordFile(
            series=series[index % len(series)],
            year=1990 + index % 30,
            file_number=f"{index:06d}",
            title=f"Hồ sơ giao đất số {index}",
        )
        for index in range(files_wanted)
    )
    remaining = documents
    created = []
    for batch in create_documents_in_batches(
        Document(
            file=files[index // DOCUMENTS_PER_FILE],
            ordinal=index % DOCUMENTS_PER_FILE + 1,
            type_name="02",
            title="Quyết định về việc giao đất ở",
        )
        for index in range(remaining)
    ):
        created.extend(document.pk for document in batch[:: max(1, documents // max(1, stored_files))])
    store_scans(
        source,
        Document.objects.filter(pk__in=created[:stored_files]).select_related("file"),
        page,
        storage_dir,
    )


def store_scans(source, documents, page, storage_dir):
    import hashlib

    scans = []
    for document in documents:
        content = page + document.reference_code.encode()
        sha = hashlib.sha256(content).hexdigest()
        name = f"scans/{source.code}/{sha[:2]}/{sha}/original/{document.doc_id}.png"
        path = storage_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        scans.append(
            DigitalObject(
                archive=source,
                document=document,
                file=name,
                original_name=f"{document.doc_id}.png",
                mime_type="image/png",
                size_bytes=len(content),
                sha256=sha,
            )
        )
    DigitalObject.objects.bulk_create(scans, batch_size=1000)


def plain_copy(source_ids, storage_dir, copy_dir):
    """The baseline: the same rows INSERTed from a SELECT into scratch tables, and every file copied."""
    ids = ",".join(str(pk) for pk in source_ids)
    with connection.cursor() as cursor:
        for model in COPIED_TABLES:
            table = model._meta.db_table
            cursor.execute(f"DROP TABLE IF EXISTS bench_copy_{table}")
            cursor.execute(
                f"CREATE TABLE bench_copy_{table} AS SELECT * FROM {table} WHERE archive_id IN ({ids})"
            )  # noqa: S608
    for name in DigitalObject.objects.filter(archive_id__in=source_ids).values_list("file", flat=True):
        target = copy_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(storage_dir / name, target)
    with connection.cursor() as cursor:
        for model in COPIED_TABLES:
            cursor.execute(f"DROP TABLE bench_copy_{model._meta.db_table}")


def test_merge_three_archives(django_db_setup, django_db_blocker, tmp_path):
    storage_dir, copy_dir = tmp_path / "media", tmp_path / "copy"
    storage_dir.mkdir()
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": storage_dir},
        },
    }
    page = samples.png_page(dpi=40)
    page += b"\0" * max(0, FILE_KB * 1024 - len(page))
    with django_db_blocker.unblock(), override_settings(STORAGES=storages, TASKS=QUEUED_TASKS):
        national_home()
        destination = archive(DESTINATION)
        Fonds.objects.create(archive=destination, code="P01", name="UBND huyện đã có ở tỉnh hợp nhất")
        sources = [archive(code) for code in SOURCES]
        started = time.perf_counter()
        for index, source in enumerate(sources):
            share = DOCUMENTS // 3 + (1 if index < DOCUMENTS % 3 else 0)
            files_share = STORED_FILES // 3 + (1 if index < STORED_FILES % 3 else 0)
            build_source(source, share, files_share, page, storage_dir)
        build_seconds = time.perf_counter() - started
        stored = DigitalObject.objects.filter(archive__in=sources).count()

        started = time.perf_counter()
        plain_copy([source.pk for source in sources], storage_dir, copy_dir)
        copy_seconds = time.perf_counter() - started

        rss_before = max_rss_mb()
        started = time.perf_counter()
        run = merger.plan_merge(sources, destination)
        plan_seconds = time.perf_counter() - started
        merger.freeze_run(run)
        run = merger.execute(run)
        merge_seconds = time.perf_counter() - started
        moved = Document.objects.filter(archive=destination).count()
        aliases = ReferenceAlias.objects.filter(archive=destination).count()

    print()
    print(
        f"Merger benchmark on {connection.vendor}: 3 archives → 1, {DOCUMENTS:,} documents, "
        f"{stored:,} stored files of {FILE_KB} KB"
    )
    print(f"  data built in {build_seconds:.1f} s")
    print(f"  plain copy (INSERT … SELECT of the rows + file copies): {copy_seconds:.1f} s")
    print(
        f"  merger total: {merge_seconds:.1f} s (dry run with SHA-256 of every file {plan_seconds:.1f} s, "
        f"freeze, move and final check {merge_seconds - plan_seconds:.1f} s)"
    )
    print(f"  ratio merger / plain copy: {merge_seconds / copy_seconds:.1f}")
    print(
        f"  documents moved {moved:,}, aliases kept {aliases:,}, peak memory {max_rss_mb():.0f} MB "
        f"(before the merger {rss_before:.0f} MB)"
    )
    assert run.status == MergeStatus.DONE, run.message
    assert moved == DOCUMENTS
    assert run.verification["files_checked"] == stored
