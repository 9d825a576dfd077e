"""On SQLite, end the body of every index entry with the word of its level (``search.backends.sqlite``).

Each level's search asks for that word from now on: an entry written before without it would no
longer be found, so the word is added here, in the same transaction. ``update_index`` writes it too.
The models are the installed ones, not this migration's state: a page type's app may come later in
the migration graph, and only the model's inheritance is read.
"""

from django.apps import apps as installed_apps
from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Coalesce, Concat


def add_level_words(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from search.backends.sqlite import level_word

    content_types = apps.get_model("contenttypes", "ContentType")
    entries = apps.get_model("wagtailsearch", "IndexEntry").objects
    used = entries.values_list("content_type_id", flat=True).distinct()
    for content_type in content_types.objects.filter(pk__in=used):
        try:
            model = installed_apps.get_model(content_type.app_label, content_type.model)
        except LookupError:
            continue
        word = f" {level_word(model)}"
        without_word = entries.filter(content_type_id=content_type.pk).exclude(body__endswith=word)
        without_word.update(body=Concat(Coalesce("body", Value("")), Value(word)))


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_body_index_per_description_level"),
        ("wagtailsearch", "0010_add_text_fields"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_level_words, migrations.RunPython.noop, elidable=True)]
