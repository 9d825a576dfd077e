"""Queue a new indexing of every file and document on PostgreSQL.

The body vector now holds the description at weights A to C and the content (OCR text, full text) at
D (``search.backends.postgres``). Entries written before keep their description at D, where the
search would take a closed record's description for content and leave the record out of the results
(never the other way round). The queued ``index_records`` tasks rewrite them; ``update_index`` does
the same at once.
"""

from django.db import migrations


def queue_reindex(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from search.indexing import INDEX_CHUNK, enqueue

    for label in ("collections_app.RecordFile", "collections_app.Document"):
        model = apps.get_model(label)
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), INDEX_CHUNK):
            enqueue(label, ids[start : start + INDEX_CHUNK])


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_vietnamese_text_search"),
        ("collections_app", "0007_search_join_keys"),
        ("django_tasks_database", "__latest__"),
    ]

    operations = [migrations.RunPython(queue_reindex, migrations.RunPython.noop, elidable=True)]
