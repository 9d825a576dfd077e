"""Reference codes: who owns a code, aliases for former codes, and re-coding after a move."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import access
from .models import DESCRIPTION_MODELS, AliasReason, Document, RecordFile, ReferenceAlias


def find_by_reference_code(code):
    """The record whose current reference code is ``code``, or None."""
    for model in DESCRIPTION_MODELS:
        record = access.with_parents(model.objects.filter(reference_code=code)).first()
        if record is not None:
            return record
    return None


def resolve_reference(code):
    """``(record, is_alias)`` for a current or former reference code; ``(None, False)`` if unknown."""
    record = find_by_reference_code(code)
    if record is not None:
        return record, False
    alias = ReferenceAlias.objects.filter(code=code).select_related("content_type").first()
    if alias is None:
        return None, False
    model = alias.content_type.model_class()
    return access.with_parents(model.objects.filter(pk=alias.object_id)).first(), True


def reference_code_owner(code):
    """``(model, pk)`` of whatever holds ``code`` now, as a current code or an alias."""
    for model in DESCRIPTION_MODELS:
        pk = model.objects.filter(reference_code=code).values_list("pk", flat=True).first()
        if pk is not None:
            return model, pk
    alias = ReferenceAlias.objects.filter(code=code).select_related("content_type").first()
    if alias is not None:
        return alias.content_type.model_class(), alias.object_id
    return None


def record_alias(record, old_code, reason=AliasReason.RECODED):
    """Keep ``old_code`` answering for ``record``; a code that comes back stops being an alias."""
    content_type = ContentType.objects.get_for_model(type(record))
    ReferenceAlias.objects.filter(
        code=record.reference_code, content_type=content_type, object_id=record.pk
    ).delete()
    ReferenceAlias.objects.update_or_create(
        code=old_code,
        defaults={
            "content_type": content_type,
            "object_id": record.pk,
            "archive_id": record.archive_id,
            "reason": reason,
        },
    )


def recode_documents(file):
    """Give a file's documents codes under the file's current code, keeping the old ones as aliases."""
    documents = list(file.documents.all())
    for document in documents:
        old = document.reference_code
        document.doc_id, document.doc_code = document.compose_codes(file.file_code)
        document.reference_code = f"{file.archive.code}.{document.doc_id}"
        if old != document.reference_code:
            record_alias(document, old)
    Document.objects.bulk_update(documents, ["doc_id", "doc_code", "reference_code"], batch_size=500)


def recode_files(files):
    """Re-save files so their codes follow their fonds and series; saving keeps the aliases."""
    for file in files.select_related("fonds", "series", "archive"):
        file.save()


def recode_fonds_children(fonds, old_reference_code=None):
    for series in fonds.series.all():
        series.save()
    recode_files(fonds.files.all())
    if old_reference_code:
        record_alias(fonds, old_reference_code)


def move_file(file, target_series):
    """Move a file to another series of its archive; its codes and its documents' codes follow."""
    if target_series.archive_id != file.archive_id:
        raise ValidationError(_("Không thể chuyển hồ sơ sang mục lục của cơ quan lưu trữ khác."))
    if file.series_id == target_series.pk:
        raise ValidationError(_("Hồ sơ đã ở trong mục lục này. Chọn một mục lục khác."))
    new_code = file.compose_file_code(series=target_series)
    new_reference = f"{file.archive.code}.{new_code}"
    owner = reference_code_owner(new_reference)
    if owner is not None and owner != (RecordFile, file.pk):
        raise ValidationError(
            _(
                "Không thể chuyển: mã mới “%(code)s” trùng với một bản ghi khác. Đổi số hồ sơ "
                "trước khi chuyển, hoặc chọn mục lục khác."
            )
            % {"code": new_reference}
        )
    clashing_documents = _document_code_clashes(file, new_code)
    if clashing_documents:
        raise ValidationError(
            _("Không thể chuyển: mã tài liệu mới trùng với bản ghi khác: %(codes)s.")
            % {"codes": ", ".join(clashing_documents[:5])}
        )
    with transaction.atomic():
        file.series = target_series
        file.fonds_id = target_series.fonds_id
        file.save()
    return file


def _document_code_clashes(file, new_file_code):
    clashes = []
    for ordinal in file.documents.values_list("ordinal", flat=True):
        code = f"{file.archive.code}.{new_file_code}.{ordinal}"
        owner = reference_code_owner(code)
        if owner is not None and owner[0] is not Document:
            clashes.append(code)
        elif owner is not None and not file.documents.filter(pk=owner[1]).exists():
            clashes.append(code)
    return clashes


__all__ = [
    "find_by_reference_code",
    "move_file",
    "record_alias",
    "recode_documents",
    "recode_files",
    "reference_code_owner",
    "attach_alias_codes",
    "resolve_reference",
]


def attach_alias_codes(records):
    """Fetch the former codes of many records of one model at once (read by ``alias_codes()``)."""
    if not records:
        return records
    content_type = ContentType.objects.get_for_model(type(records[0]))
    codes = {}
    rows = ReferenceAlias.objects.filter(
        content_type=content_type, object_id__in=[record.pk for record in records]
    ).values_list("object_id", "code")
    for object_id, code in rows:
        codes.setdefault(object_id, []).append(code)
    for record in records:
        record._alias_codes = codes.get(record.pk, [])
    return records


def aliases_of(record):
    content_type = ContentType.objects.get_for_model(type(record))
    return ReferenceAlias.objects.filter(content_type=content_type, object_id=record.pk).order_by(
        "-created_at"
    )
