"""The current request's CSP nonce, for templates rendered without the request in their context.

Form widgets (Wagtail's date pickers) are rendered by the form renderer, which gets no request; the
middleware records the request here so their inline script can still carry the nonce.
"""

from contextvars import ContextVar

_current_request = ContextVar("csp_current_request", default=None)


def remember_request(request):
    return _current_request.set(request)


def forget_request(token):
    _current_request.reset(token)


def current_nonce():
    request = _current_request.get()
    nonce = getattr(request, "csp_nonce", None)
    return str(nonce) if nonce is not None else ""
