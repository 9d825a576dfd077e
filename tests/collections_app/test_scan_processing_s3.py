"""Upload, processing and serving of a scan against S3-compatible object storage.

A local S3 endpoint (moto's server, started by the test on a free port) stands in for the
archive's object storage, configured with the same S3Storage options as production.
"""

import io
import json
import socket
import urllib.request

import boto3
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

BUCKET = "kho-luu-tru-thu-nghiem"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3_storage(settings):
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"aws_access_key_id": "kho-test", "aws_secret_access_key": "kho-test-secret"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {  # as archivecms/settings/production.py builds them from the environment
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": credentials["aws_access_key_id"],
                "secret_key": credentials["aws_secret_access_key"],
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
            },
        },
    }
    try:
        yield client
    finally:
        server.stop()


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
    keys = {item["Key"] for item in s3_storage.list_objects_v2(Bucket=BUCKET, MaxKeys=1000)["Contents"]}
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
