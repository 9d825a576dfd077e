"""IIIF manifests and the level-0 image service over real HTTP, for each access regime.

The image service tests process one small real page through the scan pipeline (immediate task
backend, in-memory storage), so the tiles are the ones libvips writes in production.
"""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    ScanPageFactory,
    SeriesFactory,
    UserFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.ingest.processing import queue_processing
from collections_app.models import AccessGrant, ContentRead, ProcessingState, ReadMethod, Role
from collections_app.vocabularies import AccessRegime, PublicationStatus

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
REGIMES = {
    "open": {},
    "conditional_closed": {
        "access_regime": AccessRegime.CONDITIONAL,
        "opening_date": TODAY + datetime.timedelta(days=365),
    },
    "conditional_opened": {
        "access_regime": AccessRegime.CONDITIONAL,
        "opening_date": TODAY - datetime.timedelta(days=1),
    },
    "secret": {"access_regime": AccessRegime.SECRET},
    "draft": {"publication_status": PublicationStatus.DRAFT},
    "deleted": {"deleted_at": timezone.now()},
}
# Anonymous: (status, CORS open to every origin).
ANONYMOUS = {
    "open": (200, True),
    "conditional_closed": (404, False),
    "conditional_opened": (200, True),
    "secret": (404, False),
    "draft": (404, False),
    "deleted": (404, False),
}
JPEG_MAGIC = b"\xff\xd8\xff"


@pytest.fixture
def file(dong_nai):
    fonds = FondsFactory(archive=dong_nai, code="H19", creator_code="")
    series = SeriesFactory(fonds=fonds, number="07")
    return RecordFileFactory(series=series, year=2024, file_number="25", title="Hồ sơ giao đất xã Long Thọ")


def described_scan(document, pages=2):
    """A processed scan as the database describes it (page sizes and tiles), without stored tiles."""
    scan = DigitalObjectFactory(
        document=document, content=f"quét {document.reference_code}".encode(), state=ProcessingState.DONE
    )
    for number in range(1, pages + 1):
        ScanPageFactory(
            digital_object=scan,
            number=number,
            width=1654,
            height=2339,
            tiles_info=f"{scan.storage_prefix}/iiif/{number:04d}/info.json",
        )
    return scan


@pytest.fixture
def documents(file):
    made = {}
    for index, (regime, fields) in enumerate(REGIMES.items()):
        made[regime] = DocumentFactory(file=file, ordinal=index + 1, title=f"Quyết định {regime}", **fields)
        described_scan(made[regime])
    return made


def manifest_of(client, record):
    return client.get(f"/iiif/3/{record.reference_code}/manifest")


def assert_presentation_3_manifest(manifest, pages):
    """The shape the IIIF Presentation 3 specification requires of a manifest and its canvases."""
    assert manifest["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert manifest["type"] == "Manifest"
    assert manifest["id"].startswith("http://testserver/iiif/3/")
    assert set(manifest["label"]) == {"vi", "en"}
    assert all(isinstance(values, list) and values for values in manifest["label"].values())
    assert manifest["rights"].startswith("http://rightsstatements.org/vocab/")
    assert manifest["requiredStatement"]["value"]["vi"] == ["Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai"]
    assert set(manifest["requiredStatement"]["label"]) == {"vi", "en"}
    assert len(manifest["items"]) == pages
    canvas_ids = set()
    for canvas in manifest["items"]:
        assert canvas["type"] == "Canvas" and canvas["id"] not in canvas_ids
        canvas_ids.add(canvas["id"])
        assert isinstance(canvas["width"], int) and isinstance(canvas["height"], int)
        (annotation_page,) = canvas["items"]
        assert annotation_page["type"] == "AnnotationPage" and annotation_page["id"]
        (annotation,) = annotation_page["items"]
        assert annotation["type"] == "Annotation" and annotation["motivation"] == "painting"
        assert annotation["target"] == canvas["id"]
        body = annotation["body"]
        assert body["type"] == "Image" and body["format"] == "image/jpeg"
        (service,) = body["service"]
        assert service["type"] == "ImageService3" and service["profile"] == "level0"
        assert service["id"].startswith("http://testserver/iiif/3/image/")
        assert body["id"] == f"{service['id']}/full/max/0/default.jpg"


@pytest.mark.parametrize("regime", list(REGIMES))
def test_anonymous_manifest_follows_the_access_rules(client, documents, regime):
    status, cors = ANONYMOUS[regime]

    response = manifest_of(client, documents[regime])

    assert response.status_code == status
    if status == 404:
        assert response.json()["error"]
        return
    assert response["Content-Type"].startswith("application/ld+json")
    assert_presentation_3_manifest(response.json(), pages=2)
    assert response.json()["label"]["vi"] == [f"Quyết định {regime}"]
    assert (response.get("Access-Control-Allow-Origin") == "*") is cors


@pytest.mark.parametrize("regime", list(REGIMES))
def test_staff_get_every_manifest_but_deleted_and_without_cors_when_not_open(
    client, documents, dong_nai, regime
):
    client.force_login(staff_user(dong_nai, Role.ARCHIVIST))

    response = manifest_of(client, documents[regime])

    if regime == "deleted":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert_presentation_3_manifest(response.json(), pages=2)
    assert (response.get("Access-Control-Allow-Origin") == "*") is (ANONYMOUS[regime] == (200, True))


def test_a_granted_reader_gets_the_manifest_of_that_record_only(client, documents, dong_nai):
    reader = UserFactory()
    restricted = documents["conditional_closed"]
    AccessGrant.objects.create(
        archive=dong_nai,
        reader=reader,
        document=restricted,
        purpose="Nghiên cứu lịch sử đất đai",
        valid_until=TODAY,
    )
    client.force_login(reader)

    response = manifest_of(client, restricted)

    assert response.status_code == 200
    assert_presentation_3_manifest(response.json(), pages=2)
    assert "Access-Control-Allow-Origin" not in response
    assert manifest_of(client, documents["secret"]).status_code == 404


def test_an_expired_grant_opens_nothing(client, documents, dong_nai):
    reader = UserFactory()
    AccessGrant.objects.create(
        archive=dong_nai,
        reader=reader,
        document=documents["conditional_closed"],
        purpose="Nghiên cứu",
        valid_until=TODAY - datetime.timedelta(days=1),
    )
    client.force_login(reader)
    assert manifest_of(client, documents["conditional_closed"]).status_code == 404


def test_a_file_manifest_holds_the_pages_of_the_documents_the_visitor_may_see(client, documents, file):
    response = manifest_of(client, file)
    assert response.status_code == 200
    # open and conditional_opened documents, two pages each.
    assert_presentation_3_manifest(response.json(), pages=4)


def test_a_record_without_processed_scans_has_no_manifest(client, file):
    document = DocumentFactory(file=file, ordinal=9)
    response = manifest_of(client, document)
    assert response.status_code == 404
    assert "chưa có bản số hóa" in response.json()["error"]
    fonds_response = client.get(f"/iiif/3/{file.fonds.reference_code}/manifest")
    assert fonds_response.status_code == 404


@pytest.fixture
def processed_scan(file):
    """One real 800×300 page processed by the pipeline: page image, tiles, info.json, OCR."""
    document = DocumentFactory(file=file, ordinal=20, title="Quyết định có bản quét")
    page = samples.png_page("Ủy ban nhân dân huyện Long Thành", dpi=100, size_inches=(8, 3))
    scan = DigitalObjectFactory(document=document, content=page, original_name="qd.png")
    queue_processing(scan)
    scan.refresh_from_db()
    assert scan.state == ProcessingState.DONE, scan.state_message
    return scan


def test_the_image_service_of_an_open_record_answers_info_json_and_tiles(client, processed_scan):
    base = f"/iiif/3/image/{processed_scan.pk}/1"
    assert client.get(base).status_code == 303

    info_response = client.get(f"{base}/info.json")
    assert info_response.status_code == 200
    assert info_response["Access-Control-Allow-Origin"] == "*"
    info = info_response.json()
    assert info["id"] == f"http://testserver{base}"
    assert info["type"] == "ImageService3" and info["profile"] == "level0"
    assert (info["width"], info["height"]) == (800, 300)
    assert info["tiles"][0]["width"] == 512
    assert {"width": 800, "height": 300} in info["sizes"]

    tile = client.get(f"{base}/0,0,512,300/512,300/0/default.jpg")
    assert tile.status_code == 200
    assert tile["Content-Type"] == "image/jpeg"
    assert tile["Access-Control-Allow-Origin"] == "*"
    tile_bytes = b"".join(tile.streaming_content)
    assert tile_bytes.startswith(JPEG_MAGIC)
    assert Image.open(io.BytesIO(tile_bytes)).size == (512, 300)

    edge = client.get(f"{base}/512,0,288,300/288,/0/default.jpg")
    assert edge.status_code == 200
    assert Image.open(io.BytesIO(b"".join(edge.streaming_content))).size == (288, 300)

    full = client.get(f"{base}/full/max/0/default.jpg")
    assert full.status_code == 200
    assert Image.open(io.BytesIO(b"".join(full.streaming_content))).size == (800, 300)

    for smaller in info["sizes"]:
        size = f"{smaller['width']},{smaller['height']}"
        response = client.get(f"{base}/full/{size}/0/default.jpg")
        assert response.status_code == 200, size

    manifest = manifest_of(client, processed_scan.document).json()
    assert_presentation_3_manifest(manifest, pages=1)
    assert (
        manifest["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"] == f"http://testserver{base}"
    )


def test_the_image_service_refuses_what_level_0_does_not_have(client, processed_scan):
    base = f"/iiif/3/image/{processed_scan.pk}/1"
    assert client.get(f"{base}/0,0,512,300/512,300/90/default.jpg").status_code == 400
    assert client.get(f"{base}/0,0,512,300/512,300/0/gray.jpg").status_code == 400
    assert client.get(f"{base}/0,0,512,300/512,300/0/default.png").status_code == 400
    missing = client.get(f"{base}/1,1,10,10/10,10/0/default.jpg")
    assert missing.status_code == 404 and missing.json()["error"]
    assert client.get(f"{base}/../512,300/0/default.jpg").status_code == 404
    assert client.get(f"/iiif/3/image/{processed_scan.pk}/9/info.json").status_code == 404


def test_restricted_images_answer_404_to_the_public_and_are_logged_for_a_granted_reader(
    client, processed_scan, dong_nai
):
    document = processed_scan.document
    document.access_regime = AccessRegime.CONDITIONAL
    document.opening_date = TODAY + datetime.timedelta(days=30)
    document.save()
    base = f"/iiif/3/image/{processed_scan.pk}/1"
    assert client.get(f"{base}/info.json").status_code == 404
    assert client.get(f"{base}/0,0,512,300/512,300/0/default.jpg").status_code == 404

    reader = UserFactory()
    AccessGrant.objects.create(
        archive=dong_nai, reader=reader, document=document, purpose="Nghiên cứu", valid_until=TODAY
    )
    client.force_login(reader)
    info = client.get(f"{base}/info.json")
    assert info.status_code == 200 and "Access-Control-Allow-Origin" not in info
    tile = client.get(f"{base}/0,0,512,300/512,300/0/default.jpg")
    assert tile.status_code == 200 and "Access-Control-Allow-Origin" not in tile
    assert b"".join(tile.streaming_content).startswith(JPEG_MAGIC)
    read = ContentRead.objects.get(reference_code=document.reference_code, method=ReadMethod.IIIF)
    assert read.user == reader and read.digital_object == processed_scan


def test_out_of_range_ids_are_404_not_errors(client, documents):
    assert client.get("/iiif/3/image/99999999999999999999/1/info.json").status_code == 404
    assert client.get("/iiif/3/image/1/99999999999999999999/full/max/0/default.jpg").status_code == 404
