"""OCR of a scan: each page's text with its confidence, and the archival two-layer PDF/A-2b.

One Tesseract run per page gives everything: its TSV (words with their confidence: the page text and
its mean word confidence) and a text-only PDF page, the invisible layer laid over the scanned page.
The PDF/A-2b that Circular 05/2025 asks for is then written and validated by pikepdf. Tesseract runs
single-threaded (``OMP_THREAD_LIMIT=1``), as many at once as ``jobs``: measured fastest.

OCR modes (``DigitalObject.ocr_mode``, chosen per digitization batch):

- ``skip``: pages that already carry text (a scanner's own OCR layer) are kept as they are and their
  text is read from the PDF; the other pages are recognised. Fast, the file keeps its size.
- ``redo``: the old invisible text is replaced, the scanned images are kept.
- ``force``: every page is rasterized and recognised; slower, and the file may grow about 3×.

``redo`` and ``force``, and PDFs with rotated pages, go through OCRmyPDF (``make_archival_copy``),
which knows how to strip old text layers and rasterize pages; this module is also an OCRmyPDF
plugin whose engine keeps each page's TSV, so there too the text comes from the one recognition
that made the PDF/A's text layer.
"""

import os
import re
import shutil
import subprocess
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import ocrmypdf
import pikepdf
import pypdfium2 as pdfium
from django.utils.translation import gettext as _
from ocrmypdf import exceptions as ocr_errors
from ocrmypdf import hookimpl
from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine
from pikepdf import pdfa

from .derivatives import ScanProcessingError

PDFA_PART = "2B"
CAPTURE_SUFFIX = ".pages"
TSV_CONFIG = "tsv"
PAGE_FILE = re.compile(r"^(\d+)_")


@dataclass
class PageText:
    text: str
    confidence: float | None
    timed_out: bool = False


def normalise_text(text):
    """NFC, no trailing spaces, no form feeds, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text).replace("\f", "\n")
    lines = [line.rstrip() for line in text.splitlines()]
    joined = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", joined)


def parse_tsv(tsv):
    """Text and mean word confidence (0–100) of one page from Tesseract's TSV output.

    Words are joined by spaces, lines by newlines, paragraphs and blocks by a blank line. The
    confidence is ``None`` when the page has no word at all.
    """
    paragraphs = {}
    confidences = []
    for row in tsv.splitlines()[1:]:
        columns = row.split("\t")
        if len(columns) < 12 or columns[0] != "5":
            continue
        word = columns[11].strip()
        if not word:
            continue
        block, paragraph, line = (int(value) for value in columns[2:5])
        paragraphs.setdefault((block, paragraph), {}).setdefault(line, []).append(word)
        confidence = float(columns[10])
        if confidence >= 0:
            confidences.append(confidence)
    text = "\n\n".join(
        "\n".join(" ".join(words) for _line, words in sorted(lines.items()))
        for _key, lines in sorted(paragraphs.items())
    )
    confidence = round(sum(confidences) / len(confidences), 2) if confidences else None
    return normalise_text(text), confidence


def embedded_page_texts(pdf_path):
    """The text layer already in each page of a PDF (a scanner's OCR), one string per page."""
    document = pdfium.PdfDocument(str(pdf_path))
    texts = []
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                texts.append(normalise_text(textpage.get_text_range()))
            finally:
                textpage.close()
                page.close()
    finally:
        document.close()
    return texts


def pdfa_conformance(path):
    """The PDF/A part and level the file declares in its XMP metadata (``"2B"``), or ``""``."""
    with pikepdf.open(path) as pdf:
        return pdf.open_metadata().pdfa_status or ""


def check_tesseract(language):
    """Fail with an actionable message when Tesseract or one of the OCR languages is missing."""
    executable = shutil.which("tesseract")
    if executable is None:
        raise ScanProcessingError(
            _(
                "Máy chủ xử lý chưa cài Tesseract nên không nhận dạng được chữ. Nhờ quản trị hệ thống "
                "cài gói tesseract-ocr và tesseract-ocr-vie (lệnh make setup), rồi bấm “Xử lý lại”."
            )
        )
    if (executable, language) in _CHECKED:
        return
    installed = installed_languages(executable)
    missing = [code for code in language.split("+") if code not in installed]
    if missing:
        raise ScanProcessingError(
            _(
                "Tesseract trên máy chủ xử lý thiếu dữ liệu ngôn ngữ %(languages)s. Nhờ quản trị hệ "
                "thống cài gói tesseract-ocr-%(first)s (lệnh make setup), rồi bấm “Xử lý lại”."
            )
            % {"languages": ", ".join(missing), "first": missing[0]}
        )
    _CHECKED.add((executable, language))


def installed_languages(executable):
    listing = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [executable, "--list-langs"], capture_output=True, text=True, timeout=60, check=False
    )
    return set(listing.stdout.split()) | set(listing.stderr.split())


# (Tesseract, languages) found complete by this process: asking costs a process start per scan.
_CHECKED = set()


@dataclass
class RecognisedPage:
    """Tesseract's result for one page image: text, confidence and the invisible text layer (a PDF)."""

    text: str
    confidence: float | None
    layer: Path | None
    seconds: float
    timed_out: bool = False


def recognise_page(image_path, output_base, *, language, dpi, timeout, threads=1):
    """Run Tesseract once on a page image: text and mean word confidence, and a text-only PDF page.

    The text-only page is as large as the image at ``dpi``, to be laid over the scanned page.
    """
    executable = shutil.which("tesseract") or "tesseract"
    command = [executable, str(image_path), str(output_base), "--dpi", str(round(dpi)), "-l", language]
    command += ["-c", "textonly_pdf=1", "tsv", "pdf"]
    environment = {**os.environ, "OMP_THREAD_LIMIT": str(threads)}
    started = time.monotonic()
    try:
        subprocess.run(  # noqa: S603 - fixed program, arguments are file names
            command, capture_output=True, timeout=timeout, check=True, env=environment
        )
    except subprocess.TimeoutExpired:
        return RecognisedPage("", None, None, time.monotonic() - started, timed_out=True)
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise ScanProcessingError(
            _(
                "Tesseract không nhận dạng được trang (mã lỗi %(code)s: %(detail)s). Kiểm tra ảnh trang; "
                "nếu ảnh bình thường, báo cho quản trị hệ thống kèm tên tệp."
            )
            % {"code": error.returncode, "detail": detail[-1] if detail else ""}
        ) from error
    seconds = time.monotonic() - started
    tsv = Path(f"{output_base}.tsv").read_text(encoding="utf-8", errors="replace")
    text, confidence = parse_tsv(tsv)
    return RecognisedPage(text, confidence, Path(f"{output_base}.pdf"), seconds)


def save_with_text_layers(source_pdf, layers, output, *, metadata=None):
    """Lay each text-only page over its scanned page and save the result as a validated PDF/A-2b.

    ``layers`` maps page numbers (from 1) to Tesseract's text-only PDFs; the scanned pages are
    copied unchanged (same images, same compression).
    """
    opened = []
    try:
        with pikepdf.open(source_pdf) as pdf:
            if has_signatures(pdf):
                raise signed_pdf_error()
            for number, layer_path in sorted(layers.items()):
                layer = pikepdf.open(layer_path)
                opened.append(layer)
                page = pdf.pages[number - 1]
                page.add_overlay(layer.pages[0], pikepdf.Rectangle(page.cropbox))
            _set_metadata(pdf, metadata or {})
            try:
                pdfa.save(pdf, output, "2b")  # validates what it wrote, keeps it only if it passes
            except pdfa.PdfaError as error:
                raise ScanProcessingError(
                    _(
                        "Không tạo được bản PDF/A-2b hợp lệ từ tệp quét (%(detail)s). Thử chọn cách nhận "
                        "dạng “Nhận dạng lại toàn bộ” cho tệp này rồi bấm “Xử lý lại”."
                    )
                    % {"detail": _first_finding(error)}
                ) from error
    except pikepdf.PdfError as error:
        raise ScanProcessingError(
            _(
                "Không đọc được cấu trúc tệp PDF để tạo bản PDF/A (%(detail)s). Hãy xuất lại tệp từ phần mềm "
                "máy quét, tải lên rồi bấm “Xử lý lại”."
            )
            % {"detail": str(error)[:200]}
        ) from error
    finally:
        for layer in opened:
            layer.close()
    return output


def signed_pdf_error():
    return ScanProcessingError(
        _(
            "Tệp PDF có chữ ký số; tạo bản PDF/A sẽ làm mất hiệu lực chữ ký nên hệ thống không tự làm. "
            "Hãy lưu tệp này như bản gốc điện tử, hoặc tải lên bản quét không ký rồi bấm “Xử lý lại”."
        )
    )


def check_not_signed(pdf_path):
    """Refuse a digitally signed PDF before any work: its PDF/A would void the signatures."""
    try:
        with pikepdf.open(pdf_path) as pdf:
            signed = has_signatures(pdf)
    except (pikepdf.PdfError, pikepdf.PasswordError):
        return  # unreadable: opening it for its pages says what is wrong
    if signed:
        raise signed_pdf_error()


def has_signatures(pdf):
    """Whether the PDF declares digital signatures (its form's SigFlags), as OCRmyPDF checks too."""
    form = pdf.Root.get("/AcroForm")
    return form is not None and int(form.get("/SigFlags", 0)) & 1 == 1


def _set_metadata(pdf, metadata):
    names = {"title": "dc:title", "author": "dc:creator", "subject": "dc:description"}
    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        for key, value in metadata.items():
            if value and key in names:
                xmp[names[key]] = [value] if key == "author" else value


def _first_finding(error):
    report = getattr(error, "report", None)
    findings = getattr(report, "findings", None) or []
    return str(findings[0]) if findings else str(error)[:200]


def make_archival_copy(
    source,
    output,
    *,
    mode,
    language,
    jobs,
    page_timeout,
    pdfa_backend="internal",
    threads=1,
    metadata=None,
):
    """Run OCRmyPDF on ``source`` to make the PDF/A-2b ``output``; return the OCR text of each page.

    The result maps page numbers (from 1) to ``PageText`` for the pages Tesseract recognised; pages
    skipped in ``skip`` mode are absent (their text is in the PDF already: ``embedded_page_texts``).
    """
    check_tesseract(language)
    output = Path(output)
    capture_dir = capture_dir_for(output)
    shutil.rmtree(capture_dir, ignore_errors=True)
    capture_dir.mkdir(parents=True)
    # Read by OCRmyPDF when it starts Tesseract: one thread per Tesseract, ``jobs`` Tesseracts.
    os.environ["OMP_THREAD_LIMIT"] = str(threads)
    try:
        ocrmypdf.ocr(
            str(source),
            str(output),
            language=language.split("+"),
            mode=mode,
            output_type="pdfa-2",
            pdfa_backend=pdfa_backend,
            jobs=jobs,
            optimize=0,  # the archival copy keeps the scanned images exactly as received
            tesseract_timeout=page_timeout,
            tesseract_config=[TSV_CONFIG],
            progress_bar=False,
            plugins=[__name__],
            **(metadata or {}),
        )
    except ocr_errors.ExitCodeException as error:
        raise ocrmypdf_error(error) from error
    conformance = pdfa_conformance(output)
    if conformance.upper() != PDFA_PART:
        raise ScanProcessingError(
            _(
                "OCRmyPDF đã tạo bản lưu trữ nhưng tệp không đạt chuẩn PDF/A-2b (tệp khai báo “%(found)s”). "
                "Thử chọn cách nhận dạng “Nhận dạng lại toàn bộ” cho tệp này rồi bấm “Xử lý lại”."
            )
            % {"found": conformance or _("không phải PDF/A")}
        )
    return captured_pages(capture_dir)


def capture_dir_for(output):
    return Path(output).with_name(Path(output).name + CAPTURE_SUFFIX)


def captured_pages(capture_dir):
    pages = {}
    for path in sorted(capture_dir.glob("*.tsv")):
        text, confidence = parse_tsv(path.read_text(encoding="utf-8", errors="replace"))
        pages[int(path.stem)] = PageText(text, confidence)
    for path in capture_dir.glob("*.timeout"):
        pages.setdefault(int(path.stem), PageText("", None, timed_out=True))
    return pages


def ocrmypdf_error(error):
    """The archivist's version of an OCRmyPDF failure: what went wrong and what to do."""
    detail = str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
    if isinstance(error, ocr_errors.EncryptedPdfError):
        message = _(
            "Tệp PDF được mã hóa (có mật khẩu hoặc hạn chế quyền) nên không tạo được bản PDF/A. Hãy xin "
            "đơn vị quét xuất lại tệp không mã hóa, tải lên rồi bấm “Xử lý lại”."
        )
    elif isinstance(error, ocr_errors.DigitalSignatureError):
        message = signed_pdf_error().message
    elif isinstance(error, ocr_errors.MissingDependencyError):
        message = _(
            "Máy chủ xử lý thiếu chương trình mà OCRmyPDF cần (%(detail)s). Nhờ quản trị hệ thống cài "
            "đặt (lệnh make setup), rồi bấm “Xử lý lại”."
        ) % {"detail": detail}
    elif isinstance(error, ocr_errors.PdfaConversionFailedError):
        message = _(
            "Không chuyển được tệp sang PDF/A-2b (%(detail)s). Thử chọn cách nhận dạng “Nhận dạng lại "
            "toàn bộ” cho tệp này rồi bấm “Xử lý lại”."
        ) % {"detail": detail}
    elif isinstance(error, ocr_errors.InputFileError | ocr_errors.UnsupportedImageFormatError):
        message = _(
            "OCRmyPDF không đọc được tệp quét (%(detail)s). Hãy kiểm tra tệp, quét hoặc xuất lại rồi bấm "
            "“Xử lý lại”."
        ) % {"detail": detail}
    else:
        message = _(
            "Nhận dạng chữ và tạo bản PDF/A bị lỗi (%(kind)s: %(detail)s). Bấm “Xử lý lại”; nếu vẫn lỗi, "
            "báo cho quản trị hệ thống kèm tên tệp."
        ) % {"kind": error.__class__.__name__, "detail": detail}
    return ScanProcessingError(message)


class CapturingTesseractEngine(TesseractOcrEngine):
    """OCRmyPDF's Tesseract engine, keeping each page's TSV (asked for with the ``tsv`` config)."""

    @staticmethod
    def generate_hocr(input_file, output_hocr, output_text, options):
        started = time.monotonic()
        TesseractOcrEngine.generate_hocr(input_file, output_hocr, output_text, options)
        match = PAGE_FILE.match(Path(output_hocr).name)
        output_file = getattr(options, "output_file", None)
        if match is None or not isinstance(output_file, str | Path):
            return
        capture_dir = capture_dir_for(output_file)
        number = int(match.group(1))
        tsv = Path(output_hocr).with_suffix(".tsv")
        if tsv.exists():
            shutil.copyfile(tsv, capture_dir / f"{number}.tsv")
        elif time.monotonic() - started >= 0.9 * options.tesseract.timeout:
            (capture_dir / f"{number}.timeout").touch()


@hookimpl
def get_ocr_engine(options):
    return CapturingTesseractEngine()
