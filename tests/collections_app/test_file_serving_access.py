"""The checked file path ``/files/<id>/<name>``: who gets what, with which status, and what is logged."""

import datetime
import hashlib
import logging

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from collections_app.factories import DigitalObjectFactory, DocumentFactory, UserFactory, staff_user
from collections_app.ingest import samples
from collections_app.models import AccessGrant, ContentRead, ReadMethod, Role
from collections_app.roles import ensure_archive_roles
from collections_app.vocabularies import AccessRegime, PublicationStatus

pytestmark = pytest.mark.django_db


def read(response):
    return b"".join(response.streaming_content)


def scan_of(document):
    """A stored scan of the document, with one page image beside its original."""
    text = f"{document.reference_code}\n{samples.sample_text(2)}"
    digital_object = DigitalObjectFactory(document=document, content=samples.png_page(text, dpi=60))
    default_storage.save(
        f"{digital_object.storage_prefix}/pages/0001.jpg", ContentFile(samples.jpeg_page(dpi=60))
    )
    return digital_object


def original_path(digital_object):
    return f"/files/{digital_object.pk}/original/{digital_object.file.name.rsplit('/', 1)[1]}"


def page_path(digital_object):
    return f"/files/{digital_object.pk}/pages/0001.jpg"


def grant(reader, document, **kwargs):
    values = {"valid_until": timezone.localdate() + datetime.timedelta(days=10), "purpose": "Nghiên cứu"}
    values.update(kwargs)
    return AccessGrant.objects.create(archive=document.archive, reader=reader, document=document, **values)


def client_for(user=None):
    client = Client(REMOTE_ADDR="203.0.113.9")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def conditional_scan(tuyen_quang):
    return scan_of(
        DocumentFactory(file__series__fonds__archive=tuyen_quang, access_regime=AccessRegime.CONDITIONAL)
    )


@pytest.fixture
def reader():
    return UserFactory(username="nhung", first_name="Nhung", last_name="Nguyễn Thị Hồng")


def test_open_record_served_to_anyone_and_not_logged(tuyen_quang):
    digital_object = scan_of(DocumentFactory(file__series__fonds__archive=tuyen_quang))
    response = client_for().get(original_path(digital_object))
    assert response.status_code == 200
    assert read(response) == digital_object.file.open("rb").read()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert ContentRead.objects.count() == 0


def test_granted_reader_read_is_logged_once_with_method_grant_and_ip(conditional_scan, reader):
    given = grant(reader, conditional_scan.document)
    response = client_for(reader).get(original_path(conditional_scan))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    entry = ContentRead.objects.get()
    assert entry.method == ReadMethod.DOWNLOAD
    assert entry.grant == given
    assert entry.ip_address == "203.0.113.9"
    assert entry.user == reader
    assert entry.reference_code == conditional_scan.document.reference_code
    assert entry.digital_object == conditional_scan

    assert client_for(reader).get(page_path(conditional_scan)).status_code == 200
    assert list(ContentRead.objects.values_list("method", flat=True).order_by("read_at")) == [
        ReadMethod.DOWNLOAD,
        ReadMethod.IMAGE,
    ]


def test_staff_reads_of_restricted_content_are_not_logged(tuyen_quang, conditional_scan):
    ensure_archive_roles(tuyen_quang)
    for role in (Role.ARCHIVIST, Role.READING_ROOM, Role.LEADER):
        response = client_for(staff_user(tuyen_quang, role)).get(original_path(conditional_scan))
        assert response.status_code == 200
        assert read(response) == conditional_scan.file.open("rb").read()  # staff see it unmarked
    assert ContentRead.objects.count() == 0


def test_restricted_content_is_not_found_for_others_and_refusal_logged(conditional_scan, reader, caplog):
    caplog.set_level(logging.WARNING, logger="kho.security")
    assert client_for().get(original_path(conditional_scan)).status_code == 404
    assert client_for(reader).get(page_path(conditional_scan)).status_code == 404
    refusals = [record for record in caplog.records if record.name == "kho.security"]
    assert len(refusals) == 2
    assert (
        "anonymous" in refusals[0].getMessage() and "record content not visible" in refusals[0].getMessage()
    )
    assert (
        "user=nhung" in refusals[1].getMessage() and page_path(conditional_scan) in refusals[1].getMessage()
    )
    assert ContentRead.objects.count() == 0


def test_expired_grant_answers_403_with_the_date_and_how_to_ask_again(conditional_scan, reader, caplog):
    caplog.set_level(logging.WARNING, logger="kho.security")
    ended_on = timezone.localdate() - datetime.timedelta(days=3)
    grant(reader, conditional_scan.document, valid_until=ended_on)
    response = client_for(reader).get(original_path(conditional_scan))
    assert response.status_code == 403
    page = response.content.decode()
    assert f"đã hết hiệu lực ngày {ended_on:%d/%m/%Y}" in page
    assert "gửi yêu cầu khai thác mới" in page and 'href="/requests/new/"' in page
    assert any("ended" in record.getMessage() for record in caplog.records if record.name == "kho.security")
    assert ContentRead.objects.count() == 0


def test_revoked_grant_answers_403_saying_it_was_revoked(conditional_scan, reader):
    grant(reader, conditional_scan.document, revoked_at=timezone.now())
    response = client_for(reader).get(page_path(conditional_scan))
    assert response.status_code == 403
    assert f"đã bị thu hồi ngày {timezone.localdate():%d/%m/%Y}" in response.content.decode()


def test_ended_grant_on_a_record_no_longer_visible_is_404(conditional_scan, reader):
    grant(reader, conditional_scan.document, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    document = conditional_scan.document
    document.publication_status = PublicationStatus.DRAFT
    document.save()
    assert client_for(reader).get(original_path(conditional_scan)).status_code == 404


def test_someone_elses_ended_grant_does_not_reveal_the_record(conditional_scan, reader):
    grant(reader, conditional_scan.document, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    stranger = UserFactory(username="nguoi-khac")
    assert client_for(stranger).get(original_path(conditional_scan)).status_code == 404


def test_secret_record_is_404_even_with_a_grant(tuyen_quang, reader):
    digital_object = scan_of(
        DocumentFactory(file__series__fonds__archive=tuyen_quang, access_regime=AccessRegime.SECRET)
    )
    grant(reader, digital_object.document)
    assert client_for(reader).get(original_path(digital_object)).status_code == 404


@pytest.mark.parametrize(
    "suffix",
    [
        "../../../../../../etc/passwd",
        "pages/../../other/original/x.pdf",
        "pages/%2e%2e/%2e%2e/%2e%2e/secret.pdf",
        "..%2f..%2fsettings.py",
        "pages/..\\..\\x.jpg",
        "original/a%00b.png",
        "original/" + "a" * 5000 + ".png",
        "original/tệp-không-có-thật.pdf",
        "original/%F0%9F%93%84.pdf",
        ".",
        "pages/",
    ],
)
def test_bad_names_are_404_and_logged(tuyen_quang, suffix, caplog):
    caplog.set_level(logging.WARNING, logger="kho.security")
    digital_object = scan_of(DocumentFactory(file__series__fonds__archive=tuyen_quang))
    response = client_for().get(f"/files/{digital_object.pk}/{suffix}")
    assert response.status_code == 404
    assert any(record.name == "kho.security" for record in caplog.records)


def test_traversal_cannot_reach_another_scans_files(tuyen_quang):
    restricted = scan_of(
        DocumentFactory(file__series__fonds__archive=tuyen_quang, access_regime=AccessRegime.CONDITIONAL)
    )
    public = scan_of(DocumentFactory(file__series__fonds__archive=tuyen_quang))
    name = restricted.file.name.rsplit("/", 1)[1]
    for suffix in (
        f"../{restricted.sha256}/original/{name}",
        f"../../{restricted.sha256[:2]}/{restricted.sha256}/original/{name}",
    ):
        assert client_for().get(f"/files/{public.pk}/{suffix}").status_code == 404


@pytest.mark.parametrize("object_id", ["999999", "99999999999999999999999999", "0", "abc", "-1", "1.5"])
def test_tampered_object_ids_are_404(tuyen_quang, object_id):
    scan_of(DocumentFactory(file__series__fonds__archive=tuyen_quang))
    # Not a number: no such URL (CommonMiddleware first adds a slash, which is not found either).
    assert client_for().get(f"/files/{object_id}/pages/0001.jpg", follow=True).status_code == 404


def test_only_safe_methods(tuyen_quang):
    digital_object = scan_of(DocumentFactory(file__series__fonds__archive=tuyen_quang))
    assert client_for().post(page_path(digital_object)).status_code in (403, 405)
    assert client_for().head(page_path(digital_object)).status_code == 200


def test_media_folder_is_never_served(tuyen_quang, settings, tmp_path):
    """Files live under MEDIA_ROOT on a local install: only the checked path may hand them out."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    digital_object = scan_of(DocumentFactory(file__series__fonds__archive=tuyen_quang))
    stored = tmp_path / digital_object.file.name
    assert stored.is_file()
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == digital_object.sha256
    for path in (
        f"{settings.MEDIA_URL}{digital_object.file.name}",
        f"/media/{digital_object.storage_prefix}/pages/0001.jpg",
    ):
        response = client_for().get(path, follow=True)
        assert response.status_code == 404
        assert not getattr(response, "streaming", False)
    assert client_for().get(original_path(digital_object)).status_code == 200
