"""Soft delete by leaders, the recycle bin and restore, over real HTTP."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    UserFactory,
    staff_user,
)
from collections_app.file_serving import stored_file_url
from collections_app.models import (
    NATIONAL_ADMIN_GROUP,
    DigitalObject,
    Document,
    Fonds,
    RecordFile,
    Role,
    Series,
)

pytestmark = pytest.mark.django_db

REASON = "Nhập trùng phông khi chuyển dữ liệu từ hệ thống cũ"


@pytest.fixture
def tree(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang, code="P07", name="Ủy ban nhân dân huyện Chiêm Hóa")
    series = SeriesFactory(fonds=fonds, number="01")
    file = RecordFileFactory(series=series, file_number="12")
    loose_file = RecordFileFactory(series=None, fonds=fonds, file_number="40")
    documents = [DocumentFactory(file=file, ordinal=n) for n in (1, 2)]
    scan = DigitalObjectFactory(document=documents[0])
    return {
        "fonds": fonds,
        "series": series,
        "file": file,
        "loose_file": loose_file,
        "documents": documents,
        "scan": scan,
    }


@pytest.fixture
def archivist(tuyen_quang):
    return staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq")


@pytest.fixture
def leader(tuyen_quang):
    return staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq")


def records_of(tree):
    return [tree["fonds"], tree["series"], tree["file"], tree["loose_file"], *tree["documents"]]


def public_url(client, record):
    """Follow /r/<code>/ to the record's public page; None when it answers 404."""
    response = client.get(f"/r/{record.reference_code}/")
    if response.status_code == 404:
        return None
    assert response.status_code == 302
    return response["Location"]


def scan_url(scan):
    return stored_file_url(scan, scan.file.name)


def delete_fonds(client, fonds, reason=REASON):
    return client.post(reverse("fonds:delete", args=[fonds.pk]), {"reason": reason}, follow=True)


def test_archivist_has_no_delete_button_and_a_post_is_refused(client, tree, archivist):
    client.force_login(archivist)
    file = tree["file"]
    for url in (reverse("recordfile:index"), reverse("recordfile:inspect", args=[file.pk])):
        content = client.get(url).content.decode()
        assert reverse("recordfile:delete", args=[file.pk]) not in content
    response = client.post(reverse("recordfile:delete", args=[file.pk]), {"reason": REASON}, follow=True)
    assert response.status_code == 200
    assert "Chỉ lãnh đạo của cơ quan lưu trữ hoặc quản trị hệ thống" in response.content.decode()
    file.refresh_from_db()
    assert file.deleted_at is None
    assert not ModelLogEntry.objects.filter(action="collections_app.soft_delete").exists()


def test_leader_of_another_archive_who_archives_here_cannot_delete(client, tree, tuyen_quang, dong_nai):
    user = staff_user(dong_nai, Role.LEADER, username="lanhdao.dn")
    user.groups.add(tuyen_quang.roles.get(role=Role.ARCHIVIST).group)
    client.force_login(user)
    file = tree["file"]
    assert (
        reverse("recordfile:delete", args=[file.pk])
        not in client.get(reverse("recordfile:inspect", args=[file.pk])).content.decode()
    )
    response = client.post(reverse("recordfile:delete", args=[file.pk]), {"reason": REASON}, follow=True)
    assert "Chỉ lãnh đạo của cơ quan lưu trữ hoặc quản trị hệ thống" in response.content.decode()
    file.refresh_from_db()
    assert file.deleted_at is None


def test_delete_asks_for_a_reason(client, tree, leader):
    client.force_login(leader)
    fonds = tree["fonds"]
    confirm = client.get(reverse("fonds:delete", args=[fonds.pk]))
    assert confirm.status_code == 200
    content = confirm.content.decode()
    assert "Lý do xóa" in content
    assert "thùng rác" in content
    response = client.post(reverse("fonds:delete", args=[fonds.pk]), {"reason": ""})
    assert response.status_code == 200
    assert "Hãy ghi lý do xóa" in response.content.decode()
    fonds.refresh_from_db()
    assert fonds.deleted_at is None


def test_leader_deletes_a_fonds_and_its_subtree_disappears(client, tree, leader, archivist):
    anonymous_pages = {record.pk: public_url(client, record) for record in records_of(tree)}
    assert all(anonymous_pages.values())
    assert client.get(anonymous_pages[tree["fonds"].pk]).status_code == 200
    client.force_login(archivist)
    assert client.get(scan_url(tree["scan"])).status_code == 200

    client.force_login(leader)
    response = delete_fonds(client, tree["fonds"])
    assert response.status_code == 200
    assert "vào thùng rác" in response.content.decode()

    deleted_at = tree["fonds"].__class__.objects.get(pk=tree["fonds"].pk).deleted_at
    for record in records_of(tree):
        record.refresh_from_db()
        assert (record.deleted_at, record.deleted_by, record.delete_reason) == (deleted_at, leader, REASON)
    entry = ModelLogEntry.objects.get(action="collections_app.soft_delete", object_id=str(tree["fonds"].pk))
    assert entry.user == leader
    assert entry.data["counts"] == {"fonds": 1, "series": 1, "recordfile": 2, "document": 2}

    client.logout()
    for record in records_of(tree):
        assert client.get(f"/r/{record.reference_code}/").status_code == 404
    assert client.get(anonymous_pages[tree["fonds"].pk]).status_code == 404
    assert client.get(anonymous_pages[tree["documents"][0].pk]).status_code == 404
    archive_page = anonymous_pages[tree["fonds"].pk].split("phong/")[0]
    assert tree["fonds"].name not in client.get(archive_page).content.decode()

    for user in (archivist, leader):
        client.force_login(user)
        assert client.get(scan_url(tree["scan"])).status_code == 404
        for level, record in (("fonds", tree["fonds"]), ("recordfile", tree["file"])):
            listing = client.get(reverse(f"{level}:index")).content.decode()
            assert record.reference_code not in listing
            assert client.get(reverse(f"{level}:inspect", args=[record.pk])).status_code == 404
            assert client.get(reverse(f"{level}:edit", args=[record.pk])).status_code == 404
    # The scan stays stored, with its bytes.
    scan = DigitalObject.objects.get(pk=tree["scan"].pk)
    assert scan.file.storage.exists(scan.file.name)


def test_deleting_a_file_takes_its_documents_only(client, tree, leader):
    client.force_login(leader)
    file = tree["file"]
    response = client.post(reverse("recordfile:delete", args=[file.pk]), {"reason": REASON})
    assert response.status_code == 302
    assert RecordFile.objects.filter(pk=file.pk, deleted_at__isnull=False).exists()
    assert Document.objects.filter(file=file, deleted_at__isnull=True).count() == 0
    assert Series.objects.get(pk=tree["series"].pk).deleted_at is None
    assert RecordFile.objects.get(pk=tree["loose_file"].pk).deleted_at is None
    series_page = client.get(reverse("series:inspect", args=[tree["series"].pk])).content.decode()
    assert file.reference_code not in series_page


def test_recycle_bin_lists_the_deletion_and_restore_brings_everything_back(client, tree, leader):
    before = {(type(record), record.pk): record.publication_status for record in records_of(tree)}
    client.force_login(leader)
    delete_fonds(client, tree["fonds"])

    admin_home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("recycle_bin") in admin_home
    bin_page = client.get(reverse("recycle_bin")).content.decode()
    assert tree["fonds"].reference_code in bin_page
    assert REASON in bin_page
    assert leader.get_username() in bin_page
    # What went with the fonds is restored with it, so it is not listed on its own.
    for record in records_of(tree)[1:]:
        assert record.reference_code not in bin_page

    restore_url = reverse("recycle_bin_restore", args=["fonds", tree["fonds"].pk])
    confirm = client.get(restore_url)
    assert confirm.status_code == 200
    response = client.post(restore_url, follow=True)
    assert response.status_code == 200
    assert "Đã khôi phục" in response.content.decode()

    for record in records_of(tree):
        record.refresh_from_db()
        assert (record.deleted_at, record.deleted_by, record.delete_reason) == (None, None, "")
        assert record.publication_status == before[(type(record), record.pk)]
    entry = ModelLogEntry.objects.get(action="collections_app.restore", object_id=str(tree["fonds"].pk))
    assert entry.user == leader
    assert sum(entry.data["counts"].values()) == 6
    client.logout()
    assert public_url(client, tree["documents"][1]) is not None
    assert client.get(scan_url(tree["scan"])).status_code == 200
    history = client.get(reverse("fonds:history", args=[tree["fonds"].pk]))
    assert history.status_code == 302  # anonymous: to the login page


def test_restore_keeps_what_was_deleted_earlier_on_its_own(client, tree, leader):
    client.force_login(leader)
    document = tree["documents"][1]
    client.post(reverse("document:delete", args=[document.pk]), {"reason": "Tài liệu nhập nhầm hồ sơ"})
    delete_fonds(client, tree["fonds"])
    bin_page = client.get(reverse("recycle_bin")).content.decode()
    assert document.reference_code in bin_page
    assert "Tài liệu nhập nhầm hồ sơ" in bin_page

    response = client.post(reverse("recycle_bin_restore", args=["document", document.pk]), follow=True)
    assert "Trước hết hãy khôi phục" in response.content.decode()
    document.refresh_from_db()
    assert document.deleted_at is not None

    client.post(reverse("recycle_bin_restore", args=["fonds", tree["fonds"].pk]))
    assert Document.objects.get(pk=tree["documents"][0].pk).deleted_at is None
    document.refresh_from_db()
    assert document.delete_reason == "Tài liệu nhập nhầm hồ sơ"
    client.post(reverse("recycle_bin_restore", args=["document", document.pk]))
    document.refresh_from_db()
    assert document.deleted_at is None


def test_leader_of_another_archive_cannot_see_or_restore(client, tree, leader, dong_nai):
    client.force_login(leader)
    delete_fonds(client, tree["fonds"])
    other = staff_user(dong_nai, Role.LEADER, username="lanhdao.dn")
    client.force_login(other)
    assert tree["fonds"].reference_code not in client.get(reverse("recycle_bin")).content.decode()
    restore_url = reverse("recycle_bin_restore", args=["fonds", tree["fonds"].pk])
    assert client.get(restore_url).status_code == 404
    assert client.post(restore_url).status_code == 404
    assert client.get(reverse("fonds:history", args=[tree["fonds"].pk])).status_code == 404
    assert Fonds.objects.get(pk=tree["fonds"].pk).deleted_at is not None


def test_archivist_has_no_recycle_bin(client, tree, leader, archivist):
    client.force_login(leader)
    delete_fonds(client, tree["fonds"])
    client.force_login(archivist)
    assert reverse("recycle_bin") not in client.get(reverse("wagtailadmin_home")).content.decode()
    response = client.get(reverse("recycle_bin"))
    assert response.status_code in (302, 403)
    assert client.post(reverse("recycle_bin_restore", args=["fonds", tree["fonds"].pk])).status_code in (
        302,
        403,
    )
    assert Fonds.objects.get(pk=tree["fonds"].pk).deleted_at is not None


def test_national_admin_deletes_and_restores_in_any_archive(client, tree):
    admin = UserFactory(username="quantri")
    from django.contrib.auth.models import Group

    admin.groups.add(Group.objects.get(name=NATIONAL_ADMIN_GROUP))
    client.force_login(admin)
    assert delete_fonds(client, tree["fonds"]).status_code == 200
    assert tree["fonds"].reference_code in client.get(reverse("recycle_bin")).content.decode()
    client.post(reverse("recycle_bin_restore", args=["fonds", tree["fonds"].pk]))
    assert Fonds.objects.get(pk=tree["fonds"].pk).deleted_at is None


def test_a_deleted_records_code_stays_taken(client, tree, leader):
    client.force_login(leader)
    delete_fonds(client, tree["fonds"])
    response = client.post(
        reverse("fonds:add"),
        {
            "archive": tree["fonds"].archive_id,
            "code": "P07",
            "creator_code": "H49.01",
            "name": "Ủy ban nhân dân huyện Chiêm Hóa (nhập lại)",
            "publication_status": "draft",
            "languages": ["01"],
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "đã bị xóa vào thùng rác" in content
    assert "không được dùng lại" in content
    assert Fonds.objects.filter(code="P07").count() == 1


def test_a_file_cannot_be_moved_into_a_deleted_series(client, tree, leader):
    client.force_login(leader)
    other_series = SeriesFactory(fonds=tree["fonds"], number="02")
    client.post(reverse("series:delete", args=[other_series.pk]), {"reason": "Mục lục lập nhầm"})
    file = tree["file"]
    move_url = reverse("recordfile:move", args=[file.pk])
    choices = client.get(move_url).context["form"].fields["target_series"].queryset
    assert other_series not in choices
    response = client.post(move_url, {"target_series": other_series.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["target_series"]
    file.refresh_from_db()
    assert file.series_id == tree["series"].pk
