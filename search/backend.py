"""The one place that talks to the search backend.

The database backends (SQLite FTS5, PostgreSQL) apply the Django queryset they are given as it is,
as a SQL condition of the search. So the access filter (``access.listable``) and the page's filters
run inside the search, in the same SQL statement, whatever fields they use. modelsearch's
``check()`` would refuse filters on fields not declared as ``FilterField`` (``deleted_at``, the
categories, the scans): that check exists for backends that copy the filter fields into their own
index (Elasticsearch, OpenSearch); it is skipped here on purpose.
"""

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from modelsearch.backends import get_search_backend

SCORE = "_score"
# The alias a backend may add to its matches: whether the record's description (not its content)
# explains the match (see ``search.backends.postgres`` and ``search.backends.sqlite``).
DESCRIPTION_MATCH = "_matches_description"


def matching(queryset, query, fields=None):
    """``queryset`` narrowed to the records matching ``query``, annotated with ``_score``."""
    backend = get_search_backend()
    compiler = backend.query_compiler_class(queryset, query, fields=fields, order_by_relevance=True)
    results = backend.results_class(backend, compiler).annotate_score(SCORE)
    return results.get_queryset()


def mention_conditions(hits, query):
    """``(anywhere, in the description)``: whether ``query`` matches each of ``hits`` (from ``matching``)
    at all, and through its description; SQL expressions, or None where the backend cannot tell it in
    SQL (then the caller reads the records).
    """
    backend = get_search_backend()
    compiler = backend.query_compiler_class(hits, query)
    conditions = getattr(compiler, "mention_conditions", None)
    return conditions(backend) if conditions else None


def best_first(queryset):
    """Most relevant first, then newest: a stable order across pages."""
    if lower_score_is_better():
        return queryset.order_by(SCORE, "-pk")
    return queryset.order_by(f"-{SCORE}", "-pk")


def relevance(score):
    """The score as "higher is better" whatever the backend, to merge levels."""
    score = score or 0.0
    return -score if lower_score_is_better() else score


def lower_score_is_better():
    # SQLite's FTS5 bm25() is negative, the best match the most negative.
    return connection.vendor == "sqlite"


def evaluate(build):
    """Run ``build()``; on a backend query error retry once with ``build(fallback=True)``.

    The savepoint keeps a PostgreSQL transaction usable after the failed statement.
    """
    try:
        with transaction.atomic():
            size_working_memory()
            return build(fallback=False)
    except DatabaseError:
        with transaction.atomic():
            size_working_memory()
            return build(fallback=True)


def size_working_memory():
    """On PostgreSQL, ``SEARCH_WORK_MEM`` for the statements of the current transaction only."""
    if connection.vendor == "postgresql" and settings.SEARCH_WORK_MEM:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.SEARCH_WORK_MEM])
