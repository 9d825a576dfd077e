"""Which column is which: the import's fields, their headers, and the matching of a header row.

Headers are matched ignoring case, accents and punctuation, in Vietnamese (as in DOMAIN.md and as
archives write them) or by the XML names of Circular 05/2025. Fields that files and documents share
("Ngôn ngữ", "Ghi chú", "Chế độ sử dụng" ...) may appear twice: the first column is the file's, the
second the document's; a shared column that appears once belongs to the row's own level.

A header row with the Circular 02/2019 column set (e.g. "Mục lục số hoặc năm hình thành hồ sơ",
"Mã định danh văn bản") is read as a legacy inventory: its "Mã hồ sơ" and "Mã định danh văn bản"
are the old codes, which are mapped to new codes and kept as aliases.
"""

from dataclasses import dataclass, field

from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from ...models import Document, Fonds, RecordFile, Series
from ...vocabularies import (
    AccessRegime,
    Condition,
    DocumentType,
    Language,
    MediaKind,
    OriginalStatus,
    PhotoColour,
    PhotoKind,
    PublicationStatus,
    RecordKind,
    Reliability,
    Retention,
    RiskRecoveryStatus,
)
from . import values
from .text import fold

FONDS, SERIES, FILE, DOCUMENT = "fonds", "series", "file", "document"
LEVELS = (FONDS, SERIES, FILE, DOCUMENT)
MODELS = {FONDS: Fonds, SERIES: Series, FILE: RecordFile, DOCUMENT: Document}
LEVEL_LABELS = {FONDS: _("phông"), SERIES: _("mục lục"), FILE: _("hồ sơ"), DOCUMENT: _("tài liệu")}

# Placement and identity, not stored as such on one model.
PLACEMENT = "placement"
# A field of both files and documents (RecordDescription), or of fonds too.
SHARED = "shared"
# Parts of a split date (day / month / year columns).
PART = "part"


def max_length(model, name):
    return model._meta.get_field(name).max_length


def max_value(model, name):
    for validator in model._meta.get_field(name).validators:
        if isinstance(validator, MaxValueValidator):
            return validator.limit_value
    return None


@dataclass(frozen=True)
class Field:
    """One importable field: where it goes, the headers that name it, how its cells convert.

    ``targets`` maps a level to ``(attribute, converter)``; a shared field has several levels.
    """

    key: str
    kind: str
    headers: tuple
    targets: dict = field(default_factory=dict)
    legacy_headers: tuple = ()
    legacy_only: bool = False

    def converter(self, level):
        target = self.targets.get(level)
        return target[1] if target else None

    def attribute(self, level):
        target = self.targets.get(level)
        return target[0] if target else None


def text_of(model, name):
    return (name, values.text(max_length(model, name)))


def shared_text(name, fonds_name=None):
    targets = {FILE: text_of(RecordFile, name), DOCUMENT: text_of(Document, name)}
    if fonds_name:
        targets[FONDS] = text_of(Fonds, fonds_name)
    return targets


def shared(converter, name):
    return {FILE: (name, converter), DOCUMENT: (name, converter)}


LANGUAGES = values.VocabularyList(
    values.Vocabulary(Language, {"Anh": "02", "Pháp": "03", "Nga": "04", "Trung": "05", "Hán": "09"})
)
RETENTION = values.Vocabulary(Retention, {"Vĩnh viễn (VV)": "01", "VV": "01"})
ACCESS = values.Vocabulary(
    AccessRegime,
    {
        "Hạn chế": "02",
        "Hạn chế sử dụng": "02",
        "Sử dụng hạn chế": "02",
        "Có điều kiện": "02",
        "Tiếp cận có điều kiện": "02",
        "Sử dụng rộng rãi": "01",
        "Mở": "01",
    },
)
PUBLICATION = values.Vocabulary(
    PublicationStatus,
    {"Công bố": "published", "Đã công bố": "published", "Nháp": "draft", "Chưa công bố": "draft"},
)
DOCUMENT_TYPE = values.VocabularyWithFallback(DocumentType, {"Khác": "32"}, fallback=DocumentType.OTHER)
KIND = values.Vocabulary(
    RecordKind,
    {"Ảnh": "photo", "Phim âm bản": "photo", "Ghi âm": "media", "Ghi hình": "media", "Phim": "media"},
)


def _fields():
    yield Field(
        "fonds_code",
        PLACEMENT,
        ("Mã phông", "fondsCode", "Mã phông lưu trữ", "Phông số"),
        {FONDS: ("code", values.code(max_length(Fonds, "code")))},
        legacy_headers=("Mã phông/công trình/sưu tập lưu trữ", "Mã phông, công trình, sưu tập"),
    )
    yield Field(
        "fonds_name",
        PLACEMENT,
        ("Tên phông", "fondsName", "Tên phông lưu trữ"),
        {FONDS: text_of(Fonds, "name")},
    )
    yield Field(
        "creator_code",
        PLACEMENT,
        ("Mã định danh cơ quan", "Mã định danh cơ quan hình thành phông", "organId", "Mã cơ quan"),
        {
            FONDS: ("creator_code", values.code(max_length(Fonds, "creator_code"))),
            FILE: ("creator_code", values.code(max_length(RecordFile, "creator_code"))),
        },
    )
    yield Field(
        "series_number",
        PLACEMENT,
        ("Mục lục số", "Số mục lục", "Mục lục"),
        {SERIES: ("number", values.code(max_length(Series, "number")))},
    )
    yield Field("series_title", PLACEMENT, ("Tên mục lục",), {SERIES: text_of(Series, "title")})

    # Fonds (fonds rows only).
    yield Field(
        "history",
        FONDS,
        (
            "Lịch sử đơn vị hình thành phông",
            "Lịch sử cơ quan hình thành phông",
            "Lịch sử đơn vị hình thành phông và lịch sử phông",
        ),
        {FONDS: ("creating_body_history", values.text())},
    )
    yield Field(
        "date_range",
        PLACEMENT,
        ("Thời gian của tài liệu", "Thời gian tài liệu"),
        {FONDS: text_of(Fonds, "date_range"), SERIES: text_of(Series, "date_range")},
    )
    yield Field(
        "total_paper_records",
        FONDS,
        ("Tổng số tài liệu giấy",),
        {FONDS: ("total_paper_records", values.integer())},
    )
    yield Field(
        "digitized_pages", FONDS, ("Số trang đã số hóa",), {FONDS: ("digitized_pages", values.integer())}
    )
    yield Field(
        "main_record_groups",
        FONDS,
        ("Các nhóm tài liệu chủ yếu", "Nhóm tài liệu chủ yếu"),
        {FONDS: text_of(Fonds, "main_record_groups")},
    )
    yield Field(
        "other_record_types",
        FONDS,
        ("Các loại hình tài liệu khác", "Loại hình tài liệu khác"),
        {FONDS: text_of(Fonds, "other_record_types")},
    )
    yield Field("finding_aids", FONDS, ("Công cụ tra cứu",), {FONDS: text_of(Fonds, "finding_aids")})
    yield Field(
        "security_copy_pages",
        FONDS,
        ("Số trang tài liệu đã lập bản sao bảo hiểm", "Số trang đã lập bản sao bảo hiểm"),
        {FONDS: ("security_copy_pages", values.integer())},
    )
    yield Field("is_closed", FONDS, ("Phông đóng",), {FONDS: ("is_closed", values.boolean)})

    # Files.
    yield Field("file_code", FILE, ("Mã hồ sơ", "fileCode"))
    yield Field("arc_file_code", FILE, ("arcFileCode", "Mã hồ sơ lưu trữ"))
    yield Field(
        "year",
        FILE,
        ("Năm hình thành hồ sơ", "Năm hình thành", "Năm hồ sơ"),
        {FILE: ("year", values.integer(1000, max_value(RecordFile, "year")))},
    )
    yield Field(
        "file_number",
        FILE,
        ("Số và ký hiệu hồ sơ", "Số hồ sơ", "Hồ sơ số", "Số ký hiệu hồ sơ"),
        {FILE: ("file_number", values.code(max_length(RecordFile, "file_number")))},
    )
    yield Field(
        "file_title", FILE, ("Tiêu đề hồ sơ", "title", "Tiêu đề"), {FILE: text_of(RecordFile, "title")}
    )
    yield Field(
        "start_date",
        FILE,
        ("Thời gian bắt đầu", "startDate", "Ngày bắt đầu"),
        {FILE: ("start_date", values.partial_date)},
    )
    yield Field(
        "end_date",
        FILE,
        ("Thời gian kết thúc", "endDate", "Ngày kết thúc"),
        {FILE: ("end_date", values.partial_date)},
    )
    yield Field(
        "file_dates",
        FILE,
        ("Thời gian", "Thời gian bắt đầu và kết thúc", "Thời gian bắt đầu kết thúc"),
        {FILE: ("dates", values.date_range)},
    )
    yield Field(
        "total_documents",
        FILE,
        ("Tổng số tài liệu", "totalDoc", "Tổng số văn bản", "Tổng số văn bản trong hồ sơ"),
        {FILE: ("total_documents", values.integer())},
    )
    yield Field(
        "sheet_count",
        FILE,
        ("Số lượng tờ", "numberOfPaper", "Số tờ"),
        {FILE: ("sheet_count", values.integer())},
    )
    yield Field(
        "paper_file_code",
        FILE,
        ("Mã hồ sơ gốc giấy", "paperFileCode"),
        {FILE: text_of(RecordFile, "paper_file_code")},
    )
    yield Field("box", FILE, ("Hộp số", "Số hộp", "Hộp"), {FILE: text_of(RecordFile, "box")})
    yield Field("shelf", FILE, ("Vị trí", "Kho, giá", "Vị trí kho giá"), {FILE: text_of(RecordFile, "shelf")})
    yield Field(
        "original_status",
        FILE,
        ("Bản gốc, bản chính, bản sao", "Bản gốc bản chính bản sao hợp pháp"),
        {FILE: ("original_status", values.Vocabulary(OriginalStatus, {"Bản sao": "copy"}))},
    )
    yield Field(
        "unit", SHARED, ("Đơn vị hành chính",), {FILE: ("creating_unit_id", None), FONDS: ("unit_id", None)}
    )

    # Shared by files and documents.
    yield Field(
        "retention",
        SHARED,
        ("Thời hạn lưu trữ", "maintenance", "Thời hạn bảo quản"),
        shared(RETENTION, "retention"),
    )
    yield Field(
        "access_regime",
        SHARED,
        ("Chế độ sử dụng", "mode", "Mức độ tiếp cận"),
        shared(ACCESS, "access_regime"),
    )
    yield Field(
        "languages",
        SHARED,
        ("Ngôn ngữ", "language"),
        {**shared(LANGUAGES, "languages"), FONDS: ("languages", LANGUAGES)},
    )
    yield Field("keywords", SHARED, ("Từ khóa", "keyword"), shared_text("keywords"))
    yield Field(
        "information_sign", SHARED, ("Ký hiệu thông tin", "inforSign"), shared_text("information_sign")
    )
    yield Field(
        "reliability",
        SHARED,
        ("Mức độ tin cậy", "confidenceLevel"),
        shared(values.Vocabulary(Reliability), "reliability"),
    )
    yield Field(
        "condition",
        SHARED,
        ("Tình trạng vật lý", "format"),
        shared(values.Vocabulary(Condition), "condition"),
    )
    yield Field(
        "risk_recovery",
        SHARED,
        ("Chế độ dự phòng", "riskRecovery", "Dự phòng"),
        shared(values.boolean, "risk_recovery"),
    )
    yield Field(
        "risk_recovery_status",
        SHARED,
        ("Tình trạng dự phòng", "riskRecoveryStatus"),
        shared(values.Vocabulary(RiskRecoveryStatus), "risk_recovery_status"),
    )
    yield Field(
        "opening_date", SHARED, ("Ngày mở", "Ngày mở cho sử dụng"), shared(values.full_date, "opening_date")
    )
    yield Field("access_reason", SHARED, ("Lý do hạn chế sử dụng",), shared_text("access_reason"))
    yield Field(
        "page_count",
        SHARED,
        ("Số lượng trang", "numberOfPage", "Số trang"),
        {
            FILE: ("page_count", values.integer()),
            DOCUMENT: ("page_count", values.integer(0, max_value(Document, "page_count"))),
        },
    )
    yield Field(
        "description", SHARED, ("Ghi chú", "description"), shared_text("description", fonds_name="notes")
    )
    yield Field(
        "categories",
        SHARED,
        ("Nhóm tài liệu", "Nhóm", "category"),
        {FILE: ("categories", None), DOCUMENT: ("categories", None)},
    )
    yield Field(
        "publication_status",
        SHARED,
        ("Trạng thái", "Trạng thái công bố"),
        {
            **shared(PUBLICATION, "publication_status"),
            FONDS: ("publication_status", PUBLICATION),
            SERIES: ("publication_status", PUBLICATION),
        },
    )

    # Documents.
    yield Field("doc_id", DOCUMENT, ("Mã định danh tài liệu", "docId", "Mã định danh"), legacy_headers=())
    yield Field("doc_code", DOCUMENT, ("Mã lưu trữ của tài liệu", "docCode", "Mã lưu trữ tài liệu"))
    yield Field(
        "ordinal",
        DOCUMENT,
        (
            "Số thứ tự văn bản trong hồ sơ",
            "Số thứ tự trong hồ sơ",
            "Số thứ tự tài liệu",
            "Số thứ tự văn bản",
            "Thứ tự trong hồ sơ",
        ),
        {DOCUMENT: ("ordinal", values.integer(1))},
    )
    yield Field(
        "type_name",
        DOCUMENT,
        ("Tên loại tài liệu", "typeName", "Tên loại văn bản", "Loại văn bản", "Tên loại"),
        {DOCUMENT: ("type_name", DOCUMENT_TYPE)},
    )
    yield Field(
        "code_number",
        DOCUMENT,
        ("Số", "codeNumber", "Số văn bản", "Số của văn bản"),
        {DOCUMENT: ("code_number", values.text(max_length(Document, "code_number")))},
    )
    yield Field(
        "code_notation",
        DOCUMENT,
        ("Ký hiệu", "codeNotation", "Ký hiệu văn bản", "Ký hiệu của văn bản"),
        {DOCUMENT: ("code_notation", values.notation(max_length(Document, "code_notation")))},
    )
    yield Field(
        "number_notation",
        DOCUMENT,
        (
            "Số, ký hiệu",
            "Số và ký hiệu",
            "Số ký hiệu",
            "Số, ký hiệu văn bản",
            "Số và ký hiệu văn bản",
            "Số ký hiệu văn bản",
        ),
        {DOCUMENT: ("number_notation", values.number_and_notation)},
    )
    yield Field(
        "issued_date",
        DOCUMENT,
        (
            "Ngày tháng năm",
            "issuedDate",
            "Ngày tháng năm văn bản",
            "Ngày, tháng, năm văn bản",
            "Ngày văn bản",
            "Ngày ban hành",
            "Ngày tháng",
            "Ngày, tháng",
            "Ngày tháng văn bản",
        ),
        {DOCUMENT: ("issued_date", values.partial_date)},
    )
    yield Field("issued_day", PART, ("Ngày",), {DOCUMENT: ("day", values.integer(1, 31))})
    yield Field("issued_month", PART, ("Tháng",), {DOCUMENT: ("month", values.integer(1, 12))})
    yield Field("issued_year", PART, ("Năm",), {DOCUMENT: ("year", values.integer(1000, 2999))})
    yield Field(
        "organ_name",
        DOCUMENT,
        (
            "Cơ quan ban hành",
            "organName",
            "Tên cơ quan, tổ chức ban hành văn bản",
            "Cơ quan, tổ chức ban hành",
            "Tác giả văn bản",
            "Tác giả",  # in a mục lục văn bản, the issuing body
        ),
        {DOCUMENT: text_of(Document, "organ_name")},
    )
    yield Field(
        "subject",
        DOCUMENT,
        ("Trích yếu nội dung", "subject", "Trích yếu", "Nội dung trích yếu"),
        {DOCUMENT: text_of(Document, "title")},
    )
    yield Field(
        "autograph", DOCUMENT, ("Bút tích", "autograph"), {DOCUMENT: ("autograph", values.text(2000))}
    )
    yield Field(
        "has_process", DOCUMENT, ("Quy trình xử lý", "process"), {DOCUMENT: ("has_process", values.boolean)}
    )
    yield Field("full_text", DOCUMENT, ("Nội dung", "Toàn văn"), {DOCUMENT: ("full_text", values.text())})
    yield Field("sheets", DOCUMENT, ("Tờ số", "Từ tờ đến tờ"), {DOCUMENT: ("sheets", values.text(50))})
    yield Field(
        "scan_path",
        DOCUMENT,
        (
            "Đường dẫn tệp quét",
            "Tệp quét",
            "Đường dẫn",
            "Đường dẫn tệp",
            "Tệp số hóa",
            "Bản số hóa",
            "Đường dẫn file",
            "File quét",
            "scanPath",
            "filePath",
        ),
    )
    yield Field("kind", DOCUMENT, ("Loại hình", "Loại hình tài liệu"), {DOCUMENT: ("kind", KIND)})
    yield Field(
        "photo_kind", DOCUMENT, ("Loại ảnh",), {DOCUMENT: ("photo_kind", values.Vocabulary(PhotoKind))}
    )
    yield Field(
        "media_kind",
        DOCUMENT,
        ("Loại phim, âm thanh", "Loại ghi âm, ghi hình"),
        {DOCUMENT: ("media_kind", values.Vocabulary(MediaKind))},
    )
    yield Field(
        "special_number", DOCUMENT, ("Số lưu trữ đặc biệt",), {DOCUMENT: text_of(Document, "special_number")}
    )
    yield Field(
        "event", DOCUMENT, ("Tên sự kiện", "event", "Sự kiện"), {DOCUMENT: text_of(Document, "event")}
    )
    yield Field(
        "author",
        DOCUMENT,
        ("Người chụp", "Người ghi", "Tác giả ảnh", "Người chụp ảnh", "photographer"),
        {DOCUMENT: text_of(Document, "author")},
    )
    yield Field("place", DOCUMENT, ("Địa điểm", "place"), {DOCUMENT: text_of(Document, "place")})
    yield Field(
        "colour",
        DOCUMENT,
        ("Màu sắc", "color", "colour"),
        {DOCUMENT: ("colour", values.Vocabulary(PhotoColour))},
    )
    yield Field("size", DOCUMENT, ("Cỡ ảnh", "size"), {DOCUMENT: text_of(Document, "size")})
    yield Field("duration", DOCUMENT, ("Thời lượng", "duration"), {DOCUMENT: text_of(Document, "duration")})
    yield Field("quality", DOCUMENT, ("Chất lượng", "quality"), {DOCUMENT: text_of(Document, "quality")})
    yield Field(
        "has_attachments",
        DOCUMENT,
        ("Tài liệu kèm theo", "Có tài liệu kèm theo"),
        {DOCUMENT: ("has_attachments", values.boolean)},
    )

    # Circular 02/2019 columns.
    yield Field(
        "legacy_archive_code",
        PLACEMENT,
        ("Mã cơ quan lưu trữ lịch sử", "Mã lưu trữ lịch sử"),
        legacy_only=True,
    )
    yield Field(
        "legacy_series_or_year",
        PLACEMENT,
        ("Mục lục số hoặc năm hình thành hồ sơ", "Mục lục số hoặc năm hình thành"),
        legacy_only=True,
    )
    yield Field("legacy_doc_code", DOCUMENT, ("Mã định danh văn bản",), legacy_only=True)


FIELDS = {spec.key: spec for spec in _fields()}

# Headers that mark a Circular 02/2019 column set.
LEGACY_MARKERS = frozenset(
    fold(header)
    for key in ("legacy_archive_code", "legacy_series_or_year", "legacy_doc_code")
    for header in FIELDS[key].headers
)
# In a legacy column set, "Mã hồ sơ" holds the old code.
LEGACY_RENAMES = {"file_code": "legacy_file_code"}


def _header_index():
    index = {}
    for spec in FIELDS.values():
        for header in spec.headers + spec.legacy_headers:
            index.setdefault(fold(header), spec.key)
    return index


HEADER_INDEX = _header_index()


def header_candidates(header):
    """Folded forms to try: the whole header, then without a bracket, then the bracket's content."""
    written = str(header or "")
    candidates = [fold(written)]
    if "(" in written:
        outside, _bracket, inside = written.partition("(")
        candidates += [fold(outside), fold(inside.rstrip(") "))]
    return [candidate for candidate in candidates if candidate]


def field_for_header(header):
    for candidate in header_candidates(header):
        if candidate in HEADER_INDEX:
            return HEADER_INDEX[candidate]
    return None


@dataclass
class Binding:
    """A column bound to a field; ``occurrence`` is "own", or the level of a repeated shared column."""

    index: int
    header: str
    key: str
    occurrence: str = "own"


@dataclass
class ColumnMap:
    bindings: list
    unknown: list  # [(index, header)]
    repeated: list  # [(index, header)] columns named a third time, or a second time for a non-shared field
    legacy: bool

    def keys(self):
        return {binding.key for binding in self.bindings}

    def has(self, key):
        return any(binding.key == key for binding in self.bindings)


def match_headers(headers):
    """Bind each header to a field; report the columns that match none."""
    folded = {candidate for header in headers for candidate in header_candidates(header)}
    legacy = bool(folded & LEGACY_MARKERS)
    bindings, unknown, repeated = [], [], []
    seen = {}
    for index, header in enumerate(headers):
        if header is None or not str(header).strip():
            continue
        key = field_for_header(header)
        if key is None:
            unknown.append((index, str(header).strip()))
            continue
        if legacy and key in LEGACY_RENAMES:
            key = LEGACY_RENAMES[key]
        if key == "doc_id" and legacy:
            key = "legacy_doc_code"
        count = seen.get(key, 0)
        seen[key] = count + 1
        spec = FIELDS.get(key)
        if count == 0:
            bindings.append(Binding(index, str(header).strip(), key))
        elif count == 1 and spec is not None and spec.kind == SHARED:
            first = next(binding for binding in bindings if binding.key == key)
            first.occurrence = FILE
            bindings.append(Binding(index, str(header).strip(), key, occurrence=DOCUMENT))
        else:
            repeated.append((index, str(header).strip()))
    return ColumnMap(bindings, unknown, repeated, legacy)


def looks_like_header(cells):
    """How many cells of a row name a known field (to find the header row under a title)."""
    return sum(1 for cell in cells if isinstance(cell, str) and field_for_header(cell) is not None)
