"""Digitization in the admin: plans per fonds, their batches, the page-by-page quality check, progress.

Everything is confined to the archives of the signed-in user: another archive's plans, batches
and figures answer "not found". Reading-room staff see the plans and progress; archivists and
leaders (and national administrators) also change them and run the quality check.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import LogFormatter
from wagtail.models import ModelLogEntry
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from .. import access
from ..file_serving import stored_file_url
from ..models import (
    NATIONAL_ADMIN_GROUP,
    NATIONAL_DIGITIZATION_DEADLINE,
    BatchStatus,
    Category,
    DigitizationBatch,
    DigitizationPlan,
    Document,
    Fonds,
    OcrMode,
    QualityCheck,
    RecordFile,
    ScanPage,
)
from ..views import ScopedHistoryView, ScopedUsageView
from . import digitization
from .digitization import BatchError, can_manage, managed_archive_ids
from .text import record_pages

SCANS_PER_PAGE = 50
LOG_ENTRIES_SHOWN = 30


# Who may do what ----------------------------------------------------------------------------------------


class DigitizationPlanPolicy(BasePermissionPolicy):
    """Any staff of an archive sees its plans; archivists and leaders change them."""

    def user_has_permission(self, user, action):
        if not (user.is_authenticated and user.is_active):
            return False
        if access.is_national_admin(user):
            return True
        if action == "view":
            return bool(access.staff_archive_ids(user))
        return bool(managed_archive_ids(user))

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "view":
            return access.is_staff_of(user, instance.archive_id)
        return self.user_has_permission(user, action) and can_manage(user, instance.archive_id)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_permission_for(self, user, action):
        if action == "view":
            return access.admin_queryset(user, self.model)
        return managed_plans(user)

    def instances_user_has_any_permission_for(self, user, actions):
        if "view" in actions:
            return access.admin_queryset(user, self.model)
        return managed_plans(user)

    def users_with_any_permission(self, actions):
        staff = Q(is_superuser=True) | Q(groups__name=NATIONAL_ADMIN_GROUP)
        staff |= Q(groups__archive_role__isnull=False)
        return get_user_model().objects.filter(is_active=True).filter(staff).distinct()


register_permission_policy(DigitizationPlan, DigitizationPlanPolicy(DigitizationPlan))


def managed_plans(user):
    plans = DigitizationPlan.objects.all()
    if access.is_national_admin(user):
        return plans
    return plans.filter(archive_id__in=managed_archive_ids(user))


def plannable_fonds(user):
    fonds = Fonds.objects.select_related("archive").order_by("archive__name", "code")
    if access.is_national_admin(user):
        return fonds
    return fonds.filter(archive_id__in=managed_archive_ids(user))


def visible_batch(user, pk, manage=False):
    """A batch of the user's archives (404 otherwise); ``manage`` also requires an archivist or leader."""
    batch = get_object_or_404(DigitizationBatch.objects.select_related("plan__fonds", "plan__archive"), pk=pk)
    if not access.is_staff_of(user, batch.plan.archive_id):
        raise Http404
    if manage and not can_manage(user, batch.plan.archive_id):
        raise PermissionDenied
    return batch


def plan_url(plan):
    return reverse("digitization:inspect", args=[plan.pk])


def batch_url(batch):
    return reverse("digitization:batch", args=[batch.pk])


def page_image_url(page):
    """The checked URL of the page image, or None while the page has no image yet."""
    if not page.image:
        return None
    try:
        return stored_file_url(page.digital_object, page.image.name)
    except ValueError:
        return None


# Plans ----------------------------------------------------------------------------------------------------


class DigitizationPlanForm(WagtailAdminModelForm):
    """The fonds is chosen among the user's archives' fonds that have no plan yet, and then kept."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        fonds_field = self.fields["fonds"]
        if self.instance.pk:
            fonds_field.disabled = True
            fonds_field.queryset = Fonds.objects.filter(pk=self.instance.fonds_id)
            fonds_field.help_text = _(
                "Không đổi được phông của kế hoạch đã lập; hãy lập kế hoạch mới cho phông khác."
            )
        else:
            queryset = plannable_fonds(for_user) if for_user else Fonds.objects.none()
            fonds_field.queryset = queryset.filter(digitization_plan__isnull=True)
            fonds_field.error_messages["invalid_choice"] = _(
                "Phông này không thuộc cơ quan lưu trữ bạn phụ trách hoặc đã có kế hoạch số hóa. "
                "Mở kế hoạch đã có trong danh sách “Kế hoạch số hóa” để sửa."
            )
            self.fields["priority_categories"].initial = list(
                Category.objects.filter(is_priority=True).values_list("pk", flat=True)
            )

    def clean_pages_planned(self):
        pages = self.cleaned_data["pages_planned"]
        if pages is not None and pages < 1:
            raise forms.ValidationError(
                _(
                    "Số trang cần số hóa phải lớn hơn 0: ước tính theo số tờ, số trang của các hồ sơ "
                    "trong phông."
                )
            )
        return pages

    def clean(self):
        cleaned = super().clean()
        fonds = cleaned.get("fonds")
        if fonds is not None:
            # The admin view saves ``form.instance`` itself, so the archive is set here.
            self.instance.archive_id = fonds.archive_id
        return cleaned


class PlanIndexView(IndexView):
    def get_base_queryset(self):
        return access.admin_queryset(self.request.user, DigitizationPlan).select_related("fonds", "archive")


class PlanCreateView(CreateView):
    def get_initial(self):
        initial = super().get_initial()
        fonds_pk = self.request.GET.get("fonds", "")
        if fonds_pk.isdigit() and plannable_fonds(self.request.user).filter(pk=fonds_pk).exists():
            initial["fonds"] = int(fonds_pk)
        return initial

    def get_success_url(self):
        return plan_url(self.object)


class ManagedPlanMixin:
    def get_queryset(self):
        return managed_plans(self.request.user).select_related("fonds", "archive")


class PlanEditView(ManagedPlanMixin, EditView):
    def get_success_url(self):
        return plan_url(self.object)


class PlanDeleteView(ManagedPlanMixin, DeleteView):
    """A plan with batches is not deleted: the batches record whose scans were checked."""

    def form_valid(self, form):
        if self.object.batches.exists():
            messages.error(
                self.request,
                _(
                    "Không xóa được kế hoạch “%(plan)s” vì đã có lô số hóa. Hãy sửa kế hoạch (số trang, "
                    "hạn) thay vì xóa."
                )
                % {"plan": self.object},
            )
            return redirect(plan_url(self.object))
        return super().form_valid(form)


class PlanInspectView(InspectView):
    """The plan's page: its figures, its batches and the form to open a new batch."""

    template_name = "collections_app/admin/digitization_plan.html"
    page_title = gettext_lazy("Tổng quan")

    def get_object(self, queryset=None):
        plans = access.admin_queryset(self.request.user, DigitizationPlan).select_related("fonds", "archive")
        return get_object_or_404(plans, pk=unquote(str(self.pk)))

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                _("Tiến độ số hóa của phông"),
                url=reverse("digitization:progress_fonds", args=[self.object.fonds_id]),
                icon_name="table",
                priority=5,
            )
        )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = self.object
        batches = list(plan.batches.all())
        counts = digitization.counts_per_batch(batches)
        waiting = set(digitization.waiting_batches(plan.batches.all()).values_list("pk", flat=True))
        context.update(
            batch_rows=[(batch, counts.get(batch.pk, {}), batch.pk in waiting) for batch in batches],
            can_manage=can_manage(self.request.user, plan.archive_id),
            batch_form=BatchForm(),
            unbatched_count=digitization.unbatched_scans(plan).count(),
            progress=digitization.fonds_progress(plan.fonds),
            qc_wait_days=digitization.qc_wait_days(),
        )
        return context


class DigitizationPlanViewSet(ModelViewSet):
    model = DigitizationPlan
    name = "digitization"
    icon = "doc-full"
    menu_label = gettext_lazy("Kế hoạch số hóa")
    menu_order = 160
    add_to_admin_menu = True
    index_view_class = PlanIndexView
    add_view_class = PlanCreateView
    edit_view_class = PlanEditView
    delete_view_class = PlanDeleteView
    inspect_view_class = PlanInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    inspect_view_enabled = True
    copy_view_enabled = False
    search_backend_name = None
    search_fields = ["fonds__code", "fonds__name"]
    ordering = ["deadline", "fonds__code"]
    inspect_view_fields = ["archive", "fonds", "pages_planned", "deadline", "priority_categories", "notes"]
    edit_handler = ObjectList(
        [
            FieldPanel("fonds"),
            FieldRowPanel([FieldPanel("pages_planned"), FieldPanel("deadline")]),
            FieldPanel("priority_categories", widget=forms.CheckboxSelectMultiple),
            FieldPanel("notes"),
        ],
        base_form_class=DigitizationPlanForm,
    )

    @property
    def list_display(self):
        return [
            TitleColumn("fonds", label=_("Phông"), get_url=plan_url),
            Column("archive", label=_("Cơ quan lưu trữ")),
            Column("pages_planned", label=_("Số trang cần số hóa")),
            Column("deadline", label=_("Hạn hoàn thành")),
            TitleColumn(
                "progress",
                label=_("Tiến độ"),
                accessor=lambda plan: _("Xem tiến độ"),
                get_url=lambda plan: reverse("digitization:progress_fonds", args=[plan.fonds_id]),
            ),
        ]

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("plan/<int:pk>/batches/new/", batch_create_view, name="batch_add"),
            path("batches/<int:pk>/", BatchView.as_view(), name="batch"),
            path("batches/<int:pk>/qc/", QualityCheckView.as_view(), name="qc"),
            path("progress/", ProgressIndexView.as_view(), name="progress"),
            path("progress/archive/<int:pk>/", ArchiveProgressView.as_view(), name="progress_archive"),
            path("progress/fonds/<int:pk>/", FondsProgressView.as_view(), name="progress_fonds"),
        ]


# Batches --------------------------------------------------------------------------------------------------


class BatchForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Tên lô"), max_length=100)
    ocr_mode = forms.ChoiceField(
        label=gettext_lazy("Cách nhận dạng chữ"), choices=OcrMode.choices, initial=OcrMode.SKIP_TEXT
    )


def batch_create_view(request, pk):
    plan = get_object_or_404(access.admin_queryset(request.user, DigitizationPlan), pk=pk)
    if not can_manage(request.user, plan.archive_id):
        raise PermissionDenied
    if request.method != "POST":
        return redirect(plan_url(plan))
    form = BatchForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Chưa lập được lô: hãy nhập tên lô (tối đa 100 ký tự) và chọn cách nhận dạng chữ.")
        )
        return redirect(plan_url(plan))
    try:
        batch = digitization.create_batch(
            plan, form.cleaned_data["name"], form.cleaned_data["ocr_mode"], request.user
        )
    except BatchError as error:
        messages.error(request, error.messages[0])
        return redirect(plan_url(plan))
    messages.success(request, _("Đã lập lô “%(batch)s”. Hãy gán bản quét vào lô.") % {"batch": batch})
    return redirect(batch_url(batch))


class DigitizationView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "doc-full"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + self.trail()

    def trail(self):
        return []

    def plan_trail(self, plan):
        return [
            {"url": reverse("digitization:index"), "label": _("Kế hoạch số hóa")},
            {"url": plan_url(plan), "label": str(plan.fonds)},
        ]


class BatchView(DigitizationView):
    """A batch: its scans, assigning the fonds' unbatched scans, sending it to the quality check."""

    template_name = "collections_app/admin/digitization_batch.html"

    def dispatch(self, request, *args, **kwargs):
        self.batch = visible_batch(request.user, kwargs["pk"], manage=request.method == "POST")
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Lô số hóa “%(batch)s”") % {"batch": self.batch}

    def trail(self):
        return self.plan_trail(self.batch.plan) + [{"url": "", "label": str(self.batch)}]

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        try:
            if action == "submit":
                digitization.submit_batch(self.batch, request.user)
                messages.success(
                    request, _("Đã gửi lô “%(batch)s” kiểm tra chất lượng.") % {"batch": self.batch}
                )
                return redirect(reverse("digitization:qc", args=[self.batch.pk]))
            if action in ("assign_selected", "assign_all"):
                self.assign(action)
            else:
                messages.error(request, _("Không rõ thao tác cần làm. Hãy bấm một trong các nút của trang."))
        except BatchError as error:
            messages.error(request, error.messages[0])
        return redirect(batch_url(self.batch))

    def assign(self, action):
        scans = digitization.unbatched_scans(self.batch.plan)
        if action == "assign_selected":
            ids = [value for value in self.request.POST.getlist("scans") if value.isdigit()]
            if not ids:
                messages.error(
                    self.request, _("Chưa chọn bản quét nào. Hãy đánh dấu các bản quét cần gán vào lô.")
                )
                return
            scans = scans.filter(pk__in=ids)
        assigned = digitization.assign_scans(self.batch, scans, self.request.user)
        if assigned:
            messages.success(
                self.request,
                _("Đã gán %(count)s bản quét vào lô “%(batch)s”.") % {"count": assigned, "batch": self.batch},
            )
        else:
            messages.warning(
                self.request, _("Không có bản quét nào được gán: các bản quét đã thuộc lô khác.")
            )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.batch
        scans = (
            batch.digital_objects.select_related("document", "record_file")
            .annotate(
                first_page=first_page_id(),
                page_total=Count("pages"),
                rejected_pages=Count("pages", filter=Q(pages__qc_status=QualityCheck.REJECTED)),
            )
            .order_by("created_at", "pk")
        )
        scans_page = Paginator(scans, SCANS_PER_PAGE).get_page(self.request.GET.get("p"))
        unbatched = digitization.unbatched_scans(batch.plan).select_related("document", "record_file")
        manage = can_manage(self.request.user, batch.plan.archive_id)
        context.update(
            batch=batch,
            counts=digitization.batch_counts(batch),
            scans_page=scans_page,
            unbatched=list(unbatched.order_by("created_at", "pk")[:SCANS_PER_PAGE]) if manage else [],
            unbatched_count=unbatched.count(),
            can_manage=manage,
            can_submit=manage and batch.status in (BatchStatus.SCANNING, BatchStatus.RETURNED),
            can_check=batch.status in digitization.QC_OPEN_STATUSES,
            can_assign=manage and batch.status != BatchStatus.ACCEPTED,
            waiting=digitization.waiting_batches(DigitizationBatch.objects.filter(pk=batch.pk)).exists(),
            qc_wait_days=digitization.qc_wait_days(),
            log_entries=batch_log(batch),
        )
        return context


def first_page_id():
    """The first page of each scan, to open the text viewer from a list of scans."""
    first = ScanPage.objects.filter(digital_object=OuterRef("pk")).order_by("number").values("pk")[:1]
    return Subquery(first)


def batch_log(batch):
    return list(ModelLogEntry.objects.for_instance(batch).select_related("user")[:LOG_ENTRIES_SHOWN])


class QualityCheckView(DigitizationView):
    """Page by page: the page image, pass or reject with a note, or pass every remaining page."""

    template_name = "collections_app/admin/digitization_qc.html"

    def dispatch(self, request, *args, **kwargs):
        self.batch = visible_batch(request.user, kwargs["pk"], manage=request.method == "POST")
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Kiểm tra chất lượng lô “%(batch)s”") % {"batch": self.batch}

    def trail(self):
        return self.plan_trail(self.batch.plan) + [
            {"url": batch_url(self.batch), "label": str(self.batch)},
            {"url": "", "label": _("Kiểm tra chất lượng")},
        ]

    def pages(self):
        return digitization.batch_pages(self.batch).order_by("digital_object_id", "number")

    def current_page(self):
        pages = self.pages().select_related(
            "digital_object__document", "digital_object__record_file", "qc_by"
        )
        requested = self.request.GET.get("page", "")
        if requested.isdigit():
            page = pages.filter(pk=requested).first()
            if page is not None:
                return page
        return pages.filter(qc_status=QualityCheck.PENDING).first() or pages.first()

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        try:
            if action == "pass_remaining":
                batch, count = digitization.pass_remaining(self.batch, request.user)
                messages.success(request, _("Đã đánh dấu đạt %(count)s trang còn lại.") % {"count": count})
                self.announce(batch)
                return redirect(batch_url(batch))
            if action in ("pass", "reject"):
                return self.decide(action == "pass")
            messages.error(request, _("Không rõ thao tác cần làm. Hãy bấm “Đạt” hoặc “Không đạt”."))
        except BatchError as error:
            messages.error(request, error.messages[0])
            page = request.POST.get("page", "")
            if page.isdigit():
                return redirect(f"{reverse('digitization:qc', args=[self.batch.pk])}?page={page}")
        return redirect(reverse("digitization:qc", args=[self.batch.pk]))

    def decide(self, passed):
        page_pk = self.request.POST.get("page", "")
        if not page_pk.isdigit():
            raise Http404
        page = get_object_or_404(self.pages(), pk=page_pk)
        batch, page = digitization.decide_page(
            self.batch, page, passed, self.request.POST.get("note", ""), self.request.user
        )
        if passed:
            messages.success(self.request, _("Trang %(number)s: đạt.") % {"number": page.number})
        else:
            messages.warning(
                self.request,
                _("Trang %(number)s: không đạt. Bản quét “%(scan)s” cần quét lại; lô đã được trả lại.")
                % {"number": page.number, "scan": page.digital_object},
            )
        self.announce(batch)
        following = self.pages().filter(qc_status=QualityCheck.PENDING)
        after = (
            following.filter(
                Q(digital_object_id__gt=page.digital_object_id)
                | Q(digital_object_id=page.digital_object_id, number__gt=page.number)
            ).first()
            or following.first()
        )
        if after is None:
            return redirect(batch_url(batch))
        return redirect(f"{reverse('digitization:qc', args=[batch.pk])}?page={after.pk}")

    def announce(self, batch):
        if batch.status == BatchStatus.ACCEPTED:
            messages.success(
                self.request, _("Mọi trang đều đạt: lô “%(batch)s” đã được nghiệm thu.") % {"batch": batch}
            )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = self.current_page()
        pages = self.pages()
        context.update(
            batch=self.batch,
            counts=digitization.batch_counts(self.batch),
            page=page,
            can_check=self.batch.status in digitization.QC_OPEN_STATUSES
            and can_manage(self.request.user, self.batch.plan.archive_id),
            rejected_pages=pages.filter(qc_status=QualityCheck.REJECTED).select_related("digital_object"),
        )
        if page is not None:
            before = Q(digital_object_id__lt=page.digital_object_id) | Q(
                digital_object_id=page.digital_object_id, number__lt=page.number
            )
            context.update(
                image_url=page_image_url(page),
                record=page.digital_object.record,
                position=pages.filter(before).count() + 1,
                previous_page=pages.filter(before).last(),
                next_page=pages.exclude(before).exclude(pk=page.pk).first(),
                text_url=reverse("page_text:page", args=[page.pk]),
            )
        return context


# Progress -------------------------------------------------------------------------------------------------


class ProgressIndexView(DigitizationView):
    template_name = "collections_app/admin/digitization_progress_index.html"
    page_title = gettext_lazy("Tiến độ số hóa")

    def dispatch(self, request, *args, **kwargs):
        self.archives = list(access.admin_archives(request.user).order_by("name"))
        if not self.archives:
            raise PermissionDenied
        if len(self.archives) == 1:
            return redirect(reverse("digitization:progress_archive", args=[self.archives[0].pk]))
        return super().dispatch(request, *args, **kwargs)

    def trail(self):
        return [{"url": "", "label": _("Tiến độ số hóa")}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["summaries"] = digitization.archives_summary(self.archives)
        context["deadline_info"] = national_deadline_context()
        return context


def national_deadline_context():
    days_left = (NATIONAL_DIGITIZATION_DEADLINE - timezone.localdate()).days
    return {"deadline": NATIONAL_DIGITIZATION_DEADLINE, "days_left": days_left, "days_overdue": -days_left}


class ArchiveProgressView(DigitizationView):
    template_name = "collections_app/admin/digitization_progress_archive.html"

    def dispatch(self, request, *args, **kwargs):
        self.archive = get_object_or_404(access.admin_archives(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Tiến độ số hóa – %(archive)s") % {"archive": self.archive}

    def trail(self):
        return [
            {"url": reverse("digitization:progress"), "label": _("Tiến độ số hóa")},
            {"url": "", "label": str(self.archive)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            progress=digitization.archive_progress(self.archive),
            deadline_info=national_deadline_context(),
            rules=lateness_rules(),
            can_add_plan=can_manage(self.request.user, self.archive.pk),
        )
        return context


def lateness_rules():
    return {
        "overdue": _(
            "Trễ hạn: đã qua hạn hoàn thành của kế hoạch mà số trang đạt kiểm tra chất lượng chưa đủ số "
            "trang kế hoạch."
        ),
        "projected": _(
            "Dự kiến trễ: còn trong hạn, nhưng với tốc độ quét trung bình từ ngày lập kế hoạch (tính khi "
            "kế hoạch đã lập ít nhất %(days)s ngày), đến hạn sẽ không quét đủ số trang kế hoạch."
        )
        % {"days": digitization.PROJECTION_MIN_DAYS},
        "waiting": _("Lô chờ kiểm tra quá %(days)s ngày kể từ khi gửi kiểm tra chất lượng.")
        % {"days": digitization.qc_wait_days()},
    }


class FondsProgressView(DigitizationView):
    template_name = "collections_app/admin/digitization_progress_fonds.html"

    def dispatch(self, request, *args, **kwargs):
        fonds = access.admin_queryset(request.user, Fonds).select_related("archive")
        self.fonds = get_object_or_404(fonds, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Tiến độ số hóa phông %(fonds)s") % {"fonds": self.fonds}

    def trail(self):
        return [
            {"url": reverse("digitization:progress"), "label": _("Tiến độ số hóa")},
            {
                "url": reverse("digitization:progress_archive", args=[self.fonds.archive_id]),
                "label": str(self.fonds.archive),
            },
            {"url": "", "label": str(self.fonds)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        progress = digitization.fonds_progress(self.fonds)
        plan_batches = DigitizationBatch.objects.filter(plan__fonds=self.fonds)
        batches = list(plan_batches)
        counts = digitization.counts_per_batch(batches)
        waiting = set(digitization.waiting_batches(plan_batches).values_list("pk", flat=True))
        rescan = (
            digitization.rescan_objects(digitization.fonds_scans(self.fonds))
            .annotate(first_page=first_page_id())
            .select_related("batch", "document", "record_file")
        )
        rescan_page = Paginator(rescan.order_by("pk"), SCANS_PER_PAGE).get_page(self.request.GET.get("p"))
        context.update(
            progress=progress,
            batch_rows=[(batch, counts.get(batch.pk, {}), batch.pk in waiting) for batch in batches],
            rescan_page=rescan_page,
            unbatched_count=digitization.unbatched_scans(progress.plan).count() if progress.plan else 0,
            deadline_info=national_deadline_context(),
            rules=lateness_rules(),
            can_manage=can_manage(self.request.user, self.fonds.archive_id),
        )
        return context


class ProgressPanel(Component):
    """Dashboard panel: the digitization of the user's archives at a glance."""

    name = "digitization_progress"
    order = 90
    template_name = "collections_app/admin/digitization_dashboard_panel.html"

    def __init__(self, summaries):
        self.summaries = summaries

    def get_context_data(self, parent_context):
        return {
            "summaries": self.summaries,
            "deadline_info": national_deadline_context(),
            "progress_url": reverse("digitization:progress"),
        }


# Registration -------------------------------------------------------------------------------------------


@hooks.register("register_admin_viewset")
def register_digitization_viewset():
    return DigitizationPlanViewSet()


class ProgressMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_national_admin(request.user) or bool(access.staff_archive_ids(request.user))


@hooks.register("register_admin_menu_item")
def register_progress_menu_item():
    return ProgressMenuItem(
        gettext_lazy("Tiến độ số hóa"), reverse("digitization:progress"), icon_name="table", order=161
    )


@hooks.register("construct_homepage_panels")
def add_progress_panel(request, panels):
    user = request.user
    if not (access.is_national_admin(user) or access.staff_archive_ids(user)):
        return
    summaries = digitization.archives_summary(list(access.admin_archives(user).order_by("name")))
    if summaries:
        panels.append(ProgressPanel(summaries))


QC_ACTIONS = {
    "collections_app.digitization.assign": (
        gettext_lazy("Gán bản quét vào lô"),
        gettext_lazy("Đã gán %(count)s bản quét vào lô"),
    ),
    "collections_app.digitization.submit": (
        gettext_lazy("Gửi kiểm tra chất lượng"),
        gettext_lazy("Đã gửi lô kiểm tra chất lượng"),
    ),
    "collections_app.digitization.qc_pass": (
        gettext_lazy("Trang đạt kiểm tra chất lượng"),
        gettext_lazy("Trang %(number)s của “%(scan)s”: đạt"),
    ),
    "collections_app.digitization.qc_reject": (
        gettext_lazy("Trang không đạt, cần quét lại"),
        gettext_lazy("Trang %(number)s của “%(scan)s”: không đạt – %(note)s"),
    ),
    "collections_app.digitization.qc_pass_remaining": (
        gettext_lazy("Đạt tất cả trang còn lại"),
        gettext_lazy("Đã đánh dấu đạt %(count)s trang còn lại"),
    ),
    "collections_app.digitization.return": (
        gettext_lazy("Trả lại lô để quét lại"),
        gettext_lazy("Lô được trả lại: %(rejected)s trang không đạt"),
    ),
    "collections_app.digitization.accept": (
        gettext_lazy("Nghiệm thu lô"),
        gettext_lazy("Lô được nghiệm thu: %(pages)s trang đều đạt"),
    ),
}


class QualityCheckFormatter(LogFormatter):
    template = ""

    def format_message(self, log_entry):
        try:
            return self.template % log_entry.data
        except (KeyError, TypeError, ValueError):
            return str(self.label)


@hooks.register("register_log_actions")
def register_digitization_log_actions(actions):
    for action, (label, template) in QC_ACTIONS.items():
        formatter = type(
            "QualityCheckAction", (QualityCheckFormatter,), {"label": label, "template": template}
        )
        actions.register_action(action)(formatter)


def digitization_buttons(user, record):
    """Header buttons of an inspect page: a fonds' progress, a scanned record's page text viewer."""
    if not access.is_staff_of(user, record.archive_id):
        return []
    if isinstance(record, Fonds):
        url = reverse("digitization:progress_fonds", args=[record.pk])
        return [Button(_("Tiến độ số hóa"), url=url, icon_name="table", priority=35)]
    if isinstance(record, RecordFile | Document):
        first_page = record_pages(record).values_list("pk", flat=True).first()
        if first_page is not None:
            url = reverse("page_text:page", args=[first_page])
            return [
                Button(_("Đọc, hiệu đính chữ các trang quét"), url=url, icon_name="doc-full", priority=36)
            ]
    return []
