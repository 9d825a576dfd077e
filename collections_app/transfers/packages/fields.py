"""The ``<simpledc>`` fields of Circular 05/2025 packages and the model fields they carry.

``*_fields(record)`` give the XML values of a file or document, in the Circular's order;
``parse_*`` read them back into model field values, raising ``FieldProblem`` naming the XML field
and what is wrong with its value.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ... import partial_dates
from ...vocabularies import (
    AccessRegime,
    Condition,
    DocumentType,
    Language,
    MediaKind,
    PhotoColour,
    PhotoKind,
    RecordKind,
    Reliability,
    Retention,
    RiskRecoveryStatus,
)

FILE_FIELDS = (
    "fileCode",
    "title",
    "maintenance",
    "mode",
    "language",
    "startDate",
    "endDate",
    "keyword",
    "totalDoc",
    "numberOfPaper",
    "numberOfPage",
    "format",
    "inforSign",
    "confidenceLevel",
    "paperFileCode",
    "riskRecovery",
    "riskRecoveryStatus",
    "description",
)
TEXT_FIELDS = (
    "docId",
    "docCode",
    "maintenance",
    "typeName",
    "codeNumber",
    "codeNotation",
    "issuedDate",
    "organName",
    "subject",
    "language",
    "numberOfPage",
    "inforSign",
    "keyword",
    "mode",
    "confidenceLevel",
    "autograph",
    "format",
    "riskRecovery",
    "riskRecoveryStatus",
    "process",
    "description",
)
PHOTO_FIELDS = (
    "docCode",
    "maintenance",
    "typePic",
    "archivesNumber",
    "inforSign",
    "eventName",
    "imageTitle",
    "photographer",
    "photoPlace",
    "photoTime",
    "colour",
    "filmSize",
    "docAttached",
    "mode",
    "format",
    "riskRecovery",
    "riskRecoveryStatus",
    "description",
)
MEDIA_FIELDS = (
    "docCode",
    "maintenance",
    "typeMedia",
    "archivesNumber",
    "inforSign",
    "eventName",
    "movieTitle",
    "recorder",
    "recordPlace",
    "recordDate",
    "language",
    "playTime",
    "docAttached",
    "mode",
    "quality",
    "format",
    "riskRecovery",
    "riskRecoveryStatus",
    "description",
)
DOCUMENT_FIELDS = {
    RecordKind.TEXT: TEXT_FIELDS,
    RecordKind.PHOTO: PHOTO_FIELDS,
    RecordKind.MEDIA: MEDIA_FIELDS,
}

# XML name → (model field, kind of value, maximum length or vocabulary)
SHARED = {
    "maintenance": ("retention", "code", Retention),
    "mode": ("access_regime", "code", AccessRegime),
    "language": ("languages", "codes", Language),
    "keyword": ("keywords", "text", 100),
    "inforSign": ("information_sign", "text", 30),
    "confidenceLevel": ("reliability", "code", Reliability),
    "format": ("condition", "code", Condition),
    "riskRecovery": ("risk_recovery", "flag", None),
    "riskRecoveryStatus": ("risk_recovery_status", "code", RiskRecoveryStatus),
}
FILE_MAP = {
    **SHARED,
    "title": ("title", "required", 1000),
    "startDate": ("start_date", "date", None),
    "endDate": ("end_date", "date", None),
    "totalDoc": ("total_documents", "number", None),
    "numberOfPaper": ("sheet_count", "number", None),
    "numberOfPage": ("page_count", "number", None),
    "paperFileCode": ("paper_file_code", "text", 100),
    "description": ("description", "text", 2000),
}
TEXT_MAP = {
    **SHARED,
    "typeName": ("type_name", "code", DocumentType),
    "codeNumber": ("code_number", "text", 11),
    "codeNotation": ("code_notation", "text", 30),
    "issuedDate": ("issued_date", "date", None),
    "organName": ("organ_name", "text", 200),
    "subject": ("title", "required", 500),
    "numberOfPage": ("page_count", "page_count", None),
    "autograph": ("autograph", "text", 2000),
    "process": ("has_process", "flag", None),
    "description": ("description", "text", 500),
}
AUDIOVISUAL_SHARED = {
    **SHARED,
    "archivesNumber": ("special_number", "text", 50),
    "eventName": ("event", "text", 500),
    "docAttached": ("has_attachments", "flag", None),
    "description": ("description", "text", 500),
}
PHOTO_MAP = {
    **AUDIOVISUAL_SHARED,
    "typePic": ("photo_kind", "code", PhotoKind),
    "imageTitle": ("title", "required", 500),
    "photographer": ("author", "text", 300),
    "photoPlace": ("place", "text", 300),
    "photoTime": ("issued_date", "date", None),
    "colour": ("colour", "code", PhotoColour),
    "filmSize": ("size", "text", 30),
}
MEDIA_MAP = {
    **AUDIOVISUAL_SHARED,
    "typeMedia": ("media_kind", "code", MediaKind),
    "movieTitle": ("title", "required", 500),
    "recorder": ("author", "text", 300),
    "recordPlace": ("place", "text", 300),
    "recordDate": ("issued_date", "date", None),
    "playTime": ("duration", "duration", None),
    "quality": ("quality", "text", 50),
}
DOCUMENT_MAPS = {RecordKind.TEXT: TEXT_MAP, RecordKind.PHOTO: PHOTO_MAP, RecordKind.MEDIA: MEDIA_MAP}


class FieldProblem(Exception):
    """A field value a package carries that the archive cannot take; the message says which and why."""


# Writing ------------------------------------------------------------------------------------------


def file_fields(record_file, document_count, code_field="fileCode"):
    values = _values(record_file, FILE_MAP)
    values["fileCode"] = record_file.file_code
    values["totalDoc"] = str(record_file.total_documents or document_count)
    ordered = {name: values.get(name, "") for name in FILE_FIELDS}
    if code_field != "fileCode":
        ordered = {code_field if name == "fileCode" else name: value for name, value in ordered.items()}
    return ordered


def document_fields(document):
    kind = document.kind if document.kind in DOCUMENT_MAPS else RecordKind.TEXT
    values = _values(document, DOCUMENT_MAPS[kind])
    values["docId"] = document.doc_id
    values["docCode"] = document.doc_code
    return {name: values.get(name, "") for name in DOCUMENT_FIELDS[kind]}


def outside_schema_fields(document):
    """The shared fields its kind's ``<simpledc>`` list lacks (a photo's keywords), as XML values, if set."""
    values = _values(document, _outside_schema_map(document.kind))
    return {name: value for name, value in values.items() if value}


def _outside_schema_map(kind):
    kind = kind if kind in DOCUMENT_MAPS else RecordKind.TEXT
    return {name: spec for name, spec in DOCUMENT_MAPS[kind].items() if name not in DOCUMENT_FIELDS[kind]}


def _values(record, mapping):
    return {
        xml_name: _xml_value(getattr(record, field), kind) for xml_name, (field, kind, _) in mapping.items()
    }


def _xml_value(value, kind):
    if kind == "flag":
        return "1" if value else "0"
    if kind == "codes":
        return ",".join(value or [])
    if kind == "date":
        return partial_dates.format_partial_date(value)
    if value is None:
        return ""
    return str(value)


# Reading ------------------------------------------------------------------------------------------


def parse_file(values):
    """Model values of a file from its EAD.xml fields (``fileCode`` / ``arcFileCode`` kept aside)."""
    return _parse(values, FILE_MAP)


def parse_document(values, kind):
    return _parse(values, DOCUMENT_MAPS[kind])


def parse_outside_schema_fields(values, kind):
    """Model values of the fields ``outside_schema_fields`` wrote; other names raise FieldProblem."""
    mapping = _outside_schema_map(kind)
    unknown = sorted(set(values) - set(mapping))
    if unknown:
        raise FieldProblem(
            _("Trường %(fields)s không dùng được cho loại tài liệu này (chỉ nhận %(allowed)s).")
            % {"fields": ", ".join(unknown), "allowed": ", ".join(mapping) or "-"}
        )
    return _parse(values, {name: spec for name, spec in mapping.items() if name in values})


def _parse(values, mapping):
    parsed = {}
    for xml_name, (field, kind, limit) in mapping.items():
        raw = (values.get(xml_name) or "").strip()
        parsed[field] = _parse_value(xml_name, raw, kind, limit)
    if parsed.get("risk_recovery") and not parsed.get("risk_recovery_status"):
        raise FieldProblem(
            _("riskRecovery = 1 nhưng riskRecoveryStatus để trống: phải ghi 01 (đã dự phòng) hoặc 02 (chưa).")
        )
    return parsed


def _parse_value(xml_name, raw, kind, limit):
    parser = PARSERS[kind]
    return parser(xml_name, raw, limit)


def _text(xml_name, raw, limit):
    if limit and len(raw) > limit:
        raise FieldProblem(
            _("Trường %(field)s dài %(length)s ký tự, vượt giới hạn %(limit)s ký tự.")
            % {"field": xml_name, "length": len(raw), "limit": limit}
        )
    return raw


def _required(xml_name, raw, limit):
    if not raw:
        raise FieldProblem(_("Trường %(field)s bắt buộc nhưng để trống.") % {"field": xml_name})
    return _text(xml_name, raw, limit)


def _code(xml_name, raw, choices):
    if not raw:
        return ""
    code = raw.zfill(2) if raw.isdigit() and len(raw) < 2 else raw
    if code not in choices.values:
        raise FieldProblem(
            _("Trường %(field)s có mã “%(value)s” không có trong danh mục (%(allowed)s).")
            % {"field": xml_name, "value": raw, "allowed": ", ".join(choices.values)}
        )
    return code


def _codes(xml_name, raw, choices):
    return [_code(xml_name, part, choices) for part in re.split(r"[,;\s]+", raw) if part]


def _flag(xml_name, raw, limit):
    if raw.lower() in ("", "0", "false"):
        return False
    if raw.lower() in ("1", "true"):
        return True
    raise FieldProblem(
        _("Trường %(field)s chỉ nhận 0 hoặc 1, gặp “%(value)s”.") % {"field": xml_name, "value": raw}
    )


def _number(xml_name, raw, limit, maximum=None):
    if not raw:
        return None
    if not raw.isdigit() or (maximum is not None and int(raw) > maximum):
        raise FieldProblem(
            _("Trường %(field)s phải là số nguyên không âm%(max)s, gặp “%(value)s”.")
            % {"field": xml_name, "value": raw, "max": f" ≤ {maximum}" if maximum else ""}
        )
    return int(raw)


def _page_count(xml_name, raw, limit):
    return _number(xml_name, raw, limit, maximum=9999)


def _date(xml_name, raw, limit):
    try:
        return partial_dates.parse_partial_date(raw)
    except ValidationError:
        raise FieldProblem(
            _("Trường %(field)s có ngày “%(value)s” không hợp lệ; dùng DD/MM/YYYY, MM/YYYY hoặc YYYY.")
            % {"field": xml_name, "value": raw}
        ) from None


def _duration(xml_name, raw, limit):
    if raw and not re.fullmatch(r"\d{1,2}:\d{2}:\d{2}", raw):
        raise FieldProblem(
            _("Trường %(field)s phải có dạng HH:MM:SS, gặp “%(value)s”.") % {"field": xml_name, "value": raw}
        )
    return raw


PARSERS = {
    "text": _text,
    "required": _required,
    "code": _code,
    "codes": _codes,
    "flag": _flag,
    "number": _number,
    "page_count": _page_count,
    "date": _date,
    "duration": _duration,
}


def split_file_code(file_code):
    """``(creator code, year, file number)`` of a file code ``{creator}.{year}.{number}``.

    The year is the first four-digit segment after the creator's identifier that has a segment
    after it; what follows it is the file number and notation. None when the code has no such shape.
    """
    parts = file_code.split(".")
    for index in range(1, len(parts) - 1):
        if re.fullmatch(r"[12]\d{3}", parts[index]):
            return ".".join(parts[:index]), int(parts[index]), ".".join(parts[index + 1 :])
    return None
