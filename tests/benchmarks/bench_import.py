"""Description import at provincial scale: a million document rows from one CSV, validated and written.

A CSV of document rows is generated (the file's columns repeated on every row, as archives keep
their inventories; 20 documents per file), then imported through ``import_records``' job runner
(``collections_app.ingest.importing.jobs.run_job``): the whole file validated, then written in
batches with the checkpoint. It prints rows/s (validation included), the split between validation
and writing, peak memory (``ru_maxrss`` of the process), and the ratio to a naive import measured in
the same run on a small sample: each row read with ``csv.DictReader``, its file found or created,
its document checked with ``full_clean()`` and saved, one row at a time through the ORM.

The search indexing of the imported rows is queued, as in production: the import runs with the
database task backend (``django_tasks_db``) and only enqueues ``search.tasks.index_records``, which
``db_worker`` runs afterwards (its rate is measured by ``bench_search.py``). The number of queued
indexing tasks is printed.

Target: ≥ 10,000 rows/s including validation, peak memory ≤ 500 MB (printed PASS/FAIL; only an
import that fails or loses rows fails the test).

Run (see README.md in this folder)::

    DATABASE_URL=$(bash scripts/postgres-test-database.sh) \\
        .venv/bin/pytest tests/benchmarks/bench_import.py -s -p no:cacheprovider -o addopts=""

Environment:
    BENCH_IMPORT_ROWS   document rows in the generated CSV (default 1000000; e.g. 20000 for a smoke run)
    BENCH_SAMPLE        rows imported one by one through the ORM for the ratio (default 2000)
    BENCH_BATCH         rows per batch (default 2000)
    BENCH_PROFILE       1: run the import under cProfile and print the 25 costliest functions
"""

import cProfile
import csv
import io
import os
import pstats
import resource
import time

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from archivecms.portal.factories import national_home
from collections_app.factories import ArchiveFactory, current_province
from collections_app.ingest.importing.jobs import run_job, sha256_of
from collections_app.models import (
    Document,
    Fonds,
    ImportJob,
    ImportStatus,
    RecordFile,
    ReferenceAlias,
    Series,
)

pytestmark = pytest.mark.benchmark


def env_int(name, default):
    return int(os.environ.get(name, "").replace("_", "") or default)


ROWS = env_int("BENCH_IMPORT_ROWS", 1_000_000)
SAMPLE = env_int("BENCH_SAMPLE", 2_000)
BATCH = env_int("BENCH_BATCH", 2_000)
PROFILE = os.environ.get("BENCH_PROFILE", "0") == "1"
QUEUED_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

TARGET_ROWS_PER_SECOND = 10_000
TARGET_PEAK_MB = 500
DOCUMENTS_PER_FILE = 20
FONDS = 4
SERIES_PER_FONDS = 5
ARCHIVE_CODE = "LT98"
SAMPLE_ARCHIVE_CODE = "LT97"

HEADER = [
    "Mã phông",
    "Tên phông",
    "Mục lục số",
    "Mã hồ sơ",
    "Tiêu đề hồ sơ",
    "Thời gian bắt đầu",
    "Thời gian kết thúc",
    "Thời hạn lưu trữ",
    "Chế độ sử dụng",
    "Ngôn ngữ",
    "Hộp số",
    "Số lượng tờ",
    "Mã định danh tài liệu",
    "Tên loại tài liệu",
    "Số",
    "Ký hiệu",
    "Ngày tháng năm",
    "Cơ quan ban hành",
    "Trích yếu nội dung",
    "Số lượng trang",
    "Ngôn ngữ",
    "Chế độ sử dụng",
    "Nhóm tài liệu",
]
FILE_SUBJECTS = (
    "Hồ sơ giao đất, cho thuê đất đối với hộ gia đình, cá nhân tại xã {place}",
    "Hồ sơ về việc phê duyệt dự án đầu tư xây dựng công trình đường giao thông {place}",
    "Hồ sơ giải quyết khiếu nại của công dân về bồi thường, hỗ trợ tái định cư tại {place}",
)
PLACES = ("Long Thọ", "Phước Thiền", "Hiệp Phước", "Tân Trào", "Yên Sơn", "Hàm Yên", "Chiêm Hóa")
DOCUMENT_TYPES = (
    ("Quyết định", "/ QĐ-UBND", "Quyết định về việc {subject}"),
    ("Công văn", "UBND-KT", "Công văn về việc {subject}"),
    ("Tờ trình", "TTr-TNMT", "Tờ trình đề nghị {subject}"),
    ("14", "BC-UBND", "Báo cáo kết quả {subject}"),
    ("Biên bản", "BB-HĐ", "Biên bản họp xét {subject}"),
)
SUBJECTS = (
    "giao đất ở cho hộ ông Nguyễn Văn Bình",
    "thu hồi đất để thực hiện dự án khu dân cư",
    "phê duyệt phương án bồi thường, hỗ trợ và tái định cư",
    "cấp giấy chứng nhận quyền sử dụng đất",
)
RESULTS = {}


# The generated inventory ---------------------------------------------------------------------------


def document_rows(count, first_file=1):
    """Rows of ``count`` documents, 20 per file, files spread over 4 fonds × 5 series."""
    files = -(-count // DOCUMENTS_PER_FILE)
    written = 0
    for file_index in range(first_file, first_file + files):
        fonds = 1 + file_index % FONDS
        series = 1 + (file_index // FONDS) % SERIES_PER_FONDS
        year = 1976 + file_index % 49
        fonds_code = f"BP{fonds:02d}"
        file_code = f"{fonds_code}.{year}.{file_index:06d}.{series:02d}"
        file_columns = [
            fonds_code,
            f"Ủy ban nhân dân huyện Thử Nghiệm {fonds}",
            f"{series:02d}",
            file_code,
            FILE_SUBJECTS[file_index % len(FILE_SUBJECTS)].format(place=PLACES[file_index % len(PLACES)]),
            f"{1 + file_index % 28:02d}/{1 + file_index % 12:02d}/{year}",
            f"12/{year}",
            "Vĩnh viễn" if file_index % 4 else "70 năm",
            "01",
            "Tiếng Việt",
            str(1 + file_index // 40),
            str(20 + file_index % 180),
        ]
        for ordinal in range(1, DOCUMENTS_PER_FILE + 1):
            if written == count:
                return
            written += 1
            type_name, notation, title = DOCUMENT_TYPES[ordinal % len(DOCUMENT_TYPES)]
            yield file_columns + [
                f"{file_code}.{ordinal}",
                type_name,
                str(100 + (file_index * 31 + ordinal) % 9000),
                notation,
                f"{1 + ordinal % 28:02d}/{1 + ordinal % 12:02d}/{year}",
                "Ủy ban nhân dân tỉnh Đồng Nai",
                title.format(subject=SUBJECTS[(file_index + ordinal) % len(SUBJECTS)]),
                str(1 + ordinal % 9),
                "1",
                "Công khai" if ordinal % 17 else "Sử dụng có điều kiện",
                "đất đai" if file_index % 5 == 0 and ordinal == 1 else "",
            ]


def write_csv(path, count):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(document_rows(count))


# Helpers -------------------------------------------------------------------------------------------


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def delete_archive_records(archive):
    quote = connection.ops.quote_name
    document, file = quote(Document._meta.db_table), quote(RecordFile._meta.db_table)
    file_scope = f"SELECT id FROM {file} WHERE archive_id = %s"
    with connection.cursor() as cursor:
        for model, column, scope in (
            (Document, "document_id", f"SELECT id FROM {document} WHERE archive_id = %s"),
            (RecordFile, "recordfile_id", file_scope),
        ):
            links = quote(model.categories.through._meta.db_table)
            cursor.execute(f"DELETE FROM {links} WHERE {column} IN ({scope})", [archive.pk])
        cursor.execute(f"DELETE FROM {document} WHERE archive_id = %s", [archive.pk])
        cursor.execute(f"DELETE FROM {file} WHERE archive_id = %s", [archive.pk])
    ReferenceAlias.objects.filter(archive=archive).delete()
    Series.objects.filter(archive=archive).delete()
    Fonds.objects.filter(archive=archive).delete()
    ImportJob.objects.filter(archive=archive).delete()


def archive_named(code, slug):
    return ArchiveFactory(
        code=code, name=f"Trung tâm Lưu trữ thử nghiệm {code}", slug=slug, unit=current_province("Đồng Nai")
    )


def database_label():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    return connection.vendor


class Phases:
    """Seconds spent validating and writing, from the runner's progress callbacks."""

    def __init__(self):
        self.started = time.perf_counter()
        self.validated_at = None
        self.last_line = 0.0

    def __call__(self, phase, done, total, fraction):
        now = time.perf_counter()
        if phase == "importing" and self.validated_at is None:
            self.validated_at = now
        if now - self.last_line > 10:
            self.last_line = now
            print(f"  … {phase} {done:,} rows ({fraction:.0%}), {max_rss_mb():,.0f} MB", flush=True)


# The measurements ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def setup(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        national_home()
        archive = archive_named(ARCHIVE_CODE, "bench-import")
        sample_archive = archive_named(SAMPLE_ARCHIVE_CODE, "bench-import-sample")
        for each in (archive, sample_archive):
            delete_archive_records(each)
        RESULTS["database"] = database_label()
    folder = tmp_path_factory.mktemp("import")
    path = folder / "inventory.csv"
    started = time.perf_counter()
    write_csv(path, ROWS)
    RESULTS["generate_seconds"] = time.perf_counter() - started
    RESULTS["file_mb"] = path.stat().st_size / 1e6
    yield {"archive": archive, "sample_archive": sample_archive, "path": path, "folder": folder}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print_report()


def test_import_million_rows(setup, django_db_blocker):
    archive, path = setup["archive"], setup["path"]
    with django_db_blocker.unblock():
        with open(path, "rb") as handle:
            sha256 = sha256_of(handle)
        job = ImportJob.objects.create(archive=archive, original_name=path.name, sha256=sha256)
        rss_before = max_rss_mb()
        phases = Phases()
        profiler = cProfile.Profile() if PROFILE else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        with override_settings(TASKS=QUEUED_TASKS):
            job = run_job(job, path=path, batch_size=BATCH, on_progress=phases)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        validated = (phases.validated_at or time.perf_counter()) - phases.started
        documents = Document.objects.filter(archive=archive).count()
        files = RecordFile.objects.filter(archive=archive).count()
        queued = DBTaskResult.objects.filter(task_path="search.tasks.index_records").count()
    RESULTS["import"] = {
        "queued_index_tasks": queued,
        "rows": ROWS,
        "seconds": seconds,
        "validation_seconds": validated,
        "write_seconds": seconds - validated,
        "peak_mb": max_rss_mb(),
        "rss_before_mb": rss_before,
        "documents": documents,
        "files": files,
        "status": job.status,
        "message": job.message,
    }
    if profiler:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(25)
        stats = pstats.Stats(profiler, stream=io.StringIO())
        tottime = io.StringIO()
        stats.stream = tottime
        stats.sort_stats("tottime").print_stats(25)
        RESULTS["profile"] = buffer.getvalue() + tottime.getvalue()
    assert job.status == ImportStatus.DONE, job.message
    assert documents == ROWS
    assert files == -(-ROWS // DOCUMENTS_PER_FILE)


def test_naive_one_by_one(setup, django_db_blocker):
    """The same kind of rows through the ORM one at a time: the baseline for the ratio."""
    if SAMPLE < 1:
        pytest.skip(reason="BENCH_SAMPLE=0: no one-by-one sample")
    path = setup["folder"] / "sample.csv"
    write_csv(path, SAMPLE)
    archive = setup["sample_archive"]
    with django_db_blocker.unblock():
        started = time.perf_counter()
        rows = naive_import(archive, path)
        seconds = time.perf_counter() - started
        delete_archive_records(archive)
    RESULTS["naive"] = {"rows": rows, "seconds": seconds}
    assert rows == SAMPLE


def naive_import(archive, path):
    """Read each row, find or create its fonds, series and file, full_clean() and save its document."""
    fonds, series, files = {}, {}, {}
    rows = 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        for cells in reader:
            row = dict(zip(HEADER[:20], cells, strict=False))
            code = row["Mã phông"]
            if code not in fonds:
                fonds[code] = Fonds.objects.create(archive=archive, code=code, name=row["Tên phông"])
            key = (code, row["Mục lục số"])
            if key not in series:
                series[key] = Series.objects.create(
                    archive=archive, fonds=fonds[code], number=row["Mục lục số"], title="Mục lục"
                )
            file_code = row["Mã hồ sơ"]
            if file_code not in files:
                _fonds, year, number, _series = file_code.split(".")
                record_file = RecordFile(
                    archive=archive,
                    fonds=fonds[code],
                    series=series[key],
                    year=int(year),
                    file_number=number,
                    title=row["Tiêu đề hồ sơ"],
                    start_date=row["Thời gian bắt đầu"],
                    end_date=row["Thời gian kết thúc"],
                    languages=["01"],
                )
                record_file.full_clean()
                with transaction.atomic():
                    record_file.save()
                files[file_code] = record_file
            record_file = files[file_code]
            document = Document(
                archive=archive,
                file=record_file,
                ordinal=int(cells[12].rsplit(".", 1)[1]),
                type_name="02",
                code_number=cells[14],
                code_notation=cells[15].strip("/ "),
                issued_date=cells[16],
                organ_name=cells[17],
                title=cells[18],
                page_count=int(cells[19]),
                languages=["01"],
            )
            document.full_clean()
            with transaction.atomic():
                document.save()
            rows += 1
    return rows


def print_report():
    width = 100
    lines = ["", "=" * width, f"Import benchmark: {ROWS:,} document rows on {RESULTS.get('database', '?')}"]
    lines.append(
        f"Machine: {os.cpu_count()} CPUs, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    if "file_mb" in RESULTS:
        lines.append(
            f"Generated CSV: {RESULTS['file_mb']:,.0f} MB in {RESULTS['generate_seconds']:.1f} s (not timed)"
        )
    imported = RESULTS.get("import")
    if imported:
        rate = imported["rows"] / imported["seconds"]
        lines.append("-" * width)
        lines.append(f"{'import_records (run_job), rows':<58}{imported['rows']:>14,}")
        lines.append(f"{'  wall time, validation + writing':<58}{imported['seconds']:>14.1f} s")
        lines.append(f"{'    validation (streamed, spooled)':<58}{imported['validation_seconds']:>14.1f} s")
        lines.append(f"{'    writing (batches + checkpoint)':<58}{imported['write_seconds']:>14.1f} s")
        queued = imported["queued_index_tasks"]
        lines.append(f"{'  search indexing tasks queued for db_worker':<58}{queued:>14,}")
        lines.append(
            f"{'  rows/s including validation':<58}{rate:>14,.0f}   target ≥ {TARGET_ROWS_PER_SECOND:,}  "
            f"{'PASS' if rate >= TARGET_ROWS_PER_SECOND else 'FAIL'}"
        )
        lines.append(
            f"{'  peak memory of the process (max RSS)':<58}{imported['peak_mb']:>11,.0f} MB   target ≤ "
            f"{TARGET_PEAK_MB} MB  {'PASS' if imported['peak_mb'] <= TARGET_PEAK_MB else 'FAIL'}"
            f"  (before import {imported['rss_before_mb']:,.0f} MB)"
        )
        lines.append(
            f"{'  written':<58}{imported['documents']:>14,} documents, {imported['files']:,} files "
            f"({imported['status']})"
        )
        naive = RESULTS.get("naive")
        if naive:
            naive_rate = naive["rows"] / naive["seconds"]
            lines.append(
                f"{'naive one by one (DictReader, full_clean, save), rows':<58}{naive['rows']:>14,}"
                f"   {naive['seconds']:.1f} s, {naive_rate:,.0f} rows/s"
            )
            lines.append(f"{'ratio import_records / one by one':<58}{rate / naive_rate:>13.1f}×")
    lines.append("=" * width)
    if RESULTS.get("profile"):
        lines.append(RESULTS["profile"])
    print("\n".join(lines))
