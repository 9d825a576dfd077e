"""Random input at the query parser, the server query compiler and the search endpoints.

Whatever a citizen types or puts in the URL (search syntax of FTS5, PostgreSQL or Lucene, SQL, control
characters, loose combining marks, very long text), the parser returns a bounded query and the pages
answer 200 or 400 with a message, never 500.
"""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from collections_app.factories import DocumentFactory
from collections_app.models import Document
from search.backends import elasticsearch9
from search.backends.vietnamese_analysis import FOLDING_ANALYZER, NUMBER_ANALYZER, simulate
from search.query import MAX_QUERY_LENGTH, MAX_TERMS, parse

SYNTAX = [
    '"',
    "*",
    "(",
    ")",
    "NEAR",
    "NEAR/3",
    "AND",
    "OR",
    "NOT",
    ":",
    "^",
    "-",
    "--",
    "'",
    ";",
    "\\",
    "/",
    "%",
    "_",
    "{",
    "}",
    "[",
    "]",
    "~",
    "+",
    "|",
    "&",
    "!",
    "<->",
    "so:",
    "nam:",
    "kho:",
    "title:",
    "nam:2015-2019",
    "so:1234/QĐ-UBND",
    "1234/QĐ-UBND",
    "15/2019/NĐ-CP",
    "H19.25.07.2024.08",
    "đất",
    "Đồng Nai",
    "hoà",
    "Uỷ",
    "' OR 1=1 --",
    "'; DROP TABLE collections_app_document; --",
]
ODD_CHARACTERS = st.characters(categories=["Mn", "Me", "Cc", "Cf", "Zs", "Zl", "Co", "So", "Sm"])
FRAGMENT = st.one_of(
    st.sampled_from(SYNTAX),
    st.text(max_size=12),
    st.text(ODD_CHARACTERS, max_size=6),
    st.integers(min_value=-(10**6), max_value=10**12).map(str),
)
QUERY = st.one_of(
    st.lists(FRAGMENT, max_size=25).map(" ".join),
    st.lists(FRAGMENT, max_size=25).map("".join),
    st.text(),
    st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=4), st.integers(1, 4000)),
)
# What a URL can carry: any text without surrogates (they cannot be encoded).
URL_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**9).map(str),
    st.sampled_from(["", "0", "00", "1", "2", "500", "501", "²", "١٩٧٥", "1e3", " 7 ", "9" * 5000]),
    URL_TEXT,
)
FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "page": NUMBER_TEXT,
        "year_from": NUMBER_TEXT,
        "year_to": NUMBER_TEXT,
        "archive": st.one_of(st.sampled_from(["dong-nai", "LT75", "tuyen-quang", "khong-co"]), URL_TEXT),
        "level": st.one_of(st.sampled_from(["fonds", "series", "file", "document", "page"]), URL_TEXT),
        "fonds": URL_TEXT,
        "category": URL_TEXT,
        "digitized": st.one_of(st.sampled_from(["yes", "no", "có", "không"]), URL_TEXT),
        "unit": NUMBER_TEXT,
        "number": URL_TEXT,
        "regime": st.one_of(st.sampled_from(["01", "02", "03"]), URL_TEXT),
        "status": URL_TEXT,
    },
)
# The HTTP checks run inside the test, with the client built there: the records the fixtures made
# once are only read by the examples, so they are rightly shared across examples.
HTTP_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(max_examples=400, deadline=None)
@given(QUERY)
@example('" * ( ) NEAR AND : ^ -')
@example("\x00" * 10)
@example("a\u0301" * 600)
@example("-" * 1000)
def test_the_parser_reads_anything_into_a_bounded_query(text):
    query = parse(text)

    assert len(query.text) <= MAX_QUERY_LENGTH
    for part in (query.words, query.phrases, query.excluded, query.excluded_phrases, query.numbers):
        assert len(part) <= MAX_TERMS
    assert all(word and " " not in word for word in query.words)
    assert all(all(phrase) for phrase in query.phrases)
    assert query.is_empty == (not query.words and not query.phrases and not query.fields)
    backend_query = query.backend_query()
    assert (backend_query is None) == (not query.has_terms)


@settings(max_examples=150, deadline=None)
@given(QUERY)
@example("1234/QĐ-UBND")
@example('"khu dân cư" -Tam')
def test_the_server_query_for_anything_typed_is_plain_json(text):
    query = parse(text)
    backend = elasticsearch9.SearchBackend({"URLS": ["http://127.0.0.1:9"]})
    for part in (query.backend_query(), query.excluded_query(), query.plain_words_query()):
        if part is None:
            continue
        body = backend.query_compiler_class(Document.objects.all(), part).get_query()
        assert json.loads(json.dumps(body)) == body
    typed = backend.query_compiler_class(Document.objects.all(), text[:MAX_QUERY_LENGTH], operator="and")
    assert json.loads(json.dumps(typed.get_query()))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_the_analysis_reproduction_accepts_any_text(text):
    folded = simulate(text, FOLDING_ANALYZER)
    numbers = simulate(text, NUMBER_ANALYZER)

    assert all(token.strip() for token in folded + numbers)
    assert all(token == token.lower() for token in numbers)


@pytest.fixture
def searchable(dong_nai, tuyen_quang):
    DocumentFactory(
        archive=dong_nai,
        file__series__fonds__archive=dong_nai,
        title="Quyết định giao đất khu dân cư Tam Phước",
        code_number="1234",
        code_notation="QĐ-UBND",
        ocr_text="Ủy ban nhân dân tỉnh Đồng Nai quyết định giao đất.",
    )
    DocumentFactory(
        archive=tuyen_quang,
        file__series__fonds__archive=tuyen_quang,
        title="Hồ sơ di dân vùng lòng hồ Na Hang",
    )


def assert_answered(response, path):
    assert response.status_code in (200, 400), response.status_code
    if path.startswith("/api/"):
        data = response.json()
        if response.status_code == 400:
            assert data["error"]
        else:
            assert isinstance(data["count"], int)
            assert len(data["results"]) <= data["count"]


@pytest.mark.parametrize("path", ["/search/", "/api/v1/search"])
def test_any_query_gets_a_page_or_a_message(searchable, path):
    client = Client()

    @HTTP_SETTINGS
    @given(QUERY)
    @example('" * ( ) NEAR AND : ^ -')
    @example("\x00đất\x00")
    @example("x" * 10_000)
    @example('1234/QĐ-UBND -"khu dân cư" nam:2019 kho:dong-nai so:1234/QĐ-UBND')
    def check(text):
        assert_answered(client.get(path, {"q": text}), path)

    check()


@pytest.mark.parametrize("path", ["/search/", "/api/v1/search"])
def test_any_filter_or_page_gets_a_page_or_a_message(searchable, path):
    client = Client()

    @HTTP_SETTINGS
    @given(st.sampled_from(["đất", "dat dai", "1234/QĐ-UBND", ""]), FILTERS)
    @example("đất", {"page": "²"})
    @example("đất", {"year_from": "²"})
    @example("đất", {"unit": "²"})
    @example("đất", {"page": "9" * 5000})
    @example("đất", {"year_from": "2020", "year_to": "1990"})
    @example("đất", {"page": "0"})
    def check(text, filters):
        assert_answered(client.get(path, {"q": text, **filters}), path)

    check()
