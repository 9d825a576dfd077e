"""``ingest_scans DIR --archive CODE [--dry-run]`` on a real folder of scans named by reference code."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from collections_app.codes import record_alias
from collections_app.factories import DocumentFactory, FondsFactory, RecordFileFactory, SeriesFactory
from collections_app.ingest import samples
from collections_app.models import DigitalObject

pytestmark = pytest.mark.django_db

DPI = 100


@pytest.fixture
def storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


@pytest.fixture
def records(tuyen_quang):
    record_file = RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    documents = [DocumentFactory(file=record_file, ordinal=number) for number in (1, 2, 3, 4)]
    single_pdf_file = RecordFileFactory(series=record_file.series)
    return {"file": record_file, "documents": documents, "single_pdf_file": single_pdf_file}


@pytest.fixture
def scan_folder(tmp_path, records):
    """A delivery from a scanning contractor: nested folders, files named by code, a few mistakes."""
    first, second, third, fourth = records["documents"]
    record_alias(fourth, f"LT08.{records['file'].file_code}.40")
    files = {
        f"hop-01/{first.doc_id}.pdf": samples.pdf_scan(["Trang một", "Trang hai"], dpi=DPI),
        f"hop-01/ho-so/{records['single_pdf_file'].file_code}.tif": samples.tiff_page(dpi=DPI),
        f"hop-02/{second.reference_code}.jpg": samples.jpeg_page(dpi=DPI),
        f"hop-02/{records['file'].file_code}.40.png": samples.png_page(dpi=DPI),
        f"hop-02/loi/{third.doc_id}.pdf": "Đây là văn bản, không phải bản quét".encode(),
        "hop-03/H99.99.2020.01.1.pdf": samples.pdf_scan(["Không có hồ sơ"], dpi=DPI),
        "hop-03/Thumbs.db": b"\x00" * 64,
    }
    for relative, content in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return tmp_path


def run(*args):
    out = io.StringIO()
    try:
        call_command("ingest_scans", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), None


def test_dry_run_reports_everything_and_writes_nothing(storage, scan_folder, records):
    first, second, third, fourth = records["documents"]
    output, error = run(str(scan_folder), "--archive", "tuyen-quang", "--dry-run")

    lines = output.splitlines()
    assert f"[sẽ lưu] hop-01/{first.doc_id}.pdf: Sẽ gắn vào tài liệu {first.reference_code}" in output
    assert any(
        line.startswith(f"[sẽ lưu] hop-01/ho-so/{records['single_pdf_file'].file_code}.tif") for line in lines
    )
    assert f"[sẽ lưu] hop-02/{second.reference_code}.jpg" in output
    assert (
        f"[sẽ lưu] hop-02/{records['file'].file_code}.40.png: Sẽ gắn vào tài liệu {fourth.reference_code}"
        in output
    )
    assert (
        f"[từ chối] hop-02/loi/{third.doc_id}.pdf: Đuôi tên tệp là “.pdf” nhưng nội dung thực là văn bản"
        in output
    )
    assert "[không rõ mã] hop-03/H99.99.2020.01.1.pdf: Không tìm thấy hồ sơ hoặc tài liệu" in output
    assert "Thumbs.db" not in output
    assert "Chạy thử, chưa ghi gì. 6 tệp: sẽ lưu 4, trùng 0, từ chối 1, không rõ mã 1, lỗi 0." in output
    assert "2 tệp không gắn được" in error
    assert not DigitalObject.objects.exists()
    assert not storage.exists("scans")


def test_real_run_attaches_each_scan_and_fails_on_refusals(storage, scan_folder, records, tuyen_quang):
    first, second, third, fourth = records["documents"]
    output, error = run(str(scan_folder), "--archive", "LT08")

    assert f"[đã lưu] hop-01/{first.doc_id}.pdf: Đã lưu, gắn vào tài liệu {first.reference_code}" in output
    assert "6 tệp: đã lưu 4, trùng 0, từ chối 1, không rõ mã 1, lỗi 0." in output
    assert error is not None  # a refused file makes the command exit non-zero
    attached = {scan.original_name: scan.record for scan in DigitalObject.objects.all()}
    assert attached == {
        f"{first.doc_id}.pdf": first,
        f"{records['single_pdf_file'].file_code}.tif": records["single_pdf_file"],
        f"{second.reference_code}.jpg": second,
        f"{records['file'].file_code}.40.png": fourth,
    }
    assert DigitalObject.objects.get(document=first).page_count == 2
    assert not third.digital_objects.exists()
    assert all(scan.archive == tuyen_quang for scan in DigitalObject.objects.all())


def test_running_again_reports_duplicates_and_stores_nothing_new(storage, tmp_path, records):
    first = records["documents"][0]
    (tmp_path / f"{first.doc_id}.pdf").write_bytes(samples.pdf_scan(["Trang một"], dpi=DPI))
    output, error = run(str(tmp_path), "--archive", "tuyen-quang")
    assert error is None
    assert "1 tệp: đã lưu 1" in output
    (tmp_path / "ban-sao").mkdir()
    (tmp_path / "ban-sao" / f"{records['documents'][1].doc_id}.pdf").write_bytes(
        (tmp_path / f"{first.doc_id}.pdf").read_bytes()
    )

    output, error = run(str(tmp_path), "--archive", "tuyen-quang")

    assert error is None
    assert (
        f"[trùng] ban-sao/{records['documents'][1].doc_id}.pdf: Trùng với tệp “{first.doc_id}.pdf”" in output
    )
    assert "2 tệp: đã lưu 0, trùng 2" in output
    assert DigitalObject.objects.count() == 1


def test_dry_run_spots_the_same_scan_twice_in_the_folder(storage, tmp_path, records):
    first, second = records["documents"][:2]
    content = samples.png_page(dpi=DPI)
    (tmp_path / f"{first.doc_id}.png").write_bytes(content)
    (tmp_path / f"{second.doc_id}.png").write_bytes(content)
    output, _error = run(str(tmp_path), "--archive", "tuyen-quang", "--dry-run")
    assert (
        f"[trùng] {second.doc_id}.png: Trùng nội dung với “{first.doc_id}.png” trong cùng thư mục" in output
    )


def test_an_unknown_archive_or_folder_is_a_clear_error(tuyen_quang, tmp_path):
    assert (
        "Không có cơ quan lưu trữ nào có đường dẫn hoặc mã “LT99”"
        in run(str(tmp_path), "--archive", "LT99")[1]
    )
    missing = tmp_path / "khong-co"
    assert f"Không tìm thấy thư mục “{missing}”" in run(str(missing), "--archive", "LT08")[1]
