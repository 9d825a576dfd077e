"""Facet counts, computed on the same access-filtered matches as the results.

Each level's matches are read once for the columns the facets count (archive, fonds, year, unit of
the creating body, and for staff the access regime and publication status); categories and the
digital copy take one query each on the levels that have them.
"""

from collections import Counter

from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from collections_app.models import AdministrativeUnit, Archive, DigitalObject, Fonds
from collections_app.vocabularies import AccessRegime, PublicationStatus

from .filters import PAGE_LEVEL

FACET_LIMIT = 30
ID_LIST_LIMIT = 5000


def compute(matches, user=None, is_staff=False):
    """``{name: [{"value", "label", "count"}, ...]}``; ``value`` is what the filter of that name takes.

    Names: archive, fonds, level, decade, category, digitized, unit; for staff also regime, status.
    """
    counters = {name: Counter() for name in ("archive", "fonds", "decade", "unit", "regime", "status")}
    categories, digitized, category_names = Counter(), Counter(), {}
    levels = []
    for match in matches:
        level = match.level
        levels.append({"value": level.slug, "label": str(level.label), "count": match.count})
        if not match.count or level.slug == PAGE_LEVEL:
            continue
        matched = _matched_rows(level, match)
        _count_columns(level, matched, counters)
        if level.has_categories:
            _count_categories(level, matched, categories, category_names)
        if level.digital_lookup:
            has_scan = DigitalObject.objects.filter(**{level.digital_lookup: OuterRef("pk")})
            scanned = matched.filter(Exists(has_scan))
            scanned_count = scanned.count()
            digitized["yes"] += scanned_count
            digitized["no"] += match.count - scanned_count
    facets = {
        "archive": _archive_entries(counters["archive"]),
        "fonds": _fonds_entries(counters["fonds"]),
        "level": [entry for entry in levels if entry["count"]],
        "decade": [
            {"value": decade, "label": f"{decade}–{decade + 9}", "count": count}
            for decade, count in sorted(counters["decade"].items())
        ],
        "category": [
            {"value": slug, "label": category_names[slug], "count": count}
            for slug, count in categories.most_common()
        ],
        "digitized": [
            {"value": value, "label": label, "count": digitized[value]}
            for value, label in (("yes", _("Đã số hóa")), ("no", _("Chưa số hóa")))
            if digitized[value]
        ],
        "unit": _unit_entries(counters["unit"]),
    }
    if is_staff:
        facets["regime"] = _choice_entries(counters["regime"], AccessRegime)
        facets["status"] = _choice_entries(counters["status"], PublicationStatus)
    return facets


def _matched_rows(level, match):
    """The level's matched rows for counting: by a list of keys when few (a plan PostgreSQL cannot get
    wrong, whatever its statistics), by the search subquery when many."""
    if match.count <= ID_LIST_LIMIT:
        ids = list(match.queryset.order_by().values_list("pk", flat=True))
        return level.model._default_manager.filter(pk__in=ids)
    return level.model._default_manager.filter(pk__in=match.queryset.order_by().values("pk"))


def _count_columns(level, matched, counters):
    fonds_lookup = "pk" if level.slug == "fonds" else level.fonds_lookup.removesuffix("__code")
    unit_columns = [f"{lookup}__id" if "__" in lookup else f"{lookup}_id" for lookup in level.unit_lookups]
    unit = Coalesce(*unit_columns) if len(unit_columns) > 1 else unit_columns[0]
    columns = {
        "archive": "archive_id",
        "fonds": fonds_lookup,
        "year": level.year_field,
        "unit": unit,
        "regime": "access_regime" if level.has_regime else None,
        "status": "publication_status",
    }
    plain = {name: column for name, column in columns.items() if isinstance(column, str)}
    expressions = {
        name: column for name, column in columns.items() if column is not None and name not in plain
    }
    rows = (
        matched.order_by()
        .annotate(**{f"facet_{name}": expression for name, expression in expressions.items()})
        .values_list(*plain.values(), *(f"facet_{name}" for name in expressions))
        .annotate(count=Count("pk"))
    )
    names = list(plain) + list(expressions)
    for *values, count in rows:
        row = dict(zip(names, values, strict=True))
        counters["archive"][row["archive"]] += count
        counters["fonds"][row["fonds"]] += count
        if row.get("year"):
            counters["decade"][row["year"] // 10 * 10] += count
        if row.get("unit"):
            counters["unit"][row["unit"]] += count
        if row.get("regime"):
            counters["regime"][row["regime"]] += count
        counters["status"][row["status"]] += count


def _count_categories(level, matched, categories, category_names):
    through = level.model.categories.through
    column = f"{level.model._meta.model_name}_id"
    rows = (
        through.objects.filter(**{f"{column}__in": matched.values("pk")})
        .values_list("category__slug", "category__name")
        .annotate(count=Count("pk"))
    )
    for slug, name, count in rows:
        categories[slug] += count
        category_names[slug] = name


def _archive_entries(counts):
    archives = Archive.objects.in_bulk([pk for pk in counts if pk])
    return [
        {"value": archives[pk].slug, "label": archives[pk].name, "count": count}
        for pk, count in counts.most_common()
        if pk in archives
    ]


def _fonds_entries(counts):
    fonds = Fonds.objects.in_bulk([pk for pk in counts if pk])
    by_code = Counter()
    names = {}
    for pk, count in counts.items():
        if pk in fonds:
            by_code[fonds[pk].code] += count
            names.setdefault(fonds[pk].code, fonds[pk].name)
    return [
        {"value": code, "label": f"{code} – {names[code]}", "count": count}
        for code, count in by_code.most_common(FACET_LIMIT)
    ]


def _unit_entries(counts):
    """Each unit with records, and the units above it (a district's province), current and former."""
    units = AdministrativeUnit.objects.in_bulk([pk for pk in counts if pk])
    rolled = Counter()
    for pk, count in counts.items():
        unit = units.get(pk)
        while unit is not None:
            rolled[unit] += count
            unit = unit.parent
    ordered = sorted(rolled.items(), key=lambda item: (not item[0].is_current, -item[1]))
    return [
        {"value": unit.pk, "label": str(unit), "count": count, "former": not unit.is_current}
        for unit, count in ordered[:FACET_LIMIT]
    ]


def _choice_entries(counts, choices):
    labels = dict(choices.choices)
    return [
        {"value": value, "label": f"{value} – {labels.get(value, value)}", "count": count}
        for value, count in sorted(counts.items())
        if value
    ]
