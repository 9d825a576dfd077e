"""The SQLite (FTS5) backend with folded text; see ``search.backends.folded``."""

from django.db import transaction
from modelsearch.backends.database.sqlite import sqlite as modelsearch_sqlite
from modelsearch.utils import get_content_type_pk

from .folded import CachedTitleNorm, EntryText, FoldingCompilerMixin


class SQLiteIndex(modelsearch_sqlite.SQLiteIndex):
    def __init__(self, backend):
        super().__init__(backend)
        self.title_norms = CachedTitleNorm(self.entries)

    def add_items(self, model, objs):
        if not model.get_search_fields():
            return
        texts = [EntryText(obj) for obj in objs]
        if not texts:
            return
        content_type = get_content_type_pk(model)
        IndexEntry = modelsearch_sqlite.IndexEntry
        rows = [
            IndexEntry(
                content_type_id=content_type,
                object_id=text.id,
                title=text.title,
                autocomplete=text.autocomplete,
                body=text.body,
                title_norm=self.title_norms.norm(text.title),
            )
            for text in texts
        ]
        with transaction.atomic(using=self.write_connection.alias):
            self.entries.filter(
                content_type_id=content_type, object_id__in=[text.id for text in texts]
            ).delete()
            IndexEntry._default_manager.bulk_create(rows, batch_size=500)

    def _refresh_title_norms(self, full=False):
        self.title_norms.forget()
        super()._refresh_title_norms(full=full)


class SQLiteSearchQueryCompiler(FoldingCompilerMixin, modelsearch_sqlite.SQLiteSearchQueryCompiler):
    pass


class SQLiteAutocompleteQueryCompiler(
    FoldingCompilerMixin, modelsearch_sqlite.SQLiteAutocompleteQueryCompiler
):
    pass


class SQLiteSearchBackend(modelsearch_sqlite.SQLiteSearchBackend):
    index_class = SQLiteIndex
    query_compiler_class = SQLiteSearchQueryCompiler
    autocomplete_query_compiler_class = SQLiteAutocompleteQueryCompiler
