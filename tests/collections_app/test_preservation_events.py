"""Preservation events recorded where the archive ingests, migrates, opens and deletes, seen in the admin."""

import hashlib

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    UserFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.ingest.processing import queue_processing
from collections_app.models import (
    NATIONAL_ADMIN_GROUP,
    DigitalObject,
    EventOutcome,
    EventType,
    PreservationEvent,
    ProcessingState,
    Role,
)
from collections_app.preservation import events_of, record_event

pytestmark = pytest.mark.django_db

EVENTS_URL = reverse("preservation_events:index")


@pytest.fixture
def archivist(tuyen_quang):
    return staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq")


@pytest.fixture
def leader(tuyen_quang):
    return staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq")


@pytest.fixture
def document(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang, code="P07", name="Ủy ban nhân dân huyện Chiêm Hóa")
    return DocumentFactory(file=RecordFileFactory(series=SeriesFactory(fonds=fonds), file_number="12"))


def record_file_form(file, **changes):
    data = {
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
        "publication_status": file.publication_status,
    }
    data.update(changes)
    return data


def test_an_uploaded_scan_is_recorded_as_ingested_with_its_sha256(client, archivist, document):
    png = samples.png_page("Quyết định giao đất cho hộ ông Nguyễn Văn Bình", dpi=100)
    client.force_login(archivist)
    response = client.post(
        reverse("scans:upload", args=["document", document.pk]),
        {"files": [SimpleUploadedFile("quyet-dinh.png", png, content_type="image/png")]},
    )
    assert response.status_code == 200
    digital_object = DigitalObject.objects.get(document=document)

    event = events_of(digital_object).get()
    assert event.event_type == EventType.INGESTION
    assert event.outcome == EventOutcome.SUCCESS
    assert event.outcome_detail == f"SHA-256: {hashlib.sha256(png).hexdigest()}"
    assert event.agent == archivist
    assert event.record == document
    assert event.object_identifier == digital_object.file.name


def test_a_refused_upload_records_no_event(client, archivist, document):
    client.force_login(archivist)
    client.post(
        reverse("scans:upload", args=["document", document.pk]),
        {"files": [SimpleUploadedFile("ghi-chu.png", "Không phải ảnh".encode(), content_type="image/png")]},
    )
    assert not PreservationEvent.objects.exists()


def test_the_archival_pdfa_made_from_a_scan_is_a_migration_event(document):
    digital_object = DigitalObjectFactory(document=document)

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    migration = events_of(digital_object).get(event_type=EventType.MIGRATION)
    assert migration.outcome_detail == f"SHA-256: {digital_object.archival_sha256}"
    assert digital_object.archival_copy.name in migration.detail
    assert migration.agent is None and migration.agent_name == "Kho lưu trữ số"


def test_an_access_regime_change_in_the_admin_is_an_access_change_event(client, archivist, document):
    file = document.file
    client.force_login(archivist)
    response = client.post(
        reverse("recordfile:edit", args=[file.pk]),
        record_file_form(file, access_regime="02", opening_date="2040-01-01", access_reason="Đời tư"),
    )
    assert response.status_code == 302, response.context["form"].errors

    event = events_of(file).get()
    assert event.event_type == EventType.ACCESS_CHANGE
    assert "“01 – Công khai” → “02 – Sử dụng có điều kiện”" in event.detail
    assert event.agent == archivist
    assert event.object_identifier == file.reference_code


def test_an_edit_that_keeps_the_regime_records_no_event(client, archivist, document):
    file = document.file
    client.force_login(archivist)
    response = client.post(
        reverse("recordfile:edit", args=[file.pk]), record_file_form(file, title="Hồ sơ mới")
    )
    assert response.status_code == 302
    assert not events_of(file).exists()


def test_a_soft_delete_is_a_deletion_event_with_the_reason(client, leader, document):
    file = document.file
    client.force_login(leader)
    response = client.post(
        reverse("recordfile:delete", args=[file.pk]), {"reason": "Nhập trùng hồ sơ"}, follow=True
    )
    assert response.status_code == 200

    event = events_of(file).get()
    assert event.event_type == EventType.DELETION
    assert "Nhập trùng hồ sơ" in event.detail
    assert "2 bản ghi" in event.detail  # the file and its document
    assert event.agent == leader


def test_the_record_page_links_to_its_events_which_include_its_scans(client, archivist, document):
    digital_object = DigitalObjectFactory(document=document)
    record_event(
        EventType.FIXITY_CHECK,
        archive=document.archive,
        digital_object=digital_object,
        outcome_detail="Khớp SHA-256",
    )
    record_event(EventType.ACCESS_CHANGE, archive=document.archive, record=document, detail="01 → 02")
    other = DocumentFactory(file=document.file)
    record_event(EventType.ACCESS_CHANGE, archive=document.archive, record=other, detail="Của tài liệu khác")
    client.force_login(archivist)

    inspect = client.get(reverse("document:inspect", args=[document.pk])).content.decode()
    url = f"{EVENTS_URL}?record=document:{document.pk}"
    assert url in inspect
    assert f"{EVENTS_URL}?digital_object={digital_object.pk}" in inspect

    content = client.get(url).content.decode()
    assert "Kiểm tra tính toàn vẹn" in content
    assert "01 → 02" in content
    assert "Của tài liệu khác" not in content
    assert document.reference_code in content

    only_scan = client.get(f"{EVENTS_URL}?digital_object={digital_object.pk}").content.decode()
    assert "Kiểm tra tính toàn vẹn" in only_scan and "01 → 02" not in only_scan


def test_events_are_filtered_by_type_outcome_and_date(client, archivist, document):
    digital_object = DigitalObjectFactory(document=document)
    record_event(
        EventType.FIXITY_CHECK,
        archive=document.archive,
        digital_object=digital_object,
        outcome=EventOutcome.FAILURE,
        outcome_detail="Không tìm thấy tệp",
    )
    record_event(
        EventType.INGESTION, archive=document.archive, digital_object=digital_object, detail="Nhận tệp"
    )
    client.force_login(archivist)

    failures = client.get(EVENTS_URL, {"outcome": "failure"}).content.decode()
    assert "Không tìm thấy tệp" in failures and "Nhận tệp" not in failures
    ingestions = client.get(EVENTS_URL, {"event_type": "ingestion"}).content.decode()
    assert "Nhận tệp" in ingestions and "Không tìm thấy tệp" not in ingestions
    long_ago = client.get(EVENTS_URL, {"occurred_at_from": "2001-01-01", "occurred_at_to": "2001-12-31"})
    assert "Nhận tệp" not in long_ago.content.decode()

    export = client.get(EVENTS_URL, {"export": "csv"})
    assert export.status_code == 200
    assert "fixity check" in b"".join(export.streaming_content).decode()


def test_staff_see_only_their_archives_events_and_national_admins_all(client, document, dong_nai):
    record_event(
        EventType.ACCESS_CHANGE, archive=document.archive, record=document, detail="Sự kiện Tuyên Quang"
    )
    dn_file = RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=dong_nai)))
    record_event(EventType.ACCESS_CHANGE, archive=dong_nai, record=dn_file, detail="Sự kiện Đồng Nai")

    client.force_login(staff_user(dong_nai, Role.ARCHIVIST, username="luutru.dn"))
    content = client.get(EVENTS_URL).content.decode()
    assert "Sự kiện Đồng Nai" in content and "Sự kiện Tuyên Quang" not in content
    assert client.get(f"{EVENTS_URL}?record=document:{document.pk}").status_code == 404
    for nonsense in (
        "record=nonsense",
        "record=document:²",
        "digital_object=²",
        f"digital_object={'9' * 40}",
    ):
        assert client.get(f"{EVENTS_URL}?{nonsense}").status_code == 404, nonsense

    admin = UserFactory(username="quantri")
    admin.groups.add(Group.objects.get(name=NATIONAL_ADMIN_GROUP))
    client.force_login(admin)
    content = client.get(EVENTS_URL).content.decode()
    assert "Sự kiện Đồng Nai" in content and "Sự kiện Tuyên Quang" in content


def test_users_outside_every_archive_cannot_open_the_events(client):
    client.force_login(UserFactory(username="nguoi-ngoai"))
    response = client.get(EVENTS_URL)
    assert response.status_code == 302  # no admin access at all: to the login page
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


def test_records_opened_by_the_opening_rules_have_an_access_change_event(document):
    file = document.file
    type(file).objects.filter(pk=file.pk).update(
        access_regime="02", access_reason="Thông tin đang thanh tra", opening_date="2020-01-01"
    )
    call_command("open_records", "--archive", "LT08")

    event = events_of(file).get()
    assert event.event_type == EventType.ACCESS_CHANGE
    assert "02 → 01" in event.detail
    assert event.agent is None
