"""The merger in the admin, step by step, for leaders of the merged archive and national administrators.

Choose the former archives → the dry-run report (HTML, CSV, PDF) → ring-fence them → run (a task,
progress shown) → resume when interrupted → the verified result, and on to the handover record.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, include, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from .. import access
from ..models import Archive, MergeRun, MergeStatus, MergeStepStatus
from . import freeze, merge_report, merger

NAMESPACE = "merges"
RESUMABLE = (MergeStatus.RUNNING, MergeStatus.INTERRUPTED, MergeStatus.FAILED, MergeStatus.VERIFYING)
# Runs that have moved nothing yet (checked again against their steps).
CANCELLABLE = (MergeStatus.PLANNING, MergeStatus.PLANNED, MergeStatus.FROZEN)


def may_merge(user):
    return access.is_national_admin(user) or bool(access.led_archive_ids(user))


def destinations(user):
    if access.is_national_admin(user):
        return Archive.objects.filter(is_active=True)
    return Archive.objects.filter(pk__in=access.led_archive_ids(user), is_active=True)


def run_or_404(request, pk):
    run = get_object_or_404(MergeRun.objects.select_related("into"), pk=pk)
    if not access.is_leader_of(request.user, run.into_id):
        raise PermissionDenied
    return run


class MergeStartForm(forms.Form):
    into = forms.ModelChoiceField(
        label=gettext_lazy("Cơ quan lưu trữ nhận (tỉnh hợp nhất)"), queryset=Archive.objects.none()
    )
    sources = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Cơ quan lưu trữ giao (tỉnh cũ)"),
        queryset=Archive.objects.filter(is_active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Chọn một hoặc nhiều cơ quan lưu trữ có tài liệu chuyển vào tỉnh hợp nhất."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = destinations(user).order_by("name")

    def clean(self):
        cleaned = super().clean()
        into, sources = cleaned.get("into"), cleaned.get("sources")
        if into and sources:
            try:
                merger.check_sources(list(sources), into)
            except merger.MergeError as error:
                raise forms.ValidationError(str(error)) from error
        return cleaned


class FreezeForm(forms.Form):
    until = forms.DateField(
        label=gettext_lazy("Khoanh giữ đến ngày (dự kiến)"),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label=gettext_lazy("Lý do khoanh giữ"), max_length=300, required=False)

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until and until < datetime.date.today():
            raise forms.ValidationError(
                _("Ngày kết thúc khoanh giữ đã qua. Chọn một ngày từ hôm nay trở đi.")
            )
        return until


def index_view(request):
    if not may_merge(request.user):
        raise PermissionDenied
    runs = MergeRun.objects.select_related("into").prefetch_related("sources")
    if not access.is_national_admin(request.user):
        runs = runs.filter(into_id__in=access.led_archive_ids(request.user))
    return TemplateResponse(
        request,
        "collections_app/transfers/merge_index.html",
        {
            "page_title": _("Hợp nhất kho lưu trữ"),
            "runs": [(run, reverse(f"{NAMESPACE}:run", args=[run.pk])) for run in runs[:100]],
            "new_url": reverse(f"{NAMESPACE}:new"),
        },
    )


def new_view(request):
    if not may_merge(request.user):
        raise PermissionDenied
    form = MergeStartForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            run = merger.start_plan(
                list(form.cleaned_data["sources"]), form.cleaned_data["into"], user=request.user
            )
        except merger.MergeError as error:
            form.add_error(None, str(error))
        else:
            queue_plan(request, run)
            return redirect(reverse(f"{NAMESPACE}:run", args=[run.pk]))
    return TemplateResponse(
        request,
        "collections_app/transfers/merge_new.html",
        {"page_title": _("Bắt đầu hợp nhất"), "form": form, "index_url": reverse(f"{NAMESPACE}:index")},
    )


def queue_plan(request, run):
    merger.plan_run.enqueue(run.pk)
    run.refresh_from_db()
    if run.status == MergeStatus.PLANNED:
        messages.success(request, _("Đã chạy thử: xem báo cáo dưới đây trước khi khoanh giữ và chuyển."))
    elif run.status == MergeStatus.PLAN_FAILED:
        messages.error(request, run.message)
    else:
        messages.success(
            request,
            _("Đang chạy thử: kiểm kê và băm lại mọi tệp của các bên giao. Trang này tự cập nhật khi xong."),
        )


def handover_url(run):
    try:
        return f"{reverse('handover_create')}?merge_run={run.pk}"
    except NoReverseMatch:
        return None


def opening_changes(source):
    """The former archive's opening changes with each listed one in words, for the run's page."""
    changes = merge_report.opening_changes_of(source)
    listed = [(change, merge_report.opening_change_message(change)) for change in changes["listed"]]
    return {**changes, "listed": listed, "more": changes["earlier"] + changes["later"] - len(listed)}


def run_view(request, pk):
    run = run_or_404(request, pk)
    done, total = merger.progress(run)
    sources = run.report.get("sources", [])
    return TemplateResponse(
        request,
        "collections_app/transfers/merge_run.html",
        {
            "page_title": _("Đợt hợp nhất số %(run)s") % {"run": run.pk},
            "run": run,
            "sources": [
                (source, merge_report.source_rows(source), opening_changes(source)) for source in sources
            ],
            "level_labels": merge_report.level_labels(),
            "blocking": merger.blocking_conflicts(run),
            "steps": run.steps.select_related("source").order_by("pk"),
            "done": done,
            "total": total,
            "percent": int(100 * done / total) if total else 100,
            "running": run.status in (MergeStatus.PLANNING, MergeStatus.RUNNING, MergeStatus.VERIFYING),
            "has_report": bool(run.report),
            "can_cancel": run.status in CANCELLABLE,
            "can_freeze": run.status == MergeStatus.PLANNED and not merger.blocking_conflicts(run),
            "can_start": run.status == MergeStatus.FROZEN,
            "can_resume": run.status in RESUMABLE,
            "freeze_form": FreezeForm(),
            "handover_url": handover_url(run) if run.status == MergeStatus.DONE else None,
            "urls": {
                name: reverse(f"{NAMESPACE}:{name}", args=[run.pk])
                for name in ("freeze", "start", "resume", "csv", "pdf", "cancel")
            },
            "index_url": reverse(f"{NAMESPACE}:index"),
            "pending": MergeStepStatus.PENDING,
        },
    )


@require_POST
def freeze_view(request, pk):
    run = run_or_404(request, pk)
    form = FreezeForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(reverse(f"{NAMESPACE}:run", args=[run.pk]))
    try:
        changed = merger.freeze_run(
            run, until=form.cleaned_data["until"], reason=form.cleaned_data["reason"], in_background=True
        )
    except merger.MergeError as error:
        messages.error(request, str(error))
    else:
        report_freeze(request, run, changed)
    return redirect(reverse(f"{NAMESPACE}:run", args=[run.pk]))


def report_freeze(request, run, changed):
    run.refresh_from_db()
    if run.status == MergeStatus.PLANNING:
        messages.warning(
            request,
            _(
                "Tài liệu đã thay đổi từ lúc chạy thử: đã khoanh giữ và đang kiểm kê lại. Trang này tự cập "
                "nhật khi xong."
            ),
        )
    elif run.status != MergeStatus.FROZEN:
        messages.error(request, run.message)
    else:
        if changed:
            messages.warning(request, _("Tài liệu đã thay đổi từ lúc chạy thử: báo cáo đã được lập lại."))
        messages.success(request, _("Đã khoanh giữ tài liệu của các cơ quan lưu trữ giao: chỉ còn được xem."))


def queue_run(request, run):
    MergeRun.objects.filter(pk=run.pk).update(status=MergeStatus.RUNNING, message="")
    merger.run_merge.enqueue(run.pk)
    run.refresh_from_db()
    if run.status == MergeStatus.DONE:
        messages.success(request, _("Đã hợp nhất xong; số lượng và SHA-256 của mọi tệp trùng khớp."))
    elif run.status in (MergeStatus.FAILED, MergeStatus.INTERRUPTED):
        messages.error(request, run.message)
    else:
        messages.success(request, _("Đã bắt đầu chuyển. Trang này tự cập nhật tiến độ."))


@require_POST
def start_view(request, pk):
    run = run_or_404(request, pk)
    if run.status != MergeStatus.FROZEN:
        messages.error(request, _("Hãy khoanh giữ tài liệu trước khi chuyển."))
    else:
        queue_run(request, run)
    return redirect(reverse(f"{NAMESPACE}:run", args=[run.pk]))


@require_POST
def resume_view(request, pk):
    run = run_or_404(request, pk)
    if run.status not in RESUMABLE:
        messages.error(request, _("Đợt hợp nhất này không ở trạng thái chạy tiếp được."))
    else:
        queue_run(request, run)
    return redirect(reverse(f"{NAMESPACE}:run", args=[run.pk]))


@require_POST
def cancel_view(request, pk):
    """Only a run that has moved nothing may be cancelled; its sources are unfrozen."""
    run = run_or_404(request, pk)
    if run.status not in CANCELLABLE or run.steps.exclude(status=MergeStepStatus.PENDING).exists():
        messages.error(request, _("Chỉ hủy được đợt hợp nhất chưa chuyển phông nào."))
    else:
        MergeRun.objects.filter(pk=run.pk).update(status=MergeStatus.CANCELLED)
        merger.release_sources(run)
        messages.success(request, _("Đã hủy đợt hợp nhất; tài liệu không còn bị khoanh giữ."))
    return redirect(reverse(f"{NAMESPACE}:run", args=[run.pk]))


def without_report(request, run):
    """A redirect to the run's page when it has no report yet (its dry run is under way or failed)."""
    if run.report:
        return None
    messages.error(request, _("Đợt hợp nhất này chưa có báo cáo chạy thử."))
    return redirect(reverse(f"{NAMESPACE}:run", args=[run.pk]))


def csv_view(request, pk):
    run = run_or_404(request, pk)
    if refused := without_report(request, run):
        return refused
    response = HttpResponse(merge_report.as_csv(run), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hop-nhat-{run.pk}.csv"'
    return response


def pdf_view(request, pk):
    run = run_or_404(request, pk)
    if refused := without_report(request, run):
        return refused
    response = HttpResponse(merge_report.as_pdf(run), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="hop-nhat-{run.pk}.pdf"'
    return response


urlpatterns = [
    path("", index_view, name="index"),
    path("new/", new_view, name="new"),
    path("<int:pk>/", run_view, name="run"),
    path("<int:pk>/freeze/", freeze_view, name="freeze"),
    path("<int:pk>/start/", start_view, name="start"),
    path("<int:pk>/resume/", resume_view, name="resume"),
    path("<int:pk>/cancel/", cancel_view, name="cancel"),
    path("<int:pk>/report.csv", csv_view, name="csv"),
    path("<int:pk>/report.pdf", pdf_view, name="pdf"),
]


@hooks.register("register_admin_urls")
def register_merge_urls():
    return [path("merges/", include((urlpatterns, NAMESPACE), namespace=NAMESPACE))]


class MergeMenuItem(MenuItem):
    def is_shown(self, request):
        return may_merge(request.user)


@hooks.register("register_admin_menu_item")
def register_merge_menu_item():
    return MergeMenuItem(
        gettext_lazy("Hợp nhất kho lưu trữ"),
        reverse(f"{NAMESPACE}:index"),
        name="merges",
        icon_name="resubmit",
        order=900,
    )


class FrozenArchivesPanel(Component):
    """Dashboard panel: the user's archives that are ring-fenced, why and until when."""

    name = "frozen_archives"
    order = 50
    template_name = "collections_app/transfers/merge_frozen_panel.html"

    def __init__(self, notices):
        self.notices = notices

    def get_context_data(self, parent_context):
        return {"notices": self.notices}


@hooks.register("construct_homepage_panels")
def add_frozen_archives_panel(request, panels):
    notices = [
        freeze.frozen_message(archive)
        for archive in freeze.frozen_archives(access.admin_archives(request.user).values("pk"))
    ]
    if notices:
        panels.append(FrozenArchivesPanel(notices))
