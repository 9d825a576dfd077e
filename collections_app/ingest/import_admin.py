"""Description import in the admin ("Nhập mô tả"): upload, report, import, progress, resume.

- ``import_records:index``: recent imports of the user's archives, with a link to upload a file.
- ``import_records:upload``: choose one of the archives one administers, a CSV or XLSX file, and
  whether to only check it (dry run, the default). The file is stored and the import runs as a
  background task (``tasks.run_import_job``).
- ``import_records:job``: status, a progress bar fed by ``import_records:progress`` (JSON), the
  counts, new fonds, unknown columns and the report table (paged; the full report is a CSV at
  ``import_records:report``); "Nhập dữ liệu" after a clean dry run, "Tiếp tục" after an interruption.

Staff of an archive see its imports; those who may add records (archivists, leaders) run them.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import policy_registry

from .. import access
from ..models import ImportJob, ImportStatus, RecordFile
from ..transfers import freeze
from .importing.jobs import can_resume, find_resumable, sha256_of
from .importing.tasks import run_import_job

NAMESPACE = "import_records"
ACCEPTED_EXTENSIONS = (".csv", ".txt", ".xlsx", ".xlsm")
ISSUES_PER_PAGE = 50
JOBS_PER_PAGE = 20
# A job still "importing" whose checkpoint has not moved for this long was cut off (kill, power).
STALE_AFTER = datetime.timedelta(minutes=2)
RUNNING = (ImportStatus.VALIDATING, ImportStatus.IMPORTING)


# Who may do what ----------------------------------------------------------------------------------


def jobs_in_scope(user):
    return ImportJob.objects.filter(archive__in=access.admin_archives(user)).select_related(
        "archive", "started_by"
    )


def may_import(user, archive):
    """Staff of the archive who may add description records (archivists, leaders, national admins)."""
    policy = policy_registry.get_by_type(RecordFile)
    return access.is_staff_of(user, archive.pk) and policy.user_has_permission(user, "add")


def job_or_404(request, pk):
    return get_object_or_404(jobs_in_scope(request.user), pk=pk)


def is_stale(job):
    return job.status in RUNNING and timezone.now() - job.updated_at > STALE_AFTER


def resumable_here(job):
    """Resumable from the admin: interrupted (or cut off), and its file is stored."""
    return (
        bool(job.source.name)
        and can_resume(job)
        and (job.status == ImportStatus.INTERRUPTED or is_stale(job))
    )


# The upload ---------------------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    archive = forms.ModelChoiceField(label=gettext_lazy("Cơ quan lưu trữ"), queryset=None)
    file = forms.FileField(
        label=gettext_lazy("Tệp mô tả"),
        help_text=gettext_lazy(
            "CSV (UTF-8 hoặc Windows-1258, phân cách bằng dấu phẩy hoặc chấm phẩy) hoặc Excel .xlsx; một "
            "dòng cho mỗi hồ sơ hoặc tài liệu, tên cột theo Thông tư 05/2025 (hoặc 02/2019)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Chạy thử: chỉ kiểm tra và báo cáo, chưa ghi gì"), required=False, initial=True
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        archives = access.admin_archives(user).order_by("name")
        self.fields["archive"].queryset = archives
        if archives.count() == 1:
            self.fields["archive"].initial = archives.first().pk
        self.user = user

    def clean_archive(self):
        archive = self.cleaned_data["archive"]
        if not may_import(self.user, archive):
            raise forms.ValidationError(_("Bạn không có quyền nhập mô tả vào cơ quan lưu trữ này."))
        return archive

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ACCEPTED_EXTENSIONS):
            raise forms.ValidationError(
                _(
                    "Tệp “%(name)s” không phải CSV hoặc XLSX. Lưu bảng tính dạng .xlsx hoặc .csv rồi tải lên "
                    "lại."
                )
                % {"name": upload.name}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("Tệp rỗng (0 byte). Chọn lại tệp."))
        return upload


def upload_view(request):
    if not access.admin_archives(request.user).exists():
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        interrupted = interrupted_import_of(form.cleaned_data)
        if interrupted is not None:
            messages.warning(
                request,
                _(
                    "Tệp này đã được nhập dở vào %(archive)s (lần nhập %(job)s, đã ghi tới dòng %(done)s). "
                    "Bấm “Tiếp tục” để ghi phần còn lại."
                )
                % {"archive": interrupted.archive.code, "job": interrupted.pk, "done": interrupted.rows_done},
            )
            return redirect(reverse(f"{NAMESPACE}:job", args=[interrupted.pk]))
        job = create_job(form.cleaned_data, request.user)
        start(request, job)
        return redirect(reverse(f"{NAMESPACE}:job", args=[job.pk]))
    return TemplateResponse(
        request,
        "collections_app/admin/import_upload.html",
        {"form": form, "page_title": _("Nhập mô tả từ tệp"), "index_url": reverse(f"{NAMESPACE}:index")},
    )


def interrupted_import_of(data):
    """The interrupted import of the same file into the same archive, resumable here, if any."""
    if data["dry_run"]:
        return None
    upload = data["file"]
    upload.seek(0)
    job = find_resumable(data["archive"], sha256_of(upload))
    upload.seek(0)
    return job if job is not None and resumable_here(job) else None


def create_job(data, user):
    upload = data["file"]
    upload.seek(0)
    sha256 = sha256_of(upload)
    upload.seek(0)
    job = ImportJob(
        archive=data["archive"],
        original_name=upload.name[:255],
        sha256=sha256,
        dry_run=data["dry_run"],
        started_by=user,
    )
    job.source.save(upload.name, upload, save=False)
    job.save()
    return job


def start(request, job):
    """Queue the job; with the immediate backend (tests) it has run when this returns."""
    try:
        run_import_job.enqueue(job.pk)
    except Exception as error:  # noqa: BLE001 - the queue being down must not lose the upload
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, message=_("Không đưa được vào hàng đợi: %(error)s") % {"error": error}
        )
        messages.error(request, _("Không bắt đầu được lần nhập: hàng đợi tác vụ chưa chạy. Thử lại sau."))


# The job ----------------------------------------------------------------------------------------------


def index_view(request):
    if not access.admin_archives(request.user).exists():
        raise PermissionDenied
    page = Paginator(jobs_in_scope(request.user), JOBS_PER_PAGE).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "collections_app/admin/import_index.html",
        {
            "page_title": _("Nhập mô tả"),
            "jobs": page,
            "upload_url": reverse(f"{NAMESPACE}:upload"),
        },
    )


def job_view(request, pk):
    job = job_or_404(request, pk)
    data = job.report or {}
    issues = Paginator(data.get("issues") or [], ISSUES_PER_PAGE).get_page(request.GET.get("p"))
    may_run = may_import(request.user, job.archive)
    return TemplateResponse(
        request,
        "collections_app/admin/import_job.html",
        {
            "page_title": _("Lần nhập %(job)s") % {"job": job.pk},
            "job": job,
            "data": data,
            "issues": issues,
            "issues_shown": len(data.get("issues") or []),
            "issues_total": data.get("errors", 0) + data.get("warnings", 0),
            "count_rows": count_rows(job, data),
            "running": job.status in RUNNING and not is_stale(job),
            "can_start": may_run
            and job.dry_run
            and job.status == ImportStatus.VALID
            and bool(job.source.name),
            "can_resume": may_run and resumable_here(job),
            "progress_url": reverse(f"{NAMESPACE}:progress", args=[job.pk]),
            "report_url": reverse(f"{NAMESPACE}:report", args=[job.pk]) if data.get("report_file") else "",
            "start_url": reverse(f"{NAMESPACE}:start", args=[job.pk]),
            "resume_url": reverse(f"{NAMESPACE}:resume", args=[job.pk]),
            "index_url": reverse(f"{NAMESPACE}:index"),
            "percent": progress_percent(job),
        },
    )


def count_rows(job, data):
    counts = data.get("counts") or {}
    labels = (
        ("fonds", _("Phông")),
        ("series", _("Mục lục")),
        ("file", _("Hồ sơ")),
        ("document", _("Tài liệu")),
    )
    return [
        (label, counts.get(f"{level}_new", 0), counts.get(f"{level}_update", 0)) for level, label in labels
    ]


def progress_percent(job):
    progress = (job.report or {}).get("progress") or {}
    if job.status in (ImportStatus.DONE, ImportStatus.VALID, ImportStatus.INVALID):
        return 100
    if job.status in (ImportStatus.IMPORTING, ImportStatus.INTERRUPTED) and job.total_rows:
        return round(100 * job.rows_done / job.total_rows)
    return round(100 * float(progress.get("fraction") or 0))


def progress_view(request, pk):
    job = job_or_404(request, pk)
    progress = (job.report or {}).get("progress") or {}
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "phase": progress.get("phase", ""),
            "percent": progress_percent(job),
            "rows_checked": job.rows_checked,
            "rows_done": job.rows_done,
            "total_rows": job.total_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "errors": job.error_count,
            "warnings": job.warning_count,
            "finished": job.status not in RUNNING or is_stale(job),
            "message": job.message,
        }
    )


@require_POST
def start_view(request, pk):
    """The real import of a file whose dry run was clean: a new job on the same stored file."""
    dry = job_or_404(request, pk)
    if not may_import(request.user, dry.archive):
        raise PermissionDenied
    if refused := freeze.refusal(dry.archive):
        messages.error(request, refused)
        return redirect(reverse(f"{NAMESPACE}:job", args=[dry.pk]))
    if not (dry.dry_run and dry.status == ImportStatus.VALID and dry.source.name):
        messages.error(request, _("Chỉ nhập được tệp đã chạy thử không có lỗi."))
        return redirect(reverse(f"{NAMESPACE}:job", args=[dry.pk]))
    job = ImportJob.objects.create(
        archive=dry.archive,
        source=dry.source.name,
        original_name=dry.original_name,
        sha256=dry.sha256,
        dry_run=False,
        started_by=request.user,
    )
    start(request, job)
    return redirect(reverse(f"{NAMESPACE}:job", args=[job.pk]))


@require_POST
def resume_view(request, pk):
    job = job_or_404(request, pk)
    if not may_import(request.user, job.archive):
        raise PermissionDenied
    if refused := freeze.refusal(job.archive):
        messages.error(request, refused)
        return redirect(reverse(f"{NAMESPACE}:job", args=[job.pk]))
    if not resumable_here(job):
        messages.error(request, _("Lần nhập này không ở trạng thái tiếp tục được."))
        return redirect(reverse(f"{NAMESPACE}:job", args=[job.pk]))
    ImportJob.objects.filter(pk=job.pk).update(message=_("Đang tiếp tục…"), updated_at=timezone.now())
    start(request, job)
    return redirect(reverse(f"{NAMESPACE}:job", args=[job.pk]))


def report_view(request, pk):
    job = job_or_404(request, pk)
    name = (job.report or {}).get("report_file")
    if not name or not default_storage.exists(name):
        raise Http404(_("Chưa có báo cáo cho lần nhập này."))
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=f"bao-cao-nhap-{job.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )


# Registration ----------------------------------------------------------------------------------------

urlpatterns = [
    path("", index_view, name="index"),
    path("upload/", upload_view, name="upload"),
    path("<int:pk>/", job_view, name="job"),
    path("<int:pk>/progress/", progress_view, name="progress"),
    path("<int:pk>/start/", start_view, name="start"),
    path("<int:pk>/resume/", resume_view, name="resume"),
    path("<int:pk>/report.csv", report_view, name="report"),
]


@hooks.register("register_admin_urls")
def register_import_urls():
    return [path("import/", include((urlpatterns, NAMESPACE), namespace=NAMESPACE))]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return access.admin_archives(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem(
        gettext_lazy("Nhập mô tả"),
        reverse(f"{NAMESPACE}:index"),
        name="import-records",
        icon_name="upload",
        order=151,
    )
