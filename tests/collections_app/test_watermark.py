"""Content read under a grant is served with a visible watermark; the stored file stays unchanged."""

import datetime
import hashlib
import io

import pypdf
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageChops

from collections_app.factories import DigitalObjectFactory, DocumentFactory, UserFactory
from collections_app.ingest import samples
from collections_app.models import AccessGrant
from collections_app.vocabularies import AccessRegime

pytestmark = pytest.mark.django_db


def read(response):
    return b"".join(response.streaming_content)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def reader():
    return UserFactory(username="hongnhung", first_name="Nguyễn Thị Hồng", last_name="Nhung")


@pytest.fixture
def granted(tuyen_quang, reader):
    """A conditional-access document the reader holds a grant for, and the reader's client."""
    document = DocumentFactory(
        file__series__fonds__archive=tuyen_quang, access_regime=AccessRegime.CONDITIONAL
    )
    AccessGrant.objects.create(
        archive=tuyen_quang,
        reader=reader,
        document=document,
        purpose="Nghiên cứu lịch sử địa phương",
        valid_until=timezone.localdate() + datetime.timedelta(days=15),
    )
    client = Client()
    client.force_login(reader)
    return document, client


def stored_scan(document, content, name, mime_type):
    return DigitalObjectFactory(document=document, content=content, original_name=name, mime_type=mime_type)


def expected_line(reader, archive):
    return f"{reader.get_full_name()} · {timezone.localdate():%d/%m/%Y} · {archive.name}"


def changed_fraction(first, second):
    difference = ImageChops.difference(first.convert("L"), second.convert("L")).point(
        lambda v: 255 if v > 24 else 0
    )
    return sum(difference.histogram()[255:]) / (first.width * first.height)


def test_page_image_carries_the_watermark_and_the_archive_in_its_margin(granted, tuyen_quang):
    document, client = granted
    digital_object = stored_scan(document, samples.png_page(dpi=80), "trang.png", "image/png")
    page_bytes = samples.jpeg_page(dpi=80)
    page_name = f"{digital_object.storage_prefix}/pages/0001.jpg"
    default_storage.save(page_name, ContentFile(page_bytes))

    response = client.get(f"/files/{digital_object.pk}/pages/0001.jpg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    served = Image.open(io.BytesIO(read(response)))
    original = Image.open(io.BytesIO(page_bytes))
    assert served.format == "JPEG" and served.size == original.size
    # The diagonal line covers the page: many pixels change, in the top half as in the bottom half.
    top = (0, 0, original.width, original.height // 2)
    assert changed_fraction(served.crop(top), original.crop(top)) > 0.0015
    # The bottom margin (blank on the page) now holds the archive's name in dark text.
    band = (0, original.height - original.height // 40, original.width, original.height)
    assert original.convert("L").crop(band).getextrema()[0] > 200
    assert served.convert("L").crop(band).getextrema()[0] < 100
    with default_storage.open(page_name, "rb") as stored:
        assert sha256(stored.read()) == sha256(page_bytes)


@pytest.mark.parametrize(
    ("make", "name", "mime_type", "image_format"),
    [
        (samples.png_page, "ban-quet.png", "image/png", "PNG"),
        (samples.tiff_page, "ban-quet.tif", "image/tiff", "TIFF"),
        (samples.jpeg_page, "ban-quet.jpg", "image/jpeg", "JPEG"),
    ],
)
def test_original_images_keep_their_format(granted, make, name, mime_type, image_format):
    document, client = granted
    content = make(dpi=60)
    digital_object = stored_scan(document, content, name, mime_type)

    response = client.get(f"/files/{digital_object.pk}/original/{name}")

    assert response.status_code == 200
    served_bytes = read(response)
    served = Image.open(io.BytesIO(served_bytes))
    assert served.format == image_format
    assert changed_fraction(served, Image.open(io.BytesIO(content))) > 0.0015
    assert sha256(digital_object.file.open("rb").read()) == digital_object.sha256 == sha256(content)


def test_pdf_pages_are_stamped_with_the_reader_date_and_archive(granted, reader, tuyen_quang):
    document, client = granted
    content = samples.pdf_scan(
        [samples.sample_text(2), samples.sample_text(2, offset=2), samples.sample_text(1)], dpi=60
    )
    digital_object = stored_scan(document, content, "quyet-dinh.pdf", "application/pdf")
    pdfa_name = f"{digital_object.storage_prefix}/pdfa/quyet-dinh-pdfa.pdf"
    default_storage.save(pdfa_name, ContentFile(content))

    for path in ("original/quyet-dinh.pdf", "pdfa/quyet-dinh-pdfa.pdf"):
        response = client.get(f"/files/{digital_object.pk}/{path}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
        pdf = pypdf.PdfReader(io.BytesIO(read(response)))
        assert len(pdf.pages) == 3
        for page in pdf.pages:
            text = page.extract_text()
            assert expected_line(reader, tuyen_quang) in text
            assert tuyen_quang.name in text
    assert sha256(digital_object.file.open("rb").read()) == sha256(content)
    with default_storage.open(pdfa_name, "rb") as stored:
        assert sha256(stored.read()) == sha256(content)
    # The source scan has no text at all: everything extracted above is the stamp.
    assert not pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text().strip()


def test_pdf_rotated_pages_get_an_upright_stamp(granted):
    import pikepdf

    document, client = granted
    source = io.BytesIO()
    with pikepdf.open(io.BytesIO(samples.pdf_scan([samples.sample_text(1)] * 2, dpi=40))) as pdf:
        pdf.pages[1].obj.Rotate = 90
        pdf.save(source)
    digital_object = stored_scan(document, source.getvalue(), "xoay.pdf", "application/pdf")

    served = read(client.get(f"/files/{digital_object.pk}/original/xoay.pdf"))

    # Rendered as displayed (the page's /Rotate applied), the footer is in the bottom margin.
    for data, footer_expected in ((source.getvalue(), False), (served, True)):
        rendered = rendered_pages(data)
        assert rendered[1].width > rendered[1].height  # page 2 is displayed landscape
        for image in rendered:
            band = image.convert("L").crop((0, image.height - image.height // 40, image.width, image.height))
            assert (band.getextrema()[0] < 100) is footer_expected


def rendered_pages(data):
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return [document[index].render(scale=1).to_pil() for index in range(len(document))]
    finally:
        document.close()


def test_open_records_and_staff_get_the_file_as_stored(tuyen_quang):
    document = DocumentFactory(file__series__fonds__archive=tuyen_quang)
    content = samples.png_page(dpi=60)
    digital_object = stored_scan(document, content, "mo.png", "image/png")
    response = Client().get(f"/files/{digital_object.pk}/original/mo.png")
    assert response.status_code == 200
    assert sha256(read(response)) == sha256(content)


def test_a_damaged_file_is_never_served_unmarked(granted, caplog):
    document, client = granted
    damaged = b"%PDF-1.7\n" + b"\x00garbage" * 200
    digital_object = stored_scan(document, damaged, "hong.pdf", "application/pdf")
    response = client.get(f"/files/{digital_object.pk}/original/hong.pdf")
    assert response.status_code == 404
    assert damaged not in response.content
    assert any("Could not watermark" in record.getMessage() for record in caplog.records)
