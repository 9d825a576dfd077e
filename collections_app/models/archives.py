"""Provincial archives (the institutions that hold records) and their staff roles."""

import re

from anyascii import anyascii
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

ARCHIVE_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,12}$")


def fold_slug(text):
    """A URL slug that keeps Vietnamese letters: "Đồng Nai" → "dong-nai" (slugify alone drops Đ)."""
    return slugify(anyascii(text or ""))


def validate_archive_code(value):
    if not ARCHIVE_CODE_PATTERN.match(value or ""):
        raise ValidationError(
            _(
                "Mã cơ quan lưu trữ “%(value)s” không hợp lệ: dùng tối đa 13 ký tự gồm chữ cái "
                "không dấu, chữ số, dấu chấm hoặc gạch ngang, bắt đầu bằng chữ hoặc số."
            ),
            code="invalid_archive_code",
            params={"value": value},
        )


class ArchiveQuerySet(models.QuerySet):
    def by_slug_or_code(self, value):
        """The archive named by a command-line ``--archive`` value: its slug or its code."""
        return self.get(models.Q(slug=value) | models.Q(code__iexact=value))


class Archive(models.Model):
    """A historical archive (lưu trữ lịch sử) of a province, holding the records of its bodies."""

    code = models.CharField(
        _("mã cơ quan lưu trữ"), max_length=13, unique=True, validators=[validate_archive_code]
    )
    name = models.CharField(_("tên"), max_length=200)
    slug = models.SlugField(_("đường dẫn"), max_length=80, unique=True)
    unit = models.ForeignKey(
        "collections_app.AdministrativeUnit",
        verbose_name=_("đơn vị hành chính"),
        on_delete=models.PROTECT,
        related_name="archives",
    )
    collection = models.OneToOneField(
        "wagtailcore.Collection",
        verbose_name=_("thư mục tệp"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="archive",
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    frozen_at = models.DateTimeField(
        _("khoanh giữ từ"),
        null=True,
        blank=True,
        help_text=_("Khi được khoanh giữ, tài liệu chỉ được xem, không được sửa (ví dụ trong khi hợp nhất)."),
    )
    frozen_until = models.DateField(_("khoanh giữ đến ngày (dự kiến)"), null=True, blank=True)
    freeze_reason = models.CharField(_("lý do khoanh giữ"), max_length=300, blank=True)

    objects = ArchiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("cơ quan lưu trữ")
        verbose_name_plural = _("cơ quan lưu trữ")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_frozen(self):
        return self.frozen_at is not None

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = fold_slug(self.unit.name if self.unit_id else self.name)
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    ARCHIVIST = "archivist", _("Lưu trữ viên")
    READING_ROOM = "reading_room", _("Phòng đọc")
    LEADER = "leader", _("Lãnh đạo")


NATIONAL_ADMIN_GROUP = "Quản trị hệ thống"


class ArchiveRole(models.Model):
    """The Wagtail group that carries one role in one archive."""

    archive = models.ForeignKey(Archive, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="archive_role")

    class Meta:
        verbose_name = _("vai trò trong cơ quan lưu trữ")
        verbose_name_plural = _("vai trò trong cơ quan lưu trữ")
        constraints = [models.UniqueConstraint(fields=["archive", "role"], name="one_group_per_archive_role")]

    def __str__(self):
        return self.group.name
