"""The PostgreSQL text search configuration ``kho_vietnamese``: ``simple`` with ``unaccent`` first.

``simple`` keeps every word (no stemming, no stop words: Vietnamese syllables are short and common
ones carry meaning in titles); ``unaccent`` folds "Đồng" to "Dong" for whatever reaches the index
unfolded. Creating the extension needs a role that owns the database (unaccent is a trusted
extension) or a superuser; when it cannot be created the migration stops with what to run.
"""

from django.db import migrations
from django.db.utils import DatabaseError

CONFIG = "kho_vietnamese"

CREATE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{CONFIG}') THEN
        CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = simple);
        ALTER TEXT SEARCH CONFIGURATION {CONFIG}
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword,
                numhword, hword_numpart
            WITH unaccent, simple;
    END IF;
END
$$;
"""


def create_configuration(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            cursor.execute("SAVEPOINT kho_unaccent")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            cursor.execute("RELEASE SAVEPOINT kho_unaccent")
        except DatabaseError as error:
            cursor.execute("ROLLBACK TO SAVEPOINT kho_unaccent")
            raise RuntimeError(
                "Không tạo được phần mở rộng PostgreSQL “unaccent” cần cho tìm kiếm tiếng Việt không "
                f"dấu ({error}). Hãy để vai trò của ứng dụng sở hữu cơ sở dữ liệu, hoặc nhờ quản trị "
                "cơ sở dữ liệu chạy: CREATE EXTENSION unaccent; rồi chạy lại migrate."
            ) from error
        cursor.execute(CREATE)


def drop_configuration(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_configuration, drop_configuration)]
