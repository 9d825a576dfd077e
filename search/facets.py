"""Facet counts, from the same access-filtered matches as the results.

Each level's matches come counted by every facet column at once (archive, fonds, year, unit of the
creating body, digital copy, and for staff the access regime and publication status) and per
category, by ``search.level_scan``; here they are added up across levels and labelled.
"""

from collections import Counter

from django.utils.translation import gettext as _

from collections_app.models import AdministrativeUnit, Archive, Category, Fonds
from collections_app.vocabularies import AccessRegime, PublicationStatus

from .filters import PAGE_LEVEL

FACET_LIMIT = 30


def compute(scans, is_staff=False):
    """``{name: [{"value", "label", "count"}, ...]}``; ``value`` is what the filter of that name takes.

    ``scans`` are the levels' ``level_scan.LevelScan``. Names: archive, fonds, level, decade, category,
    digitized, unit; for staff also regime, status.
    """
    counters = {name: Counter() for name in ("archive", "fonds", "decade", "unit", "regime", "status")}
    categories, digitized = Counter(), Counter()
    levels = []
    for scan in scans:
        level = scan.level
        levels.append({"value": level.slug, "label": str(level.label), "count": scan.count})
        if not scan.count or level.slug == PAGE_LEVEL:
            continue
        _count_facets(scan.facets, counters, digitized)
        categories.update(scan.categories)
    return {
        "archive": _archive_entries(counters["archive"]),
        "fonds": _fonds_entries(counters["fonds"]),
        "level": [entry for entry in levels if entry["count"]],
        "decade": [
            {"value": decade, "label": f"{decade}–{decade + 9}", "count": count}
            for decade, count in sorted(counters["decade"].items())
        ],
        "category": _category_entries(categories),
        "digitized": [
            {"value": value, "label": label, "count": digitized[value]}
            for value, label in (("yes", _("Đã số hóa")), ("no", _("Chưa số hóa")))
            if digitized[value]
        ],
        "unit": _unit_entries(counters["unit"]),
        **(
            {
                "regime": _choice_entries(counters["regime"], AccessRegime),
                "status": _choice_entries(counters["status"], PublicationStatus),
            }
            if is_staff
            else {}
        ),
    }


def _count_facets(facets, counters, digitized):
    """Add a level's counts per facet column (``LevelScan.facets``) to the facets' counters."""
    for name in ("archive", "fonds", "status"):
        counters[name].update(facets[name])
    for name in ("unit", "regime"):
        counters[name].update({value: count for value, count in facets[name].items() if value})
    for year, count in facets["year"].items():
        if year:
            counters["decade"][year // 10 * 10] += count
    for scanned, count in facets["scanned"].items():
        if scanned is not None:
            digitized["yes" if scanned else "no"] += count


def _category_entries(counts):
    totals, labels = _regrouped(
        Category, counts, key=lambda category: category.slug, label=lambda category: category.name
    )
    return [{"value": slug, "label": labels[slug], "count": count} for slug, count in totals.most_common()]


def _archive_entries(counts):
    archives = Archive.objects.in_bulk([pk for pk in counts if pk])
    return [
        {"value": archives[pk].slug, "label": archives[pk].name, "count": count}
        for pk, count in counts.most_common()
        if pk in archives
    ]


def _fonds_entries(counts):
    totals, labels = _regrouped(
        Fonds, counts, key=lambda fonds: fonds.code, label=lambda fonds: f"{fonds.code} – {fonds.name}"
    )
    return [
        {"value": code, "label": labels[code], "count": count}
        for code, count in totals.most_common(FACET_LIMIT)
    ]


def _regrouped(model, counts, key, label):
    """``counts`` (by primary key of ``model``) added up by ``key(record)``, with each key's label."""
    found = model.objects.in_bulk([pk for pk in counts if pk])
    totals, labels = Counter(), {}
    for pk, count in counts.items():
        if pk in found:
            totals[key(found[pk])] += count
            labels.setdefault(key(found[pk]), label(found[pk]))
    return totals, labels


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
