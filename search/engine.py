"""``search_records``: the one search of the archive, used by the search page and the JSON API.

Each level (fonds, series, files, documents, and the site's pages) is searched within
``access.listable(user, ...)`` and the page's filters, inside the same SQL statement. A record the
user may list but whose content (OCR text, full text) the user may not read must not be found through
words of that content: the index holds metadata and content together, so the matches not explained
by the title, whose content the user cannot read (``access.content_readable`` in SQL, then
``access.can_view_content`` for conditional records an opening rule may have opened), are checked
against their metadata and left out of the results, the count and the facets alike when only their
content matched.

Ranking: the backend's relevance, then a second look at the best candidates of each level
(``ranking.bonus``): the document whose number was typed first, then records whose title holds the
words in the exact form typed, then the rest.
"""

import math
from dataclasses import dataclass, field
from functools import partial

from django.db.models import FloatField, Q, Value

from collections_app import access
from collections_app.codes import attach_alias_codes

from . import facets as facet_module
from . import pages, places, ranking
from .backend import SCORE, best_first, evaluate, matching, relevance
from .filters import PAGE_LEVEL, SearchFilters
from .query import parse
from .snippets import build_snippet, ocr_page_number

PAGE_SIZE = 20
CHECK_CHUNK = 2000
RERANK_DEPTH = 100


class PageOutOfRange(ValueError):
    def __init__(self, last_page):
        super().__init__(last_page)
        self.last_page = last_page


@dataclass
class Hit:
    record: object
    level: object
    score: float
    snippet: str
    page_number: int | None = None

    @property
    def title(self):
        return self.record.title

    @property
    def code(self):
        return getattr(self.record, "reference_code", "")

    @property
    def url(self):
        if self.level.slug == PAGE_LEVEL:
            return self.record.url
        return self.record.get_absolute_url()

    @property
    def archive(self):
        return getattr(self.record, "archive", None)

    @property
    def dates(self):
        record = self.record
        return getattr(record, "dates_display", None) or getattr(record, "issued_date_display", "") or ""


@dataclass
class LevelMatches:
    level: object
    queryset: object
    count: int


@dataclass
class SearchPage:
    query: object
    filters: SearchFilters
    count: int = 0
    hits: list = field(default_factory=list)
    facets: dict = field(default_factory=dict)
    places: list = field(default_factory=list)
    number: int = 1
    num_pages: int = 1
    per_page: int = PAGE_SIZE
    page_was_clamped: bool = False

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.num_pages


def search_records(user, query_text, filters=None, page=1, *, strict_page=False):
    """Search what ``user`` may list; return one page of hits with snippets and facets.

    ``page`` beyond the last page gives the last page, or raises PageOutOfRange when ``strict_page``.
    Raises ``filters.InvalidSearch`` when a field typed in the query (``kho:``) names nothing.
    """
    query = parse(query_text)
    is_staff = access.is_national_admin(user) or bool(access.staff_archive_ids(user))
    filters = (filters or SearchFilters()).with_query_fields(query.fields).for_user(is_staff)
    result = SearchPage(query=query, filters=filters)
    if query.is_empty:
        return result
    result.places = places.mentioned(query)
    matches = [evaluate(partial(_level_matches, user, query, filters, level)) for level in filters.levels()]
    if pages.searchable(query, filters):
        matches.append(evaluate(partial(pages.matches, user, query)))
    result.count = sum(match.count for match in matches)
    result.num_pages = max(1, math.ceil(result.count / PAGE_SIZE))
    if page > result.num_pages:
        if strict_page:
            raise PageOutOfRange(result.num_pages)
        page, result.page_was_clamped = result.num_pages, True
    result.number = page
    result.hits = _page_hits(user, query, matches, page)
    result.facets = facet_module.compute(matches, user=user, is_staff=is_staff)
    return result


def _level_matches(user, query, filters, level, fallback=False):
    base = filters.apply(level, access.listable(user, level.model._default_manager.all()))
    if not query.has_terms:
        hits = base.annotate(**{SCORE: _zero()}).order_by("-pk")
        return LevelMatches(level=level, queryset=hits, count=hits.count())
    positive = query.plain_words_query() if fallback else query.backend_query()
    hits = matching(base, positive)
    hidden = _hidden_matches(user, level, base, positive, query.matches_text)
    if hidden:
        hits = hits.exclude(pk__in=hidden)
    if query.has_exclusions:
        hits = _without_excluded(user, level, base, hits, query)
    hits = best_first(hits)
    return LevelMatches(level=level, queryset=hits, count=hits.count())


def _without_excluded(user, level, base, hits, query):
    scope = base.filter(pk__in=hits.values("pk"))
    excluded = query.excluded_query()
    excluded_hidden = set(_hidden_matches(user, level, scope, excluded, query.mentions_excluded))
    # A list, not a nested subquery: PostgreSQL plans the nested form badly.
    mentioned = matching(scope, excluded).values_list("pk", flat=True)
    visible = [pk for pk in mentioned if pk not in excluded_hidden]
    return hits.exclude(pk__in=visible) if visible else hits


def _hidden_matches(user, level, base, search_query, in_metadata):
    """Primary keys of records matched only through content ``user`` may not read.

    One query finds the matches with content that SQL cannot show readable (``content_readable``);
    each is then asked about opening rules and checked against its metadata (title included).
    """
    if not level.content_fields:
        return []
    readable = access.content_readable_condition(user, level.model)
    if readable is None:
        return []
    has_content = Q()
    for name in level.content_fields:
        has_content |= ~Q(**{name: ""})
    candidates = (
        matching(base, search_query)
        .filter(has_content)
        .exclude(readable)
        .order_by()
        .select_related(*level.parents)
        .defer(*level.content_fields)
    )
    hidden = []
    for chunk in _chunks(candidates.iterator(chunk_size=CHECK_CHUNK), CHECK_CHUNK):
        attach_alias_codes(chunk)
        for record in chunk:
            if access.can_view_content(user, record):
                continue
            if not in_metadata(*metadata_texts(level, record)):
                hidden.append(record.pk)
    return hidden


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def metadata_texts(level, record):
    texts = []
    for name in level.metadata_fields:
        value = getattr(record, name)
        texts.append(value() if callable(value) else value)
    return texts


def _zero():
    return Value(0.0, output_field=FloatField())


def _page_hits(user, query, matches, page):
    """The hits of one page, merged across levels: bonus first, then relevance, level order, newest."""
    wanted = page * PAGE_SIZE
    depth = max(wanted, RERANK_DEPTH)
    ranked = []
    for order, match in enumerate(matches):
        candidates = list(match.queryset.values_list("pk", SCORE)[:depth])
        bonuses = ranking.bonuses(query, match.level, [pk for pk, _score in candidates])
        for pk, score in candidates:
            ranked.append((-bonuses.get(pk, 0), -relevance(score), order, -pk, match.level, pk))
    ranked.sort(key=lambda entry: entry[:4])
    chosen = ranked[(page - 1) * PAGE_SIZE : wanted]
    records = _load_records(chosen)
    hits = []
    for _bonus, negative_score, _order, _pk, level, pk in chosen:
        record = records.get((level.slug, pk))
        if record is not None:
            hits.append(_hit(user, query, level, record, -negative_score))
    return hits


def _load_records(chosen):
    by_level = {}
    for *_rest, level, pk in chosen:
        by_level.setdefault(level, []).append(pk)
    records = {}
    for level, ids in by_level.items():
        if level.slug == PAGE_LEVEL:
            loaded = pages.load(ids)
        else:
            loaded = list(level.model._default_manager.filter(pk__in=ids).select_related(*level.parents))
            attach_alias_codes(loaded)
        for record in loaded:
            records[(level.slug, record.pk)] = record
    return records


def _hit(user, query, level, record, score):
    if level.slug == PAGE_LEVEL:
        return Hit(record, level, score, pages.snippet(record, query))
    sources = metadata_texts(level, record)
    content_names = level.content_fields if access.can_view_content(user, record) else ()
    sources.extend(getattr(record, name) for name in content_names)
    snippet, source_index = build_snippet(sources, query.highlight_terms, with_source=True)
    page_number = None
    if source_index is not None and source_index >= len(level.metadata_fields):
        field_name = content_names[source_index - len(level.metadata_fields)]
        if field_name == "ocr_text":
            page_number = ocr_page_number(record, query.highlight_terms)
    return Hit(record, level, score, snippet, page_number)
