"""Every change to descriptions and roles is in Wagtail's log, visible in the admin history pages."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.log_actions import LogContext
from wagtail.models import ModelLogEntry

from collections_app.factories import (
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    UserFactory,
    staff_user,
)
from collections_app.models import NATIONAL_ADMIN_GROUP, Fonds, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def archivist(tuyen_quang):
    return staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq", first_name="Lan", last_name="Hoàng")


@pytest.fixture
def leader(tuyen_quang):
    return staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq", first_name="Minh", last_name="Trần")


@pytest.fixture
def national_admin():
    admin = UserFactory(username="quantri", first_name="Quốc", last_name="Nguyễn")
    admin.groups.add(Group.objects.get(name=NATIONAL_ADMIN_GROUP))
    return admin


@pytest.fixture
def file(tuyen_quang):
    document = DocumentFactory(
        file=RecordFileFactory(
            series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)), publication_status="draft"
        )
    )
    return document.file


def file_form(file, **changes):
    data = {
        "fonds": file.fonds_id,
        "series": file.series_id,
        "year": "2019",
        "file_number": file.file_number,
        "title": file.title,
        "start_date": "05/03/2019",
        "end_date": "20/12/2019",
        "retention": "01",
        "access_regime": "01",
        "languages": ["01"],
        "publication_status": file.publication_status,
    }
    data.update(changes)
    return data


def history_of(client, level, record):
    response = client.get(reverse(f"{level}:history", args=[record.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_creating_through_the_admin_is_in_the_history(client, tuyen_quang, archivist):
    client.force_login(archivist)
    response = client.post(
        reverse("fonds:add"),
        {
            "archive": tuyen_quang.pk,
            "code": "P31",
            "creator_code": "H08.31",
            "name": "Sở Nông nghiệp tỉnh Tuyên Quang",
            "publication_status": "draft",
            "languages": ["01"],
        },
    )
    assert response.status_code == 302
    fonds = Fonds.objects.get(code="P31")
    entry = ModelLogEntry.objects.get(object_id=str(fonds.pk), action="wagtail.create")
    assert entry.user == archivist
    assert entry.timestamp is not None
    assert "Lan Hoàng" in history_of(client, "fonds", fonds)


def test_a_regime_change_shows_old_and_new_in_the_history(client, file, archivist):
    client.force_login(archivist)
    response = client.post(
        reverse("recordfile:edit", args=[file.pk]),
        file_form(
            file,
            access_regime="02",
            opening_date="2040-01-01",
            access_reason="Có thông tin cá nhân của người được giao đất",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    entry = ModelLogEntry.objects.get(object_id=str(file.pk), action="collections_app.access_change")
    assert entry.user == archivist
    changes = {change["field"]: (change["old"], change["new"]) for change in entry.data["changes"]}
    assert changes["access_regime"] == ("01 – Công khai", "02 – Sử dụng có điều kiện")
    assert changes["opening_date"] == ("", "01/01/2040")
    assert changes["access_reason"] == ("", "Có thông tin cá nhân của người được giao đất")
    # Nothing else changed, so there is no separate entry for other fields.
    assert not ModelLogEntry.objects.filter(object_id=str(file.pk), action="collections_app.change").exists()

    history = history_of(client, "recordfile", file)
    assert "Đổi chế độ sử dụng" in history
    assert "“01 – Công khai” → “02 – Sử dụng có điều kiện”" in history
    assert "01/01/2040" in history
    assert "Lan Hoàng" in history


def test_publication_and_title_changes_are_logged_with_labels(client, file, archivist):
    client.force_login(archivist)
    response = client.post(
        reverse("recordfile:edit", args=[file.pk]),
        file_form(file, title="Hồ sơ giao đất xã Long Thọ (đã chỉnh lý)", publication_status="published"),
    )
    assert response.status_code == 302
    entry = ModelLogEntry.objects.get(object_id=str(file.pk), action="collections_app.change")
    changes = {change["field"]: (change["old"], change["new"]) for change in entry.data["changes"]}
    assert changes["publication_status"] == ("draft – Bản nháp", "published – Đã công bố")
    assert changes["title"][1] == "Hồ sơ giao đất xã Long Thọ (đã chỉnh lý)"
    assert not ModelLogEntry.objects.filter(action="collections_app.access_change").exists()
    history = history_of(client, "recordfile", file)
    assert "“draft – Bản nháp” → “published – Đã công bố”" in history


def test_move_and_publish_subtree_are_in_the_history(client, file, archivist):
    client.force_login(archivist)
    target = SeriesFactory(fonds=file.fonds, number="77")
    assert (
        client.post(reverse("recordfile:move", args=[file.pk]), {"target_series": target.pk}).status_code
        == 302
    )
    assert client.post(reverse("fonds:publish", args=[file.fonds_id])).status_code == 302
    file.refresh_from_db()
    move_history = history_of(client, "recordfile", file)
    assert "Đã chuyển sang" in move_history
    assert file.reference_code in move_history
    assert "Lan Hoàng" in move_history
    publish_history = history_of(client, "fonds", file.fonds)
    assert "Đã công bố" in publish_history
    assert "Lan Hoàng" in publish_history


def test_soft_delete_and_restore_are_in_the_history(client, file, leader):
    client.force_login(leader)
    fonds = file.fonds
    response = client.post(reverse("fonds:delete", args=[fonds.pk]), {"reason": "Phông nhập trùng"})
    assert response.status_code == 302
    # The leader can still read the history of the record in the recycle bin.
    history = history_of(client, "fonds", fonds)
    assert "Xóa (vào thùng rác)" in history
    assert "Phông nhập trùng" in history
    assert "Minh Trần" in history
    client.post(reverse("recycle_bin_restore", args=["fonds", fonds.pk]))
    history = history_of(client, "fonds", fonds)
    assert "Khôi phục từ thùng rác" in history
    entries = ModelLogEntry.objects.filter(object_id=str(fonds.pk), content_type__model="fonds")
    assert set(entries.filter(user=leader).values_list("action", flat=True)) == {
        "collections_app.soft_delete",
        "collections_app.restore",
    }


def user_form(user, groups):
    return {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name or "Bình",
        "last_name": user.last_name or "Phạm",
        "password1": "",
        "password2": "",
        "is_active": "on",
        "groups": [group.pk for group in groups],
    }


def test_giving_and_taking_a_role_in_the_user_admin_is_logged(client, tuyen_quang, national_admin):
    reader = UserFactory(username="binh.pham", first_name="Bình", last_name="Phạm")
    plain_group = Group.objects.create(name="Nhóm nhận bản tin")
    leader_group = tuyen_quang.roles.get(role=Role.LEADER).group
    client.force_login(national_admin)

    response = client.post(
        reverse("wagtailusers_users:edit", args=[reader.pk]), user_form(reader, [leader_group, plain_group])
    )
    assert response.status_code == 302, response.context["form"].errors
    added = ModelLogEntry.objects.get(object_id=str(reader.pk), action="collections_app.role_added")
    assert added.user == national_admin
    assert added.data["archive"] == tuyen_quang.name
    assert added.data["role"] == Role.LEADER
    assert added.data["group"] == leader_group.name

    response = client.post(
        reverse("wagtailusers_users:edit", args=[reader.pk]), user_form(reader, [plain_group])
    )
    assert response.status_code == 302
    removed = ModelLogEntry.objects.get(object_id=str(reader.pk), action="collections_app.role_removed")
    assert removed.user == national_admin
    assert removed.data["archive_id"] == tuyen_quang.pk
    # Groups that carry no role are not audited.
    assert (
        ModelLogEntry.objects.filter(
            object_id=str(reader.pk), action__startswith="collections_app.role"
        ).count()
        == 2
    )

    history = client.get(reverse("wagtailusers_users:history", args=[reader.pk])).content.decode()
    assert f"Được giao vai trò: {leader_group.name}" in history
    assert f"Bị thu hồi vai trò: {leader_group.name}" in history
    assert "Quốc Nguyễn" in history


def test_national_admin_group_changes_from_either_side_are_logged(national_admin):
    reader = UserFactory(username="an.le")
    group = Group.objects.get(name=NATIONAL_ADMIN_GROUP)
    with LogContext(user=national_admin):
        group.user_set.add(reader)
        reader.groups.clear()
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(reader.pk), content_type__model="user")
        .order_by("id")
        .values_list("action", "user", "data__group")
    )
    assert actions == [
        ("collections_app.role_added", national_admin.pk, NATIONAL_ADMIN_GROUP),
        ("collections_app.role_removed", national_admin.pk, NATIONAL_ADMIN_GROUP),
    ]


def test_site_history_of_all_archives_is_for_national_admins_only(client, file, archivist, national_admin):
    client.force_login(archivist)
    client.post(reverse("recordfile:edit", args=[file.pk]), file_form(file, title="Hồ sơ mật của tỉnh"))
    site_history = reverse("wagtailadmin_reports:site_history")
    assert site_history not in client.get(reverse("wagtailadmin_home")).content.decode()
    assert client.get(site_history).status_code == 403
    assert client.get(reverse("wagtailadmin_reports:site_history_results")).status_code == 403
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert site_history in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(national_admin)
    response = client.get(site_history)
    assert response.status_code == 200
    assert "Hồ sơ mật của tỉnh" in response.content.decode()
