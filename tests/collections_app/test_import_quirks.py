"""Inventories as archives really keep them import without hand editing (import_records' reading side).

Each test writes a real file (CSV bytes in the encoding under test, or an XLSX made with
openpyxl), runs the import job on it and checks the records written and the report users read.
"""

import csv
import datetime
import hashlib
import io
import unicodedata

import openpyxl
import pytest

from collections_app.codes import resolve_reference
from collections_app.factories import FondsFactory, RecordFileFactory, SeriesFactory
from collections_app.ingest.importing.jobs import run_job
from collections_app.models import (
    AdministrativeUnit,
    AliasReason,
    Category,
    Document,
    Fonds,
    ImportJob,
    ImportStatus,
    RecordFile,
    ReferenceAlias,
    Series,
)

pytestmark = pytest.mark.django_db

FILE_HEADER = [
    "Mã phông",
    "Tên phông",
    "Mã hồ sơ",
    "Tiêu đề hồ sơ",
    "Thời gian bắt đầu",
    "Thời gian kết thúc",
]
DOC_HEADER = [
    "Mã hồ sơ",
    "Mã định danh tài liệu",
    "Tên loại tài liệu",
    "Số",
    "Ký hiệu",
    "Ngày tháng năm",
    "Cơ quan ban hành",
    "Trích yếu nội dung",
]


def csv_bytes(rows, delimiter=";", encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_bytes(archive, tmp_path, content, name="muc-luc.csv", dry_run=False, **options):
    path = tmp_path / name
    path.write_bytes(content)
    job = ImportJob.objects.create(
        archive=archive, original_name=name, sha256=hashlib.sha256(content).hexdigest(), dry_run=dry_run
    )
    return run_job(job, path=path, **options)


def problems(job, level="error"):
    return [issue for issue in job.report["issues"] if issue["level"] == level]


def messages(job, level="error"):
    return " | ".join(
        f"{issue['column']}: {issue['message']} {issue['hint']}" for issue in problems(job, level)
    )


def basic_rows(**overrides):
    """A fonds to create, one file, two documents — the smallest inventory."""
    header = FILE_HEADER + DOC_HEADER[1:]
    rows = [
        [
            "H19",
            "UBND huyện Long Thành",
            "H19.2019.01",
            "Hồ sơ giao đất tại xã Long Thọ",
            "05/03/2019",
            "20/12/2019",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "H19",
            "",
            "H19.2019.01",
            "",
            "",
            "",
            "H19.2019.01.1",
            "Quyết định",
            "1234",
            "QĐ-UBND",
            "05/03/2019",
            "UBND huyện Long Thành",
            "Về việc giao đất ở cho hộ ông Nguyễn Văn Bình",
        ],
        [
            "H19",
            "",
            "H19.2019.01",
            "",
            "",
            "",
            "H19.2019.01.2",
            "Công văn",
            "15",
            "UBND-KT",
            "10/04/2019",
            "UBND huyện Long Thành",
            "Về việc đo đạc thửa đất",
        ],
    ]
    return [header] + rows


@pytest.fixture
def fonds(tuyen_quang):
    return FondsFactory(archive=tuyen_quang, code="H19", creator_code="", name="UBND huyện Long Thành")


# Encodings and separators -------------------------------------------------------------------------


def test_utf8_with_bom_and_semicolons(tuyen_quang, tmp_path):
    content = b"\xef\xbb\xbf" + csv_bytes(basic_rows(), delimiter=";")
    job = import_bytes(tuyen_quang, tmp_path, content)
    assert job.status == ImportStatus.DONE, messages(job)
    assert job.report["encoding"] == "UTF-8 (có BOM)"
    assert job.report["delimiter"] == ";"
    record_file = RecordFile.objects.get()
    assert record_file.fonds.code == "H19"  # the BOM did not hide the first header
    assert record_file.title == "Hồ sơ giao đất tại xã Long Thọ"
    assert sorted(Document.objects.values_list("doc_id", flat=True)) == ["H19.2019.01.1", "H19.2019.01.2"]


def to_windows_1258(text):
    """Text as Windows-1258 writes Vietnamese: base letters with their vowel marks, tone marks apart."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    written = []
    for character in text:
        parts = unicodedata.normalize("NFD", character)
        base = unicodedata.normalize("NFC", "".join(part for part in parts if part not in tones))
        written.append(base + "".join(part for part in parts if part in tones))
    return "".join(written).encode("cp1258")


def test_windows_1258_is_decoded_and_normalised_to_nfc(tuyen_quang, tmp_path):
    text = "\r\n".join(";".join(row) for row in basic_rows())
    content = to_windows_1258(text)
    assert b"\xcc" in content or b"\xd2" in content  # a separate tone mark byte: really decomposed
    job = import_bytes(tuyen_quang, tmp_path, content)
    assert job.status == ImportStatus.DONE, messages(job)
    assert job.report["encoding"] == "Windows-1258"
    record_file = RecordFile.objects.get()
    assert record_file.title == "Hồ sơ giao đất tại xã Long Thọ"
    assert unicodedata.is_normalized("NFC", record_file.title)
    document = Document.objects.get(ordinal=1)
    assert document.title == "Về việc giao đất ở cho hộ ông Nguyễn Văn Bình"
    assert document.type_name == "02"


def test_comma_separated_with_quoted_commas(tuyen_quang, tmp_path):
    rows = basic_rows()
    rows[0].append("Nhóm tài liệu")
    rows[1].append("")
    rows[2].append("Quy hoạch, xây dựng; đất đai")
    rows[3].append("")
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows, delimiter=","))
    assert job.status == ImportStatus.DONE, messages(job)
    assert job.report["delimiter"] == ","
    document = Document.objects.get(ordinal=1)
    assert sorted(document.categories.values_list("slug", flat=True)) == ["dat-dai", "quy-hoach-xay-dung"]


# Excel -----------------------------------------------------------------------------------------------


def test_xlsx_with_title_rows_merged_file_cells_and_excel_dates(tuyen_quang, fonds, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Mục lục văn bản"
    sheet.append(["MỤC LỤC VĂN BẢN"])
    sheet.merge_cells("A1:H1")
    sheet.append(["Phông: UBND huyện Long Thành"])
    sheet.append(
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Số",
            "Ngày tháng năm",
            "Trích yếu nội dung",
            "Ngôn ngữ",
        ]
    )
    sheet.append(
        [
            "H19",
            "H19.2019.01",
            "Hồ sơ giao đất",
            "H19.2019.01.1",
            "Quyết định",
            1234,
            datetime.datetime(2019, 3, 5),
            "Về việc giao đất",
            1,
        ]
    )
    sheet.append(
        [
            None,
            None,
            None,
            "H19.2019.01.2",
            "Tờ trình",
            56,
            datetime.datetime(2019, 3, 1),
            "Đề nghị giao đất",
            1,
        ]
    )
    sheet.append([None, None, None, "H19.2019.01.3", "Biên bản", None, 2019, "Biên bản đo đạc", "1"])
    for column in "ABC":
        sheet.merge_cells(f"{column}4:{column}6")
    job = import_bytes(tuyen_quang, tmp_path, xlsx_bytes(workbook), name="muc-luc.xlsx")
    assert job.status == ImportStatus.DONE, messages(job)
    record_file = RecordFile.objects.get()
    assert record_file.title == "Hồ sơ giao đất"
    documents = list(record_file.documents.order_by("ordinal"))
    assert [document.doc_id for document in documents] == ["H19.2019.01.1", "H19.2019.01.2", "H19.2019.01.3"]
    assert [document.issued_date for document in documents] == ["2019-03-05", "2019-03-01", "2019"]
    assert documents[0].code_number == "1234"  # a number cell, not "1234.0"
    assert all(document.languages == ["01"] for document in documents)  # 1 → "01"
    assert [issue["row"] for issue in job.report["issues"]] == []


def test_xlsx_merged_cell_value_applies_to_every_covered_row(tuyen_quang, fonds, tmp_path):
    """Without expanding the merge, rows 3 and 4 would name no file and be refused."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Trích yếu nội dung",
        ]
    )
    sheet.append(["H19", "H19.2020.05", "Hồ sơ thu hồi đất", "H19.2020.05.1", "02", "Quyết định thu hồi"])
    sheet.append([None, None, None, "H19.2020.05.2", "02", "Quyết định bồi thường"])
    sheet.append([None, None, None, "H19.2020.05.3", "02", "Quyết định hỗ trợ"])
    sheet.merge_cells("A2:A4")
    sheet.merge_cells("B2:B4")
    job = import_bytes(tuyen_quang, tmp_path, xlsx_bytes(workbook), name="thu-hoi.xlsx")
    assert job.status == ImportStatus.DONE, messages(job)
    assert RecordFile.objects.get().documents.count() == 3


def test_xlsx_one_sheet_per_level(tuyen_quang, fonds, tmp_path):
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Hướng dẫn"
    notes.append(["Bảng này do phòng lưu trữ lập"])
    documents = workbook.create_sheet("Tài liệu")
    documents.append(["Mã hồ sơ", "Mã định danh tài liệu", "Tên loại tài liệu", "Trích yếu nội dung"])
    documents.append(["H19.2021.02", "H19.2021.02.1", "Quyết định", "Về việc cấp giấy chứng nhận"])
    files = workbook.create_sheet("Hồ sơ")
    files.append(["Mã phông", "Mã hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu"])
    files.append(["H19", "H19.2021.02", "Hồ sơ cấp giấy chứng nhận", "2021"])
    job = import_bytes(tuyen_quang, tmp_path, xlsx_bytes(workbook), name="hai-trang.xlsx")
    assert job.status == ImportStatus.DONE, messages(job)
    record_file = RecordFile.objects.get()
    assert record_file.documents.get().title == "Về việc cấp giấy chứng nhận"
    # The files' sheet is read first, whatever its place; the other sheet is reported, not ignored silently.
    assert "Hướng dẫn" in messages(job, "warning")


# Columns --------------------------------------------------------------------------------------------


def test_dates_split_into_day_month_year_columns(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Ngày",
            "Tháng",
            "Năm",
            "Trích yếu nội dung",
        ],
        [
            "H19",
            "H19.2019.01",
            "Hồ sơ giao đất",
            "H19.2019.01.1",
            "02",
            "5",
            "3",
            "2019",
            "Quyết định giao đất",
        ],
        ["H19", "H19.2019.01", "", "H19.2019.01.2", "02", "", "04", "2019", "Quyết định bổ sung"],
        ["H19", "H19.2019.01", "", "H19.2019.01.3", "02", "", "", "2019", "Quyết định điều chỉnh"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    assert list(Document.objects.order_by("ordinal").values_list("issued_date", "issued_year")) == [
        ("2019-03-05", 2019),
        ("2019-04", 2019),
        ("2019", 2019),
    ]


def test_day_without_month_is_reported(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Ngày",
            "Tháng",
            "Năm",
            "Trích yếu nội dung",
        ],
        ["H19", "H19.2019.01", "Hồ sơ giao đất", "H19.2019.01.1", "02", "5", "", "2019", "Quyết định"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.INVALID
    assert "thiếu tháng" in messages(job)
    assert not Document.objects.exists()


def test_same_header_twice_is_the_files_then_the_documents(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Ngôn ngữ",
            "Chế độ sử dụng",
            "Ghi chú",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Trích yếu nội dung",
            "Ngôn ngữ",
            "Chế độ sử dụng",
            "Ghi chú",
        ],
        [
            "H19",
            "H19.2019.01",
            "Hồ sơ đối ngoại",
            "Tiếng Việt",
            "Công khai",
            "Lập năm 2020",
            "H19.2019.01.1",
            "Công văn",
            "Thư gửi đối tác",
            "Tiếng Anh",
            "Sử dụng có điều kiện",
            "Bản dịch kèm theo",
        ],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    record_file = RecordFile.objects.get()
    document = record_file.documents.get()
    assert (record_file.languages, record_file.access_regime, record_file.description) == (
        ["01"],
        "01",
        "Lập năm 2020",
    )
    assert (document.languages, document.access_regime, document.description) == (
        ["02"],
        "02",
        "Bản dịch kèm theo",
    )


def test_headers_match_ignoring_case_accents_and_xml_names(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "MA PHONG",
            "fileCode",
            "tieu de ho so",
            "docId",
            "typeName",
            "codeNumber",
            "codeNotation",
            "issuedDate",
            "subject (Trích yếu)",
        ],
        [
            "H19",
            "H19.2019.01",
            "Hồ sơ giao đất",
            "H19.2019.01.1",
            "02",
            "12",
            "QĐ-UBND",
            "05/03/2019",
            "Quyết định giao đất",
        ],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    assert Document.objects.get().citation.startswith("Quyết định số 12/QĐ-UBND ngày 05/03/2019")


def test_vocabulary_labels_codes_and_lost_leading_zeros(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Thời hạn lưu trữ",
            "Chế độ sử dụng",
            "Ngôn ngữ",
            "Tình trạng vật lý",
            "Mức độ tin cậy",
            "Mã hồ sơ gốc giấy",
        ],
        ["H19", "H19.2019.01", "Hồ sơ một", "Vĩnh viễn", "Công khai", "Tiếng Việt", "Tốt", "", ""],
        ["H19", "H19.2019.02", "Hồ sơ hai", "2", "2", "1, 2", "1", "02", "LT08.K1.G2.H3.15"],
        [
            "H19",
            "H19.2019.03",
            "Hồ sơ ba",
            "70 năm",
            "su dung co dieu kien",
            "tieng viet; Anh",
            "Hỏng",
            "Hỗn hợp",
            "",
        ],
        ["H19", "H19.2019.04", "Hồ sơ bốn", "06", "03", "Việt - Anh", "binh thuong", "gốc điện tử", ""],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    stored = list(
        RecordFile.objects.order_by("file_number").values_list(
            "retention", "access_regime", "languages", "condition", "reliability"
        )
    )
    assert stored == [
        ("01", "01", ["01"], "01", ""),
        ("02", "02", ["01", "02"], "01", "02"),
        ("02", "02", ["01", "02"], "03", "03"),
        ("06", "03", ["06"], "02", "01"),
    ]


def test_unknown_vocabulary_value_is_an_error_naming_the_accepted_values(tuyen_quang, fonds, tmp_path):
    rows = [
        ["Mã phông", "Mã hồ sơ", "Tiêu đề hồ sơ", "Thời hạn lưu trữ"],
        ["H19", "H19.2019.01", "Hồ sơ một", "Lâu dài"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.INVALID
    [error] = problems(job)
    assert (error["row"], error["column"], error["value"]) == (2, "Thời hạn lưu trữ", "Lâu dài")
    assert "không có trong danh mục" in error["message"]
    assert "01 Vĩnh viễn" in error["hint"] and "07 Khác" in error["hint"]
    assert not RecordFile.objects.exists()


def test_document_type_spelled_out_inferred_or_unknown(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Ký hiệu",
            "Trích yếu nội dung",
        ],
        ["H19", "H19.2019.01", "Hồ sơ", "H19.2019.01.1", "quyết định", "", "Một"],
        ["H19", "H19.2019.01", "", "H19.2019.01.2", "Tờ khai", "", "Hai"],
        ["H19", "H19.2019.01", "", "H19.2019.01.3", "", "TTr-STNMT", "Ba"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    assert list(Document.objects.order_by("ordinal").values_list("type_name", flat=True)) == [
        "02",
        "32",
        "15",
    ]
    warnings = messages(job, "warning")
    assert "“Tờ khai” không có trong danh mục; đã ghi là 32 Khác" in warnings
    assert "02 Quyết định" in warnings  # the accepted values are named
    assert "đã lấy “Tờ trình” theo ký hiệu" in warnings


def test_document_without_any_type_is_an_error(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Trích yếu nội dung",
        ],
        ["H19", "H19.2019.01", "Hồ sơ", "H19.2019.01.1", "", "Một"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.INVALID
    assert "Hãy chọn tên loại văn bản" in messages(job)


def test_notations_lose_stray_spaces_and_slashes(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Số",
            "Ký hiệu",
            "Số, ký hiệu",
            "Trích yếu nội dung",
        ],
        ["H19", "H19.2019.01", "Hồ sơ", "H19.2019.01.1", "02", "1234", "/ QĐ-UBND", "", "Một"],
        ["H19", "H19.2019.01", "", "H19.2019.01.2", "02", "", " QĐ - UBND / ", "", "Hai"],
        ["H19", "H19.2019.01", "", "H19.2019.01.3", "02", "", "", "56 / QĐ-UBND", "Ba"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    assert list(Document.objects.order_by("ordinal").values_list("code_number", "code_notation")) == [
        ("1234", "QĐ-UBND"),
        ("", "QĐ-UBND"),
        ("56", "QĐ-UBND"),
    ]


def test_box_sheet_and_scan_path_columns(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Hộp số",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Tờ số",
            "Trích yếu nội dung",
            "Đường dẫn tệp quét",
        ],
        [
            "H19",
            "12",
            "H19.2019.01",
            "Hồ sơ",
            "H19.2019.01.1",
            "02",
            "01-04",
            "Một",
            r"Phong H19\Hop 12\H19.2019.01.1.pdf",
        ],
        [
            "H19",
            "12",
            "H19.2019.01",
            "Hồ sơ",
            "H19.2019.01.2",
            "02",
            "05",
            "Hai",
            r"Phong H19\Hop 12\scan_0002.pdf",
        ],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    assert RecordFile.objects.get().box == "12"
    assert Document.objects.get(ordinal=1).description == "Tờ số: 01-04"
    assert job.report["scans"] == 2
    [warning] = problems(job, "warning")
    assert warning["row"] == 3
    assert "“scan_0002.pdf” không trùng với mã định danh “H19.2019.01.2”" in warning["message"]
    full_report = ImportJob.objects.get(pk=job.pk).report["report_file"]
    from django.core.files.storage import default_storage

    with default_storage.open(full_report, "rb") as handle:
        text = handle.read().decode("utf-8-sig")
    assert "Tệp quét của H19.2019.01.1: H19.2019.01.1.pdf" in text


def test_unknown_columns_are_reported_not_dropped_silently(tuyen_quang, fonds, tmp_path):
    rows = basic_rows()
    rows[0].append("Người lập")
    for row in rows[1:]:
        row.append("Nguyễn Thị Lan")
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows), dry_run=True)
    assert job.report["unknown_columns"] == [{"sheet": "", "column": "Người lập", "position": "N"}]
    assert "Cột “Người lập” không phải là trường nhập được" in messages(job, "warning")


def test_legacy_2019_columns_are_mapped_and_old_codes_kept_as_aliases(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã cơ quan lưu trữ lịch sử",
            "Mã phông",
            "Mục lục số hoặc năm hình thành hồ sơ",
            "Số và ký hiệu hồ sơ",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Thời hạn bảo quản",
            "Thời gian bắt đầu",
            "Mã định danh văn bản",
            "Số thứ tự văn bản trong hồ sơ",
            "Tên loại văn bản",
            "Số của văn bản",
            "Ký hiệu của văn bản",
            "Ngày, tháng, năm văn bản",
            "Tên cơ quan, tổ chức ban hành văn bản",
            "Trích yếu nội dung",
        ],
        [
            "G09",
            "H19",
            "2010",
            "05",
            "G09.H19.2010.05",
            "Hồ sơ quy hoạch",
            "Vĩnh viễn",
            "2010",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "G09",
            "H19",
            "2010",
            "05",
            "G09.H19.2010.05",
            "",
            "",
            "",
            "G09.H19.2010.05.0001",
            "1",
            "Quyết định",
            "12",
            "QĐ-UBND",
            "02/02/2010",
            "UBND huyện",
            "Phê duyệt quy hoạch",
        ],
        [
            "G09",
            "H19",
            "03",
            "17",
            "G09.H19.03.17",
            "Hồ sơ đền bù",
            "Vĩnh viễn",
            "2012",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    assert job.report["legacy"] is True
    planning = RecordFile.objects.get(file_code="H19.2010.05")
    compensation = RecordFile.objects.get(title="Hồ sơ đền bù")
    assert compensation.series.number == "03"  # "series number or year": 03 is a series
    assert compensation.file_code == "H19.2012.17.03"
    for old_code, record in (
        ("G09.H19.2010.05", planning),
        ("G09.H19.03.17", compensation),
        ("G09.H19.2010.05.0001", planning.documents.get()),
    ):
        alias = ReferenceAlias.objects.get(code=old_code)
        assert alias.reason == AliasReason.LEGACY
        assert resolve_reference(old_code) == (record, True)


def test_duplicate_codes_within_the_file_name_both_rows(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Trích yếu nội dung",
        ],
        ["H19", "H19.2019.01", "Hồ sơ một", "", "", ""],
        ["H19", "H19.2019.01", "Hồ sơ một (chép lại)", "", "", ""],
        ["H19", "H19.2019.01", "", "H19.2019.01.1", "02", "Một"],
        ["H19", "H19.2019.01", "", "H19.2019.01.1", "02", "Một nữa"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.INVALID
    file_error, document_error = problems(job)
    assert file_error["row"] == 3 and "trùng với dòng 2" in file_error["message"]
    assert document_error["row"] == 5 and "trùng với dòng 4" in document_error["message"]
    assert not RecordFile.objects.exists()


def test_file_columns_repeated_on_document_rows_make_one_file(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Hộp số",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Trích yếu nội dung",
        ],
        ["H19", "H19.2019.01", "Hồ sơ một", "3", "H19.2019.01.1", "02", "Một"],
        ["H19", "H19.2019.01", "Hồ sơ một", "3", "H19.2019.01.2", "02", "Hai"],
        ["H19", "H19.2019.01", "Hồ sơ MỘT", "3", "H19.2019.01.3", "02", "Ba"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    assert RecordFile.objects.get().title == "Hồ sơ một"
    assert Document.objects.count() == 3
    [warning] = problems(job, "warning")
    assert warning["row"] == 4 and "khác với dòng 2" in warning["message"]


def test_unknown_fonds_without_name_is_an_error_with_name_is_created(tuyen_quang, tmp_path):
    without_name = [["Mã phông", "Mã hồ sơ", "Tiêu đề hồ sơ"], ["H77", "H77.2019.01", "Hồ sơ một"]]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(without_name))
    assert job.status == ImportStatus.INVALID
    assert "Phông “H77” chưa có trong cơ quan lưu trữ LT08" in messages(job)
    assert "Tên phông" in messages(job)

    with_name = [
        ["Mã phông", "Tên phông", "Mã hồ sơ", "Tiêu đề hồ sơ"],
        ["H77", "UBND xã Phước Thiền", "H77.2019.01", "Hồ sơ một"],
    ]
    dry = import_bytes(tuyen_quang, tmp_path, csv_bytes(with_name), name="b.csv", dry_run=True)
    assert dry.status == ImportStatus.VALID
    assert dry.report["fonds_to_create"] == [
        {"code": "H77", "name": "UBND xã Phước Thiền", "row": "2", "creator_code": ""}
    ]
    assert not Fonds.objects.filter(code="H77").exists()
    done = import_bytes(tuyen_quang, tmp_path, csv_bytes(with_name), name="b.csv")
    assert done.status == ImportStatus.DONE
    assert Fonds.objects.get(code="H77").name == "UBND xã Phước Thiền"


def test_document_naming_an_unknown_file_is_an_error(tuyen_quang, fonds, tmp_path):
    rows = [
        ["Mã hồ sơ", "Mã định danh tài liệu", "Tên loại tài liệu", "Trích yếu nội dung"],
        ["H19.2019.99", "H19.2019.99.1", "02", "Không có hồ sơ"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.INVALID
    [error] = problems(job)
    assert error["column"] == "Mã hồ sơ" and error["value"] == "H19.2019.99"
    assert "chưa có trong cơ quan lưu trữ và không có ở dòng nào phía trên" in error["message"]


def test_document_naming_a_file_already_in_the_archive(tuyen_quang, fonds, tmp_path):
    existing = RecordFileFactory(series=SeriesFactory(fonds=fonds, number="02"), year=2018, file_number="07")
    assert existing.file_code == "H19.2018.07.02"
    rows = [
        ["Mã hồ sơ", "Mã định danh tài liệu", "Tên loại tài liệu", "Trích yếu nội dung"],
        ["H19.2018.07.02", "H19.2018.07.02.4", "Tờ trình", "Bổ sung"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    assert existing.documents.get().reference_code == "LT08.H19.2018.07.02.4"


def test_series_number_places_the_file_and_its_code(tuyen_quang, fonds, tmp_path):
    rows = [
        ["Mã phông", "Mục lục số", "Tên mục lục", "Năm hình thành hồ sơ", "Hồ sơ số", "Tiêu đề hồ sơ"],
        ["H19", "02", "Mục lục hồ sơ vĩnh viễn", "2015", "31", "Hồ sơ xây dựng trường học"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    record_file = RecordFile.objects.get()
    assert record_file.series == Series.objects.get(fonds=fonds, number="02", title="Mục lục hồ sơ vĩnh viễn")
    assert (record_file.file_code, record_file.number_in_series) == ("H19.2015.31.02", 31)


def test_optional_columns(tuyen_quang, fonds, tmp_path):
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Thời gian bắt đầu",
            "Nhóm tài liệu",
            "Đơn vị hành chính",
            "Trạng thái",
            "Chế độ sử dụng",
            "Ngày mở",
            "Mã định danh tài liệu",
            "Tên loại tài liệu",
            "Trích yếu nội dung",
            "Nội dung",
        ],
        [
            "H19",
            "H19.2019.01",
            "Hồ sơ dự án khu dân cư",
            "2019",
            "dat-dai; Dự án đầu tư",
            "tỉnh Đồng Nai",
            "đã công bố",
            "Sử dụng có điều kiện",
            "01/01/2030",
            "",
            "",
            "",
            "",
        ],
        [
            "H19",
            "H19.2019.01",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "H19.2019.01.1",
            "Báo cáo",
            "Báo cáo tiến độ",
            "Toàn văn báo cáo tiến độ dự án",
        ],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    record_file = RecordFile.objects.get()
    assert sorted(record_file.categories.values_list("slug", flat=True)) == ["dat-dai", "du-an-dau-tu"]
    former_dong_nai = AdministrativeUnit.objects.get(name="Đồng Nai", valid_to__isnull=False)
    assert record_file.creating_unit == former_dong_nai  # the unit that existed in 2019
    assert record_file.publication_status == "published"
    assert (record_file.access_regime, record_file.opening_date) == ("02", datetime.date(2030, 1, 1))
    document = record_file.documents.get()
    assert document.publication_status == "draft"  # the default
    assert document.full_text == "Toàn văn báo cáo tiến độ dự án"


def test_unknown_category_and_unit_are_errors(tuyen_quang, fonds, tmp_path):
    rows = [
        ["Mã phông", "Mã hồ sơ", "Tiêu đề hồ sơ", "Nhóm tài liệu", "Đơn vị hành chính"],
        ["H19", "H19.2019.01", "Hồ sơ", "Khảo cổ", "huyện Không Có"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.INVALID
    text = messages(job)
    assert "Không có nhóm tài liệu “Khảo cổ”" in text and "Đất đai" in text
    assert "Không tìm thấy đơn vị hành chính “huyện Không Có”" in text
    assert Category.objects.filter(name="Khảo cổ").count() == 0


def test_xlsx_sheets_for_fonds_series_files_and_documents(tuyen_quang, fonds, tmp_path):
    workbook = openpyxl.Workbook()
    documents = workbook.active
    documents.title = "Văn bản"
    documents.append(
        ["Mã hồ sơ", "Tiêu đề hồ sơ", "Mã định danh tài liệu", "Tên loại tài liệu", "Trích yếu nội dung"]
    )
    documents.append(
        ["P02.2016.04.01", "Hồ sơ xây dựng cầu", "P02.2016.04.01.1", "Tờ trình", "Đề nghị phê duyệt"]
    )
    documents.append(["P02.2016.04.01", "Hồ sơ xây dựng cầu", "P02.2016.04.01.2", "Quyết định", "Phê duyệt"])
    fonds_sheet = workbook.create_sheet("Phông")
    fonds_sheet.append(
        ["Mã phông", "Tên phông", "Mã định danh cơ quan", "Thời gian của tài liệu", "Phông đóng", "Ngôn ngữ"]
    )
    fonds_sheet.append(["P02", "Sở Giao thông vận tải", "", "1976-2025", "có", "Tiếng Việt"])
    fonds_sheet.append(["H19", "Ủy ban nhân dân huyện Long Thành (cũ)", "", "", "1", ""])
    series_sheet = workbook.create_sheet("Mục lục")
    series_sheet.append(["Mã phông", "Mục lục số", "Tên mục lục"])
    series_sheet.append(["P02", "01", "Mục lục hồ sơ công trình giao thông"])
    files = workbook.create_sheet("Hồ sơ")
    files.append(["Mã phông", "Mục lục số", "Mã hồ sơ", "Tiêu đề hồ sơ", "Hộp số", "Thời gian"])
    files.append(["P02", "01", "P02.2016.04.01", "Hồ sơ xây dựng cầu", "5", "03/2016 - 12/2017"])
    job = import_bytes(tuyen_quang, tmp_path, xlsx_bytes(workbook), name="bon-cap.xlsx")
    assert job.status == ImportStatus.DONE, messages(job)
    new_fonds = Fonds.objects.get(code="P02")
    assert (new_fonds.name, new_fonds.date_range, new_fonds.is_closed, new_fonds.languages) == (
        "Sở Giao thông vận tải",
        "1976-2025",
        True,
        ["01"],
    )
    fonds.refresh_from_db()
    assert fonds.is_closed and fonds.name == "Ủy ban nhân dân huyện Long Thành (cũ)"
    record_file = RecordFile.objects.get()
    assert record_file.series.title == "Mục lục hồ sơ công trình giao thông"
    assert (record_file.box, record_file.start_date, record_file.end_date) == ("5", "2016-03", "2017-12")
    assert record_file.documents.count() == 2
    # The documents' sheet repeats only the title, the same as the file's: nothing to warn about.
    assert problems(job, "warning") == []
    assert job.report["counts"]["fonds_update"] == 1 and job.report["counts"]["series_new"] == 1


def test_a_series_number_that_would_recode_an_existing_file_is_refused(tuyen_quang, fonds, tmp_path):
    RecordFileFactory(series=None, fonds=fonds, year=2019, file_number="01", title="Hồ sơ cũ")
    rows = [
        ["Mã phông", "Mục lục số", "Mã hồ sơ", "Tiêu đề hồ sơ"],
        ["H19", "04", "H19.2019.01", "Hồ sơ cũ, sửa tiêu đề"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.INVALID
    [error] = problems(job)
    assert (error["column"], error["value"]) == ("Mục lục số", "04")
    assert "đã có nhưng không thuộc mục lục số 04" in error["message"] and "Chuyển mục lục" in error["hint"]
    assert RecordFile.objects.get().title == "Hồ sơ cũ"


def test_a_document_inventory_as_archives_write_it(tuyen_quang, fonds, tmp_path):
    """Số, ký hiệu together; Ngày tháng; Tác giả as the issuing body; Tờ số; Ghi chú."""
    rows = [
        [
            "Mã phông",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Mã định danh tài liệu",
            "Số, ký hiệu",
            "Ngày tháng",
            "Tên loại",
            "Tác giả",
            "Trích yếu nội dung",
            "Tờ số",
            "Ghi chú",
        ],
        [
            "H19",
            "H19.2019.01",
            "Hồ sơ giao đất",
            "H19.2019.01.1",
            "1234/QĐ-UBND",
            "05/03/2019",
            "Quyết định",
            "UBND huyện Long Thành",
            "Giao đất ở cho hộ ông Bình",
            "1-3",
            "Bản chính",
        ],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    document = Document.objects.get()
    assert document.citation == (
        "Quyết định số 1234/QĐ-UBND ngày 05/03/2019 của UBND huyện Long Thành: Giao đất ở cho hộ ông Bình"
    )
    assert document.description == "Tờ số: 1-3\nBản chính"


def test_file_code_composed_from_its_parts_when_not_written(tuyen_quang, fonds, tmp_path):
    """A mục lục hồ sơ with "Hồ sơ số" and "Thời gian" only: the year is the year the records start."""
    rows = [
        ["Mã phông", "Mục lục số", "Hồ sơ số", "Tiêu đề hồ sơ", "Thời gian"],
        ["H19", "01", "07", "Hồ sơ hội nghị tổng kết", "2014 - 2015"],
        ["H19", "01", "08", "Hồ sơ đại hội", "15/05/2015"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, messages(job)
    assert list(
        RecordFile.objects.order_by("file_number").values_list("file_code", "start_year", "end_year")
    ) == [
        ("H19.2014.07.01", 2014, 2015),
        ("H19.2015.08.01", 2015, 2015),
    ]


def test_values_the_database_would_refuse_are_caught_before_writing(tuyen_quang, fonds, tmp_path):
    """A number beyond the column's range is an error; a NUL byte left by an export is dropped."""
    rows = [
        ["Mã phông", "Mã hồ sơ", "Tiêu đề hồ sơ", "Số lượng trang"],
        ["H19", "H19.2019.01", "Hồ sơ\x00 một", "99999999999"],
        ["H19", "H19.2019.02", "Hồ sơ hai", "12"],
    ]
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows))
    assert job.status == ImportStatus.INVALID
    [error] = problems(job)
    assert (error["row"], error["column"]) == (2, "Số lượng trang")
    assert "nằm ngoài khoảng cho phép" in error["message"]
    rows[1][3] = ""
    job = import_bytes(tuyen_quang, tmp_path, csv_bytes(rows), name="lan-hai.csv")
    assert job.status == ImportStatus.DONE, messages(job)
    assert RecordFile.objects.get(file_number="01").title == "Hồ sơ một"
