"""``search_records``: the one search of the archive, used by the search page and the JSON API.

Each level (fonds, series, files, documents, and the site's pages) is searched within
``access.listable(user, ...)`` and the page's filters, and its matches are read once
(``search.level_scan``): the best hits, the count and the facet groups come from one statement. A
record the user may list but whose content (OCR text, full text) the user may not read must not be
found through words of that content: the index holds metadata and content together, so the matches
whose content SQL cannot show readable (``access.content_readable_condition``) come back apart, are
checked against their metadata and, where an opening rule may apply, ``access.can_view_content``,
and count in the results, the count and the facets only when their metadata explains the match or
their content is readable after all. Exclusions (``-từ``) follow the same rule: only a mention the
user may read leaves a record out.

Ranking: the backend's relevance, then a second look at the best candidates of each level
(``ranking.bonus``): the document whose number was typed first, then records whose title holds the
words in the exact form typed, then the rest.
"""

import math
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, FloatField, IntegerField, Q, Value, When
from modelsearch.query import And

from collections_app import access
from collections_app.codes import attach_alias_codes

from . import facets as facet_module
from . import level_scan, pages, places, ranking
from .backend import SCORE, evaluate, matching, mention_conditions, relevance
from .filters import PAGE_LEVEL, SearchFilters
from .places import places_of_units
from .query import parse
from .snippets import build_snippet, ocr_page_number

PAGE_SIZE = 20
CHECK_CHUNK = 2000
RERANK_DEPTH = 100
# What an exclusion does to a match mentioning an excluded word (see ``_without_excluded``).
KEEP, CHECK, DROP = 0, 1, 2


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
    depth = max(page * PAGE_SIZE, RERANK_DEPTH)
    scan_level = partial(_scan_level, user, query, filters, depth=depth, is_staff=is_staff)
    scans = [evaluate(partial(scan_level, level)) for level in filters.levels()]
    if pages.searchable(query, filters):
        scans.append(evaluate(partial(pages.scan, user, query, depth)))
    result.count = sum(scan.count for scan in scans)
    result.num_pages = max(1, math.ceil(result.count / PAGE_SIZE))
    if page > result.num_pages:
        if strict_page:
            raise PageOutOfRange(result.num_pages)
        page, result.page_was_clamped = result.num_pages, True
    result.number = page
    result.hits = _page_hits(user, query, scans, page)
    result.facets = facet_module.compute(scans, is_staff=is_staff)
    return result


def _scan_level(user, query, filters, level, *, depth, is_staff, fallback=False):
    base = filters.apply(level, access.listable(user, level.model._default_manager.all()))
    if not query.has_terms:
        return level_scan.scan(level, base.annotate(**{SCORE: _zero()}), depth, staff=is_staff)
    positive = query.plain_words_query() if fallback else query.backend_query()
    hits = matching(base, positive)
    unreadable = _unreadable(user, level)
    may_open = access.rules_may_open_condition(level.model) if level.content_fields else None
    check_exclusion = None
    if query.has_exclusions:
        hits, check_exclusion = _without_excluded(
            user, level, base, hits, positive, query, unreadable, may_open
        )
    found = level_scan.scan(level, hits, depth, unreadable, may_open, check_exclusion, staff=is_staff)
    candidates = found.candidates
    to_check = [candidate.pk for candidate in candidates if candidate.flag & level_scan.CHECK_MATCH]
    left_out = _hidden(user, level, to_check, query.matches_text)
    mentioning = [candidate.pk for candidate in candidates if candidate.flag & level_scan.CHECK_EXCLUSION]
    # A mention of an excluded word that the user may read after all excludes the record.
    left_out |= set(mentioning) - _hidden(user, level, mentioning, query.mentions_excluded)
    found.admit([candidate for candidate in candidates if candidate.pk not in left_out])
    return found


def _without_excluded(user, level, base, hits, positive, query, unreadable, may_open):
    """``hits`` less the records whose readable text mentions an excluded word, and the condition of
    those still to check in Python (or None).

    A mention in content the user may not read does not exclude: the record's vanishing would tell.
    Where the backend tells in SQL whether a description mentions the words (PostgreSQL, SQLite), only
    the mentions in closed content that an opening rule may open are left to check.
    """
    conditions = mention_conditions(hits, query.excluded_query())
    if conditions is None:
        return _without_excluded_by_reading(user, level, base, hits, positive, query, unreadable), None
    anywhere, in_description = conditions
    hits = hits.alias(_mentions_excluded=anywhere, _describes_excluded=in_description)
    if unreadable is None:
        return hits.filter(_mentions_excluded=False), None
    closed_mention = unreadable & Q(_describes_excluded=False)
    verdict = Case(
        When(_mentions_excluded=False, then=Value(KEEP)),
        When(closed_mention & (may_open if may_open is not None else Q()), then=Value(CHECK)),
        When(closed_mention, then=Value(KEEP)),
        default=Value(DROP),
        output_field=IntegerField(),
    )
    hits = hits.alias(_exclusion=verdict).filter(_exclusion__in=[KEEP, CHECK])
    return hits, Q(_exclusion=CHECK)


def _without_excluded_by_reading(user, level, base, hits, positive, query, unreadable):
    """``hits`` less the records whose readable text mentions an excluded word, found by reading them."""
    mentioning = matching(base, And([positive, query.excluded_query()]))
    candidates = []
    if unreadable is not None:
        candidates = list(mentioning.filter(unreadable).values_list("pk", flat=True))
    excluded_hidden = _hidden(user, level, candidates, query.mentions_excluded)
    # A list, not a nested subquery: PostgreSQL plans the nested form badly.
    visible = [pk for pk in mentioning.values_list("pk", flat=True) if pk not in excluded_hidden]
    return hits.exclude(pk__in=visible) if visible else hits


def _unreadable(user, level):
    """The condition of the records with content ``user`` may not read, as far as SQL can tell."""
    if not level.content_fields:
        return None
    readable = access.content_readable_condition(user, level.model)
    if readable is None:
        return None
    return level_scan.unreadable_condition(readable)


def _hidden(user, level, ids, in_metadata):
    """Of ``ids`` (records with content SQL cannot show readable), those matched only through content
    ``user`` may not read.

    Most are explained by their own columns (title, keywords, ...), read first in one light query.
    The others are checked against all their metadata (codes, places); those it does not explain stay
    hidden unless an opening rule may open them (``access.rules_may_open_condition``) and
    ``access.can_view_content`` says so.
    """
    unexplained = []
    for chunk in _chunks(ids):
        unexplained.extend(_not_explained_by_columns(level, chunk, in_metadata))
    hidden = set()
    for chunk in _chunks(unexplained):
        closed = _not_explained_by_metadata(level, chunk, in_metadata)
        hidden.update(closed - _opened_by_rules(user, level, closed))
    return hidden


def _chunks(ids):
    for start in range(0, len(ids), CHECK_CHUNK):
        yield ids[start : start + CHECK_CHUNK]


def _not_explained_by_columns(level, ids, in_metadata):
    columns = [name for name in level.metadata_fields if _is_column(level.model, name)]
    rows = level.model._default_manager.filter(pk__in=ids).values_list("pk", *columns)
    return [pk for pk, *texts in rows if not in_metadata(*texts)]


def _not_explained_by_metadata(level, ids, in_metadata):
    """Read without their parents: the place names come from the unit the facets count."""
    records = list(
        level.model._default_manager.filter(pk__in=ids)
        .annotate(creating_body_unit_pk=level_scan.facet_columns(level)["unit"])
        .defer(*level.content_fields)
    )
    attach_alias_codes(records)
    places = places_of_units({record.creating_body_unit_pk for record in records})
    closed = set()
    for record in records:
        texts = [
            places.get(record.creating_body_unit_pk, "")
            if name == "search_places"
            else _value(getattr(record, name))
            for name in level.metadata_fields
        ]
        if not in_metadata(*texts):
            closed.add(record.pk)
    return closed


def _opened_by_rules(user, level, ids):
    if not ids:
        return set()
    manager = level.model._default_manager
    may_open = manager.filter(pk__in=ids).filter(access.rules_may_open_condition(level.model))
    records = may_open.select_related(*level.parents).defer(*level.content_fields)
    return {record.pk for record in records if access.can_view_content(user, record)}


def _value(value):
    return value() if callable(value) else value


def _is_column(model, name):
    try:
        return model._meta.get_field(name).concrete
    except FieldDoesNotExist:
        return False


def metadata_texts(level, record):
    return [_value(getattr(record, name)) for name in level.metadata_fields]


def _zero():
    return Value(0.0, output_field=FloatField())


def _page_hits(user, query, scans, page):
    """The hits of one page, merged across levels: bonus first, then relevance, level order, newest."""
    wanted = page * PAGE_SIZE
    depth = max(wanted, RERANK_DEPTH)
    ranked = []
    for order, scan in enumerate(scans):
        candidates = scan.best[:depth]
        bonuses = ranking.bonuses(query, scan.level, [pk for pk, _score in candidates])
        for pk, score in candidates:
            ranked.append((-bonuses.get(pk, 0), -relevance(score), order, -pk, scan.level, pk))
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
