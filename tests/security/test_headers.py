"""Security headers on public and admin pages, and the production settings."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from collections_app.factories import DocumentFactory, FondsFactory, RecordFileFactory, SeriesFactory

pytestmark = pytest.mark.django_db


def csp_directives(response):
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_secure_headers(response):
    directives = csp_directives(response)
    script_src = directives["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.fixture
def document(tuyen_quang):
    return DocumentFactory(
        file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    )


def test_public_pages_carry_the_security_headers(client, tuyen_quang, document):
    for url in ["/", "/tuyen-quang/", reverse("wagtailadmin_login"), "/trang-khong-co/"]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_secure_headers(response)


def test_admin_pages_carry_the_security_headers(client, admin_user, document):
    client.force_login(admin_user)
    urls = [
        reverse("wagtailadmin_home"),
        reverse("document:edit", args=[document.pk]),
        reverse("fonds:index"),
        reverse("wagtailadmin_account"),
        reverse("security_two_factor"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_secure_headers(response)


def test_inline_scripts_of_the_admin_carry_the_response_nonce(client, admin_user, home):
    """Wagtail's date pickers (page scheduling) write inline scripts; they carry the policy's nonce."""
    client.force_login(admin_user)
    response = client.get(reverse("wagtailadmin_pages:edit", args=[home.pk]))
    html = response.content.decode()
    nonce = next(value for value in csp_directives(response)["script-src"] if value.startswith("'nonce-"))
    inline_scripts = [
        chunk.split(">", 1)[0]
        for chunk in html.split("<script")[1:]
        if "src=" not in chunk.split(">", 1)[0] and "application/json" not in chunk.split(">", 1)[0]
    ]
    assert inline_scripts, "the page editor is expected to hold inline scripts (date pickers)"
    for attributes in inline_scripts:
        assert f'nonce="{nonce[7:-1]}"' in attributes


def test_wagtail_preview_may_be_framed_by_the_admin_only(client, admin_user, home):
    client.force_login(admin_user)
    response = client.get(reverse("wagtailadmin_pages:preview_on_edit", args=[home.pk]))
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert csp_directives(response)["frame-ancestors"] == ["'self'"]


def read_production_settings(extra_env):
    """Imports the production settings in a fresh process with the environment of a real install."""
    code = (
        "import json, django.conf as c; from archivecms.settings import production as p; "
        "print(json.dumps({name: getattr(p, name, None) for name in ["
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', "
        "'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_AGE', 'TRUSTED_PROXY_COUNT', 'DEBUG', 'DATABASES', "
        "'SEARCH_WORK_MEM']}))"
    )
    env = {
        **os.environ,
        "SECRET_KEY": "production-test-key-long-enough-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "archive.example.vn",
        "CSRF_TRUSTED_ORIGINS": "https://archive.example.vn",
        "DATABASE_URL": "sqlite:///production-test.sqlite3",
        **extra_env,
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_force_https_and_secure_cookies():
    production = read_production_settings({})
    assert production["DEBUG"] is False
    assert production["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_HSTS_PRELOAD"] is True
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_AGE"] <= 12 * 60 * 60


def test_production_settings_follow_the_environment():
    production = read_production_settings(
        {"SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_PRELOAD": "false", "TRUSTED_PROXY_COUNT": "0"}
    )
    assert production["SECURE_SSL_REDIRECT"] is False
    assert production["SECURE_HSTS_PRELOAD"] is False
    assert production["TRUSTED_PROXY_COUNT"] == 0
    assert production["SECURE_PROXY_SSL_HEADER"] is None


def test_production_postgres_sessions_run_without_jit_unless_told_otherwise():
    url = {"DATABASE_URL": "postgres://kho:secret@db.example.vn:5432/kho"}
    default = read_production_settings(url)["DATABASES"]["default"]
    assert default["OPTIONS"]["options"] == "-c jit=off"
    behind_pooler = read_production_settings({**url, "DATABASE_OPTIONS": ""})["DATABASES"]["default"]
    assert "options" not in behind_pooler.get("OPTIONS", {})


def test_production_search_working_memory_follows_the_environment():
    assert read_production_settings({})["SEARCH_WORK_MEM"] == "32MB"
    assert read_production_settings({"SEARCH_WORK_MEM": "128MB"})["SEARCH_WORK_MEM"] == "128MB"
    assert read_production_settings({"SEARCH_WORK_MEM": ""})["SEARCH_WORK_MEM"] == ""


def test_production_refuses_a_search_working_memory_that_is_no_size():
    with pytest.raises(subprocess.CalledProcessError) as refused:
        read_production_settings({"SEARCH_WORK_MEM": "lots"})
    assert "SEARCH_WORK_MEM='lots': give a size in kB, MB or GB" in refused.value.stderr


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has no JIT")
def test_the_database_session_has_jit_off_on_postgres():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
