"""``/sitemap.xml``: the national home, the archives' pages and every record the public may open.

An index points to one section per level; Django pages each section at ``limit`` URLs (at most
50,000 per file, as the sitemaps protocol allows).
"""

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from wagtail.models import Page

from archivecms.portal.models import ArchivePage, NationalHomePage

from . import public

URLS_PER_SITEMAP = 50_000


class PortalPagesSitemap(Sitemap):
    """The national home and each provincial archive's home."""

    changefreq = "weekly"
    priority = 1.0

    def items(self):
        home_pages = NationalHomePage.objects.live().public()
        archive_pages = ArchivePage.objects.live().public()
        return list(
            Page.objects.filter(pk__in=home_pages.values("pk"))
            | Page.objects.filter(pk__in=archive_pages.values("pk"))
        )

    def location(self, page):
        parts = page.get_url_parts()
        return parts[2] if parts else "/"

    def lastmod(self, page):
        return page.last_published_at


class RecordSitemap(Sitemap):
    """The public record pages of one level, in a stable order so that paging is stable."""

    limit = URLS_PER_SITEMAP
    changefreq = "monthly"

    def __init__(self, model):
        super().__init__()
        self.model = model
        self._archive_urls = None

    @property
    def archive_urls(self):
        if self._archive_urls is None:
            self._archive_urls = public.archive_page_urls()
        return self._archive_urls

    def items(self):
        return (
            public.public_queryset(self.model)
            .filter(archive_id__in=list(self.archive_urls))
            .only("pk", "archive_id", "reference_code", "updated_at")
            .order_by("pk")
        )

    def location(self, record):
        return public.record_path(self.archive_urls[record.archive_id], record)

    def lastmod(self, record):
        return record.updated_at


def sitemaps():
    """New sections per request: a section remembers the archives' page URLs while it answers."""
    sections = {"trang": PortalPagesSitemap()}
    for model in public.PUBLIC_MODELS:
        sections[model.level_slug] = RecordSitemap(model)
    return sections


def sitemap_index(request):
    return sitemap_views.index(request, sitemaps=sitemaps(), sitemap_url_name="sitemap_section")


def sitemap_section(request, section):
    return sitemap_views.sitemap(request, sitemaps=sitemaps(), section=section)
