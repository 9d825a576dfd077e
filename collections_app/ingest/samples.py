"""Scans made from known Vietnamese text, for the demo data, the tests and the benchmarks.

The pages are rendered with DejaVu Sans (Debian ``fonts-dejavu-core``), which has every Vietnamese
glyph, at a chosen resolution, so OCR output can be compared with the text that went in.
"""

import io
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
A4_INCHES = (8.27, 11.69)

SAMPLE_PARAGRAPHS = (
    "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI",
    "QUYẾT ĐỊNH Về việc giao đất ở cho hộ gia đình ông Nguyễn Văn Bình tại xã Long Thọ",
    "Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024; căn cứ Luật Tổ chức chính quyền địa phương; "
    "xét đề nghị của Giám đốc Sở Tài nguyên và Môi trường tại Tờ trình số 1234/TTr-STNMT.",
    "Điều 1. Giao cho hộ gia đình ông Nguyễn Văn Bình, thường trú tại ấp Phước Lý, xã Long Thọ, "
    "diện tích một trăm hai mươi mét vuông đất ở để xây dựng nhà ở theo quy hoạch được duyệt.",
    "Điều 2. Hộ gia đình được giao đất có trách nhiệm nộp tiền sử dụng đất, đăng ký biến động "
    "và sử dụng đất đúng mục đích, đúng ranh giới thửa đất đã được bàn giao trên thực địa.",
    "Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc Sở Tài nguyên và Môi trường, Chủ tịch "
    "Ủy ban nhân dân xã Long Thọ và hộ gia đình có tên tại Điều 1 chịu trách nhiệm thi hành.",
)


def font_path():
    for path in FONT_PATHS:
        if path.exists():
            return path
    raise FileNotFoundError(
        "DejaVu Sans is missing: install the Debian package fonts-dejavu-core (make setup does)."
    )


def sample_text(paragraphs=3, offset=0):
    """Some of the sample paragraphs, joined by newlines (``offset`` varies the pages)."""
    chosen = [SAMPLE_PARAGRAPHS[(offset + i) % len(SAMPLE_PARAGRAPHS)] for i in range(paragraphs)]
    return "\n".join(chosen)


def render_page(text, dpi=300, size_inches=A4_INCHES, mode="RGB", font_points=12):
    """A page image of ``text`` in black on white, as a scanner at ``dpi`` would make it."""
    width, height = (round(side * dpi) for side in size_inches)
    background = 255 if mode in ("L", "1") else (255, 255, 255)
    image = Image.new(mode, (width, height), background)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(font_path()), size=round(font_points * dpi / 72))
    margin = round(dpi * 0.9)
    line_height = round(font.size * 1.6)
    characters_per_line = max(20, int((width - 2 * margin) / (font.size * 0.55)))
    y = margin
    for paragraph in text.split("\n"):
        for line in textwrap.wrap(paragraph, characters_per_line) or [""]:
            draw.text((margin, y), line, fill=0 if mode in ("L", "1") else (0, 0, 0), font=font)
            y += line_height
        y += line_height // 2
    return image


def image_bytes(image, image_format, dpi=300, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, dpi=(dpi, dpi), **options)
    return buffer.getvalue()


def png_page(text=None, dpi=300, **kwargs):
    return image_bytes(render_page(text or sample_text(), dpi=dpi, **kwargs), "PNG", dpi)


def jpeg_page(text=None, dpi=300, **kwargs):
    return image_bytes(render_page(text or sample_text(), dpi=dpi, **kwargs), "JPEG", dpi, quality=90)


def tiff_page(text=None, dpi=300, **kwargs):
    return image_bytes(
        render_page(text or sample_text(), dpi=dpi, **kwargs), "TIFF", dpi, compression="tiff_lzw"
    )


def pdf_scan(texts, dpi=300, **kwargs):
    """An image-only PDF (no text layer), one page per text, like a plain scanner's output."""
    pages = [render_page(text, dpi=dpi, **kwargs) for text in texts]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return buffer.getvalue()
