"""Visible watermarks on content read under a grant: the reader, the date and the archive.

Page images (JPEG, PNG, TIFF) get the line "<reader> · <dd/mm/yyyy> · <archive>" repeated
diagonally across the page; PDFs get it stamped on every page. Every page also carries the
archive's name in its bottom margin (a read-only copy online, DOMAIN.md). The watermarked copy is
made for one response and never stored: the stored file stays as it was.

Text is drawn with DejaVu Sans, which has every Vietnamese glyph; the PDF stamp embeds that font,
so the stamped text can be selected and extracted like any other text of the page.
"""

import functools
import io
import math
import tempfile

import pikepdf
from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont, ImageSequence

from .ingest.samples import font_path

# Watermarked copies larger than this spill from memory to a temporary file, deleted on close.
SPOOL_MAX_MEMORY = 16 * 1024 * 1024
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF"}
PDF_TYPE = "application/pdf"
# What a damaged, encrypted or oversized stored file raises while being watermarked.
WATERMARK_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    RuntimeError,
    Image.DecompressionBombError,
    pikepdf.PikepdfError,
)
STAMP_GREY = (70, 70, 70)
STAMP_OPACITY = 0.4


def can_watermark(content_type):
    return content_type in IMAGE_FORMATS or content_type == PDF_TYPE


def reader_name(user):
    return user.get_full_name() or user.get_username()


def watermark_line(user, archive, today=None):
    """ "<reader> · <dd/mm/yyyy> · <archive>", the text stamped on every page."""
    today = today or timezone.localdate()
    return f"{reader_name(user)} · {today:%d/%m/%Y} · {archive.name}"


def watermarked_copy(source, content_type, line, footer):
    """A file-like object (at position 0) holding the watermarked copy of ``source``."""
    if content_type == PDF_TYPE:
        return watermarked_pdf(source, line, footer)
    return watermarked_image(source, IMAGE_FORMATS[content_type], line, footer)


# Images


@functools.cache
def _font(size):
    return ImageFont.truetype(str(font_path()), size=size)


def watermarked_image(source, image_format, line, footer):
    Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, settings.SCAN_MAX_PIXELS)
    with Image.open(source) as image:
        frames = [stamp_image(frame.copy(), line, footer) for frame in ImageSequence.Iterator(image)]
        dpi = image.info.get("dpi")
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY)
    options = {"dpi": dpi} if dpi else {}
    if image_format == "JPEG":
        options.update(quality=85)
    elif image_format == "TIFF":
        options.update(compression="tiff_lzw", save_all=True, append_images=frames[1:])
    frames[0].save(output, format=image_format, **options)
    output.seek(0)
    return output


def stamp_image(image, line, footer):
    """One page image with the repeated diagonal line and the footer drawn on it.

    The line is drawn once into a small tile, the tile repeated into a one-band mask, and grey
    painted through the mask: no full-size colour layer is composited.
    """
    page = image if image.mode in ("L", "RGB") else image.convert("RGB")
    grey = STAMP_GREY[0] if page.mode == "L" else STAMP_GREY
    tile = diagonal_text_tile(line, _font(stamp_font_size(page.width, line)))
    mask = Image.new("L", page.size, 0)
    centred = (page.width - tile.width) // 2
    for row, top in enumerate(range(-tile.height // 3, page.height, tile.height * 2 // 3)):
        first = centred - tile.width // 2 * (row % 2)
        for left in range(first - tile.width * (first // tile.width + 1), page.width, tile.width):
            mask.paste(tile, (left, top), tile)
    page.paste(grey, mask=mask)
    if footer:
        draw_footer(page, footer)
    return page


def stamp_font_size(page_width, line):
    """Large enough to read, small enough that the whole turned line fits across the page."""
    size = max(12, page_width // 35)
    turned_width = _font(size).getlength(line) * math.cos(math.radians(30))
    if turned_width > page_width * 0.85:
        size = max(12, int(size * page_width * 0.85 / turned_width))
    return size


def diagonal_text_tile(line, font):
    """A mask of the line turned 30°, at the stamp's opacity, with room around it."""
    left, top, right, bottom = font.getbbox(line)
    text = Image.new("L", (right - left + font.size, bottom - top + font.size), 0)
    ImageDraw.Draw(text).text(
        (font.size // 2 - left, font.size // 2 - top), line, font=font, fill=round(255 * STAMP_OPACITY)
    )
    turned = text.rotate(30, expand=True, resample=Image.Resampling.BICUBIC)
    spacing = font.size * 2
    tile = Image.new("L", (turned.width + spacing, turned.height), 0)
    tile.paste(turned, (spacing // 2, 0))
    return tile


def draw_footer(page, footer):
    """The archive's name, centred in a white band at the bottom of the page."""
    font = _font(max(10, page.width // 60))
    left, top, right, bottom = font.getbbox(footer)
    band = (bottom - top) * 2
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, page.height - band, page.width, page.height), fill="white")
    x = (page.width - (right - left)) // 2 - left
    y = page.height - band + (band - (bottom - top)) // 2 - top
    draw.text((x, y), footer, font=font, fill=40 if page.mode == "L" else (40, 40, 40))


# PDFs


def watermarked_pdf(source, line, footer):
    """Stamp every page, one page at a time; page contents are copied, never decoded.

    One stamp is made per page size and shared by the pages that have it, so a thousand-page scan
    carries the embedded font once.
    """
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY)
    with pikepdf.open(source) as pdf:
        stamps = {}
        for page in pdf.pages:
            left, bottom, right, top = (float(value) for value in page.trimbox)
            width, height = right - left, top - bottom
            rotation = int(page.obj.get("/Rotate", 0)) % 360 // 90 * 90
            shown = (height, width) if rotation in (90, 270) else (width, height)
            key = tuple(round(side, 1) for side in shown)
            if key not in stamps:
                stamps[key] = stamp_form(pdf, shown, line, footer)
            name = page.add_resource(stamps[key], pikepdf.Name.XObject)
            matrix = upright_matrix(rotation, width, height, left, bottom)
            page.contents_add(b"q\n", prepend=True)
            page.contents_add(b"Q\nq " + " ".join(f"{value:g}" for value in matrix).encode() + b" cm ")
            page.contents_add(bytes(name.unparse()) + b" Do Q\n")
        pdf.save(output)
    output.seek(0)
    return output


def upright_matrix(rotation, width, height, left, bottom):
    """The ``cm`` that draws upright, as the page is shown with its /Rotate, into its own space."""
    a, b, c, d, e, f = {
        0: (1, 0, 0, 1, 0, 0),
        90: (0, 1, -1, 0, width, 0),
        180: (-1, 0, 0, -1, width, height),
        270: (0, -1, 1, 0, 0, height),
    }[rotation]
    return (a, b, c, d, e + left, f + bottom)


def stamp_form(target, size, line, footer):
    """A Form XObject of ``target`` drawing the stamp on an upright page of ``size`` (points)."""
    with pikepdf.open(io.BytesIO(stamp_pdf(*size, line, footer))) as stamp:
        form = stamp.make_indirect(stamp.pages[0].as_form_xobject())
        return target.copy_foreign(form)


@functools.lru_cache(maxsize=32)
def stamp_pdf(width, height, line, footer):
    """A one-page PDF (points) with the diagonal line repeated and the footer, in DejaVu Sans."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_font("DejaVu", fname=str(font_path()))
    pdf.add_page()
    size = max(8.0, min(width, height) / 32)
    pdf.set_font("DejaVu", size=size)
    pdf.set_text_color(*STAMP_GREY)
    line_width = pdf.get_string_width(line)
    step_x = line_width * math.cos(math.radians(30)) + size * 4
    step_y = size * 9
    with pdf.local_context(fill_opacity=STAMP_OPACITY, stroke_opacity=STAMP_OPACITY):
        y = step_y / 2
        row = 0
        while y < height + step_y:
            x = -step_x / 2 if row % 2 else 0.0
            while x < width:
                with pdf.rotation(30, x, y):
                    pdf.text(x, y, line)
                x += step_x
            y += step_y
            row += 1
    if footer:
        draw_pdf_footer(pdf, width, height, footer)
    return bytes(pdf.output())


def draw_pdf_footer(pdf, width, height, footer):
    footer_size = max(6.0, min(width, height) / 60)
    pdf.set_font("DejaVu", size=footer_size)
    pdf.set_fill_color(255, 255, 255)
    band = footer_size * 2
    with pdf.local_context(fill_opacity=0.85):
        pdf.rect(0, height - band, width, band, style="F")
    pdf.set_text_color(40, 40, 40)
    pdf.text((width - pdf.get_string_width(footer)) / 2, height - band / 2 + footer_size / 3, footer)
