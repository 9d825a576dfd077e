"""The JSON API over real HTTP: what each regime shows to an anonymous visitor and to the archive's staff."""

import datetime

import pytest
from django.utils import timezone

from collections_app.codes import record_alias
from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    ScanPageFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.models import ProcessingState, RecordFile, Role
from collections_app.vocabularies import AccessRegime, PublicationStatus

pytestmark = pytest.mark.django_db

RESTRICTED_WORD = "Mật-lệnh-Xuân-Lộc"
TODAY = datetime.date.today()

REGIMES = {
    "open": {},
    "conditional_closed": {
        "access_regime": AccessRegime.CONDITIONAL,
        "opening_date": TODAY + datetime.timedelta(days=365),
        "access_reason": "Thông tin cá nhân",
    },
    "conditional_opened": {
        "access_regime": AccessRegime.CONDITIONAL,
        "opening_date": TODAY - datetime.timedelta(days=1),
    },
    "secret": {"access_regime": AccessRegime.SECRET},
    "draft": {"publication_status": PublicationStatus.DRAFT},
    "deleted": {"deleted_at": timezone.now()},
}
# What the anonymous public gets: (status, content shown).
ANONYMOUS = {
    "open": (200, True),
    "conditional_closed": (200, False),
    "conditional_opened": (200, True),
    "secret": (404, False),
    "draft": (404, False),
    "deleted": (404, False),
}


@pytest.fixture
def tree(dong_nai):
    fonds = FondsFactory(
        archive=dong_nai, code="H19", name="Ủy ban nhân dân huyện Long Thành", creator_code=""
    )
    series = SeriesFactory(fonds=fonds, number="07")
    file = RecordFileFactory(series=series, year=2024, file_number="25", title="Hồ sơ giao đất xã Long Thọ")
    documents = {
        regime: DocumentFactory(
            file=file,
            ordinal=index + 1,
            title=f"Quyết định {regime}",
            ocr_text=f"Nội dung quyết định {RESTRICTED_WORD} {regime}",
            **fields,
        )
        for index, (regime, fields) in enumerate(REGIMES.items())
    }
    return {"fonds": fonds, "series": series, "file": file, "documents": documents}


def api(client, code, **params):
    return client.get(f"/api/v1/records/{code}", params)


@pytest.mark.parametrize("regime", list(REGIMES))
def test_anonymous_visitor_sees_each_regime_as_the_access_rules_say(client, tree, regime):
    document = tree["documents"][regime]
    status, content_shown = ANONYMOUS[regime]

    response = api(client, document.reference_code)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    data = response.json()
    if status == 404:
        assert "không tìm thấy" in data["error"].lower()
        assert RESTRICTED_WORD not in response.content.decode()
        return
    assert data["reference_code"] == document.reference_code
    assert data["level"] == "document"
    assert data["archive"]["code"] == "LT75"
    assert data["title"] == f"Quyết định {regime}"
    assert data["access_regime"]["code"] == document.access_regime
    if content_shown:
        assert RESTRICTED_WORD in data["text"]
    else:
        assert "text" not in data and "iiif_manifest" not in data
        assert RESTRICTED_WORD not in response.content.decode()
        assert data["opening_date"] == document.opening_date.isoformat()


@pytest.mark.parametrize("regime", list(REGIMES))
def test_staff_of_the_archive_see_everything_but_deleted_records(client, tree, dong_nai, regime):
    client.force_login(staff_user(dong_nai, Role.ARCHIVIST))
    document = tree["documents"][regime]

    response = api(client, document.reference_code)

    if regime == "deleted":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert RESTRICTED_WORD in response.json()["text"]


def test_staff_of_another_archive_are_the_public(client, tree, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST))
    assert api(client, tree["documents"]["secret"].reference_code).status_code == 404
    response = api(client, tree["documents"]["conditional_closed"].reference_code)
    assert response.status_code == 200 and RESTRICTED_WORD not in response.content.decode()


def test_a_file_lists_only_the_children_the_user_may_list(client, tree, dong_nai):
    code = tree["file"].reference_code
    data = api(client, code).json()
    listed = {child["reference_code"] for child in data["children"]["results"]}
    expected = {
        tree["documents"][r].reference_code for r in ("open", "conditional_closed", "conditional_opened")
    }
    assert listed == expected
    assert data["children"]["counts"] == {"document": 3}
    assert data["children"]["results"][0]["api_url"].startswith("http://testserver/api/v1/records/LT75.")
    assert data["parent"]["reference_code"] == tree["series"].reference_code

    client.force_login(staff_user(dong_nai, Role.READING_ROOM))
    staff_data = api(client, code).json()
    assert staff_data["children"]["counts"] == {"document": 5}


def test_fonds_and_series_describe_their_level(client, tree):
    fonds = api(client, tree["fonds"].reference_code).json()
    assert fonds["level"] == "fonds" and fonds["fonds_code"] == "H19"
    assert fonds["creator"] == "Ủy ban nhân dân huyện Long Thành"
    assert fonds["children"]["counts"] == {"series": 1, "file": 0}
    series = api(client, tree["series"].reference_code).json()
    assert series["level"] == "series" and series["series_number"] == "07"
    assert series["children"]["results"][0]["reference_code"] == tree["file"].reference_code


def test_children_are_paged(client, dong_nai):
    fonds = FondsFactory(archive=dong_nai, code="P02")
    series = SeriesFactory(fonds=fonds, number="01")
    for number in range(1, 104):
        RecordFileFactory(series=series, year=2020, file_number=f"{number:03d}", number_in_series=number)
    first = api(client, series.reference_code).json()["children"]
    assert first["count"] == 103 and len(first["results"]) == 100 and first["previous"] is None
    second = client.get(first["next"]).json()["children"]
    last_three = RecordFile.objects.filter(series=series, number_in_series__gt=100).order_by(
        "number_in_series"
    )
    assert [child["reference_code"] for child in second["results"]] == [
        record.reference_code for record in last_three
    ]
    assert second["next"] is None


def test_a_bad_page_number_is_a_json_400(client, tree):
    response = api(client, tree["file"].reference_code, page="hai")
    assert response.status_code == 400
    assert "page" in response.json()["error"]


def test_unknown_code_is_a_json_404(client, tree):
    response = api(client, "LT75.KHONG.CO")
    assert response.status_code == 404
    assert response.json()["error"]


def test_a_former_code_answers_301_to_the_current_one(client, tree):
    document = tree["documents"]["open"]
    record_alias(document, "LT75.CU.2019.01.1")
    response = api(client, "LT75.CU.2019.01.1")
    assert response.status_code == 301
    assert response["Location"] == f"/api/v1/records/{document.reference_code}"


def test_schema_is_an_openapi_document_of_records_and_search(client):
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/records/{reference_code}" in schema["paths"]
    search = schema["paths"]["/api/v1/search"]["get"]
    assert {parameter["name"] for parameter in search["parameters"]} >= {"q", "archive", "fonds", "level"}
    result = schema["components"]["schemas"]["SearchResult"]
    assert set(result["required"]) == {
        "reference_code",
        "title",
        "level",
        "archive",
        "dates",
        "url",
        "snippet",
    }
    # Every reference in the document resolves.
    text = response.content.decode()
    for name in ("Record", "Child", "Children", "SearchResult", "SearchResults", "Error"):
        assert f'"#/components/schemas/{name}"' in text
        assert name in schema["components"]["schemas"]


def test_scans_and_manifest_link_only_when_the_content_may_be_seen(client, tree, dong_nai):
    for regime in ("open", "conditional_closed"):
        scan = DigitalObjectFactory(
            document=tree["documents"][regime], content=f"quét {regime}".encode(), state=ProcessingState.DONE
        )
        ScanPageFactory(
            digital_object=scan, number=1, tiles_info=f"{scan.storage_prefix}/iiif/0001/info.json"
        )
    open_code = tree["documents"]["open"].reference_code
    closed_code = tree["documents"]["conditional_closed"].reference_code

    data = api(client, open_code).json()
    assert data["iiif_manifest"] == f"http://testserver/iiif/3/{open_code}/manifest"
    assert [scan["page_count"] for scan in data["digital_objects"]] == [1]
    closed = api(client, closed_code)
    assert "digital_objects" not in closed.json() and "/iiif/" not in closed.content.decode()

    client.force_login(staff_user(dong_nai, Role.ARCHIVIST))
    assert (
        api(client, closed_code).json()["iiif_manifest"] == f"http://testserver/iiif/3/{closed_code}/manifest"
    )
    file_data = api(client, tree["file"].reference_code).json()
    assert {scan["record"] for scan in file_data["digital_objects"]} == {open_code, closed_code}


def test_an_absurd_page_number_is_a_400_not_an_error(client, tree):
    for page in ("9" * 30, "²", "0", "-1"):
        response = api(client, tree["file"].reference_code, page=page)
        assert response.status_code == 400, page


def test_writing_is_refused_with_a_json_405(client, tree):
    response = client.post(f"/api/v1/records/{tree['file'].reference_code}")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD" and "GET" in response.json()["error"]
