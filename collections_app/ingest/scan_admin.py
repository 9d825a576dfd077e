"""Scan intake in the admin: upload scans to a file or document, list an archive's scans, retry failures.

- ``scans:upload`` (reached from a file's or document's inspect page): several files at once, one
  result per file (stored, duplicate with a link to what it duplicates, refused with the reason).
- ``scans:index``: the "Bản số hóa" listing of the user's archives, filtered by state, stage (text,
  then images and PDF/A) and archive, with a retry button on failed rows and ``scans:retry_failed``
  to retry every failed scan at once.
Only staff of a record's archive who may change it can upload; only staff of an archive see its scans.
"""

import logging

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Count
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.permissions import policy_registry

from .. import access
from ..admin_urls import listing_urlpatterns
from ..file_serving import stored_file_url
from ..models import (
    Archive,
    DigitalObject,
    DigitizationBatch,
    Document,
    OcrMode,
    ProcessingStage,
    ProcessingState,
    RecordFile,
)
from ..transfers import freeze
from .scans import SCAN_ACCEPT, IntakeResult, Status, ingest_scan_file

logger = logging.getLogger(__name__)

RECORD_MODELS = {"recordfile": RecordFile, "document": Document}
NAMESPACE = "scans"


# --- Who may do what ----------------------------------------------------------------------------------


def has_any_archive(user):
    return access.is_national_admin(user) or bool(access.staff_archive_ids(user))


def may_upload(user, record):
    """Staff of the record's archive who may change the record (archivists, leaders)."""
    policy = policy_registry.get_by_type(type(record))
    return access.is_staff_of(user, record.archive_id) and policy.user_has_permission_for_instance(
        user, "change", record
    )


def scans_in_scope(user):
    """The scans of ``user``'s archives, less those of records in the recycle bin."""
    queryset = DigitalObject.objects.select_related("archive", "document", "record_file").filter(
        document__deleted_at__isnull=True, record_file__deleted_at__isnull=True
    )
    if access.is_national_admin(user):
        return queryset
    return queryset.filter(archive_id__in=access.staff_archive_ids(user))


# --- Links ----------------------------------------------------------------------------------------------


def upload_url(record):
    return reverse(f"{NAMESPACE}:upload", args=[record._meta.model_name, record.pk])


def record_inspect_url(record):
    return reverse(f"{record._meta.model_name}:inspect", args=[record.pk])


def original_url(digital_object):
    return stored_file_url(digital_object, digital_object.file.name)


def warning_texts(digital_object):
    texts = []
    for warning in digital_object.quality_warnings or []:
        if isinstance(warning, dict):
            page = warning.get("page")
            text = warning.get("message") or warning.get("text") or ", ".join(map(str, warning.values()))
            texts.append(_("Trang %(page)s: %(text)s") % {"page": page, "text": text} if page else text)
        else:
            texts.append(str(warning))
    return texts


def scan_row(digital_object):
    return {
        "object": digital_object,
        "url": original_url(digital_object),
        "warnings": warning_texts(digital_object),
        "retry_url": reverse(f"{NAMESPACE}:retry", args=[digital_object.pk]),
        "failed": digital_object.state == ProcessingState.FAILED,
        "events_url": reverse("preservation_events:index") + f"?digital_object={digital_object.pk}",
    }


# --- Hooks for the description inspect page ----------------------------------------------------------


def upload_buttons(user, record):
    """The "upload scans" header button of a file's or document's inspect page."""
    if not isinstance(record, RecordFile | Document) or not may_upload(user, record):
        return []
    return [Button(_("Tải bản số hóa lên"), url=upload_url(record), icon_name="upload", priority=20)]


def record_scans_context(request, record):
    """The "Bản số hóa" section of a file's or document's inspect page."""
    if not isinstance(record, RecordFile | Document):
        return {}
    scans = record.digital_objects.select_related("archive", "document", "record_file").order_by(
        "created_at", "id"
    )
    return {
        "scans_section": True,
        "scan_rows": [scan_row(scan) for scan in scans],
        "scan_upload_url": upload_url(record) if may_upload(request.user, record) else None,
        "scan_next_url": request.get_full_path(),
    }


# --- Upload ------------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is judged by the intake, so an empty file is reported, not lost."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        return files


class ScanUploadForm(forms.Form):
    files = MultipleFileField(
        label=gettext_lazy("Tệp quét"),
        help_text=gettext_lazy(
            "Chọn một hoặc nhiều tệp PDF, TIFF, JPEG, PNG. Tệp trùng nội dung với tệp đã lưu sẽ không "
            "được lưu lại."
        ),
        error_messages={"required": gettext_lazy("Hãy chọn ít nhất một tệp quét.")},
        widget=MultipleFileInput(attrs={"accept": SCAN_ACCEPT}),
    )
    ocr_mode = forms.ChoiceField(
        label=gettext_lazy("Cách nhận dạng chữ với PDF đã có lớp chữ"),
        choices=[("", gettext_lazy("Theo lô số hóa (mặc định: giữ lớp chữ sẵn có)")), *OcrMode.choices],
        required=False,
    )
    batch = forms.ModelChoiceField(
        label=gettext_lazy("Lô số hóa"), queryset=DigitizationBatch.objects.none(), required=False
    )

    def __init__(self, *args, archive, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = DigitizationBatch.objects.filter(
            plan__archive=archive
        ).select_related("plan__fonds")


def upload_view(request, level, pk):
    model = RECORD_MODELS.get(level)
    if model is None:
        raise Http404
    record = get_object_or_404(model.objects.select_related("archive"), pk=pk)
    if not may_upload(request.user, record):
        messages.error(
            request,
            _(
                "Bạn không có quyền tải bản số hóa lên bản ghi này: chỉ lưu trữ viên, lãnh đạo của cơ "
                "quan lưu trữ giữ hồ sơ, tài liệu mới được tải lên."
            ),
        )
        return redirect("wagtailadmin_home")
    if refused := freeze.refusal(record.archive):
        messages.error(request, refused)
        return redirect(reverse(f"{level}:inspect", args=[record.pk]))
    posted = request.method == "POST"
    form = ScanUploadForm(
        request.POST if posted else None, request.FILES if posted else None, archive=record.archive
    )
    results = []
    if posted and form.is_valid():
        results = [
            result_row(upload_one(request, upload, record, form)) for upload in form.cleaned_data["files"]
        ]
        summarise_upload(request, results)
        form = ScanUploadForm(archive=record.archive)
    return TemplateResponse(
        request,
        "collections_app/admin/scan_upload.html",
        {
            "record": record,
            "form": form,
            "results": results,
            "page_title": _("Tải bản số hóa lên"),
            "inspect_url": record_inspect_url(record),
            **record_scans_context(request, record),
        },
    )


def upload_one(request, upload, record, form):
    try:
        return ingest_scan_file(
            upload,
            upload.name,
            record,
            user=request.user,
            batch=form.cleaned_data.get("batch"),
            ocr_mode=form.cleaned_data.get("ocr_mode") or None,
        )
    except (OSError, DatabaseError) as error:
        logger.exception("Scan upload of %s to %s failed", upload.name, record.reference_code)
        message = _(
            "Không lưu được tệp do lỗi của hệ thống lưu trữ (%(error)s); chưa có gì được ghi. Hãy thử lại "
            "sau, nếu vẫn lỗi hãy báo quản trị hệ thống."
        ) % {"error": error}
        return IntakeResult(upload.name, Status.REFUSED, message, record=record)
    finally:
        upload.close()


def result_row(result):
    row = {"result": result, "url": None, "record_url": None, "record_code": ""}
    if result.digital_object is not None:
        row["url"] = original_url(result.digital_object)
        row["record_url"] = record_inspect_url(result.digital_object.record)
        row["record_code"] = result.digital_object.record.reference_code
    return row


def summarise_upload(request, rows):
    counts = {status: 0 for status in (Status.STORED, Status.DUPLICATE, Status.REFUSED)}
    for row in rows:
        counts[row["result"].status] += 1
    text = _("Đã lưu %(stored)s tệp, trùng %(duplicate)s, từ chối %(refused)s.") % {
        "stored": counts[Status.STORED],
        "duplicate": counts[Status.DUPLICATE],
        "refused": counts[Status.REFUSED],
    }
    (messages.warning if counts[Status.REFUSED] else messages.success)(request, text)


# --- Retry ---------------------------------------------------------------------------------------------


def safe_next(request, default):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@require_POST
def retry_view(request, pk):
    """Queue a failed (or stuck) scan again; ``retry_processing`` leaves any other scan alone."""
    from collections_app.ingest.processing import retry_processing

    digital_object = get_object_or_404(scans_in_scope(request.user), pk=pk)
    back = safe_next(request, reverse(f"{NAMESPACE}:index"))
    if retry_processing(digital_object):
        messages.success(
            request, _("Đã đưa “%(name)s” vào hàng đợi xử lý lại.") % {"name": digital_object.original_name}
        )
    else:
        messages.info(
            request,
            _("“%(name)s” không bị lỗi hay bị treo (%(state)s) nên không cần xử lý lại.")
            % {"name": digital_object.original_name, "state": digital_object.get_state_display()},
        )
    return redirect(back)


def retry_failed_view(request):
    failed = scans_in_scope(request.user).filter(state=ProcessingState.FAILED)
    archive = access.admin_archives(request.user).filter(pk=request.GET.get("archive") or None).first()
    if archive is not None:
        failed = failed.filter(archive=archive)
    index_url = reverse(f"{NAMESPACE}:index")
    if request.method == "POST":
        from collections_app.ingest.processing import retry_processing

        # The ids first: each retry changes the state the listing is filtered on.
        ids = list(failed.order_by("id").values_list("pk", flat=True))
        count = sum(bool(retry_processing(scan)) for scan in DigitalObject.objects.filter(pk__in=ids))
        messages.success(
            request, _("Đã đưa %(count)s bản số hóa lỗi vào hàng đợi xử lý lại.") % {"count": count}
        )
        return redirect(index_url)
    return TemplateResponse(
        request,
        "collections_app/admin/scan_retry_failed.html",
        {
            "page_title": _("Xử lý lại các bản số hóa lỗi"),
            "archive": archive,
            "count": failed.count(),
            "by_archive": failed.values("archive__code", "archive__name").annotate(count=Count("id")),
            "index_url": index_url,
        },
    )


# --- Listing ----------------------------------------------------------------------------------------


def _user_archives(request):
    return access.admin_archives(request.user) if request else Archive.objects.none()


class ScanFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("Trạng thái xử lý"), choices=ProcessingState.choices
    )
    stage = django_filters.ChoiceFilter(label=gettext_lazy("Bước xử lý"), choices=ProcessingStage.choices)
    archive = django_filters.ModelChoiceFilter(label=gettext_lazy("Cơ quan lưu trữ"), queryset=_user_archives)

    class Meta:
        model = DigitalObject
        fields = ["state", "stage", "archive"]


class LinkColumn(Column):
    cell_template_name = "collections_app/admin/scan_link_cell.html"

    def __init__(self, name, get_url, **kwargs):
        super().__init__(name, **kwargs)
        self.get_url = get_url

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["link_url"] = self.get_url(instance)
        return context


class StateColumn(Column):
    cell_template_name = "collections_app/admin/scan_state_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["warnings"] = warning_texts(instance)
        return context


class RetryColumn(Column):
    cell_template_name = "collections_app/admin/scan_retry_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["failed"] = instance.state == ProcessingState.FAILED
        context["retry_url"] = reverse(f"{NAMESPACE}:retry", args=[instance.pk])
        context["csrf_token"] = get_token(request) if request else ""
        context["next_url"] = listing_url(request) if request else ""
        return context


def listing_url(request):
    """The full listing with the current filters, also when a cell is drawn for the results fragment."""
    query = request.GET.copy()
    query.pop("_w_filter_fragment", None)
    url = reverse(f"{NAMESPACE}:index")
    return f"{url}?{query.urlencode()}" if query else url


class ScanIndexView(IndexView):
    model = DigitalObject
    permission_policy = None  # access comes from the archive roles, checked in dispatch
    any_permission_required = None
    page_title = gettext_lazy("Bản số hóa")
    filterset_class = ScanFilterSet
    default_ordering = "-created_at"
    search_fields = ["original_name", "sha256"]
    search_backend_name = None

    def dispatch(self, request, *args, **kwargs):
        if not has_any_archive(request.user):
            messages.error(request, _("Chỉ nhân viên của một cơ quan lưu trữ mới xem được bản số hóa."))
            return redirect("wagtailadmin_home")
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return scans_in_scope(self.request.user)

    @cached_property
    def columns(self):
        return [
            TitleColumn("original_name", label=_("Tệp"), get_url=original_url, sort_key="original_name"),
            LinkColumn(
                "record",
                label=_("Hồ sơ / tài liệu"),
                accessor=lambda scan: scan.record.reference_code,
                get_url=lambda scan: record_inspect_url(scan.record),
            ),
            Column("archive", label=_("Cơ quan lưu trữ"), accessor="archive.code"),
            StateColumn("state", label=_("Trạng thái xử lý"), accessor="get_state_display", sort_key="state"),
            Column("page_count", label=_("Số trang"), sort_key="page_count"),
            Column(
                "size_bytes",
                label=_("Dung lượng"),
                accessor=lambda scan: filesizeformat(scan.size_bytes),
                sort_key="size_bytes",
            ),
            DateColumn("created_at", label=_("Tải lên lúc"), sort_key="created_at"),
            RetryColumn("retry", label=""),
        ]

    @cached_property
    def header_buttons(self):
        failed = self.get_base_queryset().filter(state=ProcessingState.FAILED)
        archive = self.request.GET.get("archive")
        if archive and archive.isdigit():
            failed = failed.filter(archive_id=archive)
        if not failed.exists():
            return []
        url = reverse(f"{NAMESPACE}:retry_failed") + (f"?archive={archive}" if archive else "")
        return [HeaderButton(_("Xử lý lại các bản lỗi"), url=url, icon_name="resubmit")]


class ScanMenuItem(MenuItem):
    def is_shown(self, request):
        return has_any_archive(request.user)


class ScanViewSet(ViewSet):
    name = NAMESPACE
    icon = "doc-full"
    menu_label = gettext_lazy("Bản số hóa")
    menu_order = 160
    add_to_admin_menu = True
    menu_item_class = ScanMenuItem

    def get_urlpatterns(self):
        return [
            *listing_urlpatterns(ScanIndexView, NAMESPACE, self.icon),
            path("upload/<str:level>/<int:pk>/", upload_view, name="upload"),
            path("<int:pk>/retry/", retry_view, name="retry"),
            path("retry-failed/", retry_failed_view, name="retry_failed"),
        ]


@hooks.register("register_admin_viewset")
def register_scan_viewset():
    return ScanViewSet()
