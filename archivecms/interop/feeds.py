"""Atom feed of each archive: ``/feeds/<archive-slug>/``, its most recently published records.

Only what an anonymous visitor may open is named; the entry's summary carries the record's text
only when its content is open to everyone, otherwise the entry has its title alone.
"""

import heapq

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from collections_app import access
from collections_app.models import Archive, Document, RecordFile

from . import public, records

ENTRIES = 50
SUMMARY_CHARACTERS = 500


class ArchiveFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, archive_slug):
        archive = get_object_or_404(Archive, slug=archive_slug)
        archive.page_url = public.archive_page_urls().get(archive.pk)
        if archive.page_url is None:
            raise Http404
        return archive

    def title(self, archive):
        return _("%(archive)s: hồ sơ, tài liệu mới công bố") % {"archive": archive.name}

    def link(self, archive):
        return archive.page_url

    def subtitle(self, archive):
        return _("Hồ sơ, tài liệu công khai mới công bố của %(archive)s.") % {"archive": archive.name}

    def items(self, archive):
        latest = [
            public.public_queryset(model)
            .filter(archive=archive)
            .select_related("archive", *records.RELATED[model][1:])
            .order_by("-updated_at", "-pk")[:ENTRIES]
            for model in (RecordFile, Document)
        ]
        merged = heapq.merge(*latest, key=lambda record: record.updated_at, reverse=True)
        entries = list(merged)[:ENTRIES]
        for record in entries:
            record.archive_page_url = archive.page_url
        return entries

    def item_title(self, record):
        return f"{record.reference_code} – {record.title}"

    def item_description(self, record):
        if not access.can_view_content(public.anonymous(), record):
            return None
        text = records.text_of(record) or record.description
        return text[:SUMMARY_CHARACTERS] or None

    def item_link(self, record):
        return public.record_path(record.archive_page_url, record)

    def item_updateddate(self, record):
        return record.updated_at

    def item_pubdate(self, record):
        return record.updated_at
