"""Records reach the search index however they are written: admin save, bulk import, OCR, rebuild."""

import csv
import datetime
import importlib
import io
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Replace
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from wagtail.search.models import IndexEntry

from collections_app.bulk import bulk_create_documents, bulk_create_files
from collections_app.factories import (
    DocumentFactory,
    FondsFactory,
    ScanPageFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.ingest.text import set_page_text
from collections_app.models import Document, Fonds, RecordFile, Role, Series
from collections_app.vocabularies import AccessRegime
from search.engine import search_records
from search.tasks import index_records


def found(client, query):
    data = client.get("/api/v1/search", {"q": query}).json()
    return {result["reference_code"] for result in data["results"]}


def planner_statistics_of(model):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [model._meta.db_table])
        return cursor.fetchone()[0]


def write_inventory(tmp_path):
    rows = [
        ["Mã phông", "Mã hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu", "Mã định danh tài liệu"]
        + ["Tên loại tài liệu", "Số", "Ký hiệu", "Trích yếu nội dung", "Trạng thái"],
        ["H19", "H19.2019.01", "Hồ sơ đền bù giải phóng mặt bằng", "2019", "", "", "", "", "", "đã công bố"],
        ["H19", "H19.2019.01", "", "", "H19.2019.01.1", "Quyết định", "101", "QĐ-UBND"]
        + ["Quyết định phê duyệt phương án bồi thường Suối Rết", "đã công bố"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\n").writerows(rows)
    path = tmp_path / "kiem-ke.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


def test_bulk_import_is_indexed_after_commit(
    client, tuyen_quang, tmp_path, django_capture_on_commit_callbacks
):
    FondsFactory(archive=tuyen_quang, code="H19", creator_code="", name="UBND huyện Long Thành")
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST))
    path = write_inventory(tmp_path)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("import_records", str(path), "--archive", "LT08")
        if connection.vendor == "sqlite":
            assert planner_statistics_of(Document), "the import left SQLite's planner without statistics"

    assert callbacks, "the import queued no indexing"
    document = Document.objects.get(title__contains="Suối Rết")
    assert found(client, "Suối Rết") == {document.reference_code}
    assert found(client, "giải phóng mặt bằng") == {document.file.reference_code}


def test_corrected_ocr_text_is_searchable(client, dong_nai):
    page = ScanPageFactory(
        digital_object__document__archive=dong_nai,
        digital_object__document__file__series__fonds__archive=dong_nai,
        text="",
    )
    document = page.digital_object.document
    assert found(client, "Nhơn Trạch") == set()

    set_page_text(page, "Biên bản bàn giao đất tại huyện Nhơn Trạch", source="correction")

    assert found(client, "Nhơn Trạch") == {document.reference_code}


def test_update_index_rebuilds_everything(client, dong_nai):
    document = DocumentFactory(
        archive=dong_nai, file__series__fonds__archive=dong_nai, title="Công văn về cầu Đồng Nai"
    )
    IndexEntry.objects.all().delete()
    assert found(client, "Công văn") == set()

    call_command("update_index", stdout=io.StringIO())

    assert found(client, "Công văn") == {document.reference_code}


@pytest.mark.parametrize("count", [1, 1001])
def test_index_records_task_indexes_in_chunks(client, dong_nai, django_capture_on_commit_callbacks, count):
    from collections_app.signals import records_changed

    documents = [
        DocumentFactory(
            archive=dong_nai, file__series__fonds__archive=dong_nai, title="Tờ trình xin giao đất"
        )
    ]
    IndexEntry.objects.all().delete()
    ids = [documents[0].pk] + list(range(10**9, 10**9 + count - 1))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        records_changed.send(None, changes={Document: ids})

    assert len(callbacks) == (1 if count == 1 else 2)
    assert found(client, "Tờ trình") == {documents[0].reference_code}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index entries changed weights")
@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_the_upgrade_queues_a_new_indexing_of_every_file_and_document(db, dong_nai):
    documents = [DocumentFactory(archive=dong_nai, file__series__fonds__archive=dong_nai) for _ in range(3)]
    migration = importlib.import_module("search.migrations.0002_reindex_descriptions_apart_from_content")

    migration.queue_reindex(django_apps, SimpleNamespace(connection=connection))

    queued = DBTaskResult.objects.filter(task_path=index_records.module_path)
    labels = {task.args_kwargs["args"][0]: task.args_kwargs["args"][1] for task in queued}
    assert set(labels["collections_app.Document"]) == {document.pk for document in documents}
    assert set(labels["collections_app.RecordFile"]) == {document.file_id for document in documents}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's partial GIN indexes")
@pytest.mark.parametrize("model", [Fonds, Series, RecordFile])
def test_each_description_level_has_a_body_index_of_its_own_entries(db, model):
    """A level's words are looked up in its own index, not among the million documents' entries."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
            [IndexEntry._meta.db_table, f"search_body_{model._meta.model_name}"],
        )
        (definition,) = cursor.fetchone()
    content_type = ContentType.objects.get_for_model(model).pk
    assert "USING gin (body)" in definition
    assert definition.endswith(f"WHERE (content_type_id = {content_type})")


def level_words():
    return {
        entry.content_type.model: entry.body.rsplit(" ", 1)[-1]
        for entry in IndexEntry.objects.select_related("content_type")
    }


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's level words (PostgreSQL: per-level indexes)"
)
def test_each_level_is_matched_among_its_own_entries_on_sqlite(client, dong_nai):
    fonds = FondsFactory(archive=dong_nai, name="UBND huyện Nhơn Trạch")
    document = DocumentFactory(
        archive=dong_nai, file__series__fonds=fonds, file__archive=dong_nai, title="Giao đất Nhơn Trạch"
    )

    with CaptureQueriesContext(connection) as queries:
        assert found(client, "Nhơn Trạch") >= {fonds.reference_code, document.reference_code}

    words = level_words()
    assert words["fonds"] == "kholevelcollectionsappfonds"
    assert words["document"] == "kholevelcollectionsappdocument"
    fonds_match = next(
        query["sql"]
        for query in queries
        if 'AS "s_pk"' in query["sql"] and "collections_app_fonds" in query["sql"][:120]
    )
    assert 'body : "kholevelcollectionsappfonds"' in fonds_match


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's level words")
def test_the_upgrade_gives_entries_written_before_their_level_word(client, dong_nai):
    fonds = FondsFactory(archive=dong_nai, name="UBND huyện Nhơn Trạch")
    IndexEntry.objects.update(body=Replace("body", Value(" kholevelcollectionsappfonds"), Value("")))
    assert found(client, "Nhơn Trạch") == set()
    migration = importlib.import_module("search.migrations.0004_sqlite_level_words")

    migration.add_level_words(django_apps, SimpleNamespace(connection=connection))
    migration.add_level_words(django_apps, SimpleNamespace(connection=connection))

    assert found(client, "Nhơn Trạch") == {fonds.reference_code}
    fonds_entry = IndexEntry.objects.get(content_type=ContentType.objects.get_for_model(Fonds))
    word = "kholevelcollectionsappfonds"
    assert fonds_entry.body.endswith(f" {word}") and fonds_entry.body.count(word) == 1


def descriptions():
    from search.backends.sqlite import DESCRIPTION_TABLE  # loads only on SQLite

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid, description FROM {DESCRIPTION_TABLE}")  # noqa: S608 - a constant name
        rows = cursor.fetchall()
    entries = dict(IndexEntry.objects.values_list("id", "object_id"))
    return {int(entries[rowid]): description for rowid, description in rows}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's description table")
def test_an_entry_with_content_has_its_description_apart_on_sqlite(dong_nai):
    scanned = DocumentFactory(
        archive=dong_nai, title="Tờ trình giao đất", ocr_text="Biên bản kiểm đếm tài sản hộ ông Sáu"
    )
    described_only = DocumentFactory(archive=dong_nai, title="Quyết định thu hồi đất")

    assert set(descriptions()) == {scanned.pk}
    assert "to trinh giao dat" in descriptions()[scanned.pk]
    assert "kiem dem" not in descriptions()[scanned.pk]

    scanned.title = "Tờ trình giao đất bổ sung"
    scanned.save()
    assert "bo sung" in descriptions()[scanned.pk] and len(descriptions()) == 1

    described_only.full_text = "Văn bản số hoá"
    described_only.save()
    scanned.delete()
    assert set(descriptions()) == {described_only.pk}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's description table")
def test_the_upgrade_writes_the_descriptions_of_records_indexed_before(client, dong_nai):
    closed = DocumentFactory(
        archive=dong_nai,
        file__series__fonds__archive=dong_nai,
        title="Hồ sơ thanh tra khiếu nại Sóc Bom Bo",
        access_regime=AccessRegime.CONDITIONAL,
        opening_date=datetime.date(2099, 1, 1),
        access_reason="Đời tư",
        ocr_text="Biên bản làm việc với ông kangaroo về thửa đất số 12.",
    )
    from search.backends.sqlite import DESCRIPTION_TABLE  # loads only on SQLite

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DESCRIPTION_TABLE}")  # noqa: S608 - a constant name
    migration = importlib.import_module("search.migrations.0005_sqlite_description_index")

    migration.index_records_with_content(django_apps)

    assert set(descriptions()) == {closed.pk}
    assert found(client, "Sóc Bom Bo") == {closed.reference_code}
    assert found(client, "kangaroo") == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's description table")
def test_descriptions_find_their_entries_when_sqlite_returns_no_ids(dong_nai, monkeypatch):
    """SQLite before 3.35 (not installable here: the bulk insert is made to forget the ids) gives none."""
    manager = IndexEntry._default_manager
    bulk_create = manager.bulk_create

    def bulk_create_without_ids(rows, **kwargs):
        created = bulk_create(rows, **kwargs)
        for entry in created:
            entry.pk = None
        return created

    monkeypatch.setattr(manager, "bulk_create", bulk_create_without_ids)
    scanned = DocumentFactory(archive=dong_nai, title="Tờ trình giao đất", ocr_text="Biên bản kiểm đếm")

    assert set(descriptions()) == {scanned.pk}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite gathers no planner statistics unasked")
def test_a_sqlite_search_reads_the_match_once_and_each_record_by_row_id(dong_nai):
    """Indexing leaves SQLite statistics: without them it walks every listed document and probes the
    full-text index for each."""
    series = SeriesFactory(fonds__archive=dong_nai, number="01")
    files = bulk_create_files(
        RecordFile(series=series, year=2019, file_number=f"{n:03d}", title=f"Hồ sơ số {n}")
        for n in range(1, 201)
    )
    words = ("bồi thường", "giao đất", "khen thưởng", "quy hoạch", "thanh tra")
    documents = bulk_create_documents(
        Document(file=file, ordinal=ordinal, type_name="02", title=f"Quyết định {words[ordinal % 5]}")
        for file in files
        for ordinal in range(1, 16)
    )
    index_records.call("collections_app.Document", [document.pk for document in documents])

    with CaptureQueriesContext(connection) as queries:
        search_records(AnonymousUser(), "bồi thường")
    statement = next(
        query["sql"] for query in queries if 'collections_app_document"."id" AS "s_pk"' in query["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {statement}")
        steps = [row[3] for row in cursor.fetchall()]
    fts_steps = [step for step in steps if f"{IndexEntry._meta.db_table}_fts" in step]
    # "0:M…": one reading of the match; "0:=M…" would be one probe by row id per listed document.
    assert fts_steps and all(" INDEX 0:M" in step for step in fts_steps), fts_steps
    # Each matched document read by its row id, not looked up by the text key of the generic relation.
    assert "SEARCH collections_app_document USING INTEGER PRIMARY KEY (rowid=?)" in steps, steps
