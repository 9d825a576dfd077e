"""Arguments the management commands share."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ..models import Archive


def archive_by_slug_or_code(value):
    """The archive an ``--archive`` option names (its slug or its code), or a clear command error."""
    try:
        return Archive.objects.by_slug_or_code(value)
    except Archive.DoesNotExist:
        raise CommandError(
            _("Không có cơ quan lưu trữ nào có đường dẫn hoặc mã “%(value)s”.") % {"value": value}
        ) from None
