"""Which file a row names, and the parts of its code: ``[body identifier].[year].[number][.series]``.

A row names its file by the code as written (``Mã hồ sơ``), by a Circular 02/2019 code, or by the
parts (fonds, year, file number, series) from which the code is composed. A row that defines a file
also needs the parts, to store them: they are read back from the written code (``codes``).
"""

from django.utils.translation import gettext as _

from ...models import RecordFile
from . import codes, columns, values
from .columns import FILE
from .values import CellError

CREATOR_CODE = values.code(columns.max_length(RecordFile, "creator_code"))
FILE_NUMBER = values.code(columns.max_length(RecordFile, "file_number"))


class FileIdentity:
    """The file-code side of ``Validator`` (a mixin: it reads the validator's archive and report)."""

    def file_key(self, plan, record, special, fonds, identity):
        """The file as the row names it (its code as written, or the 02/2019 code), and its parts."""
        if plan.legacy:
            return self.legacy_file_key(plan, record, special, fonds, identity)
        written = special.get("file_code", "").replace(" ", "")
        if not written and special.get("arc_file_code"):
            written = special["arc_file_code"].replace(" ", "").removeprefix(self.archive.code + ".")
        if written:
            return written
        year = identity["year"] or identity["start_year"]
        if fonds is not None and year and identity["file_number"]:
            prefix = identity["creator_code"] or fonds.prefix
            return codes.compose_file_code(prefix, year, identity["file_number"], record.series_number)
        return ""

    def legacy_file_key(self, plan, record, special, fonds, identity):
        written = special.get("legacy_file_code", "").replace(" ", "")
        if written:
            return written
        parts = [
            special.get("legacy_archive_code"),
            record.fonds_code,
            special.get("legacy_series_or_year"),
            identity["file_number"],
        ]
        return ".".join(parts) if all(parts) else ""

    def derive_file_code(self, plan, record, special, fonds, identity, file_values):
        """Set ``file_code`` and ``file_parts`` of a file the row defines; errors wait for the lookup."""
        series = record.series_number
        year_hint = identity["year"] or identity["start_year"]
        if plan.legacy:
            parts = self.legacy_parts(plan, record, special, fonds, identity, year_hint)
        elif fonds is None:
            parts = None
        elif special.get("file_code") or special.get("arc_file_code"):
            parts = codes.parse_file_code(record.file_key, fonds.prefix, series, identity["year"])
            if parts is None:
                record.parse_error = CellError(
                    _(
                        "Mã hồ sơ “%(code)s” không đúng dạng [mã định danh cơ quan].[năm].[số hồ sơ][.mục "
                        "lục số]."
                    )
                    % {"code": record.file_key},
                    _("Ví dụ H49.64.33.2001.160 hoặc 000.00.00.G09.2010.01.TH; năm gồm 4 chữ số."),
                )
            else:
                self.check_parts_agree(plan, record, parts, identity)
        else:
            prefix = identity["creator_code"] or fonds.prefix
            year = identity["year"] or identity["start_year"]
            parts = codes.FileCodeParts(
                "" if prefix == fonds.prefix else prefix, year, identity["file_number"]
            )
        if parts is None:
            record.file_code = record.file_key
            return
        record.file_parts = self.checked_parts(plan, record, parts)
        if record.file_parts is None:
            record.file_code = record.file_key
            return
        prefix = record.file_parts.creator_code or fonds.prefix
        series = record.series_number  # a 02/2019 code may have named the series
        record.file_code = codes.compose_file_code(prefix, parts.year, parts.file_number, series)
        if not plan.legacy and record.file_code != record.file_key:
            self.report.warning(
                record.sheet,
                record.row,
                plan.key_header("file_code"),
                record.file_key,
                _("Hồ sơ thuộc mục lục số %(series)s nên mã hồ sơ sẽ là “%(code)s”.")
                % {"series": series, "code": record.file_code},
                _("Mã hồ sơ gồm số mục lục ở cuối. Sửa mã trong tệp nếu muốn giữ đúng như vậy."),
            )

    def legacy_parts(self, plan, record, special, fonds, identity, year_hint):
        if fonds is None:
            return None
        series_or_year = special.get("legacy_series_or_year")
        file_number = identity["file_number"]
        if not (series_or_year and file_number):
            parsed = codes.parse_legacy_file_code(record.file_key, fonds.code)
            if parsed is None:
                record.parse_error = CellError(
                    _("Không đọc được mã hồ sơ cũ “%(code)s” (Thông tư 02/2019).")
                    % {"code": record.file_key},
                    _(
                        "Thêm các cột “Mục lục số hoặc năm hình thành hồ sơ” và “Số và ký hiệu hồ sơ”, hoặc "
                        "ghi mã dạng [mã lưu trữ].[mã phông].[mục lục hoặc năm].[số hồ sơ]."
                    ),
                )
                return None
            series_or_year = series_or_year or parsed[0]
            file_number = file_number or parsed[1]
        if codes.is_year(series_or_year):
            year = int(series_or_year)
        else:
            if not record.series_number:
                record.series_number = series_or_year
                self.place_series(record, fonds.code, series_or_year, None, {})
            year = identity["year"] or year_hint
        if not year:
            record.parse_error = CellError(
                _("Không xác định được năm hình thành của hồ sơ “%(code)s”.") % {"code": record.file_key},
                _("Thêm cột “Năm hình thành hồ sơ” hoặc “Thời gian bắt đầu”."),
            )
            return None
        return codes.FileCodeParts(identity["creator_code"] or "", int(year), file_number)

    def check_parts_agree(self, plan, record, parts, identity):
        for attr, given, parsed in (
            ("year", identity["year"], parts.year),
            ("file_number", identity["file_number"], parts.file_number),
        ):
            if given is not None and str(given) != str(parsed):
                record.ok = False
                self.report.error(
                    record.sheet,
                    record.row,
                    plan.header(FILE, attr),
                    given,
                    _("Không khớp với mã hồ sơ “%(code)s” (%(parsed)s).")
                    % {"code": record.file_key, "parsed": parsed},
                    _("Sửa mã hồ sơ hoặc cột này cho khớp nhau."),
                )

    def checked_parts(self, plan, record, parts):
        """The parts if each fits its field (code syntax, length), else None with the errors reported."""
        good = True
        for attr, value, convert in (
            ("creator_code", parts.creator_code, CREATOR_CODE),
            ("file_number", parts.file_number, FILE_NUMBER),
        ):
            if not value and attr == "creator_code":
                continue
            try:
                convert(value)
            except CellError as error:
                good = False
                record.parse_error = CellError(
                    _("%(field)s “%(value)s” (đọc từ mã hồ sơ): %(error)s")
                    % {"field": plan.header(FILE, attr), "value": value, "error": error.message},
                    error.hint,
                )
        if not parts.file_number:
            good = False
            record.parse_error = CellError(
                _("Thiếu số hồ sơ trong mã hồ sơ “%(code)s”.") % {"code": record.file_key},
                _("Mã hồ sơ có dạng [mã cơ quan].[năm].[số hồ sơ]."),
            )
        return parts if good else None
