"""Page images, thumbnail and IIIF level-0 tiles of a scan, and the checks of its resolution and colour.

Everything here works on local files in a temporary folder: the caller downloads the original from
storage, calls ``render_pages`` and ``make_thumbnail``, and uploads what they wrote. PDF pages are
rendered with pypdfium2 at the resolution of the scanned image they carry (or ``render_dpi`` for a
page without one); TIFF, JPEG and PNG pages are read with libvips at their own resolution. Tiles are
static files in libvips' IIIF 3 layout (``<page>/info.json`` and ``<page>/<region>/<size>/0/default.jpg``),
served through the checked file path like every other file.

``ocr_inputs`` gives the OCR stage what Tesseract reads for each page, writing as little as possible:
the uploaded image itself when Tesseract reads it as it is, a scanner's JPEG copied out of a PDF page,
otherwise a greyscale rendering.

Circular 05/2025 asks for scans of at least 200 dpi (300 dpi for maps and technical drawings) in
colour as the original, at least 24 bit. Pages below are flagged for the archivist, never refused.
"""

import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import magic
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pyvips
from django.utils.translation import gettext as _
from PIL import Image, JpegImagePlugin, PngImagePlugin, TiffImagePlugin

PDF_TYPE = "application/pdf"
IMAGE_OPENERS = {
    "image/tiff": TiffImagePlugin.TiffImageFile,
    "image/jpeg": JpegImagePlugin.JpegImageFile,
    "image/png": PngImagePlugin.PngImageFile,
}
SCAN_TYPES = (PDF_TYPE, *IMAGE_OPENERS)

# Document type codes (DOMAIN.md) scanned at the higher resolution: maps and technical drawings.
MAP_TYPE_NAMES = ("30", "31")
MIN_DPI_PAPER = 200
MIN_DPI_MAP = 300
MIN_COLOUR_DEPTH = 24

PAGE_JPEG_QUALITY = 85
TILE_SIZE = 512
TILE_SUFFIX = ".jpg[Q=80]"
THUMBNAIL_SIZE = 400
# A PDF page is rendered in memory in one piece: keep it under this many pixels (about 450 MB RGB).
MAX_RENDER_PIXELS = 150_000_000

# Bits per pixel of the colour (not alpha) channels of each Pillow mode.
MODE_BITS = {
    "1": 1,
    "L": 8,
    "LA": 8,
    "P": 8,
    "PA": 8,
    "I;16": 16,
    "I;16B": 16,
    "I;16L": 16,
    "I": 32,
    "F": 32,
    "RGB": 24,
    "RGBA": 24,
    "RGBX": 24,
    "YCbCr": 24,
    "LAB": 24,
    "HSV": 24,
    "CMYK": 32,
}
COLOUR_MODES = ("RGB", "RGBA", "RGBX", "YCbCr", "LAB", "HSV", "CMYK")


class ScanProcessingError(Exception):
    """A scan could not be processed; ``message`` says why and what to do, in Vietnamese."""

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)


@dataclass
class RenderedPage:
    """One page written to the work folder: its JPEG image, its tiles and what the scan measured."""

    number: int
    image_path: Path
    tiles_dir: Path
    width: int
    height: int
    dpi: int | None
    colour_depth: int | None
    colour: bool | None
    pixels_per_inch: float = 0.0  # of the page image (what OCR is told), measured or assumed
    has_text: bool = False  # a PDF page that already carries text (a scanner's OCR layer)
    warnings: list = field(default_factory=list)

    @property
    def name(self):
        return page_name(self.number)


@dataclass
class ScanMeasure:
    """What a page's scanned image says about the scan: resolution and colour."""

    dpi: float | None = None
    colour_depth: int | None = None
    colour: bool | None = None


def page_name(number):
    return f"{number:04d}"


def file_type(path):
    """The file's type from its content (never its extension)."""
    return magic.from_file(str(path), mime=True)


def corrupt_file_error(name, detail):
    return ScanProcessingError(
        _(
            "Không đọc được tệp quét “%(name)s”: tệp bị hỏng hoặc không phải PDF, TIFF, JPEG, PNG hợp lệ "
            "(%(detail)s). Hãy sao chép lại tệp từ máy quét, tải lên lại rồi bấm “Xử lý lại”."
        )
        % {"name": name, "detail": detail}
    )


def unsupported_type_error(name, mime_type):
    return ScanProcessingError(
        _(
            "Tệp “%(name)s” có kiểu %(type)s, không phải ảnh quét PDF, TIFF, JPEG hoặc PNG nên không xử lý "
            "được. Hãy tải lên đúng tệp quét."
        )
        % {"name": name, "type": mime_type}
    )


def render_pages(source, work_dir, *, name, iiif_id_base, render_dpi=300, max_dpi=600, on_page=None):
    """Write every page of ``source`` as ``pages/NNNN.jpg`` and ``iiif/NNNN/`` under ``work_dir``.

    ``iiif_id_base`` is the URL under which ``iiif/`` is served; each page's ``info.json`` gets
    ``<iiif_id_base>/<NNNN>`` as its IIIF id. ``on_page(page, image)`` is called as soon as a page
    is written, with its pixels (a pyvips image), so OCR can start while later pages render.
    """
    # libvips caches operations by their arguments, file names included: a work folder reusing a
    # name would get the previous file's pixels.
    pyvips.cache_set_max(0)
    mime_type = file_type(source)
    if mime_type not in SCAN_TYPES:
        raise unsupported_type_error(name, mime_type)
    pages_dir = work_dir / "pages"
    tiles_root = work_dir / "iiif"
    pages_dir.mkdir(parents=True, exist_ok=True)
    tiles_root.mkdir(parents=True, exist_ok=True)
    writer = PageWriter(pages_dir, tiles_root, iiif_id_base, on_page)
    try:
        if mime_type == PDF_TYPE:
            return render_pdf_pages(source, writer, name=name, render_dpi=render_dpi, max_dpi=max_dpi)
        return render_image_pages(source, mime_type, writer, name=name)
    except pyvips.Error as error:
        raise corrupt_file_error(name, _first_line(error)) from error


def render_pdf_pages(source, writer, *, name, render_dpi, max_dpi):
    document = open_pdf(source, name)
    pages = []
    try:
        if len(document) == 0:
            raise corrupt_file_error(name, _("tệp PDF không có trang nào"))
        for index in range(len(document)):
            page = document[index]
            try:
                pages.append(_render_pdf_page(page, index + 1, writer, render_dpi, max_dpi))
            finally:
                page.close()
    except pdfium.PdfiumError as error:
        raise corrupt_file_error(name, str(error)) from error
    finally:
        document.close()
    return pages


def _render_pdf_page(page, number, writer, render_dpi, max_dpi):
    measure = measure_pdf_page(page)
    dpi = pdf_render_dpi(page, measure, render_dpi, max_dpi)
    grey = measure.colour is False
    textpage = page.get_textpage()
    has_text = textpage.count_chars() > 0
    textpage.close()
    bitmap = page.render(scale=dpi / 72, grayscale=grey, rev_byteorder=True)
    picture = bitmap.to_pil()
    bitmap.close()
    if picture.mode not in ("L", "RGB"):
        picture = picture.convert("L" if grey else "RGB")
    image = pyvips.Image.new_from_memory(
        picture.tobytes(), picture.width, picture.height, len(picture.getbands()), "uchar"
    ).copy(xres=dpi / 25.4, yres=dpi / 25.4, interpretation="b-w" if grey else "srgb")
    del picture
    return writer.write(number, image, measure, pixels_per_inch=dpi, has_text=has_text)


def measure_pdf_page(page):
    """Resolution and colour of the scanned image(s) covering a PDF page (none for a born-digital page).

    Mixed raster content (a sharp bitonal text layer over a low-resolution colour background) counts
    as the best of its layers: the highest resolution and the deepest colour.
    """
    width, height = page.get_size()
    page_area = width * height
    measure = ScanMeasure()
    for image in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE]):
        left, bottom, right, top = image.get_bounds()
        if page_area <= 0 or (right - left) * (top - bottom) < page_area / 2:
            continue
        metadata = image.get_metadata()
        dpi = max(metadata.horizontal_dpi, metadata.vertical_dpi)
        if dpi > 0:
            measure.dpi = max(measure.dpi or 0, dpi)
        depth, colour = _pdf_image_colour(metadata)
        if depth and depth > (measure.colour_depth or 0):
            measure.colour_depth = depth
        if colour is not None:
            measure.colour = bool(measure.colour) or colour
    return measure


def _pdf_image_colour(metadata):
    grey_spaces = (pdfium_raw.FPDF_COLORSPACE_DEVICEGRAY, pdfium_raw.FPDF_COLORSPACE_CALGRAY)
    bits = metadata.bits_per_pixel or None
    if bits is None:
        return None, None
    if metadata.colorspace in grey_spaces or bits == 1:
        return bits, False
    return bits, bits >= MIN_COLOUR_DEPTH or metadata.colorspace == pdfium_raw.FPDF_COLORSPACE_INDEXED


def render_image_pages(source, mime_type, writer, *, name):
    frames = image_frames(source, mime_type, name=name)
    pages = []
    for index, measure in enumerate(frames):
        options = {"page": index} if mime_type == "image/tiff" else {}
        image = pyvips.Image.new_from_file(str(source), fail_on="truncated", **options)
        image = displayable(image)
        if credible_dpi(measure.dpi):
            pixels_per_inch = measure.dpi
        else:
            pixels_per_inch = estimated_dpi(image.width, image.height)
        image = image.copy(xres=pixels_per_inch / 25.4, yres=pixels_per_inch / 25.4)
        pages.append(writer.write(index + 1, image, measure, pixels_per_inch=pixels_per_inch))
    return pages


def image_frames(source, mime_type, *, name):
    """Resolution and colour of every frame (page) of an image file, read from its headers only."""
    opener = IMAGE_OPENERS[mime_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # The format's own class: headers only, no decompression-bomb refusal (intake already
            # checked the size against SCAN_MAX_PIXELS).
            with opener(str(source)) as picture:
                frames = []
                for index in range(getattr(picture, "n_frames", 1)):
                    picture.seek(index)
                    frames.append(_frame_measure(picture))
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # Pillow does not read every variant (48-bit colour TIFF, for one); libvips may.
        frames = _vips_frames(source, mime_type)
        if frames is None:
            raise corrupt_file_error(name, str(error)) from error
    return frames


VIPS_COLOUR = ("srgb", "rgb16", "cmyk", "lab", "labs", "scrgb", "xyz", "hsv", "lch", "cmc", "yxy")
VIPS_BITS = {"uchar": 8, "char": 8, "ushort": 16, "short": 16, "uint": 32, "int": 32, "float": 32}


def _vips_frames(source, mime_type):
    """Resolution and colour of each frame from libvips' reading of the headers; None if unreadable."""
    try:
        first = pyvips.Image.new_from_file(str(source))
        count = first.get("n-pages") if "n-pages" in first.get_fields() else 1
        frames = []
        for index in range(count):
            image = first if index == 0 else _load_frame(source, mime_type, index)
            fields = image.get_fields()
            dpi = image.xres * 25.4 if "resolution-unit" in fields or mime_type != "image/tiff" else None
            bands = image.bands - (1 if image.hasalpha() else 0)
            frames.append(
                ScanMeasure(
                    dpi=round(dpi, 2) if dpi and dpi > 1 else None,
                    colour_depth=bands * VIPS_BITS.get(image.format, 8),
                    colour=image.interpretation in VIPS_COLOUR,
                )
            )
    except pyvips.Error:
        return None
    return frames


def _frame_measure(picture):
    dpi = picture.info.get("dpi")
    resolution = max(dpi) if dpi and max(dpi) > 1 else None
    if picture.mode in COLOUR_MODES:
        colour = True
    elif picture.mode in ("P", "PA"):
        colour = None  # a palette: colour or grey, the check reports its depth either way
    else:
        colour = False
    return ScanMeasure(
        dpi=resolution, colour_depth=_tiff_bits(picture) or MODE_BITS.get(picture.mode), colour=colour
    )


def _tiff_bits(picture):
    """Bits per pixel a TIFF declares (BitsPerSample, less its extra samples such as alpha).

    Pillow opens 16-bit-per-channel colour as 8-bit RGB: the tags tell the scan's real depth.
    """
    tags = getattr(picture, "tag_v2", None)
    if tags is None or 258 not in tags:
        return None
    bits = tags[258] if isinstance(tags[258], tuple) else (tags[258],)
    extra = tags.get(338, ())
    extra_count = len(extra) if isinstance(extra, tuple) else 1
    samples = tags.get(277, len(bits))
    per_sample = bits[0] if bits else 8
    return max(1, samples - extra_count) * per_sample


def displayable(image):
    """8-bit sRGB or greyscale without alpha, as JPEG and IIIF viewers expect."""
    if image.hasalpha():
        image = image.flatten(background=[255] * (image.bands - 1))
    if image.interpretation in ("b-w", "grey16"):
        image = image.colourspace("b-w")
    elif image.interpretation != "srgb" or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


class PageWriter:
    """Writes a page's JPEG and its IIIF tiles into the work folder."""

    def __init__(self, pages_dir, tiles_root, iiif_id_base, on_page=None):
        self.pages_dir = pages_dir
        self.tiles_root = tiles_root
        self.iiif_id_base = iiif_id_base.rstrip("/")
        self.on_page = on_page

    def write(self, number, image, measure, *, pixels_per_inch, has_text=False):
        name = page_name(number)
        image_path = self.pages_dir / f"{name}.jpg"
        image.jpegsave(str(image_path), Q=PAGE_JPEG_QUALITY, optimize_coding=True, strip=True)
        tiles_dir = self.tiles_root / name
        if tiles_dir.exists():
            shutil.rmtree(tiles_dir)
        image.dzsave(
            str(tiles_dir),
            layout="iiif3",
            id=self.iiif_id_base,
            tile_size=TILE_SIZE,
            overlap=0,
            suffix=TILE_SUFFIX,
        )
        page = RenderedPage(
            number=number,
            image_path=image_path,
            tiles_dir=tiles_dir,
            width=image.width,
            height=image.height,
            dpi=round(measure.dpi) if measure.dpi else None,
            colour_depth=measure.colour_depth,
            colour=measure.colour,
            pixels_per_inch=pixels_per_inch,
            has_text=has_text,
        )
        if self.on_page is not None:
            self.on_page(page, image)
        return page


def make_thumbnail(page_image, output_path, size=THUMBNAIL_SIZE):
    thumbnail = pyvips.Image.thumbnail(str(page_image), size, height=size)
    thumbnail.jpegsave(str(output_path), Q=80, strip=True)
    return output_path


def minimum_dpi(is_map):
    return MIN_DPI_MAP if is_map else MIN_DPI_PAPER


def page_quality_warnings(page, *, is_map):
    """The page's departures from Circular 05/2025 (resolution, colour depth), as Vietnamese messages."""
    found = [_resolution_warning(page, is_map), _colour_warning(page)]
    return [message for message in found if message]


def scan_quality_summary(pages, *, is_map):
    """The scan's warnings for the archivist: each kind of departure once, with the pages it concerns."""
    minimum = minimum_dpi(is_map)
    groups = (
        (
            [page for page in pages if page.dpi is not None and page.dpi < minimum],
            lambda page: _resolution_warning(page, is_map),
            _low_resolution_summary,
        ),
        (
            [page for page in pages if _resolution_unknown(page)],
            lambda page: _resolution_warning(page, is_map),
            _unknown_resolution_summary,
        ),
        ([page for page in pages if _colour_warning(page)], _colour_warning, _colour_summary),
    )
    summary = []
    for affected, page_message, group_message in groups:
        if len(affected) == 1:
            summary.append(page_message(affected[0]))
        elif affected:
            summary.append(group_message(affected, len(pages), is_map))
    return summary


def page_list(pages, limit=10):
    numbers = [str(page.number) for page in pages[:limit]]
    return ", ".join(numbers) + (", …" if len(pages) > limit else "")


def _kind(is_map):
    return _("bản đồ, bản vẽ kỹ thuật") if is_map else _("tài liệu hành chính")


def _resolution_unknown(page):
    return page.dpi is None and page.colour_depth is not None


def _resolution_warning(page, is_map):
    values = {"page": page.number, "dpi": page.dpi, "minimum": minimum_dpi(is_map), "kind": _kind(is_map)}
    if _resolution_unknown(page):
        return (
            _(
                "Trang %(page)s: tệp không ghi độ phân giải, không kiểm tra được mức %(minimum)s dpi "
                "của Thông tư 05/2025 cho %(kind)s."
            )
            % values
        )
    if page.dpi is not None and page.dpi < values["minimum"]:
        return (
            _("Trang %(page)s: %(dpi)s dpi, dưới mức %(minimum)s dpi của Thông tư 05/2025 cho %(kind)s.")
            % values
        )
    return None


def _low_resolution_summary(affected, total, is_map):
    return _(
        "%(count)s/%(total)s trang dưới mức %(minimum)s dpi của Thông tư 05/2025 cho %(kind)s (thấp nhất "
        "%(lowest)s dpi): trang %(pages)s."
    ) % {
        "count": len(affected),
        "total": total,
        "minimum": minimum_dpi(is_map),
        "kind": _kind(is_map),
        "lowest": min(page.dpi for page in affected),
        "pages": page_list(affected),
    }


def _unknown_resolution_summary(affected, total, is_map):
    return _(
        "%(count)s/%(total)s trang không ghi độ phân giải, không kiểm tra được mức %(minimum)s dpi của "
        "Thông tư 05/2025: trang %(pages)s."
    ) % {"count": len(affected), "total": total, "minimum": minimum_dpi(is_map), "pages": page_list(affected)}


def _colour_summary(affected, total, is_map):
    return _(
        "%(count)s/%(total)s trang không phải ảnh màu 24 bit (đen trắng, thang xám hoặc bảng màu); Thông "
        "tư 05/2025 yêu cầu quét màu như bản gốc. Nếu bản gốc có màu, hãy quét lại: trang %(pages)s."
    ) % {"count": len(affected), "total": total, "pages": page_list(affected)}


def _colour_warning(page):
    depth = page.colour_depth
    if depth is None or (page.colour and depth >= MIN_COLOUR_DEPTH):
        return None
    if depth == 1:
        description = _("ảnh đen trắng 1 bit")
    elif page.colour is False:
        description = _("ảnh thang xám %(bits)s bit") % {"bits": depth}
    else:
        description = _("ảnh bảng màu %(bits)s bit") % {"bits": depth}
    return _(
        "Trang %(page)s: %(description)s; Thông tư 05/2025 yêu cầu quét màu như bản gốc, tối thiểu "
        "24 bit. Nếu bản gốc có màu (dấu đỏ, chữ ký, bản đồ), hãy quét lại."
    ) % {"page": page.number, "description": description}


def write_ocr_image(image, path):
    """The page as uncompressed 8-bit greyscale (PGM): lossless, and quick to write and to read."""
    if image.bands >= 3:
        image = image.colourspace("b-w")
    image.write_to_file(str(path))
    return path


def upright_pdf(path):
    """True when no page of the PDF is rotated, so a text layer made from its rendering fits as is.

    An unreadable PDF counts as upright: rendering it reports what is wrong.
    """
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return True
    try:
        return all(document[index].get_rotation() == 0 for index in range(len(document)))
    finally:
        document.close()


def image_pdf(original, pages, work_dir, *, decoded=False):
    """The image scan as a PDF whose pages are the original images, unchanged where PDF/A allows.

    Each page is as large as its image at the resolution the page was OCR'd at, so the text layer
    fits it exactly. Images with an alpha channel, and with ``decoded`` every image (for encodings
    PDF/A does not take as they are, such as CMYK JPEG), go in as their decoded pixels, lossless,
    in sRGB or greyscale.
    """
    import img2pdf

    mime_type = file_type(original)
    frames = [_load_frame(original, mime_type, index) for index in range(len(pages))]
    output = work_dir / ("source-decoded.pdf" if decoded else "source.pdf")
    if decoded or any(frame.hasalpha() for frame in frames):
        output.write_bytes(img2pdf.convert(_decoded_frames(frames, pages, work_dir)))
    elif all(credible_dpi(page.dpi) for page in pages):
        output.write_bytes(img2pdf.convert(str(original)))
    else:
        layout = img2pdf.get_fixed_dpi_layout_fun((pages[0].pixels_per_inch, pages[0].pixels_per_inch))
        output.write_bytes(img2pdf.convert(str(original), layout_fun=layout))
    return output


MIN_CREDIBLE_DPI = 72
A4_SHORT_SIDE_INCHES = 8.27


def credible_dpi(dpi):
    return bool(dpi) and dpi >= MIN_CREDIBLE_DPI


def estimated_dpi(width, height):
    """The resolution of an image that records none, taking its short side for A4's 8.27 inches."""
    return max(MIN_CREDIBLE_DPI, round(min(width, height) / A4_SHORT_SIDE_INCHES))


def _load_frame(source, mime_type, index):
    options = {"page": index} if mime_type == "image/tiff" else {}
    return pyvips.Image.new_from_file(str(source), **options)


def _decoded_frames(frames, pages, work_dir):
    flat_dir = work_dir / "decoded"
    flat_dir.mkdir(exist_ok=True)
    paths = []
    for frame, page in zip(frames, pages, strict=True):
        flat = displayable(frame).copy(xres=page.pixels_per_inch / 25.4, yres=page.pixels_per_inch / 25.4)
        path = flat_dir / f"{page.name}.png"
        flat.pngsave(str(path))
        paths.append(str(path))
    return paths


def _first_line(error):
    return str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__


# --- what the OCR stage reads -----------------------------------------------------------------------

# Images Tesseract (Leptonica) reads as they are: 8-bit grey or sRGB, no alpha.
TESSERACT_READABLE = ("image/png", "image/jpeg", "image/tiff")


@dataclass
class OcrInput:
    """One page as the OCR stage sees it: the image Tesseract reads, or the text the PDF already has.

    ``path`` is None for a PDF page that carries text (``embedded_text``, skip mode). ``width`` and
    ``height`` are those of the page image the images stage renders, at ``pixels_per_inch``.
    """

    number: int
    path: Path | None
    pixels_per_inch: float
    width: int | None
    height: int | None
    dpi: int | None
    colour_depth: int | None
    original: bool = False  # ``path`` is the uploaded file itself, not an image written here
    embedded_text: str = ""

    @property
    def name(self):
        return page_name(self.number)


def ocr_inputs(source, work_dir, *, name, render_dpi=300, max_dpi=600):
    """Yield each page of ``source`` as Tesseract should read it, writing images only where needed.

    Single-frame PNG, JPEG and TIFF files of 8-bit grey or colour without alpha are read by
    Tesseract as they are. Other images are converted to uncompressed greyscale; PDF pages are
    rendered in greyscale at the resolution the images stage renders them, except pages that carry
    text (their text is yielded instead).
    """
    pyvips.cache_set_max(0)
    mime_type = file_type(source)
    if mime_type not in SCAN_TYPES:
        raise unsupported_type_error(name, mime_type)
    folder = Path(work_dir) / "ocr-input"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if mime_type == PDF_TYPE:
            yield from _pdf_ocr_inputs(source, folder, name=name, render_dpi=render_dpi, max_dpi=max_dpi)
        else:
            yield from _image_ocr_inputs(source, mime_type, folder, name=name)
    except pyvips.Error as error:
        raise corrupt_file_error(name, _first_line(error)) from error


def _pdf_ocr_inputs(source, folder, *, name, render_dpi, max_dpi):
    document = open_pdf(source, name)
    try:
        if len(document) == 0:
            raise corrupt_file_error(name, _("tệp PDF không có trang nào"))
        for index in range(len(document)):
            page = document[index]
            try:
                yield _pdf_page_input(page, index + 1, folder, render_dpi, max_dpi)
            finally:
                page.close()
    except pdfium.PdfiumError as error:
        raise corrupt_file_error(name, str(error)) from error
    finally:
        document.close()


def _pdf_page_input(page, number, folder, render_dpi, max_dpi):
    measure = measure_pdf_page(page)
    dpi = pdf_render_dpi(page, measure, render_dpi, max_dpi)
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range() if textpage.count_chars() > 0 else ""
    finally:
        textpage.close()
    known = {"dpi": round(measure.dpi) if measure.dpi else None, "colour_depth": measure.colour_depth}
    if text:
        return OcrInput(number, None, dpi, None, None, embedded_text=text, **known)
    scanned = _scanned_jpeg(page, folder / f"{page_name(number)}.jpg")
    if scanned is not None:
        path, pixels_per_inch = scanned
        return OcrInput(number, path, pixels_per_inch, None, None, **known)
    bitmap = page.render(scale=dpi / 72, grayscale=True)
    picture = bitmap.to_pil()
    bitmap.close()
    if picture.mode != "L":
        picture = picture.convert("L")
    path = folder / f"{page_name(number)}.pgm"
    picture.save(path, "PPM")
    return OcrInput(number, path, dpi, picture.width, picture.height, **known)


OCR_READY_COLOUR_SPACES = (pdfium_raw.FPDF_COLORSPACE_DEVICEGRAY, pdfium_raw.FPDF_COLORSPACE_DEVICERGB)


def _scanned_jpeg(page, path):
    """A scanner's PDF page that is one upright JPEG covering the page: that JPEG, copied unchanged.

    Tesseract reads it as it is, which spares rendering the page. Returns ``(path, pixels per
    inch)``, or None for any other page.
    """
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_raw.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    if image.get_filters() != ["DCTDecode"]:
        return None
    matrix = image.get_matrix()
    if matrix.b or matrix.c or matrix.a <= 0 or matrix.d <= 0:
        return None
    left, bottom, right, top = image.get_bounds()
    page_left, page_bottom, page_right, page_top = page.get_cropbox()
    tolerance = 1.0  # points
    if any(
        abs(value - expected) > tolerance
        for value, expected in (
            (left, page_left),
            (bottom, page_bottom),
            (right, page_right),
            (top, page_top),
        )
    ):
        return None
    metadata = image.get_metadata()
    if metadata.colorspace not in OCR_READY_COLOUR_SPACES or metadata.bits_per_pixel not in (8, 24):
        return None
    path.write_bytes(bytes(image.get_data(decode_simple=False)))
    return path, metadata.width * 72 / (right - left)


def _image_ocr_inputs(source, mime_type, folder, *, name):
    frames = image_frames(source, mime_type, name=name)
    for index, measure in enumerate(frames):
        image = _load_frame(source, mime_type, index)
        if credible_dpi(measure.dpi):
            pixels_per_inch = measure.dpi
        else:
            pixels_per_inch = estimated_dpi(image.width, image.height)
        known = {
            "width": image.width,
            "height": image.height,
            "dpi": round(measure.dpi) if measure.dpi else None,
            "colour_depth": measure.colour_depth,
        }
        if len(frames) == 1 and tesseract_reads_as_is(image):
            yield OcrInput(index + 1, Path(source), pixels_per_inch, original=True, **known)
            continue
        options = {"page": index} if mime_type == "image/tiff" else {}
        pixels = displayable(pyvips.Image.new_from_file(str(source), fail_on="truncated", **options))
        path = write_ocr_image(pixels, folder / f"{page_name(index + 1)}.pgm")
        yield OcrInput(index + 1, path, pixels_per_inch, **known)


def tesseract_reads_as_is(image):
    """Whether Tesseract reads this image file without help: 8-bit grey or sRGB, no alpha channel."""
    return (
        image.format == "uchar"
        and not image.hasalpha()
        and (image.bands, image.interpretation) in ((1, "b-w"), (3, "srgb"))
    )


def pdf_render_dpi(page, measure, render_dpi, max_dpi):
    """The resolution a PDF page is rendered at: its scanned image's, bounded, or ``render_dpi``."""
    dpi = min(max_dpi, measure.dpi) if measure.dpi else render_dpi
    width_points, height_points = page.get_size()
    pixels = (width_points * dpi / 72) * (height_points * dpi / 72)
    if pixels > MAX_RENDER_PIXELS:
        dpi *= (MAX_RENDER_PIXELS / pixels) ** 0.5
    return dpi


def open_pdf(source, name):
    try:
        return pdfium.PdfDocument(str(source))
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise ScanProcessingError(
                _(
                    "Tệp PDF “%(name)s” có mật khẩu nên không mở được. Hãy xin đơn vị quét xuất lại tệp "
                    "không đặt mật khẩu, tải lên rồi bấm “Xử lý lại”."
                )
                % {"name": name}
            ) from error
        raise corrupt_file_error(name, str(error)) from error
