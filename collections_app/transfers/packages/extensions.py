"""What a package carries beyond the Circular's fields: ``metadata/other/kho-extensions.json``.

The Circular's ``<simpledc>`` lists have no element for a record's categories (the facets readers
filter on), the opening date and reason of a conditional-access record, its former reference codes,
a file's number in its series, its original/main/copy status and the administrative unit of its
creating body, a born-digital document's full text, the shared fields a photo's or an audio-visual
record's list lacks (keywords, languages), or the page texts staff corrected after OCR. Packages
this software writes carry them in one JSON file, listed in METS.xml as "other" descriptive metadata
with its size and checksum, so that the package stays a Circular 05 package any validator accepts.
Records are keyed by file code and docId, as the ``<simpledc>`` files are. A package without the
file (from another system, or an older export) imports as before; keys a reader does not know are
ignored, so later versions may add some.

Left out on purpose, as the giving archive's own: ids, timestamps, deletion state, publication
status (the receiving archive publishes what it has reviewed), box and shelf, the quality checks of
scan pages and the history of their text revisions.

``package_extensions`` writes the values; ``read_extensions`` checks them and merges the plain
fields into the parsed package; ``Resolution`` matches categories, units and former codes to the
receiving archive's, saying in Vietnamese what it could not match.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from ...codes import reference_code_owner
from ...models import (
    AdministrativeUnit,
    AliasReason,
    Category,
    Document,
    RecordFile,
    ReferenceAlias,
    ScanPage,
)
from ...vocabularies import OriginalStatus
from .fields import PARSERS, FieldProblem, outside_schema_fields, parse_outside_schema_fields

FORMAT = "kho-luu-tru-so/extensions"
VERSION = 1
ACCESS_REASON_LIMIT = RecordFile._meta.get_field("access_reason").max_length
CATEGORY_CODE_LIMIT = Category._meta.get_field("slug").max_length
ALIAS_CODE_LIMIT = ReferenceAlias._meta.get_field("code").max_length


# Writing ------------------------------------------------------------------------------------------


def package_extensions(record_file, documents, data_paths):
    """The JSON content for a file and its documents, or None when they carry nothing beyond the Circular.

    ``data_paths`` maps the id of each packaged scan to its path in the package.
    """
    pages = _corrected_pages(data_paths)
    former = _former_codes(RecordFile, [record_file.pk]) | _former_codes(Document, [d.pk for d in documents])
    file_values = _without_empty(
        {
            **_record_values(record_file, former, pages),
            "numberInSeries": record_file.number_in_series,
            "originalStatus": record_file.original_status,
            "creatingUnit": _unit_chain(record_file.creating_unit),
        }
    )
    document_values = []
    for document in documents:
        values = _without_empty(
            {
                **_record_values(document, former, pages),
                "fullText": document.full_text,
                "outsideSchema": outside_schema_fields(document),
            }
        )
        if values:
            document_values.append({"docId": document.doc_id, **values})
    fonds_unit = _unit_chain(record_file.fonds.unit)
    if not (file_values or document_values or fonds_unit):
        return None
    content = {"format": FORMAT, "version": VERSION}
    if fonds_unit:
        content["fonds"] = {"unit": fonds_unit}
    content["file"] = {"fileCode": record_file.file_code, **file_values}
    if document_values:
        content["documents"] = document_values
    return content


def _record_values(record, former, pages):
    key = (type(record), record.pk)
    return {
        "openingDate": record.opening_date.isoformat() if record.opening_date else None,
        "accessReason": record.access_reason,
        "categories": [
            {"code": category.slug, "name": category.name}
            for category in sorted(record.categories.all(), key=lambda category: category.slug)
        ],
        "formerCodes": former.get(key, []),
        "correctedPages": pages.get(key, []),
    }


def _corrected_pages(data_paths):
    """``{(model, pk): [page, ...]}``: the corrected pages of the packaged scans, by their record."""
    pages = defaultdict(list)
    found = (
        ScanPage.objects.filter(digital_object_id__in=data_paths, text_corrected=True)
        .select_related("digital_object")
        .order_by("digital_object_id", "number")
    )
    for page in found:
        scan = page.digital_object
        key = (Document, scan.document_id) if scan.document_id else (RecordFile, scan.record_file_id)
        pages[key].append({"data": data_paths[scan.pk], "page": page.number, "text": page.text})
    return pages


def _former_codes(model, ids):
    aliases = ReferenceAlias.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=ids
    ).order_by("created_at", "pk")
    codes = defaultdict(list)
    for alias in aliases:
        codes[(model, alias.object_id)].append({"code": alias.code, "reason": alias.reason})
    return codes


def _unit_chain(unit):
    """The unit and the units above it, each by what identifies it in any installation."""
    chain = []
    while unit is not None:
        key = {"level": unit.level, "code": unit.code, "name": unit.name}
        if unit.valid_from:
            key["validFrom"] = unit.valid_from.isoformat()
        chain.append(key)
        unit = unit.parent
    return chain


def _without_empty(values):
    return {name: value for name, value in values.items() if value not in (None, "", [], {})}


# Reading ------------------------------------------------------------------------------------------


@dataclass
class UnitKey:
    level: str
    code: str
    name: str
    valid_from: datetime.date | None


@dataclass
class CorrectedPage:
    data_path: str
    number: int
    text: str


@dataclass
class RecordExtensions:
    """What a record carries that needs the receiving archive's rows: categories, unit, codes, pages."""

    label: str  # "hồ sơ …" or "tài liệu …", to name the record in messages
    categories: list = field(default_factory=list)  # [(code, name)]
    former_codes: list = field(default_factory=list)  # [(code, reason)]
    pages: list = field(default_factory=list)  # [CorrectedPage]
    unit: list = field(default_factory=list)  # [UnitKey], the creating body's unit first


@dataclass
class PackageExtensions:
    fonds_unit: list = field(default_factory=list)
    file: RecordExtensions | None = None
    documents: dict = field(default_factory=dict)  # ordinal → RecordExtensions

    def records(self):
        """``(ordinal, record)`` pairs: the file's (ordinal None), then its documents'."""
        return ([(None, self.file)] if self.file else []) + list(self.documents.items())

    def pages_of(self, data_path):
        pages = (page for _ordinal, record in self.records() for page in record.pages)
        return [page for page in pages if page.data_path == data_path]


def read_extensions(content, package):
    """Check the extensions of ``package`` and merge their field values into its parsed values.

    Returns the ``PackageExtensions`` whose values need the receiving archive's rows; raises
    FieldProblem, naming the record and the value, for anything the archive cannot take.
    """
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise FieldProblem(
            _("không phải siêu dữ liệu mở rộng của phần mềm Kho lưu trữ số (format phải là “%(format)s”).")
            % {"format": FORMAT}
        )
    label = _("hồ sơ %(code)s") % {"code": package.file_code}
    extensions = PackageExtensions(fonds_unit=_units(_object(content, "fonds", label), "unit", label))
    file_entry = _object(content, "file", label)
    if file_entry:
        if file_entry.get("fileCode") != package.file_code:
            raise FieldProblem(
                _("fileCode “%(found)s” khác mã hồ sơ của gói (%(code)s).")
                % {"found": file_entry.get("fileCode"), "code": package.file_code}
            )
        extensions.file = _read_file(file_entry, package, label)
    documents = {document.doc_id: document for document in package.documents}
    for entry in _list(content, "documents", label):
        document = documents.get(_as(entry, dict, "documents", label).get("docId"))
        if document is None:
            raise FieldProblem(
                _("docId “%(code)s” không phải tài liệu nào của gói.") % {"code": entry.get("docId")}
            )
        if document.ordinal in extensions.documents:
            raise FieldProblem(_("docId “%(code)s” ghi hai lần.") % {"code": document.doc_id})
        extensions.documents[document.ordinal] = _read_document(entry, document)
    return extensions


def _read_file(entry, package, label):
    carried = _plain_values(entry, label)
    if "numberInSeries" in entry:
        number = entry["numberInSeries"]
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise _wrong_type("numberInSeries", label, _("số nguyên dương"))
        carried["number_in_series"] = number
    if "originalStatus" in entry:
        status = _as(entry["originalStatus"], str, "originalStatus", label)
        if status not in OriginalStatus.values:
            raise FieldProblem(
                _("%(record)s: originalStatus “%(value)s” không có trong danh mục (%(allowed)s).")
                % {"record": label, "value": status, "allowed": ", ".join(OriginalStatus.values)}
            )
        carried["original_status"] = status
    _check_record_rules(RecordFile, package.file_values, carried, label)
    package.file_values.update(carried)
    loose = {data.path for data in package.loose_data}
    return _relations(entry, label, loose, unit=_units(entry, "creatingUnit", label))


def _read_document(entry, document):
    label = _("tài liệu %(code)s") % {"code": document.doc_id}
    carried = _plain_values(entry, label)
    if "fullText" in entry:
        carried["full_text"] = _as(entry["fullText"], str, "fullText", label)
    if "outsideSchema" in entry:
        values = _as(entry["outsideSchema"], dict, "outsideSchema", label)
        for name, value in values.items():
            _as(value, str, name, label)
        try:
            carried.update(parse_outside_schema_fields(values, document.kind))
        except FieldProblem as problem:
            raise FieldProblem(f"{label}: {problem}") from None
    _check_record_rules(Document, document.values, carried, label)
    document.values.update(carried)
    return _relations(entry, label, {document.data.path} if document.data else set())


def _plain_values(entry, label):
    """The opening date and reason, the fields files and documents both carry."""
    carried = {}
    if "openingDate" in entry:
        carried["opening_date"] = _date(entry["openingDate"], "openingDate", label)
    if "accessReason" in entry:
        reason = _as(entry["accessReason"], str, "accessReason", label).strip()
        try:
            carried["access_reason"] = PARSERS["text"]("accessReason", reason, ACCESS_REASON_LIMIT)
        except FieldProblem as problem:
            raise FieldProblem(f"{label}: {problem}") from None
    return carried


def _check_record_rules(model, values, carried, label):
    """The model's own rules (``record_errors``) on the carried values, with the model's messages."""
    errors = model(**{**values, **carried}).record_errors()
    for name in carried:
        if name in errors:
            raise FieldProblem(f"{label}: {errors[name]}")


def _relations(entry, label, data_paths, unit=()):
    record = RecordExtensions(label=label, unit=list(unit))
    for item in _list(entry, "categories", label):
        code = _as(_as(item, dict, "categories", label).get("code"), str, "categories.code", label).strip()
        if not code or len(code) > CATEGORY_CODE_LIMIT:
            expected = _("mã nhóm tài liệu (1–%(limit)s ký tự)") % {"limit": CATEGORY_CODE_LIMIT}
            raise _wrong_type("categories.code", label, expected)
        name = item.get("name") if isinstance(item.get("name"), str) else ""
        record.categories.append((code, name))
    for item in _list(entry, "formerCodes", label):
        code = _as(_as(item, dict, "formerCodes", label).get("code"), str, "formerCodes.code", label)
        reason = item.get("reason")
        if not code or len(code) > ALIAS_CODE_LIMIT or reason not in AliasReason.values:
            expected = _("mã (tối đa %(limit)s ký tự) kèm lý do thuộc danh mục") % {"limit": ALIAS_CODE_LIMIT}
            raise _wrong_type("formerCodes", label, expected)
        record.former_codes.append((code, reason))
    record.pages = _pages(entry, label, data_paths)
    return record


def _pages(entry, label, data_paths):
    pages, seen = [], set()
    for item in _list(entry, "correctedPages", label):
        item = _as(item, dict, "correctedPages", label)
        path, number = item.get("data"), item.get("page")
        text = _as(item.get("text"), str, "correctedPages.text", label)
        if path not in data_paths:
            raise FieldProblem(
                _("%(record)s: trang hiệu đính thuộc tệp “%(path)s”, không phải tệp dữ liệu của bản ghi này.")
                % {"record": label, "path": path}
            )
        if isinstance(number, bool) or not isinstance(number, int) or number < 1 or (path, number) in seen:
            raise _wrong_type("correctedPages.page", label, _("số trang dương, không trùng"))
        seen.add((path, number))
        pages.append(CorrectedPage(path, number, text))
    return pages


def _units(entry, name, label):
    units = []
    for item in _list(entry, name, label):
        item = _as(item, dict, name, label)
        values = [item.get(key) for key in ("level", "code", "name")]
        if not all(isinstance(value, str) and value for value in values):
            raise _wrong_type(name, label, _("đơn vị hành chính có cấp (level), mã (code) và tên (name)"))
        valid_from = _date(item["validFrom"], f"{name}.validFrom", label) if "validFrom" in item else None
        units.append(UnitKey(*values, valid_from))
    return units


def _date(value, name, label):
    try:
        return datetime.date.fromisoformat(_as(value, str, name, label))
    except ValueError:
        raise FieldProblem(
            _("%(record)s: %(field)s có ngày “%(value)s” không hợp lệ; dùng YYYY-MM-DD.")
            % {"record": label, "field": name, "value": value}
        ) from None


def _object(content, name, label):
    return _as(content.get(name, {}), dict, name, label)


def _list(content, name, label):
    return _as(content.get(name, []), list, name, label)


def _as(value, kind, name, label):
    if not isinstance(value, kind):
        words = {str: _("chuỗi"), dict: _("đối tượng JSON"), list: _("danh sách")}
        raise _wrong_type(name, label, words[kind])
    return value


def _wrong_type(name, label, expected):
    return FieldProblem(
        _("%(record)s: giá trị “%(field)s” không hợp lệ (cần %(expected)s).")
        % {"record": label, "field": name, "expected": expected}
    )


# Matching with the receiving archive ----------------------------------------------------------------


class Resolution:
    """The receiving archive's categories, units and free codes for a package's extensions.

    What cannot be matched is left out of the import, never refused: ``warnings`` says what, in
    Vietnamese, for the import report and the record's ingestion event.
    """

    def __init__(self, archive, package):
        self.extensions = package.extensions
        self.code_prefix = f"{archive.code}.{package.file_code}"
        self.warnings = []
        self.categories = self._categories()
        self.creating_unit = self._creating_unit()
        self.former_codes = self._free_former_codes()

    def categories_of(self, ordinal=None):
        record = self.extensions.documents.get(ordinal) if ordinal else self.extensions.file
        codes = [code for code, _name in record.categories] if record else []
        return [self.categories[code] for code in codes if code in self.categories]

    def fonds_unit(self, fonds_code):
        """The unit of a fonds this import creates (an existing fonds keeps its own)."""
        if not self.extensions.fonds_unit:
            return None
        return self._unit(self.extensions.fonds_unit, _("phông %(code)s") % {"code": fonds_code})

    def _categories(self):
        records = [record for _key, record in self.extensions.records()]
        codes = {code for record in records for code, _name in record.categories}
        found = {category.slug: category for category in Category.objects.filter(slug__in=codes)}
        for code in sorted(codes - set(found)):
            name = next((name for record in records for known, name in record.categories if known == code))
            holders = [record.label for record in records if code in dict(record.categories)]
            self.warnings.append(
                _(
                    "Không có nhóm tài liệu mã “%(code)s”%(name)s ở hệ thống nhận: %(records)s vẫn được "
                    "nhập nhưng không gắn nhóm này. Tạo nhóm có mã này rồi gắn lại nếu cần."
                )
                % {
                    "code": code,
                    "name": f" ({name})" if name else "",
                    "records": ", ".join(holders),
                }
            )
        return found

    def _creating_unit(self):
        record = self.extensions.file
        return self._unit(record.unit, record.label) if record and record.unit else None

    def _unit(self, chain, label):
        """The first unit of ``chain`` (the unit, then those above it) this installation knows."""
        missing = {"missing": chain[0].name, "code": chain[0].code, "record": label}
        for depth, key in enumerate(chain):
            unit = _find_unit(key)
            if unit is not None and depth:
                self.warnings.append(
                    _(
                        "Danh mục đơn vị hành chính của hệ thống nhận không có “%(missing)s” (mã %(code)s): "
                        "%(record)s được gắn với đơn vị cấp trên “%(unit)s”."
                    )
                    % {**missing, "unit": unit}
                )
            if unit is not None:
                return unit
        self.warnings.append(
            _(
                "Danh mục đơn vị hành chính của hệ thống nhận không có “%(missing)s” (mã %(code)s) hay "
                "đơn vị cấp trên nào của nó: %(record)s được nhập không có đơn vị hành chính."
            )
            % missing
        )
        return None

    def _free_former_codes(self):
        """``{ordinal: [(code, reason)]}`` (None: the file): former codes no other record answers to."""
        free = {}
        for ordinal, record in self.extensions.records():
            free[ordinal] = []
            own_code = f"{self.code_prefix}.{ordinal}" if ordinal else self.code_prefix
            for code, reason in record.former_codes:
                if code == own_code:
                    continue
                if reference_code_owner(code) is not None:
                    self.warnings.append(
                        _(
                            "Mã cũ %(code)s của %(record)s đã thuộc một bản ghi khác ở hệ thống nhận: "
                            "không giữ mã này."
                        )
                        % {"code": code, "record": record.label}
                    )
                    continue
                free[ordinal].append((code, reason))
        return free


def _find_unit(key):
    """The unit by level, code and start date; else the only one of that level, code and name."""
    units = AdministrativeUnit.objects.filter(level=key.level, code=key.code)
    exact = units.filter(valid_from=key.valid_from).first()
    if exact is not None:
        return exact
    named = list(units.filter(name=key.name)[:2])
    return named[0] if len(named) == 1 else None
