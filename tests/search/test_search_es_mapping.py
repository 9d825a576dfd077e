"""Elasticsearch 9 / OpenSearch 3: the index settings, mappings and query bodies, without a server.

No search server runs here: the backends are built with an address nothing listens on, and what they
would send (index settings, mappings, queries) is checked as data. The analysis chain is run in
Python from the settings themselves (``vietnamese_analysis.simulate``), so a wrong rule, pattern or
filter order fails here the way a citizen would see it fail: "dong nai" not finding "Đồng Nai".
The last tests replace the server's answer to a search (and only that) to check that what the
server returns is still filtered by the access module before anyone sees it.
"""

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from django.utils import timezone
from elasticsearch import BadRequestError, Elasticsearch
from modelsearch.query import Not, PlainText

from collections_app.factories import DocumentFactory
from collections_app.models import Document, RecordFile
from collections_app.vocabularies import PublicationStatus
from search.backend import SCORE, lower_score_is_better, matching
from search.backends import elasticsearch9, opensearch3
from search.backends.vietnamese_analysis import (
    AUTOCOMPLETE_ANALYZER,
    FOLDING_ANALYZER,
    NUMBER_ANALYZER,
    analysis_settings,
    simulate,
)
from search.query import parse

NOWHERE = "http://127.0.0.1:9"  # nothing listens there; building a client does not connect
BACKENDS = [elasticsearch9.SearchBackend, opensearch3.SearchBackend]
ROOT = Path(__file__).resolve().parents[2]


def es_backend(**params):
    return elasticsearch9.SearchBackend({"URLS": [NOWHERE], **params})


def compiled(query, model=Document, backend=None, **kwargs):
    backend = backend or es_backend()
    return backend.query_compiler_class(model._default_manager.all(), query, **kwargs).get_query()


def autocomplete_compiled(text, model=Document):
    backend = es_backend()
    return backend.autocomplete_query_compiler_class(model._default_manager.all(), text).get_query()


def walk(body):
    """Every dict inside a query body, depth first."""
    if isinstance(body, dict):
        yield body
        for value in body.values():
            yield from walk(value)
    elif isinstance(body, list):
        for item in body:
            yield from walk(item)


def clauses(body, kind):
    return [node[kind] for node in walk(body) if kind in node]


def field_names(fields):
    return [name.split("^")[0] for name in fields]


def mapped_field(properties, dotted):
    """The mapping of ``title`` or of the sub-field ``title.number``."""
    name, _, sub = dotted.partition(".")
    field = properties[name]
    return field["fields"][sub] if sub else field


def tokens(text, analyzer=FOLDING_ANALYZER):
    return set(simulate(text, analyzer))


# Index settings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend_class", BACKENDS)
def test_both_servers_get_the_vietnamese_analysis(backend_class):
    backend = backend_class({"URLS": [NOWHERE]})
    analysis = backend.settings["settings"]["analysis"]

    folding = analysis["analyzer"][FOLDING_ANALYZER]
    assert folding["tokenizer"] == "standard"
    # lowercase before asciifolding, which keeps the original token beside the folded one
    assert folding["filter"] == ["lowercase", "vietnamese_folding"]
    assert analysis["filter"]["vietnamese_folding"] == {"type": "asciifolding", "preserve_original": True}
    assert analysis["analyzer"]["default"] == folding
    assert analysis["char_filter"]["vietnamese_d"]["mappings"] == ["Đ => D", "đ => d"]
    # modelsearch's own analyzers are still there for the fields that name them
    assert "edgengram_analyzer" in analysis["analyzer"]
    assert analysis == {**analysis, **{key: analysis[key] for key in analysis_settings()}}


def test_index_settings_given_in_settings_are_merged_not_replacing_the_analysis():
    backend = es_backend(INDEX_SETTINGS={"settings": {"index": {"number_of_shards": 1}}})

    assert backend.settings["settings"]["index"]["number_of_shards"] == 1
    assert FOLDING_ANALYZER in backend.settings["settings"]["analysis"]["analyzer"]


def test_index_names_carry_the_configured_prefix():
    backend = es_backend(INDEX="khoLuuTru")

    assert backend.get_index_for_model(Document).name == "kholuutru_collections_app_document"
    assert backend.get_index_for_model(RecordFile).name == "kholuutru_collections_app_recordfile"


# The analysis chain --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indexed", "typed"),
    [
        ("Đất đai tỉnh Đồng Nai", "dat dai dong nai"),
        ("Đất đai tỉnh Đồng Nai", "ĐẤT ĐAI ĐỒNG NAI"),
        ("Ủy ban nhân dân", "uy ban"),
        ("Uỷ ban nhân dân", "Ủy ban"),
        ("Ủy ban nhân dân", "Uỷ ban"),
        ("Hoà Bình", "hòa bình"),
        ("Hòa Bình", "hoà"),
        ("Thuỷ lợi", "thủy lợi"),
        ("Trường Sơn", "truong son"),
    ],
)
def test_every_spelling_of_a_word_meets_the_indexed_text(indexed, typed):
    assert tokens(typed) <= tokens(indexed)


def test_the_original_form_is_kept_beside_the_folded_one():
    indexed = simulate("Đồng Nai")

    assert indexed == ["dong", "đồng", "nai"]
    # "Đông" (east) and "Dông" (storm) fold alike but keep their own original token
    assert tokens("Đông") & tokens("Dông") == {"dong"}
    assert "đông" in tokens("Đông") and "dông" not in tokens("Đông")


def test_decomposed_input_folds_like_precomposed():
    decomposed = unicodedata.normalize("NFD", "Đồng Nai")

    assert simulate(decomposed) == simulate("Đồng Nai")


def test_document_number_is_indexed_as_parts_and_as_one_unit():
    text = "Quyết định số 1234/QĐ-UBND ngày 05/3/2019 và Nghị định 15/2019/NĐ-CP"

    assert {"1234", "qd", "qđ", "ubnd", "15", "2019", "nd", "cp"} <= tokens(text)
    assert simulate(text, NUMBER_ANALYZER) == ["1234/qd-ubnd", "05/3/2019", "15/2019/nd-cp"]
    assert simulate("1234/QĐ-UBND", NUMBER_ANALYZER) == ["1234/qd-ubnd"]
    assert simulate("QĐ-UBND", NUMBER_ANALYZER) == ["qd-ubnd"]
    # a symbol typed alone is a run of the parts of the indexed number, found as a phrase
    assert simulate("QĐ-UBND") == ["qd", "qđ", "ubnd"]


def test_reference_codes_split_at_dots_as_the_query_parser_splits_them():
    code = "H19.25.07.2024.08"

    assert tuple(simulate(code)) == parse(code).phrases[0] == ("h19", "25", "07", "2024", "08")
    assert simulate(code, NUMBER_ANALYZER) == ["h19.25.07.2024.08"]


@pytest.mark.parametrize("typed", ["do", "đồ", "Đồn", "dong", "ĐỒNG"])
def test_autocomplete_completes_folded_and_exact_prefixes(typed):
    index_grams = tokens("Đồng Nai", AUTOCOMPLETE_ANALYZER)
    searched = tokens(typed, FOLDING_ANALYZER)

    assert searched <= index_grams


def test_autocomplete_does_not_complete_another_word():
    assert not tokens("Phước", FOLDING_ANALYZER) & tokens("Đồng Nai", AUTOCOMPLETE_ANALYZER)


# Mappings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Document, RecordFile])
@pytest.mark.parametrize("backend_class", BACKENDS)
def test_every_text_field_folds_at_index_and_query_time(backend_class, model):
    properties = backend_class.mapping_class(model).get_mapping()["properties"]
    text_fields = {name: field for name, field in properties.items() if field.get("type") == "text"}

    assert {"title", "ocr_text", "_all_text", "_all_text_boost_2_0"} <= set(text_fields)
    for name, field in text_fields.items():
        if name.endswith("edgengrams"):
            assert (field["analyzer"], field["search_analyzer"]) == (AUTOCOMPLETE_ANALYZER, FOLDING_ANALYZER)
        else:
            assert (field["analyzer"], field["search_analyzer"]) == (FOLDING_ANALYZER, FOLDING_ANALYZER), name


@pytest.mark.parametrize("model", [Document, RecordFile])
def test_titles_and_identifiers_hold_the_number_as_one_unit(model):
    mapping = es_backend().mapping_class(model)
    properties = mapping.get_mapping()["properties"]

    columns = mapping.number_columns()
    assert "title.number" in columns
    assert any(column.endswith("search_identifiers.number") for column in columns)
    for column in columns:
        assert mapped_field(properties, column)["analyzer"] == NUMBER_ANALYZER
    assert "fields" not in properties["ocr_text"]


def test_documents_sent_to_the_server_are_in_composed_form(dong_nai):
    document = DocumentFactory(
        archive=dong_nai,
        file__series__fonds__archive=dong_nai,
        title=unicodedata.normalize("NFD", "Quyết định giao đất Đồng Nai"),
    )

    sent = es_backend().mapping_class(Document).get_document(document)

    assert sent["title"] == "Quyết định giao đất Đồng Nai"
    assert unicodedata.is_normalized("NFC", sent["title"])
    assert "Quyết định giao đất Đồng Nai" in sent["_edgengrams"]
    assert "_all_text" not in sent


def test_text_a_model_adds_for_search_is_sent_as_searchable_text(dong_nai):
    document = DocumentFactory(archive=dong_nai, file__series__fonds__archive=dong_nai)
    document.search_extra_text = "Sông Bé"

    sent = es_backend().mapping_class(Document).get_document(document)

    assert sent["_all_text"] == "Sông Bé"


# Query bodies --------------------------------------------------------------------------------------------


def assert_targets_folded_fields(body, model=Document):
    properties = es_backend().mapping_class(model).get_mapping()["properties"]
    matches = clauses(body, "multi_match")
    assert matches
    for match in matches:
        for name in field_names(match["fields"]):
            analyzer = mapped_field(properties, name)["analyzer"]
            assert analyzer in (FOLDING_ANALYZER, NUMBER_ANALYZER), name
            assert (analyzer == NUMBER_ANALYZER) == name.endswith(".number")


def test_an_unaccented_query_requires_every_word_in_folded_fields():
    body = compiled(parse("dat dai Dong Nai").backend_query())

    exact = clauses(body, "multi_match")[0]
    assert exact["query"] == "dat dai dong nai"
    assert exact["operator"] == "and"
    assert set(field_names(exact["fields"])) == {"_all_text", "_all_text_boost_2_0"}
    assert_targets_folded_fields(body)
    assert clauses(body, "filter") == [{"match": {"_django_content_type": "collections_app.Document"}}]


def test_an_accented_query_reaches_the_server_with_its_marks_for_exact_first():
    typed = unicodedata.normalize("NFD", "đất đai Đồng Nai")

    body = compiled(typed, operator="and")

    assert clauses(body, "multi_match")[0]["query"] == "đất đai Đồng Nai"
    assert_targets_folded_fields(body)


def test_words_forgive_one_letter_typos_but_numbers_do_not():
    words = compiled(parse("Tuyen Quag").backend_query())
    number = compiled(PlainText("1234", operator="and"))

    fuzzy = [match for match in clauses(words, "multi_match") if "fuzziness" in match]
    assert len(fuzzy) == 1
    assert fuzzy[0]["fuzziness"] == "AUTO"
    assert fuzzy[0]["prefix_length"] == 1
    assert fuzzy[0]["boost"] < 1
    assert not [match for match in clauses(number, "multi_match") if "fuzziness" in match]


def test_fuzziness_can_be_turned_off():
    body = compiled(parse("Tuyen Quag").backend_query(), backend=es_backend(FUZZINESS=None))

    assert not [match for match in clauses(body, "multi_match") if "fuzziness" in match]


def test_a_number_typed_as_written_also_matches_the_whole_number_field():
    body = compiled("Quyết định 1234/QĐ-UBND", operator="and")

    must = body["bool"]["must"]["bool"]
    assert must["must"][0]["multi_match"]["operator"] == "and"
    unit = must["should"][0]["multi_match"]
    assert unit["query"] == "Quyết định 1234/QĐ-UBND"
    assert "title.number" in unit["fields"]
    assert unit["boost"] > 1
    assert_targets_folded_fields(body)


def test_a_parsed_number_is_a_phrase_of_its_parts():
    body = compiled(parse("1234/QĐ-UBND").backend_query())

    phrase = clauses(body, "multi_match")[0]
    assert (phrase["type"], phrase["query"]) == ("phrase", "1234 qd ubnd")
    assert_targets_folded_fields(body)


def match_queries(body):
    """``{field: query text}`` of every match clause."""
    found = {}
    for match in clauses(body, "match"):
        for field, value in match.items():
            if isinstance(value, dict):
                found.setdefault(value["query"], set()).add(field)
    return found


def test_a_quoted_phrase_stays_a_phrase_beside_the_words():
    body = compiled(parse('"khu dân cư" Tam Phước').backend_query())

    for field_query in clauses(body, "dis_max")[0]["queries"]:
        both = field_query["bool"]["must"]
        phrase = clauses(both, "match_phrase")[0]
        ((field, value),) = phrase.items()
        assert (value if isinstance(value, str) else value["query"]) == "khu dan cu"
        assert set(match_queries(both)) == {"tam phuoc"}
        assert {f for fields in match_queries(both).values() for f in fields} == {field}


def test_an_excluded_word_becomes_a_must_not_without_forgiving_typos():
    query = parse("đất -Tam")
    body = compiled(Not(query.excluded_query()))

    excluded = clauses(body, "must_not")
    assert excluded
    assert set(match_queries(excluded)) == {"tam"}
    assert not [node for node in walk(body) if "fuzziness" in node]


def test_words_matching_any_of_them_stay_exact():
    body = compiled(parse("đất -Tam -Long").excluded_query())

    assert clauses(body, "multi_match")[0]["query"] == "tam long"
    assert not [node for node in walk(body) if "fuzziness" in node]


def test_autocomplete_searches_the_edge_ngrams_without_fuzziness():
    body = autocomplete_compiled("Đồn")

    match = clauses(body, "match")[0]
    assert list(match) == ["_edgengrams"]
    assert match["_edgengrams"]["query"] == "Đồn"
    assert not [node for node in walk(body) if "fuzziness" in node]


# Settings --------------------------------------------------------------------------------------------------


def settings_in_subprocess(environment):
    code = (
        "import django;django.setup();from django.conf import settings;"
        "print(settings.WAGTAILSEARCH_BACKENDS['default'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "archivecms.settings.test", **environment}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-c", code]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603


def test_search_url_selects_the_vietnamese_server_backend():
    done = settings_in_subprocess(
        {
            "SEARCH_URL": "https://search.example.vn:9200",
            "SEARCH_BACKEND": "opensearch3",
            "SEARCH_INDEX": "Kho",
        }
    )

    assert done.returncode == 0, done.stderr
    assert "'BACKEND': 'search.backends.opensearch3'" in done.stdout
    assert "'INDEX_PREFIX': 'kho_'" in done.stdout


def test_an_unknown_server_backend_is_refused_with_the_names_to_use():
    done = settings_in_subprocess({"SEARCH_URL": "http://localhost:9200", "SEARCH_BACKEND": "solr"})

    assert done.returncode != 0
    assert "use elasticsearch9 (the default) or opensearch3" in done.stderr


# What the server returns still goes through the access module ---------------------------------------------


@pytest.fixture
def land_records(dong_nai):
    def document(title, **values):
        return DocumentFactory(archive=dong_nai, file__series__fonds__archive=dong_nai, title=title, **values)

    return {
        "best": document("Quyết định giao đất khu dân cư Tam Phước"),
        "second": document("Biên bản giao đất Long Thành"),
        "draft": document("Giao đất bản nháp", publication_status=PublicationStatus.DRAFT),
        "deleted": document("Giao đất đã xóa", deleted_at=timezone.now()),
    }


@pytest.fixture
def server_answers(settings, monkeypatch):
    """Use the Elasticsearch backend, the server replaced by ``answer(index, query)`` → [(pk, score)]."""
    sent = []

    def install(answer):
        def search(client, **request):
            sent.append(request)
            hits = [
                {"_score": score, "fields": {"pk": [str(pk)]}}
                for pk, score in answer(request["index"], request["query"])
            ]
            return {"hits": {"hits": hits}}

        # No Elasticsearch server can run here: the client's search call is the one thing replaced.
        monkeypatch.setattr(Elasticsearch, "search", search)
        settings.WAGTAILSEARCH_BACKENDS = {
            "default": {"BACKEND": "search.backends.elasticsearch9", "URLS": [NOWHERE], "INDEX": "kho"}
        }
        return sent

    return install


def test_server_matches_are_filtered_by_access_and_kept_in_server_order(client, land_records, server_answers):
    ranked = [("second", 9.0), ("draft", 8.0), ("deleted", 7.0), ("best", 1.0)]

    def answer(index, query):
        if not index.endswith("collections_app_document"):
            return []
        return [(land_records[key].pk, score) for key, score in ranked]

    sent = server_answers(answer)
    data = client.get("/api/v1/search", {"q": "giao dat", "level": "document"}).json()

    titles = [result["title"] for result in data["results"]]
    assert titles == ["Biên bản giao đất Long Thành", "Quyết định giao đất khu dân cư Tam Phước"]
    assert data["count"] == 2
    assert sent and all(request["index"].startswith("kho_") for request in sent)
    assert all(request["size"] == 2_000 for request in sent)


def test_a_query_the_server_refuses_is_retried_as_plain_words(client, land_records, server_answers):
    def answer(index, query):
        if [match for match in clauses(query, "multi_match") if match.get("type") == "phrase"]:
            raise BadRequestError(message="failed to create query", meta=None, body={})
        if index.endswith("collections_app_document"):
            return [(land_records["best"].pk, 2.0)]
        return []

    server_answers(answer)
    response = client.get("/api/v1/search", {"q": '"khu dân cư" Tam Phước', "level": "document"})

    assert response.status_code == 200
    assert [result["title"] for result in response.json()["results"]] == [land_records["best"].title]


def test_nothing_found_by_the_server_is_an_empty_page_not_an_error(client, land_records, server_answers):
    server_answers(lambda index, query: [])

    response = client.get("/search/", {"q": "không có gì"})

    assert response.status_code == 200
    assert client.get("/api/v1/search", {"q": "không có gì"}).json()["count"] == 0


def test_many_server_matches_keep_their_own_scores_in_sql(land_records, server_answers):
    best, second = land_records["best"].pk, land_records["second"].pk
    beyond = max(record.pk for record in land_records.values()) + 1
    # hundreds of matches, all but two of them records this database does not hold (deleted since)
    answer = [(pk, 1000.0 + pk) for pk in range(beyond, beyond + 400)]
    answer += [(best, 5000.0), (second, 2.5)]
    server_answers(lambda index, query: answer)

    found = matching(Document.objects.all(), parse("giao dat").backend_query())
    scores = dict(found.values_list("pk", SCORE))

    sign = -1 if lower_score_is_better() else 1
    assert scores[best] == sign * 5000.0 and scores[second] == sign * 2.5
    assert set(scores) == {best, second}
    assert list(found.values_list("pk", flat=True)[:2]) == [best, second]


def test_suggestions_from_the_server_are_filtered_by_access(client, land_records, server_answers):
    def answer(index, query):
        if not index.endswith("collections_app_document"):
            return []
        return [(land_records["draft"].pk, 9.0), (land_records["best"].pk, 3.0)]

    sent = server_answers(answer)
    data = client.get("/api/v1/search/suggest", {"q": "Giao đấ"}).json()

    assert [suggestion["title"] for suggestion in data["suggestions"]] == [land_records["best"].title]
    searched = {name for request in sent for match in clauses(request["query"], "match") for name in match}
    assert "_edgengrams" in searched
