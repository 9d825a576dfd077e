"""Settings shared by every environment. Environment-specific files import from here."""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent

INSTALLED_APPS = [
    # First, so its copies of Wagtail admin templates (inline scripts with the CSP nonce) win.
    "archivecms.security",
    "collections_app",
    "archivecms.portal",
    "search",
    "archivecms.interop",
    "archivecms.accounts",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "archivecms.security.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "archivecms.security.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "collections_app.audit.SiteHistoryScopeMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "archivecms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "archivecms.wsgi.application"

# SQLite by default; DATABASE_URL (postgres://...) switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )


def postgres_session_settings(database):
    """``database`` with the session settings of ``DATABASE_OPTIONS`` when it is PostgreSQL.

    The default turns JIT compilation off: the search's statements over a million records are
    estimated costly enough to be compiled, and compiling them took longer (50–80 ms each) than it
    saved. Behind a pooler that refuses start-up options, set ``DATABASE_OPTIONS=`` (empty) and
    ``ALTER DATABASE … SET jit = off`` instead.
    """
    options = os.environ.get("DATABASE_OPTIONS", "-c jit=off").strip()
    if database["ENGINE"] == "django.db.backends.postgresql" and options:
        database.setdefault("OPTIONS", {})["options"] = options
    return database


postgres_session_settings(DATABASES["default"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's four validators with Vietnamese messages (archivecms/security/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "archivecms.security.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "archivecms.security.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "archivecms.security.passwords.CommonPasswordValidator"},
    {"NAME": "archivecms.security.passwords.NumericPasswordValidator"},
]

# Vietnamese by default, English available.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
FORMAT_MODULE_PATH = ["archivecms.formats"]
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# Our own catalogue first, then the supplement of Wagtail admin strings that Wagtail's
# Vietnamese catalogue lacks.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_wagtail"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "static_collected"
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_SITE_NAME = _("Kho lưu trữ số")
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILDOCS_EXTENSIONS = ["pdf", "tif", "tiff", "jpg", "jpeg", "png", "csv", "xlsx", "zip", "xml"]

WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "search.backends.database"},
}
if os.environ.get("SEARCH_URL"):
    # Elasticsearch 9 or OpenSearch 3 with the Vietnamese analysis of search/backends/vietnamese_analysis.py.
    _search_backend = os.environ.get("SEARCH_BACKEND", "elasticsearch9")
    if _search_backend not in ("elasticsearch9", "opensearch3"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"SEARCH_BACKEND={_search_backend!r}: use elasticsearch9 (the default) or opensearch3."
        )
    WAGTAILSEARCH_BACKENDS["default"] = {
        "BACKEND": f"search.backends.{_search_backend}",
        "URLS": [os.environ["SEARCH_URL"]],
        # Index names are this prefix + "_" + the model ("kholuutru_collections_app_document").
        "INDEX_PREFIX": os.environ.get("SEARCH_INDEX", "khoLuuTru").lower() + "_",
        "TIMEOUT": 10,
    }

# PostgreSQL: the working memory of the search's statements (``SET LOCAL``, for them only). With the
# server's default 4 MB a broad query's bitmap of matches turns lossy, every row of the lossy pages is
# matched again, and its hash joins spill to disk. Empty: the server's setting.
SEARCH_WORK_MEM = os.environ.get("SEARCH_WORK_MEM", "32MB").strip()
if SEARCH_WORK_MEM and not re.fullmatch(r"[1-9][0-9]*\s*(kB|MB|GB)", SEARCH_WORK_MEM):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"SEARCH_WORK_MEM={SEARCH_WORK_MEM!r}: give a size in kB, MB or GB (e.g. 32MB), or leave it empty."
    )

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kho-luu-tru@localhost")

LOGIN_URL = "wagtailadmin_login"

# Listings never render more than this many children at once.
CATALOGUE_PAGE_SIZE = 50

# Largest scan page accepted, in pixels (an A0 map at 400 dpi is about 250 megapixels); bigger images
# are refused at intake from their header, before anything is decoded (decompression bombs).
SCAN_MAX_PIXELS = int(os.environ.get("SCAN_MAX_PIXELS", 350_000_000))

# Scan processing (collections_app/ingest/processing.py, run by `manage.py db_worker`).
# OCR language(s) for Tesseract and OCRmyPDF, e.g. "vie" or "vie+eng".
SCAN_OCR_LANGUAGE = os.environ.get("SCAN_OCR_LANGUAGE", "vie")
# Tesseract processes one scan runs at once, each single-threaded (OMP_THREAD_LIMIT=1 measured
# fastest); keep (db_worker processes × SCAN_OCR_JOBS) close to the number of cores.
SCAN_OCR_JOBS = int(os.environ.get("SCAN_OCR_JOBS", "0")) or os.cpu_count() or 1
SCAN_TESSERACT_THREADS = 1
SCAN_OCR_PAGE_TIMEOUT = int(os.environ.get("SCAN_OCR_PAGE_TIMEOUT", "300"))
# PDF pages are rendered at their scanned image's resolution, at most SCAN_RENDER_MAX_DPI; pages
# without a scanned image (born-digital) at SCAN_RENDER_DPI.
SCAN_RENDER_DPI = int(os.environ.get("SCAN_RENDER_DPI", "300"))
SCAN_RENDER_MAX_DPI = int(os.environ.get("SCAN_RENDER_MAX_DPI", "600"))
# PDF/A backend of OCRmyPDF, which processes "redo" and "force" scans and rotated PDFs (the others
# are OCR'd page by page and saved as PDF/A by pikepdf): "internal" validates with pikepdf, "auto"
# may also use Ghostscript (whose 10.0–10.02 releases corrupt existing text layers).
SCAN_PDFA_BACKEND = os.environ.get("SCAN_PDFA_BACKEND", "internal")
# Warn the archivist when the PDF/A is this many times larger than the original scan.
SCAN_PDFA_GROWTH_WARNING = float(os.environ.get("SCAN_PDFA_GROWTH_WARNING", "2.0"))
# Crash recovery: a running scan records progress every SCAN_HEARTBEAT_SECONDS; one without progress
# for SCAN_STALE_AFTER_SECONDS is re-queued (at most SCAN_MAX_ATTEMPTS runs, then marked failed) by
# the sweep task every SCAN_SWEEP_INTERVAL_SECONDS and by `manage.py requeue_stale_scans`.
SCAN_HEARTBEAT_SECONDS = float(os.environ.get("SCAN_HEARTBEAT_SECONDS", "30"))
SCAN_STALE_AFTER_SECONDS = float(os.environ.get("SCAN_STALE_AFTER_SECONDS", "600"))
SCAN_SWEEP_INTERVAL_SECONDS = float(os.environ.get("SCAN_SWEEP_INTERVAL_SECONDS", "120"))
SCAN_MAX_ATTEMPTS = int(os.environ.get("SCAN_MAX_ATTEMPTS", "3"))

# Stored files are served only through /files/<id>/<name>; with S3 that view redirects, after the
# access check and the read log, to a presigned URL valid this many seconds.
FILE_URL_EXPIRY_SECONDS = int(os.environ.get("FILE_URL_EXPIRY_SECONDS", "300"))

# Digital signatures (collections_app/signing.py): the archive's certificate and key (PEM paths). Unset,
# a self-signed demonstration certificate is made once in SIGNING_DEMO_DIR (production refuses it
# unless SIGNING_ALLOW_DEMO_CERTIFICATE is set).
SIGNING_CERT = os.environ.get("SIGNING_CERT", "")
SIGNING_KEY = os.environ.get("SIGNING_KEY", "")
SIGNING_KEY_PASSPHRASE = os.environ.get("SIGNING_KEY_PASSPHRASE", "")
SIGNING_ALLOW_DEMO_CERTIFICATE = True
SIGNING_DEMO_DIR = Path(os.environ.get("SIGNING_DEMO_DIR", BASE_DIR / "var" / "signing"))
# Signed handover records are stored in the default storage under this prefix, served to staff only.
HANDOVER_STORAGE_PREFIX = "private/handover"

# --- Security (archivecms/security/) ---
# django-axes counts wrong passwords at authenticate(), so every login form (Wagtail admin, reader
# login) is throttled: after AXES_FAILURE_LIMIT failures for one username from one address, logins for
# that pair are refused with a 429 page for AXES_COOLOFF_TIME. Successful logins reset the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "archivecms.security.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "archivecms.security.client_ip.client_ip"
# Reverse proxies in front of the site that append to X-Forwarded-For (0: none, the site is reached
# directly). Production sets it from the environment.
TRUSTED_PROXY_COUNT = 0

# Two-factor login (TOTP authenticator app) is optional for each staff user; True makes it compulsory
# for everyone who can open the admin.
STAFF_REQUIRE_2FA = os.environ.get("STAFF_REQUIRE_2FA", "false").lower() == "true"
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Kho lưu trữ số")

# Content Security Policy (django-csp). Scripts only from our own origin, or inline with the
# response's nonce (Wagtail's date pickers and inline panels, whose templates
# archivecms/security/templates/ copies with the nonce added); never 'unsafe-inline' or 'unsafe-eval'
# for scripts. Styles keep 'unsafe-inline': the Wagtail admin sets style attributes from its scripts
# and templates (and our admin templates use a few style attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A session lasts at most a working day ("remember me" on the admin login); without it, it ends when
# the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
# No outside requests from the admin: avatars are not fetched from Gravatar, and the admin does not
# look for new Wagtail releases on the internet (closed government networks, and the CSP).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
