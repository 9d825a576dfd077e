"""Registered readers: citizens and businesses who read restricted records under a leader's grant.

Only what a reading request and the authentication sheet need is kept (Decree 13/2023 on personal
data): the name, the citizen identity number (CCCD) or the business tax code, how to reach them, and
for businesses the organisation. The account itself is Django's user (email as user name).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

CITIZEN_ID_PATTERN = r"^\d{12}$"
TAX_CODE_PATTERN = r"^\d{10}(-\d{3})?$"


class ReaderKind(models.TextChoices):
    CITIZEN = "citizen", _("Cá nhân (công dân)")
    BUSINESS = "business", _("Tổ chức, doanh nghiệp")


class ReaderProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.CASCADE,
        related_name="reader_profile",
    )
    kind = models.CharField(_("loại độc giả"), max_length=10, choices=ReaderKind.choices)
    full_name = models.CharField(_("họ và tên"), max_length=150)
    identity_number = models.CharField(
        _("số CCCD hoặc mã số thuế"),
        max_length=14,
        help_text=_("Cá nhân: số căn cước công dân 12 chữ số. Doanh nghiệp: mã số thuế 10 chữ số hoặc 10-3."),
    )
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    organisation = models.CharField(_("cơ quan, tổ chức"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("đăng ký lúc"), auto_now_add=True)
    verified_at = models.DateTimeField(
        _("xác minh lúc"),
        null=True,
        blank=True,
        help_text=_("Khi phòng đọc đã đối chiếu giấy tờ tùy thân của độc giả."),
    )

    class Meta:
        verbose_name = _("độc giả")
        verbose_name_plural = _("độc giả")
        ordering = ["full_name"]

    def __str__(self):
        return f"{self.full_name} <{self.user.email}>"
