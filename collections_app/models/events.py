"""What happened to records over time: former reference codes that must keep answering."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AliasReason(models.TextChoices):
    RECODED = "recoded", _("Đổi mã (chuyển mục lục, sửa số hoặc năm)")
    LEGACY = "legacy", _("Mã theo Thông tư 02/2019")
    MERGED = "merged", _("Hợp nhất cơ quan lưu trữ")
    IMPORTED = "imported", _("Mã của hệ thống nguồn")


class ReferenceAlias(models.Model):
    """A former or other reference code of a record; ``/r/<code>/`` answers 301 to the current one."""

    code = models.CharField(_("mã cũ"), max_length=150, unique=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    archive = models.ForeignKey("collections_app.Archive", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("lý do"), max_length=10, choices=AliasReason.choices)
    created_at = models.DateTimeField(_("ghi nhận lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("mã tham chiếu cũ")
        verbose_name_plural = _("mã tham chiếu cũ")
        indexes = [models.Index(fields=["content_type", "object_id"], name="alias_by_record")]

    def __str__(self):
        return self.code
