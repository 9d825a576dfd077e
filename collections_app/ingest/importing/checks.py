"""The checks made once per batch: the database (what exists, what codes are taken), then the rules
of the models on the values each record will have.

One query per table per batch, never one per row; on PostgreSQL the lists of codes go as one array
parameter. The model rules are those of ``RecordFile.clean`` / ``Document.clean`` and
``RecordDescription.record_errors`` (called on the merged values), without ``full_clean``.
"""

import types

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from ... import partial_dates
from ...models import DESCRIPTION_MODELS, Document, RecordFile, ReferenceAlias
from ...models.description import RecordDescription
from ...vocabularies import RecordKind, Reliability
from . import codes, columns
from .columns import DOCUMENT, FILE, LEVEL_LABELS
from .values import as_text


def field_defaults(model, names):
    """The values a new record has for these fields (the model's defaults)."""
    return {name: model._meta.get_field(name).get_default() for name in names}


# The fields the model rules read, with the values a new record starts from.
FILE_RULE_DEFAULTS = field_defaults(
    RecordFile,
    (
        "retention",
        "access_regime",
        "risk_recovery",
        "risk_recovery_status",
        "opening_date",
        "reliability",
        "paper_file_code",
        "start_date",
        "end_date",
    ),
)
DOCUMENT_RULE_DEFAULTS = field_defaults(
    Document,
    (
        "retention",
        "access_regime",
        "risk_recovery",
        "risk_recovery_status",
        "opening_date",
        "kind",
        "type_name",
        "photo_kind",
        "media_kind",
    ),
)


DOC_ID_MAX = columns.max_length(Document, "doc_id")
FILE_CODE_MAX = columns.max_length(RecordFile, "file_code")
REFERENCE_CODE_MAX = columns.max_length(RecordFile, "reference_code")


def shared_rule_errors(merged):
    """``RecordDescription.record_errors`` on the values a record will have (only its two fields matter)."""
    if not (merged["risk_recovery"] or merged["opening_date"]):
        return {}
    return RecordDescription.record_errors(types.SimpleNamespace(**merged))


def code_in(model, column, codes_):
    """``column IN codes`` as one array parameter on PostgreSQL (``= ANY``), not thousands of them."""
    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": list(codes_)})
    quote = connection.ops.quote_name
    table, name = quote(model._meta.db_table), quote(model._meta.get_field(column).column)
    # Quoted model identifiers and one bound parameter: nothing from the file reaches the SQL text.
    return RawSQL(f"{table}.{name} = ANY(%s)", (list(codes_),), output_field=BooleanField())  # noqa: S611


class BatchChecks:
    """The per-batch side of ``Validator`` (a mixin: it reads the validator's state and report)."""

    def finish(self, batch, plan):
        self.resolve_files(batch, plan)
        self.resolve_documents(batch)
        self.check_aliases(batch, plan)
        for record in batch:
            if record.level == FILE or record.defines_file:
                self.check_file(plan, record)
            if record.level == DOCUMENT and record.doc_values is not None:
                self.check_document(plan, record)
            if record.scan_path:
                self.report_scan(plan, record)
        return batch

    def resolve_files(self, batch, plan):
        wanted = set()
        legacy_keys = set()
        for record in batch:
            if record.defines_file:
                wanted.add(record.file_code)
                wanted.add(record.file_key)  # the code as written, when the series changed it
            elif record.file_pending:
                if plan.legacy:
                    legacy_keys.add(record.file_key)
                else:
                    wanted.add(record.file_key)
        if not wanted and not legacy_keys:
            return
        found = {}
        if wanted:
            found = {
                row["file_code"]: row
                for row in RecordFile.objects.filter(
                    code_in(RecordFile, "file_code", wanted), archive=self.archive
                ).values("pk", "file_code", "fonds__code", *FILE_RULE_DEFAULTS)
            }
        by_legacy = self.files_by_alias(legacy_keys) if legacy_keys else {}
        for record in batch:
            if record.defines_file:
                as_written = found.get(record.file_key) if not plan.legacy else None
                if record.file_code not in found and as_written is not None:
                    self.file_in_other_series(plan, record, as_written)
                else:
                    self.resolve_defined_file(plan, record, found.get(record.file_code))
            elif record.file_pending:
                row = by_legacy.get(record.file_key) if plan.legacy else found.get(record.file_key)
                self.resolve_named_file(plan, record, row)

    def files_by_alias(self, keys):
        aliases = dict(
            ReferenceAlias.objects.filter(
                code_in(ReferenceAlias, "code", keys), content_type=self.file_content_type
            ).values_list("code", "object_id")
        )
        files = {
            row["pk"]: row
            for row in RecordFile.objects.filter(pk__in=aliases.values(), archive=self.archive).values(
                "pk", "file_code", "fonds__code", *FILE_RULE_DEFAULTS
            )
        }
        return {code: files[pk] for code, pk in aliases.items() if pk in files}

    def resolve_defined_file(self, plan, record, existing):
        if existing is None:
            self.files[record.file_key].exists = False
            self.counts["file_new"] += 1
            return
        if record.fonds_code and existing["fonds__code"] != record.fonds_code:
            record.ok = False
            self.report.error(
                record.sheet,
                record.row,
                plan.key_header("fonds_code"),
                record.fonds_code,
                _("Hồ sơ “%(code)s” đã có, thuộc phông %(fonds)s.")
                % {"code": record.file_code, "fonds": existing["fonds__code"]},
                _("Sửa mã phông cho đúng phông của hồ sơ."),
            )
            return
        record.file_id = existing["pk"]
        record.fonds_code = existing["fonds__code"]
        record.parse_error = None
        record.file_existing = {name: existing[name] for name in FILE_RULE_DEFAULTS}
        self.files[record.file_key].exists = True
        self.counts["file_update"] += 1
        self.report.update(
            record.sheet, record.row, LEVEL_LABELS[FILE], f"{self.archive.code}.{record.file_code}"
        )

    def file_in_other_series(self, plan, record, existing):
        """The file exists under the code as written; the row's series would give it another code."""
        record.ok = False
        self.report.error(
            record.sheet,
            record.row,
            plan.key_header("series_number"),
            record.series_number,
            _("Hồ sơ “%(code)s” đã có nhưng không thuộc mục lục số %(series)s.")
            % {"code": existing["file_code"], "series": record.series_number},
            _(
                "Để đưa hồ sơ vào mục lục khác, dùng “Chuyển mục lục” ở trang hồ sơ (mã cũ được giữ); hoặc "
                "sửa mục lục số của dòng này cho đúng."
            ),
        )

    def resolve_named_file(self, plan, record, existing):
        seen = self.files[record.file_key]
        if existing is None:
            if seen.state == "pending":
                seen.state = "missing"
            self.unknown_file(plan, record)
            return
        if record.fonds_code and existing["fonds__code"] != record.fonds_code:
            record.ok = False
            self.report.error(
                record.sheet,
                record.row,
                plan.key_header("fonds_code"),
                record.fonds_code,
                _("Hồ sơ “%(code)s” thuộc phông %(fonds)s, không thuộc phông này.")
                % {"code": existing["file_code"], "fonds": existing["fonds__code"]},
                _("Sửa mã phông hoặc mã hồ sơ."),
            )
        record.file_code = existing["file_code"]
        record.file_id = existing["pk"]
        record.file_pending = False
        if seen.state == "pending":
            seen.state = "found"
            seen.code = existing["file_code"]

    def resolve_documents(self, batch):
        wanted = {}
        for record in batch:
            if record.level != DOCUMENT or record.doc_values is None:
                continue
            if record.file_code and record.ordinal is not None and self.file_may_have_documents(record):
                wanted[self.document_reference(record)] = record
        existing = {}
        if wanted:
            existing = {
                row["reference_code"]: row
                for row in Document.objects.filter(code_in(Document, "reference_code", wanted)).values(
                    "pk", "reference_code", *DOCUMENT_RULE_DEFAULTS
                )
            }
        for record in batch:
            if record.level != DOCUMENT or record.doc_values is None:
                continue
            row = existing.get(self.document_reference(record)) if existing and record.file_code else None
            if row is None:
                self.counts["document_new"] += 1
                continue
            record.doc_id = row["pk"]
            record.doc_existing = {name: row[name] for name in DOCUMENT_RULE_DEFAULTS}
            self.counts["document_update"] += 1
            self.report.update(record.sheet, record.row, LEVEL_LABELS[DOCUMENT], row["reference_code"])

    def file_may_have_documents(self, record):
        """A file created by this import has no documents yet: no need to look its documents up."""
        seen = self.files.get(record.file_key)
        return not (seen is not None and seen.state == "defined" and seen.exists is False)

    def document_reference(self, record):
        """The document's reference code, computed once its file's code is known (after the lookup)."""
        if not record.doc_reference:
            doc_id = codes.compose_document_codes(record.file_code, record.ordinal)[0]
            record.doc_reference = f"{self.archive.code}.{doc_id}"
        return record.doc_reference

    def check_aliases(self, batch, plan):
        """New codes must not be another record's former code; old codes must not be taken."""
        new_codes, legacy = {}, {}
        for record in batch:
            if record.defines_file and record.file_id is None and record.file_code:
                new_codes[f"{self.archive.code}.{record.file_code}"] = record
            if record.level == DOCUMENT and record.doc_id is None and record.file_code and record.ordinal:
                new_codes[self.document_reference(record)] = record
            if record.file_legacy and record.defines_file:
                legacy[record.file_legacy] = (record, RecordFile, record.file_id)
            if record.doc_legacy:
                legacy[record.doc_legacy] = (record, Document, record.doc_id)
        if not new_codes and not legacy:
            return
        taken = {
            code: (content_type, object_id)
            for code, content_type, object_id in ReferenceAlias.objects.filter(
                code_in(ReferenceAlias, "code", [*new_codes, *legacy])
            ).values_list("code", "content_type_id", "object_id")
        }
        for code, record in new_codes.items():
            if code in taken:
                self.code_taken(plan, record, code)
        if not legacy:
            return
        for model in DESCRIPTION_MODELS:
            for code, pk in model.objects.filter(code_in(model, "reference_code", legacy)).values_list(
                "reference_code", "pk"
            ):
                record, legacy_model, record_pk = legacy[code]
                if (model, pk) != (legacy_model, record_pk):
                    self.code_taken(plan, record, code)
        for code, (content_type, object_id) in taken.items():
            if code not in legacy:
                continue
            record, legacy_model, record_pk = legacy[code]
            model_type = ContentType.objects.get_for_model(legacy_model).pk
            if (content_type, object_id) != (model_type, record_pk):
                self.code_taken(plan, record, code)

    def code_taken(self, plan, record, code):
        record.ok = False
        self.report.error(
            record.sheet,
            record.row,
            "",
            code,
            _("Mã “%(code)s” đang là mã (hoặc mã cũ) của một bản ghi khác.") % {"code": code},
            _("Kiểm tra lại mã hồ sơ, số thứ tự hoặc mã cũ của dòng này."),
        )

    def check_file(self, plan, record):
        values_given = record.file_values
        if values_given is None or not record.defines_file or not record.ok:
            return
        existing = record.file_existing
        if existing is None:
            self.check_new_file(plan, record)
        merged = {**FILE_RULE_DEFAULTS, **(existing or {}), **values_given}
        record.merged_dates = (merged["start_date"], merged["end_date"])
        errors = shared_rule_errors(merged)
        start, end = merged["start_date"], merged["end_date"]
        if start and end and partial_dates.latest(end) < partial_dates.earliest(start):
            errors["end_date"] = _(
                "Thời gian kết thúc (%(end)s) sớm hơn thời gian bắt đầu (%(start)s). Sửa lại một trong hai "
                "ngày."
            ) % {
                "end": partial_dates.format_partial_date(end),
                "start": partial_dates.format_partial_date(start),
            }
        if merged["reliability"] == Reliability.DIGITIZED and not merged["paper_file_code"]:
            errors["paper_file_code"] = _(
                "Hồ sơ số hóa phải có mã hồ sơ gốc giấy, dạng [mã cơ quan lưu trữ].[kho/giá/hộp].[số hồ sơ "
                "giấy]."
            )
        self.report_rule_errors(plan, record, FILE, errors, merged)

    def check_new_file(self, plan, record):
        if record.parse_error is not None:
            record.ok = False
            self.report.error(
                record.sheet,
                record.row,
                plan.key_header("legacy_file_code" if plan.legacy else "file_code"),
                record.file_key,
                record.parse_error.message,
                record.parse_error.hint,
            )
            return
        if not record.fonds_code:
            self.missing(
                plan,
                record,
                "fonds_code",
                _("Mã phông"),
                _("Hồ sơ mới cần mã phông (phông phải có sẵn, hoặc ghi thêm “Tên phông” để tạo)."),
            )
        elif record.fonds_code not in self.fonds:
            return
        if not record.file_values.get("title"):
            self.missing(
                plan,
                record,
                "file_title",
                _("Tiêu đề hồ sơ"),
                _("Hồ sơ “%(code)s” chưa có: cần tiêu đề hồ sơ để tạo.") % {"code": record.file_key},
            )
        self.check_code_lengths(plan, record, f"{self.archive.code}.{record.file_code}", record.file_code)

    def check_code_lengths(self, plan, record, reference, own_code, own_max=None):
        own_max = own_max or FILE_CODE_MAX
        if len(own_code) > own_max or len(reference) > REFERENCE_CODE_MAX:
            record.ok = False
            self.report.error(
                record.sheet,
                record.row,
                "",
                reference,
                _("Mã “%(code)s” dài quá mức cho phép.") % {"code": reference},
                _("Rút gọn số và ký hiệu hồ sơ hoặc mã định danh cơ quan."),
            )

    def check_document(self, plan, record):
        if not record.ok or record.file_code == "":
            return
        given = record.doc_values
        existing = record.doc_existing
        if existing is None:
            if not given.get("title"):
                self.missing(
                    plan,
                    record,
                    "subject",
                    _("Trích yếu nội dung"),
                    _("Tài liệu mới cần trích yếu nội dung (hoặc tiêu đề với ảnh, phim)."),
                )
            reference = self.document_reference(record)
            doc_id = reference[len(self.archive.code) + 1 :]
            self.check_code_lengths(plan, record, reference, doc_id, DOC_ID_MAX)
        merged = {**DOCUMENT_RULE_DEFAULTS, **(existing or {}), **given}
        errors = shared_rule_errors(merged)
        if merged["kind"] == RecordKind.PHOTO and not merged["photo_kind"]:
            errors["photo_kind"] = _("Với tài liệu ảnh, hãy chọn loại ảnh (01 Phim âm bản, 02 Ảnh).")
        if merged["kind"] == RecordKind.MEDIA and not merged["media_kind"]:
            errors["media_kind"] = _("Với tài liệu ghi âm, ghi hình, hãy chọn loại (01 Ghi âm, 02 Ghi hình).")
        if merged["kind"] == RecordKind.TEXT and not merged["type_name"]:
            errors["type_name"] = _("Hãy chọn tên loại văn bản (01–32; chọn 32 Khác nếu không rõ).")
        self.report_rule_errors(plan, record, DOCUMENT, errors, merged)

    def report_rule_errors(self, plan, record, level, errors, merged):
        for attr, message in errors.items():
            record.ok = False
            value = merged.get(attr)
            if attr == "risk_recovery_status":
                value = merged.get("risk_recovery_status") or ""
            self.report.error(
                record.sheet, record.row, plan.header(level, attr), as_text(value or ""), str(message), ""
            )

    def report_scan(self, plan, record):
        path = record.scan_path
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        stem = name.rsplit(".", 1)[0] if "." in name else name
        if record.level == DOCUMENT and record.file_code and record.ordinal:
            expected = codes.compose_document_codes(record.file_code, record.ordinal)[0]
        else:
            expected = record.file_code
        header = plan.key_header("scan_path")
        self.report.info(
            record.sheet,
            record.row,
            header,
            path,
            _("Tệp quét của %(code)s: %(name)s") % {"code": expected, "name": name},
        )
        if expected and stem != expected and stem != f"{self.archive.code}.{expected}":
            self.report.warning(
                record.sheet,
                record.row,
                header,
                path,
                _("Tên tệp quét “%(name)s” không trùng với mã định danh “%(code)s”.")
                % {"name": name, "code": expected},
                _("Đặt tên tệp quét theo mã định danh tài liệu (ví dụ %(code)s.pdf) để gắn đúng bản ghi.")
                % {"code": expected},
            )
