"""Loads the 1 July 2025 reorganisation of provinces from the CSV the project ships."""

import csv
import datetime
from collections import OrderedDict
from pathlib import Path

PROVINCES_CSV = Path(__file__).resolve().parent / "data" / "provinces-2025.csv"
REORGANISATION_DATE = datetime.date(2025, 7, 1)
LAST_DAY_BEFORE = datetime.date(2025, 6, 30)
LEGAL_BASIS = "Nghị quyết số 202/2025/QH15 ngày 12/6/2025 của Quốc hội"


def read_reorganisation(path=PROVINCES_CSV):
    """``{(new_code, new_name, new_kind): [(former_code, former_name, former_kind), ...]}``."""
    groups = OrderedDict()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["new_code"], row["new_name"], row["new_kind"])
            groups.setdefault(key, []).append((row["former_code"], row["former_name"], row["former_kind"]))
    return groups


def load_provinces(unit_model, change_model, path=PROVINCES_CSV):
    """Create the 63 former provinces, the 34 current ones and a merge event for each change.

    A province that kept its territory and name stays one unit with no event; every unit formed
    by the merger is a new unit whose predecessors end on 30 June 2025.
    """
    for (new_code, new_name, new_kind), formers in read_reorganisation(path).items():
        unchanged = formers == [(new_code, new_name, new_kind)]
        if unchanged:
            unit_model.objects.get_or_create(
                level="province",
                code=new_code,
                valid_from=None,
                defaults={"name": new_name, "kind": new_kind},
            )
            continue
        successor, _ = unit_model.objects.get_or_create(
            level="province",
            code=new_code,
            valid_from=REORGANISATION_DATE,
            defaults={"name": new_name, "kind": new_kind},
        )
        predecessors = []
        for code, name, kind in formers:
            unit, _ = unit_model.objects.get_or_create(
                level="province",
                code=code,
                valid_from=None,
                defaults={"name": name, "kind": kind, "valid_to": LAST_DAY_BEFORE},
            )
            predecessors.append(unit)
        if not change_model.objects.filter(successors=successor).exists():
            change = change_model.objects.create(
                kind="merge", effective_date=REORGANISATION_DATE, legal_basis=LEGAL_BASIS
            )
            change.predecessors.set(predecessors)
            change.successors.set([successor])
