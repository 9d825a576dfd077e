"""Facet counts, computed on the same access-filtered matches as the results."""

from collections import Counter

from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext as _

from collections_app.models import Archive, DigitalObject


def compute(matches):
    """``{"archive": [...], "level": [...], "decade": [...], "category": [...], "digitized": [...]}``.

    Each entry is ``{"value", "label", "count"}``; ``value`` is what the filter of that name takes.
    """
    archives, decades, categories, digitized = Counter(), Counter(), Counter(), Counter()
    category_names = {}
    levels = []
    for match in matches:
        level = match.level
        matched = level.model._default_manager.filter(pk__in=match.queryset.values("pk"))
        levels.append({"value": level.slug, "label": str(level.label), "count": match.count})
        if not match.count:
            continue
        archives.update(_counts(matched, "archive_id"))
        for year, count in _counts(matched, level.year_field).items():
            if year:
                decades[year // 10 * 10] += count
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
        scanned = matched.filter(
            Exists(DigitalObject.objects.filter(**{level.digital_lookup: OuterRef("pk")}))
        )
        scanned_count = scanned.count()
        digitized["yes"] += scanned_count
        digitized["no"] += match.count - scanned_count
    return {
        "archive": _archive_entries(archives),
        "level": [entry for entry in levels if entry["count"]],
        "decade": [
            {"value": decade, "label": f"{decade}–{decade + 9}", "count": count}
            for decade, count in sorted(decades.items())
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
    }


def _counts(queryset, field_name):
    rows = queryset.order_by().values_list(field_name).annotate(count=Count("pk"))
    return dict(rows)


def _archive_entries(counts):
    archives = Archive.objects.in_bulk(list(counts))
    entries = [
        {"value": archives[pk].slug, "label": archives[pk].name, "count": count}
        for pk, count in counts.most_common()
        if pk in archives
    ]
    return entries
