"""One row of an inventory, converted: the compiled per-sheet plan and the ``Record`` it produces.

``SheetPlan`` binds each column of a sheet to a field and, for each kind of row (fonds, series,
file, document), to where its value goes and how it is converted, once per sheet. Converting a
row is then a loop over those slots. Converters of low-cardinality columns (vocabularies, dates,
numbers, codes) are memoised per column, and the file's columns repeated on every document row
are converted once per file, not once per row: a province's inventory repeats both a lot.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import codes, columns, values
from .columns import DOCUMENT, FIELDS, FILE, FONDS, LEVEL_LABELS, SERIES
from .values import CellError, CellWarning, as_text

HEADER_SEARCH_ROWS = 30
IDENTITY_KEYS = frozenset(
    {
        "file_code",
        "arc_file_code",
        "legacy_file_code",
        "legacy_doc_code",
        "legacy_archive_code",
        "legacy_series_or_year",
        "doc_id",
        "doc_code",
        "scan_path",
    }
)
DOCUMENT_MARKERS = ("doc_id", "doc_code", "type_name", "legacy_doc_code", "ordinal")
SHEET_IDENTITY_KEYS = (
    "fonds_code",
    "file_code",
    "arc_file_code",
    "legacy_file_code",
    "file_number",
    "doc_id",
    "legacy_doc_code",
    "series_number",
)


@dataclass(slots=True)
class Record:
    """One row, converted: what the writer creates or updates."""

    seq: int
    sheet: str
    row: int
    level: str
    ok: bool = True
    fonds_code: str = ""
    fonds_values: dict | None = None
    series_number: str = ""
    series_values: dict | None = None
    file_key: str = ""
    file_code: str = ""
    file_values: dict | None = None
    file_parts: codes.FileCodeParts | None = None
    file_categories: list | None = None
    file_legacy: str = ""
    file_id: int | None = None
    defines_file: bool = False
    file_pending: bool = False
    parse_error: CellError | None = None
    doc_values: dict | None = None
    doc_categories: list | None = None
    doc_legacy: str = ""
    ordinal: int | None = None
    doc_id: int | None = None
    scan_path: str = ""
    merged_dates: tuple | None = None
    file_existing: dict | None = None
    doc_existing: dict | None = None
    doc_reference: str = ""


class FileSeen:
    """What the import knows of one file: its code, its defining row, its documents' ordinals."""

    __slots__ = ("row", "code", "fonds_code", "ordinals", "state", "by_file_row", "exists")

    def __init__(self, state, row=None, code="", fonds_code=""):
        self.state = state  # "defined", "pending" (only named: look it up), "found", "missing"
        self.row = row
        self.code = code
        self.fonds_code = fonds_code
        self.ordinals = {}
        self.by_file_row = False
        self.exists = None


@dataclass
class FondsInfo:
    code: str
    pk: int | None
    prefix: str


@dataclass
class SheetSummary:
    name: str
    header_row: int
    legacy: bool
    columns: list = field(default_factory=list)


class SheetPlan:
    """The compiled conversion of one sheet: for each row level, which column goes where, converted how."""

    IGNORE = "ignore"
    FILE_SPECIAL_KEYS = frozenset(
        {"file_code", "arc_file_code", "legacy_file_code", "legacy_archive_code", "legacy_series_or_year"}
    )

    def __init__(self, validator, sheet, column_map):
        self.validator = validator
        self.sheet = sheet
        self.column_map = column_map
        self.legacy = column_map.legacy
        self.rows = ()
        self.index_of = {binding.key: binding.index for binding in column_map.bindings}
        self.header_of = {}
        self.slots = {level: self._slots(level) for level in columns.LEVELS}
        document_slots = self.slots[DOCUMENT]
        self.document_file_slots = [slot for slot in document_slots if self.is_file_slot(slot)]
        self.document_own_slots = [slot for slot in document_slots if not self.is_file_slot(slot)]
        self.file_indexes = [slot[0] for slot in self.document_file_slots]
        self.previous_file = None  # (raw cells, converted buckets) of the last document row's file part
        self.document_markers = [self.index_of[key] for key in DOCUMENT_MARKERS if key in self.index_of]
        self.file_markers = [
            binding.index
            for binding in column_map.bindings
            if (FIELDS.get(binding.key) and FIELDS[binding.key].kind == FILE)
            or binding.key == "legacy_file_code"
            or binding.occurrence == FILE
        ]
        self.ignored_reported = set()

    def _slots(self, level):
        slots = []
        for binding in self.column_map.bindings:
            bucket, attr, convert = self._target(binding, level)
            if bucket in (FILE, DOCUMENT, FONDS, SERIES) and attr:
                self.header_of.setdefault((bucket, attr), binding.header)
            memo = {} if convert is not None and not getattr(convert, "cheap", False) else None
            slots.append((binding.index, binding.header, bucket, attr, convert, memo))
        return slots

    def is_file_slot(self, slot):
        bucket, attr = slot[2], slot[3]
        return bucket in (FILE, "place") or (bucket == "special" and attr in self.FILE_SPECIAL_KEYS)

    def _target(self, binding, level):
        key = binding.key
        if key in IDENTITY_KEYS:
            return "special", key, None
        spec = FIELDS[key]
        kind = spec.kind
        if kind == columns.PLACEMENT:
            convert = next(iter(spec.targets.values()))[1] if spec.targets else None
            return "place", key, convert
        if kind == columns.PART:
            if level != DOCUMENT:
                return self.IGNORE, key, None
            return "parts", spec.attribute(DOCUMENT), spec.converter(DOCUMENT)
        if kind in (FONDS, FILE, DOCUMENT):
            applies = level == kind or (kind == FILE and level == DOCUMENT)
            if not applies:
                return self.IGNORE, key, None
            return kind, spec.attribute(kind), self._converter(spec, kind)
        target = level if binding.occurrence == "own" else binding.occurrence
        if (target == DOCUMENT and level != DOCUMENT) or (target == FILE and level not in (FILE, DOCUMENT)):
            return self.IGNORE, key, None
        if target not in spec.targets:
            return self.IGNORE, key, None
        return target, spec.attribute(target), self._converter(spec, target)

    def _converter(self, spec, level):
        if spec.key == "categories":
            return self.validator.categories
        if spec.key == "unit":
            return None  # resolved after the row, with the record's year
        return spec.converter(level)

    # The row -------------------------------------------------------------------------------------

    def level_of(self, cells):
        if self.sheet.level:
            return self.sheet.level
        count = len(cells)
        if any(index < count and not values.is_empty(cells[index]) for index in self.document_markers):
            return DOCUMENT
        subject = self.index_of.get("subject")
        title = self.index_of.get("file_title")
        if (
            subject is not None
            and subject < count
            and not values.is_empty(cells[subject])
            and (title is None or title >= count or values.is_empty(cells[title]))
        ):
            return DOCUMENT
        if any(index < count and not values.is_empty(cells[index]) for index in self.file_markers):
            return FILE
        for key, level in (("series_number", SERIES), ("fonds_code", FONDS)):
            index = self.index_of.get(key)
            if index is not None and index < count and not values.is_empty(cells[index]):
                return level
        if any(
            binding.index < count and not values.is_empty(cells[binding.index])
            for binding in self.column_map.bindings
        ):
            return FILE
        return None

    def convert(self, seq, row_number, cells):
        level = self.level_of(cells)
        if level is None:
            return None
        record = Record(seq=seq, sheet=self.sheet.name, row=row_number, level=level)
        found = {"place": {}, FONDS: {}, SERIES: {}, FILE: {}, DOCUMENT: {}, "parts": {}, "special": {}}
        if level == DOCUMENT:
            self.convert_document_row(record, cells, found)
        else:
            self.convert_slots(record, cells, self.slots[level], found)
        self.validator.assemble(self, record, found)
        return record

    def convert_document_row(self, record, cells, found):
        """A document row; its file's columns, when the same as the row above, are not converted again."""
        count = len(cells)
        raw = tuple(cells[index] if index < count else None for index in self.file_indexes)
        previous = self.previous_file
        if previous is not None and previous[0] == raw:
            for bucket, converted in previous[1].items():
                found[bucket].update(converted)
            found["same_file"] = True
        else:
            errors = self.validator.report.errors
            self.convert_slots(record, cells, self.document_file_slots, found)
            converted = {bucket: dict(found[bucket]) for bucket in ("place", FILE, "special")}
            self.previous_file = (raw, converted) if self.validator.report.errors == errors else None
        self.convert_slots(record, cells, self.document_own_slots, found)

    def convert_slots(self, record, cells, slots, found):
        count = len(cells)
        report = self.validator.report
        for index, header, bucket, attr, convert, memo in slots:
            if index >= count:
                continue
            value = cells[index]
            if value is None:
                continue
            if value.__class__ is str:
                value = value.strip()
                if not value:
                    continue
            if bucket == self.IGNORE:
                self.note_ignored(record, header, value)
                continue
            if convert is None:
                found[bucket][attr] = value if bucket != "special" else as_text(value)
                continue
            if memo is None:
                result = convert_or_problem(convert, value)
            else:
                key = value if value.__class__ is str else (value.__class__, value)
                result = memo.get(key, _MISSING)
                if result is _MISSING:
                    if len(memo) >= MEMO_LIMIT:
                        memo.clear()
                    result = memo[key] = convert_or_problem(convert, value)
            if result.__class__ is CellError:
                record.ok = False
                report.error(record.sheet, record.row, header, as_text(value), result.message, result.hint)
            elif result.__class__ is CellWarning:
                found[bucket][attr] = result.value
                report.warning(record.sheet, record.row, header, as_text(value), result.message, result.hint)
            else:
                found[bucket][attr] = result

    def note_ignored(self, record, header, value):
        """A value in a column that does not apply to this kind of row: said once per column."""
        key = (header, record.level)
        if key in self.ignored_reported:
            return
        self.ignored_reported.add(key)
        self.validator.report.warning(
            record.sheet,
            record.row,
            header,
            value,
            _("Cột này không dùng cho dòng %(level)s nên giá trị bị bỏ qua (báo một lần cho cả cột).")
            % {"level": LEVEL_LABELS[record.level]},
            _(
                "Dòng tài liệu là dòng có mã định danh tài liệu hoặc tên loại tài liệu; các dòng khác là "
                "dòng hồ sơ. Kiểm tra lại cột hoặc loại dòng."
            ),
        )

    def header(self, level, attr, fallback_model=None):
        header = self.header_of.get((level, attr))
        if header:
            return header
        model = fallback_model or columns.MODELS[level]
        try:
            return str(model._meta.get_field(attr).verbose_name)
        except Exception:  # noqa: BLE001 - a derived attribute has no model field
            return attr

    def key_header(self, key):
        index = self.index_of.get(key)
        if index is None:
            return ""
        return next(binding.header for binding in self.column_map.bindings if binding.index == index)


_MISSING = object()
MEMO_LIMIT = 20_000


def convert_or_problem(convert, value):
    """The converted value, or the CellError / CellWarning saying what is wrong with it."""
    try:
        return convert(value)
    except (CellError, CellWarning) as problem:
        return problem


def find_header(rows):
    """``(row number, header cells, remaining rows)``: the first of the top rows that names known fields."""
    looked = []
    for row_number, cells in rows:
        looked.append((row_number, cells))
        if columns.looks_like_header(cells) >= 2:
            return row_number, [as_text(cell) if cell is not None else "" for cell in cells], rows
        if len(looked) >= HEADER_SEARCH_ROWS:
            break
    for position, (row_number, cells) in enumerate(looked):
        if columns.looks_like_header(cells) >= 1:
            rest = _chain(looked[position + 1 :], rows)
            return row_number, [as_text(cell) if cell is not None else "" for cell in cells], rest
    return None, None, rows


def _chain(first, rest):
    yield from first
    yield from rest


def row_label(record):
    return f"{record.sheet} · {record.row}" if record.sheet else str(record.row)


def column_letter(index):
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
