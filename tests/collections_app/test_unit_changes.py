"""Changes of districts and communes recorded in the admin; fonds stay findable under former units."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from collections_app.factories import FondsFactory, UserFactory, staff_user
from collections_app.models import NATIONAL_ADMIN_GROUP, AdministrativeUnit, Role, UnitChange

pytestmark = pytest.mark.django_db

REFORM = datetime.date(2025, 7, 1)
LEGAL_BASIS = "Nghị quyết số 1681/NQ-UBTVQH15 ngày 16/6/2025"


def unit(name, code, kind, level, parent, **kwargs):
    return AdministrativeUnit.objects.create(
        name=name, code=code, kind=kind, level=level, parent=parent, **kwargs
    )


@pytest.fixture
def bac_quang(tuyen_quang):
    """A district of the former province Hà Giang, now part of Tuyên Quang, with three communes."""
    ha_giang = AdministrativeUnit.objects.get(name="Hà Giang", level="province")
    district = unit("Bắc Quang", "034", "district", "district", ha_giang)
    communes = {
        name: unit(name, code, "commune", "commune", district)
        for name, code in (("Việt Vinh", "01051"), ("Tân Quang", "01054"), ("Đông Thành", "01057"))
    }
    return {"district": district, "communes": communes}


@pytest.fixture
def leader(tuyen_quang):
    return staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq")


def change_form(**values):
    data = {
        "kind": "merge",
        "effective_date": "2025-07-01",
        "legal_basis": LEGAL_BASIS,
        "ended": [],
        "kept": [],
        "new_parent": "",
        "note": "",
        "new-TOTAL_FORMS": "4",
        "new-INITIAL_FORMS": "0",
        "new-MIN_NUM_FORMS": "0",
        "new-MAX_NUM_FORMS": "4",
    }
    data.update(values)
    return data


def new_unit_row(index, name, code, kind="commune"):
    return {f"new-{index}-name": name, f"new-{index}-code": code, f"new-{index}-kind": kind}


def post_change(client, **values):
    return client.post(reverse("units:add_change"), change_form(**values), follow=True)


def test_a_leader_merges_communes_into_a_new_one(client, leader, bac_quang, tuyen_quang):
    communes = bac_quang["communes"]
    province = tuyen_quang.unit
    client.force_login(leader)
    assert client.get(reverse("units:add_change")).status_code == 200

    response = post_change(
        client,
        ended=[communes["Việt Vinh"].pk, communes["Tân Quang"].pk],
        new_parent=province.pk,
        **new_unit_row(0, "Bắc Quang", "02509"),
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Đã ghi Sáp nhập, hợp nhất (01/07/2025): 2 đơn vị chấm dứt, 1 đơn vị kế thừa." in content
    change = UnitChange.objects.get(legal_basis=LEGAL_BASIS)
    assert change.legal_basis == LEGAL_BASIS
    new_commune = change.successors.get()
    assert (new_commune.name, new_commune.level, new_commune.parent, new_commune.valid_from) == (
        "Bắc Quang",
        "commune",
        province,
        REFORM,
    )
    for name in ("Việt Vinh", "Tân Quang"):
        communes[name].refresh_from_db()
        assert communes[name].valid_to == datetime.date(2025, 6, 30)
        assert communes[name].current_successors() == [new_commune]
    communes["Đông Thành"].refresh_from_db()
    assert communes["Đông Thành"].is_current
    assert "Việt Vinh (đến 30/06/2025)" in content  # the changes listing keeps the history


def test_an_abolished_district_ends_and_keeps_its_communes_history(client, leader, bac_quang):
    client.force_login(leader)
    response = post_change(client, kind="abolish", ended=[bac_quang["district"].pk])
    assert "Đã ghi Giải thể" in response.content.decode()
    bac_quang["district"].refresh_from_db()
    assert bac_quang["district"].valid_to == datetime.date(2025, 6, 30)
    assert bac_quang["communes"]["Đông Thành"].parent == bac_quang["district"]


def test_a_commune_that_absorbs_others_continues(client, leader, bac_quang):
    communes = bac_quang["communes"]
    client.force_login(leader)
    post_change(
        client, ended=[communes["Việt Vinh"].pk, communes["Tân Quang"].pk], kept=[communes["Đông Thành"].pk]
    )
    communes["Đông Thành"].refresh_from_db()
    assert communes["Đông Thành"].is_current
    assert sorted(unit.name for unit in communes["Đông Thành"].predecessors()) == ["Tân Quang", "Việt Vinh"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"ended": "ONE", "new_parent": "PROVINCE", **new_unit_row(0, "Bắc Quang", "02509")},
            "cần ít nhất 2 đơn vị chấm dứt",
        ),
        ({"ended": "TWO"}, "cần đúng 1 đơn vị kế thừa"),
        ({"ended": "TWO", "kept": "TWO"}, "không thể vừa chấm dứt vừa là đơn vị kế thừa"),
        ({"ended": "TWO", **new_unit_row(0, "Bắc Quang", "02509")}, "Hãy chọn tỉnh hoặc huyện"),
        ({"ended": "TWO", "legal_basis": "", "kept": "THIRD"}, "Hãy ghi căn cứ pháp lý"),
        (
            {"kind": "rename", "ended": "ONE", "new_parent": "PROVINCE", **new_unit_row(0, "Bắc Quang", "")},
            "Hãy ghi mã",
        ),
    ],
)
def test_a_wrong_change_is_refused_with_the_reason_and_writes_nothing(
    client, leader, bac_quang, tuyen_quang, values, message
):
    communes = list(bac_quang["communes"].values())
    placeholders = {
        "ONE": [communes[0].pk],
        "TWO": [communes[0].pk, communes[1].pk],
        "THIRD": [communes[2].pk],
        "PROVINCE": tuyen_quang.unit.pk,
    }
    values = {
        key: placeholders.get(value, value) if isinstance(value, str) else value
        for key, value in values.items()
    }
    units_before = AdministrativeUnit.objects.count()
    client.force_login(leader)

    response = post_change(client, **values)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not UnitChange.objects.filter(effective_date=REFORM, legal_basis=LEGAL_BASIS).exists()
    assert AdministrativeUnit.objects.count() == units_before
    assert all(unit.is_current for unit in AdministrativeUnit.objects.filter(pk__in=[c.pk for c in communes]))


def test_a_leader_cannot_change_units_of_another_province(client, bac_quang, dong_nai):
    client.force_login(staff_user(dong_nai, Role.LEADER, username="lanhdao.dn"))
    communes = list(bac_quang["communes"].values())
    listing = client.get(reverse("units:index")).content.decode()
    assert "Việt Vinh" not in listing

    response = post_change(client, ended=[communes[0].pk, communes[1].pk], kept=[communes[2].pk])

    assert response.status_code == 200
    assert not UnitChange.objects.filter(legal_basis=LEGAL_BASIS).exists()
    assert all(
        commune.is_current for commune in AdministrativeUnit.objects.filter(pk__in=[c.pk for c in communes])
    )


def test_archivists_cannot_reach_the_unit_admin(client, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq"))
    # Wagtail answers a refusal in the admin with a redirect to the dashboard.
    for response in (
        client.get(reverse("units:index")),
        client.post(reverse("units:add_change"), change_form()),
    ):
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
    assert not UnitChange.objects.filter(legal_basis=LEGAL_BASIS).exists()


def test_a_national_admin_adds_a_district_and_sees_every_province(client, bac_quang):
    admin = UserFactory(username="quantri")
    admin.groups.add(Group.objects.get(name=NATIONAL_ADMIN_GROUP))
    dong_nai = AdministrativeUnit.objects.current().get(name="Đồng Nai", level="province")
    client.force_login(admin)

    response = client.post(
        reverse("units:add"),
        {"name": "Nhơn Trạch", "code": "750", "kind": "district", "parent": dong_nai.pk, "valid_from": ""},
        follow=True,
    )

    assert "Đã thêm Huyện Nhơn Trạch." in response.content.decode()
    assert AdministrativeUnit.objects.get(name="Nhơn Trạch").parent == dong_nai
    listing = client.get(reverse("units:index")).content.decode()
    assert "Nhơn Trạch" in listing and "Việt Vinh" in listing


# --- Findable under former units ------------------------------------------------------------------------


@pytest.fixture
def merged(client, leader, bac_quang, tuyen_quang):
    """Việt Vinh and Tân Quang merged into the new commune Bắc Quang; the district abolished."""
    communes = bac_quang["communes"]
    client.force_login(leader)
    post_change(
        client,
        ended=[communes["Việt Vinh"].pk, communes["Tân Quang"].pk],
        new_parent=tuyen_quang.unit.pk,
        **new_unit_row(0, "Bắc Quang", "02509"),
    )
    post_change(client, kind="abolish", ended=[bac_quang["district"].pk])
    new_commune = AdministrativeUnit.objects.get(name="Bắc Quang", level="commune")
    fonds = {
        "viet_vinh": FondsFactory(
            archive=tuyen_quang, code="P21", name="Ủy ban nhân dân xã Việt Vinh", unit=communes["Việt Vinh"]
        ),
        "district": FondsFactory(
            archive=tuyen_quang,
            code="P22",
            name="Ủy ban nhân dân huyện Bắc Quang",
            unit=bac_quang["district"],
        ),
        "dong_thanh": FondsFactory(
            archive=tuyen_quang, code="P23", name="Ủy ban nhân dân xã Đông Thành", unit=communes["Đông Thành"]
        ),
        "new": FondsFactory(
            archive=tuyen_quang, code="P24", name="Đảng ủy xã Bắc Quang mới", unit=new_commune
        ),
    }
    return {"new_commune": new_commune, "fonds": fonds, **bac_quang}


def fonds_names(content, fonds):
    return {key for key, item in fonds.items() if item.name in content}


def test_the_admin_fonds_listing_filters_by_unit_including_former_ones(client, merged):
    fonds = merged["fonds"]
    expectations = {
        merged["new_commune"]: {"viet_vinh", "new"},
        merged["communes"]["Việt Vinh"]: {"viet_vinh"},
        merged["district"]: {"viet_vinh", "district", "dong_thanh"},
    }
    for unit_filter, expected in expectations.items():
        response = client.get(reverse("fonds:index"), {"unit": unit_filter.pk})
        assert response.status_code == 200
        assert fonds_names(response.content.decode(), fonds) == expected, unit_filter
    for nonsense in ("²", "abc", "9" * 5000):
        assert client.get(reverse("fonds:index"), {"unit": nonsense}).status_code == 200


def test_the_public_archive_page_lists_a_former_units_fonds(client, merged, tuyen_quang):
    client.logout()
    fonds = merged["fonds"]
    url = tuyen_quang.page.url

    whole = client.get(url).content.decode()
    assert fonds_names(whole, fonds) == set(fonds)
    assert f"?don-vi={merged['district'].pk}" in whole
    assert "Huyện Bắc Quang (đến 30/06/2025)" in whole

    former = client.get(url, {"don-vi": merged["district"].pk}).content.decode()
    assert fonds_names(former, fonds) == {"viet_vinh", "district", "dong_thanh"}
    current = client.get(url, {"don-vi": merged["new_commune"].pk}).content.decode()
    assert fonds_names(current, fonds) == {"viet_vinh", "new"}

    for nonsense in ("abc", "999999", "", "²", "9" * 5000):
        response = client.get(url, {"don-vi": nonsense})
        assert response.status_code == 200
        assert fonds_names(response.content.decode(), fonds) == set(fonds)
