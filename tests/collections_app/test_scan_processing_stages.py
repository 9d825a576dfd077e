"""Scan processing in two stages: the text first (searchable at once), then page images and the PDF/A.

Most tests run the tasks at once (the test settings' immediate backend), so both stages run one after
the other. To look at a scan between its stages, one test uses the database task queue and runs each
stage by hand, as a worker would.
"""

import io
import json
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.ingest import ocr, processing, samples, tasks
from collections_app.ingest.processing import queue_processing, retry_processing
from collections_app.ingest.text import set_page_text
from collections_app.models import (
    DigitalObject,
    PageTextRevision,
    ProcessingStage,
    ProcessingState,
    Role,
    TextSource,
)

pytestmark = pytest.mark.django_db

TEXT = "Quyết định giao đất cho hộ ông Nguyễn Văn Bình"


def tq_scan(archive, content=None, name="quyet-dinh.png", mime_type="image/png"):
    document = DocumentFactory(
        file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=archive)))
    )
    return DigitalObjectFactory(
        content=content or samples.png_page(TEXT, dpi=200, size_inches=(5, 2)),
        original_name=name,
        mime_type=mime_type,
        document=document,
    )


def processed(digital_object):
    queue_processing(digital_object)
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    return digital_object


def stored_bytes(name):
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def test_the_text_is_saved_and_searchable_before_the_images_exist(tuyen_quang, settings, client, tmp_path):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    digital_object = tq_scan(tuyen_quang)
    queue_processing(digital_object)
    first = DBTaskResult.objects.get(id=digital_object.task_id)
    assert first.task_path.endswith("recognise_scan") and first.priority == tasks.OCR_PRIORITY

    result = processing.run_ocr_stage(digital_object.pk, digital_object.task_id)

    assert result["state"] == "recognised" and result["seconds"]["tesseract"] > 0
    digital_object.refresh_from_db()
    assert (digital_object.stage, digital_object.state) == (ProcessingStage.IMAGES, ProcessingState.QUEUED)
    assert digital_object.ocr_finished_at is not None and digital_object.page_count == 1
    assert digital_object.attempts == 0 and not digital_object.archival_copy and not digital_object.thumbnail
    second = DBTaskResult.objects.get(id=digital_object.task_id)
    assert second.task_path.endswith("make_scan_images") and second.priority == tasks.IMAGES_PRIORITY
    page = digital_object.pages.get()
    assert "Nguyễn Văn Bình" in page.text and page.ocr_confidence > 80
    assert not page.image and not page.tiles_info
    assert (page.width, page.height, page.dpi) == (1000, 400, 200)
    assert PageTextRevision.objects.get(page=page).source == TextSource.OCR
    digital_object.document.refresh_from_db()
    assert digital_object.document.ocr_text == page.text  # what the search index reads
    prefix = digital_object.storage_prefix
    assert not default_storage.exists(f"{prefix}/pages/0001.jpg")
    layer = tmp_path / "layer.pdf"
    layer.write_bytes(stored_bytes(f"{prefix}/ocr/0001.pdf"))
    assert "Nguyễn Văn Bình" in ocr.embedded_page_texts(layer)[0]

    # Staff see where the scan is, and the page's text screen works without an image.
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST))
    listing = client.get(reverse("scans:index")).content.decode()
    assert "Đang chờ xử lý — ảnh trang và PDF/A" in listing
    assert "Đã nhận dạng chữ lúc" in listing
    assert (
        digital_object.original_name
        in client.get(reverse("scans:index"), {"stage": "images"}).content.decode()
    )
    assert (
        digital_object.original_name
        not in client.get(reverse("scans:index"), {"stage": "ocr"}).content.decode()
    )
    text_screen = client.get(reverse("page_text:page", args=[page.pk]))
    assert text_screen.status_code == 200
    assert "Trang này chưa có ảnh" in text_screen.content.decode()

    result = processing.run_images_stage(digital_object.pk, digital_object.task_id)

    assert result["state"] == ProcessingState.DONE, result
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE and digital_object.attempts == 1
    page.refresh_from_db()
    assert stored_bytes(page.image.name).startswith(b"\xff\xd8\xff")
    assert page.text_revisions.count() == 1
    archival = tmp_path / "archival.pdf"
    archival.write_bytes(stored_bytes(digital_object.archival_copy.name))
    assert ocr.pdfa_conformance(archival) == "2B"
    assert "Nguyễn Văn Bình" in ocr.embedded_page_texts(archival)[0]
    listing = client.get(reverse("scans:index")).content.decode()
    assert "Hoàn thành" in listing and "ảnh trang và PDF/A" not in listing


def test_recovery_requeues_a_scan_stuck_in_its_images_stage_without_redoing_its_text(
    tuyen_quang, monkeypatch, tmp_path
):
    digital_object = processed(tq_scan(tuyen_quang))
    revisions = list(PageTextRevision.objects.filter(page__digital_object=digital_object).values_list("pk"))
    long_ago = timezone.now() - timedelta(hours=1)
    DigitalObject.objects.filter(pk=digital_object.pk).update(
        state=ProcessingState.PROCESSING,
        stage=ProcessingStage.IMAGES,
        task_id="9b0e2c36-5d5f-4a47-bb8f-7a8d1c0e0002",
        attempts=1,
        started_at=long_ago,
        progress_at=long_ago,
    )
    monkeypatch.setenv("PATH", str(tmp_path))  # no Tesseract: the text stage would fail

    output = io.StringIO()
    call_command("requeue_stale_scans", stdout=output)

    assert f"Đưa lại vào hàng đợi: #{digital_object.pk} " in output.getvalue()
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    assert digital_object.stage == ProcessingStage.IMAGES
    assert list(PageTextRevision.objects.filter(page__digital_object=digital_object).values_list("pk")) == (
        revisions
    )


def test_a_failed_text_stage_is_retried_from_the_text(tuyen_quang, monkeypatch, tmp_path):
    digital_object = tq_scan(tuyen_quang)
    monkeypatch.setenv("PATH", str(tmp_path))
    queue_processing(digital_object)
    digital_object.refresh_from_db()
    assert (digital_object.state, digital_object.stage) == (ProcessingState.FAILED, ProcessingStage.OCR)
    assert digital_object.ocr_finished_at is None and not digital_object.pages.exists()

    monkeypatch.undo()
    assert retry_processing(digital_object) is True
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE
    assert "Nguyễn Văn Bình" in digital_object.pages.get().text


def test_an_images_stage_without_the_stored_text_layers_goes_back_to_the_text(tuyen_quang):
    digital_object = processed(tq_scan(tuyen_quang))
    manifest = f"{digital_object.storage_prefix}/ocr/manifest.json"
    first_run = json.loads(stored_bytes(manifest))["ocr_finished_at"]
    default_storage.delete(manifest)
    DigitalObject.objects.filter(pk=digital_object.pk).update(
        state=ProcessingState.FAILED, stage=ProcessingStage.IMAGES
    )

    assert retry_processing(digital_object) is True

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    assert json.loads(stored_bytes(manifest))["ocr_finished_at"] != first_run
    assert json.loads(stored_bytes(manifest))["layers"] == [1]


def test_a_staff_correction_is_never_overwritten_by_a_new_run(tuyen_quang):
    digital_object = processed(tq_scan(tuyen_quang))
    page = digital_object.pages.get()
    corrected = "Quyết định giao đất cho hộ ông Nguyễn Văn Bình (đã hiệu đính)"
    set_page_text(page, corrected, source=TextSource.CORRECTION)

    processed(digital_object)

    page.refresh_from_db()
    assert (page.text, page.text_corrected) == (corrected, True)
    assert [revision.source for revision in page.text_revisions.order_by("id")] == [
        TextSource.OCR,
        TextSource.CORRECTION,
    ]
    digital_object.document.refresh_from_db()
    assert digital_object.document.ocr_text == corrected
    assert page.image  # the images stage still updated the page


def test_the_single_task_of_earlier_versions_still_processes_a_queued_scan(tuyen_quang):
    digital_object = tq_scan(tuyen_quang)
    DigitalObject.objects.filter(pk=digital_object.pk).update(state=ProcessingState.QUEUED, task_id="")

    result = tasks.process_scan.enqueue(digital_object.pk)

    assert result.return_value["state"] == "recognised"
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    assert "Nguyễn Văn Bình" in digital_object.pages.get().text


def test_recovery_runs_first_and_text_comes_before_images():
    assert tasks.sweep_stale_scans.priority >= tasks.recognise_scan.priority > tasks.make_scan_images.priority
    assert tasks.process_scan.priority == tasks.recognise_scan.priority


def test_a_pdf_with_a_scanners_text_on_some_pages_recognises_only_the_others(tuyen_quang, tmp_path):
    import shutil
    import subprocess

    import pikepdf

    small = {"dpi": 200, "size_inches": (5, 2)}
    vendor_image = tmp_path / "vendor.png"
    vendor_image.write_bytes(samples.png_page("LỚP CHỮ CỦA MÁY QUÉT", **small))
    subprocess.run(  # noqa: S603 - the scanner's text layer: Tesseract's text-only page
        [
            shutil.which("tesseract"),
            vendor_image,
            tmp_path / "layer",
            "-l",
            "vie",
            "-c",
            "textonly_pdf=1",
            "pdf",
        ],
        check=True,
        capture_output=True,
    )
    pages = samples.pdf_scan(["Trang có lớp chữ của máy quét", TEXT], **small)
    with pikepdf.open(io.BytesIO(pages)) as pdf, pikepdf.open(tmp_path / "layer.pdf") as layer:
        pdf.pages[0].add_overlay(layer.pages[0])
        buffer = io.BytesIO()
        pdf.save(buffer)
    digital_object = processed(tq_scan(tuyen_quang, buffer.getvalue(), "hai-trang.pdf", "application/pdf"))

    first, second = digital_object.pages.order_by("number")
    assert " ".join(first.text.split()) == "LỚP CHỮ CỦA MÁY QUÉT"
    assert first.text_revisions.get().source == TextSource.EMBEDDED
    assert "Nguyễn Văn Bình" in second.text and second.text_revisions.get().source == TextSource.OCR
    assert json.loads(stored_bytes(f"{digital_object.storage_prefix}/ocr/manifest.json"))["layers"] == [2]
    archival = tmp_path / "archival.pdf"
    archival.write_bytes(stored_bytes(digital_object.archival_copy.name))
    texts = ocr.embedded_page_texts(archival)
    assert " ".join(texts[0].split()) == "LỚP CHỮ CỦA MÁY QUÉT" and "Nguyễn Văn Bình" in texts[1]
