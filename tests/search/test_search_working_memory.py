"""The search's statements run with ``SEARCH_WORK_MEM`` on PostgreSQL, and only they do."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from collections_app.factories import DocumentFactory
from search.engine import search_records

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has no work_mem"),
]


def _work_mem():
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        return cursor.fetchone()[0]


def _work_mem_of_the_level_statements(query):
    seen = []

    def remember_work_mem(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("WITH matched"):
            seen.append(_work_mem())
        return result

    with connection.execute_wrapper(remember_work_mem):
        page = search_records(AnonymousUser(), query)
    return page, seen


def test_the_search_statements_get_the_search_working_memory_and_the_session_keeps_its_own(settings):
    settings.SEARCH_WORK_MEM = "48MB"
    document = DocumentFactory(title="Hồ sơ giao đất khu công nghiệp Sóng Thần")
    server_default = _work_mem()
    assert server_default != "48MB"

    page, seen = _work_mem_of_the_level_statements("giao đất Sóng Thần")

    assert [hit.record.pk for hit in page.hits] == [document.pk]
    assert seen and set(seen) == {"48MB"}
    assert _work_mem() == server_default


def test_an_empty_search_working_memory_leaves_the_server_setting(settings):
    settings.SEARCH_WORK_MEM = ""
    DocumentFactory(title="Hồ sơ giao đất khu công nghiệp Sóng Thần")
    server_default = _work_mem()

    _page, seen = _work_mem_of_the_level_statements("giao đất Sóng Thần")

    assert seen and set(seen) == {server_default}
