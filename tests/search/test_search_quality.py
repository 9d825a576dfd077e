"""Search quality on a realistic Vietnamese corpus: does the right record come first?

The corpus (``data/quality/corpus.json``) holds the fonds, series, files and documents of four
provincial archives after the 1 July 2025 merger of provinces, including the holdings of former
provinces (Bình Dương and Bà Rịa – Vũng Tàu in Hồ Chí Minh City, Hà Giang in Tuyên Quang, Bình
Phước in Đồng Nai, Yên Bái in Lào Cai) and a few withheld records (secret, unpublished, deleted,
not yet opened). The queries (``data/quality/queries.json``) are what readers type, each with the
records a careful archivist expects among the first results.

The test measures, as an anonymous reader sees the results of ``search.engine.search_records``:
MRR (mean of 1 / rank of the first relevant hit, 0 when none is on the first page) and recall@10
(per query, the share of its relevant records found in the first ten hits, averaged over queries).
Both are printed with every failing query and its first five hits; run with ``-s`` to see them.
Queries with a one-letter typo run only on backends that match approximately (Elasticsearch,
OpenSearch); the database backends skip them and the report says so.
"""

import datetime
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from modelsearch.backends import get_search_backend

from collections_app import access
from collections_app.factories import (
    ArchiveFactory,
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    ScanPageFactory,
    SeriesFactory,
)
from collections_app.ingest import samples
from collections_app.models import AdministrativeUnit, Category, Document, Fonds, RecordFile, Series
from collections_app.models.units import UnitLevel
from collections_app.vocabularies import AccessRegime, PublicationStatus
from search.engine import search_records
from search.filters import parse_filters

DATA = Path(__file__).resolve().parent / "data" / "quality"
MRR_TARGET = 0.9
RECALL_TARGET = 0.95
TOP = 10
MIN_RECORDS = 200
MIN_QUERIES = 60
LAST_DAY_OF_FORMER_UNITS = datetime.date(2025, 6, 30)
QUERY_KINDS = {
    "accented",
    "unaccented",
    "mixed_case",
    "tone",
    "document_number",
    "reference_code",
    "phrase",
    "exclusion",
    "filter",
    "field_filter",
    "old_place",
    "ocr",
    "typo",
}


def read_data(name):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


CORPUS = read_data("corpus.json")
QUERIES = read_data("queries.json")["queries"]


def corpus_nodes():
    """Every (key, level, data, withheld) of the corpus file, parents before children."""
    for archive in CORPUS["archives"]:
        for fonds in archive["fonds"]:
            fonds_withheld = fonds.get("status") == "draft"
            yield fonds["key"], "fonds", fonds, fonds_withheld
            for series in fonds["series"]:
                yield series["key"], "series", series, fonds_withheld
                for record_file in series["files"]:
                    file_withheld = fonds_withheld or is_withheld(record_file)
                    yield record_file["key"], "file", record_file, file_withheld
                    for document in record_file["docs"]:
                        yield document["key"], "document", document, file_withheld or is_withheld(document)


def is_withheld(data):
    """Withheld from anonymous readers as a whole: secret, unpublished or deleted."""
    return data.get("access") == AccessRegime.SECRET or data.get("status") == "draft" or data.get("deleted")


# Building the corpus -------------------------------------------------------------------------------


class Corpus:
    """The records built from corpus.json, by key."""

    def __init__(self):
        self.records = {}
        self.withheld = set()

    def add(self, key, record, withheld=False):
        assert key not in self.records, f"key {key} is used twice in corpus.json"
        self.records[key] = record
        if withheld:
            self.withheld.add(key)

    def code(self, key):
        return self.records[key].reference_code

    def key_of(self, reference_code):
        return self._keys_by_code().get(reference_code, "?")

    def _keys_by_code(self):
        return {record.reference_code: key for key, record in self.records.items()}


def build_corpus():
    units = load_units()
    corpus = Corpus()
    for archive_data in CORPUS["archives"]:
        archive = ArchiveFactory(
            code=archive_data["code"],
            name=archive_data["name"],
            slug=archive_data["slug"],
            unit=units[archive_data["unit"]],
        )
        for fonds_data in archive_data["fonds"]:
            build_fonds(corpus, archive, fonds_data, units)
    index_everything()
    return corpus


def load_units():
    """Provinces by name (the current unit when the name lives on) and the districts of the corpus."""
    units = {}
    for unit in AdministrativeUnit.objects.provinces().order_by("-valid_to"):
        if unit.is_current or unit.name not in units:
            units[unit.name] = unit
    former_provinces = {
        unit.name: unit for unit in AdministrativeUnit.objects.provinces().valid_on(LAST_DAY_OF_FORMER_UNITS)
    }
    for district in CORPUS["districts"]:
        units[district["name"]], _created = AdministrativeUnit.objects.get_or_create(
            level=UnitLevel.DISTRICT,
            code=district["code"],
            valid_from=None,
            defaults={
                "name": district["name"],
                "kind": district["kind"],
                "parent": former_provinces[district["parent"]],
                "valid_to": LAST_DAY_OF_FORMER_UNITS,
            },
        )
    return units


def publication(data):
    return PublicationStatus.DRAFT if data.get("status") == "draft" else PublicationStatus.PUBLISHED


def restriction(data):
    values = {"access_regime": data.get("access", AccessRegime.OPEN), "access_reason": data.get("reason", "")}
    if data.get("opening"):
        values["opening_date"] = datetime.date.fromisoformat(data["opening"])
    if data.get("deleted"):
        values["deleted_at"] = timezone.now()
        values["delete_reason"] = "Nhập trùng, xóa theo đề nghị của phòng nghiệp vụ"
    return values


def build_fonds(corpus, archive, data, units):
    fonds = FondsFactory(
        archive=archive,
        code=data["code"],
        creator_code=data["creator"],
        name=data["name"],
        unit=units[data["unit"]],
        date_range=data.get("range", ""),
        creating_body_history=data.get("history", ""),
        main_record_groups=data.get("groups", ""),
        publication_status=publication(data),
    )
    fonds_withheld = data.get("status") == "draft"
    corpus.add(data["key"], fonds, fonds_withheld)
    for series_data in data["series"]:
        series = SeriesFactory(
            fonds=fonds,
            archive=archive,
            number=series_data["no"],
            title=series_data["title"],
            date_range=series_data.get("range", ""),
        )
        corpus.add(series_data["key"], series, fonds_withheld)
        for file_data in series_data["files"]:
            build_file(corpus, series, file_data, fonds_withheld)


def build_file(corpus, series, data, parent_withheld):
    record_file = RecordFileFactory(
        series=series,
        fonds=series.fonds,
        archive=series.archive,
        year=data["year"],
        file_number=data["no"],
        title=data["title"],
        start_date=data["start"],
        end_date=data["end"],
        keywords=data.get("kw", ""),
        description=data.get("desc", ""),
        publication_status=publication(data),
        **restriction(data),
    )
    categories = list(Category.objects.filter(slug__in=data["cat"]))
    assert len(categories) == len(data["cat"]), f"unknown category in {data['key']}: {data['cat']}"
    record_file.categories.set(categories)
    file_withheld = parent_withheld or is_withheld(data)
    corpus.add(data["key"], record_file, file_withheld)
    for ordinal, document_data in enumerate(data["docs"], start=1):
        document = DocumentFactory(
            file=record_file,
            archive=record_file.archive,
            ordinal=ordinal,
            type_name=document_data["type"],
            code_number=document_data.get("no", ""),
            code_notation=document_data.get("sym", ""),
            issued_date=document_data["date"],
            organ_name=document_data.get("organ", series.fonds.name),
            title=document_data["title"],
            ocr_text=document_data.get("ocr", ""),
            publication_status=publication(document_data),
            **restriction(document_data),
        )
        document.categories.set(categories)
        if document_data.get("scan"):
            # A real page image of the document's own text: each scan of an archive has its own checksum.
            content = samples.png_page(f"{document.citation}\n{document_data.get('ocr', '')}", dpi=50)
            scan = DigitalObjectFactory(document=document, content=content)
            ScanPageFactory(digital_object=scan, number=1, text=document_data.get("ocr", ""))
        corpus.add(document_data["key"], document, file_withheld or is_withheld(document_data))


def index_everything():
    """Rebuild the index from the database: the same command on every backend."""
    call_command("update_index", stdout=io.StringIO())


@pytest.fixture
def corpus(db):
    return build_corpus()


# Measuring ----------------------------------------------------------------------------------------


def backend_matches_approximately():
    """Elasticsearch and OpenSearch match one-letter typos; the database backends do not."""
    search_engines = ("modelsearch.backends.elasticsearch", "modelsearch.backends.opensearch")
    return any(base.__module__.startswith(search_engines) for base in type(get_search_backend()).__mro__)


def backend_name():
    backend = type(get_search_backend())
    return f"{connection.vendor}, {backend.__module__}.{backend.__name__}"


def hit_code(hit):
    """The reference code of a description hit; other hits (exhibition pages) by their URL."""
    record = hit.record
    return getattr(record, "reference_code", None) or getattr(record, "url", None) or repr(record)


def filters_of(query):
    return parse_filters(query.get("filters", {}))


@dataclass
class Outcome:
    query: dict
    expected: list
    hits: list
    seconds: float

    @property
    def codes(self):
        return [hit_code(hit) for hit in self.hits]

    @property
    def first_relevant_rank(self):
        for rank, code in enumerate(self.codes, start=1):
            if code in self.expected:
                return rank
        return None

    @property
    def reciprocal_rank(self):
        rank = self.first_relevant_rank
        return 1 / rank if rank else 0.0

    @property
    def recall(self):
        return len(set(self.codes[:TOP]) & set(self.expected)) / len(self.expected)

    @property
    def failed(self):
        return self.first_relevant_rank != 1 or self.recall < 1


def run_queries(corpus, queries):
    outcomes = []
    for query in queries:
        expected = [corpus.code(key) for key in query["relevant"]]
        started = time.perf_counter()
        page = search_records(AnonymousUser(), query["q"], filters_of(query))
        seconds = time.perf_counter() - started
        outcomes.append(Outcome(query=query, expected=expected, hits=page.hits, seconds=seconds))
    return outcomes


def mean(values):
    return sum(values) / len(values) if values else 0.0


def report(corpus, outcomes, skipped):
    mrr = mean([outcome.reciprocal_rank for outcome in outcomes])
    recall = mean([outcome.recall for outcome in outcomes])
    lines = [
        "",
        f"Search quality ({backend_name()}): {len(outcomes)} queries on {len(corpus.records)} records",
        f"  MRR {mrr:.3f} (target {MRR_TARGET})   recall@{TOP} {recall:.3f} (target {RECALL_TARGET})",
    ]
    if skipped:
        lines.append(
            f"  {len(skipped)} typo queries skipped: this backend does not match approximately "
            f"({', '.join(repr(query['q']) for query in skipped)})"
        )
    lines.append("  by kind:")
    for kind in sorted({outcome.query["kind"] for outcome in outcomes}):
        of_kind = [outcome for outcome in outcomes if outcome.query["kind"] == kind]
        lines.append(
            f"    {kind:16} {len(of_kind):3} queries  MRR {mean([o.reciprocal_rank for o in of_kind]):.3f}"
            f"  recall@{TOP} {mean([o.recall for o in of_kind]):.3f}"
        )
    slowest = sorted(outcomes, key=lambda outcome: outcome.seconds, reverse=True)[:3]
    lines.append(
        f"  time per query (with facets): median {median([o.seconds for o in outcomes]) * 1000:.0f} ms, "
        f"slowest: " + ", ".join(f"{o.query['q']!r} {o.seconds * 1000:.0f} ms" for o in slowest)
    )
    failing = [outcome for outcome in outcomes if outcome.failed]
    lines.append(f"  {len(failing)} queries without every relevant record in the top {TOP} or first:")
    for outcome in failing:
        lines.extend(describe_failure(corpus, outcome))
    print("\n".join(lines))
    return mrr, recall


def describe_failure(corpus, outcome):
    query = outcome.query
    rank = outcome.first_relevant_rank
    filters = f" {query['filters']}" if query.get("filters") else ""
    missing = [key for key in query["relevant"] if corpus.code(key) not in outcome.codes[:TOP]]
    lines = [
        f"    [{query['kind']}] {query['q']!r}{filters}: first relevant at rank "
        f"{rank or 'none'}, recall {outcome.recall:.2f}, missing from top {TOP}: {missing or '-'}"
    ]
    if not outcome.hits:
        lines.append("        (no results)")
    for position, hit in enumerate(outcome.hits[:5], start=1):
        mark = "*" if hit_code(hit) in outcome.expected else " "
        key = corpus.key_of(hit_code(hit))
        lines.append(f"      {mark}{position}. {key} [{hit.level.slug}] {hit.record.title[:90]}")
    return lines


# The data files themselves ------------------------------------------------------------------------


def test_query_set_is_well_formed():
    keys = [key for key, *_ in corpus_nodes()]
    assert len(keys) == len(set(keys)), "a key is used twice in corpus.json"
    withheld = {key for key, _level, _data, hidden in corpus_nodes() if hidden}
    assert len(keys) - len(withheld) >= MIN_RECORDS
    assert len(QUERIES) >= MIN_QUERIES
    assert {query["kind"] for query in QUERIES} == QUERY_KINDS
    for query in QUERIES:
        assert query["q"].strip(), query
        assert 1 <= len(query["relevant"]) <= TOP, query
        assert set(query["relevant"]) <= set(keys), query
        assert not set(query["relevant"]) & withheld, query
        assert query.get("fuzzy", False) == (query["kind"] == "typo"), query


# The corpus in the database -----------------------------------------------------------------------


MODELS = (Fonds, Series, RecordFile, Document)


def check_corpus(corpus):
    """The corpus in the database is the one described: sizes, withheld records, codes, places."""
    anonymous = AnonymousUser()
    visible = sum(access.listable(anonymous, model.objects.all()).count() for model in MODELS)
    assert visible == len(corpus.records) - len(corpus.withheld)
    assert visible >= MIN_RECORDS
    for key in corpus.withheld:
        assert not access.can_list(anonymous, corpus.records[key]), key
    # Reference-code queries name codes the records really carry (their own or the archive's).
    for query in QUERIES:
        if query["kind"] == "reference_code":
            record = corpus.records[query["relevant"][0]]
            assert query["q"] in record.search_identifiers().split(), (
                query["q"],
                record.search_identifiers(),
            )
    former_province_fonds = corpus.records["bd-ubnd"]
    assert former_province_fonds.unit.name == "Bình Dương" and not former_province_fonds.unit.is_current
    assert former_province_fonds.archive.unit.name == "Hồ Chí Minh"


# Quality --------------------------------------------------------------------------------------------


def test_search_quality_meets_targets(corpus):
    check_corpus(corpus)
    approximate = backend_matches_approximately()
    queries = [query for query in QUERIES if approximate or not query.get("fuzzy")]
    skipped = [query for query in QUERIES if query not in queries]

    outcomes = run_queries(corpus, queries)
    mrr, recall = report(corpus, outcomes, skipped)

    assert mrr >= MRR_TARGET, f"MRR {mrr:.3f} is below {MRR_TARGET} (failing queries printed above)"
    assert recall >= RECALL_TARGET, f"recall@{TOP} {recall:.3f} is below {RECALL_TARGET}"


# Over HTTP: the same results reach readers ------------------------------------------------------------

HTTP_QUERIES = [
    "đường Mỹ Phước – Tân Vạn",
    "cang hang khong quoc te long thanh",
    "Biên Hoà",
    "1234/QĐ-UBND",
    "15/2019/NĐ-CP",
    "Hà Giang",
    "tran thi luu",
    "khu công nghiệp",
]


def query_named(text):
    return next(query for query in QUERIES if query["q"] == text)


def test_api_returns_the_engine_ranking(client, corpus):
    for text in HTTP_QUERIES:
        query = query_named(text)
        params = {"q": text, **query.get("filters", {})}
        response = client.get("/api/v1/search", params)
        assert response.status_code == 200, (text, response.content[:300])
        data = response.json()

        engine = search_records(AnonymousUser(), text, filters_of(query))
        assert [result.get("reference_code") or result.get("url") for result in data["results"]] == [
            hit_code(hit) for hit in engine.hits
        ], text
        assert data["count"] == engine.count, text
        expected = {corpus.code(key) for key in query["relevant"]}
        assert data["results"] and data["results"][0].get("reference_code") in expected, (
            text,
            [result.get("reference_code") for result in data["results"][:5]],
        )

    # The snippet shows the scanned words that matched an unaccented query, marked, with their marks.
    data = client.get("/api/v1/search", {"q": "tran thi luu"}).json()
    document = corpus.records["bd-mptv-qd1235"]
    found = {result.get("reference_code"): result for result in data["results"]}
    result = found[document.reference_code]
    assert "<mark>Trần</mark> <mark>Thị</mark> <mark>Lựu</mark>" in result["snippet"]


# Withheld records never surface -----------------------------------------------------------------------

# Words found only in withheld records (secret, unpublished, deleted, or in the scanned text of a
# record not yet opened), and the words of the response that would betray them.
WITHHELD_QUERIES = [
    ("Quân cảng Phước Tân", "Quân cảng"),
    ("kho K820", "K820"),
    ("Lê Văn Thắm", "Thắm"),
    ("Bàu Cá", "Bàu Cá"),
    ("sân golf", "golf"),
    ("Huỳnh Văn Nhãn", "Nhãn"),
    ("1236/QĐ-UBND", "1236"),
    ("tuần tra song phương mốc 428", "428"),
    ("diễn tập phòng thủ Lộc Ninh", "Lộc Ninh"),
    ("Ban Chỉ huy Quân sự", "Quân sự"),
    ("dân quân tự vệ", "dân quân"),
]


def test_withheld_records_never_reach_an_anonymous_reader(client, corpus):
    withheld_codes = {corpus.code(key) for key in corpus.withheld}
    withheld_codes.add(corpus.code("w-conditional-doc"))  # listed, but found only through its scan

    for text, telltale in WITHHELD_QUERIES:
        response = client.get("/api/v1/search", {"q": text})
        assert response.status_code == 200, text
        data = response.json()
        assert data["count"] == 0, (text, [result.get("reference_code") for result in data["results"]])
        assert not {result.get("reference_code") for result in data["results"]} & withheld_codes, text
        assert all(not entries for entries in data["facets"].values()), (text, data["facets"])
        assert telltale not in response.content.decode(), text

        page = client.get("/search/", {"q": text})
        assert page.status_code == 200, text
        html = page.content.decode()
        for key in corpus.withheld | {"w-conditional-doc"}:
            record = corpus.records[key]
            assert record.reference_code not in html, (text, key)
            assert str(record.title) not in html, (text, key)
