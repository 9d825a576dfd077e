from django.db import migrations

from collections_app.row_layout import PutColumnsLast


class Migration(migrations.Migration):
    """The long texts of files and documents last in their rows on SQLite (see ``row_layout``)."""

    dependencies = [
        ("collections_app", "0009_merge_planning"),
    ]

    operations = [
        PutColumnsLast("document", ["autograph", "description", "full_text", "ocr_text"]),
        PutColumnsLast("recordfile", ["description", "ocr_text"]),
    ]
