"""The read log in the admin: who sees it, its filters, its CSV and XLSX exports."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from collections_app.factories import DigitalObjectFactory, DocumentFactory, UserFactory, staff_user
from collections_app.ingest import samples
from collections_app.models import AccessGrant, ContentRead, ReadMethod, Role
from collections_app.roles import ensure_archive_roles
from collections_app.vocabularies import AccessRegime

pytestmark = pytest.mark.django_db

URL = "/admin/nhat-ky-khai-thac/"


def logged_in(user):
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.force_login(user)
    return client


def conditional_scan(archive):
    document = DocumentFactory(file__series__fonds__archive=archive, access_regime=AccessRegime.CONDITIONAL)
    text = f"{document.reference_code}\n{samples.sample_text(1)}"
    digital_object = DigitalObjectFactory(document=document, content=samples.png_page(text, dpi=50))
    default_storage.save(
        f"{digital_object.storage_prefix}/pages/0001.jpg", ContentFile(samples.jpeg_page(dpi=50))
    )
    return digital_object


def grant(reader, document, **kwargs):
    return AccessGrant.objects.create(
        archive=document.archive,
        reader=reader,
        document=document,
        purpose="Nghiên cứu",
        request_reference=kwargs.pop("request_reference", ""),
        valid_until=timezone.localdate() + datetime.timedelta(days=7),
        **kwargs,
    )


@pytest.fixture
def reads(tuyen_quang, dong_nai):
    """Two readers' reads in Tuyên Quang through the file path, and one in Đồng Nai."""
    ensure_archive_roles(tuyen_quang)
    ensure_archive_roles(dong_nai)
    scan = conditional_scan(tuyen_quang)
    other_scan = conditional_scan(tuyen_quang)
    far_scan = conditional_scan(dong_nai)
    binh = UserFactory(username="binh", first_name="Nguyễn Văn", last_name="Bình")
    lan = UserFactory(username="lan", first_name="=cmd|' /C calc'!A0", last_name="")
    grant(binh, scan.document, request_reference="YC-2026-0042")
    grant(lan, other_scan.document)
    grant(binh, far_scan.document)
    name = scan.file.name.rsplit("/", 1)[1]
    assert logged_in(binh).get(f"/files/{scan.pk}/original/{name}").status_code == 200
    assert logged_in(binh).get(f"/files/{scan.pk}/pages/0001.jpg").status_code == 200
    assert logged_in(lan).get(f"/files/{other_scan.pk}/pages/0001.jpg").status_code == 200
    assert logged_in(binh).get(f"/files/{far_scan.pk}/pages/0001.jpg").status_code == 200
    return {"scan": scan, "other_scan": other_scan, "far_scan": far_scan, "binh": binh, "lan": lan}


def test_one_read_writes_exactly_one_entry(tuyen_quang):
    scan = conditional_scan(tuyen_quang)
    reader = UserFactory(username="doc-gia")
    given = grant(reader, scan.document)
    response = logged_in(reader).get(f"/files/{scan.pk}/pages/0001.jpg")
    assert response.status_code == 200
    entry = ContentRead.objects.get()
    assert (entry.method, entry.grant, entry.ip_address, entry.user) == (
        ReadMethod.IMAGE,
        given,
        "198.51.100.7",
        reader,
    )
    assert entry.file_name == "pages/0001.jpg"


def test_open_record_reads_are_not_logged(tuyen_quang):
    document = DocumentFactory(file__series__fonds__archive=tuyen_quang)
    scan = DigitalObjectFactory(document=document)
    reader = UserFactory(username="doc-gia-mo")
    name = scan.file.name.rsplit("/", 1)[1]
    assert logged_in(reader).get(f"/files/{scan.pk}/original/{name}").status_code == 200
    assert Client().get(f"/files/{scan.pk}/original/{name}").status_code == 200
    assert ContentRead.objects.count() == 0


def test_leader_sees_the_reads_of_their_archive_only(reads, tuyen_quang):
    leader = staff_user(tuyen_quang, Role.LEADER)
    response = logged_in(leader).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nhật ký khai thác" in page
    assert reads["scan"].document.reference_code in page
    assert reads["other_scan"].document.reference_code in page
    assert reads["far_scan"].document.reference_code not in page
    assert "Nguyễn Văn Bình (binh)" in page
    assert "YC-2026-0042" in page
    assert "Tải tệp" in page and "Xem ảnh trang" in page


def test_national_admin_sees_every_archive(reads):
    admin = UserFactory(username="quan-tri", is_superuser=True, is_staff=True)
    page = logged_in(admin).get(URL).content.decode()
    assert reads["far_scan"].document.reference_code in page
    assert reads["scan"].document.reference_code in page


@pytest.mark.parametrize("role", [Role.ARCHIVIST, Role.READING_ROOM])
def test_archivists_and_reading_room_are_refused_and_have_no_menu_item(reads, tuyen_quang, role):
    client = logged_in(staff_user(tuyen_quang, role))
    for url in (URL, f"{URL}?export=csv", f"{URL}?export=xlsx", f"{URL}results/"):
        response = client.get(url)
        # Wagtail's "permission denied": back to the dashboard with an error message, nothing shown.
        assert (response.status_code, response["Location"]) == (302, "/admin/"), url
    assert reads["scan"].document.reference_code not in client.get(URL, follow=True).content.decode()
    assert URL not in client.get("/admin/").content.decode()


def test_leader_has_the_menu_item(reads, tuyen_quang):
    assert URL in logged_in(staff_user(tuyen_quang, Role.LEADER)).get("/admin/").content.decode()


def test_filters_by_reader_code_method_and_date(reads, tuyen_quang):
    client = logged_in(staff_user(tuyen_quang, Role.LEADER))
    scan_code = reads["scan"].document.reference_code
    other_code = reads["other_scan"].document.reference_code

    page = client.get(URL, {"reader": "Bình"}).content.decode()
    assert scan_code in page and other_code not in page

    page = client.get(URL, {"reference_code": other_code}).content.decode()
    assert other_code in page and scan_code not in page

    page = client.get(URL, {"method": ReadMethod.DOWNLOAD}).content.decode()
    assert "original/" in page and "pages/0001.jpg" not in page

    today = timezone.localdate()
    page = client.get(
        URL,
        {
            "read_at_from": (today - datetime.timedelta(days=2)).isoformat(),
            "read_at_to": today.isoformat(),
        },
    ).content.decode()
    assert scan_code in page
    past = today - datetime.timedelta(days=10)
    page = client.get(
        URL,
        {
            "read_at_from": past.isoformat(),
            "read_at_to": (past + datetime.timedelta(days=1)).isoformat(),
        },
    ).content.decode()
    assert scan_code not in page and other_code not in page


def test_csv_export_follows_the_filters_and_is_safe_to_open(reads, tuyen_quang):
    client = logged_in(staff_user(tuyen_quang, Role.LEADER))
    response = client.get(URL, {"export": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="nhat-ky-khai-thac-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3
    assert {row["Mã tài liệu"] for row in rows} == {
        reads["scan"].document.reference_code,
        reads["other_scan"].document.reference_code,
    }
    assert {row["Cách đọc"] for row in rows} == {"Tải tệp", "Xem ảnh trang"}
    assert {row["Địa chỉ IP"] for row in rows} == {"198.51.100.7"}
    # A reader's name that looks like a formula is written as text.
    assert any(row["Người đọc"].startswith("'=cmd") for row in rows)
    read_at = datetime.datetime.strptime(rows[0]["Lúc"], "%d/%m/%Y %H:%M:%S")
    assert abs(read_at - timezone.localtime().replace(tzinfo=None)) < datetime.timedelta(minutes=5)

    filtered = client.get(URL, {"export": "csv", "reader": "binh"})
    assert (
        len(list(csv.DictReader(io.StringIO(b"".join(filtered.streaming_content).decode().lstrip("\ufeff")))))
        == 2
    )


def test_xlsx_export(reads, tuyen_quang):
    response = logged_in(staff_user(tuyen_quang, Role.LEADER)).get(URL, {"export": "xlsx"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Lúc", "Người đọc", "Mã tài liệu")
    assert len(rows) == 4
    assert isinstance(rows[1][0], datetime.datetime)
    assert {row[2] for row in rows[1:]} == {
        reads["scan"].document.reference_code,
        reads["other_scan"].document.reference_code,
    }
    assert "YC-2026-0042, hiệu lực đến" in " ".join(str(row[5]) for row in rows[1:])


def test_the_tiles_of_one_page_count_as_one_read(tuyen_quang):
    scan = conditional_scan(tuyen_quang)
    reader = UserFactory(username="xem-anh-lon")
    grant(reader, scan.document)
    tile = ContentFile(samples.jpeg_page(dpi=20))
    for page in ("0001", "0002"):
        for region in ("0,0,512,512", "512,0,512,512"):
            default_storage.save(f"{scan.storage_prefix}/iiif/{page}/{region}/512,/0/default.jpg", tile)
    client = logged_in(reader)
    for page in ("0001", "0001", "0002"):
        for region in ("0,0,512,512", "512,0,512,512"):
            response = client.get(f"/files/{scan.pk}/iiif/{page}/{region}/512,/0/default.jpg")
            assert response.status_code == 200
    assert sorted(ContentRead.objects.values_list("file_name", flat=True)) == ["iiif/0001/", "iiif/0002/"]
