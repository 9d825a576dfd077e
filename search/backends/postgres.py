"""The PostgreSQL backend: folded text, configuration ``kho_vietnamese``; see ``search.backends.folded``."""

from django.db.models import F
from modelsearch.backends.database.postgres import postgres as modelsearch_postgres
from modelsearch.index import SearchField
from modelsearch.utils import get_content_type_pk

from .folded import SEARCH_CONFIG, CachedTitleNorm, EntryText, FoldingCompilerMixin

WEIGHTS = "ABCD"


class PostgresIndex(modelsearch_postgres.PostgresIndex):
    """Rows written by one prepared INSERT … ON CONFLICT run for a whole batch; the body holds the title too.

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
        title_weight = self._title_weight(model)
        content_type = get_content_type_pk(model)
        rows = []
        for text in texts:
            body = dict.fromkeys(WEIGHTS, "")
            body[title_weight] = text.title
            for weight, value in text.body_by_weight.items():
                body[weight] = f"{body[weight]} {value}".strip()
            rows.append(
                (
                    content_type,
                    text.id,
                    text.title,
                    text.autocomplete,
                    *body.values(),
                    self.title_norms.norm(text.title),
                )
            )
        with self.write_connection.cursor() as cursor:
            cursor.executemany(self._upsert_sql(title_weight), rows)

    def _upsert_sql(self, title_weight):
        """One statement for every row (so the driver prepares it once); empty weights add nothing."""
        config = self.backend.config or SEARCH_CONFIG
        if not (config.isidentifier() and title_weight in WEIGHTS):
            raise ValueError(f"unexpected search configuration {config!r} or weight {title_weight!r}")
        body = " || ".join(f"setweight(to_tsvector('{config}', %s), '{weight}')" for weight in WEIGHTS)
        table = modelsearch_postgres.IndexEntry._meta.db_table
        return (
            f"INSERT INTO {table} "  # noqa: S608 - names checked above; values are parameters
            "(content_type_id, object_id, title, autocomplete, body, title_norm, title_text, body_text) "
            "VALUES "
            f"(%s, %s, setweight(to_tsvector('{config}', %s), '{title_weight}'), to_tsvector('simple', %s), "
            f"{body}, %s, '', '') "
            "ON CONFLICT (content_type_id, object_id) DO UPDATE SET title = EXCLUDED.title, "
            "autocomplete = EXCLUDED.autocomplete, body = EXCLUDED.body, title_norm = EXCLUDED.title_norm, "
            "title_text = '', body_text = ''"
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
