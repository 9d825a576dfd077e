"""The SQLite (FTS5) backend with folded text; see ``search.backends.folded``.

One FTS5 table holds every level (fonds, series, files, documents, pages). A search of the fonds
would read the matches of the two hundred thousand documents too, to drop them by content type. So
every entry's body ends with the word of its level (``level_word``) and each level's match asks for
it as well: FTS5 then reads the fonds' own matches. A model whose entries are most of the index
(``search_by_level_word = False``: the documents) is matched without it.
"""

from django.db import transaction
from django.db.models import F
from modelsearch.backends.database.sqlite import sqlite as modelsearch_sqlite
from modelsearch.backends.database.sqlite.query import MatchExpression, normalize
from modelsearch.query import MatchAll, Not
from modelsearch.utils import get_content_type_pk

from .folded import CachedTitleNorm, EntryText, FoldingCompilerMixin

LEVEL_WORD_PREFIX = "kholevel"


def level_word(model):
    """The word that the index entries of ``model`` and of its subclasses (pages) carry in their body."""
    roots = [parent for parent in model._meta.get_parent_list() if not parent._meta.parents]
    root = roots[0] if roots else model
    return f"{LEVEL_WORD_PREFIX}{root._meta.model_name}"


class LevelMatchExpression(MatchExpression):
    """``MATCH`` of the query within the entries of one level (see ``level_word``)."""

    def __init__(self, columns, query, model):
        super().__init__(columns, query)
        self.word = level_word(model)

    def as_sql(self, compiler, connection):
        template, (match,) = super().as_sql(compiler, connection)
        return template, [f'({match}) AND (body : "{self.word}")']


def match_expression(columns, query, model):
    if getattr(model, "search_by_level_word", True):
        return LevelMatchExpression(columns, query, model)
    return MatchExpression(columns, query)


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
        word = level_word(model)
        IndexEntry = modelsearch_sqlite.IndexEntry
        rows = [
            IndexEntry(
                content_type_id=content_type,
                object_id=text.id,
                title=text.title,
                autocomplete=text.autocomplete,
                body=f"{text.body} {word}",
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


class JoinedMatchMixin:
    """Match and score in one pass: the records joined to the FTS table, ``bm25()`` read there.

    modelsearch scores each match with a subquery that runs the full-text match again for every
    matching record, which grows with the square of the matches (30 s for 2,000 matches). Joined,
    SQLite runs the match once, within the level's entries. Negated and match-all queries keep
    modelsearch's way.
    """

    joined_vectors = ()

    def search(self, config, start, stop, score_field=None):
        normalized = normalize(self.query)
        if isinstance(normalized, (MatchAll, Not)):
            return super().search(config, start, stop, score_field=score_field)
        search_query = self.build_search_query(normalized, config=config)
        match = match_expression(self.fields or self.FTS_TABLE_FIELDS, search_query, self.queryset.model)
        queryset = self.queryset.filter(match, index_entries__sqliteftsindexentry__isnull=False)
        if self.order_by_relevance and score_field is None:
            score_field = "_score"
        if score_field is not None:
            rank = self._build_rank_expression(self.joined_vectors, config)
            queryset = queryset.annotate(**{score_field: rank})
            if self.order_by_relevance:
                queryset = queryset.order_by(score_field, "-pk")
        if not self.order_by_relevance and not queryset.query.order_by:
            queryset = queryset.order_by("-pk")
        return queryset[start:stop]


class SQLiteSearchQueryCompiler(
    JoinedMatchMixin, FoldingCompilerMixin, modelsearch_sqlite.SQLiteSearchQueryCompiler
):
    joined_vectors = (
        (F("index_entries__title"), F("index_entries__title_norm")),
        (F("index_entries__body"), 1.0),
    )


class SQLiteAutocompleteQueryCompiler(
    JoinedMatchMixin, FoldingCompilerMixin, modelsearch_sqlite.SQLiteAutocompleteQueryCompiler
):
    joined_vectors = ((F("index_entries__autocomplete"), 1.0),)


class SQLiteSearchBackend(modelsearch_sqlite.SQLiteSearchBackend):
    index_class = SQLiteIndex
    query_compiler_class = SQLiteSearchQueryCompiler
    autocomplete_query_compiler_class = SQLiteAutocompleteQueryCompiler
