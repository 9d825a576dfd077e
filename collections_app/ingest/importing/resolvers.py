"""Cells that name rows of other tables: categories, administrative units; types read off notations."""

import datetime
import re

from django.utils.translation import gettext as _

from ...models import AdministrativeUnit, Category
from ...vocabularies import DocumentType
from .text import fold
from .values import CellError, as_text


class CategoryResolver:
    """``"đất đai; dự án đầu tư"`` → category ids, by name or slug, case and accents ignored."""

    def __init__(self):
        self._index = None
        self._names = ""

    def _load(self):
        self._index = {}
        names = []
        for pk, name, slug in Category.objects.values_list("pk", "name", "slug"):
            self._index[fold(name)] = pk
            self._index[fold(slug)] = pk
            names.append(name)
        self._names = "; ".join(sorted(names))

    def __call__(self, value):
        if self._index is None:
            self._load()
        found = []
        for part in re.split(r"[;\n]", as_text(value)):
            if not part.strip():
                continue
            pk = self._index.get(fold(part))
            if pk is None:
                raise CellError(
                    _("Không có nhóm tài liệu “%(name)s”.") % {"name": part.strip()},
                    _("Dùng tên hoặc mã nhóm đã có, cách nhau bằng dấu chấm phẩy: %(names)s.")
                    % {"names": self._names},
                )
            if pk not in found:
                found.append(pk)
        return found


UNIT_KIND_WORDS = (
    ("thanh pho truc thuoc trung uong", ("city",)),
    ("thanh pho", ("city", "provincial_city")),
    ("tp", ("city", "provincial_city")),
    ("tinh", ("province",)),
    ("huyen", ("district",)),
    ("thi xa", ("town",)),
    ("quan", ("urban_district",)),
    ("thi tran", ("township",)),
    ("phuong", ("ward",)),
    ("xa", ("commune",)),
    ("dac khu", ("special_zone",)),
)


class UnitResolver:
    """An administrative unit named as people write it: "Đồng Nai", "tỉnh Đồng Nai", "huyện Long Thành".

    Current and former units are both found; when a name fits several, the unit that existed in the
    record's year is chosen, then the current one; a name still ambiguous is an error listing them.
    """

    def __init__(self):
        self._index = None
        self._cache = {}

    def _load(self):
        self._index = {}
        for unit in AdministrativeUnit.objects.only("pk", "name", "kind", "valid_from", "valid_to"):
            self._index.setdefault(fold(unit.name), []).append(unit)

    def __call__(self, value, year=None):
        written = as_text(value)
        key = (fold(written), year)
        if key not in self._cache:
            try:
                self._cache[key] = self._resolve(written, year)
            except CellError as error:
                self._cache[key] = error
        found = self._cache[key]
        if isinstance(found, CellError):
            raise found
        return found

    def _resolve(self, written, year):
        if self._index is None:
            self._load()
        name, kinds = split_unit_kind(fold(written))
        candidates = [unit for unit in self._index.get(name, []) if not kinds or unit.kind in kinds]
        if len(candidates) > 1 and year:
            in_year = [unit for unit in candidates if existed_in(unit, year)]
            candidates = in_year or candidates
        if len(candidates) > 1:
            current = [unit for unit in candidates if unit.valid_to is None]
            if len(current) == 1:
                candidates = current
        if len(candidates) == 1:
            return candidates[0].pk
        if not candidates:
            raise CellError(
                _("Không tìm thấy đơn vị hành chính “%(name)s”.") % {"name": written},
                _("Ghi đúng tên đơn vị hiện nay hoặc trước đây, có thể kèm cấp (ví dụ “tỉnh Đồng Nai”)."),
            )
        raise CellError(
            _("Có nhiều đơn vị hành chính tên “%(name)s”: %(units)s.")
            % {"name": written, "units": "; ".join(str(unit) for unit in candidates[:5])},
            _("Ghi rõ cấp của đơn vị (ví dụ “xã …”, “huyện …”, “tỉnh …”)."),
        )


def split_unit_kind(folded):
    for words, kinds in UNIT_KIND_WORDS:
        if folded.startswith(words + " "):
            return folded[len(words) + 1 :], kinds
    return folded, ()


def existed_in(unit, year):
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return (unit.valid_from is None or unit.valid_from <= last) and (
        unit.valid_to is None or unit.valid_to >= first
    )


# Abbreviations of document types in notations (Decree 30/2020/NĐ-CP, Appendix III).
TYPE_ABBREVIATIONS = {
    "NQ": DocumentType.RESOLUTION,
    "QĐ": DocumentType.DECISION,
    "CT": DocumentType.DIRECTIVE,
    "QC": DocumentType.STATUTE,
    "QYĐ": DocumentType.REGULATION,
    "TC": DocumentType.COMMUNIQUE,
    "TB": DocumentType.NOTICE,
    "HD": DocumentType.GUIDANCE,
    "CTR": DocumentType.PROGRAMME,
    "KH": DocumentType.PLAN,
    "PA": DocumentType.SCHEME,
    "ĐA": DocumentType.PROPOSAL,
    "DA": DocumentType.PROJECT,
    "BC": DocumentType.REPORT,
    "TTR": DocumentType.SUBMISSION,
    "GUQ": DocumentType.AUTHORIZATION,
    "PG": DocumentType.DISPATCH_SLIP,
    "PC": DocumentType.TRANSFER_SLIP,
    "PB": DocumentType.NOTIFICATION_SLIP,
    "BB": DocumentType.MINUTES,
    "HĐ": DocumentType.CONTRACT,
    "CĐ": DocumentType.TELEGRAM,
    "GNH": DocumentType.MEMORANDUM,
    "TTH": DocumentType.AGREEMENT,
    "GM": DocumentType.INVITATION,
    "GGT": DocumentType.INTRODUCTION,
    "GNP": DocumentType.LEAVE,
}


def type_from_notation(notation):
    """The document type a notation's first part names (``"QĐ-UBND"`` → 02), or None."""
    if not notation:
        return None
    return TYPE_ABBREVIATIONS.get(notation.split("-", 1)[0].strip().upper())
