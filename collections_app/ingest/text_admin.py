"""Reading and correcting the OCR text of a scanned page beside its image, in the admin.

A saved correction is kept as a revision (``PageTextRevision``) and becomes the page's text and,
through the record's ``ocr_text``, what search indexes. Earlier revisions can be viewed and
restored; a restore is itself a new revision, so no version is ever lost.
"""

import difflib

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import LogFormatter, log

from .. import access
from ..models import PageTextRevision, ScanPage, TextSource
from ..transfers import freeze
from .digitization import can_manage
from .digitization_admin import page_image_url
from .text import record_pages, set_page_text

MAX_PAGE_TEXT = 100_000
REVISIONS_SHOWN = 50


class PageTextForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Nội dung trang"),
        required=False,
        strip=False,
        max_length=MAX_PAGE_TEXT,
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "lang": "vi"}),
        error_messages={
            "max_length": gettext_lazy(
                "Nội dung dài %(show_value)s ký tự, quá giới hạn %(limit_value)s ký tự của một trang. Hãy "
                "kiểm tra xem có dán nhầm nội dung nhiều trang không."
            )
        },
    )
    loaded_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)


def normalize_text(text):
    """Browsers send CRLF line ends; leading and trailing blank space carries no meaning."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def visible_page(user, pk):
    """A page of the user's archives whose content the user may read; "not found" otherwise."""
    page = get_object_or_404(
        ScanPage.objects.select_related(
            "digital_object__archive", "digital_object__document__file", "digital_object__record_file"
        ),
        pk=pk,
    )
    scan = page.digital_object
    if not (access.is_staff_of(user, scan.archive_id) and access.can_view_content(user, scan.record)):
        raise Http404
    return page


def when(moment):
    return date_format(timezone.localtime(moment), "d/m/Y H:i")


def latest_revision(page):
    return page.text_revisions.order_by("-created_at", "-id").first()


def word_diff(old, new):
    """``[(kind, text)]`` with kind ``equal``, ``delete`` or ``insert``: what changes from old to new."""
    old_words, new_words = old.split(), new.split()
    segments = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation in ("delete", "replace"):
            segments.append(("delete", " ".join(old_words[old_start:old_end])))
        if operation in ("insert", "replace"):
            segments.append(("insert", " ".join(new_words[new_start:new_end])))
        if operation == "equal":
            segments.append(("equal", " ".join(old_words[old_start:old_end])))
    return segments


class PageTextMixin(WagtailAdminTemplateMixin):
    header_icon = "doc-full"

    def dispatch(self, request, *args, **kwargs):
        self.page = visible_page(request.user, kwargs["pk"])
        self.scan = self.page.digital_object
        self.record = self.scan.record
        self.can_edit = can_manage(request.user, self.scan.archive_id)
        if request.method == "POST" and not self.can_edit:
            raise PermissionDenied
        if request.method == "POST" and (refused := freeze.refusal(self.scan.archive_id)):
            messages.error(request, refused)
            return redirect(self.page_url())
        return super().dispatch(request, *args, **kwargs)

    def page_url(self, page_pk=None):
        return reverse("page_text:page", args=[page_pk or self.page.pk])

    def get_breadcrumbs_items(self):
        record_url = AdminURLFinder(self.request.user).get_edit_url(self.record)
        return self.breadcrumbs_items + [
            {"url": record_url or "", "label": str(self.record)},
            {"url": self.page_url(), "label": _("Trang %(number)s") % {"number": self.page.number}},
        ]


class PageTextView(PageTextMixin, TemplateView):
    """The page image beside its current text, the text's revisions, and saving a correction."""

    template_name = "collections_app/admin/text_page.html"

    def get_page_title(self):
        return _("Nội dung chữ trang %(number)s của “%(scan)s”") % {
            "number": self.page.number,
            "scan": self.scan,
        }

    def get(self, request, *args, **kwargs):
        latest = latest_revision(self.page)
        form = PageTextForm(
            initial={"text": self.page.text, "loaded_revision": latest.pk if latest else None}
        )
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = PageTextForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Chưa lưu được bản hiệu đính; xem lỗi ở ô nội dung."))
            return self.render_to_response(self.get_context_data(form=form))
        text = normalize_text(form.cleaned_data["text"])
        if text == normalize_text(self.page.text):
            messages.info(request, _("Nội dung không thay đổi nên không lưu thêm phiên bản mới."))
            return redirect(self.page_url())
        latest = latest_revision(self.page)
        if latest is not None and form.cleaned_data["loaded_revision"] != latest.pk:
            return self.refuse_stale(form, latest)
        set_page_text(self.page, text, source=TextSource.CORRECTION, user=request.user)
        log(
            self.page,
            "collections_app.page_text.correct",
            user=request.user,
            data={"number": self.page.number, "scan": self.scan.original_name, "characters": len(text)},
        )
        messages.success(
            request,
            _("Đã lưu bản hiệu đính trang %(number)s; tìm kiếm sẽ dùng nội dung mới này.")
            % {"number": self.page.number},
        )
        return redirect(self.page_url())

    def refuse_stale(self, form, latest):
        """Someone saved this page after it was opened here: keep the typed text, ask to compare."""
        messages.error(
            self.request,
            _(
                "Trang vừa được %(user)s lưu lúc %(when)s, sau khi bạn mở trang. Nội dung bạn nhập vẫn còn "
                "trong ô bên dưới: hãy so với phiên bản mới nhất trong danh sách rồi bấm lưu lại."
            )
            % {
                "user": latest.created_by or _("hệ thống"),
                "when": when(latest.created_at),
            },
        )
        data = form.data.copy()
        data["loaded_revision"] = latest.pk
        return self.render_to_response(self.get_context_data(form=PageTextForm(data)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page_ids = list(record_pages(self.record).values_list("pk", flat=True))
        index = page_ids.index(self.page.pk)
        context.update(
            page=self.page,
            scan=self.scan,
            record=self.record,
            image_url=page_image_url(self.page),
            can_edit=self.can_edit,
            position=index + 1,
            page_total=len(page_ids),
            previous_url=self.page_url(page_ids[index - 1]) if index > 0 else None,
            next_url=self.page_url(page_ids[index + 1]) if index + 1 < len(page_ids) else None,
            revisions=self.page.text_revisions.select_related("created_by").order_by("-created_at", "-id")[
                :REVISIONS_SHOWN
            ],
        )
        return context


class RevisionView(PageTextMixin, TemplateView):
    """One earlier revision, what differs from the current text, and restoring it."""

    template_name = "collections_app/admin/text_revision.html"

    def dispatch(self, request, *args, **kwargs):
        self.revision_pk = kwargs["revision"]
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def revision(self):
        revisions = PageTextRevision.objects.select_related("created_by")
        return get_object_or_404(revisions, pk=self.revision_pk, page=self.page)

    def get_page_title(self):
        return _("Phiên bản nội dung trang %(number)s") % {"number": self.page.number}

    def post(self, request, *args, **kwargs):
        revision = self.revision
        if normalize_text(revision.text) == normalize_text(self.page.text):
            messages.info(request, _("Phiên bản này trùng với nội dung hiện tại; không cần khôi phục."))
            return redirect(self.page_url())
        machine = revision.source != TextSource.CORRECTION
        set_page_text(
            self.page,
            revision.text,
            source=revision.source if machine else TextSource.CORRECTION,
            confidence=revision.confidence if machine else None,
            user=request.user,
        )
        log(
            self.page,
            "collections_app.page_text.restore",
            user=request.user,
            data={
                "number": self.page.number,
                "scan": self.scan.original_name,
                "revision": revision.pk,
                "revision_at": when(revision.created_at),
            },
        )
        messages.success(
            request,
            _("Đã khôi phục phiên bản lúc %(when)s làm nội dung hiện tại của trang %(number)s.")
            % {"when": when(revision.created_at), "number": self.page.number},
        )
        return redirect(self.page_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        revision = self.revision
        context.update(
            page=self.page,
            revision=revision,
            is_current=normalize_text(revision.text) == normalize_text(self.page.text),
            diff=word_diff(self.page.text, revision.text),
            can_edit=self.can_edit,
            page_url=self.page_url(),
        )
        return context


urlpatterns = [
    path("<int:pk>/", PageTextView.as_view(), name="page"),
    path("<int:pk>/revisions/<int:revision>/", RevisionView.as_view(), name="revision"),
]


@hooks.register("register_admin_urls")
def register_page_text_urls():
    return [path("scan-text/", include((urlpatterns, "page_text"), namespace="page_text"))]


@hooks.register("register_log_actions")
def register_page_text_log_actions(actions):
    @actions.register_action("collections_app.page_text.correct")
    class CorrectAction(LogFormatter):
        label = gettext_lazy("Hiệu đính nội dung trang")

        def format_message(self, log_entry):
            return _("Đã hiệu đính nội dung trang %(number)s của “%(scan)s”") % {
                "number": log_entry.data.get("number", "?"),
                "scan": log_entry.data.get("scan", ""),
            }

    @actions.register_action("collections_app.page_text.restore")
    class RestoreAction(LogFormatter):
        label = gettext_lazy("Khôi phục phiên bản nội dung trang")

        def format_message(self, log_entry):
            return _("Đã khôi phục phiên bản lúc %(when)s của trang %(number)s") % {
                "when": log_entry.data.get("revision_at", ""),
                "number": log_entry.data.get("number", "?"),
            }
