"""Search obeys the access module: results, counts, facets and snippets, per kind of user.

The table below says, for each user and query, exactly which records must be found. A word that
appears only in a restricted record's OCR text must never reach a user who may not read it: not as
a hit, not in the count, not in a facet, not in a snippet.
"""

import datetime

import pytest
from django.utils import timezone

from collections_app.factories import DocumentFactory, RecordFileFactory, staff_user
from collections_app.models import Role
from collections_app.vocabularies import AccessRegime, PublicationStatus

FUTURE = datetime.date(2090, 1, 1)
PAST = datetime.date(2001, 1, 1)


@pytest.fixture
def records(dong_nai, tuyen_quang):
    def document(key, **values):
        values.setdefault("archive", dong_nai)
        if values["archive"] != dong_nai:
            values.setdefault("file__series__fonds__archive", values["archive"])
        else:
            values.setdefault("file__series__fonds__archive", dong_nai)
        return key, DocumentFactory(**values)

    made = dict(
        [
            document(
                "open",
                title="Quyết định giao đất khu công nghiệp Amata",
                ocr_text="Nội dung bản quét có từ zebrafinch ở trang hai.",
            ),
            document(
                "conditional",
                title="Hồ sơ thanh tra khiếu nại Phước Tân",
                access_regime=AccessRegime.CONDITIONAL,
                opening_date=FUTURE,
                access_reason="Đời tư",
                description="Hồ sơ có ghi chú của cán bộ emu.",
                ocr_text="Biên bản làm việc với ông kangaroo về thửa đất số 12.",
            ),
            document(
                "opened",
                title="Báo cáo khiếu nại đã đến ngày mở",
                access_regime=AccessRegime.CONDITIONAL,
                opening_date=PAST,
                ocr_text="Đã mở: platypus.",
            ),
            document(
                "secret",
                title="Khiếu nại mật về quốc phòng",
                access_regime=AccessRegime.SECRET,
                ocr_text="kangaroo trong tài liệu mật",
            ),
            document(
                "draft",
                title="Khiếu nại bản nháp chưa công bố",
                publication_status=PublicationStatus.DRAFT,
                ocr_text="kangaroo trong bản nháp",
            ),
            document(
                "deleted",
                title="Khiếu nại đã xóa",
                deleted_at=timezone.now(),
                ocr_text="kangaroo trong bản đã xóa",
            ),
            document(
                "elsewhere",
                archive=tuyen_quang,
                title="Khiếu nại ở Tuyên Quang bị hạn chế",
                access_regime=AccessRegime.CONDITIONAL,
                opening_date=FUTURE,
                ocr_text="wombat chỉ nhân viên Tuyên Quang được đọc",
            ),
        ]
    )
    return made


@pytest.fixture
def users(dong_nai, tuyen_quang):
    return {
        "anonymous": None,
        "dong_nai_staff": staff_user(dong_nai, Role.ARCHIVIST),
        "tuyen_quang_staff": staff_user(tuyen_quang, Role.READING_ROOM),
    }


EXPECTED = [
    # (user, query, records found)
    ("anonymous", "zebrafinch", {"open"}),
    ("dong_nai_staff", "zebrafinch", {"open"}),
    ("tuyen_quang_staff", "zebrafinch", {"open"}),
    ("anonymous", "kangaroo", set()),
    ("tuyen_quang_staff", "kangaroo", set()),
    ("dong_nai_staff", "kangaroo", {"conditional", "secret", "draft"}),
    ("anonymous", "platypus", {"opened"}),
    ("anonymous", "khiếu nại", {"conditional", "opened", "elsewhere"}),
    ("tuyen_quang_staff", "khiếu nại", {"conditional", "opened", "elsewhere"}),
    ("dong_nai_staff", "khiếu nại", {"conditional", "opened", "secret", "draft", "elsewhere"}),
    ("anonymous", "khiếu kangaroo", set()),
    ("anonymous", "emu", {"conditional"}),
    ("anonymous", "emu kangaroo", set()),
    ("dong_nai_staff", "emu kangaroo", {"conditional"}),
    ("anonymous", '"ông kangaroo"', set()),
    ("dong_nai_staff", '"ông kangaroo"', {"conditional"}),
    ("anonymous", "khiếu nại -kangaroo", {"conditional", "opened", "elsewhere"}),
    ("dong_nai_staff", "khiếu nại -kangaroo", {"opened", "elsewhere"}),
    ("anonymous", "khiếu nại -emu", {"opened", "elsewhere"}),
    ("anonymous", "khiếu nại -platypus", {"conditional", "elsewhere"}),
    ("anonymous", "khiếu nại -wombat", {"conditional", "opened", "elsewhere"}),
    ("tuyen_quang_staff", "khiếu nại -wombat", {"conditional", "opened"}),
    ("anonymous", "khiếu nại -kangaroo -emu", {"opened", "elsewhere"}),
    ("anonymous", "wombat", set()),
    ("dong_nai_staff", "wombat", set()),
    ("tuyen_quang_staff", "wombat", {"elsewhere"}),
]


def search_json(client, user, query, **params):
    if user is not None:
        client.force_login(user)
    response = client.get("/api/v1/search", {"q": query, **params})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(("who", "query", "expected"), EXPECTED)
def test_results_counts_and_facets_follow_access(client, records, users, who, query, expected):
    data = search_json(client, users[who], query)

    found = {result["reference_code"] for result in data["results"]}
    assert found == {records[key].reference_code for key in expected}
    assert data["count"] == len(expected)
    facets = data["facets"]
    assert sum(entry["count"] for entry in facets["archive"]) == len(expected)
    assert sum(entry["count"] for entry in facets["level"]) == len(expected)
    assert sum(entry["count"] for entry in facets["digitized"]) == len(expected)
    assert sum(entry["count"] for entry in facets["decade"]) == len(expected)


def test_open_record_snippet_marks_the_ocr_word(client, records):
    data = search_json(client, None, "zebrafinch")

    (result,) = data["results"]
    assert result["snippet"] == "Nội dung bản quét có từ <mark>zebrafinch</mark> ở trang hai."
    assert result["url"] == f"/r/{records['open'].reference_code}/"
    assert result["level"] == "document"
    assert result["archive"] == "dong-nai"
    assert result["dates"] == "05/03/2019"


@pytest.mark.parametrize("path", ["/api/v1/search", "/search/"])
def test_restricted_ocr_text_never_reaches_anonymous(client, records, path):
    response = client.get(path, {"q": "khiếu nại"})

    body = response.content.decode()
    assert response.status_code == 200
    assert records["conditional"].reference_code in body
    assert "Phước Tân" in body
    for restricted_word in ("kangaroo", "wombat", "quốc phòng", "bản nháp", "đã xóa"):
        assert restricted_word not in body


def test_staff_see_their_restricted_ocr_snippet(client, records, users):
    data = search_json(client, users["dong_nai_staff"], "kangaroo thửa")

    (result,) = data["results"]
    assert result["reference_code"] == records["conditional"].reference_code
    assert "<mark>kangaroo</mark>" in result["snippet"]


def test_staff_of_another_archive_get_title_snippet_only(client, records, users):
    data = search_json(client, users["tuyen_quang_staff"], "Phước Tân")

    (result,) = data["results"]
    assert result["snippet"] == "Hồ sơ thanh tra khiếu nại <mark>Phước</mark> <mark>Tân</mark>"


def test_html_page_lists_results_with_facet_links(client, records):
    response = client.get("/search/", {"q": "khiếu nại", "archive": "dong-nai"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "2 kết quả" in body
    assert f'href="/r/{records["conditional"].reference_code}/"' in body
    assert "ở Tuyên Quang" not in body
    assert "Cơ quan lưu trữ: dong-nai ×" in body
    assert "?q=khi%E1%BA%BFu+n%E1%BA%A1i&amp;archive=dong-nai&amp;level=document" in body


def test_a_restricted_record_is_found_by_metadata_beyond_its_columns_not_by_its_closed_text(client, records):
    """The reference code explains a match (the record is listed); its closed OCR text does not."""
    code = records["conditional"].reference_code

    by_code = search_json(client, None, code)
    with_closed_word = search_json(client, None, f"{code} kangaroo")

    assert [result["reference_code"] for result in by_code["results"]] == [code]
    assert by_code["count"] == 1
    assert "kangaroo" not in str(by_code)
    assert with_closed_word["results"] == []
    assert with_closed_word["count"] == 0
    assert with_closed_word["facets"]["level"] == []


def test_many_closed_matches_leave_the_open_ones_ranked_and_counted(client, dong_nai):
    """Content-only matches of closed records drop out of the best hits, the count and each facet."""
    closed = [
        DocumentFactory(
            archive=dong_nai,
            file__series__fonds__archive=dong_nai,
            title=f"Biên bản họp số {number}",
            access_regime=AccessRegime.CONDITIONAL,
            opening_date=FUTURE,
            ocr_text="ibis ibis ibis ibis",
        )
        for number in range(30)
    ]
    open_ones = [
        DocumentFactory(
            archive=dong_nai,
            file__series__fonds__archive=dong_nai,
            title=f"Tờ trình số {number}",
            ocr_text="một lần ibis",
        )
        for number in range(3)
    ]

    data = search_json(client, None, "ibis")

    found = {result["reference_code"] for result in data["results"]}
    assert found == {doc.reference_code for doc in open_ones}
    assert data["count"] == 3
    assert [(entry["value"], entry["count"]) for entry in data["facets"]["digitized"]] == [("no", 3)]
    assert sum(entry["count"] for entry in data["facets"]["fonds"]) == 3
    assert all(doc.reference_code not in str(data) for doc in closed)


@pytest.mark.django_db
@pytest.mark.parametrize("factory", [DocumentFactory, RecordFileFactory])
def test_each_content_field_marks_a_record_as_holding_content(factory):
    """The search tells closed content by ``has_content``: every content field must set it."""
    empty = factory()
    empty.refresh_from_db()
    assert empty.has_content is False
    for name in factory._meta.model.search_content_fields:
        record = factory(**{name: "Nội dung bản quét"})
        record.refresh_from_db()
        assert record.has_content is True, name
        setattr(record, name, "")
        record.save()
        record.refresh_from_db()
        assert record.has_content is False, name
