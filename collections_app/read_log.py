"""The read log: every read of conditional-access content outside the archive's staff is written down.

Who, what, when and how (``ReadMethod``), with the grant it was read under. Leaders view and export
the log of their archive in the admin (``read_log_admin``).

A deep-zoom viewer fetches dozens of IIIF tiles to show one page: the tiles of one page count as one
read of that page (``iiif/0001/``), written once per reader within ``REPEAT_WINDOW``.
"""

import datetime
import re

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from . import access
from .models import ContentRead

REPEAT_WINDOW = datetime.timedelta(minutes=10)
TILE_NAME = re.compile(r"^iiif/([^/]+)/.+")


def log_content_read(request, record, method, *, digital_object=None, file_name=""):
    """Write one entry when ``access.read_is_logged`` says this read must be logged; return it or None."""
    user = request.user
    if not access.read_is_logged(user, record):
        return None
    file_name = read_unit(file_name)[:500]
    ip_address = client_ip(request)
    if file_name.startswith("iiif/") and read_recently(user, digital_object, method, file_name, ip_address):
        return None
    return ContentRead.objects.create(
        archive_id=record.archive_id,
        user=user if user.is_authenticated else None,
        user_label=reader_label(user),
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        reference_code=record.reference_code,
        digital_object=digital_object,
        file_name=file_name,
        method=method,
        grant=access.content_grant(user, record),
        ip_address=ip_address,
    )


def read_unit(file_name):
    """What one read is of: a file, or the page a IIIF tile belongs to."""
    tile = TILE_NAME.match(file_name or "")
    return f"iiif/{tile.group(1)}/" if tile else (file_name or "")


def read_recently(user, digital_object, method, file_name, ip_address):
    reads = ContentRead.objects.filter(
        digital_object=digital_object,
        method=method,
        file_name=file_name,
        read_at__gte=timezone.now() - REPEAT_WINDOW,
    )
    if user.is_authenticated:
        reads = reads.filter(user=user)
    else:
        reads = reads.filter(user__isnull=True, ip_address=ip_address)
    return reads.exists()


def reader_label(user):
    if not user.is_authenticated:
        return "—"
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


def client_ip(request):
    return request.META.get("REMOTE_ADDR") or None
