"""Reading an inventory as rows of cells, streamed: CSV in any of the encodings archives use, or XLSX.

CSV: UTF-8 with or without BOM, or Windows-1258 (whose decomposed tone marks are normalised to
NFC); comma, semicolon or tab separated (sniffed from the header line). XLSX: the first sheet, or
one sheet per level when the sheets are named for the levels ("Hồ sơ", "Tài liệu" ...); merged
cells are expanded so the merged value applies to every cell it covers (openpyxl's read-only mode
does not do this itself).
"""

import codecs
import csv
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from .columns import DOCUMENT, FILE, FONDS, LEVELS, SERIES
from .text import fold, nfc

ENCODING_SAMPLE_BYTES = 1 << 20
UTF8_BOM = codecs.BOM_UTF8


class SourceError(Exception):
    """The file cannot be read at all; the message says why and what to do."""


@dataclass
class Sheet:
    name: str
    level: str | None
    rows: object  # iterator of (row number, list of cells)


@dataclass
class Source:
    """An opened inventory: its sheets (read lazily), what was detected, and how far reading got."""

    name: str
    kind: str
    sheets: list
    encoding: str = ""
    delimiter: str = ""
    notes: list = field(default_factory=list)
    closers: list = field(default_factory=list)
    progress: object = None  # () -> fraction of the file read, 0..1

    def close(self):
        for close in self.closers:
            close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_source(path, name=None):
    """Open a CSV or XLSX file for reading; raise SourceError with a clear message if impossible."""
    path = Path(path)
    name = name or path.name
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return open_xlsx(path, name)
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise SourceError(_("Tệp “%(name)s” không phải là tệp Excel .xlsx hợp lệ.") % {"name": name})
    if name.lower().endswith(".xls"):
        raise SourceError(
            _("Tệp .xls (Excel 97–2003) chưa được hỗ trợ. Mở tệp bằng Excel và lưu lại dạng .xlsx hoặc CSV.")
        )
    return open_csv(path, name)


# CSV ----------------------------------------------------------------------------------------------


def detect_encoding(sample):
    """utf-8-sig for a BOM, utf-8 if the sample decodes as UTF-8, otherwise Windows-1258."""
    if sample.startswith(UTF8_BOM):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1258"
    return "utf-8"


def detect_delimiter(first_line):
    counts = {delimiter: first_line.count(delimiter) for delimiter in (";", ",", "\t")}
    delimiter = max(counts, key=counts.get)
    return delimiter if counts[delimiter] else ","


def _nfc_lines(text_stream):
    """Lines in NFC; NUL characters (left by some exports, refused by databases) are dropped."""
    for line in text_stream:
        if "\x00" in line:
            line = line.replace("\x00", "")
        yield nfc(line)


def open_csv(path, name):
    raw = open(path, "rb")  # closed by Source.close
    size = max(1, path.stat().st_size)
    encoding = detect_encoding(raw.read(ENCODING_SAMPLE_BYTES))
    raw.seek(0)
    text_stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
    try:
        first_line = text_stream.readline()
    except UnicodeDecodeError as error:
        raw.close()
        raise SourceError(_encoding_message(name, error)) from None
    delimiter = detect_delimiter(first_line)

    def rows():
        reader = csv.reader(_nfc_lines(_prepend(first_line, text_stream)), delimiter=delimiter)
        start = 1
        try:
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
        except UnicodeDecodeError as error:
            raise SourceError(_encoding_message(name, error)) from None
        except csv.Error as error:
            raise SourceError(
                _("Không đọc được tệp CSV ở dòng %(line)s: %(error)s. Kiểm tra dấu ngoặc kép trong ô.")
                % {"line": reader.line_num, "error": error}
            ) from None

    labels = {"utf-8-sig": "UTF-8 (có BOM)", "utf-8": "UTF-8", "cp1258": "Windows-1258"}
    return Source(
        name=name,
        kind="csv",
        sheets=[Sheet(name="", level=None, rows=rows())],
        encoding=labels[encoding],
        delimiter={";": ";", ",": ",", "\t": "tab"}[delimiter],
        closers=[raw.close],
        progress=lambda: min(1.0, raw.tell() / size) if not raw.closed else 1.0,
    )


def _prepend(first, rest):
    yield first
    yield from rest


def _encoding_message(name, error):
    return _(
        "Tệp “%(name)s” có ký tự không đọc được theo bảng mã đã nhận diện (byte %(position)s). Lưu lại "
        "tệp dạng “CSV UTF-8” rồi tải lên lại."
    ) % {"name": name, "position": getattr(error, "start", "?")}


# XLSX ---------------------------------------------------------------------------------------------

SHEET_LEVEL_WORDS = (
    (DOCUMENT, ("van ban", "tai lieu")),
    (FILE, ("ho so",)),
    (SERIES, ("muc luc",)),
    (FONDS, ("phong",)),
)


def sheet_level(title):
    folded = f" {fold(title)} "
    for level, words in SHEET_LEVEL_WORDS:
        if any(f" {word} " in folded for word in words):
            return level
    return None


def open_xlsx(path, name):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise SourceError(
            _("Không mở được tệp Excel “%(name)s” (%(error)s). Mở tệp bằng Excel và lưu lại dạng .xlsx.")
            % {"name": name, "error": error}
        ) from None
    worksheets = [ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    if not worksheets:
        workbook.close()
        raise SourceError(_("Tệp Excel “%(name)s” không có trang tính nào.") % {"name": name})
    chosen, notes = choose_sheets(worksheets)
    progress = _XlsxProgress(chosen)
    sheets = [
        Sheet(name=ws.title, level=level, rows=progress.track(index, xlsx_rows(ws)))
        for index, (ws, level) in enumerate(chosen)
    ]
    return Source(
        name=name,
        kind="xlsx",
        sheets=sheets,
        notes=notes,
        closers=[workbook.close],
        progress=progress.fraction,
    )


def choose_sheets(worksheets):
    """The sheets to read, in level order, and notes on the ones left out."""
    levels = [(ws, sheet_level(ws.title)) for ws in worksheets]
    named = [(ws, level) for ws, level in levels if level is not None]
    if len({level for _ws, level in named}) >= 2:
        chosen = sorted(named, key=lambda pair: LEVELS.index(pair[1]))
        left_out = [ws for ws, level in levels if level is None]
    else:
        chosen = [(worksheets[0], None)]
        left_out = worksheets[1:]
    notes = [
        _("Trang tính “%(sheet)s” không được đọc: chỉ đọc %(read)s.")
        % {"sheet": ws.title, "read": ", ".join(f"“{chosen_ws.title}”" for chosen_ws, _level in chosen)}
        for ws in left_out
    ]
    return chosen, notes


class _XlsxProgress:
    """Rows read over the rows the sheets declare (their dimension), sheet by sheet."""

    def __init__(self, chosen):
        self.totals = [max(1, ws.max_row or 1) for ws, _level in chosen]
        self.read = [0] * len(chosen)

    def track(self, index, rows):
        for row in rows:
            self.read[index] = row[0]
            yield row

    def fraction(self):
        return min(1.0, sum(self.read) / sum(self.totals))


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?\"")


def column_number(letters):
    number = 0
    for letter in letters.decode():
        number = number * 26 + ord(letter) - 64
    return number


def merged_ranges(worksheet):
    """``[(first_row, first_col, last_row, last_col)]`` of a read-only sheet, scanned from its XML."""
    source = worksheet.parent._archive.open(worksheet._worksheet_path)
    ranges, tail = [], b""
    with source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            last = 0
            for match in _MERGE.finditer(data):
                first_col, first_row, last_col, last_row = match.groups()
                if last_col is not None:
                    ranges.append(
                        (int(first_row), column_number(first_col), int(last_row), column_number(last_col))
                    )
                last = match.end()
            tail = data[max(last, len(data) - 200) :]
    return ranges


def xlsx_rows(worksheet):
    """``(row number, cells)`` of a sheet, with merged cells filled from their top-left cell."""
    worksheet.reset_dimensions()
    merges = merged_ranges(worksheet)
    rows = enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1)
    if merges:
        rows = fill_merged(rows, merges)
    for number, cells in rows:
        yield number, [nfc(cell) if isinstance(cell, str) else cell for cell in cells]


def fill_merged(rows, merges):
    starting = defaultdict(list)
    for first_row, first_col, last_row, last_col in merges:
        starting[first_row].append((first_col, last_row, last_col))
    active = []
    for number, cells in rows:
        cells = list(cells)
        active = [merge for merge in active if merge[0] >= number]
        for first_col, last_row, last_col in starting.pop(number, ()):
            value = cells[first_col - 1] if first_col - 1 < len(cells) else None
            active.append((last_row, first_col, last_col, value))
        for _last_row, first_col, last_col, value in active:
            if len(cells) < last_col:
                cells.extend([None] * (last_col - len(cells)))
            for column in range(first_col - 1, last_col):
                cells[column] = value
        yield number, cells
