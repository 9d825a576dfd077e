import csv
import datetime

import pytest

from collections_app.models import AdministrativeUnit, UnitChange
from collections_app.units_data import PROVINCES_CSV

pytestmark = pytest.mark.django_db


def csv_rows():
    with open(PROVINCES_CSV, encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_counts_match_the_shipped_csv():
    rows = csv_rows()
    former = {row["former_code"] for row in rows}
    current = {row["new_code"] for row in rows}
    assert len(former) == 63 and len(current) == 34
    provinces = AdministrativeUnit.objects.provinces()
    assert provinces.valid_on(datetime.date(2025, 6, 30)).count() == len(former)
    assert provinces.current().count() == len(current)
    merged_groups = {
        row["new_code"]
        for row in rows
        if (row["former_code"], row["former_name"]) != (row["new_code"], row["new_name"])
    }
    assert UnitChange.objects.count() == len(merged_groups)


def test_what_ha_giang_became():
    ha_giang = AdministrativeUnit.objects.get(name="Hà Giang")
    assert not ha_giang.is_current
    assert [unit.name for unit in ha_giang.current_successors()] == ["Tuyên Quang"]


def test_what_ho_chi_minh_city_absorbed():
    city = AdministrativeUnit.objects.current().get(name="Hồ Chí Minh")
    assert sorted(unit.name for unit in city.absorbed_units()) == ["Bà Rịa - Vũng Tàu", "Bình Dương"]
    assert sorted(unit.name for unit in city.predecessors()) == [
        "Bà Rịa - Vũng Tàu",
        "Bình Dương",
        "Hồ Chí Minh",
    ]


def test_unchanged_province_has_no_event():
    hanoi = AdministrativeUnit.objects.get(name="Hà Nội")
    assert hanoi.is_current
    assert not hanoi.predecessors().exists()
    assert hanoi.current_successors() == [hanoi]


def test_commune_changes_can_be_recorded_as_data():
    province = AdministrativeUnit.objects.current().get(name="Đồng Nai")
    district = AdministrativeUnit.objects.create(
        code="750",
        name="Nhơn Trạch",
        kind="district",
        level="district",
        parent=province,
        valid_to=datetime.date(2025, 6, 30),
    )
    old_commune = AdministrativeUnit.objects.create(
        code="26500",
        name="Long Thọ",
        kind="commune",
        level="commune",
        parent=district,
        valid_to=datetime.date(2025, 6, 30),
    )
    new_commune = AdministrativeUnit.objects.create(
        code="26501",
        name="Nhơn Trạch",
        kind="commune",
        level="commune",
        parent=province,
        valid_from=datetime.date(2025, 7, 1),
    )
    change = UnitChange.objects.create(kind="merge", effective_date=datetime.date(2025, 7, 1))
    change.predecessors.set([old_commune])
    change.successors.set([new_commune])
    assert old_commune.current_successors() == [new_commune]
    assert new_commune.all_predecessors() == [old_commune]
