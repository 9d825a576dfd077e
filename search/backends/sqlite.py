"""The SQLite (FTS5) backend with folded text; see ``search.backends.folded``.

One FTS5 table holds every level (fonds, series, files, documents, pages). A search of the fonds
would read the matches of the two hundred thousand documents too, to drop them by content type. So
every entry's body ends with the word of its level (``level_word``) and each level's match asks for
it as well: FTS5 then reads the fonds' own matches. A model whose entries are most of the index
(``search_by_level_word = False``: the documents) is matched without it.

A second FTS5 table (``DESCRIPTION_TABLE``, migration ``search.0005``) holds the description of each
entry that has content (OCR text, full text): its title and descriptive fields, without the content.
So SQL tells whether a record's description explains a match (``MatchesDescription``) as
PostgreSQL's weights do, and the search checks in Python only the closed matches an opening rule may
open, not every match through closed content. An entry without a description row had no content
when it was written: its whole body describes it.
"""

import re

from django.db import transaction
from django.db.models import BooleanField, F, Func, IntegerField
from django.db.models.functions import Cast
from modelsearch.backends.database.sqlite import sqlite as modelsearch_sqlite
from modelsearch.backends.database.sqlite.query import MatchExpression, normalize
from modelsearch.query import MatchAll, Not
from modelsearch.utils import get_content_type_pk

from ..backend import DESCRIPTION_MATCH
from .folded import CachedTitleNorm, EntryText, FoldingCompilerMixin

LEVEL_WORD_PREFIX = "kholevel"
INTEGER_KEYS = ("AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField")
DESCRIPTION_TABLE = "search_description_fts"


def level_word(model):
    """The word that the index entries of ``model`` and of its subclasses (pages) carry in their body.

    Letters and digits only, which FTS5's tokenizer keeps as one word: ``kholevelwagtailcorepage``.
    """
    roots = [parent for parent in model._meta.get_parent_list() if not parent._meta.parents]
    root = roots[0] if roots else model
    return LEVEL_WORD_PREFIX + re.sub(r"[^0-9a-z]", "", root._meta.label_lower)


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


def fts_query(compiler, search_query):
    """The FTS5 query string of a compiled modelsearch query (as ``MatchExpression`` writes it)."""
    sql, params = compiler.compile(search_query)
    return sql % tuple(params)


class EntryMatch(Func):
    """A condition on the index entry's id (a column) and the compiled query ``search_query``."""

    output_field = BooleanField()

    def __init__(self, entry_id, search_query):
        super().__init__(entry_id)
        self.search_query = search_query

    def as_sql(self, compiler, connection, **extra_context):
        entry_sql, _no_params = compiler.compile(self.source_expressions[0])
        sql, match = self.condition(entry_sql, fts_query(compiler, self.search_query))
        return sql, [match]


class MatchesDescription(EntryMatch):
    """True when the query matches the entry's description, or the entry has no content."""

    def condition(self, entry, query):
        table = DESCRIPTION_TABLE
        return (
            f"(NOT EXISTS (SELECT 1 FROM {table} WHERE {table}.rowid = {entry}) "  # noqa: S608
            f"OR {entry} IN (SELECT rowid FROM {table} WHERE {table} MATCH %s))"
        ), query


class MatchesText(EntryMatch):
    """True when the query matches the entry's title or body."""

    def condition(self, entry, query):
        table = modelsearch_sqlite.SQLiteFTSIndexEntry._meta.db_table
        sql = f"({entry} IN (SELECT rowid FROM {table} WHERE {table} MATCH %s))"  # noqa: S608
        return sql, f"{{title body}} : ({query})"


class SQLiteIndex(modelsearch_sqlite.SQLiteIndex):
    def __init__(self, backend):
        super().__init__(backend)
        self.title_norms = CachedTitleNorm(self.entries)

    def add_items(self, model, objs):
        """Replace the objects' entries, with the description rows of those that have content."""
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
            entries = IndexEntry._default_manager.bulk_create(rows, batch_size=500)
            ids = {entry.object_id: entry.pk for entry in entries}
            if None in ids.values():  # SQLite before 3.35 returns no ids from a bulk insert
                written = self.entries.filter(content_type_id=content_type, object_id__in=list(ids))
                ids = dict(written.values_list("object_id", "id"))
            descriptions = [(ids[text.id], text.description) for text in texts if text.has_content]
            if descriptions:
                with self.write_connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {DESCRIPTION_TABLE} (rowid, description) VALUES (%s, %s)",  # noqa: S608
                        descriptions,
                    )

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

    def with_description_match(self, queryset, search_query):
        return queryset

    def entry_by_row_id(self):
        """The record found from its entry by its integer primary key as well as by the text key.

        The generic relation joins ``object_id = CAST(id AS varchar)``, which SQLite looks up in an
        index of that expression. Said again on the integer key, it reads the record by row id: 5–15 %
        of a broad query over 200,000 documents.
        """
        if self.queryset.model._meta.pk.get_internal_type() not in INTEGER_KEYS:
            return {}
        return {"pk": Cast("index_entries__object_id", IntegerField())}

    def search(self, config, start, stop, score_field=None):
        normalized = normalize(self.query)
        if isinstance(normalized, (MatchAll, Not)):
            return super().search(config, start, stop, score_field=score_field)
        search_query = self.build_search_query(normalized, config=config)
        match = match_expression(self.fields or self.FTS_TABLE_FIELDS, search_query, self.queryset.model)
        queryset = self.queryset.filter(
            match, index_entries__sqliteftsindexentry__isnull=False, **self.entry_by_row_id()
        )
        queryset = self.with_description_match(queryset, search_query)
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

    def with_description_match(self, queryset, search_query):
        if self.fields is not None or not self.matches_words():
            return queryset
        # An alias, not an annotation: computed only where the search asks (closed matches).
        return queryset.alias(**{DESCRIPTION_MATCH: MatchesDescription(F("index_entries__id"), search_query)})

    def mention_conditions(self, backend):
        """Whether this query matches the record anywhere, and whether it matches its description.

        Expressions on the index entry of a queryset that ``search`` has already joined to it.
        """
        if not self.matches_words():
            return None
        search_query = self.build_search_query(normalize(self.query))
        entry = F("index_entries__id")
        return MatchesText(entry, search_query), MatchesDescription(entry, search_query)


class SQLiteAutocompleteQueryCompiler(
    JoinedMatchMixin, FoldingCompilerMixin, modelsearch_sqlite.SQLiteAutocompleteQueryCompiler
):
    joined_vectors = ((F("index_entries__autocomplete"), 1.0),)


class SQLiteSearchBackend(modelsearch_sqlite.SQLiteSearchBackend):
    index_class = SQLiteIndex
    query_compiler_class = SQLiteSearchQueryCompiler
    autocomplete_query_compiler_class = SQLiteAutocompleteQueryCompiler
