"""What the database search backends (SQLite FTS5, PostgreSQL) share: folded text, folded queries.

The index holds every text folded (``search.folding.fold_for_index``) and every query is folded the
same way before it reaches the backend's compiler, so "dong nai", "Đồng Nai" and "ĐỒNG NAI" meet on
SQLite, whose tokenizer folds neither "đ" nor letters with two marks. On PostgreSQL the index is
built with the text search configuration ``kho_vietnamese`` (``simple`` + ``unaccent``; migration
``search.0001``), which folds whatever reaches it unfolded.

Indexing writes a batch in a few statements instead of one per record, and keeps modelsearch's title
length norm from an average cached for a while, not recomputed over the whole table per batch (which
made indexing slower the bigger the archive).
"""

import time

from django.db.models import Manager
from django.utils.encoding import force_str
from modelsearch.index import AutocompleteField, RelatedFields, SearchField
from modelsearch.query import And, Boost, Fuzzy, MatchAll, Not, Or, Phrase, PlainText

from ..folding import fold_for_index

SEARCH_CONFIG = "kho_vietnamese"
TITLE_NORM_TTL = 300  # seconds an average title length is trusted before it is read again


def fold_query(query):
    """``query`` (a modelsearch query tree) with every text folded as the index is."""
    if isinstance(query, PlainText):
        return PlainText(fold_for_index(query.query_string), operator=query.operator, boost=query.boost)
    if isinstance(query, Phrase):
        return Phrase(fold_for_index(query.query_string))
    if isinstance(query, Fuzzy):
        return Fuzzy(fold_for_index(query.query_string), operator=query.operator)
    if isinstance(query, (And, Or)):
        return type(query)([fold_query(subquery) for subquery in query.subqueries])
    if isinstance(query, Not):
        return Not(fold_query(query.subquery))
    if isinstance(query, Boost):
        return Boost(fold_query(query.subquery), query.boost)
    return query


def is_blank(query):
    """A query with no word left after folding (e.g. "!!!"): it matches nothing."""
    if isinstance(query, (PlainText, Phrase, Fuzzy)):
        return not query.query_string.strip()
    if isinstance(query, (And, Or)):
        return any(is_blank(subquery) for subquery in query.subqueries)
    if isinstance(query, (Not, Boost)):
        return is_blank(query.subquery)
    return False


class FoldingCompilerMixin:
    def __init__(self, queryset, query, *args, **kwargs):
        super().__init__(queryset, query, *args, **kwargs)
        self.query = fold_query(self.query)
        if is_blank(self.query):
            self.query = Not(MatchAll())

    def matches_words(self):
        """Whether the query is words to match (plain, phrases, and/or), which the description can
        explain; not a negation, a match-all or a boost."""
        return isinstance(self.query, (PlainText, Phrase, And, Or))

    def check(self):
        """Skip modelsearch's filter-field check: a database backend runs the queryset itself as SQL.

        The check exists for backends that copy filter fields into their own index (Elasticsearch);
        here every filter of the admin listings and of the search page is a plain SQL condition.
        """


# Text of one record -----------------------------------------------------------------------------------


def _value_text(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ".join(_value_text(item) for item in value)
    if isinstance(value, dict):
        return " ".join(_value_text(item) for item in value.values())
    return force_str(value)


class _RelatedText:
    def __init__(self, text):
        self.text = text


def _flat_fields(obj, fields):
    """The object's search fields, with the texts of related objects (``RelatedFields``) as body text."""
    for field in fields:
        if not isinstance(field, RelatedFields):
            yield field
            continue
        related = field.get_value(obj)
        if related is None:
            continue
        related = (
            related.all() if isinstance(related, Manager) else [related() if callable(related) else related]
        )
        for item in related:
            for sub_field in field.fields:
                if isinstance(sub_field, SearchField):
                    yield _RelatedText(_value_text(sub_field.get_value(item)))


class EntryText:
    """The folded title, body (per PostgreSQL weight) and autocomplete text of one object.

    ``description`` is the title and the fields that describe the record, without its content
    (``search_content_fields``) and without the related and extra texts, as the body's weights A to C
    hold it on PostgreSQL; ``has_content`` tells whether any content was indexed.
    """

    def __init__(self, obj, weight_of=None):
        self.id = force_str(obj.pk)
        content_fields = getattr(obj, "search_content_fields", ())
        titles, autocomplete, body, described = [], [], {}, []
        self.has_content = False
        for field in _flat_fields(obj, obj.get_search_fields()):
            if isinstance(field, _RelatedText):
                text = fold_for_index(field.text)
                if text:
                    body.setdefault("D", []).append(text)
            elif isinstance(field, SearchField):
                text = fold_for_index(_value_text(field.get_value(obj)))
                if not text:
                    continue
                if field.field_name == "title":
                    titles.append(text)
                    continue
                weight = weight_of(obj, field) if weight_of else "D"
                body.setdefault(weight, []).append(text)
                if field.field_name in content_fields:
                    self.has_content = True
                else:
                    described.append(text)
            elif isinstance(field, AutocompleteField):
                text = fold_for_index(_value_text(field.get_value(obj)))
                if text:
                    autocomplete.append(text)
        extra = getattr(obj, "search_extra_text", None)
        if extra is not None:
            text = fold_for_index(extra() if callable(extra) else extra)
            if text:
                body.setdefault("D", []).append(text)
        self.title = " ".join(titles)
        self.autocomplete = " ".join(autocomplete)
        self.body_by_weight = {weight: " ".join(texts) for weight, texts in body.items()}
        self.description = " ".join([*titles, *described])

    @property
    def body(self):
        return " ".join(self.body_by_weight.values())


class CachedTitleNorm:
    """modelsearch's ``title_norm`` (average title length / this title's length) with a cached average."""

    def __init__(self, entries):
        self.entries = entries
        self.average = None
        self.read_at = 0.0

    def norm(self, title):
        if not title:
            return 1.0
        return self.average_length(len(title)) / len(title)

    def average_length(self, fallback):
        if self.average is None or time.monotonic() - self.read_at > TITLE_NORM_TTL:
            from django.db.models import Avg
            from django.db.models.functions import Length

            average = (
                self.entries.annotate(title_length=Length("title"))
                .filter(title_length__gt=0)
                .aggregate(value=Avg("title_length"))["value"]
            )
            self.average, self.read_at = average, time.monotonic()
        return self.average or fallback

    def forget(self):
        self.average = None
