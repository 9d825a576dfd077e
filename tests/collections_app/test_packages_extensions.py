"""What the Circular has no field for survives a package round trip (``metadata/other/kho-extensions.json``).

Export from one archive, import into another, through the real commands, real zips and, where the
receiving side must keep a value through it, the real processing of the imported scans (OCR with
Tesseract) and the search index.
"""

import datetime
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from collections_app import codes
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
from collections_app.models import (
    AdministrativeUnit,
    AliasReason,
    Category,
    DigitalObject,
    Document,
    EventType,
    Fonds,
    InformationPackage,
    PageTextRevision,
    PreservationEvent,
    RecordFile,
    ReferenceAlias,
    Role,
    ScanPage,
    TextSource,
)
from collections_app.transfers.packages import layout
from collections_app.transfers.packages.xml import validate

pytestmark = pytest.mark.django_db

M = "{http://www.loc.gov/METS/}"
HREF = "{http://www.w3.org/1999/xlink}href"
OPENING = datetime.date(2045, 1, 1)
CORRECTED_DOCUMENT_PAGE = "Quyết định giao đất cho hộ ông Lò Văn Páo, bản Nậm Ty"
CORRECTED_FILE_PAGE = "Biên bản bàn giao mốc giới có chữ ký của ông Sùng Mí Chứ"
LEGACY_CODE = "LT08.02.19.0045.0001"  # its code under Circular 02/2019


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def categories(*slugs):
    return list(Category.objects.filter(slug__in=slugs))


def ha_giang():
    """A former province: merged into Tuyên Quang on 1 July 2025."""
    return AdministrativeUnit.objects.get(level="province", name="Hà Giang")


def slugs(record):
    return sorted(record.categories.values_list("slug", flat=True))


@pytest.fixture
def holdings(tuyen_quang):
    """A conditional-access land file of former Hà Giang province, with what the Circular cannot hold."""
    archivist = staff_user(tuyen_quang, Role.ARCHIVIST)
    fonds = FondsFactory(
        archive=tuyen_quang,
        code="P21",
        name="Ủy ban nhân dân huyện Yên Minh",
        unit=ha_giang(),
    )
    series = SeriesFactory(fonds=fonds, number="02", title="Mục lục hồ sơ đất đai")
    record_file = RecordFileFactory(
        series=series,
        year=2019,
        file_number="45",
        title="Hồ sơ giao đất rừng sản xuất cho các hộ bản Nậm Ty",
        access_regime="02",
        opening_date=OPENING,
        access_reason="Có thông tin đời tư của các hộ được giao đất",
        number_in_series=45,
        box="12",
        shelf="K2/G4",
        original_status="original",
        creating_unit=ha_giang(),
    )
    record_file.categories.set(categories("dat-dai", "du-an-dau-tu"))
    decision = DocumentFactory(
        file=record_file,
        ordinal=1,
        title="Quyết định giao đất rừng sản xuất cho hộ ông Lò Văn Páo",
        access_regime="02",
        opening_date=datetime.date(2040, 6, 1),
        access_reason="Thông tin về thửa đất của một hộ",
        full_text="Toàn văn bản điện tử của quyết định giao đất",
    )
    decision.categories.set(categories("dat-dai"))
    codes.record_alias(decision, LEGACY_CODE, reason=AliasReason.LEGACY)
    photo = DocumentFactory(
        file=record_file,
        ordinal=2,
        kind="photo",
        type_name="",
        title="Cắm mốc giới đất rừng bản Nậm Ty",
        photo_kind="02",
        languages=["01"],
        keywords="mốc giới; Nậm Ty",
    )
    scan = DigitalObjectFactory(document=decision, content=samples.png_page("Quyet dinh giao dat", dpi=60))
    correct(
        ScanPageFactory(digital_object=scan, number=1, text="Quyet dinh giao dat"),
        CORRECTED_DOCUMENT_PAGE,
        archivist,
    )
    whole = DigitalObjectFactory(
        document=None,
        record_file=record_file,
        content=samples.pdf_scan(["Trang một của hồ sơ", "Bien ban ban giao"], dpi=60),
        mime_type="application/pdf",
        original_name="ho-so.pdf",
    )
    ScanPageFactory(digital_object=whole, number=1, text="Trang một của hồ sơ")
    correct(
        ScanPageFactory(digital_object=whole, number=2, text="Bien ban ban giao"),
        CORRECTED_FILE_PAGE,
        archivist,
    )
    return {"file": record_file, "decision": decision, "photo": photo}


def correct(page, text, user):
    set_page_text(page, text, source=TextSource.CORRECTION, user=user)


def imported(archive, source):
    return RecordFile.objects.get(archive=archive, file_code=source.file_code)


def search(client, user, **params):
    client.force_login(user)
    response = client.get("/api/v1/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_round_trip_keeps_categories_access_unit_codes_and_corrected_pages(
    holdings, dong_nai, tmp_path, client, django_capture_on_commit_callbacks
):
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    # The giving archive's installation keeps its own copy; here, in one database, its alias must go.
    ReferenceAlias.objects.filter(code=LEGACY_CODE).delete()
    with django_capture_on_commit_callbacks(execute=True):  # scans processed, records indexed
        output = run("import_package", str(tmp_path), "--archive", "dong-nai")

    assert "Đã nhập 1 gói" in output and "cảnh báo" not in output
    source, copy = holdings["file"], imported(dong_nai, holdings["file"])
    assert slugs(copy) == ["dat-dai", "du-an-dau-tu"]
    assert (copy.opening_date, copy.access_reason) == (OPENING, source.access_reason)
    assert (copy.number_in_series, copy.original_status) == (45, "original")
    assert copy.creating_unit == source.creating_unit
    assert (copy.box, copy.shelf) == ("", "")  # the giving archive's shelves, not the receiver's
    assert copy.fonds.unit == ha_giang()  # the fonds the import created
    decision = copy.documents.get(ordinal=1)
    source_decision = holdings["decision"]
    assert slugs(decision) == ["dat-dai"]
    assert (decision.opening_date, decision.access_reason, decision.full_text) == (
        source_decision.opening_date,
        source_decision.access_reason,
        source_decision.full_text,
    )
    alias = ReferenceAlias.objects.get(code=LEGACY_CODE)
    assert (alias.record, alias.reason) == (decision, AliasReason.LEGACY)
    photo = copy.documents.get(ordinal=2)
    assert (photo.keywords, photo.languages) == ("mốc giới; Nậm Ty", ["01"])

    # The imported scans went through OCR: a corrected page kept the correction, the others got OCR text.
    document_scan = DigitalObject.objects.get(document=decision)
    file_scan = DigitalObject.objects.get(record_file=copy)
    assert (document_scan.state, file_scan.state) == ("done", "done")
    assert list(document_scan.pages.values_list("number", "text", "text_corrected")) == [
        (1, CORRECTED_DOCUMENT_PAGE, True)
    ]
    first, second = file_scan.pages.order_by("number")
    assert (second.text, second.text_corrected) == (CORRECTED_FILE_PAGE, True)
    assert not first.text_corrected and "Trang" in first.text
    assert second.text_revisions.get().source == TextSource.CORRECTION
    assert first.text_revisions.get().source == TextSource.OCR
    decision.refresh_from_db()
    assert CORRECTED_DOCUMENT_PAGE in decision.ocr_text

    # The receiving archive's search finds the corrected words and counts the categories.
    archivist = staff_user(dong_nai, Role.ARCHIVIST)
    found = search(client, archivist, q="Páo Nậm Ty", archive="dong-nai")
    assert decision.reference_code in {hit["reference_code"] for hit in found["results"]}
    facets = search(client, archivist, q="giao đất rừng", archive="dong-nai")["facets"]
    counts = {entry["value"]: entry["count"] for entry in facets["category"]}
    assert counts == {"dat-dai": 2, "du-an-dau-tu": 1}
    assert source.creating_unit.pk in {entry["value"] for entry in facets["unit"]}
    land = search(client, archivist, q="giao đất rừng", archive="dong-nai", category="du-an-dau-tu")
    assert [hit["reference_code"] for hit in land["results"]] == [copy.reference_code]


def test_the_extensions_are_listed_in_mets_with_their_checksum(holdings, tmp_path):
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    (package,) = tmp_path.glob("*.zip")
    with zipfile.ZipFile(package) as archive:
        top = archive.namelist()[0].split("/")[0]
        root = etree.fromstring(archive.read(f"{top}/METS.xml"))
        content = archive.read(f"{top}/{layout.EXTENSIONS}")

    validate(root, "mets1_12.xsd")
    reference = root.find(f"{M}dmdSec/{M}mdRef[@MDTYPE='OTHER']")
    assert reference.get("OTHERMDTYPE") == "KHO-EXTENSIONS"
    assert reference.get(HREF) == "metadata/other/kho-extensions.json"
    assert reference.get("MIMETYPE") == "application/json"
    assert reference.get("SIZE") == str(len(content))
    assert reference.get("CHECKSUM") == hashlib.sha256(content).hexdigest().upper()
    ead_dmd, extensions_dmd = (section.get("ID") for section in root.iterfind(f"{M}dmdSec"))
    metadata_div = root.find(f"{M}structMap/{M}div/{M}div[@LABEL='Metadata']")
    assert metadata_div.get("DMDID").split() == [ead_dmd, extensions_dmd]
    values = json.loads(content)
    source = holdings["file"]
    assert values["file"]["fileCode"] == source.file_code
    assert [entry["docId"] for entry in values["documents"]] == [
        f"{source.file_code}.1",
        f"{source.file_code}.2",
    ]


def test_a_record_with_nothing_beyond_the_circular_gets_no_extension_file(tuyen_quang, tmp_path):
    DocumentFactory(file=RecordFileFactory(series__fonds__archive=tuyen_quang))
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    (package,) = tmp_path.glob("*.zip")
    with zipfile.ZipFile(package) as archive:
        assert not [name for name in archive.namelist() if "/metadata/other/" in name]
        root = etree.fromstring(archive.read(f"{archive.namelist()[0].split('/')[0]}/METS.xml"))
    assert len(root.findall(f"{M}dmdSec")) == 1


def test_a_package_without_the_extension_file_imports_as_before(holdings, dong_nai, tmp_path):
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    (package,) = tmp_path.glob("*.zip")
    rewrite(package, drop_extensions=True)

    output = run("import_package", str(tmp_path), "--archive", "dong-nai")

    assert "Đã nhập 1 gói" in output and "cảnh báo" not in output
    copy = imported(dong_nai, holdings["file"])
    assert copy.title == holdings["file"].title and copy.access_regime == "02"
    assert (slugs(copy), copy.opening_date, copy.access_reason, copy.creating_unit) == ([], None, "", None)
    assert copy.fonds.unit is None
    decision = copy.documents.get(ordinal=1)
    assert (decision.full_text, decision.opening_date, slugs(decision)) == ("", None, [])
    assert not ScanPage.objects.filter(digital_object__archive=dong_nai).exists()


def test_unknown_categories_units_and_taken_codes_are_reported_and_the_rest_imported(
    holdings, dong_nai, tmp_path
):
    special = Category.objects.create(slug="ho-so-dac-thu", name="Hồ sơ đặc thù")
    holdings["decision"].categories.add(special)
    commune = AdministrativeUnit.objects.create(
        level="commune", code="00712", name="Xã Nậm Ty", kind="commune", parent=ha_giang()
    )
    RecordFile.objects.filter(pk=holdings["file"].pk).update(creating_unit=commune)
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    # The receiving installation has neither this category nor this commune.
    special.delete()
    AdministrativeUnit.objects.filter(pk=commune.pk).update(code="99999", name="Xã khác")

    dry_run = run("import_package", str(tmp_path), "--archive", "dong-nai", "--dry-run")
    output = run("import_package", str(tmp_path), "--archive", "dong-nai")

    code = holdings["file"].file_code
    category_warning = (
        f"! cảnh báo: Không có nhóm tài liệu mã “ho-so-dac-thu” (Hồ sơ đặc thù) ở hệ thống nhận: "
        f"tài liệu {code}.1 vẫn được nhập nhưng không gắn nhóm này."
    )
    unit_warning = (
        "! cảnh báo: Danh mục đơn vị hành chính của hệ thống nhận không có “Xã Nậm Ty” (mã 00712): "
        f"hồ sơ {code} được gắn với đơn vị cấp trên “Tỉnh Hà Giang (đến 30/06/2025)”."
    )
    # In this one database the giving archive's record still answers to its legacy code.
    code_warning = (
        f"! cảnh báo: Mã cũ {LEGACY_CODE} của tài liệu {code}.1 đã thuộc một bản ghi khác ở hệ thống "
        "nhận: không giữ mã này."
    )
    for report in (dry_run, output):
        assert category_warning in report and unit_warning in report and code_warning in report
    assert "Đã nhập 1 gói" in output
    copy = imported(dong_nai, holdings["file"])
    assert slugs(copy) == ["dat-dai", "du-an-dau-tu"]
    assert copy.creating_unit == ha_giang()
    decision = copy.documents.get(ordinal=1)
    assert slugs(decision) == ["dat-dai"] and decision.opening_date == datetime.date(2040, 6, 1)
    ingestion = PreservationEvent.objects.get(
        archive=dong_nai, event_type=EventType.INGESTION, object_identifier=copy.reference_code
    )
    assert "ho-so-dac-thu" in ingestion.outcome_detail


def database_state():
    models = (RecordFile, Document, DigitalObject, Fonds, InformationPackage, ReferenceAlias, ScanPage)
    return [model.objects.count() for model in (*models, PageTextRevision, PreservationEvent)]


def test_an_opening_date_on_an_open_record_is_refused_and_nothing_written(holdings, dong_nai, tmp_path):
    # Older data can hold it (the admin's own check refuses it): the package carries it as it is.
    Document.objects.filter(pk=holdings["decision"].pk).update(access_regime="01")
    RecordFileFactory(series__fonds__archive=holdings["file"].archive, title="Hồ sơ khác, hợp lệ")
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    before = database_state()

    with pytest.raises(CommandError) as error:
        run("import_package", str(tmp_path), "--archive", "dong-nai")

    message = str(error.value)
    assert "metadata/other/kho-extensions.json" in message
    assert f"tài liệu {holdings['file'].file_code}.1" in message
    assert (
        "Ngày mở chỉ dùng cho tài liệu sử dụng có điều kiện. Xóa ngày mở hoặc đổi chế độ sử dụng thành "
        "“Sử dụng có điều kiện”." in message
    )
    assert database_state() == before  # not the bad package, nor the good one beside it


def test_a_corrected_page_the_scan_does_not_have_undoes_the_whole_package(holdings, dong_nai, tmp_path):
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    (package,) = tmp_path.glob("*.zip")

    def move_correction_to_page_7(values):
        values["documents"][0]["correctedPages"][0]["page"] = 7

    rewrite(package, change=move_correction_to_page_7)
    before = database_state()

    with pytest.raises(CommandError) as error:
        run("import_package", str(tmp_path), "--archive", "dong-nai")

    assert "trang hiệu đính số 7 không có trong tệp" in str(error.value)
    assert "Gói này không được ghi" in str(error.value)
    assert database_state() == before
    output = run("import_package", str(tmp_path), "--archive", "dong-nai", "--dry-run")
    assert "sẽ nhập 1" in output  # nothing was recorded as imported


def rewrite(package, change=None, drop_extensions=False):
    """Edit the package's extension file (or drop it) and restate METS.xml to match: a coherent package."""
    with zipfile.ZipFile(package) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    top = next(iter(entries)).split("/")[0]
    extensions_name, mets_name = f"{top}/{layout.EXTENSIONS}", f"{top}/METS.xml"
    root = etree.fromstring(entries[mets_name])
    reference = root.find(f"{M}dmdSec/{M}mdRef[@MDTYPE='OTHER']")
    if drop_extensions:
        del entries[extensions_name]
        section = reference.getparent()
        metadata_div = root.find(f"{M}structMap/{M}div/{M}div[@LABEL='Metadata']")
        metadata_div.set("DMDID", metadata_div.get("DMDID").replace(section.get("ID"), "").strip())
        root.remove(section)
    else:
        values = json.loads(entries[extensions_name])
        change(values)
        entries[extensions_name] = json.dumps(values, ensure_ascii=False).encode("utf-8")
        reference.set("SIZE", str(len(entries[extensions_name])))
        reference.set("CHECKSUM", hashlib.sha256(entries[extensions_name]).hexdigest().upper())
    entries[mets_name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    with zipfile.ZipFile(package, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
