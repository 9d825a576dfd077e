"""The handover record as a document: its text, PDF/A-2B form, embedded fonts, signature and two copies."""

import datetime
import hashlib
import io
import shutil
import subprocess
from decimal import Decimal

import pikepdf
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, default_storage

from collections_app import signing
from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
)
from collections_app.ingest import samples
from collections_app.models import HandoverRecord, HandoverStatus
from collections_app.transfers import handover

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def signing_folder(settings, tmp_path_factory):
    """One demonstration certificate for the whole run (made on first use), outside the project tree."""
    settings.SIGNING_CERT = settings.SIGNING_KEY = ""
    settings.SIGNING_ALLOW_DEMO_CERTIFICATE = True
    settings.SIGNING_DEMO_DIR = tmp_path_factory.getbasetemp() / "handover-signing"


@pytest.fixture
def holdings(tuyen_quang):
    """A fonds of two files (one with documents and scans, one with a scan and its PDF/A copy)."""
    fonds = FondsFactory(
        archive=tuyen_quang, code="P07", name="Ủy ban nhân dân huyện Na Hang", date_range="1976-2025"
    )
    series = SeriesFactory(fonds=fonds, number="01")
    land = RecordFileFactory(series=series, file_number="12", box="3", title="Hồ sơ giao đất xã Đà Vị")
    project = RecordFileFactory(
        series=series, file_number="13", box="4", page_count=40, title="Hồ sơ dự án thủy điện Nà Hang"
    )
    first = DocumentFactory(file=land, ordinal=1, page_count=3)
    DocumentFactory(file=land, ordinal=2, page_count=5)
    scans = [
        DigitalObjectFactory(document=first, content=samples.png_page(dpi=40) + b"first"),
        DigitalObjectFactory(
            document=None, record_file=project, content=samples.png_page(dpi=40) + b"project"
        ),
    ]
    archival = b"%PDF-1.7 archival copy of the project file"
    scans[1].archival_copy.save("project-pdfa.pdf", ContentFile(archival), save=False)
    scans[1].archival_sha256 = hashlib.sha256(archival).hexdigest()
    scans[1].archival_size_bytes = len(archival)
    scans[1].save()
    return {"fonds": fonds, "land": land, "project": project, "scans": scans, "archival": archival}


def new_record(dong_nai, tuyen_quang, **overrides):
    values = {
        "number": "07/BB-LT08",
        "handed_over_on": datetime.date(2025, 7, 15),
        "giver_archive": tuyen_quang,
        "giver_name": tuyen_quang.name,
        "giver_representative": "Nguyễn Văn Đức",
        "giver_position": "Giám đốc",
        "receiver_archive": dong_nai,
        "receiver_name": dong_nai.name,
        "receiver_representative": "Trần Thị Ánh",
        "receiver_position": "Phó Giám đốc",
        "condition": "Tài liệu còn tốt; hồ sơ số 12 bị ẩm mốc nhẹ ở bìa.",
    }
    return HandoverRecord(**{**values, **overrides})


def drawing_record(holdings, dong_nai, tuyen_quang, **overrides):
    """A record saved as the admin saves it, before the task draws it."""
    inventory = handover.inventory_for_fonds([holdings["fonds"]])
    record = new_record(dong_nai, tuyen_quang, **overrides)
    record.volume = handover.volume_of(inventory)
    return handover.start_handover(
        record,
        place="Tuyên Quang",
        basis="Nghị quyết số 202/2025/QH15",
        source={"kind": "fonds", "fonds": [holdings["fonds"].reference_code]},
    )


def make_handover(holdings, dong_nai, tuyen_quang, **overrides):
    return handover.sign_handover(drawing_record(holdings, dong_nai, tuyen_quang, **overrides))


def run_task_on(record):
    """What the worker does with the record's queued ``draw_handover``."""
    handover.draw_handover.call(record.pk)
    record.refresh_from_db()
    return record


def stored_bytes(name):
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def pdf_text(content):
    if shutil.which("pdftotext") is None:
        pytest.skip(reason="pdftotext (Debian poppler-utils, installed by make setup) is not installed")
    command = [shutil.which("pdftotext"), "-layout", "-", "-"]
    result = subprocess.run(command, input=content, capture_output=True, check=True)  # noqa: S603
    return result.stdout.decode()


def test_text_states_both_sides_volume_condition_and_every_inventory_row(holdings, dong_nai, tuyen_quang):
    record = make_handover(holdings, dong_nai, tuyen_quang)
    text = pdf_text(stored_bytes(record.giver_copy))

    assert "BIÊN BẢN GIAO NHẬN TÀI LIỆU LƯU TRỮ" in text
    assert "Số: 07/BB-LT08" in text
    assert "ngày 15 tháng 07 năm 2025" in text
    assert "BÊN GIAO: Trung tâm Lưu trữ lịch sử tỉnh Tuyên Quang" in text
    assert "Đại diện: Ông/Bà Nguyễn Văn Đức – Chức vụ: Giám đốc" in text
    assert "BÊN NHẬN: Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai" in text
    assert "Đại diện: Ông/Bà Trần Thị Ánh – Chức vụ: Phó Giám đốc" in text
    assert "Căn cứ: Nghị quyết số 202/2025/QH15" in text
    # Volume: 2 boxes (8 per metre), 1 fonds, 2 files, 2 documents, 8 + 40 pages; 3 stored files.
    scans, archival = holdings["scans"], holdings["archival"]
    total_bytes = sum(scan.size_bytes for scan in scans) + len(archival)
    assert "0,25 mét giá, 2 hộp, 1 phông, 2 hồ sơ, 2 văn bản, tài liệu, 48 trang" in text
    assert f"0 gói tin, 3 tệp, dung lượng {handover.number(total_bytes)} byte" in text
    assert "hồ sơ số 12 bị ẩm mốc nhẹ ở bìa" in text
    # The annex: the fonds, every file with its counts, every stored file with its checksum.
    lines = text.splitlines()
    assert any("LT08.P07" in line and "Ủy ban nhân dân huyện Na Hang" in line for line in lines)
    land, project = holdings["land"], holdings["project"]
    assert any(land.reference_code in line and "Hồ sơ giao đất xã Đà Vị" in line for line in lines)
    assert any(project.reference_code in line and "Hồ sơ dự án thủy điện Nà Hang" in line for line in lines)
    expected_rows = [
        (scans[0].document.reference_code, scans[0].sha256, scans[0].size_bytes),
        (project.reference_code, scans[1].sha256, scans[1].size_bytes),
        (project.reference_code, scans[1].archival_sha256, len(archival)),
    ]
    for code, sha256, size in expected_rows:
        assert any(code in line and sha256 in line and handover.number(size) in line for line in lines), (
            sha256
        )
    assert record.volume["digital_files"] == 3
    assert record.volume["bytes"] == total_bytes
    assert record.status == HandoverStatus.SIGNED


def test_the_volume_is_counted_again_when_drawn_keeping_what_was_entered(holdings, dong_nai, tuyen_quang):
    record = drawing_record(holdings, dong_nai, tuyen_quang)
    inventory = handover.inventory_for_fonds([holdings["fonds"]])
    record.volume = {
        **record.volume,
        **handover.volume_of(inventory, boxes=12, shelf_metres=Decimal("1.70")),
    }
    record.save()
    RecordFileFactory(series=holdings["land"].series, file_number="14", box="5")

    record = run_task_on(record)
    assert (record.volume["files"], record.volume["boxes"], record.volume["shelf_metres"]) == (3, 12, "1.70")
    assert (record.volume["place"], record.volume["basis"]) == ("Tuyên Quang", "Nghị quyết số 202/2025/QH15")
    assert "1,70 mét giá, 12 hộp, 1 phông, 3 hồ sơ" in pdf_text(stored_bytes(record.giver_copy))


def test_copies_are_pdfa_2b_with_embedded_fonts_and_a_valid_signature(holdings, dong_nai, tuyen_quang):
    record = make_handover(holdings, dong_nai, tuyen_quang)
    for side in handover.SIDES:
        content = stored_bytes(getattr(record, f"{side}_copy"))
        assert hashlib.sha256(content).hexdigest() == getattr(record, f"{side}_copy_sha256")
        with pikepdf.open(io.BytesIO(content)) as pdf:
            metadata = pdf.open_metadata()
            assert (metadata.get("pdfaid:part"), metadata.get("pdfaid:conformance")) == ("2", "B")
            assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
            fonts = list(all_fonts(pdf))
            assert fonts, "the record has text in embedded fonts"
            assert all(is_embedded(font) for font in fonts)
            assert any("DejaVuSans" in str(font.get("/BaseFont")) for font in fonts)
        summary = signing.verify_signature(content)
        assert summary.ok and summary.intact and summary.trusted and summary.covers_whole_file
        assert summary.organisation == signing.DEMO_ORGANISATION
        assert summary.signed_at is not None
        assert abs((summary.signed_at - record.signed_at).total_seconds()) < 60
    assert record.signer == signing.DEMO_ORGANISATION
    # The visible stamp says who signed and when, in Vietnamese, with the embedded font.
    text = pdf_text(stored_bytes(record.receiver_copy))
    assert f"Ký số bởi: {signing.DEMO_ORGANISATION}" in text
    assert f"Thời gian ký: {record.signed_at:%d/%m/%Y %H:%M:%S}" in text


def all_fonts(pdf):
    """Every font used on the pages and in form XObjects (the signature's appearance among them)."""
    seen = set()

    def walk(resources):
        for font in resources.get("/Font", {}).values():
            if font.objgen not in seen:
                seen.add(font.objgen)
                yield font
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                yield from walk(xobject.Resources)

    for page in pdf.pages:
        yield from walk(page.obj.get("/Resources", pikepdf.Dictionary()))
        for annotation in page.obj.get("/Annots", []):
            appearance = annotation.get("/AP", {}).get("/N")
            if appearance is not None and "/Resources" in appearance:
                yield from walk(appearance.Resources)


def is_embedded(font):
    descendants = font.get("/DescendantFonts")
    described = descendants[0] if descendants else font
    descriptor = described.get("/FontDescriptor")
    return descriptor is not None and any(
        key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
    )


def test_one_changed_byte_in_the_signed_range_breaks_the_signature(holdings, dong_nai, tuyen_quang):
    record = make_handover(holdings, dong_nai, tuyen_quang)
    content = stored_bytes(record.giver_copy)
    with pikepdf.open(io.BytesIO(content)) as pdf:
        signature = pdf.Root.AcroForm.Fields[0].V
        start, first_length, second_start, second_length = (int(value) for value in signature.ByteRange)
    assert (start, second_start + second_length) == (0, len(content))
    # A byte well inside the first signed range: the page content of the original document.
    position = first_length // 2
    altered = bytearray(content)
    altered[position] ^= 0x01
    summary = signing.verify_signature(bytes(altered))
    assert not summary.ok
    assert not summary.intact
    assert summary.problem
    # A byte appended after the signature is not covered by it: reported, and never "ok".
    appended = signing.verify_signature(content + b"\n% appended\n")
    assert not appended.ok


def test_the_two_copies_differ_only_by_the_side_they_are_for(holdings, dong_nai, tuyen_quang):
    record = make_handover(holdings, dong_nai, tuyen_quang)
    giver_text = pdf_text(stored_bytes(record.giver_copy))
    receiver_text = pdf_text(stored_bytes(record.receiver_copy))
    giver_label = handover.side_label(record, handover.GIVER)
    receiver_label = handover.side_label(record, handover.RECEIVER)
    assert giver_label == "Bản của bên giao (Trung tâm Lưu trữ lịch sử tỉnh Tuyên Quang giữ)"
    assert receiver_label == "Bản của bên nhận (Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai giữ)"
    assert giver_label in giver_text and receiver_label not in giver_text
    assert receiver_label in receiver_text and giver_label not in receiver_text
    assert giver_text != receiver_text
    assert squeeze(giver_text.replace(giver_label, "<BẢN>")) == squeeze(
        receiver_text.replace(receiver_label, "<BẢN>")
    )
    assert record.giver_copy != record.receiver_copy
    assert record.giver_copy.startswith("private/handover/2025/")


def squeeze(text):
    """The text with runs of spaces folded: the labels differ in length, so the layout shifts a little."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


class FullAfterOneFile(InMemoryStorage):
    """The storage of a disk that fills up while the second copy is written (a part of it lands)."""

    saved = 0

    def _save(self, name, content):
        self.saved += 1
        if self.saved > 1:
            super()._save(name, ContentFile(content.read()[:100]))
            raise OSError(28, "No space left on device")
        return super()._save(name, content)


def stored_files_under(folder):
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = [f"{folder}/{name}" for name in files]
    for name in folders:
        found += stored_files_under(f"{folder}/{name}")
    return found


def test_a_failure_while_storing_fails_the_record_and_leaves_no_file(
    holdings, dong_nai, tuyen_quang, settings
):
    # The disk cannot be filled here: a storage that fails like a full disk stands in for it.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.FullAfterOneFile"}}
    record = drawing_record(holdings, dong_nai, tuyen_quang)
    with pytest.raises(handover.HandoverError, match="Không ghi được tệp biên bản"):
        handover.sign_handover(record)
    assert default_storage.saved == 2
    assert stored_files_under("private/handover") == []  # a storage of its own: nothing else in it

    assert run_task_on(record).status == HandoverStatus.FAILED
    assert "Không ghi được tệp biên bản vào kho tệp" in record.message
    assert (record.giver_copy, record.receiver_copy, record.signed_at) == ("", "", None)
    assert stored_files_under("private/handover") == []


def test_without_a_usable_certificate_nothing_is_written(holdings, dong_nai, tuyen_quang, settings, tmp_path):
    settings.SIGNING_CERT = str(tmp_path / "missing-cert.pem")
    settings.SIGNING_KEY = str(tmp_path / "missing-key.pem")
    files_before = stored_files_under("private/handover")
    record = run_task_on(drawing_record(holdings, dong_nai, tuyen_quang))
    assert record.status == HandoverStatus.FAILED and "SIGNING_CERT" in record.message
    assert (record.giver_copy, record.receiver_copy) == ("", "")
    assert stored_files_under("private/handover") == files_before


def test_a_record_signed_meanwhile_keeps_its_copies(holdings, dong_nai, tuyen_quang):
    """Two runs of the task at once: the one that finishes second removes its files and changes nothing."""
    files_before = set(stored_files_under("private/handover"))
    record = drawing_record(holdings, dong_nai, tuyen_quang)
    late = HandoverRecord.objects.get(pk=record.pk)  # read while DRAWING by the second run
    handover.sign_handover(record)
    files = set(stored_files_under("private/handover")) - files_before
    assert files == {record.giver_copy, record.receiver_copy}

    handover.sign_handover(late)
    assert set(stored_files_under("private/handover")) - files_before == files
    assert late.status == HandoverStatus.SIGNED
    assert (late.giver_copy, late.signed_at) == (record.giver_copy, record.signed_at)


def test_inventory_of_a_large_fonds_is_a_few_queries(holdings, django_assert_max_num_queries):
    for number in range(20, 60):
        RecordFileFactory(series=holdings["land"].series, file_number=str(number))
    with django_assert_max_num_queries(6):
        inventory = handover.inventory_for_fonds([holdings["fonds"]])
    assert inventory.totals()["files"] == 42
