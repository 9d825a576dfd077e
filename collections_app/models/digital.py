"""Digitized records: the scans of a file or document, their pages and the pages' OCR text.

A ``DigitalObject`` is one stored scan (a PDF, TIFF, JPEG or PNG as received) attached to a file or
to a document. Background tasks turn it into page images, a thumbnail, IIIF level-0 tiles, OCR
text per page and the archival copy (two-layer PDF/A). Every file lives in Django's default
storage (local ``media/`` or S3), under ``scans/<archive>/<sha256>/``, and is served only through
the checked file path.

Not a Wagtail document: Wagtail's documents are hashed with SHA-1 and served by Wagtail's own view,
while archival fixity needs SHA-256 and every read must pass the one access module.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessingState(models.TextChoices):
    QUEUED = "queued", _("Đang chờ xử lý")
    PROCESSING = "processing", _("Đang xử lý")
    DONE = "done", _("Hoàn thành")
    FAILED = "failed", _("Lỗi")


class ProcessingStage(models.TextChoices):
    """The step a scan is at: its text first (what search needs), then its images and PDF/A."""

    OCR = "ocr", _("Nhận dạng chữ")
    IMAGES = "images", _("Ảnh trang và bản PDF/A")


class OcrMode(models.TextChoices):
    """How OCR treats a PDF that already carries a text layer (a scanner's own OCR)."""

    SKIP_TEXT = "skip", _("Giữ lớp chữ sẵn có, chỉ nhận dạng trang chưa có chữ")
    REDO = "redo", _("Nhận dạng lại, giữ nguyên ảnh quét (nhanh, tệp nhỏ)")
    FORCE = "force", _("Nhận dạng lại toàn bộ, chuyển ảnh quét (chậm, tệp lớn hơn)")


class QualityCheck(models.TextChoices):
    PENDING = "pending", _("Chưa kiểm tra")
    PASSED = "passed", _("Đạt")
    REJECTED = "rejected", _("Không đạt, cần quét lại")


def scan_upload_path(instance, filename):
    return f"scans/{instance.archive.code}/{instance.sha256[:2]}/{instance.sha256}/original/{filename}"


class DigitalObject(models.Model):
    """One scan file of a record file (hồ sơ) or of a document (tài liệu)."""

    archive = models.ForeignKey(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ"),
        on_delete=models.PROTECT,
        related_name="digital_objects",
    )
    record_file = models.ForeignKey(
        "collections_app.RecordFile",
        verbose_name=_("hồ sơ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="digital_objects",
    )
    document = models.ForeignKey(
        "collections_app.Document",
        verbose_name=_("tài liệu"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="digital_objects",
    )
    batch = models.ForeignKey(
        "collections_app.DigitizationBatch",
        verbose_name=_("lô số hóa"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="digital_objects",
    )
    file = models.FileField(_("tệp quét gốc"), upload_to=scan_upload_path, max_length=500)
    original_name = models.CharField(_("tên tệp khi tải lên"), max_length=255)
    mime_type = models.CharField(_("kiểu tệp"), max_length=100)
    size_bytes = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    page_count = models.PositiveIntegerField(_("số trang"), null=True, blank=True)
    ocr_mode = models.CharField(
        _("cách nhận dạng chữ"), max_length=10, choices=OcrMode.choices, default=OcrMode.SKIP_TEXT
    )

    state = models.CharField(
        _("trạng thái xử lý"), max_length=12, choices=ProcessingState.choices, default=ProcessingState.QUEUED
    )
    stage = models.CharField(
        _("bước xử lý"), max_length=8, choices=ProcessingStage.choices, default=ProcessingStage.OCR
    )
    ocr_finished_at = models.DateTimeField(_("nhận dạng xong lúc"), null=True, blank=True)
    state_message = models.TextField(_("lý do lỗi"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("số lần xử lý"), default=0)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    queued_at = models.DateTimeField(_("vào hàng đợi lúc"), null=True, blank=True)
    started_at = models.DateTimeField(_("bắt đầu xử lý lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xử lý xong lúc"), null=True, blank=True)
    progress_at = models.DateTimeField(
        _("tiến độ cập nhật lúc"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Tiến trình xử lý ghi lại mốc này định kỳ; quá lâu không cập nhật là tiến trình đã dừng."
        ),
    )

    archival_copy = models.FileField(_("bản lưu trữ PDF/A"), max_length=500, blank=True)
    archival_sha256 = models.CharField(_("SHA-256 của bản PDF/A"), max_length=64, blank=True)
    archival_size_bytes = models.PositiveBigIntegerField(_("dung lượng bản PDF/A"), null=True, blank=True)
    thumbnail = models.FileField(_("ảnh thu nhỏ"), max_length=500, blank=True)
    fixity_checked_at = models.DateTimeField(
        _("kiểm tra toàn vẹn lần cuối"), null=True, blank=True, db_index=True
    )
    fixity_ok = models.BooleanField(_("toàn vẹn"), null=True, blank=True)
    quality_warnings = models.JSONField(
        _("cảnh báo chất lượng"),
        default=list,
        blank=True,
        help_text=_("Trang quét dưới độ phân giải hoặc độ sâu màu theo Thông tư 05/2025."),
    )

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("bản số hóa")
        verbose_name_plural = _("bản số hóa")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["archive", "sha256"], name="unique_scan_per_archive"),
            models.CheckConstraint(
                condition=models.Q(record_file__isnull=False) | models.Q(document__isnull=False),
                name="scan_has_a_record",
            ),
        ]
        indexes = [
            models.Index(fields=["archive", "state"], name="scan_archive_state"),
            models.Index(fields=["state", "started_at"], name="scan_state_started"),
        ]

    def __str__(self):
        return self.original_name

    @property
    def record(self):
        return self.document or self.record_file

    @property
    def storage_prefix(self):
        # The folder the scan was stored in: it stays there when its record moves to another archive
        # (a merger), so it is read from the stored name rather than from the current archive.
        marker = f"/{self.sha256}/original/"
        if self.sha256 and marker in (self.file.name or ""):
            return self.file.name.split(marker)[0] + f"/{self.sha256}"
        return f"scans/{self.archive.code}/{self.sha256[:2]}/{self.sha256}"

    @property
    def tiles_prefix(self):
        return f"{self.storage_prefix}/iiif"


class ScanPage(models.Model):
    """One page of a scan: its image, tiles, OCR text and quality check."""

    digital_object = models.ForeignKey(
        DigitalObject, verbose_name=_("bản số hóa"), on_delete=models.CASCADE, related_name="pages"
    )
    number = models.PositiveIntegerField(_("trang số"))
    image = models.FileField(_("ảnh trang"), max_length=500, blank=True)
    width = models.PositiveIntegerField(_("chiều rộng (điểm ảnh)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("chiều cao (điểm ảnh)"), null=True, blank=True)
    dpi = models.PositiveIntegerField(_("độ phân giải (dpi)"), null=True, blank=True)
    colour_depth = models.PositiveSmallIntegerField(_("độ sâu màu (bit)"), null=True, blank=True)
    tiles_info = models.CharField(_("tệp info.json của ảnh IIIF"), max_length=500, blank=True)
    text = models.TextField(_("nội dung nhận dạng"), blank=True)
    ocr_confidence = models.FloatField(_("độ tin cậy nhận dạng (%)"), null=True, blank=True)
    text_corrected = models.BooleanField(_("đã hiệu đính"), default=False)
    quality_warnings = models.JSONField(_("cảnh báo chất lượng"), default=list, blank=True)
    qc_status = models.CharField(
        _("kiểm tra chất lượng"), max_length=10, choices=QualityCheck.choices, default=QualityCheck.PENDING
    )
    qc_note = models.CharField(_("nhận xét kiểm tra"), max_length=500, blank=True)
    qc_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người kiểm tra"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    qc_at = models.DateTimeField(_("kiểm tra lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("trang quét")
        verbose_name_plural = _("trang quét")
        ordering = ["digital_object_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["digital_object", "number"], name="unique_page_number_in_scan")
        ]
        indexes = [models.Index(fields=["qc_status"], name="page_qc_status")]

    def __str__(self):
        return _("Trang %(number)s của %(scan)s") % {"number": self.number, "scan": self.digital_object}


class TextSource(models.TextChoices):
    OCR = "ocr", _("Nhận dạng tự động (Tesseract)")
    EMBEDDED = "embedded", _("Lớp chữ có sẵn trong tệp quét")
    CORRECTION = "correction", _("Hiệu đính")


class PageTextRevision(models.Model):
    """Every version of a page's text, machine or human; the page holds the latest."""

    page = models.ForeignKey(
        ScanPage, verbose_name=_("trang"), on_delete=models.CASCADE, related_name="text_revisions"
    )
    text = models.TextField(_("nội dung"))
    source = models.CharField(_("nguồn"), max_length=12, choices=TextSource.choices)
    confidence = models.FloatField(_("độ tin cậy (%)"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người sửa"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("phiên bản nội dung trang")
        verbose_name_plural = _("phiên bản nội dung trang")
        ordering = ["page_id", "-created_at", "-id"]

    def __str__(self):
        return f"{self.page} ({self.get_source_display()}, {self.created_at:%d/%m/%Y %H:%M})"
