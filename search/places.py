"""Place names in a query: a former province or district, and where its holdings are kept now.

Records are found by the place of their creating body because the index holds that unit's name and
the names of the units above it (``search_places`` on the description models). This module tells the
reader, for a former unit named in the query, which units hold its territory now and which archives
keep the holdings of its bodies.
"""

import time
from dataclasses import dataclass

from collections_app.models import AdministrativeUnit, Archive

from .folding import words

CACHE_SECONDS = 600
_cache = {"names": None, "read_at": 0.0}


@dataclass
class PlaceNotice:
    unit: AdministrativeUnit
    successors: list
    archives: list


def mentioned(query):
    """Notices for the former units whose whole name is among the query's words, in query order."""
    query_words = list(query.words) + [word for phrase in query.phrases for word in phrase]
    if not query_words:
        return []
    notices, seen = [], set()
    for unit_ids, name_words in _former_unit_names():
        if _contains(query_words, name_words) and not seen.intersection(unit_ids):
            seen.update(unit_ids)
            notices.extend(_notice(unit) for unit in AdministrativeUnit.objects.filter(pk__in=unit_ids))
    return notices


def _notice(unit):
    successors = unit.current_successors()
    archives = list(Archive.objects.filter(unit__in=successors, is_active=True).order_by("name"))
    return PlaceNotice(unit=unit, successors=successors, archives=archives)


def _former_unit_names():
    """``[(unit ids, folded name words)]`` of the units that no longer exist, longest names first."""
    if _cache["names"] is None or time.monotonic() - _cache["read_at"] > CACHE_SECONDS:
        by_name = {}
        for pk, name in AdministrativeUnit.objects.filter(valid_to__isnull=False).values_list("pk", "name"):
            by_name.setdefault(tuple(words(name)), []).append(pk)
        names = [(ids, list(name)) for name, ids in by_name.items() if name]
        names.sort(key=lambda item: -len(item[1]))
        _cache["names"], _cache["read_at"] = names, time.monotonic()
    return _cache["names"]


def forget():
    _cache["names"] = None


def _contains(tokens, sequence):
    size = len(sequence)
    return any(tokens[index : index + size] == sequence for index in range(len(tokens) - size + 1))


def places_of_units(unit_ids):
    """``{unit id: text}``: what ``search_places`` gives for a record of that unit (its name and the
    names of the units above it), read for many units in one query per level of the tree."""
    rows, asked, wanted = {}, set(), {pk for pk in unit_ids if pk}
    while wanted:
        asked |= wanted
        found = AdministrativeUnit.objects.filter(pk__in=wanted).values_list("pk", "name", "parent_id")
        rows.update((pk, (name, parent)) for pk, name, parent in found)
        wanted = {parent for _name, parent in rows.values() if parent and parent not in asked}
    places = {}
    for pk in unit_ids:
        names, current = [], pk
        while current in rows and len(names) < len(rows):
            name, current = rows[current]
            names.append(name)
        places[pk] = " ".join(names)
    return places
