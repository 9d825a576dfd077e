"""The text of a record's scans: what its pages say, corrected where staff corrected it.

A record's ``ocr_text`` is the current text of all pages of all its scans, in order. It is
rebuilt whenever a page's text changes (OCR finished, a correction saved or undone), and saving the
record updates the search index.
"""

from django.db import transaction

from ..models import PageTextRevision, ScanPage


def record_pages(record):
    field = (
        "digital_object__document" if record._meta.model_name == "document" else "digital_object__record_file"
    )
    return ScanPage.objects.filter(**{field: record}).order_by(
        "digital_object__created_at", "digital_object_id", "number"
    )


def refresh_record_text(record):
    """Rebuild ``record.ocr_text`` from its pages and save it (which re-indexes the record)."""
    texts = (text.strip() for text in record_pages(record).values_list("text", flat=True))
    record.ocr_text = "\n\n".join(text for text in texts if text)
    record.save(update_fields=["ocr_text"])


def set_page_text(page, text, *, source, confidence=None, user=None):
    """Keep ``text`` as a new revision of the page and make it the page's current text."""
    with transaction.atomic():
        PageTextRevision.objects.create(
            page=page, text=text, source=source, confidence=confidence, created_by=user
        )
        page.text = text
        page.text_corrected = source == "correction"
        if confidence is not None:
            page.ocr_confidence = confidence
        page.save(update_fields=["text", "text_corrected", "ocr_confidence"])
        refresh_record_text(page.digital_object.record)
