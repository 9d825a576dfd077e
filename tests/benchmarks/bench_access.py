"""What the access module costs readers: the record page and the search, with and without it.

A catalogue of BENCH_ACCESS_DOCS documents (default 1,000,000; 20 per file, 4 fonds × 5 series) is
written in bulk into one archive, with the mix an archive holds: 90 % open, 7 % conditional (not yet
open), 3 % secret, 5 % drafts; a fifth of the documents carry OCR text. The search index is then
built for every record (``search.indexing.index_ids``, 1,000 at a time).

(a) Record page: p50/p95 of ``GET /r/<code>/`` followed to the page, anonymous, for 200 random
    open documents, with the access checks and with them BYPASSED (``collections_app.access``'s
    ``can_list``, ``can_view_metadata``, ``can_view_content`` and ``listable`` replaced by allow-all
    functions, in this benchmark only). Target: the difference at p95 ≤ 5 ms.
(b) Search: p50/p95 of 30 queries through ``search.engine.search_records`` as an anonymous user,
    with ``access.listable`` / ``content_readable`` / ``content_readable_condition`` /
    ``can_view_content`` and with them BYPASSED.
    Target: ≤ 10 % slower.

PASS/FAIL is printed, not asserted. Run (see README.md in this folder)::

    DATABASE_URL=$(bash scripts/postgres-test-database.sh) \\
        .venv/bin/pytest tests/benchmarks/bench_access.py -s -p no:cacheprovider -o addopts=""

Environment: BENCH_ACCESS_DOCS (1000000; e.g. 20000 for a smoke run, works on SQLite too),
BENCH_ACCESS_PAGES (200), BENCH_ACCESS_QUERIES (30). With ``--reuse-db``, BENCH_ACCESS_REUSE=1
measures again the catalogue and index a previous run left (same BENCH_ACCESS_DOCS), without
loading or indexing; without it a kept database must not hold that catalogue yet.
"""

import datetime
import os
import random
import statistics
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client
from wagtail.search.models import IndexEntry

from archivecms.portal.factories import archive_page, national_home
from collections_app import access
from collections_app.bulk import create_documents_in_batches, create_files_in_batches
from collections_app.factories import ArchiveFactory, current_province
from collections_app.models import Archive, Document, Fonds, RecordFile, Series
from collections_app.vocabularies import AccessRegime, PublicationStatus
from search.engine import search_records
from search.indexing import index_ids

pytestmark = pytest.mark.benchmark


def env_int(name, default):
    return int(os.environ.get(name, "").replace("_", "") or default)


DOCUMENTS = env_int("BENCH_ACCESS_DOCS", 1_000_000)
PAGES = env_int("BENCH_ACCESS_PAGES", 200)
QUERIES = env_int("BENCH_ACCESS_QUERIES", 30)
REUSE = os.environ.get("BENCH_ACCESS_REUSE", "0") == "1"
ARCHIVE_CODE = "LT75"
PER_FILE = 20
WORDS = (
    "đất đai giao thu hồi bồi thường dự án đầu tư khu công nghiệp quyết định công văn tờ trình báo cáo "
    "biên bản xã phường huyện tỉnh Biên Hòa Long Thành Nhơn Trạch Trảng Bom cầu đường trường học bệnh "
    "viện quy hoạch xây dựng giấy phép khiếu nại thanh tra nhân sự tài chính ngân sách thuế"
).split()
SEARCHES = [
    "đất đai",
    "quyết định giao đất",
    "bồi thường",
    '"khu công nghiệp"',
    "Biên Hòa -thuế",
    "thanh tra khiếu nại",
    "quy hoạch xây dựng",
    "ngân sách",
    "Long Thành",
    "giấy phép",
]


def test_access_cost(django_db_setup, django_db_blocker):
    rng = random.Random(7)
    with django_db_blocker.unblock():
        archive = previous_catalogue()
        load_seconds = index_seconds = None
        if archive is None:
            started = time.perf_counter()
            archive = build_catalogue(rng)
            load_seconds = time.perf_counter() - started
            started = time.perf_counter()
            build_index(archive)
            index_seconds = time.perf_counter() - started
            analyze()
        codes = list(
            Document.objects.filter(
                archive=archive,
                access_regime=AccessRegime.OPEN,
                publication_status=PublicationStatus.PUBLISHED,
            )
            .order_by("?")
            .values_list("reference_code", flat=True)[:PAGES]
        )
        queries = [SEARCHES[index % len(SEARCHES)] for index in range(QUERIES)]
        # Checked and bypassed alternate request by request, so that drift (caches, other work on
        # the machine) weighs on both alike.
        page_checked, page_bypassed = time_alternately(codes, open_page)
        search_checked, search_bypassed = time_alternately(queries, run_search)
    report(load_seconds, index_seconds, page_checked, page_bypassed, search_checked, search_bypassed)


def previous_catalogue():
    """The archive a previous run loaded and indexed, when BENCH_ACCESS_REUSE=1 asks to measure it again."""
    archive = Archive.objects.filter(code=ARCHIVE_CODE).first()
    if archive is None:
        return None
    documents = Document.objects.filter(archive=archive)
    entries = IndexEntry.objects.filter(content_type=ContentType.objects.get_for_model(Document))
    if not REUSE or documents.count() != DOCUMENTS or entries.count() < DOCUMENTS:
        pytest.fail(
            f"The database already holds a benchmark archive {ARCHIVE_CODE}: drop it (run without "
            "--reuse-db) or measure it again with BENCH_ACCESS_REUSE=1 and the same BENCH_ACCESS_DOCS."
        )
    return archive


def analyze():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Fonds, Series, RecordFile, Document, IndexEntry):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def build_catalogue(rng):
    national_home()
    archive = ArchiveFactory(
        code=ARCHIVE_CODE,
        name="Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai",
        slug="dong-nai",
        unit=current_province("Đồng Nai"),
    )
    archive_page(archive)
    series = []
    for fonds_number in range(1, 5):
        fonds = Fonds.objects.create(
            archive=archive,
            code=f"H{fonds_number:02d}",
            name=f"UBND huyện {fonds_number}",
            publication_status=PublicationStatus.PUBLISHED,
        )
        for number in range(1, 6):
            series.append(
                Series.objects.create(
                    archive=archive,
                    fonds=fonds,
                    number=str(number),
                    title=f"Mục lục {number}",
                    publication_status=PublicationStatus.PUBLISHED,
                )
            )
    files = (
        RecordFile(
            archive=archive,
            fonds=series[index % len(series)].fonds,
            series=series[index % len(series)],
            year=1976 + index % 48,
            file_number=str(index + 1),
            title=sentence(rng, 8),
            start_date="",
            end_date="",
            publication_status=PublicationStatus.PUBLISHED,
            languages=["01"],
        )
        for index in range(max(1, DOCUMENTS // PER_FILE))
    )
    remaining = DOCUMENTS
    with transaction.atomic():
        for created in create_files_in_batches(files):
            batch = []
            for record_file in created:
                for ordinal in range(1, PER_FILE + 1):
                    if remaining <= 0:
                        break
                    remaining -= 1
                    batch.append(new_document(rng, record_file, ordinal))
            for _documents in create_documents_in_batches(batch):
                pass
    return archive


def new_document(rng, record_file, ordinal):
    draw = rng.random()
    regime = (
        AccessRegime.OPEN if draw < 0.90 else AccessRegime.CONDITIONAL if draw < 0.97 else AccessRegime.SECRET
    )
    return Document(
        archive_id=record_file.archive_id,
        file=record_file,
        ordinal=ordinal,
        type_name="02",
        code_number=str(ordinal),
        code_notation="QĐ-UBND",
        issued_date=str(record_file.year),
        organ_name="Ủy ban nhân dân tỉnh Đồng Nai",
        title=sentence(rng, 10),
        languages=["01"],
        access_regime=regime,
        opening_date=datetime.date(2090, 1, 1) if regime == AccessRegime.CONDITIONAL else None,
        publication_status=PublicationStatus.DRAFT if rng.random() < 0.05 else PublicationStatus.PUBLISHED,
        ocr_text=sentence(rng, 120) if rng.random() < 0.2 else "",
    )


def sentence(rng, length):
    return " ".join(rng.choice(WORDS) for _ in range(length)).capitalize()


def build_index(archive):
    for model in (RecordFile, Document):
        ids = list(model.objects.filter(archive=archive).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), 1000):
            with transaction.atomic():
                index_ids(model._meta.label, ids[start : start + 1000])
            if start and start % 100_000 == 0:
                print(f"  … indexed {start:,} {model._meta.verbose_name_plural}", flush=True)


def open_page(client, code):
    response = client.get(f"/r/{code}/", follow=True)
    assert response.status_code == 200, (code, response.status_code)


def run_search(client, query):
    search_records(AnonymousUser(), query)


def time_alternately(items, action):
    client = Client()
    for item in items[:3]:  # warm-up, not measured
        action(client, item)
        with access_bypassed():
            action(client, item)
    checked, bypassed = [], []
    for item in items:
        checked.append(timed(action, client, item))
        with access_bypassed():
            bypassed.append(timed(action, client, item))
    return checked, bypassed


def timed(action, client, item):
    started = time.perf_counter()
    action(client, item)
    return (time.perf_counter() - started) * 1000


class access_bypassed:
    """Allow-all access functions, for the comparison only. Never do this outside a benchmark."""

    names = {
        "can_list": lambda user, record: True,
        "can_view_metadata": lambda user, record: True,
        "can_view_content": lambda user, record, today=None: True,
        "listable": lambda user, queryset: queryset,
        "content_readable": lambda user, queryset, today=None: queryset,
        "content_readable_condition": lambda user, model, today=None: None,
    }

    def __enter__(self):
        self.saved = {name: getattr(access, name) for name in self.names}
        for name, replacement in self.names.items():
            setattr(access, name, replacement)

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            setattr(access, name, original)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(load_seconds, index_seconds, page_checked, page_bypassed, search_checked, search_bypassed):
    print()
    print(f"Access benchmark on {connection.vendor}: {DOCUMENTS:,} documents")
    if load_seconds is None:
        print("  catalogue and index of a previous run (BENCH_ACCESS_REUSE=1)")
    else:
        print(f"  bulk load {load_seconds:.1f} s, search index {index_seconds:.1f} s")
    print(f"{'':<40}{'p50 ms':>10}{'p95 ms':>10}")
    for label, values in (
        ("record page, access checked", page_checked),
        ("record page, access BYPASSED", page_bypassed),
        ("search, access checked", search_checked),
        ("search, access BYPASSED", search_bypassed),
    ):
        print(f"{label:<40}{statistics.median(values):>10.1f}{percentile(values, 0.95):>10.1f}")
    page_difference = percentile(page_checked, 0.95) - percentile(page_bypassed, 0.95)
    verdict = "PASS" if page_difference <= 5 else "FAIL"
    print(f"record page: access costs {page_difference:+.1f} ms at p95 (target ≤ 5 ms): {verdict}")
    ratio = statistics.median(search_checked) / statistics.median(search_bypassed)
    ratio95 = percentile(search_checked, 0.95) / percentile(search_bypassed, 0.95)
    verdict = "PASS" if ratio <= 1.10 else "FAIL"
    print(f"search: checked / bypassed = {ratio:.2f} at p50, {ratio95:.2f} at p95 (target ≤ 1.10): {verdict}")
