"""The PostgreSQL backend: folded text, configuration ``kho_vietnamese``; see ``search.backends.folded``."""

from django.db.models import F
from modelsearch.backends.database.postgres import postgres as modelsearch_postgres
from modelsearch.index import SearchField
from modelsearch.utils import get_content_type_pk

from .folded import SEARCH_CONFIG, CachedTitleNorm, EntryText, FoldingCompilerMixin


def _weighted_vector_sql(weights):
    parts = [f"setweight(to_tsvector(%s::regconfig, %s), '{weight}')" for weight in weights]
    return " || ".join(parts) if parts else "''::tsvector"


class PostgresIndex(modelsearch_postgres.PostgresIndex):
    """Rows written with one multi-row INSERT … ON CONFLICT per batch; the body holds the title too.

    The title is repeated in the body so that one GIN-indexed column answers every query (words may
    be spread over title and body); the title column is still ranked on its own.
    """

    def __init__(self, backend):
        super().__init__(backend)
        self.title_norms = CachedTitleNorm(self.entries)

    def add_items(self, model, objs):
        if not model.get_search_fields():
            return
        texts = [EntryText(obj, weight_of=modelsearch_postgres.get_weight) for obj in objs]
        if not texts:
            return
        config = self.backend.config or SEARCH_CONFIG
        title_weight = self._title_weight(model)
        content_type = get_content_type_pk(model)
        values_sql, params = [], []
        for text in texts:
            body = {title_weight: text.title} if text.title else {}
            for weight, value in text.body_by_weight.items():
                body[weight] = f"{body[weight]} {value}" if weight in body else value
            values_sql.append(
                "(%s, %s, "
                f"{_weighted_vector_sql([title_weight] if text.title else [])}, "
                "to_tsvector('simple', %s), "
                f"{_weighted_vector_sql(body)}, %s, %s, '')"
            )
            params.extend([content_type, text.id])
            if text.title:
                params.extend([config, text.title])
            params.append(text.autocomplete)
            for value in body.values():
                params.extend([config, value])
            params.extend([self.title_norms.norm(text.title), text.title])
        table = modelsearch_postgres.IndexEntry._meta.db_table
        with self.write_connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} "  # noqa: S608 - the table name is modelsearch's, values are parameters
                "(content_type_id, object_id, title, autocomplete, body, title_norm, title_text, body_text) "
                f"VALUES {', '.join(values_sql)} "
                "ON CONFLICT (content_type_id, object_id) DO UPDATE SET title = EXCLUDED.title, "
                "autocomplete = EXCLUDED.autocomplete, body = EXCLUDED.body, "
                "title_norm = EXCLUDED.title_norm, title_text = EXCLUDED.title_text, body_text = ''",
                params,
            )

    def _title_weight(self, model):
        for field in model.get_search_fields():
            if isinstance(field, SearchField) and field.field_name == "title":
                return modelsearch_postgres.get_weight(field.boost)
        return "A"

    def _refresh_title_norms(self, full=False):
        self.title_norms.forget()
        super()._refresh_title_norms(full=full)


class PostgresSearchQueryCompiler(FoldingCompilerMixin, modelsearch_postgres.PostgresSearchQueryCompiler):
    def get_index_vectors(self, search_query):
        # Match on the body alone (it holds the title too, and has its own GIN index); rank on both.
        return [(F("index_entries__body"), 1.0)]

    def _build_rank_expression(self, vectors, config):
        rank = super()._build_rank_expression(vectors, config)
        if self.fields is not None:
            return rank
        title = self.build_tsrank(F("index_entries__title"), self.query, config=config)
        return rank + title * F("index_entries__title_norm")


class PostgresAutocompleteQueryCompiler(
    FoldingCompilerMixin, modelsearch_postgres.PostgresAutocompleteQueryCompiler
):
    pass


class PostgresSearchBackend(modelsearch_postgres.PostgresSearchBackend):
    index_class = PostgresIndex
    query_compiler_class = PostgresSearchQueryCompiler
    autocomplete_query_compiler_class = PostgresAutocompleteQueryCompiler

    def __init__(self, params):
        params = {"SEARCH_CONFIG": SEARCH_CONFIG, **params}
        super().__init__(params)
