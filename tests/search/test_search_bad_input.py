"""Whatever is typed or put in the URL, search answers with a page or a JSON message, never a 500."""

import pytest

from collections_app.factories import DocumentFactory

HOSTILE_QUERIES = [
    '"',
    '"đất',
    '" * ( ) NEAR AND : ^',
    "NEAR(đất đai)",
    "title:đất",
    "đất*",
    "-",
    "--đất",
    "OR OR AND",
    "'; DROP TABLE collections_app_document; --",
    "\\",
    "đất " * 3000,
    "x" * 10_000,
    "🙂 ‽ ¿",
    "\x00",
]


@pytest.fixture
def land_decision(dong_nai):
    return DocumentFactory(
        archive=dong_nai,
        file__series__fonds__archive=dong_nai,
        file__title="Hồ sơ khu dân cư Tam Phước",
        title="Quyết định giao đất khu dân cư Tam Phước",
    )


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
@pytest.mark.parametrize("path", ["/search/", "/api/v1/search"])
def test_hostile_queries_never_fail(client, land_decision, path, query):
    response = client.get(path, {"q": query})

    assert response.status_code in (200, 400)
    if path.startswith("/api/") and response.status_code == 200:
        assert isinstance(response.json()["count"], int)


def test_unbalanced_quote_still_finds_the_words(client, land_decision):
    data = client.get("/api/v1/search", {"q": '"Tam Phước'}).json()

    assert {result["reference_code"] for result in data["results"]} == {
        land_decision.reference_code,
        land_decision.file.reference_code,
    }


def test_long_query_is_cut_and_says_so(client, land_decision):
    response = client.get("/search/", {"q": "Tam " + "x" * 10_000})

    assert response.status_code == 200
    assert "chỉ 500 ký tự đầu được dùng" in response.content.decode()


def test_empty_query_shows_how_to_search(client, land_decision):
    response = client.get("/search/", {"q": "   "})

    assert response.status_code == 200
    assert "Đặt cụm từ trong ngoặc kép" in response.content.decode()


def test_empty_query_in_api_is_explained(client, land_decision):
    response = client.get("/api/v1/search", {"q": "( ) *"})

    assert response.status_code == 400
    assert "tham số q" in response.json()["error"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year_from": "199x"}, "Năm bắt đầu “199x” không hợp lệ"),
        ({"year_from": "2000", "year_to": "1990"}, "lớn hơn năm kết thúc"),
        ({"archive": "khong-co"}, "Không có cơ quan lưu trữ “khong-co”"),
        ({"level": "sach"}, "Cấp “sach” không hợp lệ"),
        ({"category": "khong-co"}, "Không có nhóm tài liệu “khong-co”"),
        ({"digitized": "maybe"}, "bộ lọc số hóa không hợp lệ"),
        ({"page": "0"}, "Số trang “0” không hợp lệ"),
        ({"page": "abc"}, "Số trang “abc” không hợp lệ"),
    ],
)
def test_invalid_filters_are_explained(client, land_decision, params, message):
    api = client.get("/api/v1/search", {"q": "đất", **params})
    page = client.get("/search/", {"q": "đất", **params})

    assert api.status_code == 400
    assert message in api.json()["error"]
    assert page.status_code == 400
    assert message in page.content.decode()


def test_page_beyond_the_end(client, land_decision):
    api = client.get("/api/v1/search", {"q": "đất", "page": "7"})
    page = client.get("/search/", {"q": "đất", "page": "7"})

    assert api.status_code == 400
    assert api.json()["last_page"] == 1
    assert page.status_code == 200
    body = page.content.decode()
    assert "đang hiển thị trang cuối (1)" in body
    assert land_decision.reference_code in body


def test_filters_narrow_the_results(client, land_decision, tuyen_quang):
    DocumentFactory(
        archive=tuyen_quang,
        file__series__fonds__archive=tuyen_quang,
        file__title="Hồ sơ năm 2019",
        title="Giao đất ở Tuyên Quang",
    )

    def codes(**params):
        data = client.get("/api/v1/search", {"q": "đất", **params}).json()
        assert data["count"] == len(data["results"])
        return {result["reference_code"] for result in data["results"]}

    assert len(codes()) == 2
    assert codes(archive="LT75") == {land_decision.reference_code}
    assert codes(fonds=land_decision.file.fonds.code, archive="dong-nai") == {land_decision.reference_code}
    assert codes(level="file") == set()
    assert codes(q="Tam Phước", level="file") == {land_decision.file.reference_code}
    assert codes(year_from="2020") == set()
    assert len(codes(year_from="2019", year_to="2019", digitized="no")) == 2
    assert codes(digitized="yes") == set()


def test_home_page_search_box_goes_to_the_search_page(client, home):
    response = client.get("/")

    assert response.status_code == 200
    assert (
        '<form class="search-form" action="/search/" method="get" role="search">' in response.content.decode()
    )
