"""The one checked path for every stored scan file: ``/files/<id>/<name>``.

``<id>`` is a digital object, ``<name>`` a path inside its storage folder (``original/…``,
``pages/0001.jpg``, ``thumbnail.jpg``, ``pdfa/…``, ``iiif/…``). Every request asks the access module
whether the user may see the content of the record the scan belongs to, and writes the read log.
Then the file is streamed from local storage, or, with S3, the browser is sent to a presigned URL
valid a few minutes (the bucket is private). Content read under a grant is always streamed, with a
watermark naming the reader: never a URL of the raw file.

Refusals answer 404 (unknown scan, bad name, record not visible: its existence is not revealed) or
403 (a reader whose grant for this record has ended), and are written to the ``kho.security`` log.
"""

import logging
import mimetypes
import posixpath

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import access, watermark
from .models import DigitalObject, ReadMethod
from .read_log import log_content_read

security_log = logging.getLogger("kho.security")

MAX_NAME_LENGTH = 500
MAX_OBJECT_ID = 2**63 - 1


def stored_file_url(digital_object, storage_name):
    """The checked URL of a file stored under the digital object's folder."""
    prefix = digital_object.storage_prefix + "/"
    if not storage_name.startswith(prefix):
        raise ValueError(f"{storage_name!r} is not stored under {prefix!r}")
    return reverse("stored_file", args=[digital_object.pk, storage_name[len(prefix) :]])


def may_read(user, digital_object):
    return access.can_view_content(user, digital_object.record)


@require_safe
def serve_stored_file(request, object_id, name):
    digital_object = None
    if object_id <= MAX_OBJECT_ID:
        digital_object = (
            DigitalObject.objects.select_related("archive", "document__file", "record_file")
            .filter(pk=object_id)
            .first()
        )
    if digital_object is None:
        refuse(request, "unknown digital object")
    method = ReadMethod.DOWNLOAD if name.startswith(("original/", "pdfa/")) else ReadMethod.IMAGE
    return respond_with_stored_file(request, digital_object, name, method=method)


def respond_with_stored_file(request, digital_object, name, *, method):
    """The response for one file under the scan's storage folder, after the access check.

    ``name`` is relative to the scan's folder. Every path that hands out stored scan files (this
    view, the IIIF image service, ...) answers through here, so that the check, the read log and
    the watermark are applied once.
    """
    relative = safe_relative_name(name)
    if relative is None:
        refuse(request, "bad file name")
    record = digital_object.record
    if record is None or not access.can_view_content(request.user, record):
        return refuse_content(request, record)
    storage_name = f"{digital_object.storage_prefix}/{relative}"
    content_type = mimetypes.guess_type(storage_name)[0] or "application/octet-stream"
    if uses_object_storage() and not stored_file_exists(storage_name):
        refuse(request, "no such stored file")
    if uses_object_storage() and not access.needs_watermark(request.user, record):
        log_content_read(request, record, method, digital_object=digital_object, file_name=relative)
        return presigned_redirect(storage_name)
    stored = open_stored(storage_name)
    if stored is None:
        refuse(request, "no such stored file")
    if access.needs_watermark(request.user, record):
        response = watermarked_response(request, digital_object, stored, relative, content_type)
    else:
        response = file_response(stored, content_type, "private, max-age=3600")
    log_content_read(request, record, method, digital_object=digital_object, file_name=relative)
    return response


def safe_relative_name(name):
    """The name normalised inside the scan's folder, or None for anything that could leave it."""
    if not name or len(name) > MAX_NAME_LENGTH or "\\" in name:
        return None
    if any(ord(character) < 32 or ord(character) == 127 for character in name):
        return None
    relative = posixpath.normpath(name)
    if relative.startswith(("..", "/")) or relative == ".":
        return None
    return relative


def stored_file_exists(storage_name):
    try:
        return default_storage.exists(storage_name)
    except (OSError, ValueError, SuspiciousOperation):
        return False


def open_stored(storage_name):
    """The stored file opened for reading, or None when there is no such file (or it is a folder)."""
    try:
        return default_storage.open(storage_name, "rb")
    except (OSError, ValueError, SuspiciousOperation):
        return None


def uses_object_storage():
    return default_storage.__class__.__name__ == "S3Storage"


def presigned_redirect(storage_name):
    """A redirect to a short-lived signed URL of the object in the private bucket."""
    url = default_storage.url(storage_name, expire=settings.FILE_URL_EXPIRY_SECONDS)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    return response


def watermarked_response(request, digital_object, stored, relative, content_type):
    if not watermark.can_watermark(content_type):
        # Not page content (a tile's info.json, ...): streamed as stored, never through a URL of its own.
        return file_response(stored, content_type, "private, no-store")
    line = watermark.watermark_line(request.user, digital_object.archive)
    # IIIF tiles are pieces of a page: the archive's name belongs in the margin of whole pages only.
    footer = None if relative.startswith("iiif/") else digital_object.archive.name
    try:
        with stored:
            copy = watermark.watermarked_copy(stored, content_type, line, footer)
    except watermark.WATERMARK_ERRORS:
        # Never the unmarked file instead: the reader gets nothing and the archive is told.
        security_log.exception("Could not watermark %s for %s", relative, request.user.get_username())
        raise Http404 from None
    return file_response(copy, content_type, "private, no-store")


def file_response(file, content_type, cache_control):
    response = FileResponse(file, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache_control
    return response


def refuse(request, reason):
    log_refusal(request, reason)
    raise Http404


def refuse_content(request, record):
    """403 with the date a reader's grant ended, when they had one for this record; else 404."""
    grant = access.ended_grant(request.user, record) if record is not None else None
    if grant is None or not access.can_view_metadata(request.user, record):
        refuse(request, "record content not visible")
    log_refusal(request, f"grant {grant.pk} ended")
    ended_on = timezone.localdate(grant.revoked_at) if grant.revoked_at else grant.valid_until
    response = render(
        request,
        "collections_app/grant_ended.html",
        {"record": record, "grant": grant, "ended_on": ended_on, "revoked": grant.revoked_at is not None},
        status=403,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def log_refusal(request, reason):
    user = request.user
    security_log.warning(
        "File refused: user=%s path=%s reason=%s ip=%s",
        user.get_username() if user.is_authenticated else "anonymous",
        request.path[:600],
        reason,
        request.META.get("REMOTE_ADDR", ""),
    )
