"""A national administrator creates a provincial archive page; its roles come with it."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from wagtail.models import GroupCollectionPermission, GroupPagePermission

from archivecms.portal.models import ArchivePage
from collections_app.factories import UserFactory, current_province
from collections_app.models import NATIONAL_ADMIN_GROUP, Archive, ArchiveRole, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def national_admin(db):
    from django.contrib.auth.models import Group

    user = UserFactory(username="quantri")
    user.groups.add(Group.objects.get(name=NATIONAL_ADMIN_GROUP))
    return user


def create_archive_page(client, home, **fields):
    url = reverse("wagtailadmin_pages:add", args=["portal", "archivepage", home.pk])
    data = {
        "title": "Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai",
        "slug": "",
        "archive_code": "LT75",
        "unit": current_province("Đồng Nai").pk,
        "action-publish": "publish",
    }
    data.update(fields)
    return client.post(url, data)


def test_creating_an_archive_page_creates_its_archive_and_roles(client, home, admin_user):
    client.force_login(admin_user)
    response = create_archive_page(client, home)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    page = ArchivePage.objects.get()
    assert page.live and page.slug == "dong-nai" and page.url == "/dong-nai/"
    archive = Archive.objects.get(code="LT75")
    assert page.archive == archive and archive.unit.name == "Đồng Nai"
    roles = {role.role: role.group for role in ArchiveRole.objects.filter(archive=archive)}
    assert set(roles) == {Role.ARCHIVIST, Role.READING_ROOM, Role.LEADER}
    archivist_perms = set(roles[Role.ARCHIVIST].permissions.values_list("codename", flat=True))
    assert {"add_document", "change_document", "publish_document", "access_admin"} <= archivist_perms
    assert "delete_document" not in archivist_perms
    assert "delete_document" in set(roles[Role.LEADER].permissions.values_list("codename", flat=True))
    assert set(roles[Role.READING_ROOM].permissions.values_list("codename", flat=True)) >= {"view_document"}
    publish = Permission.objects.get(codename="publish_page")
    assert GroupPagePermission.objects.filter(
        group=roles[Role.LEADER], page=page, permission=publish
    ).exists()
    assert not GroupPagePermission.objects.filter(group=roles[Role.ARCHIVIST], permission=publish).exists()
    assert GroupCollectionPermission.objects.filter(
        group=roles[Role.ARCHIVIST], collection=archive.collection
    ).exists()


def test_duplicate_archive_code_is_refused(client, home, admin_user, dong_nai):
    client.force_login(admin_user)
    response = create_archive_page(client, home, title="Một trung tâm khác", slug="khac")
    assert response.status_code == 200
    assert "đã được dùng cho cơ quan lưu trữ khác" in response.content.decode()
    assert ArchivePage.objects.count() == 1


def test_invalid_archive_code_explains_the_format(client, home, admin_user):
    client.force_login(admin_user)
    response = create_archive_page(client, home, archive_code="LT 75/ĐN")
    assert response.status_code == 200
    assert "tối đa 13 ký tự" in response.content.decode()
    assert not Archive.objects.exists()


def test_national_admin_reaches_every_archive(client, national_admin, tuyen_quang, dong_nai):
    from collections_app.factories import FondsFactory

    tq, dn = FondsFactory(archive=tuyen_quang), FondsFactory(archive=dong_nai)
    client.force_login(national_admin)
    listing = client.get(reverse("fonds:index")).content.decode()
    assert tq.reference_code in listing and dn.reference_code in listing
