"""Ring-fencing an archive's holdings: while frozen (e.g. during a merger) they are read, not edited.

Every path that writes description records or scans (admin views, ``import_records``,
``ingest_scans``) asks ``refusal`` / ``refuse_if_frozen`` before it writes; reads never ask.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..models import Archive


class ArchiveFrozen(PermissionDenied):
    """An edit refused because the archive's holdings are ring-fenced; ``str()`` says why and until when."""


def archive_of(archive_or_id):
    if archive_or_id is None or isinstance(archive_or_id, Archive):
        return archive_or_id
    return Archive.objects.filter(pk=archive_or_id).first()


def frozen_message(archive):
    """Why the archive is frozen, since and until when, and what may still be done."""
    until = (
        date_format(archive.frozen_until, "d/m/Y")
        if archive.frozen_until
        else _("khi việc hợp nhất kết thúc")
    )
    return _(
        "Tài liệu của “%(archive)s” đang được khoanh giữ từ %(since)s đến %(until)s (dự kiến), lý do: "
        "%(reason)s. Trong thời gian này chỉ được xem, không được thêm, sửa, xóa hay tải tệp lên. "
        "Hãy chờ đến khi khoanh giữ kết thúc hoặc liên hệ lãnh đạo cơ quan lưu trữ."
    ) % {
        "archive": archive.name,
        "since": date_format(timezone.localtime(archive.frozen_at), "d/m/Y H:i"),
        "until": until,
        "reason": archive.freeze_reason or _("không ghi lý do"),
    }


def refusal(archive_or_id):
    """The message refusing an edit in this archive, or None when it may be edited."""
    archive = archive_of(archive_or_id)
    if archive is None or not archive.is_frozen:
        return None
    return frozen_message(archive)


def refuse_if_frozen(archive_or_id):
    message = refusal(archive_or_id)
    if message:
        raise ArchiveFrozen(message)


def warn_if_frozen(request, archive_or_id):
    """The banner on an admin page of a frozen archive's record (once per page)."""
    message = refusal(archive_or_id)
    warned = request.__dict__.setdefault("_frozen_warnings", set())
    if message and message not in warned:
        warned.add(message)
        messages.warning(request, message)
    return message


def freeze(archives, *, until=None, reason=""):
    """Ring-fence the archives now; returns how many were newly frozen."""
    now = timezone.now()
    count = 0
    for archive in archives:
        if archive.frozen_at is None:
            archive.frozen_at = now
            count += 1
        archive.frozen_until = until
        archive.freeze_reason = reason[:300]
        Archive.objects.filter(pk=archive.pk).update(
            frozen_at=archive.frozen_at, frozen_until=until, freeze_reason=archive.freeze_reason
        )
    return count


def unfreeze(archives):
    for archive in archives:
        archive.frozen_at = archive.frozen_until = None
        archive.freeze_reason = ""
        Archive.objects.filter(pk=archive.pk).update(frozen_at=None, frozen_until=None, freeze_reason="")


def frozen_archives(archive_ids=None):
    queryset = Archive.objects.filter(frozen_at__isnull=False)
    if archive_ids is not None:
        queryset = queryset.filter(pk__in=archive_ids)
    return queryset


class RefuseEditWhenFrozenMixin:
    """For the admin views that change one record: a frozen archive's record is sent back, with why."""

    def dispatch(self, request, *args, **kwargs):
        record = getattr(self, "object", None) or self.get_object()
        message = refusal(record.archive_id)
        if message:
            messages.error(request, message)
            namespace = self.index_url_name.rpartition(":")[0]
            return redirect(reverse(f"{namespace}:inspect", args=[record.pk]))
        return super().dispatch(request, *args, **kwargs)


class RefuseCreateWhenFrozenMixin:
    """For the admin views that add a record: refused in a frozen archive, with the reason on the form."""

    def is_valid(self, form):
        if not super().is_valid(form):
            return False
        message = refusal(form.instance.archive_id)
        if message:
            form.add_error(None, message)
            self.produced_error_message = message
            return False
        return True
