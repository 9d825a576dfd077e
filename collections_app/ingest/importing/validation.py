"""Validating an inventory: every row converted, checked against the model rules and the archive.

``Validator.batches(source)`` reads the sheets row by row and yields batches of ``Record``s, the
rows converted to the values the models store. Problems go to the report with their row, column,
value, what is wrong and how to fix it. Checks are compiled per column (``rows.SheetPlan``) and
made per batch against the database (one query per table per batch), never with ``full_clean``
per row:

- cells: type, length, vocabulary, date, code syntax (``values``, ``columns``);
- rows: placement (fonds, series, file), identity (file code, document identifier), duplicates
  within the file, documents naming a file that exists in the archive or earlier in the file;
- records: the rules of ``RecordFile.clean`` / ``Document.clean`` / ``record_errors`` on the values
  the record will have (the existing record's values merged with the row's for an update).

Memory stays bounded by the number of files (a few small objects each), not of rows.
"""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from ... import partial_dates
from ...models import Document, Fonds, RecordFile, Series
from ...vocabularies import RecordKind
from . import codes, columns, values
from .checks import BatchChecks
from .columns import DOCUMENT, FIELDS, FILE, FONDS, LEVEL_LABELS, SERIES
from .identity import FileIdentity
from .resolvers import CategoryResolver, UnitResolver, type_from_notation
from .rows import (
    SHEET_IDENTITY_KEYS,
    FileSeen,
    FondsInfo,
    SheetPlan,
    SheetSummary,
    column_letter,
    find_header,
    row_label,
)
from .values import CellError

RECENT_DEFINITIONS = 5000
_ABSENT = object()


class Validator(FileIdentity, BatchChecks):
    """Reads an inventory, converts and checks every row, and keeps what the whole file needs."""

    def __init__(self, archive, report):
        self.archive = archive
        self.report = report
        self.categories = CategoryResolver()
        self.units = UnitResolver()
        self.fonds = {
            code: FondsInfo(code, pk, creator or code)
            for pk, code, creator in Fonds.objects.filter(archive=archive).values_list(
                "pk", "code", "creator_code"
            )
        }
        self.series = {
            (fonds_code, number): pk
            for pk, fonds_code, number in Series.objects.filter(archive=archive).values_list(
                "pk", "fonds__code", "number"
            )
        }
        self.fonds_to_create = {}
        self.series_to_create = {}
        self.files = {}
        self.recent_definitions = {}
        self.counts = {f"{level}_{action}": 0 for level in columns.LEVELS for action in ("new", "update")}
        self.sheets = []
        self.unknown_columns = []
        self.scan_count = 0
        self.total_rows = 0
        self.file_content_type = ContentType.objects.get_for_model(RecordFile)
        self.document_content_type = ContentType.objects.get_for_model(Document)

    # Reading ---------------------------------------------------------------------------------------

    def batches(self, source, batch_size):
        """Batches of converted, checked records, in file order."""
        for note in source.notes:
            self.report.file_warning(
                note,
                _(
                    "Đặt dữ liệu vào trang tính đầu tiên, hoặc đặt tên các trang tính theo cấp: Phông, Mục "
                    "lục, Hồ sơ, Tài liệu."
                ),
            )
        seq = 0
        batch = []
        for sheet in source.sheets:
            plan = self.plan_sheet(sheet)
            if plan is None:
                continue
            for row_number, cells in plan.rows:
                record = plan.convert(seq + 1, row_number, cells)
                if record is None:
                    continue
                seq += 1
                batch.append(record)
                if len(batch) >= batch_size:
                    yield self.finish(batch, plan)
                    batch = []
            if batch:
                yield self.finish(batch, plan)
                batch = []
        self.total_rows = seq
        if seq == 0:
            self.report.file_error(
                _("Tệp không có dòng dữ liệu nào."),
                _("Kiểm tra tệp có dòng tiêu đề cột và ít nhất một dòng hồ sơ hoặc tài liệu."),
            )

    def plan_sheet(self, sheet):
        rows = iter(sheet.rows)
        header_row, headers, before = find_header(rows)
        if headers is None:
            self.report.error(
                sheet.name,
                "",
                "",
                "",
                _("Không tìm thấy dòng tiêu đề cột."),
                _("Dòng đầu của bảng phải là tên các cột, ví dụ “Mã phông”, “Mã hồ sơ”, “Tiêu đề hồ sơ”."),
            )
            return None
        column_map = columns.match_headers(headers)
        summary = SheetSummary(
            sheet.name,
            header_row,
            column_map.legacy,
            [(binding.header, binding.key, binding.occurrence) for binding in column_map.bindings],
        )
        self.sheets.append(summary)
        for index, header in column_map.unknown:
            self.unknown_columns.append(
                {"sheet": sheet.name, "column": header, "position": column_letter(index)}
            )
            self.report.warning(
                sheet.name,
                header_row,
                header,
                "",
                _("Cột “%(header)s” không phải là trường nhập được; dữ liệu của cột này không được ghi.")
                % {"header": header},
                _("Đổi tên cột theo danh sách trường nhập (xem hướng dẫn), hoặc bỏ cột nếu không cần."),
            )
        for index, header in column_map.repeated:
            self.unknown_columns.append(
                {"sheet": sheet.name, "column": header, "position": column_letter(index)}
            )
            self.report.warning(
                sheet.name,
                header_row,
                header,
                "",
                _("Cột “%(header)s” xuất hiện lần nữa nên không được ghi.") % {"header": header},
                _(
                    "Chỉ trường dùng chung cho hồ sơ và tài liệu được lặp hai lần (lần đầu của hồ sơ, lần "
                    "sau của tài liệu). Bỏ hoặc đổi tên cột thừa."
                ),
            )
        if not any(column_map.has(key) for key in SHEET_IDENTITY_KEYS) and not sheet.level:
            self.report.error(
                sheet.name,
                header_row,
                "",
                "",
                _("Không có cột nào xác định phông, hồ sơ hoặc tài liệu."),
                _("Thêm cột “Mã phông” và “Mã hồ sơ” (hoặc “Mã định danh tài liệu” cho tài liệu)."),
            )
            return None
        plan = SheetPlan(self, sheet, column_map)
        plan.rows = before
        return plan

    # Assembling one row ------------------------------------------------------------------------------

    def assemble(self, plan, record, found):
        place, special = found["place"], found["special"]
        fonds_code = place.get("fonds_code", "")
        record.fonds_code = fonds_code
        if record.level == FONDS:
            self.assemble_fonds(plan, record, place, found[FONDS])
            return
        fonds = self.place_fonds(plan, record, place) if fonds_code else None
        series_number = place.get("series_number", "")
        if series_number and (fonds is not None) and record.level != SERIES:
            record.series_number = series_number
            self.place_series(record, fonds_code, series_number, place.get("series_title"), {})
        if record.level == SERIES:
            self.assemble_series(plan, record, place, found[SERIES])
            return
        file_values = found[FILE]
        identity = {
            "year": file_values.pop("year", None),
            "file_number": file_values.pop("file_number", None),
            "creator_code": place.get("creator_code"),
        }
        self.spread_file_dates(file_values)
        # Without "Năm hình thành hồ sơ", a file is taken as formed in the year its records start.
        identity["start_year"] = partial_dates.year_of(file_values.get("start_date", ""))
        if "categories" in file_values:
            record.file_categories = file_values.pop("categories")
        if record.level == DOCUMENT:
            self.assemble_document(plan, record, found, fonds, identity, file_values)
        else:
            self.assemble_file(plan, record, special, fonds, identity, file_values, by_file_row=True)
            self.note_scan(record, special.get("scan_path"))

    def assemble_fonds(self, plan, record, place, fonds_values):
        code = record.fonds_code
        if "fonds_name" in place:
            fonds_values["name"] = place["fonds_name"]
        if "creator_code" in place:
            fonds_values["creator_code"] = place["creator_code"]
        if "date_range" in place:
            fonds_values["date_range"] = place["date_range"]
        if "unit_id" in fonds_values:
            fonds_values["unit_id"] = self.resolve_unit(plan, record, fonds_values["unit_id"], None, FONDS)
        record.fonds_values = fonds_values
        info = self.fonds.get(code)
        if info is None:
            if not fonds_values.get("name"):
                self.missing(
                    plan,
                    record,
                    "fonds_name",
                    _("Tên phông"),
                    _("Phông “%(code)s” chưa có: cần tên phông để tạo.") % {"code": code},
                )
                return
            self.fonds[code] = FondsInfo(code, None, fonds_values.get("creator_code") or code)
            self.fonds_to_create[code] = {
                "name": fonds_values["name"],
                "row": row_label(record),
                "creator_code": fonds_values.get("creator_code", ""),
            }
            self.counts["fonds_new"] += 1
        elif info.pk is not None:
            if fonds_values.get("creator_code"):
                info.prefix = fonds_values["creator_code"]
            self.counts["fonds_update"] += 1
            self.report.update(record.sheet, record.row, LEVEL_LABELS[FONDS], f"{self.archive.code}.{code}")

    def place_fonds(self, plan, record, place):
        code = record.fonds_code
        info = self.fonds.get(code)
        if info is not None:
            return info
        name = place.get("fonds_name")
        if not name:
            record.ok = False
            self.report.error(
                record.sheet,
                record.row,
                plan.key_header("fonds_code"),
                code,
                _("Phông “%(code)s” chưa có trong cơ quan lưu trữ %(archive)s.")
                % {"code": code, "archive": self.archive.code},
                _(
                    "Thêm cột “Tên phông” để tạo phông mới khi nhập, sửa lại mã phông, hoặc tạo phông trước "
                    "trong mục Phông lưu trữ."
                ),
            )
            return None
        info = FondsInfo(code, None, code)
        self.fonds[code] = info
        self.fonds_to_create[code] = {"name": name, "row": row_label(record), "creator_code": ""}
        self.counts["fonds_new"] += 1
        return info

    def assemble_series(self, plan, record, place, series_values):
        """A series row: creates the series, or updates an existing one's title, dates and status."""
        if not record.fonds_code:
            self.missing(
                plan, record, "fonds_code", _("Mã phông"), _("Dòng mục lục cần mã phông của mục lục.")
            )
            return
        if record.fonds_code not in self.fonds:
            return  # reported by place_fonds
        number = place["series_number"]
        record.series_number = number
        if place.get("series_title"):
            series_values["title"] = place["series_title"]
        if place.get("date_range"):
            series_values["date_range"] = place["date_range"]
        key = (record.fonds_code, number)
        if self.series.get(key) is not None:
            record.series_values = series_values
            self.counts["series_update"] += 1
            reference = f"{self.archive.code}.{record.fonds_code}.ML{number}"
            self.report.update(record.sheet, record.row, LEVEL_LABELS[SERIES], reference)
        else:
            self.place_series(record, record.fonds_code, number, series_values.get("title"), series_values)

    def place_series(self, record, fonds_code, number, title, series_values):
        key = (fonds_code, number)
        if key in self.series:
            if key in self.series_to_create and title and not self.series_to_create[key]["title_given"]:
                self.series_to_create[key].update(title=title, title_given=True)
            return
        self.series[key] = None
        self.series_to_create[key] = {
            "title": title or f"Mục lục số {number}",  # stored data: always in Vietnamese
            "title_given": bool(title),
            "row": row_label(record),
            **{name: value for name, value in series_values.items() if name != "number"},
        }
        self.counts["series_new"] += 1

    def spread_file_dates(self, file_values):
        dates = file_values.pop("dates", None)
        if dates:
            file_values.setdefault("start_date", dates[0])
            file_values.setdefault("end_date", dates[1])

    # Files ---------------------------------------------------------------------------------------------

    def assemble_file(self, plan, record, special, fonds, identity, file_values, by_file_row):
        record.file_key = self.file_key(plan, record, special, fonds, identity)
        if not record.file_key:
            self.missing(
                plan,
                record,
                "legacy_file_code" if plan.legacy else "file_code",
                _("Mã hồ sơ"),
                _(
                    "Ghi mã hồ sơ, hoặc điền các cột “Mã phông”, “Năm hình thành hồ sơ” và “Số và ký hiệu hồ "
                    "sơ” để mã được lập tự động."
                ),
            )
            return
        if plan.legacy:
            record.file_legacy = record.file_key
        seen = self.files.get(record.file_key)
        if seen is not None and seen.state == "defined":
            self.repeated_file(plan, record, seen, file_values, by_file_row)
            return
        if "creating_unit_id" in file_values:
            year = identity["year"] or identity["start_year"]
            file_values["creating_unit_id"] = self.resolve_unit(
                plan, record, file_values["creating_unit_id"], year, FILE
            )
        record.file_values = file_values
        record.defines_file = True
        self.derive_file_code(plan, record, special, fonds, identity, file_values)
        if seen is None:
            seen = FileSeen("defined")
            self.files[record.file_key] = seen
        else:
            seen.state = "defined"
        seen.row = row_label(record)
        seen.code = record.file_code
        seen.fonds_code = record.fonds_code
        seen.by_file_row = by_file_row
        self.remember_definition(record.file_key, file_values, record.file_categories)

    def repeated_file(self, plan, record, seen, file_values, by_file_row):
        record.file_code = seen.code
        if by_file_row and seen.by_file_row:
            record.ok = False
            self.report.error(
                record.sheet,
                record.row,
                plan.key_header("legacy_file_code" if plan.legacy else "file_code"),
                record.file_key,
                _("Mã hồ sơ “%(code)s” trùng với dòng %(row)s.") % {"code": record.file_key, "row": seen.row},
                _("Mỗi hồ sơ chỉ có một dòng hồ sơ. Sửa mã của một trong hai dòng hoặc bỏ dòng trùng."),
            )
            return
        if file_values and self.differs_from_definition(record.file_key, file_values, record.file_categories):
            self.report.warning(
                record.sheet,
                record.row,
                "",
                record.file_key,
                _(
                    "Thông tin hồ sơ “%(code)s” ở dòng này khác với dòng %(row)s; giữ thông tin của dòng "
                    "%(row)s."
                )
                % {"code": record.file_key, "row": seen.row},
                _("Các dòng của cùng một hồ sơ nên ghi thông tin hồ sơ giống nhau."),
            )
        record.file_categories = None

    def remember_definition(self, key, file_values, categories):
        """The values a recent file was defined with, to compare the rows that repeat them."""
        if len(self.recent_definitions) >= RECENT_DEFINITIONS:
            self.recent_definitions.pop(next(iter(self.recent_definitions)))
        self.recent_definitions[key] = {**file_values, "categories": categories}

    def differs_from_definition(self, key, file_values, categories):
        """Whether a repeated row gives other values than the defining row, for the columns it has.

        Only files defined recently are compared (documents follow their file in practice); memory
        stays bounded whatever the number of files.
        """
        defined = self.recent_definitions.get(key)
        if defined is None:
            return False
        given = {**file_values, "categories": categories} if categories is not None else file_values
        return any(defined.get(name, _ABSENT) != value for name, value in given.items())

    # Documents -----------------------------------------------------------------------------------------

    def assemble_document(self, plan, record, found, fonds, identity, file_values):
        special = found["special"]
        key = self.file_key(plan, record, special, fonds, identity)
        if not key:
            self.missing(
                plan,
                record,
                "legacy_file_code" if plan.legacy else "file_code",
                _("Mã hồ sơ"),
                _("Mỗi dòng tài liệu ghi mã hồ sơ chứa tài liệu đó."),
            )
            return
        seen = self.files.get(key)
        if file_values and (seen is None or seen.state in ("pending", "found")):
            self.assemble_file(plan, record, special, fonds, identity, file_values, by_file_row=False)
            seen = self.files.get(key)
        else:
            record.file_key = key
            if plan.legacy:
                record.file_legacy = key
            if seen is None:
                seen = FileSeen("pending")
                self.files[key] = seen
            if seen.state == "missing":
                self.unknown_file(plan, record)
            elif seen.state == "pending":
                record.file_pending = True
            else:
                record.file_code = seen.code
                self.check_same_fonds(plan, record, seen)
                if seen.state == "defined" and file_values and not found.get("same_file"):
                    self.repeated_file(plan, record, seen, file_values, by_file_row=False)
            record.file_categories = None
        doc_values = found[DOCUMENT]
        self.finish_document_values(plan, record, doc_values, found["parts"], special)
        self.assign_ordinal(plan, record, seen, special, doc_values)
        record.doc_values = doc_values
        self.note_scan(record, special.get("scan_path"))

    def check_same_fonds(self, plan, record, seen):
        if record.fonds_code and seen.fonds_code and record.fonds_code != seen.fonds_code:
            record.ok = False
            self.report.error(
                record.sheet,
                record.row,
                plan.key_header("fonds_code"),
                record.fonds_code,
                _("Hồ sơ “%(code)s” thuộc phông %(fonds)s (dòng %(row)s), không thuộc phông này.")
                % {"code": record.file_key, "fonds": seen.fonds_code, "row": seen.row},
                _("Sửa mã phông hoặc mã hồ sơ của dòng này."),
            )

    def finish_document_values(self, plan, record, doc_values, parts, special):
        number_notation = doc_values.pop("number_notation", None)
        if number_notation:
            number, notation = number_notation
            self.set_checked(plan, record, doc_values, "code_number", number, "number_notation")
            self.set_checked(plan, record, doc_values, "code_notation", notation, "number_notation")
        if parts and "issued_date" not in doc_values:
            try:
                doc_values["issued_date"] = values.date_from_parts(
                    parts.get("day"), parts.get("month"), parts.get("year")
                )
            except CellError as error:
                record.ok = False
                self.report.error(
                    record.sheet,
                    record.row,
                    plan.key_header("issued_day") or _("Ngày"),
                    "/".join(str(parts.get(key, "")) for key in ("day", "month", "year")),
                    error.message,
                    error.hint,
                )
        sheets = doc_values.pop("sheets", None)
        if sheets:
            note = f"Tờ số: {sheets}"  # stored data: always in Vietnamese
            described = doc_values.get("description")
            doc_values["description"] = f"{note}\n{described}" if described else note
            limit = columns.max_length(Document, "description") or 500
            if len(doc_values["description"]) > limit:
                record.ok = False
                self.report.error(
                    record.sheet,
                    record.row,
                    plan.header(DOCUMENT, "description"),
                    doc_values["description"][:60],
                    _("Ghi chú cùng số tờ dài quá %(max)s ký tự.") % {"max": limit},
                    _("Rút gọn ghi chú của tài liệu."),
                )
        if "categories" in doc_values:
            record.doc_categories = doc_values.pop("categories")
        if "type_name" not in doc_values and doc_values.get("kind", RecordKind.TEXT) == RecordKind.TEXT:
            inferred = type_from_notation(doc_values.get("code_notation"))
            if inferred:
                doc_values["type_name"] = inferred
                self.report.warning(
                    record.sheet,
                    record.row,
                    plan.key_header("type_name") or _("Tên loại tài liệu"),
                    doc_values.get("code_notation"),
                    _("Không ghi tên loại; đã lấy “%(type)s” theo ký hiệu.") % {"type": inferred.label},
                    _("Ghi tên loại tài liệu nếu khác."),
                )
        if special.get("legacy_doc_code"):
            record.doc_legacy = special["legacy_doc_code"].replace(" ", "")

    def set_checked(self, plan, record, doc_values, attr, value, source_key):
        if not value or attr in doc_values:
            return
        try:
            doc_values[attr] = FIELDS[attr].converter(DOCUMENT)(value)
        except CellError as error:
            record.ok = False
            self.report.error(
                record.sheet, record.row, plan.key_header(source_key), value, error.message, error.hint
            )

    def assign_ordinal(self, plan, record, seen, special, doc_values):
        given = doc_values.pop("ordinal", None)
        ordinal, source_key = None, None
        prefixes = [
            record.file_key + ".",
            record.file_code + "." if record.file_code else "",
            f"{self.archive.code}.{record.file_key}.",
        ]
        for key in ("legacy_doc_code", "doc_id", "doc_code"):
            written = special.get(key, "").replace(" ", "")
            if written:
                source_key = key
                ordinal = codes.ordinal_after(written, prefixes)
                if ordinal is None:
                    record.ok = False
                    self.report.error(
                        record.sheet,
                        record.row,
                        plan.key_header(key),
                        written,
                        _("Mã “%(code)s” không bắt đầu bằng mã hồ sơ “%(file)s” và một số thứ tự.")
                        % {"code": written, "file": record.file_key},
                        _(
                            "Mã định danh tài liệu = mã hồ sơ + “.” + số thứ tự trong hồ sơ, ví dụ "
                            "H49.64.33.2001.160.1."
                        ),
                    )
                    return
                break
        if ordinal is not None and given is not None and ordinal != given:
            record.ok = False
            self.report.error(
                record.sheet,
                record.row,
                plan.header(DOCUMENT, "ordinal"),
                given,
                _("Số thứ tự không khớp với mã “%(code)s”.") % {"code": special.get(source_key)},
                _("Sửa số thứ tự hoặc mã cho khớp nhau."),
            )
            return
        ordinal = ordinal or given
        if ordinal is None:
            ordinal = max(seen.ordinals, default=0) + 1 if seen is not None else 1
        record.ordinal = ordinal
        if seen is None:
            return
        earlier = seen.ordinals.get(ordinal)
        if earlier is not None:
            record.ok = False
            code = codes.compose_document_codes(record.file_code or record.file_key, ordinal)[0]
            self.report.error(
                record.sheet,
                record.row,
                plan.key_header(source_key or "doc_id") or _("Mã định danh tài liệu"),
                code,
                _("Tài liệu “%(code)s” trùng với dòng %(row)s.") % {"code": code, "row": earlier},
                _("Mỗi tài liệu chỉ có một dòng. Sửa số thứ tự của một trong hai dòng hoặc bỏ dòng trùng."),
            )
            return
        seen.ordinals[ordinal] = row_label(record)

    def unknown_file(self, plan, record):
        record.ok = False
        self.report.error(
            record.sheet,
            record.row,
            plan.key_header("legacy_file_code" if plan.legacy else "file_code"),
            record.file_key,
            _("Hồ sơ “%(code)s” chưa có trong cơ quan lưu trữ và không có ở dòng nào phía trên trong tệp.")
            % {"code": record.file_key},
            _(
                "Thêm dòng hồ sơ (hoặc thông tin hồ sơ trên dòng tài liệu đầu tiên) trước các dòng tài liệu, "
                "hoặc sửa mã hồ sơ."
            ),
        )

    # Helpers -----------------------------------------------------------------------------------------

    def missing(self, plan, record, key, label, hint):
        record.ok = False
        self.report.error(
            record.sheet,
            record.row,
            plan.key_header(key) or label,
            "",
            _("Thiếu %(field)s.") % {"field": label},
            hint,
        )

    def resolve_unit(self, plan, record, written, year, level):
        try:
            return self.units(written, year)
        except CellError as error:
            record.ok = False
            self.report.error(
                record.sheet,
                record.row,
                plan.header(level, "creating_unit_id" if level == FILE else "unit_id"),
                written,
                error.message,
                error.hint,
            )
            return None

    def note_scan(self, record, path):
        if not path:
            return
        record.scan_path = path
        self.scan_count += 1

    def summary(self):
        return {
            "counts": self.counts,
            "fonds_to_create": [{"code": code, **info} for code, info in self.fonds_to_create.items()],
            "series_to_create": [
                {"fonds": fonds, "number": number, "title": info["title"], "row": info["row"]}
                for (fonds, number), info in self.series_to_create.items()
            ],
            "unknown_columns": self.unknown_columns,
            "sheets": [
                {
                    "name": sheet.name,
                    "header_row": sheet.header_row,
                    "legacy": sheet.legacy,
                    "columns": [header for header, _key, _occurrence in sheet.columns],
                }
                for sheet in self.sheets
            ],
            "legacy": any(sheet.legacy for sheet in self.sheets),
            "scans": self.scan_count,
            "total_rows": self.total_rows,
        }
