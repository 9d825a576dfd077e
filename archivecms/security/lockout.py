"""The page shown while a login is locked after too many wrong passwords (AXES_LOCKOUT_CALLABLE)."""

import logging

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger(__name__)


def lockout_response(request, original_response=None, credentials=None):
    username = get_client_username(request, credentials) or ""
    ip_address = getattr(request, "axes_ip_address", "")
    retry_at = _unlock_time(request, username, ip_address)
    logger.warning("Login locked for %r from %s until %s", username, ip_address, retry_at.isoformat())
    minutes = max(1, round((retry_at - timezone.now()).total_seconds() / 60))
    context = {"retry_at": timezone.localtime(retry_at), "minutes": minutes, "username": username}
    response = render(request, "security/lockout.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def _unlock_time(request, username, ip_address):
    """The lock lifts a cool-off period after the latest wrong password from this user and address."""
    cool_off = get_cool_off(request)
    latest = (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    return (latest or timezone.now()) + cool_off
