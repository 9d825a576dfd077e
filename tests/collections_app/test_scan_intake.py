"""Scan intake: real scans and real bad files, checked, hashed, stored once, attached to their record."""

import hashlib
import io
import struct
import zipfile
import zlib

import pikepdf
import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError
from PIL import Image

from collections_app.codes import record_alias
from collections_app.factories import DocumentFactory, FondsFactory, RecordFileFactory, SeriesFactory
from collections_app.ingest import samples, scans
from collections_app.ingest.scans import Status, find_record_for_scan, ingest_scan_file
from collections_app.models import DigitalObject, OcrMode

pytestmark = pytest.mark.django_db

DPI = 100


@pytest.fixture
def storage(settings):
    """A fresh, empty in-memory default storage for the test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def stored_names(storage, folder="scans"):
    if not storage.exists(folder):
        return []
    folders, files = storage.listdir(folder)
    names = [f"{folder}/{name}" for name in files]
    for sub in folders:
        names += stored_names(storage, f"{folder}/{sub}")
    return names


@pytest.fixture
def document(tuyen_quang):
    return DocumentFactory(
        file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    )


def pdf_bytes(pages=2):
    return samples.pdf_scan([samples.sample_text(2, offset=i) for i in range(pages)], dpi=DPI)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width=50_000, height=50_000):
    """A complete, valid 1-bit PNG of 50,000 × 50,000 white pixels: 300 KB that decode to 2.5 gigapixels."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    block = row * 1000
    data = b"".join(compressor.compress(block) for _ in range(height // 1000)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width, height):
    """A real JPEG whose frame header (SOF0) is rewritten to declare another size."""
    data = bytearray(samples.jpeg_page(dpi=50))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def encrypted_pdf(opening_key="mat-khau"):
    output = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_bytes(1))) as pdf:
        pdf.save(output, encryption=pikepdf.Encryption(owner="chu-so-huu", user=opening_key))
    return output.getvalue()


def pdf_without_pages():
    output = io.BytesIO()
    pikepdf.new().save(output)
    return output.getvalue()


def pdf_with_page(size_points):
    output = io.BytesIO()
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=size_points)
    pdf.save(output)
    return output.getvalue()


def pdf_with_huge_image():
    output = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_bytes(1))) as pdf:
        image = next(iter(pdf.pages[0].get_images().values()))
        image.Width, image.Height = 50_000, 50_000
        pdf.save(output)
    return output.getvalue()


def zip_bytes():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("H19.pdf", pdf_bytes(1))
    return output.getvalue()


def raw_tiff():
    """An uncompressed TIFF: Pillow writes its directory first and the pixel strips after it."""
    output = io.BytesIO()
    samples.render_page("Trang thử", dpi=50).save(output, format="TIFF", dpi=(50, 50))
    return output.getvalue()


def half(data):
    return data[: len(data) // 2]


# --- Good scans ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "mime_type", "pages"),
    [
        ("scan.png", lambda: samples.png_page(dpi=DPI), "image/png", 1),
        ("scan.jpg", lambda: samples.jpeg_page(dpi=DPI), "image/jpeg", 1),
        ("scan.tif", lambda: samples.tiff_page(dpi=DPI), "image/tiff", 1),
        ("scan.pdf", lambda: pdf_bytes(2), "application/pdf", 2),
    ],
)
def test_a_scan_is_stored_with_its_hash_type_and_pages(
    storage, document, django_capture_on_commit_callbacks, name, make, mime_type, pages
):
    content = make()
    with django_capture_on_commit_callbacks() as callbacks:
        result = ingest_scan_file(io.BytesIO(content), name, document)

    assert result.status == Status.STORED, result.message
    scan = DigitalObject.objects.get(document=document)
    assert scan == result.digital_object
    assert scan.sha256 == hashlib.sha256(content).hexdigest()
    assert (scan.size_bytes, scan.mime_type, scan.page_count) == (len(content), mime_type, pages)
    assert scan.original_name == name
    assert scan.archive == document.archive
    assert scan.record_file is None
    assert scan.ocr_mode == OcrMode.SKIP_TEXT
    assert scan.file.name.startswith(f"scans/LT08/{scan.sha256[:2]}/{scan.sha256}/original/")
    with scan.file.open("rb") as stored:
        assert stored.read() == content
    assert document.reference_code in result.message
    assert len(callbacks) == 1  # processing is queued once the row is committed


def test_once_committed_the_scan_is_processed(storage, document, django_capture_on_commit_callbacks):
    content = samples.png_page("Quyết định giao đất", dpi=DPI, size_inches=(4, 2))
    with django_capture_on_commit_callbacks(execute=True):
        scan = ingest_scan_file(io.BytesIO(content), "trang.png", document).digital_object
    scan.refresh_from_db()
    # Tests run tasks at once (immediate backend): queued on commit, then processed.
    assert (scan.state, scan.state_message) == ("done", "")
    assert scan.pages.count() == 1


def test_a_file_scanned_as_one_pdf_attaches_to_the_file(storage, document):
    record_file = document.file
    result = ingest_scan_file(io.BytesIO(pdf_bytes(3)), "ho-so.pdf", record_file, ocr_mode=OcrMode.REDO)
    scan = result.digital_object
    assert (scan.record_file, scan.document, scan.page_count, scan.ocr_mode) == (
        record_file,
        None,
        3,
        OcrMode.REDO,
    )


def test_a_path_and_a_non_seekable_stream_are_read_too(storage, document, tmp_path):
    path = tmp_path / "trang.png"
    path.write_bytes(samples.png_page(dpi=DPI))
    assert ingest_scan_file(path, path.name, document).stored

    class Pipe(io.RawIOBase):
        """A stream that can only be read forward, as from a network socket."""

        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    content = pdf_bytes(1)
    result = ingest_scan_file(Pipe(content), "tu-mang.pdf", document)
    assert result.stored, result.message
    assert result.digital_object.sha256 == hashlib.sha256(content).hexdigest()
    assert len(stored_names(storage)) == 2


def test_a_multi_page_tiff_counts_its_pages(storage, document):
    pages = [samples.render_page(samples.sample_text(1, offset=i), dpi=50) for i in range(3)]
    output = io.BytesIO()
    pages[0].save(output, format="TIFF", save_all=True, append_images=pages[1:], compression="tiff_lzw")
    result = ingest_scan_file(io.BytesIO(output.getvalue()), "ban-do.tiff", document)
    assert result.stored, result.message
    assert result.digital_object.page_count == 3


def test_upper_case_extensions_are_accepted(storage, document):
    assert ingest_scan_file(io.BytesIO(samples.jpeg_page(dpi=DPI)), "SCAN.JPEG", document).stored


# --- Duplicates -------------------------------------------------------------------------------------


def test_a_duplicate_is_reported_with_its_record_and_stored_once(storage, document):
    content = pdf_bytes(1)
    first = ingest_scan_file(io.BytesIO(content), "lan-1.pdf", document)
    other_document = DocumentFactory(file=document.file)
    second = ingest_scan_file(io.BytesIO(content), "lan-2.pdf", other_document)

    assert first.stored
    assert second.status == Status.DUPLICATE
    assert second.digital_object == first.digital_object
    assert "lan-1.pdf" in second.message
    assert document.reference_code in second.message
    assert DigitalObject.objects.count() == 1
    assert not other_document.digital_objects.exists()
    assert len(stored_names(storage)) == 1


def test_the_same_scan_may_be_kept_by_another_archive(storage, document, dong_nai):
    content = samples.png_page(dpi=DPI)
    other = DocumentFactory(
        file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=dong_nai)))
    )
    assert ingest_scan_file(io.BytesIO(content), "a.png", document).stored
    assert ingest_scan_file(io.BytesIO(content), "a.png", other).stored
    assert len(stored_names(storage)) == 2


def test_a_concurrent_duplicate_keeps_the_first_file_and_drops_the_second(storage, document, monkeypatch):
    content = samples.png_page(dpi=DPI)
    first = ingest_scan_file(io.BytesIO(content), "a.png", document).digital_object
    # A second upload of the same bytes that looked for duplicates just before the first was committed:
    # its first look finds nothing, so the database's unique constraint must refuse its row, for real.
    real_find_duplicate = scans.find_duplicate
    looks = []

    def find_duplicate_too_early(*args):
        looks.append(args)
        return None if len(looks) == 1 else real_find_duplicate(*args)

    monkeypatch.setattr(scans, "find_duplicate", find_duplicate_too_early)
    second = ingest_scan_file(io.BytesIO(content), "a.png", DocumentFactory(file=document.file))

    assert second.status == Status.DUPLICATE
    assert second.digital_object == first
    assert list(DigitalObject.objects.all()) == [first]
    assert stored_names(storage) == [first.file.name]


def test_a_failed_row_leaves_no_stored_file(storage, document, monkeypatch):
    # A database outage cannot be produced here: saving the row is made to fail as one would.
    def failing_save(self, *args, **kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(DigitalObject, "save", failing_save)
    with pytest.raises(DatabaseError):
        ingest_scan_file(io.BytesIO(samples.png_page(dpi=DPI)), "a.png", document)
    assert stored_names(storage) == []


# --- Bad input --------------------------------------------------------------------------------------


BAD_INPUTS = [
    ("rong.pdf", lambda: b"", ["Tệp rỗng", "0 byte"]),
    (
        "van-ban.pdf",
        lambda: "Biên bản giao nhận hồ sơ\n".encode() * 20,
        [".pdf", "văn bản thuần", "không phải PDF"],
    ),
    ("anh.pdf", lambda: samples.png_page(dpi=50), [".pdf", "PNG", ".png"]),
    ("trang.tif", lambda: samples.jpeg_page(dpi=50), [".tif", "JPEG", ".jpg"]),
    ("H19.25.07.2024.08.1", lambda: pdf_bytes(1), ["không có đuôi", "PDF", ".pdf"]),
    ("goi.zip", zip_bytes, ["không được hỗ trợ", "ZIP", "PDF, TIFF, JPEG hoặc PNG"]),
    ("anh.gif", lambda: _image_bytes("GIF"), ["không được hỗ trợ", "GIF"]),
    ("hong.pdf", lambda: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", ["PDF bị hỏng", "không mở được"]),
    ("cat.pdf", lambda: half(pdf_bytes(2)), ["PDF bị hỏng hoặc bị cắt cụt"]),
    ("trong.pdf", pdf_without_pages, ["không có trang nào"]),
    ("khoa.pdf", encrypted_pdf, ["mật khẩu", "bản không đặt mật khẩu"]),
    ("chu-so-huu.pdf", lambda: encrypted_pdf(opening_key=""), ["mật khẩu hoặc bị mã hóa"]),
    ("bom.png", png_bomb, ["50.000 × 50.000", "2.500 megapixel", "350 megapixel"]),
    ("bom.jpg", lambda: jpeg_declaring(50_000, 50_000), ["50.000 × 50.000", "vượt giới hạn"]),
    ("kho-lon.pdf", lambda: pdf_with_page((14_400, 14_400)), ["Trang 1", "508 × 508 cm", "quá lớn"]),
    ("anh-lon.pdf", pdf_with_huge_image, ["Trang 1", "50.000 × 50.000"]),
    ("cat.png", lambda: half(samples.png_page(dpi=DPI)), ["PNG bị cắt cụt"]),
    ("cat.jpg", lambda: half(samples.jpeg_page(dpi=DPI)), ["JPEG bị cắt cụt"]),
    ("cat.tif", lambda: half(samples.tiff_page(dpi=DPI)), ["TIFF bị cắt cụt"]),
    ("cat-raw.tif", lambda: half(raw_tiff()), ["TIFF bị cắt cụt"]),
]


def _image_bytes(image_format):
    output = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(output, format=image_format)
    return output.getvalue()


@pytest.mark.parametrize(("name", "make", "expected"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_refused_with_the_reason_and_nothing_written(
    storage, document, django_capture_on_commit_callbacks, name, make, expected
):
    with django_capture_on_commit_callbacks() as callbacks:
        result = ingest_scan_file(io.BytesIO(make()), name, document)
    assert result.status == Status.REFUSED
    for words in expected:
        assert words in result.message, result.message
    assert result.digital_object is None
    assert not DigitalObject.objects.exists()
    assert stored_names(storage) == []
    assert callbacks == []


def test_the_pixel_limit_is_a_setting(storage, document, settings):
    tiff = samples.tiff_page(dpi=DPI)  # 827 × 1169 pixels, about 1 megapixel
    settings.SCAN_MAX_PIXELS = 500_000
    refused = ingest_scan_file(io.BytesIO(tiff), "ban-do.tif", document)
    assert refused.refused
    assert "827 × 1.169" in refused.message
    settings.SCAN_MAX_PIXELS = 2_000_000
    assert ingest_scan_file(io.BytesIO(tiff), "ban-do.tif", document).stored


def test_an_a0_map_at_400_dpi_is_within_the_default_limit(storage, document):
    a0_points = (841 / 25.4 * 72, 1189 / 25.4 * 72)
    assert ingest_scan_file(io.BytesIO(pdf_with_page(a0_points)), "ban-do-a0.pdf", document).stored


# --- Which record a file name names -------------------------------------------------------------------


def test_a_file_name_finds_its_document_or_file(tuyen_quang, document):
    record_file = document.file
    assert find_record_for_scan(tuyen_quang, f"{document.doc_id}.pdf") == (document, "")
    assert find_record_for_scan(tuyen_quang, f"{record_file.file_code}.PDF") == (record_file, "")
    assert find_record_for_scan(tuyen_quang, f"{document.reference_code}.tif") == (document, "")
    assert find_record_for_scan(tuyen_quang, f"{record_file.reference_code}.jpg") == (record_file, "")


def test_a_former_code_still_finds_the_record(tuyen_quang, document):
    record_alias(document, f"LT08.{document.file.file_code}.99")
    assert find_record_for_scan(tuyen_quang, f"{document.file.file_code}.99.pdf") == (document, "")


def test_unknown_or_unsuitable_codes_say_why(tuyen_quang, dong_nai, document):
    record, problem = find_record_for_scan(tuyen_quang, "H99.99.2020.01.1.pdf")
    assert record is None
    assert "Không tìm thấy hồ sơ hoặc tài liệu có mã “H99.99.2020.01.1”" in problem
    fonds = document.file.fonds
    record, problem = find_record_for_scan(tuyen_quang, f"{fonds.reference_code}.pdf")
    assert record is None
    assert "phông lưu trữ" in problem
    record, problem = find_record_for_scan(dong_nai, f"{document.reference_code}.pdf")
    assert record is None
    assert "thuộc cơ quan lưu trữ khác" in problem
