"""Publishing a record together with everything below it."""

from django.db import transaction

from .models import Document, Fonds, RecordFile, Series
from .vocabularies import PublicationStatus


def subtree_querysets(record):
    """``{model: queryset}`` of the record and its descendants."""
    if isinstance(record, Fonds):
        return {
            Fonds: Fonds.objects.filter(pk=record.pk),
            Series: Series.objects.filter(fonds=record),
            RecordFile: RecordFile.objects.filter(fonds=record),
            Document: Document.objects.filter(file__fonds=record),
        }
    if isinstance(record, Series):
        return {
            Series: Series.objects.filter(pk=record.pk),
            RecordFile: RecordFile.objects.filter(series=record),
            Document: Document.objects.filter(file__series=record),
        }
    if isinstance(record, RecordFile):
        return {
            RecordFile: RecordFile.objects.filter(pk=record.pk),
            Document: Document.objects.filter(file=record),
        }
    return {Document: Document.objects.filter(pk=record.pk)}


def count_subtree(record):
    """How many drafts each level of the subtree holds."""
    return {
        model._meta.model_name: queryset.filter(publication_status=PublicationStatus.DRAFT).count()
        for model, queryset in subtree_querysets(record).items()
    }


@transaction.atomic
def publish_subtree(record):
    return {
        model._meta.model_name: queryset.filter(publication_status=PublicationStatus.DRAFT).update(
            publication_status=PublicationStatus.PUBLISHED
        )
        for model, queryset in subtree_querysets(record).items()
    }


def has_children(record):
    return any(
        queryset.exists()
        for model, queryset in subtree_querysets(record).items()
        if model is not type(record)
    )
