"""Keeping the search index current for records written without ``save()``.

Records saved one by one are indexed by Wagtail's own ``post_save`` handlers; bulk imports write
rows directly and announce them with ``collections_app.signals.records_changed``.
"""

from django.apps import apps
from django.db import transaction
from modelsearch.backends import get_search_backends

INDEX_CHUNK = 1000


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


def index_ids(model_label, ids):
    """Write the records' current text to every automatically updated search backend."""
    model = apps.get_model(model_label)
    records = list(model._default_manager.filter(pk__in=ids))
    if not records:
        return 0
    for backend in get_search_backends(with_auto_update=True):
        backend.add_bulk(model, records)
    return len(records)
