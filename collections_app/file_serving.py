"""The one checked path for every stored scan file: ``/files/<id>/<name>``.

``<id>`` is a digital object, ``<name>`` a path inside its storage folder (``original/…``,
``pages/0001.jpg``, ``thumbnail.jpg``, ``pdfa/…``, ``iiif/…``). Every request asks the access module
whether the user may see the content of the record the scan belongs to; files are streamed from the
storage (local or S3), never exposed by a public URL of their own.
"""

import mimetypes
import posixpath

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_safe

from . import access
from .models import DigitalObject, ReadMethod
from .read_log import log_content_read


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
    digital_object = get_object_or_404(
        DigitalObject.objects.select_related("archive", "document__file", "record_file"), pk=object_id
    )
    method = ReadMethod.DOWNLOAD if name.startswith(("original/", "pdfa/")) else ReadMethod.IMAGE
    return respond_with_stored_file(request, digital_object, name, method=method)


def respond_with_stored_file(request, digital_object, name, *, method):
    """The response for one file under the scan's storage folder, after the access check.

    ``name`` is relative to the scan's folder. Every path that hands out stored scan files (this
    view, the IIIF image service, ...) answers through here, so that the check, the read log and
    the watermark are applied once.
    """
    relative = posixpath.normpath(name)
    if relative.startswith(("..", "/")) or relative == ".":
        raise Http404
    if not may_read(request.user, digital_object):
        # Not found rather than forbidden: a restricted record's files do not reveal they exist.
        raise Http404
    storage_name = f"{digital_object.storage_prefix}/{relative}"
    if not default_storage.exists(storage_name):
        raise Http404
    log_content_read(
        request, digital_object.record, method, digital_object=digital_object, file_name=relative
    )
    content_type = mimetypes.guess_type(storage_name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(storage_name, "rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
