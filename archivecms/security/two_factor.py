"""Two-factor login for staff with a TOTP authenticator app (django-otp)."""

import base64
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "authenticator"


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_staff_member(user):
    return user.is_superuser or user.has_perm("wagtailadmin.access_admin")


def owes_code(user):
    """Signed in with a password, has an authenticator, has not given a code in this session."""
    is_verified = getattr(user, "is_verified", None)
    return is_verified is not None and not is_verified() and confirmed_device(user) is not None


def must_enrol(user):
    return (
        getattr(settings, "STAFF_REQUIRE_2FA", False)
        and is_staff_member(user)
        and confirmed_device(user) is None
    )


def pending_device(user):
    """The not yet confirmed authenticator being set up, created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_for_typing(device):
    """The key in base32, as authenticator apps accept it when the QR code cannot be scanned."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def qr_code_data_uri(device):
    """The device's otpauth:// address as an SVG QR code, drawn here (no outside service sees the key)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def throttled_until(device):
    """When the device accepts codes again after wrong ones (django-otp doubles the wait each time)."""
    allowed, details = device.verify_is_allowed()
    return None if allowed else (details or {}).get("locked_until")


def code_is_valid(device, code):
    code = (code or "").replace(" ", "")
    return code.isdigit() and device.verify_token(code)


def confirm(request, device):
    """Make the device the user's authenticator, and this session verified by it."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)


def switch_off(user):
    TOTPDevice.objects.filter(user=user).delete()
