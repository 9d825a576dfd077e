"""Cell converters: a spreadsheet cell (text, number or Excel date) → the value a model field stores.

Each converter is built once per column (``text(200)``, ``vocabulary(Retention)`` ...) and called
for every non-empty cell; it returns the value or raises ``CellError`` saying what is wrong and
how to fix it, in Vietnamese.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from ... import partial_dates
from ...models.description import CODE_SEGMENT_PATTERN
from .text import compact, fold

EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Excel serial numbers from 1 January 1900 to 31 December 2099.
EXCEL_SERIAL_RANGE = (1, 73050)


class CellError(Exception):
    """A cell that cannot be imported: ``message`` says what is wrong, ``hint`` how to fix it."""

    def __init__(self, message, hint=""):
        super().__init__(message)
        self.message = str(message)
        self.hint = str(hint)


def is_empty(value):
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value):
    """A cell as text: numbers lose a spurious ``.0``, dates are written DD/MM/YYYY."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


# Text ---------------------------------------------------------------------------------------------


def text(max_length=None):
    def convert(value):
        result = value if value.__class__ is str else as_text(value)
        if max_length and len(result) > max_length:
            raise CellError(
                _("Dài %(length)s ký tự, vượt quá %(max)s ký tự cho phép.")
                % {"length": len(result), "max": max_length},
                _("Rút gọn nội dung còn tối đa %(max)s ký tự.") % {"max": max_length},
            )
        return result

    convert.cheap = True  # a length check: not worth memoising
    return convert


_CODE_SEGMENT = re.compile(CODE_SEGMENT_PATTERN)


def code(max_length):
    """A code segment (fonds code, file number ...): letters without accents, digits, ``.-_``."""
    check_length = text(max_length)

    def convert(value):
        result = check_length(value).replace(" ", "")
        if not _CODE_SEGMENT.match(result):
            raise CellError(
                _("Mã “%(value)s” có ký tự không hợp lệ.") % {"value": result},
                _(
                    "Mã chỉ gồm chữ cái không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới, bắt đầu bằng "
                    "chữ hoặc số (ví dụ H49.64.33 hoặc 01)."
                ),
            )
        return result

    return convert


def notation(max_length):
    """``"/ QĐ-UBND "`` → ``"QĐ-UBND"``: stray spaces and slashes around a notation go."""
    check_length = text(max_length)

    def convert(value):
        cleaned = re.sub(r"\s*([/-])\s*", r"\1", as_text(value)).strip("/ ")
        return check_length(cleaned)

    return convert


def number_and_notation(value):
    """``"1234/QĐ-UBND"`` → ``("1234", "QĐ-UBND")``; a lone number or notation stays on its side."""
    written = re.sub(r"\s*([/-])\s*", r"\1", as_text(value)).strip("/ ")
    number, _slash, rest = written.partition("/")
    if not rest and not re.match(r"^\d", number):
        return "", number
    return number, rest


# Numbers and yes/no -------------------------------------------------------------------------------


# PositiveIntegerField's range on every database Django supports.
INTEGER_MAX = 2_147_483_647


def integer(minimum=0, maximum=INTEGER_MAX):
    def convert(value):
        if isinstance(value, bool):
            raise _not_a_number(value)
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if not value.is_integer():
                raise _not_a_number(value)
            number = int(value)
        else:
            written = as_text(value).replace(" ", "")
            if not re.fullmatch(r"\d+(\.0+)?", written):
                raise _not_a_number(written)
            number = int(written.split(".")[0])
        if number < minimum or number > maximum:
            raise CellError(
                _("Số %(value)s nằm ngoài khoảng cho phép (%(min)s–%(max)s).")
                % {"value": number, "min": minimum, "max": maximum},
                _("Kiểm tra lại số đã nhập."),
            )
        return number

    return convert


def _not_a_number(value):
    return CellError(
        _("“%(value)s” không phải là số nguyên.") % {"value": value},
        _("Chỉ ghi chữ số, ví dụ 12."),
    )


_TRUE = {"1", "co", "x", "true", "yes", "dung", "c", "y"}
_FALSE = {"0", "khong", "false", "no", "sai", "k", "n"}


def boolean(value):
    if isinstance(value, bool):
        return value
    key = compact(as_text(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(
        _("“%(value)s” không phải là giá trị có/không.") % {"value": as_text(value)},
        _("Ghi 1 (có) hoặc 0 (không)."),
    )


# Vocabularies -------------------------------------------------------------------------------------


class Vocabulary:
    """Codes or labels of one controlled vocabulary: ``"01"``, ``"1"``, ``1``, ``"Vĩnh viễn"``."""

    def __init__(self, choices, synonyms=None, fallback=None):
        self.choices = choices
        self.fallback = fallback
        self.codes = {str(value) for value in choices.values}
        self.by_key = {}
        with translation.override("vi"):  # labels as written in Vietnamese inventories, whatever is active
            for value, label in choices.choices:
                self.by_key[compact(label)] = value
                self.by_key[compact(label).removeprefix("tieng")] = value
                self.by_key[compact(value)] = value
        for written, value in (synonyms or {}).items():
            self.by_key[compact(written)] = value

    def accepted(self):
        with translation.override("vi"):
            return "; ".join(f"{value} {label}" for value, label in self.choices.choices)

    def lookup(self, value):
        """The code, or None when the value is not in the vocabulary."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            written = f"{value:02d}"
            return written if written in self.codes else None
        written = as_text(value)
        if written in self.codes:
            return written
        leading = re.match(r"^(\d{1,2})(?:\s*[-–.:)]\s*\S.*)?$", written)
        if leading:
            written_code = f"{int(leading.group(1)):02d}"
            if written_code in self.codes:
                return written_code
        key = compact(written)
        return self.by_key.get(key) or self.by_key.get(key.removeprefix("tieng"))

    def unknown(self, value):
        return CellError(
            _("“%(value)s” không có trong danh mục.") % {"value": as_text(value)},
            _("Ghi mã hoặc tên trong danh mục: %(accepted)s.") % {"accepted": self.accepted()},
        )

    def __call__(self, value):
        found = self.lookup(value)
        if found is None:
            raise self.unknown(value)
        return found


class VocabularyList:
    """Several codes in one cell, separated by commas or semicolons (languages)."""

    def __init__(self, vocabulary):
        self.vocabulary = vocabulary

    def __call__(self, value):
        if isinstance(value, int | float):
            return [self.vocabulary(value)]
        found = []
        for part in re.split(r"[,;]", as_text(value)):
            if part.strip():
                code = self.vocabulary(part)
                if code not in found:
                    found.append(code)
        return found


# Dates --------------------------------------------------------------------------------------------

_WRITTEN_OUT = re.compile(r"^ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})$")


def partial_date(value):
    """A date of day, month or year precision as its stored ISO prefix (``"2019-03-05"``)."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if 1000 <= value <= 2999:
            return f"{value:04d}"
        if EXCEL_SERIAL_RANGE[0] <= value <= EXCEL_SERIAL_RANGE[1]:
            return (EXCEL_EPOCH + datetime.timedelta(days=value)).isoformat()
    written = as_text(value)
    spelled = _WRITTEN_OUT.match(fold(written))
    if spelled:
        written = "/".join(spelled.groups())
    try:
        return partial_dates.parse_partial_date(written)
    except ValidationError:
        raise CellError(
            _("“%(value)s” không phải là ngày hợp lệ.") % {"value": written},
            _("Ghi theo dạng DD/MM/YYYY, MM/YYYY hoặc YYYY (ví dụ 05/03/2019, 03/2019 hoặc 2019)."),
        ) from None


_RANGE = re.compile(r"^(.+?)\s*[–—-]\s*(.+)$")


def date_range(value):
    """``"05/03/2019 - 20/12/2019"`` or ``"2019-2020"`` → two ISO prefixes; a single date gives it twice."""
    if not isinstance(value, str):
        single = partial_date(value)
        return single, single
    written = as_text(value)
    try:
        single = partial_date(written)
        return single, single
    except CellError:
        pass
    parts = re.split(r"\s+[–—-]\s+|\s*[–—]\s*", written)
    if len(parts) != 2:
        match = _RANGE.match(written)
        parts = list(match.groups()) if match else [written]
    if len(parts) != 2:
        raise CellError(
            _("“%(value)s” không phải là khoảng thời gian hợp lệ.") % {"value": written},
            _(
                "Ghi dạng “05/03/2019 - 20/12/2019” hoặc “2019 - 2020”, hoặc dùng hai cột thời gian bắt đầu "
                "và kết thúc."
            ),
        )
    return partial_date(parts[0]), partial_date(parts[1])


def full_date(value):
    """A calendar date (opening date): the day must be given."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    iso = partial_date(value)
    if len(iso) != 10:
        raise CellError(
            _("“%(value)s” thiếu ngày hoặc tháng.") % {"value": as_text(value)},
            _("Ghi đủ ngày, tháng, năm theo dạng DD/MM/YYYY, ví dụ 01/01/2030."),
        )
    return datetime.date.fromisoformat(iso)


def date_from_parts(day, month, year):
    """Split day / month / year columns → an ISO prefix; each part may be empty, from the right."""
    if year is None:
        if day is not None or month is not None:
            raise CellError(
                _("Có ngày hoặc tháng nhưng thiếu năm."),
                _("Điền năm (4 chữ số) vào cột năm."),
            )
        return ""
    if day is not None and month is None:
        raise CellError(_("Có ngày nhưng thiếu tháng."), _("Điền tháng vào cột tháng, hoặc xóa ngày."))
    written = "/".join(f"{part:02d}" for part in (day, month) if part is not None)
    written = f"{written}/{year:04d}" if written else f"{year:04d}"
    return partial_date(written)


class CellWarning(Exception):
    """A cell imported with a documented fallback value: the import goes on, the report says so."""

    def __init__(self, value, message, hint=""):
        super().__init__(message)
        self.value = value
        self.message = str(message)
        self.hint = str(hint)


class VocabularyWithFallback(Vocabulary):
    """A vocabulary whose unknown values become ``fallback`` with a warning instead of an error."""

    def __call__(self, value):
        found = self.lookup(value)
        if found is not None:
            return found
        label = self.choices(self.fallback).label
        raise CellWarning(
            self.fallback,
            _("“%(value)s” không có trong danh mục; đã ghi là %(code)s %(label)s.")
            % {"value": as_text(value), "code": self.fallback, "label": label},
            _("Nếu cần, sửa thành một giá trị trong danh mục: %(accepted)s.") % {"accepted": self.accepted()},
        )
