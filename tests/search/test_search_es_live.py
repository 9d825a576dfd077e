"""Elasticsearch 9 / OpenSearch 3 against a live server: run with SEARCH_URL (and SEARCH_BACKEND).

    SEARCH_URL=http://localhost:9200 SEARCH_BACKEND=opensearch3 \\
        .venv/bin/pytest tests/search/test_search_es_live.py

Each test works in indices of its own (a random prefix), created with the Vietnamese analysis and
deleted afterwards, so a server in use is not touched.
"""

import os
import uuid

import pytest
from modelsearch.backends import get_search_backend
from modelsearch.index import get_indexed_models

from collections_app.factories import DocumentFactory
from collections_app.models import Document
from collections_app.vocabularies import PublicationStatus
from search.backends.vietnamese_analysis import (
    AUTOCOMPLETE_ANALYZER,
    FOLDING_ANALYZER,
    NUMBER_ANALYZER,
    simulate,
)
from search.indexing import index_ids
from search.query import parse

NO_SERVER = "SEARCH_URL is not set: no Elasticsearch/OpenSearch server to test against"
if not os.environ.get("SEARCH_URL"):
    pytest.skip(reason=NO_SERVER, allow_module_level=True)


@pytest.fixture
def live_backend(settings):
    """The configured server backend writing to fresh indices ``kho_test_<random>_*``."""
    configuration = dict(settings.WAGTAILSEARCH_BACKENDS["default"])
    configuration.pop("INDEX", None)
    configuration["INDEX_PREFIX"] = f"kho_test_{uuid.uuid4().hex[:10]}_"
    settings.WAGTAILSEARCH_BACKENDS = {"default": configuration}
    backend = get_search_backend()
    indices = {}
    for model in get_indexed_models():
        index = backend.get_index_for_model(model)
        if index.name not in indices:
            index.reset()
            indices[index.name] = index
        indices[index.name].add_model(model)
    backend.test_indices = list(indices.values())
    yield backend
    for index in indices.values():
        index.delete()


def refresh(backend):
    for index in backend.test_indices:
        index.refresh()


@pytest.fixture
def corpus(live_backend, dong_nai):
    numbers = iter(range(7001, 7100))

    def document(key, title, **values):
        values.setdefault("publication_status", PublicationStatus.PUBLISHED)
        # Explicit numbers: the factory's sequence could reach 1234 in a long test run.
        values.setdefault("code_number", str(next(numbers)))
        record = DocumentFactory(
            archive=dong_nai, file__series__fonds__archive=dong_nai, title=title, **values
        )
        return key, record

    made = dict(
        [
            document("land", "Báo cáo tình hình đất đai tỉnh Đồng Nai năm 2019"),
            document("unmarked", "Bao cao tinh hinh dat dai tinh Dong Nai nam 2018"),
            document("committee", "Tờ trình của Uỷ ban nhân dân huyện Long Thành"),
            document("peace", "Quyết định thành lập xã Hoà Bình"),
            document(
                "number",
                "Quyết định giao đất khu dân cư Tam Phước",
                code_number="1234",
                code_notation="QĐ-UBND",
            ),
            document(
                "other_number",
                "Quyết định giao đất khu công nghiệp Amata",
                code_number="1235",
                code_notation="QĐ-UBND",
            ),
            document("tuyen_quang", "Hồ sơ di dân tỉnh Tuyên Quang"),
            document(
                "draft",
                "Bản nháp về đất đai Đồng Nai",
                publication_status=PublicationStatus.DRAFT,
            ),
        ]
    )
    # Saved records are indexed by Wagtail's signal handlers; the task path is checked as well.
    index_ids("collections_app.Document", [record.pk for record in made.values()])
    refresh(live_backend)
    return made


def found(backend, text, **kwargs):
    return list(backend.search(text, Document.objects.all(), **kwargs))


def analyzed(backend, analyzer, text):
    index = backend.get_index_for_model(Document).name
    if backend.use_new_elasticsearch_api:
        response = backend.es.indices.analyze(index=index, analyzer=analyzer, text=text)
    else:
        response = backend.es.indices.analyze(index=index, body={"analyzer": analyzer, "text": text})
    return [token["token"] for token in response["tokens"]]


@pytest.mark.parametrize(
    ("analyzer", "text"),
    [
        (FOLDING_ANALYZER, "Quyết định số 1234/QĐ-UBND của Uỷ ban Hoà Bình, mã H19.25.07.2024.08"),
        (FOLDING_ANALYZER, "Đông và Dông, ĐẤT ĐAI"),
        (NUMBER_ANALYZER, "Số 1234/QĐ-UBND và Nghị định 15/2019/NĐ-CP"),
        (AUTOCOMPLETE_ANALYZER, "Đồng Nai"),
    ],
)
def test_the_server_analyzes_as_the_settings_say(live_backend, analyzer, text):
    assert analyzed(live_backend, analyzer, text) == simulate(text, analyzer)


def test_unaccented_and_accented_queries_find_the_same_records(live_backend, corpus):
    unaccented = {record.pk for record in found(live_backend, "dat dai dong nai", operator="and")}
    accented = {record.pk for record in found(live_backend, "đất đai Đồng Nai", operator="and")}

    assert unaccented == accented
    assert {corpus["land"].pk, corpus["unmarked"].pk} <= accented


def test_the_form_typed_with_marks_ranks_first(live_backend, corpus):
    results = found(live_backend, "đất đai Đồng Nai", operator="and")

    assert results.index(corpus["land"]) < results.index(corpus["unmarked"])


@pytest.mark.parametrize("typed", ["uy ban", "Ủy ban", "Uỷ ban"])
def test_both_tone_placements_meet(live_backend, corpus, typed):
    assert corpus["committee"] in found(live_backend, typed, operator="and")


def test_old_tone_placement_finds_the_new_one(live_backend, corpus):
    assert corpus["peace"] in found(live_backend, "hòa bình", operator="and")


def test_a_document_number_puts_its_document_first(live_backend, corpus):
    typed = found(live_backend, "1234/QĐ-UBND", operator="and")
    parsed = found(live_backend, parse("1234/QĐ-UBND").backend_query())

    assert typed[0] == corpus["number"]
    assert corpus["other_number"] not in typed
    assert parsed == [corpus["number"]]


def test_a_symbol_alone_finds_every_document_bearing_it(live_backend, corpus):
    results = found(live_backend, parse("QĐ-UBND").backend_query())

    assert {corpus["number"], corpus["other_number"]} <= set(results)


def test_a_one_letter_typo_is_forgiven(live_backend, corpus):
    assert found(live_backend, parse("Tuyen Quag").backend_query())[0] == corpus["tuyen_quang"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("Đồn", "land"), ("dong", "land"), ("Đồn", "unmarked"), ("phuo", "number"), ("Phướ", "number")],
)
def test_autocomplete_completes_folded_prefixes(live_backend, corpus, typed, expected):
    completed = list(live_backend.autocomplete(typed, Document))

    assert corpus[expected] in completed
    assert corpus["committee"] not in completed


def test_autocomplete_finds_the_title_being_typed(live_backend, corpus):
    assert corpus["number"] in list(live_backend.autocomplete("Tam Phướ", Document))
    assert corpus["land"] in list(live_backend.autocomplete("dong na", Document))


def test_the_public_search_obeys_access_on_the_server_backend(client, live_backend, corpus):
    data = client.get("/api/v1/search", {"q": "dat dai dong nai", "level": "document"}).json()

    titles = [result["title"] for result in data["results"]]
    assert corpus["land"].title in titles
    assert corpus["draft"].title not in titles
    assert data["count"] == len(titles)


def test_the_public_search_puts_the_number_first(client, live_backend, corpus):
    data = client.get("/api/v1/search", {"q": "1234/QĐ-UBND"}).json()

    assert data["results"][0]["title"] == corpus["number"].title


def test_edits_reach_the_index(live_backend, corpus):
    record = corpus["tuyen_quang"]
    record.title = "Hồ sơ di dân vùng lòng hồ thủy điện Na Hang"
    record.save()
    refresh(live_backend)

    assert found(live_backend, "na hang", operator="and") == [record]
