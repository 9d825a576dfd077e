"""Scan processing with the real tools: page images, thumbnail, IIIF tiles, OCR text, PDF/A, warnings.

Tasks run at once (the test settings' immediate backend); files go to the in-memory storage. Each
OCR test uses one or two real pages rendered from known Vietnamese text.
"""

import io
import json
import re
import shutil
import subprocess
import unicodedata

import pikepdf
import pypdfium2 as pdfium
import pytest
from django.core.files.storage import default_storage
from PIL import Image, ImageStat

from collections_app.factories import DigitalObjectFactory, DocumentFactory
from collections_app.ingest import ocr, samples
from collections_app.ingest.processing import queue_processing
from collections_app.models import OcrMode, PageTextRevision, ProcessingState, TextSource

pytestmark = pytest.mark.django_db

JPEG_MAGIC = b"\xff\xd8\xff"


def levenshtein(first, second):
    """Edit distance (insertions, deletions, substitutions) between two strings."""
    if len(first) < len(second):
        first, second = second, first
    previous = list(range(len(second) + 1))
    for i, left in enumerate(first, start=1):
        current = [i]
        for j, right in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]


def normalised(text):
    return " ".join(unicodedata.normalize("NFC", text).split())


def character_error_rate(expected, found):
    expected, found = normalised(expected), normalised(found)
    return levenshtein(expected, found) / len(expected)


def test_levenshtein_counts_each_kind_of_edit():
    assert levenshtein("Đồng Nai", "Đồng Nai") == 0
    assert levenshtein("Đồng Nai", "Đong Nai") == 1  # substitution of a stacked-mark letter
    assert levenshtein("Hồ sơ", "Hồ sơ số") == 3  # insertions
    assert levenshtein("", "abc") == 3
    assert character_error_rate("Hồ  sơ\n", "Hồ sơ") == 0


def first_character_box(pdf_path, page_index=0):
    """Where the text layer's first character sits on the page, in points from the top-left corner."""
    document = pdfium.PdfDocument(str(pdf_path))
    page = document[page_index]
    textpage = page.get_textpage()
    index = next(i for i in range(textpage.count_chars()) if not textpage.get_text_range(i, 1).isspace())
    left, _bottom, _right, top = textpage.get_charbox(index)
    height = page.get_height()
    textpage.close()
    page.close()
    document.close()
    return left, height - top


def assert_text_layer_on_the_printed_text(pdf_path, pages):
    """samples.render_page starts the text 0.9 inch from the top-left corner: so must the layer."""
    margin = 0.9 * 72
    for index in range(pages):
        left, top = first_character_box(pdf_path, index)
        assert abs(left - margin) < 6 and abs(top - margin) < 12, (index, left, top)


def scan(content, name, mime_type, document=None, **kwargs):
    document = document or DocumentFactory()
    return DigitalObjectFactory(
        content=content, original_name=name, mime_type=mime_type, document=document, **kwargs
    )


def stored_bytes(name):
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def test_a_png_scan_becomes_page_image_thumbnail_tiles_text_and_pdfa(tuyen_quang, tmp_path):
    text = samples.sample_text(2)
    digital_object = scan(samples.png_page(text, dpi=300), "quyet-dinh.png", "image/png")

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    assert digital_object.state_message == ""
    assert digital_object.attempts == 1
    assert digital_object.page_count == 1
    assert digital_object.quality_warnings == []
    prefix = digital_object.storage_prefix

    page = digital_object.pages.get()
    assert page.number == 1
    assert page.image.name == f"{prefix}/pages/0001.jpg"
    image = Image.open(io.BytesIO(stored_bytes(page.image.name)))
    assert image.format == "JPEG"
    assert (page.width, page.height) == image.size == (2481, 3507)
    assert (page.dpi, page.colour_depth) == (300, 24)
    assert page.quality_warnings == []

    assert digital_object.thumbnail.name == f"{prefix}/thumbnail.jpg"
    thumbnail = Image.open(io.BytesIO(stored_bytes(digital_object.thumbnail.name)))
    assert max(thumbnail.size) == 400

    assert page.tiles_info == f"{prefix}/iiif/0001/info.json"
    info = json.loads(stored_bytes(page.tiles_info))
    assert info["id"] == f"/files/{digital_object.pk}/iiif/0001"
    assert info["type"] == "ImageService3" and info["profile"] == "level0"
    assert (info["width"], info["height"]) == (2481, 3507)
    first_tile = f"{prefix}/iiif/0001/0,0,512,512/512,512/0/default.jpg"
    assert stored_bytes(first_tile).startswith(JPEG_MAGIC)

    assert character_error_rate(text, page.text) <= 0.02, page.text
    assert page.ocr_confidence > 80
    revision = PageTextRevision.objects.get(page=page)
    assert (revision.source, revision.text, revision.confidence) == (
        TextSource.OCR,
        page.text,
        page.ocr_confidence,
    )
    digital_object.document.refresh_from_db()
    assert digital_object.document.ocr_text == page.text

    pdfa = stored_bytes(digital_object.archival_copy.name)
    assert digital_object.archival_copy.name.startswith(f"{prefix}/pdfa/quyet-dinh")
    assert pdfa.startswith(b"%PDF")
    assert digital_object.archival_size_bytes == len(pdfa)
    with pikepdf.open(io.BytesIO(pdfa)) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        assert len(pdf.pages) == 1
        assert "Quyết định về việc giao đất" in str(pdf.open_metadata().get("dc:title", ""))
        # The scanned image is kept as received (PNG pixels, lossless), under the text layer.
        images = list(pdf.pages[0].get_images().values())
        assert len(images) == 1 and images[0].Width == 2481 and images[0].Filter == "/FlateDecode"
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(pdfa)
    assert character_error_rate(text, ocr.embedded_page_texts(copy)[0]) <= 0.02
    assert_text_layer_on_the_printed_text(copy, pages=1)


def test_ocr_of_clean_vietnamese_pages_has_at_most_two_percent_character_errors(tuyen_quang, tmp_path):
    texts = [samples.sample_text(3, offset=0), samples.sample_text(3, offset=3)]
    digital_object = scan(samples.pdf_scan(texts, dpi=300), "ho-so.pdf", "application/pdf")

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    pages = list(digital_object.pages.order_by("number"))
    assert [page.number for page in pages] == [1, 2]
    for page, expected in zip(pages, texts, strict=True):
        assert character_error_rate(expected, page.text) <= 0.02, page.text
    # The archival copy carries the same recognition as its invisible text layer.
    archival = tmp_path / "copy.pdf"
    archival.write_bytes(stored_bytes(digital_object.archival_copy.name))
    layer = ocr.embedded_page_texts(archival)
    assert len(layer) == 2
    for found, expected in zip(layer, texts, strict=True):
        assert character_error_rate(expected, found) <= 0.02, found
    assert_text_layer_on_the_printed_text(archival, pages=2)


def test_low_resolution_and_greyscale_pages_are_flagged_not_refused(tuyen_quang):
    text = "Trang quét độ phân giải thấp của Ủy ban nhân dân tỉnh"
    grey_tiff = samples.tiff_page(text, dpi=150, mode="L", size_inches=(5, 3))

    digital_object = scan(grey_tiff, "thap.tif", "image/tiff")
    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    page = digital_object.pages.get()
    assert (page.dpi, page.colour_depth) == (150, 8)
    low = "Trang 1: 150 dpi, dưới mức 200 dpi của Thông tư 05/2025 cho tài liệu hành chính."
    assert page.quality_warnings[0] == low
    assert "Trang 1: ảnh thang xám 8 bit" in page.quality_warnings[1]
    assert digital_object.quality_warnings == page.quality_warnings
    assert "Ủy ban nhân dân" in page.text


def test_maps_need_300_dpi_and_bitonal_pages_are_flagged(tuyen_quang):
    text = "Bản đồ địa chính xã Long Thọ"
    pages = [samples.render_page(text, dpi=250, mode="1", size_inches=(5, 3)) for _ in range(2)]
    buffer = io.BytesIO()
    pages[0].save(
        buffer, "TIFF", dpi=(250, 250), compression="group4", save_all=True, append_images=pages[1:]
    )
    digital_object = scan(
        buffer.getvalue(), "ban-do.tif", "image/tiff", document=DocumentFactory(type_name="30")
    )

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    assert [page.colour_depth for page in digital_object.pages.all()] == [1, 1]
    assert digital_object.pages.get(number=2).quality_warnings[0] == (
        "Trang 2: 250 dpi, dưới mức 300 dpi của Thông tư 05/2025 cho bản đồ, bản vẽ kỹ thuật."
    )
    assert digital_object.quality_warnings[0] == (
        "2/2 trang dưới mức 300 dpi của Thông tư 05/2025 cho bản đồ, bản vẽ kỹ thuật (thấp nhất 250 dpi): "
        "trang 1, 2."
    )
    assert digital_object.quality_warnings[1].startswith("2/2 trang không phải ảnh màu 24 bit")


def test_an_image_without_resolution_or_with_transparency_is_still_processed(tuyen_quang):
    picture = samples.render_page("Ảnh chụp không ghi độ phân giải", dpi=200, size_inches=(5, 3))
    buffer = io.BytesIO()
    picture.convert("RGBA").save(buffer, "PNG")  # no dpi, and an alpha channel OCRmyPDF refuses
    digital_object = scan(buffer.getvalue(), "anh-chup.png", "image/png")

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    page = digital_object.pages.get()
    assert page.dpi is None
    assert page.quality_warnings == [
        "Trang 1: tệp không ghi độ phân giải, không kiểm tra được mức 200 dpi của Thông tư 05/2025 cho "
        "tài liệu hành chính."
    ]
    assert "độ phân giải" in page.text
    with pikepdf.open(io.BytesIO(stored_bytes(digital_object.archival_copy.name))) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"


def vendor_pdf(tmp_path, page_text, vendor_text):
    """A scanner's PDF: the page image of ``page_text`` with an invisible text layer saying ``vendor_text``.

    The layer is Tesseract's own text-only PDF of another small image, laid over the scanned page,
    as scanner software does.
    """
    image_pdf = tmp_path / "image.pdf"
    image_pdf.write_bytes(samples.pdf_scan([page_text], dpi=200, size_inches=(5, 3)))
    vendor_image = tmp_path / "vendor.png"
    vendor_image.write_bytes(samples.png_page(vendor_text, dpi=200, size_inches=(5, 3)))
    text_only = ["-l", "vie", "-c", "textonly_pdf=1", "pdf"]
    subprocess.run(  # noqa: S603
        [shutil.which("tesseract"), vendor_image, tmp_path / "layer", *text_only],
        check=True,
        capture_output=True,
    )
    with pikepdf.open(image_pdf) as pdf, pikepdf.open(tmp_path / "layer.pdf") as layer:
        pdf.pages[0].add_overlay(layer.pages[0])
        output = io.BytesIO()
        pdf.save(output)
    return output.getvalue()


def test_skip_mode_keeps_the_scanners_text_layer_and_redo_mode_replaces_it(tuyen_quang, tmp_path):
    page_text = "Quyết định giao đất cho hộ ông Nguyễn Văn Bình"
    vendor_text = "LỚP CHỮ CỦA MÁY QUÉT"
    digital_object = scan(
        vendor_pdf(tmp_path, page_text, vendor_text),
        "nha-cung-cap.pdf",
        "application/pdf",
        ocr_mode=OcrMode.SKIP_TEXT,
    )

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    page = digital_object.pages.get()
    assert normalised(page.text) == vendor_text
    assert page.ocr_confidence is None
    assert page.text_revisions.get().source == TextSource.EMBEDDED
    first_copy = digital_object.archival_copy.name

    digital_object.ocr_mode = OcrMode.REDO
    digital_object.save(update_fields=["ocr_mode"])
    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    page.refresh_from_db()
    assert character_error_rate(page_text, page.text) <= 0.05, page.text
    assert page.ocr_confidence > 80
    assert [revision.source for revision in page.text_revisions.order_by("id")] == [
        TextSource.EMBEDDED,
        TextSource.OCR,
    ]
    # The earlier archival copy was replaced, not left behind.
    assert digital_object.archival_copy.name != first_copy
    assert not default_storage.exists(first_copy)
    assert default_storage.exists(digital_object.archival_copy.name)


def test_an_archival_copy_much_larger_than_the_scan_is_reported(tuyen_quang):
    """Force mode rasterizes a compact bitonal (CCITT G4) scan: the PDF/A grows about threefold."""
    import img2pdf

    page = samples.render_page(samples.sample_text(4), dpi=300, mode="1")
    tiff = io.BytesIO()
    page.save(tiff, "TIFF", compression="group4", dpi=(300, 300))
    compact_pdf = img2pdf.convert(tiff.getvalue())
    digital_object = scan(compact_pdf, "g4.pdf", "application/pdf", ocr_mode=OcrMode.FORCE)

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    ratio = digital_object.archival_size_bytes / digital_object.size_bytes
    assert ratio >= 2
    growth = [
        warning for warning in digital_object.quality_warnings if warning.startswith("Bản PDF/A lớn gấp")
    ]
    assert len(growth) == 1
    stated = re.match(r"Bản PDF/A lớn gấp (\d+),(\d) lần tệp gốc \(", growth[0])
    assert stated and abs(float(".".join(stated.groups())) - ratio) < 0.06
    assert "với cách nhận dạng “Nhận dạng lại toàn bộ, chuyển ảnh quét (chậm, tệp lớn hơn)”" in growth[0]
    assert "cân nhắc chọn “Giữ lớp chữ sẵn có”" in growth[0]


def test_a_rotated_pdf_page_is_shown_and_read_upright(tuyen_quang):
    """A page scanned sideways and turned by the PDF's /Rotate: OCRmyPDF makes its text layer."""
    text = "Biên bản bàn giao hồ sơ lưu trữ"
    sideways = samples.render_page(text, dpi=200, size_inches=(5, 3)).rotate(90, expand=True)
    buffer = io.BytesIO()
    sideways.save(buffer, "PDF", resolution=200)
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        pdf.pages[0].Rotate = 90  # clockwise, undoing the quarter turn to the left
        rotated = io.BytesIO()
        pdf.save(rotated)
    digital_object = scan(rotated.getvalue(), "xoay.pdf", "application/pdf")

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    page = digital_object.pages.get()
    assert (page.width, page.height) == (1000, 600)  # landscape, as the PDF shows it
    image = Image.open(io.BytesIO(stored_bytes(page.image.name))).convert("L")
    halves = ((0, 0, 1000, 300), (0, 300, 1000, 600))
    top, bottom = (ImageStat.Stat(image.crop(box)).mean[0] for box in halves)
    assert top < bottom  # the printed line is at the top: not upside down
    assert character_error_rate(text, page.text) <= 0.05, page.text
    assert page.ocr_confidence > 80


def cmyk_jpeg(picture):
    buffer = io.BytesIO()
    picture.convert("CMYK").save(buffer, "JPEG", dpi=(150, 150))
    return buffer.getvalue(), "image/jpeg", 32


def deep_colour_tiff(picture):
    """48-bit colour (16 bits per channel), as some book scanners write it; Pillow cannot read it."""
    import pyvips

    pixels = pyvips.Image.new_from_memory(picture.tobytes(), picture.width, picture.height, 3, "uchar")
    deep = (
        (pixels.cast("ushort") * 257)
        .cast("ushort")
        .copy(interpretation="rgb16", xres=150 / 25.4, yres=150 / 25.4)
    )
    return deep.tiffsave_buffer(), "image/tiff", 48


@pytest.mark.parametrize("encode", [cmyk_jpeg, deep_colour_tiff])
def test_colour_encodings_pdfa_cannot_hold_as_they_are_go_in_decoded(tuyen_quang, encode):
    text = "Tờ trình số 1234/TTr-STNMT"
    content, mime_type, depth = encode(samples.render_page(text, dpi=150, size_inches=(4, 2)))
    digital_object = scan(content, "mau." + mime_type.split("/")[1], mime_type)

    queue_processing(digital_object)

    digital_object.refresh_from_db()
    assert digital_object.state == ProcessingState.DONE, digital_object.state_message
    page = digital_object.pages.get()
    assert (page.width, page.height, page.dpi, page.colour_depth) == (600, 300, 150, depth)
    assert character_error_rate(text, page.text) <= 0.05, page.text
    with pikepdf.open(io.BytesIO(stored_bytes(digital_object.archival_copy.name))) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
