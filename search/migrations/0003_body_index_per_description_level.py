"""A GIN index on the body of the fonds', series' and files' index entries only, on PostgreSQL.

The index table holds every level together, a million documents beside fifty thousand files. Through
the index on every body, the files' search found the matching documents too (a hundred thousand for
a common word) and read each row only to drop it for its content type: 0.5–0.8 s of a broad query
at 1 M documents went to the files. A partial index per level finds the level's own entries alone.
The content type ids differ between databases, so the indexes are made here from the database's own.
"""

from django.db import migrations

LEVELS = ("fonds", "series", "recordfile")


def index_name(model_name):
    return f"search_body_{model_name}"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    content_types = apps.get_model("contenttypes", "ContentType")
    table = schema_editor.quote_name(apps.get_model("wagtailsearch", "IndexEntry")._meta.db_table)
    for model_name in LEVELS:
        content_type, _created = content_types.objects.get_or_create(
            app_label="collections_app", model=model_name
        )
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index_name(model_name)} ON {table} USING gin (body) "
            f"WHERE content_type_id = {int(content_type.pk)}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name in LEVELS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index_name(model_name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_reindex_descriptions_apart_from_content"),
        ("wagtailsearch", "0010_add_text_fields"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("collections_app", "0008_has_content"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
