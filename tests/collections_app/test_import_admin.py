"""The admin's "Nhập mô tả": upload → report → import → progress, resume, and who may see what.

Real HTTP through Django's test client; the import runs as a django-tasks task, inline here (the
test settings use the immediate backend), so a job has finished when the upload's redirect comes.
"""

import csv
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collections_app.factories import FondsFactory, staff_user
from collections_app.ingest.importing.jobs import run_job
from collections_app.ingest.importing.writer import Writer
from collections_app.models import Document, ImportJob, ImportStatus, RecordFile, Role

pytestmark = pytest.mark.django_db

ROWS = [
    [
        "Mã phông",
        "Mã hồ sơ",
        "Tiêu đề hồ sơ",
        "Thời gian bắt đầu",
        "Mã định danh tài liệu",
        "Tên loại tài liệu",
        "Trích yếu nội dung",
    ],
    ["H19", "H19.2019.01", "Hồ sơ giao đất", "2019", "", "", ""],
    ["H19", "H19.2019.01", "", "", "H19.2019.01.1", "Quyết định", "Về việc giao đất"],
    ["H19", "H19.2019.01", "", "", "H19.2019.01.2", "Tờ trình", "Đề nghị giao đất"],
    ["H19", "H19.2019.02", "Hồ sơ thu hồi đất", "2019", "", "", ""],
    ["H19", "H19.2019.02", "", "", "H19.2019.02.1", "Quyết định", "Về việc thu hồi đất"],
]


def upload(name, rows, delimiter=";"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


@pytest.fixture
def fonds(tuyen_quang):
    return FondsFactory(archive=tuyen_quang, code="H19", creator_code="", name="UBND huyện Hàm Yên")


@pytest.fixture
def archivist(tuyen_quang):
    return staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq")


@pytest.fixture
def other_archivist(dong_nai):
    return staff_user(dong_nai, Role.ARCHIVIST, username="luutru.dn")


def post_upload(client, archive, file, dry_run=True):
    data = {"archive": archive.pk, "file": file}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(reverse("import_records:upload"), data)


def test_upload_dry_run_then_import_then_progress(client, tuyen_quang, fonds, archivist):
    client.force_login(archivist)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("import_records:index") in home  # the menu item (the sidebar is JSON: label escaped)
    assert json.dumps("Nhập mô tả")[1:-1] in home
    form = client.get(reverse("import_records:upload"))
    assert form.status_code == 200
    assert "Chạy thử: chỉ kiểm tra và báo cáo, chưa ghi gì" in form.content.decode()

    response = post_upload(client, tuyen_quang, upload("muc-luc.csv", ROWS))
    dry = ImportJob.objects.get()
    assert response["Location"] == reverse("import_records:job", args=[dry.pk])
    assert (dry.status, dry.dry_run, dry.started_by) == (ImportStatus.VALID, True, archivist)
    assert not RecordFile.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Hợp lệ (chạy thử)" in page
    assert "<tr><td>Hồ sơ</td><td>2</td><td>0</td></tr>" in page
    assert "<tr><td>Tài liệu</td><td>3</td><td>0</td></tr>" in page
    assert "Nhập dữ liệu" in page

    response = client.post(reverse("import_records:start", args=[dry.pk]))
    job = ImportJob.objects.exclude(pk=dry.pk).get()
    assert response["Location"] == reverse("import_records:job", args=[job.pk])
    assert job.status == ImportStatus.DONE and job.source.name == dry.source.name
    assert RecordFile.objects.count() == 2 and Document.objects.count() == 3

    progress = client.get(reverse("import_records:progress", args=[job.pk])).json()
    assert progress == {
        "status": "done",
        "status_label": "Hoàn thành",
        "phase": "done",
        "percent": 100,
        "rows_checked": 5,
        "rows_done": 5,
        "total_rows": 5,
        "created": 5,
        "updated": 0,
        "errors": 0,
        "warnings": 0,
        "finished": True,
        "message": "Đã nhập xong.",
    }
    page = client.get(reverse("import_records:job", args=[job.pk])).content.decode()
    assert 'id="import-progress" max="100" value="100"' in page
    listing = client.get(reverse("import_records:index")).content.decode()
    assert f"#{job.pk}" in listing and f"#{dry.pk} · chạy thử" in listing


def test_a_file_with_errors_shows_the_report_and_cannot_be_imported(client, tuyen_quang, fonds, archivist):
    client.force_login(archivist)
    rows = [row[:] for row in ROWS]
    rows[2][4] = "H19.2019.01.x"
    rows[4][3] = "13/2019"
    rows[0].append("Người nhập")
    post_upload(client, tuyen_quang, upload("loi.csv", rows), dry_run=False)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    assert not RecordFile.objects.exists()
    page = client.get(reverse("import_records:job", args=[job.pk])).content.decode()
    assert "Có lỗi, chưa ghi gì" in page
    assert "Báo cáo: 2 lỗi, 1 cảnh báo" in page
    assert "“13/2019” không phải là ngày hợp lệ." in page
    assert "Ghi theo dạng DD/MM/YYYY, MM/YYYY hoặc YYYY" in page
    assert "Mã “H19.2019.01.x” không bắt đầu bằng mã hồ sơ" in page
    assert "“Người nhập” (cột H)" in page
    assert "Nhập dữ liệu" not in page and "Tiếp tục" not in page

    report = client.get(reverse("import_records:report", args=[job.pk]))
    assert report.status_code == 200
    assert report["Content-Disposition"] == f'attachment; filename="bao-cao-nhap-{job.pk}.csv"'
    lines = b"".join(report.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "Mức,Trang tính,Dòng,Cột,Giá trị,Vấn đề,Cách sửa"
    assert any(line.startswith("lỗi,,5,Thời gian bắt đầu,13/2019,") for line in lines)


def test_xlsx_upload(client, tuyen_quang, fonds, archivist):
    client.force_login(archivist)
    workbook = openpyxl.Workbook()
    for row in ROWS:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    file = SimpleUploadedFile("muc-luc.xlsx", buffer.getvalue())
    post_upload(client, tuyen_quang, file, dry_run=False)
    assert ImportJob.objects.get().status == ImportStatus.DONE
    assert Document.objects.count() == 3


def test_not_a_spreadsheet_is_refused_by_the_form(client, tuyen_quang, archivist):
    client.force_login(archivist)
    response = post_upload(client, tuyen_quang, SimpleUploadedFile("anh.png", b"\x89PNG\r\n"))
    assert response.status_code == 200
    assert "không phải CSV hoặc XLSX" in response.content.decode()
    assert not ImportJob.objects.exists()


class CrashingWriter(Writer):
    """Simulates the worker dying after two batches (what kill -9 or a power cut would leave)."""

    def apply(self, batch):
        self.batches = getattr(self, "batches", 0) + 1
        if self.batches > 2:
            raise ConnectionError("mất điện")
        return super().apply(batch)


def test_resume_button_continues_an_interrupted_import(client, tuyen_quang, fonds, archivist):
    client.force_login(archivist)
    post_upload(client, tuyen_quang, upload("muc-luc.csv", ROWS))
    dry = ImportJob.objects.get()
    job = ImportJob.objects.create(
        archive=tuyen_quang,
        source=dry.source.name,
        original_name=dry.original_name,
        sha256=dry.sha256,
        started_by=archivist,
    )
    job = run_job(job, batch_size=2, writer_class=CrashingWriter)
    assert (job.status, job.rows_done) == (ImportStatus.INTERRUPTED, 4)
    progress = client.get(reverse("import_records:progress", args=[job.pk])).json()
    assert (progress["status_label"], progress["percent"], progress["finished"]) == (
        "Bị gián đoạn, có thể tiếp tục",
        80,
        True,
    )
    page = client.get(reverse("import_records:job", args=[job.pk])).content.decode()
    assert "Tiếp tục" in page and "mất điện" in page

    # Uploading the same file again leads to the interrupted import, not to a second one.
    response = post_upload(client, tuyen_quang, upload("muc-luc.csv", ROWS), dry_run=False)
    assert response["Location"] == reverse("import_records:job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Tệp này đã được nhập dở vào LT08" in page
    assert ImportJob.objects.count() == 2

    response = client.post(reverse("import_records:resume", args=[job.pk]))
    assert response["Location"] == reverse("import_records:job", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.created_count) == (ImportStatus.DONE, 5, 5)
    assert RecordFile.objects.count() == 2 and Document.objects.count() == 3


def test_staff_of_another_archive_see_and_run_nothing(
    client, tuyen_quang, dong_nai, fonds, archivist, other_archivist
):
    client.force_login(archivist)
    post_upload(client, tuyen_quang, upload("muc-luc.csv", ROWS))
    job = ImportJob.objects.get()

    client.force_login(other_archivist)
    assert job.original_name not in client.get(reverse("import_records:index")).content.decode()
    for name in ("job", "progress", "report"):
        assert client.get(reverse(f"import_records:{name}", args=[job.pk])).status_code == 404
    for name in ("start", "resume"):
        assert client.post(reverse(f"import_records:{name}", args=[job.pk])).status_code == 404
    response = post_upload(client, tuyen_quang, upload("chen.csv", ROWS), dry_run=False)
    assert response.status_code == 200
    assert "Hãy chọn một lựa chọn hợp lệ" in response.content.decode() or "Select a valid choice" in (
        response.content.decode()
    )
    assert ImportJob.objects.count() == 1 and not RecordFile.objects.exists()


def test_reading_room_staff_see_imports_but_do_not_run_them(client, tuyen_quang, fonds, archivist):
    reader = staff_user(tuyen_quang, Role.READING_ROOM, username="phongdoc.tq")
    client.force_login(archivist)
    post_upload(client, tuyen_quang, upload("muc-luc.csv", ROWS))
    job = ImportJob.objects.get()
    client.force_login(reader)
    page = client.get(reverse("import_records:job", args=[job.pk]))
    assert page.status_code == 200 and "Nhập dữ liệu" not in page.content.decode()
    assert client.post(reverse("import_records:start", args=[job.pk])).status_code in (302, 403)
    assert ImportJob.objects.count() == 1
    response = post_upload(client, tuyen_quang, upload("muc-luc.csv", ROWS), dry_run=False)
    assert "Bạn không có quyền nhập mô tả vào cơ quan lưu trữ này." in response.content.decode()
    assert not RecordFile.objects.exists()


def test_people_outside_the_archives_are_turned_away(client, tuyen_quang, fonds):
    assert client.get(reverse("import_records:index"))["Location"].startswith(reverse("wagtailadmin_login"))
    outsider = staff_user(tuyen_quang, Role.ARCHIVIST, username="tam.thoi")
    outsider.groups.clear()
    client.force_login(outsider)
    assert client.get(reverse("import_records:upload")).status_code in (302, 403)
