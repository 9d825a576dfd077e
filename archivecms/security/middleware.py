from csp.constants import SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from archivecms.security import two_factor
from archivecms.security.nonce import forget_request, remember_request


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, plus two things the Wagtail admin needs.

    - The request is remembered while the view runs, so templates rendered without it (form widgets)
      can put the nonce on their inline script.
    - Wagtail's preview is shown in an iframe of the editor and marks its response
      ``X-Frame-Options: SAMEORIGIN``; that response may then be framed by the same origin, and only it.
    """

    def __call__(self, request):
        token = remember_request(request)
        try:
            return super().__call__(request)
        finally:
            forget_request(token)

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
            parts.replace = {**(parts.replace or {}), "frame-ancestors": [SELF]}
        return parts


class StaffTwoFactorMiddleware:
    """Holds a signed-in user who owes a second factor to the pages that settle it.

    A user with a confirmed authenticator who has not yet given a code in this session is sent to the
    code page; a staff user who must use two-factor login (``STAFF_REQUIRE_2FA``) and has no
    authenticator is sent to the page that sets one up. Runs after django-otp's OTPMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self._always_allowed(request.path_info):
            if two_factor.owes_code(user):
                if request.path_info != reverse("security_verify"):
                    return self._redirect(request, "security_verify")
            elif two_factor.must_enrol(user) and not request.path_info.startswith(
                reverse("security_two_factor")
            ):
                return self._redirect(request, "security_two_factor")
        return self.get_response(request)

    @staticmethod
    def _always_allowed(path):
        allowed = (reverse("wagtailadmin_logout"), "/static/", "/i18n/", reverse("healthz"))
        return path.startswith(allowed)

    @staticmethod
    def _redirect(request, url_name):
        return redirect(f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}")
