import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from archivecms.security import two_factor
from archivecms.security.forms import CodeForm

logger = logging.getLogger(__name__)


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("wagtailadmin_home")


@login_required
def verify(request):
    """The second step of the login: the code from the user's authenticator app."""
    if not two_factor.owes_code(request.user):
        return redirect(_next_url(request))
    device = two_factor.confirmed_device(request.user)
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST":
        if form.is_valid():
            otp_login(request, device)
            return redirect(_next_url(request))
        logger.warning("Wrong two-factor code for user %s", request.user.pk)
    context = {"form": form, "next": _next_url(request)}
    return TemplateResponse(request, "security/verify.html", context)


def two_factor_settings(request):
    """The staff user's own two-factor settings: set up an authenticator, or switch it off."""
    device = two_factor.confirmed_device(request.user)
    if device is not None:
        return _enabled_settings(request, device)
    return _setup(request)


def _setup(request):
    device = two_factor.pending_device(request.user)
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST":
        if form.is_valid():
            two_factor.confirm(request, device)
            messages.success(
                request, _("Đã bật đăng nhập hai bước. Từ lần sau, sau mật khẩu sẽ cần mã xác thực.")
            )
            return redirect("security_two_factor")
        logger.warning("Wrong code while setting up two-factor login for user %s", request.user.pk)
    context = {
        "form": form,
        "enabled": False,
        "qr_code": two_factor.qr_code_data_uri(device),
        "secret": two_factor.secret_for_typing(device),
        "required": two_factor.must_enrol(request.user),
        "page_title": _("Đăng nhập hai bước"),
    }
    return TemplateResponse(request, "security/two_factor_settings.html", context)


def _enabled_settings(request, device):
    can_switch_off = not getattr(settings, "STAFF_REQUIRE_2FA", False)
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and can_switch_off:
        if form.is_valid():
            two_factor.switch_off(request.user)
            messages.success(request, _("Đã tắt đăng nhập hai bước."))
            return redirect("security_two_factor")
        logger.warning("Wrong code while switching off two-factor login for user %s", request.user.pk)
    context = {
        "form": form,
        "enabled": True,
        "can_switch_off": can_switch_off,
        "page_title": _("Đăng nhập hai bước"),
    }
    return TemplateResponse(request, "security/two_factor_settings.html", context)
