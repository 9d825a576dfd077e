"""Vietnamese search as citizens and businesses use it: folding, numbers, old places, facets, snippets."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from collections_app.factories import (
    ArchiveFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    ScanPageFactory,
    SeriesFactory,
    current_province,
    staff_user,
)
from collections_app.ingest.text import set_page_text
from collections_app.models import AdministrativeUnit, Role
from collections_app.vocabularies import AccessRegime


def api(client, query, **params):
    response = client.get("/api/v1/search", {"q": query, **params})
    assert response.status_code == 200, response.content
    return response.json()


def codes(client, query, **params):
    return [result["reference_code"] for result in api(client, query, **params)["results"]]


def document(archive, title, **fields):
    fonds = fields.pop("fonds", None) or FondsFactory(archive=archive)
    file = RecordFileFactory(
        series=SeriesFactory(fonds=fonds), title=fields.pop("file_title", "Hồ sơ lưu trữ")
    )
    return DocumentFactory(file=file, title=title, **fields)


@pytest.fixture
def land(dong_nai):
    return {
        "dong_nai": document(dong_nai, "Quyết định giao đất đai tại tỉnh Đồng Nai", code_number="77"),
        "hoa": document(dong_nai, "Báo cáo thuỷ lợi xã Hoà Bình của Uỷ ban nhân dân", code_number="78"),
        "hoa_new": document(dong_nai, "Tờ trình thủy lợi xã Hòa Bình của Ủy ban nhân dân", code_number="79"),
    }


@pytest.mark.parametrize(
    "query", ["dat dai Dong Nai", "đất đai Đồng Nai", "ĐẤT ĐAI ĐỒNG NAI", "Dat Dai dong nai"]
)
def test_queries_with_or_without_marks_find_the_same_record(client, land, query):
    assert codes(client, query) == [land["dong_nai"].reference_code]


@pytest.mark.parametrize("query", ["uy ban hoa binh", "Ủy ban Hòa Bình", "Uỷ ban Hoà Bình", "thuy loi"])
def test_old_and_new_tone_placements_meet(client, land, query):
    assert set(codes(client, query)) == {land["hoa"].reference_code, land["hoa_new"].reference_code}


def test_a_query_with_marks_ranks_the_exact_form_first(client, dong_nai):
    pests = document(dong_nai, "Báo cáo tình hình sâu bệnh trên lúa", code_number="11")
    after = document(dong_nai, "Báo cáo tình hình sau bệnh dịch của gia súc", code_number="12")

    assert codes(client, "sâu bệnh")[0] == pests.reference_code
    assert codes(client, "sau bệnh")[0] == after.reference_code
    assert set(codes(client, "sau benh")) == {pests.reference_code, after.reference_code}


def test_a_document_number_finds_that_document_first(client, dong_nai):
    decision = document(
        dong_nai, "Quyết định phê duyệt dự án khu dân cư", code_number="1234", code_notation="QĐ-UBND"
    )
    citing = document(
        dong_nai,
        "Công văn thực hiện Quyết định số 1234/QĐ-UBND về dự án khu dân cư",
        code_number="55",
        code_notation="UBND-KT",
    )
    other = document(
        dong_nai, "Quyết định số 4321 về khu dân cư", code_number="4321", code_notation="QĐ-UBND"
    )

    found = codes(client, "1234/QĐ-UBND")
    assert found[0] == decision.reference_code
    assert citing.reference_code in found
    assert other.reference_code not in found
    assert codes(client, "1234/qd-ubnd")[0] == decision.reference_code
    assert set(codes(client, "QĐ-UBND", level="document")) >= {decision.reference_code, other.reference_code}
    assert codes(client, "so:1234/QĐ-UBND") == [decision.reference_code]


def test_a_decree_number_with_its_year_matches_as_a_unit(client, dong_nai):
    decree = document(
        dong_nai, "Nghị định quy định chi tiết Luật Lưu trữ", code_number="15", code_notation="2019/NĐ-CP"
    )
    document(dong_nai, "Quyết định năm 2019 số 15 về đất", code_number="16", code_notation="QĐ-CP")

    assert codes(client, "15/2019/NĐ-CP") == [decree.reference_code]


def test_a_reference_code_finds_its_record_first(client, dong_nai):
    record = document(dong_nai, "Quyết định thu hồi đất", code_number="900")
    assert codes(client, record.reference_code)[0] == record.reference_code
    assert codes(client, record.file.reference_code)[0] == record.file.reference_code


def test_phrases_exclusions_and_field_filters(client, dong_nai, tuyen_quang):
    first = document(
        dong_nai, "Dự án đầu tư khu công nghiệp Nhơn Trạch", code_number="1", issued_date="2015-04-01"
    )
    second = document(dong_nai, "Đầu tư dự án cầu Nhơn Trạch", code_number="2", issued_date="2019-04-01")
    third = document(tuyen_quang, "Dự án đầu tư thủy điện Na Hang", code_number="3", issued_date="2019-04-01")

    assert set(codes(client, '"du an dau tu"')) == {first.reference_code, third.reference_code}
    assert codes(client, "dự án -Nhơn", level="document") == [third.reference_code]
    assert set(codes(client, "dự án nam:2019")) == {second.reference_code, third.reference_code}
    assert codes(client, "dự án nam:2010-2016") == [first.reference_code]
    assert set(codes(client, "dự án kho:dong-nai")) >= {first.reference_code, second.reference_code}
    assert third.reference_code not in codes(client, "dự án kho:LT75")
    bad = client.get("/api/v1/search", {"q": "dự án kho:khong-co"})
    assert bad.status_code == 400
    assert "khong-co" in bad.json()["error"]


def test_a_former_province_finds_its_bodies_holdings_and_says_where_they_are(client, home):
    from archivecms.portal.factories import archive_page

    ho_chi_minh = ArchiveFactory(
        code="LT79",
        name="Trung tâm Lưu trữ lịch sử Thành phố Hồ Chí Minh",
        slug="ho-chi-minh",
        unit=current_province("Hồ Chí Minh"),
    )
    archive_page(ho_chi_minh)
    binh_duong = AdministrativeUnit.objects.get(name="Bình Dương", valid_to__isnull=False)
    fonds = FondsFactory(archive=ho_chi_minh, name="Sở Tài nguyên và Môi trường", unit=binh_duong)
    record = document(ho_chi_minh, "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất", fonds=fonds)
    elsewhere = document(ho_chi_minh, "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất khác")

    data = api(client, "Bình Dương")
    assert record.reference_code in [result["reference_code"] for result in data["results"]]
    assert elsewhere.reference_code not in [result["reference_code"] for result in data["results"]]
    assert data["places"][0]["archives"] == [{"slug": "ho-chi-minh", "name": ho_chi_minh.name}]
    assert codes(client, "cap giay chung nhan binh duong", level="document") == [record.reference_code]
    units = {entry["label"]: entry for entry in data["facets"]["unit"]}
    assert units["Tỉnh Bình Dương (đến 30/06/2025)"]["former"] is True
    assert codes(client, "quyền sử dụng đất", unit=binh_duong.pk, level="document") == [record.reference_code]

    page = client.get("/search/", {"q": "binh duong"})
    assert "nay không còn là đơn vị hành chính riêng" in page.content.decode()
    assert ho_chi_minh.name in page.content.decode()


def test_fonds_and_series_are_found_too(client, dong_nai):
    fonds = FondsFactory(archive=dong_nai, name="Ban quản lý các khu công nghiệp Đồng Nai", code="P77")
    series = SeriesFactory(fonds=fonds, title="Mục lục hồ sơ dự án khu công nghiệp Long Đức")

    assert fonds.reference_code in codes(client, "ban quan ly cac khu cong nghiep")
    assert codes(client, "Long Đức")[0] == series.reference_code


def test_facets_and_staff_only_facets(client, dong_nai):
    document(dong_nai, "Quyết định giao đất rừng", code_number="31")
    document(dong_nai, "Quyết định giao đất ruộng", code_number="32", access_regime=AccessRegime.CONDITIONAL)

    public = api(client, "giao đất")["facets"]
    assert {"archive", "fonds", "level", "decade", "unit"} <= set(public)
    assert "regime" not in public and "status" not in public
    assert sum(entry["count"] for entry in public["fonds"]) == 2

    client.force_login(staff_user(dong_nai, Role.ARCHIVIST))
    staff = api(client, "giao đất")["facets"]
    assert {entry["value"] for entry in staff["regime"]} == {"01", "02"}
    assert staff["status"][0]["value"] == "published"
    assert codes(client, "giao đất", regime="02") != []


def test_ocr_hits_show_their_page_number(client, dong_nai):
    pages = [
        ScanPageFactory(
            digital_object__document__archive=dong_nai,
            digital_object__document__file__series__fonds__archive=dong_nai,
            number=1,
            text="",
        )
    ]
    scan = pages[0].digital_object
    pages.append(ScanPageFactory(digital_object=scan, number=2, text=""))
    set_page_text(pages[0], "Trang đầu của biên bản họp.", source="correction")
    set_page_text(pages[1], "Biên bản bàn giao mặt bằng tại xã Phước Thiền.", source="correction")

    result = api(client, "Phước Thiền")["results"][0]
    assert result["page"] == 2
    assert "<mark>Phước</mark> <mark>Thiền</mark>" in result["snippet"]
    page = client.get("/search/", {"q": "phuoc thien"}).content.decode()
    assert "Trang 2:" in page


def test_suggestions_are_folded_and_respect_access(client, dong_nai):
    document(dong_nai, "Quy hoạch sử dụng đất Đồng Nai", code_number="41")
    document(dong_nai, "Đồng Nai hồ sơ mật", code_number="42", access_regime=AccessRegime.SECRET)

    suggestions = client.get("/api/v1/search/suggest", {"q": "quy hoach su"}).json()["suggestions"]
    assert [item["title"] for item in suggestions] == ["Quy hoạch sử dụng đất Đồng Nai"]
    titles = [
        item["title"] for item in client.get("/api/v1/search/suggest", {"q": "dong na"}).json()["suggestions"]
    ]
    assert "Quy hoạch sử dụng đất Đồng Nai" in titles
    assert "Đồng Nai hồ sơ mật" not in titles
    assert client.get("/api/v1/search/suggest", {"q": '"*('}).json() == {"suggestions": []}


def test_the_site_pages_are_searched(client, dong_nai):
    data = api(client, "trung tam luu tru lich su tinh dong nai")
    pages = [result for result in data["results"] if result["level"] == "page"]
    assert pages and pages[0]["url"].rstrip("/").endswith("dong-nai")


def test_update_index_rebuilds_the_folded_index(client, dong_nai):
    record = document(dong_nai, "Biên bản nghiệm thu công trình thủy lợi Đắk Lua", code_number="61")
    from wagtail.search.models import IndexEntry

    IndexEntry.objects.all().delete()
    assert codes(client, "dak lua") == []

    call_command("update_index", verbosity=0)

    assert codes(client, "dak lua") == [record.reference_code]


def test_admin_listing_search_folds_like_the_public_search(client, dong_nai):
    record = document(dong_nai, "Hồ sơ đền bù đường cao tốc Biên Hòa – Vũng Tàu", code_number="71")
    document(dong_nai, "Hồ sơ khác", code_number="72")
    client.force_login(staff_user(dong_nai, Role.ARCHIVIST))

    page = client.get(reverse("document:index"), {"q": "den bu bien hoa"})

    assert page.status_code == 200
    content = page.content.decode()
    assert record.reference_code in content
    assert "Hồ sơ khác" not in content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the text search configuration is PostgreSQL's")
def test_postgresql_configuration_folds_with_unaccent(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsvector('kho_vietnamese', 'Đồng Nai Ủy ban')::text")
        assert cursor.fetchone()[0] == "'ban':4 'dong':1 'nai':2 'uy':3"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the body's weights are PostgreSQL's")
def test_postgresql_body_keeps_the_description_apart_from_the_content(db, dong_nai):
    """Title and codes weigh A–B, the other descriptive fields C, the OCR text D (see the backend)."""
    document = DocumentFactory(
        archive=dong_nai,
        file__series__fonds__archive=dong_nai,
        title="Quyết định về cầu Hóa An",
        description="Ghi chú quetzal",
        ocr_text="Bản quét có từ axolotl",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts_filter(body, '{a,b}')::text, ts_filter(body, '{c}')::text, "
            "ts_filter(body, '{d}')::text FROM wagtailsearch_indexentry "
            "WHERE object_id = %s AND content_type_id = %s",
            [str(document.pk), ContentType.objects.get_for_model(document).pk],
        )
        described, descriptive, content = cursor.fetchone()

    assert "'hoa'" in described and "'quetzal'" not in described
    assert "'quetzal'" in descriptive and "'axolotl'" not in descriptive
    assert "'axolotl'" in content and "'quetzal'" not in content
