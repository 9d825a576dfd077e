import functools

from django.http import JsonResponse
from django.utils.translation import gettext as _


def json_error(message, status):
    """``{"error": "…"}``: what was wrong and how to fix it, in Vietnamese."""
    response = JsonResponse({"error": str(message)}, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def read_only(view):
    """GET and HEAD only; anything else is a JSON 405 saying so."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = json_error(_("Địa chỉ này chỉ đọc: hãy dùng phương thức GET."), 405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapper
