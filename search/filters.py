"""The filters of the search page and API, read from the query string with clear errors."""

from dataclasses import dataclass, replace

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collections_app.models import (
    AdministrativeUnit,
    Archive,
    Category,
    DigitalObject,
    Document,
    Fonds,
    RecordFile,
    Series,
)
from collections_app.vocabularies import AccessRegime, PublicationStatus

YEAR_MIN, YEAR_MAX = 1, 2999
YES = {"yes", "1", "true", "co", "có"}
NO = {"no", "0", "false", "khong", "không"}
MAX_PAGE = 500
PAGE_LEVEL = "page"


class InvalidSearch(ValueError):
    """A filter or page the user gave cannot be read; the message says how to fix it."""


@dataclass(frozen=True)
class Level:
    slug: str
    model: type
    label: str
    year_field: str | None
    fonds_lookup: str
    digital_lookup: str | None
    parents: tuple
    metadata_fields: tuple
    content_fields: tuple
    unit_lookups: tuple
    has_categories: bool = False

    @property
    def has_regime(self):
        return self.model in (RecordFile, Document)


LEVELS = (
    Level(
        "fonds",
        Fonds,
        gettext_lazy("phông"),
        None,
        "code",
        None,
        parents=("archive", "unit__parent__parent"),
        metadata_fields=(
            "name",
            "creating_body_history",
            "main_record_groups",
            "search_identifiers",
            "search_places",
        ),
        content_fields=(),
        unit_lookups=("unit",),
    ),
    Level(
        "series",
        Series,
        gettext_lazy("mục lục hồ sơ"),
        None,
        "fonds__code",
        None,
        parents=("archive", "fonds__unit__parent__parent"),
        metadata_fields=("title", "description", "search_identifiers", "search_places"),
        content_fields=(),
        unit_lookups=("fonds__unit",),
    ),
    Level(
        "file",
        RecordFile,
        gettext_lazy("hồ sơ"),
        "start_year",
        "fonds__code",
        "record_file",
        parents=("archive", "fonds__unit__parent__parent", "series__fonds", "creating_unit__parent__parent"),
        metadata_fields=("title", "keywords", "description", "search_identifiers", "search_places"),
        content_fields=RecordFile.search_content_fields,
        unit_lookups=("creating_unit", "fonds__unit"),
        has_categories=True,
    ),
    Level(
        "document",
        Document,
        gettext_lazy("tài liệu"),
        "issued_year",
        "file__fonds__code",
        "document",
        parents=(
            "archive",
            "file__fonds__unit__parent__parent",
            "file__series__fonds",
            "file__creating_unit__parent__parent",
        ),
        metadata_fields=(
            "title",
            "keywords",
            "organ_name",
            "description",
            "search_identifiers",
            "search_places",
        ),
        content_fields=Document.search_content_fields,
        unit_lookups=("file__creating_unit", "file__fonds__unit"),
        has_categories=True,
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
    unit: AdministrativeUnit | None = None
    number: str = ""
    # Staff only: the engine ignores them for a user who is not staff of any archive.
    regime: str = ""
    status: str = ""

    def levels(self):
        if self.level == PAGE_LEVEL:
            return []
        levels = [LEVELS_BY_SLUG[self.level]] if self.level else list(LEVELS)
        return [level for level in levels if self.fits(level)]

    def fits(self, level):
        """Whether records of ``level`` can match these filters at all (a fonds has no year)."""
        if (self.year_from is not None or self.year_to is not None) and level.year_field is None:
            return False
        if self.category is not None and not level.has_categories:
            return False
        if self.digitized is not None and level.digital_lookup is None:
            return False
        if (self.number or self.regime) and not level.has_regime:
            return False
        return not (self.number and level.model is not Document)

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
        if self.unit is not None:
            units = unit_and_descendants(self.unit)
            in_unit = Q()
            for lookup in level.unit_lookups:
                in_unit |= Q(**{f"{lookup}__in": units})
            condition &= in_unit
        if self.number:
            condition &= number_condition(self.number)
        if self.regime:
            condition &= Q(access_regime=self.regime)
        if self.status:
            condition &= Q(publication_status=self.status)
        return queryset.filter(condition)

    def for_user(self, is_staff):
        """These filters, without the staff-only ones for a user who is not staff."""
        if is_staff or not (self.regime or self.status):
            return self
        return replace(self, regime="", status="")

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
            "unit": str(self.unit.pk) if self.unit else "",
            "number": self.number,
            "regime": self.regime,
            "status": self.status,
        }
        return {name: value for name, value in params.items() if value}

    def with_query_fields(self, fields):
        """These filters with the ``so:``, ``nam:`` and ``kho:`` fields typed in the query added."""
        changes = {}
        if "number" in fields and not self.number:
            changes["number"] = fields["number"][:60]
        if "year" in fields and self.year_from is None and self.year_to is None:
            changes["year_from"], changes["year_to"] = fields["year"]
        if "archive" in fields and self.archive is None:
            archive = Archive.objects.filter(
                Q(slug=fields["archive"]) | Q(code__iexact=fields["archive"])
            ).first()
            if archive is None:
                raise InvalidSearch(
                    _(
                        "Không có cơ quan lưu trữ “%(value)s” (kho:). "
                        "Dùng đường dẫn hoặc mã của cơ quan lưu trữ."
                    )
                    % {"value": fields["archive"][:80]}
                )
            changes["archive"] = archive
        return replace(self, **changes) if changes else self


def unit_and_descendants(unit):
    """The unit and every unit under it (a province's districts and communes), former ones included."""
    found, frontier = [unit.pk], [unit.pk]
    while frontier:
        frontier = list(
            AdministrativeUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        found.extend(frontier)
    return found


def number_condition(number):
    """Documents whose number and notation are ``number`` ("1234/QĐ-UBND"), or its notation alone."""
    number = number.strip()
    head, _slash, rest = number.partition("/")
    if head.isascii() and head.isdigit() and rest:
        return Q(code_number=head, code_notation__iexact=rest) | Q(
            code_number=head, code_notation__iendswith=rest.rsplit("/", 1)[-1]
        )
    if head.isascii() and head.isdigit():
        return Q(code_number=head)
    return Q(code_notation__iexact=number) | Q(code_notation__iendswith="/" + number)


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
        unit=_unit(_value(params, "unit")),
        number=_value(params, "number")[:60],
        regime=_choice(_value(params, "regime"), AccessRegime, _("Chế độ sử dụng")),
        status=_choice(_value(params, "status"), PublicationStatus, _("Trạng thái công bố")),
    )


def parse_page(params):
    raw = _value(params, "page")
    if not raw:
        return 1
    if not _is_number(raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidSearch(
            _("Số trang “%(page)s” không hợp lệ: hãy dùng một số từ 1 đến %(max)s.")
            % {"page": raw[:20], "max": MAX_PAGE}
        )
    return int(raw)


def _is_number(raw, max_digits=6):
    """ASCII digits only ("²" and other Unicode digits are not numbers here)."""
    return raw.isascii() and raw.isdigit() and len(raw) <= max_digits


def _value(params, name):
    # NUL cannot reach PostgreSQL in a text parameter; no filter value needs control characters.
    return "".join(char for char in (params.get(name) or "") if char.isprintable()).strip()


def _year(params, name, label):
    raw = _value(params, name)
    if not raw:
        return None
    if not _is_number(raw) or not YEAR_MIN <= int(raw) <= YEAR_MAX:
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
    if value and value not in LEVELS_BY_SLUG and value != PAGE_LEVEL:
        raise InvalidSearch(
            _(
                "Cấp “%(value)s” không hợp lệ: dùng “fonds” (phông), “series” (mục lục), “file” (hồ sơ), "
                "“document” (tài liệu) hoặc “page” (trang giới thiệu)."
            )
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


def _unit(value):
    if not value:
        return None
    unit = AdministrativeUnit.objects.filter(pk=value).first() if _is_number(value, 12) else None
    if unit is None:
        raise InvalidSearch(
            _("Không có đơn vị hành chính “%(value)s”. Chọn đơn vị trong danh sách bộ lọc.")
            % {"value": value[:20]}
        )
    return unit


def _choice(value, choices, label):
    if value and value not in choices.values:
        raise InvalidSearch(
            _("%(label)s “%(value)s” không hợp lệ: dùng một trong %(allowed)s.")
            % {"label": label, "value": value[:20], "allowed": ", ".join(choices.values)}
        )
    return value
