"""The admin of the description tree, over real HTTP, as archivists of two provinces."""

import json

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from collections_app.factories import (
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.models import Document, Fonds, RecordFile, Role, Series
from collections_app.recycle_bin import restore, soft_delete

pytestmark = pytest.mark.django_db

OBJECT_VIEWS = ["edit", "delete", "inspect", "history", "usage", "publish"]


def form_errors(response):
    form = response.context and response.context.get("form")
    return form.errors.as_json() if form else response.status_code


def assert_denied(response):
    """Wagtail answers a permission refusal with a redirect to the dashboard and a message."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


@pytest.fixture
def trees(tuyen_quang, dong_nai):
    def tree(archive):
        document = DocumentFactory(
            file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=archive)))
        )
        file = document.file
        return {"fonds": file.fonds, "series": file.series, "recordfile": file, "document": document}

    return {"tuyen_quang": tree(tuyen_quang), "dong_nai": tree(dong_nai)}


@pytest.fixture
def tq_archivist(tuyen_quang):
    return staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq")


@pytest.fixture
def dn_archivist(dong_nai):
    return staff_user(dong_nai, Role.ARCHIVIST, username="luutru.dn")


@pytest.mark.parametrize("level", ["fonds", "series", "recordfile", "document"])
def test_listing_shows_only_own_archive(client, trees, tq_archivist, level):
    client.force_login(tq_archivist)
    response = client.get(reverse(f"{level}:index"))
    assert response.status_code == 200
    content = response.content.decode()
    assert trees["tuyen_quang"][level].reference_code in content
    assert trees["dong_nai"][level].reference_code not in content


@pytest.mark.parametrize("level", ["fonds", "series", "recordfile", "document"])
@pytest.mark.parametrize("view", OBJECT_VIEWS + ["move"])
def test_other_archives_records_are_unreachable(client, trees, dn_archivist, level, view):
    if view == "move" and level != "recordfile":
        pytest.skip(reason="only files are moved between series")
    client.force_login(dn_archivist)
    record = trees["tuyen_quang"][level]
    url = reverse(f"{level}:{view}", args=[record.pk])
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code in (403, 404), (view, method, response.status_code)
    record.refresh_from_db()


@pytest.mark.parametrize("level", ["fonds", "series", "recordfile", "document"])
@pytest.mark.parametrize("view", ["edit", "inspect", "history", "usage", "publish"])
def test_own_records_open_in_every_view(client, trees, tq_archivist, level, view):
    client.force_login(tq_archivist)
    record = trees["tuyen_quang"][level]
    response = client.get(reverse(f"{level}:{view}", args=[record.pk]))
    assert response.status_code == 200


def test_archivist_cannot_delete_but_leader_can(client, trees, tuyen_quang, tq_archivist):
    document = trees["tuyen_quang"]["document"]
    client.force_login(tq_archivist)
    client.post(reverse("document:delete", args=[document.pk]), {"reason": "Nhập trùng"})
    assert Document.objects.filter(pk=document.pk, deleted_at__isnull=True).exists()
    leader = staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq")
    client.force_login(leader)
    response = client.post(reverse("document:delete", args=[document.pk]), {"reason": "Nhập trùng"})
    assert response.status_code == 302
    assert Document.objects.filter(pk=document.pk, deleted_at__isnull=False).exists()


def test_archivist_builds_a_tree_through_the_admin(client, tuyen_quang, tq_archivist):
    client.force_login(tq_archivist)
    response = client.post(
        reverse("fonds:add"),
        {
            "archive": tuyen_quang.pk,
            "code": "P20",
            "creator_code": "000.00.00.H49",
            "name": "Ủy ban nhân dân tỉnh Hà Giang",
            "publication_status": "draft",
            "languages": ["01"],
        },
    )
    assert response.status_code == 302, form_errors(response)
    fonds = Fonds.objects.get(code="P20")
    response = client.post(
        reverse("series:add"),
        {
            "fonds": fonds.pk,
            "number": "01",
            "title": "Mục lục hồ sơ vĩnh viễn",
            "publication_status": "draft",
        },
    )
    assert response.status_code == 302
    series = Series.objects.get(fonds=fonds)
    response = client.post(
        reverse("recordfile:add"),
        {
            "fonds": fonds.pk,
            "series": series.pk,
            "year": "2004",
            "file_number": "12",
            "title": "Hồ sơ về việc giao đất xây dựng trường học xã Yên Minh",
            "start_date": "05/03/2004",
            "end_date": "12/2004",
            "retention": "01",
            "access_regime": "01",
            "languages": ["01"],
            "publication_status": "draft",
        },
    )
    assert response.status_code == 302, form_errors(response)
    file = RecordFile.objects.get(series=series)
    assert file.reference_code == "LT08.000.00.00.H49.2004.12.01"
    assert (file.start_date, file.end_date) == ("2004-03-05", "2004-12")
    response = client.post(
        reverse("document:add"),
        {
            "file": file.reference_code,
            "ordinal": "1",
            "kind": "text",
            "type_name": "02",
            "code_number": "45",
            "code_notation": "QĐ-UBND",
            "issued_date": "05/03/2004",
            "organ_name": "Ủy ban nhân dân tỉnh Hà Giang",
            "title": "Quyết định giao đất",
            "retention": "01",
            "access_regime": "01",
            "languages": ["01"],
            "publication_status": "draft",
        },
    )
    assert response.status_code == 302, form_errors(response)
    assert Document.objects.get(file=file).doc_id == "000.00.00.H49.2004.12.01.1"


def test_add_child_from_the_parent_prefills_it(client, trees, tq_archivist):
    client.force_login(tq_archivist)
    file = trees["tuyen_quang"]["recordfile"]
    inspect = client.get(reverse("recordfile:inspect", args=[file.pk])).content.decode()
    add_url = f"{reverse('document:add')}?file={file.pk}"
    assert add_url in inspect
    form = client.get(add_url).content.decode()
    assert f'value="{file.reference_code}"' in form


def test_form_errors_are_shown_in_vietnamese_without_saving(client, trees, tq_archivist):
    client.force_login(tq_archivist)
    file = trees["tuyen_quang"]["recordfile"]
    response = client.post(
        reverse("recordfile:edit", args=[file.pk]),
        {
            "fonds": file.fonds_id,
            "series": file.series_id,
            "year": "2019",
            "file_number": file.file_number,
            "title": "Tiêu đề mới",
            "start_date": "05/2019",
            "end_date": "2018",
            "retention": "09",
            "access_regime": "01",
            "languages": ["01"],
            "publication_status": "draft",
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "sớm hơn thời gian bắt đầu" in content
    assert "09" in content
    file.refresh_from_db()
    assert file.title != "Tiêu đề mới"


def test_foreign_parent_is_refused_in_the_form(client, trees, tq_archivist):
    client.force_login(tq_archivist)
    foreign_file = trees["dong_nai"]["recordfile"]
    response = client.post(
        reverse("document:add"),
        {
            "file": foreign_file.reference_code,
            "ordinal": "9",
            "kind": "text",
            "type_name": "02",
            "title": "Thử",
            "retention": "01",
            "access_regime": "01",
            "languages": ["01"],
            "publication_status": "draft",
        },
    )
    assert response.status_code == 200
    assert "Không tìm thấy bản ghi có mã tham chiếu này" in response.content.decode()
    assert not Document.objects.filter(file=foreign_file, ordinal=9).exists()


def test_edit_history_records_what_changed(client, trees, tq_archivist):
    client.force_login(tq_archivist)
    file = trees["tuyen_quang"]["recordfile"]
    response = client.post(
        reverse("recordfile:edit", args=[file.pk]),
        {
            "fonds": file.fonds_id,
            "series": file.series_id,
            "year": "2019",
            "file_number": file.file_number,
            "title": "Hồ sơ giao đất (đã chỉnh lý)",
            "start_date": "05/03/2019",
            "end_date": "20/12/2019",
            "retention": "01",
            "access_regime": "01",
            "languages": ["01"],
            "publication_status": "published",
        },
    )
    assert response.status_code == 302, form_errors(response)
    entry = ModelLogEntry.objects.filter(action="collections_app.change", object_id=str(file.pk)).get()
    assert entry.user == tq_archivist
    history = client.get(reverse("recordfile:history", args=[file.pk])).content.decode()
    assert "Hồ sơ giao đất (đã chỉnh lý)" in history


def test_move_view_recodes_and_logs(client, trees, tq_archivist):
    client.force_login(tq_archivist)
    file = trees["tuyen_quang"]["recordfile"]
    target = SeriesFactory(fonds=file.fonds, number="99")
    old_code = file.reference_code
    response = client.post(reverse("recordfile:move", args=[file.pk]), {"target_series": target.pk})
    assert response.status_code == 302
    file.refresh_from_db()
    assert file.reference_code.endswith(".99")
    assert client.get(f"/r/{old_code}/").status_code == 301
    assert ModelLogEntry.objects.filter(action="collections_app.move", object_id=str(file.pk)).exists()


def test_bulk_publish_of_a_subtree(client, tuyen_quang, tq_archivist):
    document = DocumentFactory(
        publication_status="draft",
        file=RecordFileFactory(
            publication_status="draft",
            series=SeriesFactory(
                publication_status="draft",
                fonds=FondsFactory(archive=tuyen_quang, publication_status="draft"),
            ),
        ),
    )
    fonds = document.file.fonds
    client.force_login(tq_archivist)
    confirm = client.get(reverse("fonds:publish", args=[fonds.pk]))
    assert confirm.status_code == 200
    assert client.post(reverse("fonds:publish", args=[fonds.pk])).status_code == 302
    for record in (fonds, document.file.series, document.file, document):
        record.refresh_from_db()
        assert record.publication_status == "published"


def test_reading_room_can_look_but_not_change(client, trees, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.READING_ROOM, username="phongdoc.tq"))
    file = trees["tuyen_quang"]["recordfile"]
    assert client.get(reverse("recordfile:inspect", args=[file.pk])).status_code == 200
    assert_denied(client.get(reverse("recordfile:edit", args=[file.pk])))
    assert_denied(client.get(reverse("recordfile:add")))


def test_admin_is_in_vietnamese(client, tq_archivist):
    client.force_login(tq_archivist)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'lang="vi"' in content
    assert "Trang tổng quan" in content
    sidebar_label = json.dumps("Tài liệu lưu trữ")[1:-1]
    assert "Tài liệu lưu trữ" in content or sidebar_label in content


def test_legacy_code_is_kept_as_an_alias(client, trees, tq_archivist):
    client.force_login(tq_archivist)
    file = trees["tuyen_quang"]["recordfile"]
    response = client.post(
        reverse("recordfile:edit", args=[file.pk]),
        {
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
            "publication_status": "published",
            "legacy_code": "H49.01.1995.0012",
        },
    )
    assert response.status_code == 302, form_errors(response)
    redirect = client.get("/r/H49.01.1995.0012/")
    assert redirect.status_code == 301 and redirect["Location"] == f"/r/{file.reference_code}/"
    inspect = client.get(reverse("recordfile:inspect", args=[file.pk])).content.decode()
    assert "H49.01.1995.0012" in inspect


def test_publishing_a_branch_leaves_its_deleted_drafts_as_drafts(client, tuyen_quang, tq_archivist):
    record_file = RecordFileFactory(
        publication_status="draft", fonds=FondsFactory(archive=tuyen_quang, publication_status="published")
    )
    kept = DocumentFactory(file=record_file, publication_status="draft")
    binned = DocumentFactory(file=record_file, publication_status="draft")
    soft_delete(binned, tq_archivist, reason="Nhập trùng")
    client.force_login(tq_archivist)

    confirm = client.get(reverse("recordfile:publish", args=[record_file.pk]))
    assert confirm.context["counts"] == {"recordfile": 1, "document": 1}
    client.post(reverse("recordfile:publish", args=[record_file.pk]))
    binned.refresh_from_db()
    restore(binned, tq_archivist)

    kept.refresh_from_db()
    binned.refresh_from_db()
    assert kept.publication_status == "published"
    assert binned.publication_status == "draft"
    assert binned.deleted_at is None
