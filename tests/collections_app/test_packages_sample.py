"""The hand-built sample package in the published Circular 05 layout (not our output) imports."""

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from collections_app.factories import FondsFactory, staff_user
from collections_app.models import DigitalObject, InformationPackage, RecordFile, ReferenceAlias, Role

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent / "data" / "tt05"
FOLDER = SAMPLE / "uuid-562937C1-8ABC-59BC-A008-7B3526FE4136"
ZIP = SAMPLE / "cf865ed9-f8b3-5e99-bb6e-27975957c565.zip"
FILE_CODE = "H19.25.07.2024.08"


def run(*args):
    out = io.StringIO()
    call_command("import_package", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def fonds(dong_nai):
    return FondsFactory(
        archive=dong_nai, code="P07", name="Ủy ban nhân dân xã Long Thọ", creator_code="H19.25.07"
    )


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("source", [ZIP, FOLDER], ids=["zip", "folder"])
def test_the_sample_package_imports_with_its_documents_and_data(fonds, dong_nai, source):
    output = run(str(source), "--archive", "dong-nai", "--fonds", "P07")

    assert "[đã nhập]" in output and f"hồ sơ LT75.{FILE_CODE}" in output
    record_file = RecordFile.objects.get(archive=dong_nai, file_code=FILE_CODE)
    assert record_file.fonds == fonds
    assert record_file.title.startswith("Hồ sơ giao đất ở không thông qua đấu giá quyền sử dụng đất")
    assert (record_file.start_date, record_file.end_date) == ("2024-03-05", "2024-04-22")
    assert record_file.keywords == "giao đất ở; Long Thọ; Nhơn Trạch"
    assert record_file.reliability == "01" and record_file.condition == "01"
    first = record_file.documents.get(ordinal=1)
    assert (first.type_name, first.code_number, first.code_notation) == ("15", "45", "TTr-UBND")
    assert first.number_and_notation == "45/TTr-UBND"
    assert first.organ_name == "Ủy ban nhân dân xã Long Thọ"
    assert first.issued_date == "2024-03-05"
    assert record_file.documents.count() == 3
    for number in (1, 2, 3):
        data = FOLDER / "representations" / "rep1" / "data" / f"{FILE_CODE}.{number}.pdf"
        scan = DigitalObject.objects.get(document__file=record_file, document__ordinal=number)
        assert scan.sha256 == sha256_of(data)
        assert scan.mime_type == "application/pdf" and scan.page_count == 1
    package = InformationPackage.objects.get(archive=dong_nai, direction="import")
    assert package.objid == "uuid-562937C1-8ABC-59BC-A008-7B3526FE4136"
    assert package.kind == "sip"
    if source == ZIP:
        assert package.sha256 == sha256_of(ZIP)
    assert f"?package_batch={package.batch}" in output  # the handover record of this batch


def test_the_source_codes_become_aliases_that_redirect(fonds, dong_nai, client):
    run(str(ZIP), "--archive", "dong-nai", "--fonds", "P07")
    client.force_login(staff_user(dong_nai, Role.ARCHIVIST))

    assert set(ReferenceAlias.objects.values_list("code", "reason")) == {
        (FILE_CODE, "imported"),
        *((f"{FILE_CODE}.{n}", "imported") for n in (1, 2, 3)),
    }
    response = client.get(f"/r/{FILE_CODE}.2/")
    assert response.status_code == 301
    assert response["Location"] == f"/r/LT75.{FILE_CODE}.2/"


def test_a_fonds_code_too_long_for_the_archive_asks_for_a_fonds(dong_nai):
    output = run(str(ZIP), "--archive", "dong-nai", "--dry-run")

    assert "[xung đột]" in output
    assert "mã phông “P_UBNDXA_LONGTHO” của gói không dùng được làm mã phông" in output
    assert "--fonds" in output
    assert not RecordFile.objects.exists()


def test_a_frozen_archive_takes_no_package(fonds, dong_nai):
    from collections_app.transfers.freeze import freeze

    freeze([dong_nai], reason="Hợp nhất tỉnh Đồng Nai và Bình Phước")
    with pytest.raises(CommandError, match="đang được khoanh giữ"):
        run(str(ZIP), "--archive", "dong-nai", "--fonds", "P07")
    assert not RecordFile.objects.filter(archive=dong_nai).exists()


def test_only_archivists_and_leaders_import(fonds, dong_nai):
    staff_user(dong_nai, Role.READING_ROOM, username="phongdoc")
    with pytest.raises(CommandError, match="không có quyền nhập"):
        run(str(ZIP), "--archive", "dong-nai", "--fonds", "P07", "--as", "phongdoc")
    staff_user(dong_nai, Role.ARCHIVIST, username="luutru")
    run(str(ZIP), "--archive", "dong-nai", "--fonds", "P07", "--as", "luutru")
    assert InformationPackage.objects.get(archive=dong_nai).created_by.username == "luutru"


def test_a_folder_of_packages_imports_each_once(fonds, dong_nai, tmp_path):
    shutil.copy(ZIP, tmp_path / ZIP.name)
    output = run(str(tmp_path), "--archive", "dong-nai", "--fonds", "P07", "--dry-run")
    assert "Chạy thử, chưa ghi gì. 1 gói hợp lệ: sẽ nhập 1" in output

    run(str(tmp_path), "--archive", "dong-nai", "--fonds", "P07")
    again = run(str(tmp_path), "--archive", "dong-nai", "--fonds", "P07")

    assert "bỏ qua 1 gói đã nhập trước đó" in again
    assert RecordFile.objects.filter(archive=dong_nai).count() == 1
