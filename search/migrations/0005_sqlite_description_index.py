"""On SQLite, a full-text table of the descriptions of the entries that have content.

See ``search.backends.sqlite``: it lets SQL tell whether a record's description explains a match.
A trigger removes an entry's description with the entry. The files and documents with content are
indexed again here in the database backend (not in a search server, if one is the default: then the
table is not read), in the same transaction, so that no entry with content is left without its
description (which the search would take for an entry without content, whose whole body describes
it).
"""

from django.db import migrations

# As ``search.backends.sqlite.DESCRIPTION_TABLE``; that module loads only on SQLite.
DESCRIPTION_TABLE = "search_description_fts"
TRIGGER = "search_description_fts_delete"


def create_description_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    entries = schema_editor.quote_name(apps.get_model("wagtailsearch", "IndexEntry")._meta.db_table)
    schema_editor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {DESCRIPTION_TABLE} USING fts5(description)")
    schema_editor.execute(
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER} AFTER DELETE ON {entries} "
        f"BEGIN DELETE FROM {DESCRIPTION_TABLE} WHERE rowid = OLD.id; END"
    )
    index_records_with_content(apps)


def index_records_with_content(apps):
    """Index again, in the SQLite backend only, the files and documents that have content."""
    from modelsearch.backends import get_search_backend

    from search.backends.sqlite import SQLiteSearchBackend
    from search.indexing import INDEX_CHUNK, index_ids

    backend = get_search_backend()
    if not isinstance(backend, SQLiteSearchBackend):
        return
    for label in ("collections_app.RecordFile", "collections_app.Document"):
        model = apps.get_model(label)
        ids = list(model.objects.filter(has_content=True).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), INDEX_CHUNK):
            index_ids(label, ids[start : start + INDEX_CHUNK], backends=[backend])


def drop_description_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {DESCRIPTION_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0004_sqlite_level_words"),
        ("collections_app", "0008_has_content"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [migrations.RunPython(create_description_index, drop_description_index)]
