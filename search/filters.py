"""The filters of the search page and API, read from the query string with clear errors."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collections_app.models import Archive, Category, DigitalObject, Document, RecordFile

YEAR_MIN, YEAR_MAX = 1, 2999
YES = {"yes", "1", "true", "co", "có"}
NO = {"no", "0", "false", "khong", "không"}
MAX_PAGE = 500


class InvalidSearch(ValueError):
    """A filter or page the user gave cannot be read; the message says how to fix it."""


@dataclass(frozen=True)
class Level:
    slug: str
    model: type
    label: str
    year_field: str
    fonds_lookup: str
    digital_lookup: str
    parents: tuple
    metadata_fields: tuple
    content_fields: tuple


LEVELS = (
    Level(
        "file",
        RecordFile,
        gettext_lazy("hồ sơ"),
        "start_year",
        "fonds__code",
        "record_file",
        parents=("archive", "fonds", "series__fonds"),
        metadata_fields=("title", "keywords"),
        content_fields=("ocr_text",),
    ),
    Level(
        "document",
        Document,
        gettext_lazy("tài liệu"),
        "issued_year",
        "file__fonds__code",
        "document",
        parents=("archive", "file__fonds", "file__series__fonds"),
        metadata_fields=("title", "keywords", "organ_name"),
        content_fields=("ocr_text", "full_text"),
    ),
)
LEVELS_BY_SLUG = {level.slug: level for level in LEVELS}


@dataclass(frozen=True)
class SearchFilters:
    archive: Archive | None = None
    fonds: str = ""
    level: str = ""
    year_from: int | None = None
    year_to: int | None = None
    category: Category | None = None
    digitized: bool | None = None

    def levels(self):
        return [LEVELS_BY_SLUG[self.level]] if self.level else list(LEVELS)

    def apply(self, level, queryset):
        """Narrow a level's (already access-filtered) queryset by these filters."""
        condition = Q()
        if self.archive is not None:
            condition &= Q(archive_id=self.archive.pk)
        if self.fonds:
            condition &= Q(**{f"{level.fonds_lookup}__iexact": self.fonds})
        if self.year_from is not None:
            condition &= Q(**{f"{level.year_field}__gte": self.year_from})
        if self.year_to is not None:
            condition &= Q(**{f"{level.year_field}__lte": self.year_to})
        if self.category is not None:
            through = level.model.categories.through
            column = f"{level.model._meta.model_name}_id"
            condition &= Q(
                Exists(through.objects.filter(**{column: OuterRef("pk"), "category_id": self.category.pk}))
            )
        if self.digitized is not None:
            scanned = Exists(DigitalObject.objects.filter(**{level.digital_lookup: OuterRef("pk")}))
            condition &= Q(scanned) if self.digitized else ~Q(scanned)
        return queryset.filter(condition)

    def as_params(self):
        """The filters as query-string values (for facet links and pagination)."""
        params = {
            "archive": self.archive.slug if self.archive else "",
            "fonds": self.fonds,
            "level": self.level,
            "year_from": "" if self.year_from is None else str(self.year_from),
            "year_to": "" if self.year_to is None else str(self.year_to),
            "category": self.category.slug if self.category else "",
            "digitized": {None: "", True: "yes", False: "no"}[self.digitized],
        }
        return {name: value for name, value in params.items() if value}


def parse_filters(params):
    """Read the filters from a QueryDict; raise InvalidSearch naming the bad value."""
    year_from = _year(params, "year_from", _("Năm bắt đầu"))
    year_to = _year(params, "year_to", _("Năm kết thúc"))
    if year_from is not None and year_to is not None and year_from > year_to:
        raise InvalidSearch(
            _("Năm bắt đầu (%(start)s) lớn hơn năm kết thúc (%(end)s). Đổi lại hai năm cho đúng thứ tự.")
            % {"start": year_from, "end": year_to}
        )
    return SearchFilters(
        archive=_archive(_value(params, "archive")),
        fonds=_value(params, "fonds")[:40],
        level=_level(_value(params, "level")),
        year_from=year_from,
        year_to=year_to,
        category=_category(_value(params, "category")),
        digitized=_digitized(_value(params, "digitized")),
    )


def parse_page(params):
    raw = _value(params, "page")
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidSearch(
            _("Số trang “%(page)s” không hợp lệ: hãy dùng một số từ 1 đến %(max)s.")
            % {"page": raw[:20], "max": MAX_PAGE}
        )
    return int(raw)


def _value(params, name):
    return (params.get(name) or "").strip()


def _year(params, name, label):
    raw = _value(params, name)
    if not raw:
        return None
    if not raw.isdigit() or not YEAR_MIN <= int(raw) <= YEAR_MAX:
        raise InvalidSearch(
            _("%(label)s “%(value)s” không hợp lệ: hãy nhập năm bằng số, ví dụ 1975.")
            % {"label": label, "value": raw[:20]}
        )
    return int(raw)


def _archive(value):
    if not value:
        return None
    archive = Archive.objects.filter(Q(slug=value) | Q(code__iexact=value)).first()
    if archive is None:
        raise InvalidSearch(
            _("Không có cơ quan lưu trữ “%(value)s”. Chọn cơ quan lưu trữ trong danh sách bộ lọc.")
            % {"value": value[:80]}
        )
    return archive


def _level(value):
    if value and value not in LEVELS_BY_SLUG:
        raise InvalidSearch(
            _("Cấp “%(value)s” không hợp lệ: dùng “file” (hồ sơ) hoặc “document” (tài liệu).")
            % {"value": value[:20]}
        )
    return value


def _category(value):
    if not value:
        return None
    category = Category.objects.filter(slug=value).first()
    if category is None:
        raise InvalidSearch(
            _("Không có nhóm tài liệu “%(value)s”. Chọn nhóm trong danh sách bộ lọc.") % {"value": value[:50]}
        )
    return category


def _digitized(value):
    folded = value.lower()
    if not folded:
        return None
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise InvalidSearch(
        _("Giá trị “%(value)s” của bộ lọc số hóa không hợp lệ: dùng “yes” (đã số hóa) hoặc “no”.")
        % {"value": value[:20]}
    )
