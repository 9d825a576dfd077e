"""Digitization work: a plan per fonds, the batches scanned under it, and description imports."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .digital import OcrMode

NATIONAL_DIGITIZATION_DEADLINE = datetime.date(2026, 12, 31)


class DigitizationPlan(models.Model):
    """How many pages of a fonds are to be scanned, by when, and which records come first."""

    archive = models.ForeignKey(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ"),
        on_delete=models.PROTECT,
        related_name="digitization_plans",
    )
    fonds = models.OneToOneField(
        "collections_app.Fonds",
        verbose_name=_("phông"),
        on_delete=models.PROTECT,
        related_name="digitization_plan",
    )
    pages_planned = models.PositiveIntegerField(_("số trang cần số hóa"))
    deadline = models.DateField(
        _("hạn hoàn thành"),
        default=NATIONAL_DIGITIZATION_DEADLINE,
        help_text=_("Mục tiêu quốc gia: số hóa toàn bộ tài liệu đã chỉnh lý trước 31/12/2026."),
    )
    priority_categories = models.ManyToManyField(
        "collections_app.Category",
        verbose_name=_("nhóm tài liệu ưu tiên"),
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("ghi chú"), blank=True)
    created_at = models.DateTimeField(_("lập lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("kế hoạch số hóa")
        verbose_name_plural = _("kế hoạch số hóa")
        ordering = ["deadline", "fonds__code"]

    def __str__(self):
        return _("Kế hoạch số hóa phông %(fonds)s") % {"fonds": self.fonds}


class BatchStatus(models.TextChoices):
    SCANNING = "scanning", _("Đang quét")
    IN_QC = "in_qc", _("Đang kiểm tra chất lượng")
    ACCEPTED = "accepted", _("Đã nghiệm thu")
    RETURNED = "returned", _("Trả lại để quét lại")


class DigitizationBatch(models.Model):
    """A delivery of scans under a plan, checked page by page before it is accepted."""

    plan = models.ForeignKey(
        DigitizationPlan, verbose_name=_("kế hoạch"), on_delete=models.PROTECT, related_name="batches"
    )
    name = models.CharField(_("tên lô"), max_length=100)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.SCANNING
    )
    ocr_mode = models.CharField(
        _("cách nhận dạng chữ"),
        max_length=10,
        choices=OcrMode.choices,
        default=OcrMode.SKIP_TEXT,
        help_text=_("Áp dụng cho các tệp PDF của lô đã có lớp chữ do máy quét tạo."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("lập lúc"), auto_now_add=True)
    submitted_at = models.DateTimeField(
        _("gửi kiểm tra lúc"),
        null=True,
        blank=True,
        help_text=_("Lần gần nhất lô được gửi kiểm tra chất lượng; dùng để báo lô chờ kiểm tra quá lâu."),
    )
    checked_at = models.DateTimeField(_("nghiệm thu lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lô số hóa")
        verbose_name_plural = _("lô số hóa")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="unique_batch_name_in_plan")]

    def __str__(self):
        return self.name


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Đang kiểm tra")
    INVALID = "invalid", _("Có lỗi, chưa ghi gì")
    VALID = "valid", _("Hợp lệ (chạy thử)")
    IMPORTING = "importing", _("Đang ghi")
    INTERRUPTED = "interrupted", _("Bị gián đoạn, có thể tiếp tục")
    DONE = "done", _("Hoàn thành")
    FAILED = "failed", _("Lỗi")


def import_upload_path(instance, filename):
    return f"imports/{instance.archive.code}/{instance.sha256}/{filename}"


class ImportJob(models.Model):
    """One run of a description import (CSV or XLSX), its report and its checkpoint."""

    archive = models.ForeignKey(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    source = models.FileField(_("tệp nhập"), upload_to=import_upload_path, max_length=500)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    dry_run = models.BooleanField(_("chạy thử"), default=False)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.VALIDATING
    )
    total_rows = models.PositiveIntegerField(_("tổng số dòng"), null=True, blank=True)
    rows_checked = models.PositiveIntegerField(_("số dòng đã kiểm tra"), default=0)
    rows_done = models.PositiveIntegerField(
        _("số dòng đã ghi"), default=0, help_text=_("Điểm dừng: lần tiếp tục bắt đầu sau dòng này.")
    )
    created_count = models.PositiveIntegerField(_("số bản ghi tạo mới"), default=0)
    updated_count = models.PositiveIntegerField(_("số bản ghi cập nhật"), default=0)
    error_count = models.PositiveIntegerField(_("số lỗi"), default=0)
    warning_count = models.PositiveIntegerField(_("số cảnh báo"), default=0)
    report = models.JSONField(_("báo cáo"), default=dict, blank=True)
    message = models.TextField(_("thông báo"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("bắt đầu lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    finished_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lần nhập mô tả")
        verbose_name_plural = _("lần nhập mô tả")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["archive", "sha256", "status"], name="import_resume_lookup")]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"
