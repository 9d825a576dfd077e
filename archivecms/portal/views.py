from django.db import connection
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from collections_app import access
from collections_app.codes import resolve_reference

from .models import canonical_url


def permanent_link(request, code):
    """``/r/<code>/``: any level, current or former code. Former codes answer 301 to the current one."""
    record, is_alias = resolve_reference(code)
    if record is None or not access.can_view_metadata(request.user, record):
        raise Http404
    if is_alias:
        return HttpResponsePermanentRedirect(reverse("permanent_link", args=[record.reference_code]))
    url = canonical_url(record)
    if url is None:
        raise Http404
    return HttpResponseRedirect(url)


def healthz(request):
    checks = {
        "database": _check_database(),
        "storage": _check_storage(),
        "tasks": _check_tasks(),
        "search": _check_search(),
    }
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # noqa: BLE001 - the health page reports any failure
        return str(error)


def _check_storage():
    from django.core.files.storage import default_storage

    try:
        default_storage.exists("healthz-probe")
        return "ok"
    except Exception as error:  # noqa: BLE001
        return str(error)


def _check_tasks():
    try:
        from django_tasks import task_backends

        task_backends["default"]
        return "ok"
    except Exception as error:  # noqa: BLE001
        return str(error)


def _check_search():
    try:
        from wagtail.search.backends import get_search_backend

        get_search_backend()
        return "ok"
    except Exception as error:  # noqa: BLE001
        return str(error)
