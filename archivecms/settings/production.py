"""Production settings: everything that differs between installations comes from the environment."""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403

REQUIRED_VARIABLES = ("SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL")


def _require(name):
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"The environment variable {name} is required in production and is not set. "
            f"Set {name} (see the settings table in README.md) and start again."
        )
    return value


def _missing_variables():
    return [name for name in REQUIRED_VARIABLES if not os.environ.get(name, "").strip()]


if missing := _missing_variables():
    raise ImproperlyConfigured(
        "Production settings need these environment variables, which are not set: "
        + ", ".join(missing)
        + ". Set them (see the settings table in README.md) and start again."
    )

DEBUG = False
SECRET_KEY = _require("SECRET_KEY")
ALLOWED_HOSTS = [host.strip() for host in _require("ALLOWED_HOSTS").split(",") if host.strip()]
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in _require("CSRF_TRUSTED_ORIGINS").split(",") if origin.strip()
]
_database = dj_database_url.parse(
    _require("DATABASE_URL"), conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
)
DATABASES = {"default": postgres_session_settings(_database)}


def _flag(name, default):
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


# HTTPS only. The usual installation is gunicorn behind one reverse proxy that terminates TLS and sets
# X-Forwarded-Proto and X-Forwarded-For (TRUSTED_PROXY_COUNT=1); with TRUSTED_PROXY_COUNT=0 the site is
# reached directly and those headers, which a client could forge, are ignored.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Set SECURE_SSL_REDIRECT=false only when the proxy itself redirects http:// to https://.
SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", "true")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = _flag("SECURE_HSTS_PRELOAD", "true")
# Documents are signed with the archive's own certificate (SIGNING_CERT, SIGNING_KEY), not the demo one.
SIGNING_ALLOW_DEMO_CERTIFICATE = _flag("SIGNING_ALLOW_DEMO_CERTIFICATE", "false")
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY"),
            # Archive files are private: a private bucket, no public ACL, no public custom domain;
            # the checked file view hands out short-lived signed URLs only.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": FILE_URL_EXPIRY_SECONDS,  # noqa: F405
            "custom_domain": None,
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }

if os.environ.get("EMAIL_URL"):
    from urllib.parse import unquote, urlparse

    _mail = urlparse(os.environ["EMAIL_URL"])
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or 25
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_TLS = _mail.scheme in ("smtp+tls", "submission")
    EMAIL_USE_SSL = _mail.scheme == "smtps"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
