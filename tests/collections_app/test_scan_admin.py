"""Scan upload and the "Bản số hóa" listing in the admin, over HTTP, as staff of two archives."""

import hashlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.file_serving import stored_file_url
from collections_app.ingest import samples
from collections_app.models import DigitalObject, ProcessingState, Role
from collections_app.recycle_bin import soft_delete

pytestmark = pytest.mark.django_db

DPI = 100


def document_in(archive):
    return DocumentFactory(file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=archive))))


@pytest.fixture
def tq_document(tuyen_quang):
    return document_in(tuyen_quang)


@pytest.fixture
def dn_document(dong_nai):
    return document_in(dong_nai)


@pytest.fixture
def tq_archivist(tuyen_quang):
    return staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq")


@pytest.fixture
def dn_archivist(dong_nai):
    return staff_user(dong_nai, Role.ARCHIVIST, username="luutru.dn")


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def page_messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def stored_files(storage, folder):
    if not storage.exists(folder):
        return []
    folders, files = storage.listdir(folder)
    return [f"{folder}/{name}" for name in files] + [
        name for sub in folders for name in stored_files(storage, f"{folder}/{sub}")
    ]


def upload_url(record):
    return reverse("scans:upload", args=[record._meta.model_name, record.pk])


def failed_scan(document, **kwargs):
    return DigitalObjectFactory(
        document=document,
        state=ProcessingState.FAILED,
        state_message="Tesseract dừng ở trang 2: ảnh không đọc được",
        **kwargs,
    )


# --- Upload -----------------------------------------------------------------------------------------


def test_the_upload_form_takes_several_files(client, tq_archivist, tq_document):
    client.force_login(tq_archivist)
    response = client.get(upload_url(tq_document))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'type="file"' in content
    assert "multiple" in content
    assert tq_document.reference_code in content


def test_archivist_uploads_several_scans_and_sees_each_result(client, tq_archivist, tq_document):
    png = samples.png_page("Trang một của hồ sơ giao đất", dpi=DPI)
    pdf = samples.pdf_scan(["Trang một", "Trang hai"], dpi=DPI)
    earlier = DigitalObjectFactory(document=DocumentFactory(file=tq_document.file))
    with earlier.file.open("rb") as stored:
        duplicate = stored.read()
    client.force_login(tq_archivist)

    response = client.post(
        upload_url(tq_document),
        {
            "files": [
                upload("trang-1.png", png, "image/png"),
                upload("ho-so.pdf", pdf, "application/pdf"),
                upload("ghi-chu.pdf", "Không phải bản quét".encode(), "application/pdf"),
                upload("ban-sao.png", duplicate, "image/png"),
                upload("rong.jpg", b"", "image/jpeg"),
            ],
            "ocr_mode": "redo",
        },
    )

    assert response.status_code == 200
    content = response.content.decode()
    stored = {scan.original_name: scan for scan in tq_document.digital_objects.all()}
    assert set(stored) == {"trang-1.png", "ho-so.pdf"}
    assert stored["ho-so.pdf"].page_count == 2
    assert stored["ho-so.pdf"].sha256 == hashlib.sha256(pdf).hexdigest()
    assert stored["ho-so.pdf"].uploaded_by == tq_archivist
    assert stored["ho-so.pdf"].ocr_mode == "redo"
    assert content.count("scan-result--stored") == 2
    assert content.count("scan-result--refused") == 2
    assert content.count("scan-result--duplicate") == 1
    assert "nội dung thực là văn bản thuần (text/plain), không phải PDF" in content
    assert "Tệp rỗng (0 byte)" in content
    assert reverse("document:inspect", args=[earlier.document.pk]) in content
    assert stored_file_url(stored["trang-1.png"], stored["trang-1.png"].file.name) in content
    assert DigitalObject.objects.count() == 3
    assert "Đã lưu 2 tệp, trùng 1, từ chối 2." in page_messages(response)


def test_a_file_scanned_as_one_pdf_is_uploaded_to_the_file(client, tq_archivist, tq_document):
    record_file = tq_document.file
    client.force_login(tq_archivist)
    pdf = samples.pdf_scan(["Hồ sơ giao đất"], dpi=DPI)
    response = client.post(upload_url(record_file), {"files": [upload("ho-so.pdf", pdf)]})
    assert response.status_code == 200
    assert record_file.digital_objects.get().page_count == 1


def test_a_storage_failure_is_reported_per_file_and_leaves_nothing(
    client, tq_archivist, tq_document, settings, monkeypatch
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }

    # A database outage cannot be produced here: saving the row is made to fail as one would.
    def failing_save(self, *args, **kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(DigitalObject, "save", failing_save)
    client.force_login(tq_archivist)
    response = client.post(upload_url(tq_document), {"files": [upload("a.png", samples.png_page(dpi=50))]})
    assert response.status_code == 200
    assert "Không lưu được tệp do lỗi của hệ thống lưu trữ" in response.content.decode()
    assert stored_files(default_storage, "scans") == []


def test_submitting_no_file_says_so(client, tq_archivist, tq_document):
    client.force_login(tq_archivist)
    response = client.post(upload_url(tq_document), {})
    assert response.status_code == 200
    assert "Hãy chọn ít nhất một tệp quét." in response.content.decode()


@pytest.mark.parametrize("who", ["other_archive", "reading_room"])
def test_only_staff_who_may_change_the_record_can_upload(client, tq_document, dn_archivist, tuyen_quang, who):
    user = dn_archivist if who == "other_archive" else staff_user(tuyen_quang, Role.READING_ROOM)
    client.force_login(user)
    for method in (client.get, client.post):
        response = method(upload_url(tq_document), {"files": [upload("a.png", samples.png_page(dpi=50))]})
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
        assert any("không có quyền tải bản số hóa" in text for text in page_messages(response))
    assert not DigitalObject.objects.exists()


def test_an_unknown_level_or_record_is_not_found(client, tq_archivist, tq_document):
    client.force_login(tq_archivist)
    assert client.get(reverse("scans:upload", args=["fonds", tq_document.file.fonds_id])).status_code == 404
    assert client.get(reverse("scans:upload", args=["document", 999_999])).status_code == 404


# --- Inspect page ---------------------------------------------------------------------------------------


def test_the_inspect_page_lists_the_scans_with_their_state(client, tq_archivist, tq_document):
    done = DigitalObjectFactory(document=tq_document, state=ProcessingState.DONE, page_count=1)
    done.quality_warnings = ["Trang 1: 100 dpi, dưới 200 dpi theo Thông tư 05/2025"]
    done.save()
    failed = failed_scan(tq_document, content=samples.jpeg_page(dpi=50), mime_type="image/jpeg")
    client.force_login(tq_archivist)

    content = client.get(reverse("document:inspect", args=[tq_document.pk])).content.decode()

    assert "Bản số hóa" in content
    assert done.sha256 in content and failed.sha256 in content
    assert "Hoàn thành" in content and "Lỗi" in content
    assert "Tesseract dừng ở trang 2" in content
    assert "dưới 200 dpi" in content
    assert stored_file_url(done, done.file.name) in content
    assert content.count(reverse("scans:retry", args=[failed.pk])) == 1
    assert reverse("scans:retry", args=[done.pk]) not in content
    assert upload_url(tq_document) in content


def test_the_upload_button_is_only_for_those_who_may_upload(client, tq_document, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.READING_ROOM))
    content = client.get(reverse("document:inspect", args=[tq_document.pk])).content.decode()
    assert "Bản số hóa" in content
    assert upload_url(tq_document) not in content


# --- Listing and retry ------------------------------------------------------------------------------


def test_the_listing_shows_only_the_users_archives_and_filters_by_state(
    client, tq_archivist, tq_document, dn_document
):
    done = DigitalObjectFactory(document=tq_document, state=ProcessingState.DONE)
    failed = failed_scan(DocumentFactory(file=tq_document.file), content=samples.jpeg_page(dpi=50))
    other = DigitalObjectFactory(document=dn_document, content=samples.tiff_page(dpi=50))
    client.force_login(tq_archivist)

    content = client.get(reverse("scans:index")).content.decode()
    assert done.original_name in content and failed.original_name in content
    assert other.original_name not in content
    assert reverse("scans:retry", args=[failed.pk]) in content
    assert reverse("scans:retry_failed") in content

    content = client.get(reverse("scans:index"), {"state": "failed"}).content.decode()
    assert failed.original_name in content and done.original_name not in content

    fragment = client.get(reverse("scans:index_results"), {"state": "failed", "_w_filter_fragment": "1"})
    assert 'name="next" value="/admin/scans/?state=failed"' in fragment.content.decode()


def test_scans_of_records_in_the_recycle_bin_are_neither_listed_nor_retried(
    client, tq_archivist, tq_document
):
    binned_document = DocumentFactory(file=tq_document.file)
    binned = failed_scan(binned_document, content=samples.jpeg_page(dpi=50))
    kept = failed_scan(tq_document, content=samples.tiff_page(dpi=50))
    soft_delete(binned_document, tq_archivist, reason="Nhập nhầm hồ sơ")
    client.force_login(tq_archivist)

    content = client.get(reverse("scans:index")).content.decode()
    assert kept.original_name in content
    assert binned.original_name not in content
    assert "1 bản số hóa lỗi sẽ được đưa vào hàng đợi xử lý lại" in (
        client.get(reverse("scans:retry_failed")).content.decode()
    )
    assert client.post(reverse("scans:retry", args=[binned.pk])).status_code == 404


def test_national_admin_filters_by_archive(client, admin_user, tq_document, dn_document, dong_nai):
    tq = DigitalObjectFactory(document=tq_document)
    dn = DigitalObjectFactory(document=dn_document, content=samples.jpeg_page(dpi=50))
    client.force_login(admin_user)
    content = client.get(reverse("scans:index"), {"archive": dong_nai.pk}).content.decode()
    assert dn.original_name in content and tq.original_name not in content


def test_a_reader_without_an_archive_is_refused_the_listing(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("bandoc", password="mat-khau-thu-nghiem")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    response = client.get(reverse("scans:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")


def test_retry_requeues_a_failed_scan(client, tq_archivist, tq_document):
    failed = failed_scan(tq_document, content=samples.png_page("Trang một", dpi=DPI, size_inches=(4, 2)))
    inspect_url = reverse("document:inspect", args=[tq_document.pk])
    client.force_login(tq_archivist)

    response = client.post(reverse("scans:retry", args=[failed.pk]), {"next": inspect_url})

    assert response.status_code == 302 and response["Location"] == inspect_url
    assert f"Đã đưa “{failed.original_name}” vào hàng đợi xử lý lại." in page_messages(response)
    failed.refresh_from_db()
    # Tests run tasks at once (immediate backend): the retried scan has been processed again.
    assert (failed.state, failed.state_message) == (ProcessingState.DONE, "")
    assert failed.pages.count() == 1


def test_retry_leaves_a_scan_that_did_not_fail(client, tq_archivist, tq_document):
    done = DigitalObjectFactory(document=tq_document, state=ProcessingState.DONE)
    client.force_login(tq_archivist)
    response = client.post(reverse("scans:retry", args=[done.pk]), {"next": "https://example.com/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("scans:index")  # never an outside address
    assert any("không bị lỗi hay bị treo" in text for text in page_messages(response))
    done.refresh_from_db()
    assert done.state == ProcessingState.DONE


def test_retry_is_a_post_within_ones_archives(client, dn_archivist, tq_archivist, tq_document):
    failed = failed_scan(tq_document)
    client.force_login(tq_archivist)
    assert client.get(reverse("scans:retry", args=[failed.pk])).status_code == 405
    client.force_login(dn_archivist)
    assert client.post(reverse("scans:retry", args=[failed.pk])).status_code == 404
    failed.refresh_from_db()
    assert failed.state == ProcessingState.FAILED


def test_retry_all_failed_asks_then_requeues_each(client, tq_archivist, tq_document, dn_document):
    small = {"dpi": DPI, "size_inches": (4, 2)}
    ours = [
        failed_scan(tq_document, content=samples.png_page("Trang một", **small)),
        failed_scan(DocumentFactory(file=tq_document.file), content=samples.png_page("Trang hai", **small)),
    ]
    theirs = failed_scan(dn_document, content=samples.png_page("Trang ba", **small))
    client.force_login(tq_archivist)

    confirm = client.get(reverse("scans:retry_failed")).content.decode()
    assert "2 bản số hóa lỗi sẽ được đưa vào hàng đợi xử lý lại" in confirm
    response = client.post(reverse("scans:retry_failed"))

    assert response.status_code == 302
    assert "Đã đưa 2 bản số hóa lỗi vào hàng đợi xử lý lại." in page_messages(response)
    for scan in ours:
        scan.refresh_from_db()
        assert scan.state != ProcessingState.FAILED
    theirs.refresh_from_db()
    assert theirs.state == ProcessingState.FAILED
