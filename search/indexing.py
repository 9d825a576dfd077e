"""Keeping the search index current.

Records saved one by one are indexed by Wagtail's own ``post_save`` handlers; bulk writers (imports,
mergers, package imports) announce their rows with ``collections_app.signals.records_changed`` and
the rows are indexed by the ``index_records`` task once the writing transaction has committed.
"""

from django.apps import apps
from django.db import transaction
from modelsearch.backends import get_search_backends

from collections_app.bulk import refresh_stale_planner_statistics
from collections_app.codes import attach_alias_codes

INDEX_CHUNK = 1000

# What each model's search text reads beyond its own row (see ``search_places``/``search_identifiers``).
RELATED = {
    "collections_app.Fonds": ("unit__parent__parent",),
    "collections_app.Series": ("fonds__unit__parent__parent",),
    "collections_app.RecordFile": ("creating_unit__parent__parent", "fonds__unit__parent__parent"),
    "collections_app.Document": (
        "file__creating_unit__parent__parent",
        "file__fonds__unit__parent__parent",
    ),
}


def index_after_commit(sender, changes, **kwargs):
    """Queue the indexing of the changed records once the writing transaction has committed."""
    for model, ids in changes.items():
        ids = sorted({pk for pk in ids if pk is not None})
        for start in range(0, len(ids), INDEX_CHUNK):
            chunk = ids[start : start + INDEX_CHUNK]
            transaction.on_commit(lambda label=model._meta.label, chunk=chunk: enqueue(label, chunk))


def enqueue(model_label, ids):
    from .tasks import index_records

    index_records.enqueue(model_label, ids)


def records_for_index(model_label, ids):
    model = apps.get_model(model_label)
    queryset = model._default_manager.filter(pk__in=ids)
    related = RELATED.get(model._meta.label)
    if related:
        queryset = queryset.select_related(*related)
    records = list(queryset)
    if hasattr(model, "alias_codes"):
        attach_alias_codes(records)
    return model, records


def index_ids(model_label, ids, backends=None):
    """Write the records' current text to ``backends`` (default: every automatically updated one)."""
    model, records = records_for_index(model_label, ids)
    if not records:
        return 0
    for backend in backends if backends is not None else get_search_backends(with_auto_update=True):
        backend.add_bulk(model, records)
    # The index grows by thousands of entries at a time: SQLite's planner must know it.
    refresh_stale_planner_statistics()
    return len(records)
