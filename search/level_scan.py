"""One reading of a level's matches: the best hits, the count and the facet counts together.

The matches of a level (the records the user may list that match the words and the page's filters,
with their relevance) are gathered once, in a materialised common table expression, and one
statement returns from it:

- the ``depth`` best matches;
- the candidates: matches with content the user may not read as far as SQL can tell, each with its
  facet values, for ``search.engine`` to keep or leave out in Python (opening rules, metadata); on
  PostgreSQL and SQLite only those an opening rule may open, the others decided in SQL (see ``scan``);
  with them the matches whose excluded words (``-từ``) only an opening rule may let the user read;
- the number of the other matches per value of each facet column, one grouping per column (a grouping
  by all the columns at once returned thousands of rows for a broad query, to be added up in Python);
- their number per category.

The words are thus matched and ranked once per level, not once for the hits, once for the count and
once per facet.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce

from collections_app.models import DigitalObject

from .backend import DESCRIPTION_MATCH, SCORE, lower_score_is_better

FACET_COLUMNS = ("archive", "fonds", "year", "unit", "regime", "status", "scanned")
# Counted for staff only: nobody else sees their facets.
STAFF_FACET_COLUMNS = ("regime", "status")
BEST, CANDIDATE, GROUP, CATEGORY = "b", "c", "g", "k"
# A match's flag: the sum of what is to be done with it. VISIBLE counts as it is, CLOSED is left out,
# CHECK_MATCH / CHECK_EXCLUSION are checked in Python (the match; a mention of an excluded word).
VISIBLE, CHECK_MATCH, CLOSED, CHECK_EXCLUSION = 0, 1, 2, 4
CANDIDATE_FLAGS = (CHECK_MATCH, CHECK_EXCLUSION, CHECK_MATCH + CHECK_EXCLUSION)


@dataclass(frozen=True)
class Candidate:
    pk: int
    score: float
    values: tuple
    flag: int


@dataclass
class LevelScan:
    level: object
    count: int = 0
    best: list = field(default_factory=list)
    candidates: list = field(default_factory=list)
    # {facet column: Counter of its values}
    facets: dict = field(default_factory=lambda: {name: Counter() for name in FACET_COLUMNS})
    categories: Counter = field(default_factory=Counter)

    def admit(self, candidates):
        """Count the ``candidates`` the user may see after all."""
        if not candidates:
            return
        self.count += len(candidates)
        self.best = sorted([*self.best, *((found.pk, found.score) for found in candidates)], key=_rank_key)
        for found in candidates:
            for name, value in zip(FACET_COLUMNS, found.values, strict=True):
                self.facets[name][value] += 1
        if self.level.has_categories:
            self.categories.update(_categories_of(self.level, [found.pk for found in candidates]))


def scan(level, hits, depth, unreadable=None, may_open=None, check_exclusion=None, staff=False):
    """Read ``hits`` (a queryset annotated with ``_score``) once; count ``STAFF_FACET_COLUMNS`` if ``staff``.

    ``unreadable`` marks the matches whose content the user may not read as far as SQL can tell. Where
    the backend tells in SQL whether the description explains a match (``_matches_description``,
    PostgreSQL, SQLite), those it explains count at once, those ``may_open`` (an opening rule may open them)
    are the candidates, and the rest are left out: matched through closed content only. Elsewhere every
    unreadable match is a candidate. The matches ``check_exclusion`` marks are candidates too.
    """
    columns = {"pk": F("pk"), "score": F(SCORE), **facet_columns(level)}
    columns["candidate"] = _candidate_flag(hits, unreadable, may_open)
    if check_exclusion is not None:
        exclusion = Case(When(check_exclusion, then=Value(CHECK_EXCLUSION)), default=Value(VISIBLE))
        columns["candidate"] = ExpressionWrapper(
            columns["candidate"] + exclusion, output_field=IntegerField()
        )
    names = {name: f"s_{name}" for name in columns}
    inner = hits.order_by().annotate(**{names[name]: value for name, value in columns.items()})
    result = LevelScan(level=level)
    try:
        inner_sql, inner_params = inner.values(*names.values()).query.sql_with_params()
    except EmptyResultSet:
        return result
    sql, params = _statement(level, inner_sql, names, staff), [*inner_params, depth]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for part, pk, score, count, *values in rows:
        if part == BEST:
            result.best.append((pk, score))
        elif part == CANDIDATE:
            result.candidates.append(Candidate(pk, score, tuple(values), flag=count))
        elif part == GROUP:
            # The column's number is in the key's place; every match falls in one group per column, so
            # the archive's groups (always counted) add up to the count.
            name = FACET_COLUMNS[pk]
            result.facets[name][values[pk]] += count
            if name == "archive":
                result.count += count
        elif part == CATEGORY:
            result.categories[pk] += count
    result.best.sort(key=_rank_key)
    return result


def _candidate_flag(hits, unreadable, may_open):
    if unreadable is None:
        return Value(VISIBLE, output_field=IntegerField())
    if DESCRIPTION_MATCH not in hits.query.annotations:
        return Case(
            When(unreadable, then=Value(CHECK_MATCH)), default=Value(VISIBLE), output_field=IntegerField()
        )
    return Case(
        When(unreadable & Q(**{DESCRIPTION_MATCH: True}), then=Value(VISIBLE)),
        When(unreadable & (may_open if may_open is not None else Q()), then=Value(CHECK_MATCH)),
        When(unreadable, then=Value(CLOSED)),
        default=Value(VISIBLE),
        output_field=IntegerField(),
    )


def facet_columns(level):
    """The columns the facets count, as expressions on the level's model (None where it has none)."""
    fonds = "pk" if level.slug == "fonds" else level.fonds_lookup.removesuffix("__code")
    units = [F(f"{lookup}__id" if "__" in lookup else f"{lookup}_id") for lookup in level.unit_lookups]
    none = Value(None, output_field=IntegerField())
    scanned = none
    if level.digital_lookup:
        has_scan = Exists(DigitalObject.objects.filter(**{level.digital_lookup: OuterRef("pk")}))
        scanned = Case(When(has_scan, then=Value(1)), default=Value(0), output_field=IntegerField())
    return {
        "archive": F("archive_id"),
        "fonds": F(fonds),
        "year": F(level.year_field) if level.year_field else none,
        "unit": Coalesce(*units) if len(units) > 1 else units[0],
        "regime": F("access_regime") if level.has_regime else none,
        "status": F("publication_status"),
        "scanned": scanned,
    }


# Quoted column names only; the values are parameters.
BEST_SQL = (
    "SELECT '{best}', {pk}, {score}, NULL, {nulls} FROM (SELECT {pk}, {score} FROM matched "
    "WHERE {candidate} = 0 ORDER BY {score} {direction}, {pk} DESC LIMIT %s) AS best"
)
# A candidate's flag in the count column.
CANDIDATES_SQL = (
    "SELECT '{candidate_part}', {pk}, {score}, {candidate}, {facets} FROM matched "
    "WHERE {candidate} IN ({candidate_flags})"
)
# One per facet column: its number, then its value in its own place.
GROUP_SQL = (
    "SELECT '{group}', {number}, NULL, COUNT(*), {values} FROM matched WHERE {candidate} = 0 "
    "GROUP BY {column}"
)
CATEGORIES_SQL = (
    "SELECT '{category}', {through}.{category_id}, NULL, COUNT(*), {nulls} FROM matched "
    "JOIN {through} ON {through}.{record_id} = matched.{pk} WHERE {candidate} = 0 "
    "GROUP BY {through}.{category_id}"
)


def _statement(level, inner_sql, names, staff):
    quote = connection.ops.quote_name
    words = {
        "best": BEST,
        "candidate_part": CANDIDATE,
        "group": GROUP,
        "category": CATEGORY,
        "pk": quote(names["pk"]),
        "score": quote(names["score"]),
        "candidate": quote(names["candidate"]),
        "facets": ", ".join(quote(names[name]) for name in FACET_COLUMNS),
        "nulls": ", ".join("NULL" for _name in FACET_COLUMNS),
        "candidate_flags": ", ".join(str(flag) for flag in CANDIDATE_FLAGS),
        "direction": "ASC" if lower_score_is_better() else "DESC",
    }
    # The candidates first: PostgreSQL types each column of a UNION from its first typed value.
    parts = [CANDIDATES_SQL.format(**words)]
    grouped = [n for n, name in enumerate(FACET_COLUMNS) if staff or name not in STAFF_FACET_COLUMNS]
    parts += [GROUP_SQL.format(**words, **_group_words(names, n)) for n in grouped]
    parts.append(BEST_SQL.format(**words))
    if level.has_categories:
        through = level.model.categories.through
        words["through"] = quote(through._meta.db_table)
        words["record_id"] = quote(f"{level.model._meta.model_name}_id")
        words["category_id"] = quote("category_id")
        parts.append(CATEGORIES_SQL.format(**words))
    return f"WITH matched AS MATERIALIZED ({inner_sql}) {' UNION ALL '.join(parts)}"


def _group_words(names, number):
    """The words of the grouping by the ``number``-th facet column: its value in its own place."""
    quote = connection.ops.quote_name
    grouped = FACET_COLUMNS[number]
    values = [quote(names[name]) if name == grouped else "NULL" for name in FACET_COLUMNS]
    return {"number": number, "values": ", ".join(values), "column": quote(names[grouped])}


def _rank_key(entry):
    pk, score = entry
    score = score or 0.0
    return (score if lower_score_is_better() else -score, -pk)


def _categories_of(level, ids):
    through = level.model.categories.through
    column = f"{level.model._meta.model_name}_id"
    return Counter(through.objects.filter(**{f"{column}__in": ids}).values_list("category_id", flat=True))


def unreadable_condition(readable):
    """The condition marking candidates: content present, and not readable by SQL's reckoning."""
    return Q(has_content=True) & ~readable
