"""A leader grants a registered reader one conditional-access record; the reader reads it, then not."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from archivecms.accounts.models import ReaderProfile
from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    RecordFileFactory,
    UserFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.models import AccessGrant, Role

pytestmark = pytest.mark.django_db

GRANTS_URL = "/admin/grants/"
TODAY = timezone.localdate


@pytest.fixture
def reader(db):
    user = UserFactory(username="hoa.nguyen@example.vn", email="hoa.nguyen@example.vn")
    ReaderProfile.objects.create(
        user=user, kind="citizen", full_name="Nguyễn Thị Hoa", identity_number="001234567890"
    )
    return user


@pytest.fixture
def leader(tuyen_quang):
    return staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq")


@pytest.fixture
def holdings(tuyen_quang):
    file = RecordFileFactory(
        archive=tuyen_quang,
        fonds__archive=tuyen_quang,
        series__fonds__archive=tuyen_quang,
        title="Hồ sơ bồi thường giải phóng mặt bằng",
        access_regime="02",
        access_reason="Thông tin đời tư",
    )
    first = DocumentFactory(
        file=file, title="Biên bản kiểm đếm", access_regime="02", full_text="Nội dung kiểm đếm số 4471"
    )
    second = DocumentFactory(file=file, title="Phương án bồi thường", full_text="Nội dung phương án số 5582")
    other = DocumentFactory(
        file=RecordFileFactory(series=file.series),
        title="Tờ trình khác",
        access_regime="02",
        full_text="Nội dung tờ trình số 6693",
    )
    return {"file": file, "first": first, "second": second, "other": other}


def scan_of(document):
    digital_object = DigitalObjectFactory(document=document, content=samples.png_page(document.title, dpi=50))
    default_storage.save(
        f"{digital_object.storage_prefix}/pages/0001.jpg", ContentFile(samples.jpeg_page(dpi=50))
    )
    return digital_object


def page_url(document):
    return f"/tuyen-quang/tai-lieu/{document.reference_code}/"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def reads_content(client, document, marker):
    """Whether the public page shows the document's full text and its scan is served."""
    shown = marker in client.get(page_url(document)).content.decode()
    scan = document.digital_objects.first()
    if scan is None:
        return shown
    status = client.get(f"/files/{scan.pk}/pages/0001.jpg").status_code
    assert status in (200, 403, 404)
    assert shown == (status == 200)
    return shown


def grant_form(reader, record, **overrides):
    data = {
        "reader_email": reader.email,
        "reference_code": record.reference_code,
        "valid_until": (TODAY() + datetime.timedelta(days=15)).isoformat(),
        "purpose": "Giải quyết khiếu nại về đất đai của gia đình",
        "request_reference": "YC-2026-0042",
    }
    data.update(overrides)
    return data


def test_leader_grants_a_document_and_only_that_document_opens(leader, reader, holdings):
    scan_of(holdings["first"])
    scan_of(holdings["other"])
    reader_client = client_for(reader)
    assert not reads_content(reader_client, holdings["first"], "số 4471")

    admin = client_for(leader)
    form = admin.get(f"{GRANTS_URL}add/")
    assert form.status_code == 200 and "Email của độc giả" in form.content.decode()
    response = admin.post(f"{GRANTS_URL}add/", grant_form(reader, holdings["first"]), follow=True)
    assert "Đã cấp cho hoa.nguyen@example.vn quyền đọc" in response.content.decode()
    grant = AccessGrant.objects.get()
    assert (grant.document, grant.reader, grant.granted_by) == (holdings["first"], reader, leader)
    assert grant.request_reference == "YC-2026-0042"
    entry = ModelLogEntry.objects.get(action="collections_app.grant")
    assert entry.user == leader and entry.data["reference_code"] == holdings["first"].reference_code

    assert reads_content(reader_client, holdings["first"], "số 4471")
    assert not reads_content(reader_client, holdings["other"], "số 6693")
    assert not reads_content(reader_client, holdings["second"], "số 5582")
    # Nobody else gains anything from the reader's grant.
    assert not reads_content(Client(), holdings["first"], "số 4471")
    assert not reads_content(client_for(UserFactory()), holdings["first"], "số 4471")
    assert "Biên bản kiểm đếm" in reader_client.get("/accounts/me/").content.decode()


def test_a_grant_on_a_file_opens_its_documents(leader, reader, holdings):
    scan_of(holdings["second"])
    client_for(leader).post(f"{GRANTS_URL}add/", grant_form(reader, holdings["file"]))
    assert AccessGrant.objects.get().record_file == holdings["file"]
    reader_client = client_for(reader)
    assert reads_content(reader_client, holdings["first"], "số 4471")
    assert reads_content(reader_client, holdings["second"], "số 5582")
    assert not reads_content(reader_client, holdings["other"], "số 6693")


def test_an_expired_grant_opens_nothing(reader, holdings):
    scan_of(holdings["first"])
    AccessGrant.objects.create(
        archive=holdings["first"].archive,
        reader=reader,
        document=holdings["first"],
        purpose="Nghiên cứu",
        valid_until=TODAY() - datetime.timedelta(days=1),
    )
    assert not reads_content(client_for(reader), holdings["first"], "số 4471")


def test_revoking_closes_the_record_again_and_is_logged(leader, reader, holdings):
    scan_of(holdings["first"])
    admin = client_for(leader)
    admin.post(f"{GRANTS_URL}add/", grant_form(reader, holdings["first"]))
    grant = AccessGrant.objects.get()
    reader_client = client_for(reader)
    assert reads_content(reader_client, holdings["first"], "số 4471")

    page = admin.post(f"{GRANTS_URL}{grant.pk}/revoke/", {"reason": ""}).content.decode()
    assert "Nhập lý do thu hồi" in page
    assert AccessGrant.objects.get().revoked_at is None

    response = admin.post(
        f"{GRANTS_URL}{grant.pk}/revoke/", {"reason": "Độc giả dùng sai mục đích"}, follow=True
    )
    assert "Đã thu hồi quyền đọc" in response.content.decode()
    grant.refresh_from_db()
    assert grant.revoked_by == leader and grant.revoke_reason == "Độc giả dùng sai mục đích"
    entry = ModelLogEntry.objects.get(action="collections_app.revoke_grant")
    assert entry.data["reason"] == "Độc giả dùng sai mục đích"
    assert not reads_content(reader_client, holdings["first"], "số 4471")
    assert "Đã thu hồi" in reader_client.get("/accounts/me/").content.decode()


@pytest.mark.parametrize(
    ("make_record", "message"),
    [
        (lambda h: DocumentFactory(file=h["file"], access_regime="03"), "là tài liệu mật"),
        (
            lambda h: DocumentFactory(file=RecordFileFactory(series=h["file"].series, access_regime="03")),
            "mật",
        ),
        (lambda h: DocumentFactory(file=h["file"], publication_status="draft"), "còn là bản nháp"),
        (lambda h: RecordFileFactory(series=h["file"].series), "là tài liệu công khai"),
    ],
)
def test_secret_draft_and_open_records_are_refused(leader, reader, holdings, make_record, message):
    record = make_record(holdings)
    page = client_for(leader).post(f"{GRANTS_URL}add/", grant_form(reader, record)).content.decode()
    assert message in page
    assert not AccessGrant.objects.exists()
    assert not ModelLogEntry.objects.filter(action="collections_app.grant").exists()


def test_form_errors_name_the_problem(leader, reader, holdings, dong_nai):
    admin = client_for(leader)
    page = admin.post(
        f"{GRANTS_URL}add/", grant_form(reader, holdings["first"], reader_email="ai-do@example.vn")
    ).content.decode()
    assert "Không có độc giả đã đăng ký nào với email" in page
    staff = staff_user(dong_nai, Role.ARCHIVIST, username="nv.dongnai")
    page = admin.post(f"{GRANTS_URL}add/", grant_form(staff, holdings["first"])).content.decode()
    assert "Không có độc giả đã đăng ký nào với email" in page
    foreign = DocumentFactory(
        file=RecordFileFactory(
            archive=dong_nai, fonds__archive=dong_nai, series__fonds__archive=dong_nai, access_regime="02"
        )
    )
    page = admin.post(f"{GRANTS_URL}add/", grant_form(reader, foreign)).content.decode()
    assert "trong cơ quan lưu trữ do bạn lãnh đạo" in page
    yesterday = (TODAY() - datetime.timedelta(days=1)).isoformat()
    page = admin.post(
        f"{GRANTS_URL}add/", grant_form(reader, holdings["first"], valid_until=yesterday)
    ).content.decode()
    assert "Ngày hết hiệu lực đã qua" in page
    assert not AccessGrant.objects.exists()


def test_archivists_see_the_grants_but_only_leaders_grant_and_revoke(tuyen_quang, dong_nai, reader, holdings):
    grant = AccessGrant.objects.create(
        archive=tuyen_quang,
        reader=reader,
        document=holdings["first"],
        purpose="Nghiên cứu",
        valid_until=TODAY() + datetime.timedelta(days=3),
    )
    archivist = client_for(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq"))
    listing = archivist.get(GRANTS_URL)
    assert listing.status_code == 200
    assert holdings["first"].reference_code in listing.content.decode()
    assert f"{GRANTS_URL}add/" not in listing.content.decode()
    assert "Quyền khai thác" in menu_labels(archivist)
    # Wagtail answers a refused admin page with a redirect to the dashboard and an error message.
    assert archivist.get(f"{GRANTS_URL}add/").status_code in (302, 403)
    assert archivist.post(f"{GRANTS_URL}add/", grant_form(reader, holdings["second"])).status_code in (
        302,
        403,
    )
    assert archivist.post(f"{GRANTS_URL}{grant.pk}/revoke/", {"reason": "x"}).status_code in (302, 403)

    other_leader = client_for(staff_user(dong_nai, Role.LEADER, username="lanhdao.dn"))
    assert holdings["first"].reference_code not in other_leader.get(GRANTS_URL).content.decode()
    assert other_leader.post(f"{GRANTS_URL}{grant.pk}/revoke/", {"reason": "x"}).status_code == 404
    assert other_leader.post(f"{GRANTS_URL}add/", grant_form(reader, holdings["second"])).status_code == 200

    reader_admin = client_for(reader).get(GRANTS_URL)
    assert reader_admin.status_code == 302 and "/admin/login/" in reader_admin["Location"]
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert AccessGrant.objects.count() == 1


def test_list_filters_by_status(leader, reader, holdings):
    def make(document, **kwargs):
        values = {"valid_until": TODAY() + datetime.timedelta(days=3), "purpose": "Nghiên cứu"}
        values.update(kwargs)
        return AccessGrant.objects.create(
            archive=document.archive, reader=reader, document=document, **values
        )

    make(holdings["first"])
    make(holdings["other"], valid_until=TODAY() - datetime.timedelta(days=2))
    make(holdings["second"], revoked_at=timezone.now(), revoke_reason="Hủy yêu cầu")
    admin = client_for(leader)
    codes = {key: holdings[key].reference_code for key in ("first", "other", "second")}

    def listed(status):
        page = admin.get(GRANTS_URL, {"status": status}).content.decode()
        return {key for key, code in codes.items() if code in page}

    assert listed("") == {"first", "other", "second"}
    assert listed("active") == {"first"}
    assert listed("expired") == {"other"}
    assert listed("revoked") == {"second"}
    assert menu_labels(admin) >= {"Quyền khai thác"}


def menu_labels(client):
    """The labels of the admin sidebar menu (Wagtail renders it from JSON props)."""
    import json
    import re

    page = client.get("/admin/").content.decode()
    return {json.loads(f'"{label}"') for label in re.findall(r'"label": "((?:[^"\\]|\\.)*)"', page)}
