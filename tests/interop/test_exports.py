"""export_records: CSV, XLSX and EAD3 exports that follow the access rules and re-import as they are."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from lxml import etree
from openpyxl import load_workbook

from collections_app.factories import (
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    UserFactory,
    staff_user,
)
from collections_app.models import Category, Document, RecordFile, Role
from collections_app.vocabularies import AccessRegime, PublicationStatus

pytestmark = pytest.mark.django_db

RESTRICTED_WORD = "Mật-lệnh-Xuân-Lộc"
TODAY = datetime.date.today()
EAD3 = "{http://ead3.archivists.org/schema/}"


@pytest.fixture
def tree(dong_nai):
    fonds = FondsFactory(
        archive=dong_nai, code="H19", name="Ủy ban nhân dân huyện Long Thành", creator_code=""
    )
    series = SeriesFactory(fonds=fonds, number="07", title="Mục lục hồ sơ đất đai")
    land = Category.objects.get_or_create(name="đất đai")[0]
    file = RecordFileFactory(
        series=series,
        year=2024,
        file_number="08",
        title="Hồ sơ giao đất xã Long Thọ",
        start_date="2024-03",
        end_date="2024",
        box="12",
        page_count=40,
    )
    file.categories.add(land)
    documents = {
        "open": DocumentFactory(
            file=file, ordinal=1, title="Quyết định giao đất", full_text="Điều 1. Giao 2.500 m² đất."
        ),
        "conditional_closed": DocumentFactory(
            file=file,
            ordinal=2,
            title="Biên bản xác minh nhân thân",
            access_regime=AccessRegime.CONDITIONAL,
            opening_date=TODAY + datetime.timedelta(days=400),
            access_reason="Thông tin cá nhân",
            ocr_text=f"Biên bản {RESTRICTED_WORD} về nhân thân",
        ),
        "secret": DocumentFactory(
            file=file, ordinal=3, title="Công văn mật", access_regime=AccessRegime.SECRET
        ),
        "draft": DocumentFactory(
            file=file, ordinal=4, title="Tờ trình nháp", publication_status=PublicationStatus.DRAFT
        ),
        "deleted": DocumentFactory(file=file, ordinal=5, title="Bản trùng đã xóa", deleted_at=timezone.now()),
    }
    documents["open"].categories.add(land)
    second = RecordFileFactory(series=series, year=2024, file_number="09", title="Hồ sơ thu hồi đất")
    DocumentFactory(file=second, ordinal=1, title="Thông báo thu hồi đất", code_notation="TB-UBND")
    return {"fonds": fonds, "series": series, "file": file, "second": second, "documents": documents}


def export(tmp_path, *options, archive="dong-nai", name="out"):
    path = tmp_path / name
    errors = io.StringIO()
    call_command("export_records", "--archive", archive, *options, "-o", str(path), stderr=errors)
    return path, errors.getvalue()


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_public_csv_lists_only_what_the_public_may_list(tmp_path, tree):
    path, progress = export(tmp_path, "--as-public", "--format", "csv")
    rows = read_csv(path)
    titles = [row["Tiêu đề hồ sơ"] or row["Trích yếu nội dung"] for row in rows]
    assert titles == [
        "Hồ sơ giao đất xã Long Thọ",
        "Quyết định giao đất",
        "Biên bản xác minh nhân thân",
        "Hồ sơ thu hồi đất",
        "Thông báo thu hồi đất",
    ]
    text = path.read_text(encoding="utf-8-sig")
    assert RESTRICTED_WORD not in text
    assert "Công văn mật" not in text and "Tờ trình nháp" not in text and "Bản trùng" not in text
    assert rows[1]["Nội dung"] == "Điều 1. Giao 2.500 m² đất."
    assert rows[2]["Nội dung"] == "" and rows[2]["Chế độ sử dụng"] == "02"
    assert "Đã xuất 5 dòng" in progress


def test_staff_csv_has_everything_but_deleted_records_and_their_text(tmp_path, tree, dong_nai):
    staff_user(dong_nai, Role.ARCHIVIST, username="luutru")
    path, _progress = export(tmp_path, "--as", "luutru", "--format", "csv")
    rows = read_csv(path)
    assert len(rows) == 2 + 4 + 1  # two files, four live documents of the first, one of the second
    text = path.read_text(encoding="utf-8-sig")
    assert RESTRICTED_WORD in text and "Công văn mật" in text and "Tờ trình nháp" in text
    assert "Bản trùng" not in text


def test_a_reader_without_a_role_exports_the_public_view(tmp_path, tree):
    UserFactory(username="docgia")
    path, progress = export(tmp_path, "--as", "docgia", "--format", "csv")
    assert len(read_csv(path)) == 5
    assert RESTRICTED_WORD not in path.read_text(encoding="utf-8-sig")
    assert "chỉ xuất được phần công khai" in progress


def test_no_requester_means_no_export(tmp_path, tree):
    with pytest.raises(CommandError, match="--as-public"):
        export(tmp_path, "--format", "csv")
    assert not (tmp_path / "out").exists()


def test_unknown_archive_fonds_or_user_are_clear_errors(tmp_path, tree):
    with pytest.raises(CommandError, match="Không có cơ quan lưu trữ"):
        export(tmp_path, "--as-public", "--format", "csv", archive="khong-co")
    with pytest.raises(CommandError, match="không có phông"):
        export(tmp_path, "--as-public", "--format", "csv", "--fonds", "H99")
    with pytest.raises(CommandError, match="Không có người dùng"):
        export(tmp_path, "--as", "ai-do", "--format", "csv")


def test_csv_export_reimports_with_import_records(tmp_path, tree, dong_nai, tuyen_quang):
    staff_user(dong_nai, Role.ARCHIVIST, username="luutru")
    path, _progress = export(tmp_path, "--as", "luutru", "--format", "csv", name="export.csv")

    call_command(
        "import_records", str(path), "--archive", "tuyen-quang", stdout=io.StringIO(), stderr=io.StringIO()
    )

    assert_same_tree(dong_nai, tuyen_quang)


def test_xlsx_export_reimports_with_import_records(tmp_path, tree, dong_nai, tuyen_quang):
    path, _progress = export(tmp_path, "--as-public", "--format", "xlsx", name="export.xlsx")
    sheet = load_workbook(path, read_only=True).active
    header = next(sheet.iter_rows(values_only=True))
    assert header[0] == "Mã phông" and "Nội dung" in header

    call_command(
        "import_records", str(path), "--archive", "tuyen-quang", stdout=io.StringIO(), stderr=io.StringIO()
    )

    imported = Document.objects.filter(archive=tuyen_quang)
    assert set(imported.values_list("title", flat=True)) == {
        "Quyết định giao đất",
        "Biên bản xác minh nhân thân",
        "Thông báo thu hồi đất",
    }


def described(archive):
    files = {
        file.file_code: (
            file.title,
            file.fonds.code,
            file.fonds.name,
            file.series.number,
            file.start_date,
            file.end_date,
            file.box,
            file.page_count,
            file.publication_status,
            sorted(file.categories.values_list("name", flat=True)),
        )
        for file in RecordFile.objects.filter(archive=archive, deleted_at__isnull=True)
    }
    documents = {
        document.doc_id: (
            document.title,
            document.type_name,
            document.code_number,
            document.code_notation,
            document.issued_date,
            document.organ_name,
            document.access_regime,
            document.opening_date,
            document.access_reason,
            document.publication_status,
            document.full_text or document.ocr_text,
            sorted(document.categories.values_list("name", flat=True)),
        )
        for document in Document.objects.filter(archive=archive, deleted_at__isnull=True)
    }
    return files, documents


def assert_same_tree(original, imported):
    original_files, original_documents = described(original)
    imported_files, imported_documents = described(imported)
    assert imported_files == original_files
    assert imported_documents == original_documents


def test_ead3_nests_fonds_series_files_and_documents(tmp_path, tree):
    path, _progress = export(tmp_path, "--as-public", "--format", "ead3", name="ead.xml")
    root = etree.parse(str(path)).getroot()
    assert root.tag == f"{EAD3}ead"
    assert root.find(f"{EAD3}control/{EAD3}recordid").text == "LT75"
    archdesc = root.find(f"{EAD3}archdesc")
    assert archdesc.get("level") == "collection"
    (fonds,) = archdesc.findall(f"{EAD3}dsc/{EAD3}c")
    assert fonds.get("level") == "fonds"
    assert fonds.find(f"{EAD3}did/{EAD3}unitid").text == tree["fonds"].reference_code
    (series,) = fonds.findall(f"{EAD3}c")
    assert series.get("level") == "series"
    files = series.findall(f"{EAD3}c")
    assert [file.get("level") for file in files] == ["file", "file"]
    items = files[0].findall(f"{EAD3}c")
    assert [item.find(f"{EAD3}did/{EAD3}unittitle").text for item in items] == [
        "Quyết định giao đất",
        "Biên bản xác minh nhân thân",
    ]
    assert items[0].find(f"{EAD3}scopecontent/{EAD3}p").text == "Điều 1. Giao 2.500 m² đất."
    assert items[1].find(f"{EAD3}scopecontent") is None
    text = path.read_text(encoding="utf-8")
    assert RESTRICTED_WORD not in text and "Công văn mật" not in text


def test_ead3_of_one_fonds_as_staff(tmp_path, tree, dong_nai):
    FondsFactory(archive=dong_nai, code="H20", name="Phông khác")
    staff_user(dong_nai, Role.LEADER, username="lanhdao")
    path, _progress = export(
        tmp_path, "--as", "lanhdao", "--format", "ead3", "--fonds", "H19", name="ead.xml"
    )
    root = etree.parse(str(path)).getroot()
    archdesc = root.find(f"{EAD3}archdesc")
    assert archdesc.get("level") == "fonds"
    assert archdesc.find(f"{EAD3}did/{EAD3}unitid").text == tree["fonds"].reference_code
    assert RESTRICTED_WORD in path.read_text(encoding="utf-8")
    assert "Phông khác" not in path.read_text(encoding="utf-8")
