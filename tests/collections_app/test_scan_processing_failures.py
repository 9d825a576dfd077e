"""Scan processing when things go wrong: bad files, missing tools, storage errors, stuck workers.

Every failure ends in the state "failed" with a Vietnamese reason the archivist can act on, leaves
earlier good results as they were, and never escapes the task (the worker keeps running). Tasks run
at once (the test settings' immediate backend).
"""

import io
from datetime import timedelta
from pathlib import Path

import pikepdf
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus

from collections_app.factories import DigitalObjectFactory, DocumentFactory
from collections_app.ingest import processing, samples
from collections_app.ingest.processing import queue_processing, retry_processing
from collections_app.models import DigitalObject, OcrMode, PageTextRevision, ProcessingStage, ProcessingState

pytestmark = pytest.mark.django_db

SMALL = {"dpi": 200, "size_inches": (4, 2)}


def small_png(text="Quyết định giao đất cho hộ gia đình"):
    return samples.png_page(text, **SMALL)


def scan(content=None, name="trang.png", mime_type="image/png", **kwargs):
    return DigitalObjectFactory(
        content=content or small_png(),
        original_name=name,
        mime_type=mime_type,
        document=DocumentFactory(),
        **kwargs,
    )


def processed(digital_object):
    queue_processing(digital_object)
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    return digital_object


def snapshot(digital_object):
    """What a reader sees of a processed scan: its rows and the files they point at."""
    pages = [
        (page.pk, page.number, page.image.name, page.text, page.tiles_info)
        for page in digital_object.pages.order_by("number")
    ]
    return {
        "pages": pages,
        "revisions": list(
            PageTextRevision.objects.filter(page__digital_object=digital_object).values_list("pk")
        ),
        "archival": (digital_object.archival_copy.name, digital_object.archival_sha256),
        "thumbnail": digital_object.thumbnail.name,
        "files": all(
            default_storage.exists(name)
            for name in [digital_object.archival_copy.name, digital_object.thumbnail.name]
            + [page[2] for page in pages]
            + [page[4] for page in pages]
        ),
    }


def test_a_corrupt_pdf_fails_with_a_reason_and_the_task_does_not_crash(tuyen_quang):
    digital_object = scan(b"%PDF-1.7\n" + b"\x00garbage" * 500, "hong.pdf", "application/pdf")

    result = queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.FAILED
    assert digital_object.state_message.startswith("Không đọc được tệp quét “hong.pdf”: tệp bị hỏng")
    assert "bấm “Xử lý lại”" in digital_object.state_message
    assert digital_object.finished_at is not None
    assert not digital_object.pages.exists()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["state"] == "failed"


def test_a_truncated_png_fails_with_a_reason(tuyen_quang):
    whole = small_png()
    digital_object = scan(whole[: len(whole) // 2], "cut.png")

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.FAILED
    assert "Không đọc được tệp quét “cut.png”" in digital_object.state_message


def test_an_original_that_changed_in_storage_is_not_processed(tuyen_quang):
    digital_object = scan(sha256="0" * 64)

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.FAILED
    assert "không còn khớp mã SHA-256" in digital_object.state_message
    assert not digital_object.pages.exists()


def test_missing_tesseract_fails_clearly_and_keeps_the_previous_results(tuyen_quang, monkeypatch, tmp_path):
    digital_object = processed(scan())
    before = snapshot(digital_object)
    assert before["files"]

    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on this server any more
    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.FAILED
    assert digital_object.state_message.startswith("Máy chủ xử lý chưa cài Tesseract")
    assert "tesseract-ocr-vie" in digital_object.state_message
    assert snapshot(digital_object) == before

    monkeypatch.undo()
    assert retry_processing(digital_object) is True
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE
    assert digital_object.attempts == 1


def test_a_password_protected_pdf_fails_with_what_to_do(tuyen_quang):
    with pikepdf.open(io.BytesIO(samples.pdf_scan(["Tài liệu có mật khẩu"], **SMALL))) as pdf:
        encrypted = io.BytesIO()
        pdf.save(encrypted, encryption=pikepdf.Encryption(owner="chu-so-huu", user="mat-khau", R=4))
    digital_object = scan(encrypted.getvalue(), "mat-khau.pdf", "application/pdf")

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.FAILED
    assert digital_object.state_message.startswith("Tệp PDF “mat-khau.pdf” có mật khẩu nên không mở được.")


@pytest.mark.parametrize("mode", [OcrMode.SKIP_TEXT, OcrMode.REDO])
def test_a_signed_pdf_is_not_rewritten(tuyen_quang, mode):
    """Making a PDF/A would void digital signatures: refused here (skip) and by OCRmyPDF (redo)."""
    with pikepdf.open(io.BytesIO(samples.pdf_scan(["Tài liệu có chữ ký số"], **SMALL))) as pdf:
        pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(Fields=pikepdf.Array(), SigFlags=3))
        signed = io.BytesIO()
        pdf.save(signed)
    digital_object = scan(signed.getvalue(), "co-chu-ky.pdf", "application/pdf", ocr_mode=mode)

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.FAILED
    assert digital_object.state_message.startswith("Tệp PDF có chữ ký số")
    assert not digital_object.pages.exists()
    assert not digital_object.archival_copy


def test_a_storage_error_fails_the_images_stage_and_a_retry_resumes_there(
    tuyen_quang, settings, tmp_path, monkeypatch
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    digital_object = scan()
    # A file where the page folder should be: the disk refuses to create pages/0001.jpg.
    blocker = tmp_path / digital_object.storage_prefix / "pages"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"")

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert (digital_object.state, digital_object.stage) == (ProcessingState.FAILED, ProcessingStage.IMAGES)
    assert digital_object.state_message.startswith("Không đọc hoặc ghi được kho lưu tệp")
    # The text stage had finished: its text stays, searchable; no page image, no archival copy.
    assert digital_object.ocr_finished_at is not None
    page = digital_object.pages.get()
    assert "giao đất" in page.text and not page.image
    assert "giao đất" in digital_object.document.__class__.objects.get(pk=digital_object.document_id).ocr_text
    assert not digital_object.archival_copy
    pdfa_dir = tmp_path / digital_object.storage_prefix / "pdfa"
    assert not pdfa_dir.exists() or not any(pdfa_dir.iterdir())

    # The disk is fixed; the retry makes the images only: no Tesseract is needed any more.
    blocker.unlink()
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    assert retry_processing(digital_object) is True
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    assert digital_object.attempts == 1
    page.refresh_from_db()
    assert page.image.name == f"{digital_object.storage_prefix}/pages/0001.jpg"
    assert (tmp_path / page.image.name).read_bytes().startswith(b"\xff\xd8\xff")
    assert PageTextRevision.objects.filter(page=page).count() == 1
    assert (tmp_path / digital_object.archival_copy.name).read_bytes().startswith(b"%PDF")


def test_retry_only_requeues_failed_or_stuck_scans(tuyen_quang):
    digital_object = processed(scan())
    assert retry_processing(digital_object) is False

    DigitalObject.objects.filter(pk=digital_object.pk).update(
        state=ProcessingState.PROCESSING, task_id="a-live-task", progress_at=timezone.now()
    )
    assert retry_processing(digital_object) is False  # a live worker is on it

    DigitalObject.objects.filter(pk=digital_object.pk).update(progress_at=timezone.now() - timedelta(hours=2))
    assert retry_processing(digital_object) is True
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE


def stall(digital_object, *, attempts=1, minutes=60):
    """Leave the scan as a killed worker does: processing, no progress for a while."""
    long_ago = timezone.now() - timedelta(minutes=minutes)
    DigitalObject.objects.filter(pk=digital_object.pk).update(
        state=ProcessingState.PROCESSING,
        task_id="9b0e2c36-5d5f-4a47-bb8f-7a8d1c0e0001",
        attempts=attempts,
        started_at=long_ago,
        progress_at=long_ago,
    )


def test_the_sweep_requeues_stalled_scans_and_fails_those_that_stalled_too_often(tuyen_quang, settings):
    settings.SCAN_MAX_ATTEMPTS = 3
    stalled = scan(small_png("Hồ sơ bị dừng giữa chừng"))
    hopeless = scan(small_png("Hồ sơ dừng nhiều lần"))
    busy = scan(small_png("Hồ sơ đang xử lý"))
    lost = scan(small_png("Hồ sơ chưa vào hàng đợi"))
    stall(stalled)
    stall(hopeless, attempts=3)
    stall(busy, minutes=1)
    DigitalObject.objects.filter(pk=lost.pk).update(queued_at=timezone.now() - timedelta(hours=1), task_id="")

    output = io.StringIO()
    call_command("requeue_stale_scans", stdout=output)

    states = dict(DigitalObject.objects.values_list("pk", "state"))
    assert states[stalled.pk] == ProcessingState.DONE
    assert states[lost.pk] == ProcessingState.DONE
    assert states[busy.pk] == ProcessingState.PROCESSING
    assert states[hopeless.pk] == ProcessingState.FAILED
    hopeless.refresh_from_db()
    assert hopeless.state_message.startswith(
        "Đã thử xử lý 3 lần nhưng lần nào tiến trình cũng dừng giữa chừng"
    )
    assert f"Đưa lại vào hàng đợi: #{stalled.pk} " in output.getvalue()
    assert f"Đánh dấu lỗi: #{hopeless.pk} " in output.getvalue()
    assert stalled.pages.count() == 1
    assert "dừng giữa chừng" in stalled.pages.get().text


def test_a_superseded_run_writes_nothing(tuyen_quang):
    digital_object = scan()
    DigitalObject.objects.filter(pk=digital_object.pk).update(state=ProcessingState.QUEUED, task_id="")
    old_run = processing.claim(digital_object.pk, "old-task")
    assert old_run is not None
    assert processing.run_processing(digital_object.pk, "another-task")["state"] == "skipped"
    assert processing.run_images_stage(digital_object.pk, "another-task")["state"] == "skipped"

    processed(digital_object)  # queued again meanwhile, and done by the new tasks
    with processing.work_folder() as work_dir:
        outcome = processing.recognise(digital_object, Path(work_dir))
        with pytest.raises(processing.Superseded):
            processing.switch_to_text(digital_object, old_run, outcome, "", timezone.now())
    processing.record_failure(old_run, "không được ghi")

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE
    assert PageTextRevision.objects.filter(page__digital_object=digital_object).count() == 1

    # The same for an images run that lost the scan to a new request.
    DigitalObject.objects.filter(pk=digital_object.pk).update(
        state=ProcessingState.QUEUED, stage=ProcessingStage.IMAGES, task_id=""
    )
    old_images = processing.claim(digital_object.pk, "old-images-task", ProcessingStage.IMAGES)
    queue_processing(digital_object)
    with processing.work_folder() as work_dir:
        written = []
        with pytest.raises(processing.Superseded):
            processing.images_and_switch(digital_object, old_images, Path(work_dir), written)
    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE
    assert written and written[0] != digital_object.archival_copy.name
    assert default_storage.exists(digital_object.archival_copy.name)
