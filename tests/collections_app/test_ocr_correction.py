"""Staff read a page's OCR text beside its image and correct it; search follows the correction."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from wagtail.models import ModelLogEntry
from wagtail.search.backends import get_search_backend

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    ScanPageFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.ingest.text import set_page_text
from collections_app.models import Document, PageTextRevision, RecordFile, Role, TextSource

pytestmark = pytest.mark.django_db

# What the machine read: "Thlền" and "Ngbĩa" are misreadings of "Thiền" and "Nghĩa".
MACHINE_TEXT = "Biên bản bàn giao đất tại xã Phước Thlền cho ông Trần Văn Ngbĩa"
CORRECTED_TEXT = "Biên bản bàn giao đất tại xã Phước Thiền cho ông Trần Văn Nghĩa"


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


def search_documents(query):
    return list(get_search_backend().search(query, Document))


@pytest.fixture
def archivist(tuyen_quang):
    return staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq")


@pytest.fixture
def document(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang)
    return DocumentFactory(
        file=RecordFileFactory(series=SeriesFactory(fonds=fonds), title="Hồ sơ giao đất năm 2019"),
        title="Biên bản bàn giao đất",
    )


@pytest.fixture
def pages(document):
    """A two-page scan; page 1 carries the machine's text as its first (OCR) revision."""
    scan = DigitalObjectFactory(
        document=document, content=samples.png_page(text=MACHINE_TEXT, dpi=30), original_name="bien-ban.png"
    )
    result = []
    for number, text in ((1, MACHINE_TEXT), (2, "Trang hai của biên bản")):
        name = default_storage.save(
            f"{scan.storage_prefix}/pages/{number:04d}.png",
            ContentFile(samples.png_page(text=text, dpi=30)),
        )
        page = ScanPageFactory(digital_object=scan, number=number, image=name, text="", ocr_confidence=None)
        set_page_text(page, text, source=TextSource.OCR, confidence=87.4)
        result.append(page)
    return result


def viewer_url(page):
    return reverse("page_text:page", args=[page.pk])


def test_viewer_shows_image_text_and_confidence(client, archivist, pages):
    client.force_login(archivist)
    page = pages[0]

    response = client.get(viewer_url(page))

    assert response.status_code == 200
    content = response.content.decode()
    image_url = f"/files/{page.digital_object_id}/pages/0001.png"
    assert f'src="{image_url}"' in content
    assert MACHINE_TEXT in content
    assert "Độ tin cậy nhận dạng: 87,4 %" in text_of(response)
    assert viewer_url(pages[1]) in content  # next page
    assert "Nhận dạng tự động (Tesseract)" in text_of(response)  # the revision list
    image = client.get(image_url)
    assert image.status_code == 200
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")


def test_correction_is_kept_as_a_revision_and_indexed(client, archivist, pages, document):
    page = pages[0]
    assert [found.pk for found in search_documents("Thlền")] == [document.pk]
    assert search_documents("Thiền") == []
    client.force_login(archivist)
    loaded = PageTextRevision.objects.filter(page=page).latest("created_at", "id")

    response = client.post(
        viewer_url(page), {"text": CORRECTED_TEXT.replace(" cho ", "\r\ncho "), "loaded_revision": loaded.pk}
    )

    assert response.status_code == 302
    page.refresh_from_db()
    document.refresh_from_db()
    revision = page.text_revisions.order_by("-created_at", "-id").first()
    assert (revision.source, revision.created_by) == (TextSource.CORRECTION, archivist)
    assert page.text == revision.text == CORRECTED_TEXT.replace(" cho ", "\ncho ")
    assert page.text_corrected
    assert "Phước Thiền" in document.ocr_text and "Thlền" not in document.ocr_text
    assert [found.pk for found in search_documents("Thiền")] == [document.pk]
    assert search_documents("Thlền") == []
    assert (
        ModelLogEntry.objects.for_instance(page)
        .filter(action="collections_app.page_text.correct", user=archivist)
        .exists()
    )
    after = client.get(response["Location"])
    assert any("Đã lưu bản hiệu đính trang 1" in message for message in messages_of(after))
    assert "Đã hiệu đính" in text_of(after)


def test_unchanged_text_is_not_a_new_revision(client, archivist, pages):
    client.force_login(archivist)
    page = pages[0]
    before = page.text_revisions.count()

    response = client.post(viewer_url(page), {"text": f"  {MACHINE_TEXT}\r\n\r\n"}, follow=True)

    assert page.text_revisions.count() == before
    assert any("không thay đổi" in message for message in messages_of(response))


def test_restoring_an_earlier_revision(client, archivist, pages, document):
    client.force_login(archivist)
    page = pages[0]
    machine = page.text_revisions.get()
    set_page_text(page, CORRECTED_TEXT, source=TextSource.CORRECTION, user=archivist)
    revision_url = reverse("page_text:revision", args=[page.pk, machine.pk])

    shown = client.get(revision_url)
    assert shown.status_code == 200
    assert "<del>Thiền</del>" in shown.content.decode() and "<ins>Thlền</ins>" in shown.content.decode()

    response = client.post(revision_url)

    assert response["Location"] == viewer_url(page)
    page.refresh_from_db()
    document.refresh_from_db()
    assert page.text == MACHINE_TEXT
    assert not page.text_corrected
    assert page.text_revisions.count() == 3  # OCR, correction, and the restore, none lost
    latest = page.text_revisions.order_by("-created_at", "-id").first()
    assert (latest.source, latest.created_by, latest.confidence) == (TextSource.OCR, archivist, 87.4)
    assert [found.pk for found in search_documents("Thlền")] == [document.pk]
    assert (
        ModelLogEntry.objects.for_instance(page).filter(action="collections_app.page_text.restore").exists()
    )

    again = client.post(revision_url, follow=True)
    assert page.text_revisions.count() == 3
    assert any("trùng với nội dung hiện tại" in message for message in messages_of(again))


def test_a_later_save_by_someone_else_is_not_overwritten(client, archivist, pages, tuyen_quang):
    page = pages[0]
    opened = page.text_revisions.get()
    leader = staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq")
    set_page_text(page, CORRECTED_TEXT, source=TextSource.CORRECTION, user=leader)
    client.force_login(archivist)

    response = client.post(viewer_url(page), {"text": "Nội dung khác hẳn", "loaded_revision": opened.pk})

    assert response.status_code == 200
    assert "Trang vừa được lanhdao.tq lưu lúc" in text_of(response)
    assert "Nội dung khác hẳn" in response.content.decode()  # the typed text is kept in the form
    page.refresh_from_db()
    assert page.text == CORRECTED_TEXT


def test_file_scans_are_corrected_too(client, archivist, tuyen_quang):
    file = RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    scan = DigitalObjectFactory(document=None, record_file=file, content=samples.png_page(text="x", dpi=20))
    page = ScanPageFactory(digital_object=scan, number=1, text="", ocr_confidence=None)
    set_page_text(page, MACHINE_TEXT, source=TextSource.EMBEDDED)
    client.force_login(archivist)

    client.post(viewer_url(page), {"text": CORRECTED_TEXT, "loaded_revision": page.text_revisions.get().pk})

    file.refresh_from_db()
    assert file.ocr_text == CORRECTED_TEXT
    assert [found.pk for found in get_search_backend().search("Nghĩa", RecordFile)] == [file.pk]


def test_reading_room_reads_but_does_not_correct(client, pages, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.READING_ROOM, username="phongdoc.tq"))
    page = pages[0]

    response = client.get(viewer_url(page))
    assert response.status_code == 200
    assert "Bạn chỉ được xem" in text_of(response)

    refused = client.post(viewer_url(page), {"text": CORRECTED_TEXT})
    assert refused.status_code in (302, 403)
    page.refresh_from_db()
    assert page.text == MACHINE_TEXT


def test_other_archives_staff_cannot_read_or_correct(client, pages, dong_nai):
    client.force_login(staff_user(dong_nai, Role.ARCHIVIST, username="luutru.dn"))
    page = pages[0]
    revision = page.text_revisions.get()

    assert client.get(viewer_url(page)).status_code == 404
    assert client.post(viewer_url(page), {"text": CORRECTED_TEXT}).status_code == 404
    revision_url = reverse("page_text:revision", args=[page.pk, revision.pk])
    assert client.get(revision_url).status_code == 404
    assert client.post(revision_url).status_code == 404
    page.refresh_from_db()
    assert page.text == MACHINE_TEXT and page.text_revisions.count() == 1


def test_revision_of_another_page_is_not_found(client, archivist, pages):
    client.force_login(archivist)
    other_revision = pages[1].text_revisions.get()
    url = reverse("page_text:revision", args=[pages[0].pk, other_revision.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_record_inspect_page_links_to_the_viewer(client, archivist, pages, document):
    client.force_login(archivist)
    response = client.get(reverse("document:inspect", args=[document.pk]))
    assert response.status_code == 200
    assert viewer_url(pages[0]) in response.content.decode()
    assert "Đọc, hiệu đính chữ các trang quét" in text_of(response)
