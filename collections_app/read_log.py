"""The read log: every read of conditional-access content outside the archive's staff is written down.

Who, what, when and how (``ReadMethod``), with the grant it was read under. Leaders view and export
the log of their archive in the admin.
"""

from django.contrib.contenttypes.models import ContentType

from . import access
from .models import ContentRead


def log_content_read(request, record, method, *, digital_object=None, file_name=""):
    """Write one entry when ``access.read_is_logged`` says this read must be logged; return it or None."""
    user = request.user
    if not access.read_is_logged(user, record):
        return None
    return ContentRead.objects.create(
        archive_id=record.archive_id,
        user=user if user.is_authenticated else None,
        user_label=reader_label(user),
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        reference_code=record.reference_code,
        digital_object=digital_object,
        file_name=file_name[:500],
        method=method,
        grant=access.content_grant(user, record),
        ip_address=client_ip(request),
    )


def reader_label(user):
    if not user.is_authenticated:
        return "—"
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


def client_ip(request):
    return request.META.get("REMOTE_ADDR") or None
