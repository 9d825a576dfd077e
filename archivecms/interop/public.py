"""What the anonymous public may reach, as querysets: the records a sitemap or a feed may name.

A record is named only when the access module lets an anonymous visitor list it and every level
above it, so that every URL given out opens its public page.
"""

from django.contrib.auth.models import AnonymousUser

from archivecms.portal.models import ROUTE_PREFIXES, ArchivePage
from collections_app.models import Document, Fonds, RecordFile, Series

from . import records

PUBLIC_MODELS = (Fonds, Series, RecordFile, Document)


def anonymous():
    return AnonymousUser()


def public_queryset(model):
    """The records of ``model`` an anonymous visitor may open, with every parent listable too."""
    return records.openable_queryset(anonymous(), model)


def archive_page_urls():
    """``{archive_id: url}`` of the live, public archive pages."""
    pages = ArchivePage.objects.live().public().filter(archive__isnull=False)
    urls = {}
    for page in pages:
        parts = page.get_url_parts()
        if parts is not None:
            urls[page.archive_id] = parts[2]
    return urls


def record_path(archive_url, record):
    return f"{archive_url}{ROUTE_PREFIXES[type(record)]}/{record.reference_code}/"
