"""Moving holdings between archives: provincial mergers, handover records, Circular 05 packages."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MergeStatus(models.TextChoices):
    PLANNING = "planning", _("Đang chạy thử (kiểm kê, băm lại tệp)")
    PLAN_FAILED = "plan_failed", _("Chạy thử không thành")
    PLANNED = "planned", _("Đã lập kế hoạch (chạy thử)")
    FROZEN = "frozen", _("Đã khoanh giữ tài liệu")
    RUNNING = "running", _("Đang chuyển")
    INTERRUPTED = "interrupted", _("Bị gián đoạn, cần chạy tiếp")
    VERIFYING = "verifying", _("Đang đối chiếu")
    DONE = "done", _("Hoàn thành")
    FAILED = "failed", _("Đối chiếu không khớp")
    CANCELLED = "cancelled", _("Đã hủy")


class MergeRun(models.Model):
    """Moving the holdings of one or more former provincial archives into the merged one."""

    into = models.ForeignKey(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ tiếp nhận"),
        on_delete=models.PROTECT,
        related_name="merges_into",
    )
    sources = models.ManyToManyField(
        "collections_app.Archive", verbose_name=_("cơ quan lưu trữ giao"), related_name="merges_from"
    )
    status = models.CharField(
        _("trạng thái"),
        max_length=12,
        choices=MergeStatus.choices,
        default=MergeStatus.PLANNED,
        db_index=True,
    )
    report = models.JSONField(_("báo cáo chạy thử"), default=dict, blank=True)
    verification = models.JSONField(_("kết quả đối chiếu"), default=dict, blank=True)
    message = models.TextField(_("thông báo"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("lập lúc"), auto_now_add=True)
    started_at = models.DateTimeField(_("bắt đầu chuyển lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("đợt hợp nhất kho lưu trữ")
        verbose_name_plural = _("đợt hợp nhất kho lưu trữ")
        ordering = ["-created_at"]

    def __str__(self):
        return _("Hợp nhất vào %(archive)s (%(date)s)") % {
            "archive": self.into,
            "date": f"{self.created_at:%d/%m/%Y}" if self.created_at else "",
        }


class MergeStepStatus(models.TextChoices):
    PENDING = "pending", _("Chờ chuyển")
    DONE = "done", _("Đã chuyển")


class MergeStep(models.Model):
    """One fonds of a merger: moved in one transaction, so a run resumes at the first pending step."""

    run = models.ForeignKey(MergeRun, on_delete=models.CASCADE, related_name="steps")
    source = models.ForeignKey("collections_app.Archive", on_delete=models.PROTECT, related_name="+")
    fonds = models.ForeignKey("collections_app.Fonds", on_delete=models.PROTECT, related_name="merge_steps")
    old_reference_code = models.CharField(_("mã tham chiếu cũ"), max_length=150)
    new_code = models.CharField(_("mã phông mới"), max_length=13)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=MergeStepStatus.choices, default=MergeStepStatus.PENDING
    )
    counts = models.JSONField(_("số lượng đã chuyển"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("chuyển xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("phông trong đợt hợp nhất")
        verbose_name_plural = _("phông trong đợt hợp nhất")
        ordering = ["run", "pk"]
        constraints = [models.UniqueConstraint(fields=["run", "fonds"], name="unique_fonds_per_merge")]

    def __str__(self):
        return self.old_reference_code


class HandoverStatus(models.TextChoices):
    DRAWING = "drawing", _("Đang lập")
    SIGNED = "signed", _("Đã ký số")
    FAILED = "failed", _("Lập không thành")


class HandoverRecord(models.Model):
    """Biên bản giao nhận: what one side handed over to the other, signed, one copy per side.

    Saved ``DRAWING`` when the leader submits it; the ``draw_handover`` task draws and signs both copies.
    """

    number = models.CharField(_("số biên bản"), max_length=50)
    handed_over_on = models.DateField(_("ngày giao nhận"))
    merge_run = models.ForeignKey(
        MergeRun, null=True, blank=True, on_delete=models.PROTECT, related_name="handover_records"
    )
    package = models.ForeignKey(
        "collections_app.InformationPackage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handover_records",
    )
    giver_archive = models.ForeignKey(
        "collections_app.Archive", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    giver_name = models.CharField(_("bên giao"), max_length=300)
    giver_representative = models.CharField(_("đại diện bên giao"), max_length=200)
    giver_position = models.CharField(_("chức vụ đại diện bên giao"), max_length=200, blank=True)
    receiver_archive = models.ForeignKey(
        "collections_app.Archive", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receiver_name = models.CharField(_("bên nhận"), max_length=300)
    receiver_representative = models.CharField(_("đại diện bên nhận"), max_length=200)
    receiver_position = models.CharField(_("chức vụ đại diện bên nhận"), max_length=200, blank=True)
    volume = models.JSONField(_("khối lượng"), default=dict, blank=True)
    condition = models.TextField(_("tình trạng vật lý"), blank=True)
    giver_copy = models.CharField(_("bản của bên giao (tệp lưu trữ)"), max_length=300, blank=True)
    receiver_copy = models.CharField(_("bản của bên nhận (tệp lưu trữ)"), max_length=300, blank=True)
    giver_copy_sha256 = models.CharField(max_length=64, blank=True)
    receiver_copy_sha256 = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(_("ký số lúc"), null=True, blank=True)
    signer = models.CharField(_("chứng thư ký số"), max_length=300, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=8, choices=HandoverStatus.choices, default=HandoverStatus.DRAWING
    )
    message = models.TextField(_("thông báo"), blank=True)
    drawing_since = models.DateTimeField(_("bắt đầu lập lúc"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("lập lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("biên bản giao nhận")
        verbose_name_plural = _("biên bản giao nhận")
        ordering = ["-handed_over_on", "-pk"]

    def __str__(self):
        return _("Biên bản giao nhận số %(number)s") % {"number": self.number}


class PackageKind(models.TextChoices):
    SIP = "sip", _("Gói tin nộp lưu (SIP)")
    AIP = "aip", _("Gói tin lưu trữ (AIP)")
    DIP = "dip", _("Gói tin khai thác (DIP)")


class PackageDirection(models.TextChoices):
    EXPORT = "export", _("Xuất")
    IMPORT = "import", _("Nhập")


class InformationPackage(models.Model):
    """One Circular 05 package written or read: one file (hồ sơ) with its documents and data files."""

    objid = models.CharField(_("mã gói tin (OBJID)"), max_length=100, db_index=True)
    kind = models.CharField(_("loại gói tin"), max_length=3, choices=PackageKind.choices)
    direction = models.CharField(_("chiều"), max_length=6, choices=PackageDirection.choices)
    archive = models.ForeignKey(
        "collections_app.Archive", on_delete=models.PROTECT, related_name="information_packages"
    )
    record_file = models.ForeignKey(
        "collections_app.RecordFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_code = models.CharField(_("mã hồ sơ"), max_length=125, blank=True)
    name = models.CharField(_("tên tệp gói tin"), max_length=300, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    batch = models.UUIDField(_("đợt"), default=uuid.uuid4, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("gói thông tin")
        verbose_name_plural = _("gói thông tin")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["archive", "objid"],
                condition=models.Q(direction="import"),
                name="package_imported_once",
            )
        ]

    def __str__(self):
        return self.objid
