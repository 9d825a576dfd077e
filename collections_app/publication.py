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


def drafts_of_subtree(record):
    """``{model: queryset}`` of the drafts in the subtree, less those in the recycle bin.

    A deleted draft stays a draft: restoring it must not publish what nobody chose to publish.
    """
    return {
        model: queryset.filter(publication_status=PublicationStatus.DRAFT, deleted_at__isnull=True)
        for model, queryset in subtree_querysets(record).items()
    }


def count_subtree(record):
    """How many drafts each level of the subtree holds."""
    return {model._meta.model_name: drafts.count() for model, drafts in drafts_of_subtree(record).items()}


@transaction.atomic
def publish_subtree(record):
    return {
        model._meta.model_name: drafts.update(publication_status=PublicationStatus.PUBLISHED)
        for model, drafts in drafts_of_subtree(record).items()
    }
