"""Editorial pages: the national home and one routable home page per provincial archive.

The description tree itself is not made of pages (a province holds millions of documents): an
``ArchivePage`` serves its fonds, series, files and documents through its routes.
"""

from django.conf import settings
from django.db import models
from django.http import Http404, HttpResponsePermanentRedirect
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page

from collections_app import access, unit_changes
from collections_app.codes import resolve_reference
from collections_app.models import Document, Fonds, MergeRun, MergeStatus, RecordFile, Series
from collections_app.paging import FarPagePaginator

from .forms import ArchivePageForm

ROUTE_PREFIXES = {Fonds: "phong", Series: "muc-luc", RecordFile: "ho-so", Document: "tai-lieu"}


class NationalHomePage(Page):
    """The national home: every provincial archive and a search box."""

    introduction = RichTextField(_("giới thiệu"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    subpage_types = ["portal.ArchivePage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("trang chủ quốc gia")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["archive_pages"] = (
            ArchivePage.objects.child_of(self).live().select_related("archive__unit").order_by("title")
        )
        return context


class RecordMoved(Exception):
    """A record asked for by a former code under this page now has another page (``url``)."""

    def __init__(self, url):
        super().__init__(url)
        self.url = url


class ArchivePage(RoutablePageMixin, Page):
    """The home of one provincial archive, serving its description tree."""

    archive = models.OneToOneField(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ"),
        on_delete=models.PROTECT,
        related_name="page",
        null=True,
        editable=False,
    )
    introduction = RichTextField(_("giới thiệu"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("archive_code"),
        FieldPanel("unit"),
        FieldPanel("introduction"),
    ]
    base_form_class = ArchivePageForm
    parent_page_types = ["portal.NationalHomePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("trang cơ quan lưu trữ")
        verbose_name_plural = _("trang cơ quan lưu trữ")

    def serve(self, request, *args, **kwargs):
        try:
            return super().serve(request, *args, **kwargs)
        except RecordMoved as moved:
            return HttpResponsePermanentRedirect(moved.url)

    # Routes ---------------------------------------------------------------------------------

    @path("")
    def home(self, request):
        fonds = access.listable(request.user, Fonds.objects.filter(archive=self.archive)).order_by("code")
        by_unit = unit_changes.public_unit_filter(request, fonds)
        return self.render(
            request,
            context_overrides={
                "fonds_page": paginate(request, by_unit.fonds),
                "unit_filter": by_unit,
                "unit_parameter": unit_changes.UNIT_PARAMETER,
                "statistics": self.statistics(request.user),
                "absorbed_units": self.archive.unit.absorbed_units() if self.archive else [],
                **self.merger_context(),
            },
            template="portal/archive_page.html",
        )

    @path("phong/<str:code>/")
    def fonds_detail(self, request, code):
        fonds = self._get_record(request, Fonds, code)
        series = access.listable(request.user, fonds.series.all()).order_by("number")
        loose_files = access.listable(request.user, fonds.files.filter(series__isnull=True)).order_by(
            "number_in_series", "id"
        )
        return self._render_record(
            request,
            fonds,
            "portal/fonds_detail.html",
            series_page=paginate(request, series),
            files_page=paginate(request, loose_files, parameter="files_page"),
        )

    @path("muc-luc/<str:code>/")
    def series_detail(self, request, code):
        series = self._get_record(request, Series, code)
        files = access.listable(request.user, series.files.all()).order_by("number_in_series", "id")
        return self._render_record(
            request, series, "portal/series_detail.html", files_page=paginate(request, files)
        )

    @path("ho-so/<str:code>/")
    def file_detail(self, request, code):
        file = self._get_record(request, RecordFile, code)
        documents = access.listable(request.user, file.documents.all()).order_by("ordinal")
        return self._render_record(
            request,
            file,
            "portal/file_detail.html",
            documents_page=paginate(request, documents),
            content_restriction=access.content_restriction(request.user, file),
        )

    @path("tai-lieu/<str:code>/")
    def document_detail(self, request, code):
        document = self._get_record(request, Document, code)
        return self._render_record(
            request,
            document,
            "portal/document_detail.html",
            content_restriction=access.content_restriction(request.user, document),
        )

    # Helpers --------------------------------------------------------------------------------

    def _get_record(self, request, model, code):
        related = {
            Series: ["fonds"],
            RecordFile: ["fonds", "series"],
            Document: ["file__fonds", "file__series"],
        }
        record = (
            model.objects.select_related("archive", *related.get(model, []))
            .filter(reference_code=code, archive=self.archive)
            .first()
        )
        if record is None:
            self._follow_former_code(request, model, code)
        if not access.can_view_metadata(request.user, record):
            raise Http404
        return record

    def _follow_former_code(self, request, model, code):
        """Send a former code (a merger's, a recoding's) on to the record's page; otherwise not found."""
        record, is_alias = resolve_reference(code)
        if is_alias and isinstance(record, model) and access.can_view_metadata(request.user, record):
            url = canonical_url(record)
            if url:
                raise RecordMoved(url)
        raise Http404

    def merger_context(self):
        """Where this archive's holdings went in its last finished merger, for its home page."""
        if not self.archive:
            return {}
        run = (
            MergeRun.objects.filter(status=MergeStatus.DONE, sources=self.archive)
            .select_related("into")
            .order_by("-finished_at", "-pk")
            .first()
        )
        if run is None:
            return {}
        page = ArchivePage.objects.live().filter(archive=run.into).first()
        return {"merger": run, "merger_url": page.url if page else None}

    def _render_record(self, request, record, template, **context):
        return self.render(
            request,
            context_overrides={"record": record, "breadcrumbs": breadcrumbs(self, record), **context},
            template=template,
        )

    def statistics(self, user):
        if not self.archive:
            return {}
        return {
            "fonds": access.listable(user, Fonds.objects.filter(archive=self.archive)).count(),
            "files": access.listable(user, RecordFile.objects.filter(archive=self.archive)).count(),
            "documents": access.listable(user, Document.objects.filter(archive=self.archive)).count(),
        }

    def url_for(self, record):
        return f"{self.url}{ROUTE_PREFIXES[type(record)]}/{record.reference_code}/"


def paginate(request, queryset, parameter="page"):
    """One page of children, never more than ``CATALOGUE_PAGE_SIZE`` (≤ 100) at once."""
    size = min(settings.CATALOGUE_PAGE_SIZE, 100)
    page = FarPagePaginator(queryset, size).get_page(request.GET.get(parameter))
    page.parameter = parameter
    return page


def breadcrumbs(archive_page, record):
    chain = [record, *access.parents_of(record)]
    chain.reverse()
    return [
        (str(node if not isinstance(node, Fonds) else node.name), archive_page.url_for(node))
        for node in chain
    ]


def canonical_url(record):
    """The public page of a record, served by its archive's page."""
    page = ArchivePage.objects.live().filter(archive_id=record.archive_id).first()
    if page is None:
        return None
    return page.url_for(record)
