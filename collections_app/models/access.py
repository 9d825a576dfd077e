"""Who may read restricted records, and when they open: reader grants, opening rules, the read log.

The decisions themselves live in ``collections_app.access``; these models are the data it reads.
Grants are kept here, in the core, because the access module (which imports nothing outside the
core) must consult them; the reader accounts that hold them live in ``archivecms.accounts``.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessGrant(models.Model):
    """Leave for one registered reader to read one restricted file or document until a date.

    Given by a leader of the archive after an approved request; a grant on a file covers its
    documents. Never covers secret (03) records: those stay within the archive's staff.
    """

    archive = models.ForeignKey(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("độc giả"),
        on_delete=models.CASCADE,
        related_name="access_grants",
    )
    record_file = models.ForeignKey(
        "collections_app.RecordFile",
        verbose_name=_("hồ sơ"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_grants",
    )
    document = models.ForeignKey(
        "collections_app.Document",
        verbose_name=_("tài liệu"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_grants",
    )
    purpose = models.CharField(_("mục đích sử dụng"), max_length=500)
    request_reference = models.CharField(
        _("số phiếu yêu cầu"),
        max_length=40,
        blank=True,
        help_text=_("Mã phiếu yêu cầu khai thác đã được duyệt, nếu có."),
    )
    valid_until = models.DateField(_("hiệu lực đến ngày"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người duyệt"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("duyệt lúc"), default=timezone.now)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thu hồi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(_("lý do thu hồi"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("quyền khai thác tài liệu hạn chế")
        verbose_name_plural = _("quyền khai thác tài liệu hạn chế")
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(record_file__isnull=False, document__isnull=True)
                    | models.Q(record_file__isnull=True, document__isnull=False)
                ),
                name="grant_names_one_record",
            ),
        ]
        indexes = [models.Index(fields=["reader", "valid_until"], name="grant_reader_valid")]

    def __str__(self):
        return f"{self.reader} — {self.record}"

    @property
    def record(self):
        return self.document or self.record_file

    def is_active(self, today=None):
        today = today or timezone.localdate()
        return self.revoked_at is None and self.valid_until >= today


class OpeningBasis(models.TextChoices):
    OPENING_DATE = "opening_date", _("Mở vào ngày mở đã ghi của tài liệu")
    YEARS_AFTER_END = "years_after_end", _("Mở sau một số năm kể từ năm kết thúc của tài liệu")
    LEADER_APPROVAL = "leader_approval", _("Không tự mở: chỉ đọc khi lãnh đạo duyệt")


class OpeningRule(models.Model):
    """A rule by which conditional-access (02) records open; data an administrator edits.

    A rule applies to the conditional records of its archive (or of every archive when none is set)
    that match its category and reason filters. When several rules match a record, one that needs
    the leader's approval wins; otherwise the record opens at the earliest date a rule gives.
    """

    name = models.CharField(_("tên quy tắc"), max_length=200)
    archive = models.ForeignKey(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Để trống: áp dụng cho mọi cơ quan lưu trữ."),
    )
    basis = models.CharField(_("căn cứ mở"), max_length=20, choices=OpeningBasis.choices)
    years = models.PositiveSmallIntegerField(
        _("số năm"),
        null=True,
        blank=True,
        help_text=_("Với căn cứ “sau một số năm”: số năm kể từ năm kết thúc."),
    )
    category = models.ForeignKey(
        "collections_app.Category",
        verbose_name=_("nhóm tài liệu"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Để trống: mọi nhóm."),
    )
    reason_contains = models.CharField(
        _("lý do hạn chế có chứa"),
        max_length=100,
        blank=True,
        help_text=_("Ví dụ “đời tư”: chỉ áp dụng cho tài liệu có lý do hạn chế chứa cụm từ này."),
    )
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=300, blank=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("quy tắc mở tài liệu")
        verbose_name_plural = _("quy tắc mở tài liệu")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ReadMethod(models.TextChoices):
    PAGE = "page", _("Xem trang mô tả")
    IMAGE = "image", _("Xem ảnh trang")
    DOWNLOAD = "download", _("Tải tệp")
    TEXT = "text", _("Đọc nội dung nhận dạng")
    IIIF = "iiif", _("Xem qua IIIF")
    API = "api", _("Qua API")
    EXPORT = "export", _("Xuất dữ liệu")


class ContentRead(models.Model):
    """One read of conditional-access content outside the archive's staff: who, what, when, how."""

    archive = models.ForeignKey(
        "collections_app.Archive",
        verbose_name=_("cơ quan lưu trữ"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đọc"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user_label = models.CharField(_("người đọc (lúc đọc)"), max_length=200, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    reference_code = models.CharField(_("mã tham chiếu"), max_length=150)
    digital_object = models.ForeignKey(
        "collections_app.DigitalObject",
        verbose_name=_("bản số hóa"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_name = models.CharField(_("tệp"), max_length=500, blank=True)
    method = models.CharField(_("cách đọc"), max_length=10, choices=ReadMethod.choices)
    grant = models.ForeignKey(
        AccessGrant,
        verbose_name=_("theo quyền khai thác"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reads",
    )
    ip_address = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    read_at = models.DateTimeField(_("lúc"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("lượt đọc tài liệu hạn chế")
        verbose_name_plural = _("nhật ký đọc tài liệu hạn chế")
        ordering = ["-read_at"]
        indexes = [models.Index(fields=["archive", "read_at"], name="read_archive_at")]

    def __str__(self):
        return f"{self.user_label} · {self.reference_code} · {self.read_at:%d/%m/%Y %H:%M}"
