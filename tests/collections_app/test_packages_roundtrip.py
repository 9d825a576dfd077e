"""``export_package`` → ``import_package``: every record field and every file byte comes back."""

import hashlib
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from lxml import etree

from collections_app import preservation
from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.models import (
    DigitalObject,
    Document,
    EventType,
    InformationPackage,
    PreservationEvent,
    RecordFile,
    ReferenceAlias,
    Role,
)
from collections_app.transfers.packages.fields import DOCUMENT_MAPS, FILE_MAP
from collections_app.transfers.packages.writer import ExportError, export_packages
from collections_app.transfers.packages.xml import validate

pytestmark = pytest.mark.django_db

FILE_PLACEMENT = ("year", "file_number", "file_code", "creator_code")


def pdf_bytes(text):
    return samples.pdf_scan([text], dpi=60)


@pytest.fixture
def holdings(tuyen_quang):
    """A fonds with a series: a fully described file with a text, a photo and an audio-visual record."""
    fonds = FondsFactory(
        archive=tuyen_quang, code="P12", name="Ủy ban nhân dân huyện Hàm Yên", creator_code="H08.12"
    )
    series = SeriesFactory(fonds=fonds, number="03", title="Mục lục hồ sơ đất đai vĩnh viễn")
    full = RecordFileFactory(
        series=series,
        year=2021,
        file_number="17",
        title="Hồ sơ giao đất, cho thuê đất dự án khu dân cư Tân Thành",
        retention="01",
        access_regime="02",
        opening_date=None,
        languages=["01", "06"],
        start_date="2021-03",
        end_date="2021",
        keywords="giao đất; Tân Thành",
        total_documents=3,
        sheet_count=12,
        page_count=23,
        condition="02",
        information_sign="ĐĐ-17",
        reliability="02",
        paper_file_code="LT08.K1/G2/H5.17",
        risk_recovery=True,
        risk_recovery_status="01",
        description="Người lập hồ sơ: Hoàng Văn Minh, chuyên viên Phòng Tài nguyên và Môi trường.",
    )
    text = DocumentFactory(
        file=full,
        ordinal=1,
        type_name="02",
        code_number="1234",
        code_notation="QĐ-UBND",
        issued_date="2021-03-05",
        organ_name="Ủy ban nhân dân tỉnh Tuyên Quang",
        title="Quyết định giao đất cho Công ty Cổ phần Tân Thành",
        retention="01",
        access_regime="01",
        languages=["01"],
        page_count=4,
        information_sign="QĐ",
        keywords="giao đất",
        reliability="02",
        autograph="Bút phê của Chủ tịch UBND tỉnh",
        condition="01",
        risk_recovery=True,
        risk_recovery_status="02",
        has_process=True,
        description="Bản chính",
    )
    photo = DocumentFactory(
        file=full,
        ordinal=2,
        kind="photo",
        type_name="",
        languages=[],  # EAD_pic has no language field
        title="Lễ bàn giao mốc giới khu dân cư Tân Thành",
        photo_kind="02",
        special_number="A-17/2021",
        event="Bàn giao mốc giới",
        author="Nguyễn Thị Lan",
        place="Phường Tân Thành",
        issued_date="2021-04",
        colour="01",
        size="13x18",
        has_attachments=True,
        condition="01",
    )
    DocumentFactory(
        file=full,
        ordinal=3,
        kind="media",
        type_name="",
        title="Ghi âm buổi đối thoại với các hộ dân",
        media_kind="01",
        event="Đối thoại về bồi thường",
        author="Đài Truyền thanh huyện",
        place="Nhà văn hóa tổ 5",
        issued_date="2021",
        languages=["01"],
        duration="01:05:30",
        quality="Bình thường, lẫn tạp âm",
    )
    archival = pdf_bytes("Bản lưu trữ PDF/A của quyết định giao đất")
    scan = DigitalObjectFactory(document=text, content=samples.png_page("Quyết định giao đất", dpi=60))
    scan.archival_copy.save("pdfa.pdf", ContentFile(archival), save=False)
    scan.archival_sha256 = hashlib.sha256(archival).hexdigest()
    scan.archival_size_bytes = len(archival)
    scan.save()
    photo_scan = DigitalObjectFactory(
        document=photo,
        content=samples.jpeg_page("Ảnh lễ bàn giao", dpi=60),
        mime_type="image/jpeg",
        original_name="anh-ban-giao.jpg",
    )
    whole_file_scan = DigitalObjectFactory(
        document=None,
        record_file=full,
        content=pdf_bytes("Toàn bộ hồ sơ quét một tệp"),
        mime_type="application/pdf",
        original_name="ho-so.pdf",
    )
    gone = DocumentFactory(file=full, ordinal=4, title="Tài liệu đã xóa")
    gone.deleted_at = timezone.now()
    gone.save()
    bare = RecordFileFactory(series=series, year=2022, file_number="01", title="Hồ sơ chưa số hóa")
    DocumentFactory(file=bare, ordinal=1)
    deleted_file = RecordFileFactory(series=series, year=2022, file_number="02", title="Hồ sơ đã xóa")
    deleted_file.deleted_at = timezone.now()
    deleted_file.save()
    preservation.record_event(EventType.INGESTION, archive=tuyen_quang, digital_object=scan, record=text)
    preservation.record_event(EventType.ACCESS_CHANGE, archive=tuyen_quang, record=full, detail="01 → 02")
    return {
        "full": full,
        "bare": bare,
        "deleted_file": deleted_file,
        "scans": {"text": scan, "photo": photo_scan, "file": whole_file_scan},
        "expected_bytes": {
            f"{text.doc_id}.pdf": archival,
            f"{photo.doc_id}.jpg": photo_scan.file.open("rb").read(),
            f"{full.file_code}.pdf": whole_file_scan.file.open("rb").read(),
        },
    }


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def stored_sha256(scan):
    with scan.file.storage.open(scan.file.name, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def model_values(record, names):
    return {name: getattr(record, name) for name in names}


def description_fields(mapping):
    return sorted({field for field, _kind, _limit in mapping.values()})


@pytest.mark.parametrize("kind", ["sip", "aip"])
def test_round_trip_into_another_archive_reproduces_records_and_bytes(holdings, dong_nai, tmp_path, kind):
    output = run("export_package", str(tmp_path), "--archive", "tuyen-quang", "--kind", kind)
    assert "Đã xuất 2 gói" in output
    assert "chưa có bản PDF/A lưu trữ: đóng gói bản quét gốc “anh-ban-giao.jpg”" in output

    output = run("import_package", str(tmp_path), "--archive", "dong-nai")
    assert "Đã nhập 2 gói" in output

    for source in (holdings["full"], holdings["bare"]):
        copy = RecordFile.objects.get(archive=dong_nai, file_code=source.file_code)
        assert copy.reference_code == f"LT75.{source.file_code}"
        fields = [name for name in description_fields(FILE_MAP) if name != "total_documents"]
        assert model_values(copy, fields) == model_values(source, fields)
        live = source.documents.filter(deleted_at__isnull=True).order_by("ordinal")
        # totalDoc is required by the Circular: an unrecorded total is written as the live count.
        assert copy.total_documents == (source.total_documents or live.count())
        assert model_values(copy, FILE_PLACEMENT) == model_values(source, FILE_PLACEMENT)
        assert (copy.fonds.code, copy.fonds.name) == ("P12", "Ủy ban nhân dân huyện Hàm Yên")
        assert (copy.series.number, copy.series.title) == ("03", "Mục lục hồ sơ đất đai vĩnh viễn")
        copies = list(copy.documents.order_by("ordinal"))
        assert [doc.doc_id for doc in copies] == [doc.doc_id for doc in live]
        for original, imported in zip(live, copies, strict=True):
            names = ["kind", "ordinal", "doc_code", *description_fields(DOCUMENT_MAPS[original.kind])]
            assert model_values(imported, names) == model_values(original, names)

    full_copy = RecordFile.objects.get(archive=dong_nai, file_code=holdings["full"].file_code)
    scans = DigitalObject.objects.filter(archive=dong_nai)
    assert scans.count() == 3
    imported = {scan.original_name: scan for scan in scans}
    assert set(imported) == set(holdings["expected_bytes"])
    for name, content in holdings["expected_bytes"].items():
        assert imported[name].sha256 == hashlib.sha256(content).hexdigest()
        assert stored_sha256(imported[name]) == hashlib.sha256(content).hexdigest()
    assert imported[f"{full_copy.file_code}.pdf"].record_file == full_copy
    assert imported[f"{full_copy.file_code}.pdf"].document is None
    assert not Document.objects.filter(archive=dong_nai, title="Tài liệu đã xóa").exists()
    assert not RecordFile.objects.filter(archive=dong_nai, title="Hồ sơ đã xóa").exists()
    assert InformationPackage.objects.filter(archive=dong_nai, direction="import").count() == 2
    ingestions = PreservationEvent.objects.filter(archive=dong_nai, event_type=EventType.INGESTION)
    assert ingestions.filter(digital_object__isnull=False).count() == 3


def test_export_records_one_package_and_one_creation_event_per_file(holdings, tmp_path):
    archivist = staff_user(holdings["full"].archive, Role.ARCHIVIST)
    written = list(export_packages(holdings["full"].archive, tmp_path, user=archivist))

    assert sorted(item.package.file_code for item in written) == sorted(
        [holdings["full"].file_code, holdings["bare"].file_code]
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(item.path.name for item in written)
    for item in written:
        assert item.package.direction == "export"
        assert item.package.created_by == archivist
        assert item.package.sha256 == hashlib.sha256(item.path.read_bytes()).hexdigest()
        events = preservation.events_of(item.package.record_file).filter(
            event_type=EventType.PACKAGE_CREATION
        )
        assert events.count() == 1
        assert item.package.objid in events.get().detail


def test_package_layout_follows_the_circular(holdings, tmp_path):
    written = next(
        item for item in export_packages(holdings["full"].archive, tmp_path) if item.data_files == 3
    )
    objid = written.package.objid
    with zipfile.ZipFile(written.path) as package:
        names = set(package.namelist())
        root = etree.fromstring(package.read(f"{objid}/METS.xml"))
        ead = etree.fromstring(package.read(f"{objid}/metadata/descriptive/EAD.xml"))
    code = holdings["full"].file_code
    assert objid.startswith("uuid-") and objid[5:] == objid[5:].upper()
    for expected in (
        "METS.xml",
        "metadata/descriptive/EAD.xml",
        "representations/rep1/METS.xml",
        f"representations/rep1/metadata/descriptive/EAD_doc_{code}.1.xml",
        f"representations/rep1/metadata/descriptive/EAD_pic_{code}.2.xml",
        f"representations/rep1/metadata/descriptive/EAD_media_{code}.3.xml",
        f"representations/rep1/data/{code}.1.pdf",
        f"representations/rep1/data/{code}.2.jpg",
        f"representations/rep1/data/{code}.pdf",
        "schemas/mets1_12.xsd",
        "schemas/ead_doc.xsd",
    ):
        assert f"{objid}/{expected}" in names
    assert not any("/metadata/preservation/" in name for name in names)  # a SIP carries no PREMIS
    ns = {"m": "http://www.loc.gov/METS/", "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"}
    assert root.get("TYPE") == "Mixed"
    header = root.find("m:metsHdr", ns)
    assert header.get("{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}OAISPACKAGETYPE") == "SIP"
    assert header.get("RECORDSTATUS") == "NEW"
    assert header.get("CREATEDATE").endswith("+07:00")
    assert header.findtext("m:agent/m:note", namespaces=ns) == "P12"
    assert header.findtext("m:altRecordID[@TYPE='SUBMISSIONAGREEMENT']", namespaces=ns) == code
    reference = root.find("m:dmdSec/m:mdRef", ns)
    assert reference.get("CHECKSUMTYPE") == "SHA-256"
    assert reference.get("CHECKSUM") == reference.get("CHECKSUM").upper()
    assert all(element.get("ID").startswith("ID-") for element in root.iter("{http://www.loc.gov/METS/}file"))
    assert root.find("m:structMap", ns).get("LABEL") == "CSIP"
    assert ead.tag == "simpledc" and len(ead) == 18
    assert ead.findtext("startDate") == "03/2021" and ead.findtext("language") == "01,06"


def test_aip_carries_premis_events_and_fixity(holdings, tmp_path):
    written = next(
        item
        for item in export_packages(holdings["full"].archive, tmp_path, kind="aip")
        if item.data_files == 3
    )
    objid = written.package.objid
    assert objid.startswith("urn:P12:uuid-")
    folder = objid.replace(":", "_")
    with zipfile.ZipFile(written.path) as package:
        premis = etree.fromstring(package.read(f"{folder}/metadata/preservation/PREMIS.xml"))
        rep_premis = etree.fromstring(
            package.read(f"{folder}/representations/rep1/metadata/preservation/PREMIS_rep1.xml")
        )
        root = etree.fromstring(package.read(f"{folder}/METS.xml"))
    validate(premis, "premis-v3-0.xsd")
    validate(rep_premis, "premis-v3-0.xsd")
    ns = {"p": "http://www.loc.gov/premis/v3"}
    event_types = {element.text for element in premis.iterfind("p:event/p:eventType", ns)}
    assert {"access change", "information package creation", "ingestion"} <= event_types
    assert "ingestion" in {element.text for element in rep_premis.iterfind("p:event/p:eventType", ns)}
    digests = {element.text for element in rep_premis.iterfind(".//p:messageDigest", ns)}
    assert holdings["scans"]["text"].archival_sha256.upper() in digests
    assert premis.find("p:agent/p:agentName", ns).text
    header = root.find("{http://www.loc.gov/METS/}metsHdr")
    assert header.get("{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}OAISPACKAGETYPE") == "AIP"
    assert root.find("{http://www.loc.gov/METS/}amdSec/{http://www.loc.gov/METS/}digiprovMD") is not None


def test_export_is_refused_to_staff_who_do_not_describe_records(holdings, tmp_path):
    reading_room = staff_user(holdings["full"].archive, Role.READING_ROOM)
    with pytest.raises(ExportError, match="không có quyền xuất gói tin"):
        list(export_packages(holdings["full"].archive, tmp_path, user=reading_room))
    assert list(tmp_path.iterdir()) == []


def test_a_stored_file_that_no_longer_matches_is_never_packaged(holdings, tmp_path):
    scan = holdings["scans"]["photo"]
    storage = scan.file.storage
    storage.delete(scan.file.name)
    storage.save(scan.file.name, ContentFile(b"\xff\xd8 bytes that are not the scan any more \xff\xd9"))

    with pytest.raises(CommandError, match="không còn khớp mã SHA-256"):
        run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    assert not any(path.name.endswith(".zip") and path.name.startswith(".") for path in tmp_path.iterdir())
    assert [path for path in tmp_path.iterdir() if path.suffix == ".part"] == []
    assert not InformationPackage.objects.filter(record_file=holdings["full"]).exists()


def test_dry_run_lists_conflicts_and_writes_nothing(holdings, tmp_path):
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    before = (RecordFile.objects.count(), DigitalObject.objects.count(), InformationPackage.objects.count())

    output = run("import_package", str(tmp_path), "--archive", "tuyen-quang", "--dry-run")

    assert "[xung đột]" in output
    assert f"hồ sơ mã {holdings['full'].file_code} đã có trong cơ quan lưu trữ" in output
    assert "trùng nội dung (SHA-256) với bản số hóa đã lưu" in output
    assert "Chạy thử, chưa ghi gì. 2 gói hợp lệ: sẽ nhập 0, xung đột 2" in output
    with pytest.raises(CommandError, match="Không nhập gói nào"):
        run("import_package", str(tmp_path), "--archive", "tuyen-quang")
    assert (
        RecordFile.objects.count(),
        DigitalObject.objects.count(),
        InformationPackage.objects.count(),
    ) == before


def test_a_second_run_skips_packages_already_imported(holdings, dong_nai, tmp_path):
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    run("import_package", str(tmp_path), "--archive", "dong-nai")
    counts = (RecordFile.objects.filter(archive=dong_nai).count(), DigitalObject.objects.count())

    output = run("import_package", str(tmp_path), "--archive", "dong-nai")

    assert output.count("[đã nhập trước]") == 2
    assert "Đã nhập 0 gói, bỏ qua 2 gói" in output
    assert (RecordFile.objects.filter(archive=dong_nai).count(), DigitalObject.objects.count()) == counts


def test_codes_of_the_source_archive_keep_answering_after_a_move(holdings, dong_nai, tmp_path, client):
    run("export_package", str(tmp_path), "--archive", "tuyen-quang")
    source = holdings["full"]
    source_code = source.reference_code
    # The source archive's copy is gone (e.g. handed over), so its codes are free to become aliases.
    ReferenceAlias.objects.all().delete()
    Document.objects.filter(file__archive=source.archive).update(reference_code=models_free("D"))
    RecordFile.objects.filter(archive=source.archive).update(reference_code=models_free("F"))

    run("import_package", str(tmp_path), "--archive", "dong-nai")
    client.force_login(staff_user(dong_nai, Role.ARCHIVIST))  # imported records arrive as drafts

    response = client.get(f"/r/{source_code}/")
    assert response.status_code == 301
    assert response["Location"] == f"/r/LT75.{source.file_code}/"
    document_response = client.get(f"/r/{source_code}.1/")
    assert document_response.status_code == 301
    assert document_response["Location"] == f"/r/LT75.{source.file_code}.1/"


def models_free(prefix):
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    return Concat(Value(f"X{prefix}."), F("pk"))
