"""Preservation events (PREMIS 3): what was done to each stored object, when, by whom, with what outcome.

Events are kept for the life of the archive: they outlive the objects they describe (a deleted or
migrated object keeps its history), so the object is held both as a link and as the identifier it had.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """Values from the PREMIS event type vocabulary (id.loc.gov/vocabulary/preservation/eventType)."""

    INGESTION = "ingestion", _("Tiếp nhận")
    FIXITY_CHECK = "fixity check", _("Kiểm tra tính toàn vẹn")
    TRANSFER = "transfer", _("Chuyển giao")
    PACKAGE_CREATION = "information package creation", _("Tạo gói thông tin")
    ACCESS_CHANGE = "access change", _("Thay đổi chế độ sử dụng")
    MIGRATION = "migration", _("Chuyển đổi định dạng")
    VALIDATION = "validation", _("Kiểm tra hợp lệ")
    DELETION = "deletion", _("Xóa")


class EventOutcome(models.TextChoices):
    SUCCESS = "success", _("Thành công")
    WARNING = "warning", _("Cảnh báo")
    FAILURE = "failure", _("Thất bại")


class PreservationEvent(models.Model):
    identifier = models.UUIDField(_("mã sự kiện"), default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(_("loại sự kiện"), max_length=40, choices=EventType.choices, db_index=True)
    occurred_at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)
    outcome = models.CharField(
        _("kết quả"), max_length=10, choices=EventOutcome.choices, default=EventOutcome.SUCCESS
    )
    detail = models.TextField(_("mô tả sự kiện"), blank=True)
    outcome_detail = models.TextField(_("chi tiết kết quả"), blank=True)
    archive = models.ForeignKey(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ"),
        on_delete=models.PROTECT,
        related_name="preservation_events",
    )
    digital_object = models.ForeignKey(
        "collections_app.DigitalObject",
        verbose_name=_("tệp số hóa"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="preservation_events",
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    record = GenericForeignKey("content_type", "object_id")
    object_identifier = models.CharField(
        _("định danh đối tượng"),
        max_length=300,
        help_text=_("Mã tham chiếu hoặc tên tệp lưu trữ của đối tượng tại thời điểm xảy ra sự kiện."),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agent_name = models.CharField(
        _("tác nhân"),
        max_length=200,
        blank=True,
        help_text=_("Phần mềm (và phiên bản) hoặc người thực hiện."),
    )

    class Meta:
        verbose_name = _("sự kiện bảo quản")
        verbose_name_plural = _("sự kiện bảo quản")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["digital_object", "occurred_at"], name="event_by_object"),
            models.Index(fields=["content_type", "object_id"], name="event_by_record"),
            models.Index(fields=["archive", "event_type", "outcome"], name="event_by_outcome"),
        ]

    def __str__(self):
        return f"{self.get_event_type_display()} – {self.object_identifier}"
