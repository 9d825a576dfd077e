"""The import job: validate everything first, write in batches with a checkpoint, resume, report.

Also the model rules the validation must apply without full_clean, the codes it derives (the same
as ``save()``'s), and the ``import_records`` command's output and exit status.
"""

import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from wagtail.models import ModelLogEntry

from collections_app.factories import DocumentFactory, FondsFactory, RecordFileFactory, SeriesFactory
from collections_app.ingest.importing.jobs import find_resumable, run_job
from collections_app.ingest.importing.writer import Writer
from collections_app.models import Document, EventType, ImportJob, ImportStatus, PreservationEvent, RecordFile

pytestmark = pytest.mark.django_db

HEADER = [
    "Mã phông",
    "Mã hồ sơ",
    "Tiêu đề hồ sơ",
    "Thời gian bắt đầu",
    "Mã định danh tài liệu",
    "Tên loại tài liệu",
    "Số",
    "Ký hiệu",
    "Trích yếu nội dung",
]


def csv_bytes(rows):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def inventory(files=3, documents_per_file=4, prefix="H19"):
    """A file row then its document rows, for each file: ``files * (1 + documents_per_file)`` rows."""
    rows = [list(HEADER)]
    for number in range(1, files + 1):
        code = f"{prefix}.2019.{number:02d}"
        rows.append([prefix, code, f"Hồ sơ số {number}", "2019", "", "", "", "", ""])
        for ordinal in range(1, documents_per_file + 1):
            rows.append(
                [
                    prefix,
                    code,
                    "",
                    "",
                    f"{code}.{ordinal}",
                    "Quyết định",
                    str(100 * number + ordinal),
                    "QĐ-UBND",
                    f"Quyết định số {ordinal} của hồ sơ {number}",
                ]
            )
    return rows


def write(tmp_path, rows, name="kiem-ke.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return path


def new_job(archive, path, dry_run=False):
    content = path.read_bytes()
    return ImportJob.objects.create(
        archive=archive, original_name=path.name, sha256=hashlib.sha256(content).hexdigest(), dry_run=dry_run
    )


def errors(job):
    return [issue for issue in job.report["issues"] if issue["level"] == "error"]


@pytest.fixture
def fonds(tuyen_quang):
    return FondsFactory(archive=tuyen_quang, code="H19", creator_code="", name="UBND huyện Long Thành")


class CrashingWriter(Writer):
    """Simulates a crash (a killed process, a lost connection) inside the writer after N batches."""

    crash_after = 2

    def apply(self, batch):
        if getattr(self, "written", 0) == self.crash_after:
            raise ConnectionError("mất kết nối tới cơ sở dữ liệu")
        self.written = getattr(self, "written", 0) + 1
        return super().apply(batch)


# Dry run, all or nothing ------------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_says_what_would_happen(tuyen_quang, fonds, tmp_path):
    existing = RecordFileFactory(series=None, fonds=fonds, year=2019, file_number="02", title="Tiêu đề cũ")
    path = write(tmp_path, inventory(files=3, documents_per_file=2))
    job = run_job(new_job(tuyen_quang, path, dry_run=True), path=path, batch_size=4)
    assert job.status == ImportStatus.VALID
    assert job.report["counts"]["file_new"] == 2
    assert job.report["counts"]["file_update"] == 1
    assert job.report["counts"]["document_new"] == 6
    assert job.report["updates"] == [{"sheet": "", "row": 5, "level": "hồ sơ", "code": "LT08.H19.2019.02"}]
    assert (job.created_count, job.updated_count) == (8, 1)
    existing.refresh_from_db()
    assert existing.title == "Tiêu đề cũ"
    assert RecordFile.objects.count() == 1 and not Document.objects.exists()
    assert job.rows_done == 0


def test_any_error_anywhere_means_nothing_is_written(tuyen_quang, fonds, tmp_path):
    rows = inventory(files=5, documents_per_file=3)
    rows[-1][5] = "Loại không có"  # a warning only: falls back to 32 Khác
    rows[-2][3] = "31/02/2019"  # a file date on a document row: converted, and invalid
    path = write(tmp_path, rows)
    job = run_job(new_job(tuyen_quang, path), path=path, batch_size=3)
    assert job.status == ImportStatus.INVALID
    assert [(issue["row"], issue["column"]) for issue in errors(job)] == [(20, "Thời gian bắt đầu")]
    assert "không phải là ngày hợp lệ" in errors(job)[0]["message"]
    assert not RecordFile.objects.exists() and not Document.objects.exists()
    assert job.rows_done == 0
    assert job.rows_checked == 20  # the whole file was checked, not just up to the error


def test_reimporting_updates_existing_records_and_leaves_other_fields(tuyen_quang, fonds, tmp_path):
    path = write(tmp_path, inventory(files=2, documents_per_file=2))
    first = run_job(new_job(tuyen_quang, path), path=path)
    assert first.status == ImportStatus.DONE
    RecordFile.objects.filter(file_code="H19.2019.01").update(box="7")
    rows = inventory(files=2, documents_per_file=2)
    rows[1][2] = "Hồ sơ số 1 (đã sửa tiêu đề)"
    rows[2][8] = "Quyết định đã sửa trích yếu"
    path = write(tmp_path, rows, name="lan-hai.csv")
    second = run_job(new_job(tuyen_quang, path), path=path)
    assert second.status == ImportStatus.DONE
    assert (second.created_count, second.updated_count) == (0, 6)
    record_file = RecordFile.objects.get(file_code="H19.2019.01")
    assert record_file.title == "Hồ sơ số 1 (đã sửa tiêu đề)"
    assert record_file.box == "7"  # not in the file: left as it was
    assert record_file.documents.get(ordinal=1).title == "Quyết định đã sửa trích yếu"
    assert RecordFile.objects.count() == 2 and Document.objects.count() == 4


# Resume ---------------------------------------------------------------------------------------------


def test_interrupted_import_resumes_after_its_checkpoint_writing_each_row_once(tuyen_quang, fonds, tmp_path):
    path = write(tmp_path, inventory(files=4, documents_per_file=4))  # 20 rows, batches of 3
    job = run_job(new_job(tuyen_quang, path), path=path, batch_size=3, writer_class=CrashingWriter)
    assert job.status == ImportStatus.INTERRUPTED
    assert job.rows_done == 6
    assert "mất kết nối" in job.message and "--resume" in job.message
    # Only whole batches: rows 1-6 are the first file, its 4 documents and the second file.
    assert RecordFile.objects.count() == 2 and Document.objects.count() == 4

    resumable = find_resumable(tuyen_quang, job.sha256)
    assert resumable == job
    done = run_job(resumable, path=path, batch_size=3)
    assert done.status == ImportStatus.DONE
    assert done.rows_done == 20
    assert RecordFile.objects.count() == 4
    assert Document.objects.count() == 16
    assert sorted(Document.objects.values_list("doc_id", flat=True)) == sorted(
        f"H19.2019.{number:02d}.{ordinal}" for number in range(1, 5) for ordinal in range(1, 5)
    )
    assert (done.created_count, done.updated_count) == (20, 0)
    assert find_resumable(tuyen_quang, job.sha256) is None


def test_a_second_run_of_the_same_job_cannot_write_the_same_batch(tuyen_quang, fonds, tmp_path):
    path = write(tmp_path, inventory(files=2, documents_per_file=2))
    job = new_job(tuyen_quang, path)
    # Another process has written up to row 3 since this run read the checkpoint.
    stale = ImportJob.objects.get(pk=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(rows_done=3, status=ImportStatus.IMPORTING)
    stale.rows_done = 0
    result = run_job(stale, path=path, batch_size=3)
    assert "đang được ghi ở nơi khác" in result.message
    assert not RecordFile.objects.exists()


# Model rules, applied without full_clean ---------------------------------------------------------------


RULE_CASES = {
    "risk recovery needs its status": (
        ["Chế độ dự phòng", "Tình trạng dự phòng"],
        ["1", ""],
        "Tình trạng dự phòng",
        "Khi có chế độ dự phòng",
    ),
    "opening date only for conditional access": (
        ["Chế độ sử dụng", "Ngày mở"],
        ["Công khai", "01/01/2030"],
        "Ngày mở",
        "Ngày mở chỉ dùng cho tài liệu",
    ),
    "a digitized file needs its paper code": (
        ["Mức độ tin cậy", "Mã hồ sơ gốc giấy"],
        ["Số hóa", ""],
        "Mã hồ sơ gốc giấy",
        "Hồ sơ số hóa phải có",
    ),
    "end before start": (["Thời gian kết thúc"], ["2018"], "Thời gian kết thúc", "sớm hơn thời gian bắt đầu"),
    "title too long": (["Ghi chú"], ["x" * 2001], "Ghi chú", "vượt quá 2000 ký tự"),
}


@pytest.mark.parametrize("case", RULE_CASES)
def test_model_rules_are_reported_per_row(tuyen_quang, fonds, tmp_path, case):
    headers, cells, column, message = RULE_CASES[case]
    rows = [
        ["Mã phông", "Mã hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu", *headers],
        ["H19", "H19.2019.01", "Hồ sơ", "2019", *cells],
    ]
    path = write(tmp_path, rows)
    job = run_job(new_job(tuyen_quang, path), path=path)
    assert job.status == ImportStatus.INVALID
    [error] = errors(job)
    assert (error["row"], error["column"]) == (2, column)
    assert message in error["message"]
    assert not RecordFile.objects.exists()


def test_model_rules_use_the_existing_records_values_on_update(tuyen_quang, fonds, tmp_path):
    """A digitized file already has its paper code: updating its title is fine."""
    RecordFileFactory(
        series=None,
        fonds=fonds,
        year=2019,
        file_number="01",
        reliability="02",
        paper_file_code="LT08.K1.H2.15",
    )
    rows = [
        ["Mã phông", "Mã hồ sơ", "Tiêu đề hồ sơ", "Mức độ tin cậy"],
        ["H19", "H19.2019.01", "Tiêu đề mới", "02"],
    ]
    path = write(tmp_path, rows)
    job = run_job(new_job(tuyen_quang, path), path=path)
    assert job.status == ImportStatus.DONE, errors(job)
    assert RecordFile.objects.get().title == "Tiêu đề mới"


def test_document_page_count_and_notation_lengths(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Ký hiệu",
            "Số lượng trang",
            "Trích yếu nội dung",
        ],
        ["H19", "H19.2019.01", "Hồ sơ", "H19.2019.01.1", "02", "Q" * 31, "10000", "Một"],
    ]
    path = write(tmp_path, rows)
    job = run_job(new_job(tuyen_quang, path), path=path)
    assert [issue["column"] for issue in errors(job)] == ["Ký hiệu", "Số lượng trang"]


def test_derived_codes_are_those_save_gives(tuyen_quang, fonds, tmp_path):
    SeriesFactory(fonds=fonds, number="03")
    rows = [
        [
            "Mã phông",
            "Mục lục số",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Thời gian bắt đầu",
            "Thời gian kết thúc",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Ngày tháng năm",
            "Trích yếu nội dung",
        ],
        ["H19", "03", "000.00.00.G09.2010.01.TH.03", "Hồ sơ tổng hợp", "03/2010", "2011", "", "", "", ""],
        [
            "H19",
            "03",
            "000.00.00.G09.2010.01.TH.03",
            "",
            "",
            "",
            "000.00.00.G09.2010.01.TH.03.7",
            "02",
            "05/03/2010",
            "Một",
        ],
    ]
    path = write(tmp_path, rows)
    job = run_job(new_job(tuyen_quang, path), path=path)
    assert job.status == ImportStatus.DONE, errors(job)
    record_file = RecordFile.objects.get()
    document = record_file.documents.get()
    imported = {
        "file": (
            record_file.creator_code,
            record_file.year,
            record_file.file_number,
            record_file.file_code,
            record_file.reference_code,
            record_file.start_year,
            record_file.end_year,
        ),
        "document": (document.doc_id, document.doc_code, document.reference_code, document.issued_year),
    }
    record_file.save()
    document.save()
    assert imported["file"] == (
        record_file.creator_code,
        record_file.year,
        record_file.file_number,
        record_file.file_code,
        record_file.reference_code,
        record_file.start_year,
        record_file.end_year,
    )
    assert imported["document"] == (
        document.doc_id,
        document.doc_code,
        document.reference_code,
        document.issued_year,
    )
    assert record_file.file_code == "000.00.00.G09.2010.01.TH.03"
    assert document.doc_code == "000.00.00.G09.2010.01.TH.03.0000007"


def test_new_code_taken_as_another_records_former_code(tuyen_quang, fonds, tmp_path):
    old = DocumentFactory(file=RecordFileFactory(series=None, fonds=fonds, year=2018, file_number="09"))
    from collections_app.codes import record_alias

    record_alias(old, "LT08.H19.2019.01.1")
    path = write(tmp_path, inventory(files=1, documents_per_file=1))
    job = run_job(new_job(tuyen_quang, path), path=path)
    assert job.status == ImportStatus.INVALID
    assert "đang là mã (hoặc mã cũ) của một bản ghi khác" in errors(job)[0]["message"]


# The command -------------------------------------------------------------------------------------------


def test_command_dry_run_prints_the_report(tuyen_quang, fonds, tmp_path, capsys):
    rows = inventory(files=1, documents_per_file=2)
    rows[0].append("Cột lạ")
    path = write(tmp_path, rows)
    call_command("import_records", str(path), "--archive", "tuyen-quang", "--dry-run")
    captured = capsys.readouterr()
    assert "Đã kiểm tra 3 dòng: 0 lỗi, 1 cảnh báo." in captured.out
    assert "Sẽ tạo: phông 0, mục lục 0, hồ sơ 1, tài liệu 2" in captured.out
    assert "Cột không nhập: “Cột lạ” (cột J)" in captured.out
    assert "Hợp lệ (chạy thử)" in captured.out
    assert "Kiểm tra: 3 dòng (100 %)" in captured.err  # the progress line
    assert not RecordFile.objects.exists()


def test_command_with_errors_exits_with_the_report(tuyen_quang, fonds, tmp_path, capsys):
    rows = inventory(files=1, documents_per_file=1)
    rows[2][4] = "H20.2019.01.1"
    path = write(tmp_path, rows)
    with pytest.raises(CommandError, match="Tệp có 1 lỗi: chưa ghi gì"):
        call_command("import_records", str(path), "--archive", "LT08")
    out = capsys.readouterr().out
    assert (
        "[lỗi] dòng 3, cột “Mã định danh tài liệu”: “H20.2019.01.1” Mã “H20.2019.01.1” không bắt đầu" in out
    )
    assert not RecordFile.objects.exists()


def test_command_resume_continues_an_interrupted_import(tuyen_quang, fonds, tmp_path, capsys, monkeypatch):
    path = write(tmp_path, inventory(files=3, documents_per_file=3))
    monkeypatch.setattr("collections_app.ingest.importing.jobs.Writer", CrashingWriter)
    with pytest.raises(CommandError, match="Bị gián đoạn sau dòng 4"):
        call_command("import_records", str(path), "--archive", "LT08", "--batch-size", "2")
    monkeypatch.undo()
    assert Document.objects.count() == 3
    with pytest.raises(CommandError, match="Không có lần nhập bị gián đoạn"):
        call_command(
            "import_records",
            str(write(tmp_path, inventory(files=1), name="khac.csv")),
            "--archive",
            "LT08",
            "--resume",
        )
    call_command("import_records", str(path), "--archive", "LT08", "--resume", "--batch-size", "2")
    out = capsys.readouterr().out
    assert "Tiếp tục lần nhập" in out and "từ dòng 5" in out
    assert "Hoàn thành" in out
    assert RecordFile.objects.count() == 3 and Document.objects.count() == 9


def test_command_rejects_an_unknown_archive(tmp_path, db):
    path = write(tmp_path, inventory(files=1))
    with pytest.raises(CommandError, match="Không có cơ quan lưu trữ nào có đường dẫn hoặc mã “LT404”"):
        call_command("import_records", str(path), "--archive", "LT404")


def test_command_attaches_scans_named_in_the_scan_path_column(tuyen_quang, fonds, tmp_path, capsys):
    from collections_app.ingest import samples
    from collections_app.models import DigitalObject

    scans = tmp_path / "ban-quet"
    (scans / "Hop 01").mkdir(parents=True)
    (scans / "Hop 01" / "H19.2019.01.1.png").write_bytes(samples.png_page(dpi=100))
    rows = [
        HEADER + ["Đường dẫn tệp quét"],
        ["H19", "H19.2019.01", "Hồ sơ", "2019", "", "", "", "", "", ""],
        [
            "H19",
            "H19.2019.01",
            "",
            "",
            "H19.2019.01.1",
            "02",
            "1",
            "QĐ-UBND",
            "Một",
            r"Hop 01\H19.2019.01.1.png",
        ],
        [
            "H19",
            "H19.2019.01",
            "",
            "",
            "H19.2019.01.2",
            "02",
            "2",
            "QĐ-UBND",
            "Hai",
            r"Hop 01\H19.2019.01.2.png",
        ],
    ]
    path = write(tmp_path, rows)
    call_command("import_records", str(path), "--archive", "LT08", "--scans", str(scans))
    out = capsys.readouterr().out
    assert r"[thiếu] Hop 01\H19.2019.01.2.png" in out
    assert "Tệp quét: 1 đã gắn, 0 trùng, 0 bị từ chối, 1 không tìm thấy" in out
    scan = DigitalObject.objects.get()
    assert scan.document == Document.objects.get(ordinal=1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pipelined_writing_on_a_second_connection_interrupts_and_resumes(tuyen_quang, tmp_path):
    """Outside a transaction the runner writes on a second connection while it prepares the next
    batch; a failure there interrupts the job after whole batches, and the resume completes it."""
    FondsFactory(archive=tuyen_quang, code="H19", creator_code="", name="UBND huyện Long Thành")
    path = write(tmp_path, inventory(files=5, documents_per_file=3))  # 20 rows, batches of 3
    job = run_job(new_job(tuyen_quang, path), path=path, batch_size=3, writer_class=CrashingWriter)
    assert (job.status, job.rows_done) == (ImportStatus.INTERRUPTED, 6)
    assert RecordFile.objects.count() == 2 and Document.objects.count() == 4
    done = run_job(find_resumable(tuyen_quang, job.sha256), path=path, batch_size=3)
    assert (done.status, done.rows_done, done.created_count) == (ImportStatus.DONE, 20, 20)
    assert Document.objects.count() == 15
    assert Document.objects.values("reference_code").distinct().count() == 15


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_kill_9_mid_import_leaves_whole_batches_and_resume_writes_each_row_once(tuyen_quang, tmp_path):
    """A real ``manage.py import_records`` process, killed with SIGKILL while it writes."""
    if connection.vendor != "postgresql":
        pytest.skip(reason="another process cannot open this test run's in-memory SQLite database")
    FondsFactory(archive=tuyen_quang, code="H19", creator_code="", name="UBND huyện Long Thành")
    per_file = 9
    path = write(tmp_path, inventory(files=2500, documents_per_file=per_file))  # 25,000 rows
    details = connection.settings_dict
    database_url = (
        f"postgres://{quote(details['USER'] or '')}:{quote(details['PASSWORD'] or '')}@"
        f"{details['HOST'] or 'localhost'}:{details['PORT'] or 5432}/{details['NAME']}"
    )
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "archivecms.settings.test",
    }
    process = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
        [
            sys.executable,
            "manage.py",
            "import_records",
            str(path),
            "--archive",
            "LT08",
            "--batch-size",
            "250",
        ],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not ImportJob.objects.filter(archive=tuyen_quang, rows_done__gte=500).exists():
            assert process.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline, "the import did not start writing"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    job = ImportJob.objects.get(archive=tuyen_quang)
    assert job.status == ImportStatus.IMPORTING  # nobody was left to record the interruption
    assert 500 <= job.rows_done < 25_000 and job.rows_done % 250 == 0
    files_done, rest = divmod(job.rows_done, per_file + 1)
    assert RecordFile.objects.count() == files_done + (1 if rest else 0)
    assert Document.objects.count() == files_done * per_file + max(0, rest - 1)

    resumed = run_job(find_resumable(tuyen_quang, job.sha256), path=path, batch_size=250)
    assert (resumed.pk, resumed.status, resumed.rows_done) == (job.pk, ImportStatus.DONE, 25_000)
    assert RecordFile.objects.count() == 2500
    assert Document.objects.count() == 22_500
    assert Document.objects.values("reference_code").distinct().count() == 22_500


# Audit ----------------------------------------------------------------------------------------------


def test_an_import_that_writes_is_in_the_history_and_the_preservation_log(
    client, tuyen_quang, fonds, tmp_path, admin_user
):
    trial = write(tmp_path, inventory(files=1, documents_per_file=1), name="thu.csv")
    run_job(new_job(tuyen_quang, trial, dry_run=True), path=trial)
    path = write(tmp_path, inventory(files=2, documents_per_file=3))
    job = new_job(tuyen_quang, path)
    job.started_by = admin_user
    job.save()

    assert run_job(job, path=path).status == ImportStatus.DONE

    entry = ModelLogEntry.objects.get(action="collections_app.import")
    assert entry.object_id == str(job.pk) and entry.user == admin_user
    assert (entry.data["created"], entry.data["updated"], entry.data["file"]) == (8, 0, "kiem-ke.csv")
    event = PreservationEvent.objects.get(event_type=EventType.INGESTION)
    assert event.archive == tuyen_quang and event.agent_name == admin_user.get_username()
    assert event.object_identifier == f"sha256:{job.sha256}"
    message = "Nhập tệp “kiem-ke.csv”: 8 bản ghi mới, 0 bản ghi cập nhật."
    assert event.detail == message
    client.force_login(admin_user)
    assert message in client.get(reverse("wagtailadmin_reports:site_history")).content.decode()
