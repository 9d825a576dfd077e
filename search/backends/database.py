"""Wagtail's database search backend for the default database, with Vietnamese folding.

``WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "search.backends.database"}}`` picks the SQLite (FTS5)
or PostgreSQL variant by the default database's engine, as modelsearch's own database backend does.
"""

from django.db import connection


def SearchBackend(params):  # noqa: N802 - modelsearch looks this name up in the backend module
    """The database backend for the default database's engine."""
    if connection.vendor == "postgresql":
        from .postgres import PostgresSearchBackend

        return PostgresSearchBackend(params)
    if connection.vendor == "sqlite":
        from .sqlite import SQLiteSearchBackend

        return SQLiteSearchBackend(params)
    from modelsearch.backends.database import SearchBackend as ModelsearchDatabaseBackend

    return ModelsearchDatabaseBackend(params)
