"""Pages for tests: the national home and provincial archive pages."""

from wagtail.models import Page, Site

from collections_app.factories import ArchiveFactory

from .models import ArchivePage, NationalHomePage


def national_home():
    """The national home as the root of the default site, created once."""
    home = NationalHomePage.objects.first()
    if home is not None:
        return home
    root = Page.get_first_root_node()
    home = root.add_child(instance=NationalHomePage(title="Kho lưu trữ số", slug="kho-luu-tru-so"))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True, site_name="Kho")
    else:
        old_root = site.root_page
        site.root_page = home
        site.save()
        if old_root.specific_class is Page and old_root.depth == 2:
            old_root.delete()
    return home


def archive_page(archive=None, **archive_kwargs):
    """A live ArchivePage for an archive (made by ArchiveFactory when not given)."""
    archive = archive or ArchiveFactory(**archive_kwargs)
    existing = ArchivePage.objects.filter(archive=archive).first()
    if existing is not None:
        return existing
    page = ArchivePage(title=archive.name, slug=archive.slug, archive=archive)
    national_home().add_child(instance=page)
    page.save_revision().publish()
    return ArchivePage.objects.get(pk=page.pk)
