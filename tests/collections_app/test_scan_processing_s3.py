"""Upload, processing and serving of a scan against S3-compatible object storage.

A local S3 endpoint (moto's server, started by the test on a free port) stands in for the
archive's object storage, configured with the same S3Storage options as production.
"""

import io
import json
import urllib.request

import pikepdf
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from collections_app.factories import (
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.ingest.scans import ingest_scan_file
from collections_app.models import ProcessingState, Role
from collections_app.roles import ensure_archive_roles
from collections_app.vocabularies import PublicationStatus

pytestmark = pytest.mark.django_db


def read(response):
    return b"".join(response.streaming_content)


def fetch(client, url):
    """What the browser ends up with: the file streamed, or the presigned S3 address it is sent to."""
    response = client.get(url)
    if response.status_code == 302:
        location = response["Location"]
        assert location.startswith("http://127.0.0.1:") and "Signature=" in location, location
        with urllib.request.urlopen(location, timeout=30) as s3_response:  # noqa: S310 - local S3
            return s3_response.status, s3_response.read()
    return response.status_code, read(response)


def test_upload_processing_and_serving_through_s3(
    tuyen_quang, s3_storage, django_capture_on_commit_callbacks
):
    ensure_archive_roles(tuyen_quang)
    draft = PublicationStatus.DRAFT
    series = SeriesFactory(
        fonds=FondsFactory(archive=tuyen_quang, publication_status=draft), publication_status=draft
    )
    document = DocumentFactory(
        file=RecordFileFactory(series=series, publication_status=draft), publication_status=draft
    )
    texts = [samples.sample_text(2), samples.sample_text(2, offset=3)]
    scan_bytes = samples.pdf_scan(texts, dpi=200)

    with django_capture_on_commit_callbacks(execute=True):
        result = ingest_scan_file(io.BytesIO(scan_bytes), "quyet-dinh-giao-dat.pdf", document)
    digital_object = result.digital_object
    assert digital_object is not None, result.message
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    assert digital_object.page_count == 2

    # Everything is in the bucket, under the scan's folder.
    keys = {
        item["Key"] for item in s3_storage.list_objects_v2(Bucket=s3_storage.bucket, MaxKeys=1000)["Contents"]
    }
    prefix = digital_object.storage_prefix
    assert digital_object.file.name in keys
    assert {f"{prefix}/pages/0001.jpg", f"{prefix}/pages/0002.jpg", f"{prefix}/thumbnail.jpg"} <= keys
    assert digital_object.archival_copy.name in keys
    assert f"{prefix}/iiif/0002/info.json" in keys
    assert default_storage.__class__.__name__ == "S3Storage"

    def path(storage_name):
        return f"/files/{digital_object.pk}/{storage_name[len(prefix) + 1 :]}"

    page = digital_object.pages.get(number=1)
    archivist = Client()
    archivist.force_login(staff_user(tuyen_quang, Role.ARCHIVIST))
    served = {}
    for name in (
        digital_object.file.name,
        page.image.name,
        digital_object.thumbnail.name,
        page.tiles_info,
        digital_object.archival_copy.name,
    ):
        status, served[name] = fetch(archivist, path(name))
        assert status == 200, name

    assert served[digital_object.file.name] == scan_bytes
    assert served[page.image.name].startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(served[page.image.name])).size == (page.width, page.height)
    assert served[digital_object.thumbnail.name].startswith(b"\xff\xd8\xff")
    info = json.loads(served[page.tiles_info])
    assert info["id"] == f"/files/{digital_object.pk}/iiif/0001"
    status, tile = fetch(archivist, f"{info['id']}/0,0,512,512/512,512/0/default.jpg")
    assert status == 200 and tile.startswith(b"\xff\xd8\xff")
    pdfa = served[digital_object.archival_copy.name]
    assert pdfa.startswith(b"%PDF")
    with pikepdf.open(io.BytesIO(pdfa)) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        assert len(pdf.pages) == 2

    # A draft record's files do not exist for the public.
    anonymous = Client()
    for name in (digital_object.file.name, page.image.name, digital_object.archival_copy.name):
        assert anonymous.get(path(name)).status_code == 404
