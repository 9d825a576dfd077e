"""The description tree as the machine-facing paths read it: lookup by code, levels, children."""

from django.db.models import Prefetch, Q

from collections_app import access
from collections_app.codes import resolve_reference
from collections_app.models import DigitalObject, Document, Fonds, RecordFile, ScanPage, Series
from collections_app.models.digital import ProcessingState

RELATED = {
    Fonds: ("archive",),
    Series: ("archive", "fonds"),
    RecordFile: ("archive", "fonds", "series"),
    Document: ("archive", "file__fonds", "file__series"),
}


def find_record(code):
    """``(record, is_alias)`` for a current or former reference code, with what the paths read loaded."""
    record, is_alias = resolve_reference(code)
    if record is None:
        return None, False
    model = type(record)
    return model.objects.select_related(*RELATED[model]).get(pk=record.pk), is_alias


def openable_queryset(user, model):
    """The records of ``model`` the user may list, with every level above them listable too."""
    fonds = access.listable(user, Fonds.objects.all())
    if model is Fonds:
        return fonds
    series = access.listable(user, Series.objects.all())
    if model is Series:
        return series.filter(fonds__in=fonds)
    files = access.listable(user, RecordFile.objects.all()).filter(
        Q(series__isnull=True) | Q(series__in=series), fonds__in=fonds
    )
    if model is RecordFile:
        return files
    return access.listable(user, Document.objects.all()).filter(file__in=files)


def level_of(record):
    return record.level_slug


def children_querysets(record):
    """The querysets of the record's direct children, in catalogue order."""
    if isinstance(record, Fonds):
        return [
            record.series.order_by("number"),
            record.files.filter(series__isnull=True).order_by("year", "file_number"),
        ]
    if isinstance(record, Series):
        return [record.files.order_by("number_in_series", "year", "file_number")]
    if isinstance(record, RecordFile):
        return [record.documents.order_by("ordinal")]
    return []


def listable_children(user, record):
    return [access.listable(user, queryset) for queryset in children_querysets(record)]


def date_text(record):
    if isinstance(record, (Fonds, Series)):
        return record.date_range
    if isinstance(record, RecordFile):
        return record.dates_display
    return record.issued_date_display


def creator_text(record):
    if isinstance(record, Fonds):
        return record.name
    if isinstance(record, Series):
        return record.fonds.name
    if isinstance(record, RecordFile):
        return record.fonds.name
    return record.organ_name or record.file.fonds.name


def viewable_scans(record):
    """The processed scans of a file or document, with their pages, in upload order."""
    if not isinstance(record, (RecordFile, Document)):
        return []
    pages = Prefetch("pages", queryset=ScanPage.objects.order_by("number"))
    return list(
        record.digital_objects.filter(state=ProcessingState.DONE)
        .select_related("archive", "document__file", "record_file")
        .prefetch_related(pages)
        .order_by("created_at", "id")
    )


def text_of(record):
    """The record's readable text (born-digital full text, else OCR text)."""
    if isinstance(record, Document) and record.full_text:
        return record.full_text
    return getattr(record, "ocr_text", "") or ""


def scan_of(object_id):
    return (
        DigitalObject.objects.select_related("archive", "document__file", "record_file")
        .filter(pk=object_id)
        .first()
    )
