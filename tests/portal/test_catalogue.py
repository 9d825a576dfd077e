"""A visitor browses home → archive → fonds → series → file → document over real HTTP."""

import datetime

import pytest

from collections_app.factories import (
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.models import RecordFile, Role
from collections_app.transfers import merger

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(tuyen_quang):
    fonds = FondsFactory(
        archive=tuyen_quang, code="P01", name="Ủy ban nhân dân tỉnh Hà Giang", creator_code="000.00.00.H05"
    )
    series = SeriesFactory(fonds=fonds, number="01")
    file = RecordFileFactory(
        series=series, year=2004, file_number="12", title="Hồ sơ giao đất xây dựng trường học xã Yên Minh"
    )
    document = DocumentFactory(
        file=file,
        ordinal=1,
        code_number="1234",
        code_notation="QĐ-UBND",
        title="Quyết định giao đất xây dựng trường học",
        full_text="Điều 1. Giao 2.500 m² đất tại thôn Nà Cọc.",
    )
    return {"fonds": fonds, "series": series, "file": file, "document": document}


def test_visitor_walks_the_tree_with_breadcrumbs(client, tree):
    home = client.get("/")
    assert home.status_code == 200
    assert "/tuyen-quang/" in home.content.decode()

    archive = client.get("/tuyen-quang/").content.decode()
    assert "Ủy ban nhân dân tỉnh Hà Giang" in archive
    assert "Hà Giang" in archive  # the absorbed former province is named

    fonds_page = client.get(f"/tuyen-quang/phong/{tree['fonds'].reference_code}/").content.decode()
    assert tree["series"].reference_code in fonds_page

    series_page = client.get(f"/tuyen-quang/muc-luc/{tree['series'].reference_code}/").content.decode()
    assert "Hồ sơ giao đất xây dựng trường học xã Yên Minh" in series_page
    assert 'aria-label="Đường dẫn"' in series_page

    file_page = client.get(f"/tuyen-quang/ho-so/{tree['file'].reference_code}/").content.decode()
    assert tree["document"].reference_code in file_page

    document_page = client.get(f"/tuyen-quang/tai-lieu/{tree['document'].reference_code}/").content.decode()
    assert "1234/QĐ-UBND" in document_page
    assert "Nà Cọc" in document_page
    for crumb in ("Ủy ban nhân dân tỉnh Hà Giang", tree["series"].title, tree["file"].title):
        assert crumb in document_page
    assert f"/r/{tree['document'].reference_code}/" in document_page


def test_permanent_link_resolves_every_level(client, tree):
    for level, prefix in (
        ("fonds", "phong"),
        ("series", "muc-luc"),
        ("file", "ho-so"),
        ("document", "tai-lieu"),
    ):
        record = tree[level]
        response = client.get(f"/r/{record.reference_code}/")
        assert response.status_code == 302
        assert response["Location"] == f"/tuyen-quang/{prefix}/{record.reference_code}/"


def test_unknown_code_is_404(client, tree):
    assert client.get("/r/KHONG.CO.MA.NAY/").status_code == 404
    assert client.get("/tuyen-quang/ho-so/KHONG.CO/").status_code == 404


def test_drafts_are_hidden_from_visitors_but_shown_to_staff(client, tuyen_quang, tree):
    draft = RecordFileFactory(series=tree["series"], title="Hồ sơ đang chỉnh lý", publication_status="draft")
    series_url = f"/tuyen-quang/muc-luc/{tree['series'].reference_code}/"
    assert "Hồ sơ đang chỉnh lý" not in client.get(series_url).content.decode()
    assert client.get(f"/r/{draft.reference_code}/").status_code == 404
    assert client.get(f"/tuyen-quang/ho-so/{draft.reference_code}/").status_code == 404
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq"))
    assert "Hồ sơ đang chỉnh lý" in client.get(series_url).content.decode()


def test_conditional_records_show_metadata_but_not_content(client, tree):
    document = DocumentFactory(
        file=tree["file"],
        ordinal=2,
        access_regime="02",
        access_reason="Thông tin đời tư cá nhân",
        opening_date=datetime.date(2040, 1, 1),
        title="Biên bản xác minh nguồn gốc đất của hộ bà Lò Thị Mai",
        full_text="Nội dung riêng tư: số định danh 001234567890",
    )
    page = client.get(f"/tuyen-quang/tai-lieu/{document.reference_code}/").content.decode()
    assert "Biên bản xác minh nguồn gốc đất" in page
    assert "001234567890" not in page
    assert "sử dụng có điều kiện" in page
    assert "01/01/2040" in page


def test_conditional_records_open_on_their_opening_date(client, tree):
    document = DocumentFactory(
        file=tree["file"],
        ordinal=3,
        access_regime="02",
        opening_date=datetime.date(2020, 1, 1),
        full_text="Đã hết thời hạn hạn chế",
    )
    page = client.get(f"/tuyen-quang/tai-lieu/{document.reference_code}/").content.decode()
    assert "Đã hết thời hạn hạn chế" in page


def test_secret_records_are_not_listed_at_all(client, tree):
    secret = DocumentFactory(
        file=tree["file"], ordinal=4, access_regime="03", title="Tài liệu mật về quốc phòng"
    )
    secret_file = RecordFileFactory(series=tree["series"], access_regime="03", title="Hồ sơ mật về biên giới")
    file_page = client.get(f"/tuyen-quang/ho-so/{tree['file'].reference_code}/").content.decode()
    series_page = client.get(f"/tuyen-quang/muc-luc/{tree['series'].reference_code}/").content.decode()
    assert "Tài liệu mật" not in file_page and secret.reference_code not in file_page
    assert "Hồ sơ mật" not in series_page
    assert client.get(f"/tuyen-quang/tai-lieu/{secret.reference_code}/").status_code == 404
    assert client.get(f"/r/{secret_file.reference_code}/").status_code == 404


def test_a_document_in_a_secret_file_is_secret_too(client, tree):
    secret_file = RecordFileFactory(series=tree["series"], access_regime="03")
    document = DocumentFactory(file=secret_file, ordinal=1, access_regime="01")
    assert client.get(f"/tuyen-quang/tai-lieu/{document.reference_code}/").status_code == 404


def test_every_level_is_paged_never_more_than_100_rows(client, tree, settings):
    file = tree["file"]
    DocumentFactory.create_batch(120, file=file)
    response = client.get(f"/tuyen-quang/ho-so/{file.reference_code}/")
    rows = response.content.decode().count("<tr>") - 1
    assert 0 < rows <= 100
    page2 = client.get(f"/tuyen-quang/ho-so/{file.reference_code}/?page=2").content.decode()
    assert "Trang 2" in page2
    # Nonsense page numbers fall back to a real page, never an error.
    for value in ("999", "abc", "-1"):
        assert client.get(f"/tuyen-quang/ho-so/{file.reference_code}/?page={value}").status_code == 200


def test_record_of_another_archive_is_not_served_under_this_archive(client, tree, dong_nai):
    assert client.get(f"/dong-nai/ho-so/{tree['file'].reference_code}/").status_code == 404


def test_english_is_available(client, tree):
    response = client.get("/tuyen-quang/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()


def test_healthz_reports_each_part(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "storage": "ok", "tasks": "ok", "search": "ok"}


def test_after_a_merger_the_former_archive_says_where_and_its_old_links_follow(client, tree, dong_nai):
    draft = RecordFileFactory(series=tree["series"], file_number="13", publication_status="draft")
    old_file, old_draft = tree["file"].reference_code, draft.reference_code
    merger.execute(merger.plan_merge([tree["fonds"].archive], dong_nai))

    home = client.get("/tuyen-quang/").content.decode()
    assert "tài liệu của cơ quan lưu trữ này đã được chuyển về" in home
    assert f"{dong_nai.name}; đường dẫn cũ vẫn dẫn tới tài liệu ở nơi mới." in home
    assert 'href="/dong-nai/"' in home
    response = client.get(f"/tuyen-quang/ho-so/{old_file}/")
    moved = RecordFile.objects.get(pk=tree["file"].pk)
    assert response.status_code == 301
    assert response["Location"] == f"/dong-nai/ho-so/{moved.reference_code}/"
    assert client.get(response["Location"]).status_code == 200
    assert client.get(f"/tuyen-quang/ho-so/{old_draft}/").status_code == 404
    assert client.get(f"/tuyen-quang/tai-lieu/{old_file}/").status_code == 404
