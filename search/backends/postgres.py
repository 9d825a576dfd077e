"""The PostgreSQL backend: folded text, configuration ``kho_vietnamese``; see ``search.backends.folded``.

The body vector keeps what describes a record apart from its content by weight: the title and the
boosted fields (codes) at their boost's weight (A, B), the other descriptive fields at C, the content
(``search_content_fields``: OCR text, full text) at D. modelsearch ranks C and D alike, so the
ranking does not change; but ``ts_filter(body, '{a,b,c}')`` is the description alone, which lets the
search tell in SQL whether a record's description explains a match (``MatchesDescription``).
"""

from django.db.models import BooleanField, F, Func
from modelsearch.backends.database.postgres import postgres as modelsearch_postgres
from modelsearch.index import SearchField
from modelsearch.utils import get_content_type_pk

from ..backend import DESCRIPTION_MATCH
from .folded import SEARCH_CONFIG, CachedTitleNorm, EntryText, FoldingCompilerMixin

WEIGHTS = "ABCD"
DESCRIPTION_WEIGHT = "C"
CONTENT_WEIGHT = "D"


def body_weight(obj, field):
    """The weight of a field in the body: content at D, descriptive fields at C or above."""
    if field.field_name in getattr(obj, "search_content_fields", ()):
        return CONTENT_WEIGHT
    if field.boost is None:
        return DESCRIPTION_WEIGHT
    return min(modelsearch_postgres.get_weight(field.boost), DESCRIPTION_WEIGHT)


class MatchesDescription(Func):
    """True when the query matches the record's description: the body's lexemes of weights A to C."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        vector, query = self.source_expressions
        vector_sql, vector_params = compiler.compile(vector)
        query_sql, query_params = compiler.compile(query)
        return f"(ts_filter({vector_sql}, '{{a,b,c}}') @@ {query_sql})", [*vector_params, *query_params]


class MatchesText(Func):
    """True when the query matches the record's whole body: description and content."""

    output_field = BooleanField()
    template = "(%(expressions)s)"
    arg_joiner = " @@ "


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
        texts = [EntryText(obj, weight_of=body_weight) for obj in objs]
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
    def search(self, config, start, stop, score_field=None, backend=None):
        if self.fields is None and self.matches_words():
            # An alias, not an annotation: computed only where the search asks (closed matches).
            tsquery = self.build_tsquery(self.query, config=config)
            matches = MatchesDescription(F("index_entries__body"), tsquery)
            self.queryset = self.queryset.alias(**{DESCRIPTION_MATCH: matches})
        return super().search(config, start, stop, score_field=score_field, backend=backend)

    def mention_conditions(self, backend):
        """Whether this query matches the record anywhere, and whether it matches its description.

        Expressions on the index entry of a queryset that ``search`` has already joined to it.
        """
        if not self.matches_words():
            return None
        tsquery = self.build_tsquery(self.query, config=self.get_config(backend))
        body = F("index_entries__body")
        return MatchesText(body, tsquery), MatchesDescription(body, tsquery)

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
