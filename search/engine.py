"""``search_records``: the one search of the archive, used by the search page and the JSON API.

Each level (files, documents) is searched within ``access.listable(user, ...)`` and the page's
filters, inside the same SQL statement. A record the user may list but whose content (OCR text,
full text) the user may not read must not be found through words of that content: the index holds
title and content together, so the matches that are not in the title and whose record has content
are checked one by one with ``access.can_view_content`` (and against the record's other metadata);
those that fail are left out of the results, the count and the facets alike.
"""

import math
from dataclasses import dataclass, field
from functools import partial

from django.db.models import Q

from collections_app import access

from . import facets as facet_module
from .backend import SCORE, best_first, evaluate, matching, relevance
from .filters import SearchFilters
from .query import parse
from .snippets import build_snippet

PAGE_SIZE = 20
CHECK_CHUNK = 2000


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
    """Search the records ``user`` may list; return one page of hits with snippets and facets.

    ``page`` beyond the last page gives the last page, or raises PageOutOfRange when ``strict_page``.
    """
    query = parse(query_text)
    filters = filters or SearchFilters()
    result = SearchPage(query=query, filters=filters)
    if query.is_empty:
        return result
    matches = [evaluate(partial(_level_matches, user, query, filters, level)) for level in filters.levels()]
    result.count = sum(match.count for match in matches)
    result.num_pages = max(1, math.ceil(result.count / PAGE_SIZE))
    if page > result.num_pages:
        if strict_page:
            raise PageOutOfRange(result.num_pages)
        page, result.page_was_clamped = result.num_pages, True
    result.number = page
    result.hits = _page_hits(user, query, matches, page)
    result.facets = facet_module.compute(matches)
    return result


def _level_matches(user, query, filters, level, fallback=False):
    base = filters.apply(level, access.listable(user, level.model._default_manager.all()))
    positive = query.plain_words_query() if fallback else query.backend_query()
    hits = matching(base, positive)
    hidden = _hidden_matches(user, level, base, positive, query.matches_text)
    if hidden:
        hits = hits.exclude(pk__in=hidden)
    if query.excluded:
        scope = base.filter(pk__in=hits.values("pk"))
        excluded = query.excluded_query()
        excluded_hidden = set(_hidden_matches(user, level, scope, excluded, query.mentions_excluded))
        # A list, not a nested subquery: PostgreSQL plans the nested form badly.
        visible = [
            pk for pk in matching(scope, excluded).values_list("pk", flat=True) if pk not in excluded_hidden
        ]
        if visible:
            hits = hits.exclude(pk__in=visible)
    hits = best_first(hits)
    return LevelMatches(level=level, queryset=hits, count=hits.count())


def _hidden_matches(user, level, base, search_query, in_metadata):
    """Primary keys of records matched only through content ``user`` may not read."""
    matched = matching(base, search_query)
    in_title = matching(base.filter(pk__in=matched.values("pk")), search_query, fields=["title"])
    has_content = Q()
    for name in level.content_fields:
        has_content |= ~Q(**{name: ""})
    candidates = (
        level.model._default_manager.filter(pk__in=matched.values("pk"))
        .exclude(pk__in=in_title.values("pk"))
        .filter(has_content)
        .select_related(*level.parents)
        .defer(*level.content_fields)
    )
    hidden = []
    for record in candidates.iterator(chunk_size=CHECK_CHUNK):
        if access.can_view_content(user, record):
            continue
        if not in_metadata(*(getattr(record, name) for name in level.metadata_fields)):
            hidden.append(record.pk)
    return hidden


def _page_hits(user, query, matches, page):
    """The hits of one page, merged across levels by relevance (ties: level order, newest first)."""
    wanted = page * PAGE_SIZE
    ranked = []
    for order, match in enumerate(matches):
        for pk, score in match.queryset.values_list("pk", SCORE)[:wanted]:
            ranked.append((-relevance(score), order, -pk, match.level, pk))
    ranked.sort(key=lambda entry: entry[:3])
    chosen = ranked[(page - 1) * PAGE_SIZE : wanted]
    records = _load_records(chosen)
    hits = []
    for negative_score, _order, _pk, level, pk in chosen:
        record = records.get((level.slug, pk))
        if record is not None:
            hits.append(Hit(record, level, -negative_score, _snippet(user, query, level, record)))
    return hits


def _load_records(chosen):
    by_level = {}
    for *_rest, level, pk in chosen:
        by_level.setdefault(level, []).append(pk)
    records = {}
    for level, ids in by_level.items():
        for record in level.model._default_manager.filter(pk__in=ids).select_related(*level.parents):
            records[(level.slug, record.pk)] = record
    return records


def _snippet(user, query, level, record):
    names = list(level.metadata_fields)
    if access.can_view_content(user, record):
        names.extend(level.content_fields)
    return build_snippet([getattr(record, name) for name in names], query.highlight_terms)
