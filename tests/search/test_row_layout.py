"""On SQLite, the columns the search reads for every match lie before the long texts in the row."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from collections_app.factories import DocumentFactory
from collections_app.models import Document, RecordFile
from search.engine import search_records

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite only: PostgreSQL keeps long values out of the row"
    ),
]

LONG_TEXTS = {Document: ("full_text", "ocr_text"), RecordFile: ("ocr_text",)}


def _columns_in_row_order(model):
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA table_xinfo({model._meta.db_table})")
        return [row[1] for row in cursor.fetchall()]


def _columns_read_by_the_level_statements(query):
    statements = []

    def remember(execute, sql, params, many, context):
        if sql.startswith("WITH matched"):
            statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(remember):
        page = search_records(AnonymousUser(), query)
    return page, " ".join(statements)


@pytest.mark.parametrize("model", [Document, RecordFile], ids=["documents", "files"])
def test_every_column_the_search_reads_lies_before_the_long_texts(model):
    long_ocr = "Biên bản bồi thường giải phóng mặt bằng khu dân cư. " * 1000
    document = DocumentFactory(title="Quyết định bồi thường tái định cư", ocr_text=long_ocr)

    page, sql = _columns_read_by_the_level_statements("bồi thường tái định cư")

    assert document.pk in [hit.record.pk for hit in page.hits]
    table = model._meta.db_table
    read = set(re.findall(rf'"{table}"\."(\w+)"', sql))
    assert {"archive_id", "deleted_at", "has_content", "access_regime", "publication_status"} <= read
    order = _columns_in_row_order(model)
    first_long_text = min(order.index(name) for name in LONG_TEXTS[model])
    assert [name for name in read if order.index(name) > first_long_text] == []
