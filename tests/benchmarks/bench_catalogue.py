"""The catalogue at provincial scale: load a million documents, then time the pages that list them.

One archive is filled through the bulk path (``collections_app.bulk``), a sample of the same rows
is created one by one through the ORM for comparison, and the admin document listing and the
public series page are timed at their first and last page. Everything is printed as one table at
the end. Only a response other than 200 fails a test: the figures are measurements, not asserts.

Run (see README.md in this folder)::

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/kho_bench \\
        .venv/bin/pytest tests/benchmarks -s -p no:cacheprovider --ds=archivecms.settings.test

Environment:
    BENCH_DOCUMENTS   documents to load (default 1000000; e.g. 20000 for a smoke run)
    BENCH_SAMPLE      documents created one by one (default 2000)
    BENCH_REQUESTS    timed requests per URL (default 30), after BENCH_WARMUP untimed ones (default 3)
    BENCH_EXPLAIN     on PostgreSQL, EXPLAIN ANALYZE the slowest queries of a page missing its
                      target (default 1; 0 to skip, "all" to explain every page)
    BENCH_MIDDLE      also time the middle page of each listing, as an extra row (default 1)
    BENCH_REUSE       with ``--reuse-db``: keep a catalogue of the right size left by a previous run
                      instead of reloading it (default 0; the load is then not measured)
"""

import math
import os
import re
import resource
import time
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template.base import Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ReferenceIndex

from archivecms.portal.factories import archive_page, national_home
from collections_app import access
from collections_app.bulk import create_documents_in_batches, create_files_in_batches
from collections_app.factories import ArchiveFactory, current_province, staff_user
from collections_app.models import Document, Fonds, RecordFile, Role, Series
from collections_app.vocabularies import AccessRegime, PublicationStatus, Retention

pytestmark = pytest.mark.benchmark


def env_int(name, default):
    return int(os.environ.get(name, "").replace("_", "") or default)


DOCUMENTS = env_int("BENCH_DOCUMENTS", 1_000_000)
SAMPLE = env_int("BENCH_SAMPLE", 2_000)
REQUESTS = env_int("BENCH_REQUESTS", 30)
WARMUP = env_int("BENCH_WARMUP", 3)
EXPLAIN = os.environ.get("BENCH_EXPLAIN", "1").lower()
REUSE = os.environ.get("BENCH_REUSE", "0") == "1"
MIDDLE = os.environ.get("BENCH_MIDDLE", "1") == "1"

TARGET_P95_MS = 100

# Shape: 4 fonds × 5 series, 20 documents per file; one series holds 24 % of the files
# (12,000 of 50,000 at a million documents) so that its last public page is deep.
FONDS = 4
SERIES_PER_FONDS = 5
DOCUMENTS_PER_FILE = 20
BIG_SERIES_SHARE = 0.24

ARCHIVE_CODE = "LT99"

FILE_SUBJECTS = (
    "Hồ sơ giao đất, cho thuê đất đối với hộ gia đình, cá nhân tại xã {place}",
    "Hồ sơ về việc phê duyệt dự án đầu tư xây dựng công trình đường giao thông {place}",
    "Hồ sơ hội nghị tổng kết công tác năm {year} của Ủy ban nhân dân huyện {place}",
    "Hồ sơ giải quyết khiếu nại của công dân về bồi thường, hỗ trợ tái định cư tại {place}",
    "Hồ sơ thành lập, sáp nhập, đổi tên đơn vị hành chính cấp xã thuộc huyện {place}",
)
PLACES = ("Long Thọ", "Phước Thiền", "Hiệp Phước", "Tân Trào", "Yên Sơn", "Hàm Yên", "Chiêm Hóa")
DOCUMENT_TYPES = (
    ("02", "QĐ-UBND", "Quyết định về việc {subject}"),
    ("22", "UBND-KT", "Công văn về việc {subject}"),
    ("15", "TTr-TNMT", "Tờ trình đề nghị {subject}"),
    ("14", "BC-UBND", "Báo cáo kết quả {subject}"),
    ("20", "BB-HĐ", "Biên bản họp xét {subject}"),
)
DOCUMENT_SUBJECTS = (
    "giao đất ở cho hộ ông Nguyễn Văn Bình",
    "thu hồi đất để thực hiện dự án khu dân cư",
    "phê duyệt phương án bồi thường, hỗ trợ và tái định cư",
    "điều chỉnh quy hoạch sử dụng đất đến năm 2030",
    "cấp giấy chứng nhận quyền sử dụng đất",
)


# Shape of the catalogue ---------------------------------------------------------------------------


def catalogue_shape(documents):
    """Files per series, fonds by fonds: [[files of series 1, ...], ...] adding up to the documents."""
    files = max(1, math.ceil(documents / DOCUMENTS_PER_FILE))
    series_count = FONDS * SERIES_PER_FONDS
    big = max(1, round(files * BIG_SERIES_SHARE)) if series_count > 1 else files
    rest, extra = divmod(files - big, series_count - 1)
    sizes = [big] + [rest + (1 if index < extra else 0) for index in range(series_count - 1)]
    return [sizes[f * SERIES_PER_FONDS : (f + 1) * SERIES_PER_FONDS] for f in range(FONDS)]


def file_fields(number, series):
    """Fields of the ``number``-th file (1-based) of a series, deterministic and varied."""
    year = 1976 + (number * 7 + series.pk) % 49
    month = 1 + number % 12
    day = 1 + number % 28
    if number % 97 == 0:
        regime = AccessRegime.SECRET
    elif number % 13 == 0:
        regime = AccessRegime.CONDITIONAL
    else:
        regime = AccessRegime.OPEN
    status = PublicationStatus.DRAFT if number % 50 == 0 else PublicationStatus.PUBLISHED
    subject = FILE_SUBJECTS[number % len(FILE_SUBJECTS)]
    return {
        "archive_id": series.archive_id,
        "fonds_id": series.fonds_id,
        "series": series,
        "year": year,
        "file_number": f"{number:05d}",
        "number_in_series": number,
        "title": subject.format(place=PLACES[number % len(PLACES)], year=year),
        "start_date": f"{year:04d}-{month:02d}-{day:02d}",
        "end_date": f"{year:04d}-12-{day:02d}",
        "languages": ["01"],
        "keywords": "đất đai" if number % 5 == 0 else "",
        "retention": Retention.PERMANENT if number % 4 else Retention.YEARS_70,
        "access_regime": regime,
        "total_documents": DOCUMENTS_PER_FILE,
        "sheet_count": 20 + number % 180,
        "box": f"{1 + number // 40}",
        "shelf": f"Kho 1, giá {1 + number // 2000}",
        "publication_status": status,
    }


def document_fields(file, ordinal):
    """Fields of the ``ordinal``-th document of a saved file."""
    type_name, notation, title = DOCUMENT_TYPES[ordinal % len(DOCUMENT_TYPES)]
    subject = DOCUMENT_SUBJECTS[(file.pk + ordinal) % len(DOCUMENT_SUBJECTS)]
    year = file.start_year or 2000
    return {
        "archive_id": file.archive_id,
        "file": file,
        "ordinal": ordinal,
        "type_name": type_name,
        "code_number": str(100 + (file.pk * 31 + ordinal) % 9000),
        "code_notation": notation,
        "issued_date": f"{year:04d}-{1 + ordinal % 12:02d}-{1 + (file.pk + ordinal) % 28:02d}",
        "organ_name": "Ủy ban nhân dân tỉnh Đồng Nai",
        "title": title.format(subject=subject),
        "page_count": 1 + ordinal % 9,
        "languages": ["01"],
        "access_regime": AccessRegime.CONDITIONAL if ordinal % 17 == 0 else AccessRegime.OPEN,
        "publication_status": file.publication_status,
    }


def new_files(series_sizes):
    """Unsaved files, series after series (a generator: nothing is held)."""
    for series, size in series_sizes:
        for number in range(1, size + 1):
            yield RecordFile(**file_fields(number, series))


def new_documents(files, remaining):
    """Unsaved documents of saved files, stopping after ``remaining`` documents."""
    for file in files:
        for ordinal in range(1, DOCUMENTS_PER_FILE + 1):
            if remaining <= 0:
                return
            remaining -= 1
            yield Document(**document_fields(file, ordinal))


# Results and their table --------------------------------------------------------------------------


@dataclass
class Results:
    database: str = ""
    shape: str = ""
    load: dict = field(default_factory=dict)
    one_by_one: dict = field(default_factory=dict)
    pages: list = field(default_factory=list)
    listings: list = field(default_factory=list)
    diagnostics: list = field(default_factory=list)


RESULTS = Results()


def rate(rows, seconds):
    return rows / seconds if seconds else float("inf")


def print_report(results):
    width = 104
    lines = ["", "=" * width, f"Catalogue benchmark: {DOCUMENTS:,} documents on {results.database}"]
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines.append(
        f"Machine: {os.cpu_count()} CPUs, load average now {load_average} (other work skews timings)"
    )
    if results.shape:
        lines.append(results.shape)
    lines.append("-" * width)
    lines.append(f"{'Load':<52}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
    load = results.load
    if load.get("reused"):
        lines.append(f"{'bulk load (reused from a previous run, not measured)':<52}{load['documents']:>12,}")
    elif load:
        for label, key in (
            ("bulk: files (create_files_in_batches)", "files"),
            ("bulk: documents (create_documents_in_batches)", "documents"),
            ("bulk: files + documents, wall time", "total"),
        ):
            rows, seconds = load[key]
            lines.append(f"{label:<52}{rows:>12,}{seconds:>10.1f}{rate(rows, seconds):>12,.0f}")
        sql_share = 100 * load["sql_seconds"] / load["total"][1]
        lines.append(
            f"{'  of which executing SQL (the rest is Python)':<52}{'':>12}{load['sql_seconds']:>10.1f}"
            f"{'':>12}   ({sql_share:.0f} % of the wall time)"
        )
        lines.append(
            f"{'peak memory of the process (max RSS)':<52}{load['max_rss_mb']:>20,.0f} MB"
            f" (before load {load['rss_before_mb']:,.0f} MB)"
        )
    single = results.one_by_one
    if single:
        for label, key in (
            ("one by one: RecordFile.objects.create", "files"),
            ("one by one: Document.objects.create", "documents"),
        ):
            rows, seconds = single[key]
            lines.append(
                f"{label:<52}{rows:>12,}{seconds:>10.2f}{rate(rows, seconds):>12,.0f}"
                f"   ({single['queries'][key]} queries per row)"
            )
        if load and not load.get("reused"):
            for label, key in (
                ("ratio bulk / one by one: documents", "documents"),
                ("ratio bulk / one by one: files", "files"),
            ):
                ratio = rate(*load[key]) / rate(*single[key])
                lines.append(f"{label:<52}{'':>22}{ratio:>11.1f}×")
    if results.pages:
        lines.append("-" * width)
        lines.append(
            f"{'Page (server time, in-process test Client)':<52}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
            f"{'queries':>9}{'SQL ms':>8}  target  result"
        )
        for page in results.pages:
            lines.append(
                f"{page['label']:<52}{page['p50']:>9.1f}{page['p95']:>9.1f}{page['max']:>9.1f}"
                f"{page['queries']:>9}{page['sql_ms']:>8.1f}  ≤{TARGET_P95_MS:<5}  "
                f"{'PASS' if page['p95'] <= TARGET_P95_MS else 'FAIL'}"
            )
        lines.append(
            f"({REQUESTS} timed requests per page after {WARMUP} warm-up requests; "
            "queries and SQL ms from one extra request)"
        )
        lines.extend(results.listings)
    lines.append("=" * width)
    for block in results.diagnostics:
        lines.append(block)
    print("\n".join(lines))


# Database helpers ---------------------------------------------------------------------------------


def is_postgresql():
    return connection.vendor == "postgresql"


def database_label():
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        return f"PostgreSQL {version} (database {connection.settings_dict['NAME']})"
    return f"{connection.vendor} (database {connection.settings_dict['NAME']})"


def delete_records(archive, series_ids=None):
    """Delete an archive's description rows (or only those of some series) with plain SQL.

    Plain DELETEs, children first, not the ORM's collector, which would load a million rows to
    delete them. Reference-index rows written by ``save()`` (the one-by-one sample) go too.
    """
    quote = connection.ops.quote_name
    document, file = quote(Document._meta.db_table), quote(RecordFile._meta.db_table)
    if series_ids is None:
        file_scope, params = f"SELECT id FROM {file} WHERE archive_id = %s", [archive.pk]
    else:
        placeholders = ", ".join(["%s"] * len(series_ids))
        file_scope, params = f"SELECT id FROM {file} WHERE series_id IN ({placeholders})", list(series_ids)
    document_scope = f"SELECT id FROM {document} WHERE file_id IN ({file_scope})"
    document_links = quote(Document.categories.through._meta.db_table)
    file_links = quote(RecordFile.categories.through._meta.db_table)
    with connection.cursor() as cursor:
        if series_ids is not None:
            for model, scope in ((Document, document_scope), (RecordFile, file_scope)):
                cursor.execute(scope, params)
                ids = [str(row[0]) for row in cursor.fetchall()]
                ReferenceIndex.objects.filter(
                    base_content_type=ContentType.objects.get_for_model(model), object_id__in=ids
                ).delete()
        cursor.execute(f"DELETE FROM {document_links} WHERE document_id IN ({document_scope})", params)
        cursor.execute(f"DELETE FROM {document} WHERE file_id IN ({file_scope})", params)
        cursor.execute(f"DELETE FROM {file_links} WHERE recordfile_id IN ({file_scope})", params)
        cursor.execute(f"DELETE FROM {file} WHERE id IN ({file_scope})", params)
        if series_ids is None:
            cursor.execute(f"DELETE FROM {quote(Series._meta.db_table)} WHERE archive_id = %s", [archive.pk])
            cursor.execute(f"DELETE FROM {quote(Fonds._meta.db_table)} WHERE archive_id = %s", [archive.pk])
        else:
            cursor.execute(
                f"DELETE FROM {quote(Series._meta.db_table)} WHERE id IN ({placeholders})", list(series_ids)
            )


def analyze():
    """Fresh planner statistics (and a vacuumed visibility map for index-only scans)."""
    with connection.cursor() as cursor:
        if is_postgresql():
            for model in (Fonds, Series, RecordFile, Document):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Building the catalogue ---------------------------------------------------------------------------


def make_tree(archive, shape):
    """The fonds and series (a handful of rows, saved normally); return [(series, files), ...]."""
    series_sizes = []
    for fonds_index, sizes in enumerate(shape, start=1):
        fonds = Fonds.objects.create(
            archive=archive,
            code=f"BP{fonds_index:02d}",
            creator_code=f"H99.{fonds_index:02d}",
            name=f"Ủy ban nhân dân huyện Thử Nghiệm {fonds_index}",
            publication_status=PublicationStatus.PUBLISHED,
        )
        for series_index, size in enumerate(sizes, start=1):
            series = Series.objects.create(
                fonds=fonds,
                archive=archive,
                number=f"{series_index:02d}",
                title="Mục lục hồ sơ lưu trữ vĩnh viễn",
                publication_status=PublicationStatus.PUBLISHED,
            )
            series_sizes.append((series, size))
    return series_sizes


class Stopwatch:
    """Time spent inside ``next()`` of an iterator, i.e. in the bulk functions and their input."""

    def __init__(self, iterator):
        self.iterator = iter(iterator)
        self.seconds = 0.0

    def __iter__(self):
        return self

    def __next__(self):
        start = time.perf_counter()
        try:
            return next(self.iterator)
        finally:
            self.seconds += time.perf_counter() - start


class SqlClock:
    """Wall time spent executing SQL (a connection execute wrapper), to split the load in two."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def bulk_load(archive, documents):
    """Load the catalogue through collections_app.bulk; return the load figures."""
    shape = catalogue_shape(documents)
    rss_before = max_rss_mb()
    sql_clock = SqlClock()
    with connection.execute_wrapper(sql_clock):
        figures, series_sizes = timed_bulk_load(archive, shape, documents)
    figures["sql_seconds"] = sql_clock.seconds
    figures["rss_before_mb"] = rss_before
    return figures, series_sizes


def timed_bulk_load(archive, shape, documents):
    started = time.perf_counter()
    series_sizes = make_tree(archive, shape)
    file_batches = Stopwatch(create_files_in_batches(new_files(series_sizes)))
    files_loaded = documents_loaded = 0
    document_seconds = 0.0
    for created_files in file_batches:  # one batch of files at a time, then its documents
        files_loaded += len(created_files)
        batches = Stopwatch(
            create_documents_in_batches(new_documents(created_files, documents - documents_loaded))
        )
        for created_documents in batches:
            documents_loaded += len(created_documents)
        document_seconds += batches.seconds
        if files_loaded % 10_000 < len(created_files):
            print(f"  … {files_loaded:,} files, {documents_loaded:,} documents", flush=True)
    total = time.perf_counter() - started
    return {
        "files": (files_loaded, file_batches.seconds),
        "documents": (documents_loaded, document_seconds),
        "total": (files_loaded + documents_loaded, total),
        "max_rss_mb": max_rss_mb(),
    }, series_sizes


def describe_shape(series_sizes):
    files = sum(size for _series, size in series_sizes)
    biggest_series, biggest = max(series_sizes, key=lambda pair: pair[1])
    return (
        f"Shape: {FONDS} fonds × {SERIES_PER_FONDS} series, {files:,} files, {DOCUMENTS_PER_FILE} documents "
        f"per file; biggest series {biggest_series.reference_code} has {biggest:,} files"
    )


@dataclass
class Catalogue:
    archive: object
    page: object
    archivist: object
    big_series: object


@pytest.fixture(scope="module")
def catalogue(django_db_setup, django_db_blocker):
    """The archive with its million documents, loaded once for the module, committed (no test
    transaction), so that requests see the database as production does."""
    with django_db_blocker.unblock():
        national_home()
        archive = ArchiveFactory(
            code=ARCHIVE_CODE,
            name="Trung tâm Lưu trữ lịch sử tỉnh Thử Nghiệm",
            slug="thu-nghiem",
            unit=current_province("Đồng Nai"),
        )
        page = archive_page(archive)
        archivist = staff_user(archive, Role.ARCHIVIST, username="bench.archivist")
        RESULTS.database = database_label()

        existing = Document.objects.filter(archive=archive).count()
        if REUSE and existing == DOCUMENTS:
            RESULTS.load = {"reused": True, "documents": existing}
            series_sizes = [
                (series, series.files.count()) for series in Series.objects.filter(archive=archive)
            ]
        else:
            if existing or Fonds.objects.filter(archive=archive).exists():
                print(f"\nDeleting {existing:,} documents left by a previous run (--reuse-db) …", flush=True)
                delete_records(archive)
            print(f"\nLoading {DOCUMENTS:,} documents through collections_app.bulk …", flush=True)
            RESULTS.load, series_sizes = bulk_load(archive, DOCUMENTS)
        RESULTS.shape = describe_shape(series_sizes)
        print("ANALYZE …", flush=True)
        analyze()
        big_series = max(series_sizes, key=lambda pair: pair[1])[0]
        yield Catalogue(archive=archive, page=page, archivist=archivist, big_series=big_series)


@pytest.fixture(scope="module", autouse=True)
def report():
    """Print the table at the end of the module, whatever failed."""
    yield
    print_report(RESULTS)


# The measurements ---------------------------------------------------------------------------------


def test_bulk_load(catalogue, django_db_blocker):
    with django_db_blocker.unblock():
        loaded = Document.objects.filter(archive=catalogue.archive).count()
    assert loaded == DOCUMENTS


def test_one_by_one(catalogue, django_db_blocker):
    """The same rows through ``objects.create()`` (save(), one transaction per row), in a sample
    series that is deleted afterwards."""
    if SAMPLE < 1:
        pytest.skip(reason="BENCH_SAMPLE=0: no one-by-one sample")
    files_needed = math.ceil(SAMPLE / DOCUMENTS_PER_FILE)
    with django_db_blocker.unblock():
        fonds = Fonds.objects.filter(archive=catalogue.archive).order_by("code").first()
        series = Series.objects.create(
            fonds=fonds,
            archive=catalogue.archive,
            number="99",
            title="Mục lục mẫu (đo từng bản ghi)",
            publication_status=PublicationStatus.DRAFT,
        )
        try:
            started = time.perf_counter()
            files = [
                RecordFile.objects.create(**file_fields(number, series))
                for number in range(1, files_needed + 1)
            ]
            file_seconds = time.perf_counter() - started

            created = 0
            started = time.perf_counter()
            for file in files:
                for ordinal in range(1, DOCUMENTS_PER_FILE + 1):
                    if created == SAMPLE:
                        break
                    Document.objects.create(**document_fields(file, ordinal))
                    created += 1
            document_seconds = time.perf_counter() - started

            # What one row costs in queries (an extra file and document, not timed).
            with CaptureQueriesContext(connection) as file_queries:
                extra_file = RecordFile.objects.create(**file_fields(files_needed + 1, series))
            with CaptureQueriesContext(connection) as document_queries:
                Document.objects.create(**document_fields(extra_file, 1))
        finally:
            delete_records(catalogue.archive, series_ids=[series.pk])
    RESULTS.one_by_one = {
        "files": (len(files), file_seconds),
        "documents": (created, document_seconds),
        "queries": {"files": len(file_queries), "documents": len(document_queries)},
    }
    assert created == SAMPLE


def without_test_instrumentation():
    """Django's test set-up makes every template render send a signal whose receiver, in the
    test Client, copies the whole context; a server does not. Time the real rendering."""

    class Restore:
        def __enter__(self):
            self.saved = Template._render
            Template._render = lambda template, context: template.nodelist.render(context)

        def __exit__(self, *exc):
            Template._render = self.saved

    return Restore()


def percentile(values, fraction):
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def explain(sql):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def measure_page(client, label, url, check):
    """Warm up, time REQUESTS requests, then capture the queries of one more; record the figures.

    ``check(response)`` looks at the first (instrumented) response's context, e.g. that the page
    served is really the last one. Returns the status codes seen.
    """
    statuses = []
    first = client.get(url)
    statuses.append(first.status_code)
    if first.status_code == 200:
        check(first)
    timings = []
    with without_test_instrumentation():
        for _ in range(max(0, WARMUP - 1)):
            statuses.append(client.get(url).status_code)
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            statuses.append(response.status_code)
        with CaptureQueriesContext(connection) as captured:
            statuses.append(client.get(url).status_code)
    queries = [(float(query["time"]) * 1000, query["sql"]) for query in captured.captured_queries]
    figures = {
        "label": label,
        "url": url,
        "p50": percentile(timings, 0.50),
        "p95": percentile(timings, 0.95),
        "max": max(timings),
        "queries": len(queries),
        "sql_ms": sum(ms for ms, _sql in queries),
        "statuses": statuses,
    }
    RESULTS.pages.append(figures)

    slowest = sorted(queries, reverse=True)[:3]
    lines = [
        f"\n--- {label}: {url}",
        f"    {len(queries)} queries, {figures['sql_ms']:.1f} ms of SQL; slowest:",
    ]
    for ms, sql in slowest:
        shown = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", sql, count=1, flags=re.DOTALL)
        lines.append(f"    {ms:8.1f} ms  {shown[:600]}{' …' if len(shown) > 600 else ''}")
    missed = figures["p95"] > TARGET_P95_MS
    if is_postgresql() and (EXPLAIN == "all" or (EXPLAIN == "1" and missed)):
        for ms, sql in slowest[:2]:
            if ms < 5:
                continue
            lines.append(f"\n    EXPLAIN (ANALYZE, BUFFERS) of the {ms:.1f} ms query:")
            lines.extend(f"      {line}" for line in explain(sql).splitlines())
    RESULTS.diagnostics.append("\n".join(lines))
    return statuses


def check_page_number(context_key, number):
    def check(response):
        served = response.context[context_key].number
        assert served == number, f"asked for page {number}, got page {served}"

    return check


def measure_first_and_last(client, label, url, context_key, parameter, expected_count):
    """Time page 1, then the last page as counted by page 1's own paginator (whatever its page size)."""
    first = client.get(url)  # instrumented: its context holds the paginator
    if first.status_code != 200:
        return [first.status_code]
    paginator = first.context[context_key].paginator
    last = paginator.num_pages
    RESULTS.listings.append(
        f"{label}: {paginator.count:,} rows listed (access query: {expected_count:,}), "
        f"{paginator.per_page} per page, last page ?{parameter}={last:,}"
    )
    statuses = [first.status_code]
    statuses += measure_page(client, f"{label} page 1", url, check_page_number(context_key, 1))
    statuses += measure_page(
        client,
        f"{label} ?{parameter}={last:,}",
        f"{url}?{parameter}={last}",
        check_page_number(context_key, last),
    )
    if MIDDLE and last > 2:
        # Not in the targets: the worst page for a paginator that reads far pages from the other end.
        middle = (last + 1) // 2
        statuses += measure_page(
            client,
            f"  (extra) {label} ?{parameter}={middle:,}",
            f"{url}?{parameter}={middle}",
            check_page_number(context_key, middle),
        )
    return statuses


def test_admin_document_listing(catalogue, django_db_blocker):
    """/admin/document/ as an archivist of the archive: first page and last page (Wagtail's ``?p=``)."""
    with django_db_blocker.unblock():
        client = Client()
        client.force_login(catalogue.archivist)
        expected = access.admin_queryset(catalogue.archivist, Document).count()
        statuses = measure_first_and_last(
            client, "admin /admin/document/", reverse("document:index"), "page_obj", "p", expected
        )
    assert set(statuses) == {200}, statuses


def test_public_series_page(catalogue, django_db_blocker):
    """The public page of the biggest series, anonymous: first page and last page (``?page=``)."""
    with django_db_blocker.unblock():
        client = Client()
        series = catalogue.big_series
        expected = access.listable(AnonymousUser(), series.files.all()).count()
        url = f"{catalogue.page.url}muc-luc/{series.reference_code}/"
        statuses = measure_first_and_last(client, "public series", url, "files_page", "page", expected)
    assert set(statuses) == {200}, statuses
