"""The client's IP address for login throttling (django-axes' AXES_CLIENT_IP_CALLABLE).

Behind TRUSTED_PROXY_COUNT reverse proxies, each appending the address it received the request from
to X-Forwarded-For, the client is the one that many entries from the right; anything further left
was written by the client itself and cannot be trusted. Without proxies, REMOTE_ADDR.
"""

from django.conf import settings


def client_ip(request):
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote_addr
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote_addr
    return forwarded[-proxies]
