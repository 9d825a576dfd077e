"""Every POST form we serve refuses a submission without its CSRF token.

The pages are found from the URL configuration (views of our own apps that take no argument, plus
the Wagtail login and account pages and the edit forms of the description levels), so a new form
joins the check by existing. Each page is opened by a visitor and by a superuser; every
<form method="post"> found is then submitted without its token.
"""

import re
from urllib.parse import urljoin

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse

from collections_app.factories import DocumentFactory, FondsFactory, RecordFileFactory, SeriesFactory

pytestmark = pytest.mark.django_db

OUR_MODULES = ("collections_app", "archivecms", "search")
WAGTAIL_FORM_PAGES = ["wagtailadmin_login", "wagtailadmin_account", "wagtailadmin_password_reset"]
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']post[\"'][^>]*>", re.IGNORECASE)
ACTION = re.compile(r"\baction=[\"']([^\"']*)[\"']", re.IGNORECASE)


def view_module(pattern):
    view = pattern.callback
    return getattr(getattr(view, "view_class", None), "__module__", None) or getattr(view, "__module__", "")


def our_urls_without_arguments(patterns=None, namespaces=()):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            extra = (pattern.namespace,) if pattern.namespace else ()
            yield from our_urls_without_arguments(pattern.url_patterns, namespaces + extra)
        elif pattern.name and view_module(pattern).startswith(OUR_MODULES):
            try:
                yield reverse(":".join((*namespaces, pattern.name)))
            except NoReverseMatch:
                continue


def post_forms(page_url, html):
    for tag in POST_FORM.findall(html):
        found = ACTION.search(tag)
        action = urljoin(page_url, found.group(1) if found and found.group(1) else page_url)
        if action.startswith("/"):
            yield action.replace("&amp;", "&")


@pytest.fixture
def form_pages(tuyen_quang):
    document = DocumentFactory(
        file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    )
    objects = {"fonds": document.file.fonds, "series": document.file.series, "recordfile": document.file}
    objects["document"] = document
    edit_pages = [reverse(f"{level}:edit", args=[obj.pk]) for level, obj in objects.items()]
    wagtail_pages = [reverse(name) for name in WAGTAIL_FORM_PAGES]
    return sorted({"/", "/tuyen-quang/", *our_urls_without_arguments(), *wagtail_pages, *edit_pages})


def collect_forms(client, pages):
    forms = set()
    for url in pages:
        response = client.get(url)
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            forms.update(post_forms(url, response.content.decode()))
    return forms


def test_every_post_form_refuses_a_submission_without_token(form_pages, admin_user):
    visitor = Client(enforce_csrf_checks=True)
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(admin_user)
    visitor_forms = collect_forms(visitor, form_pages)
    staff_forms = collect_forms(staff, form_pages)

    # The forms this check must at least cover; new ones join from the URL configuration.
    assert reverse("wagtailadmin_login") in visitor_forms
    assert reverse("set_language") in visitor_forms
    assert any(url.startswith("/admin/document/edit/") for url in staff_forms)
    assert reverse("wagtailadmin_account") in staff_forms

    for client, forms in ((visitor, visitor_forms), (staff, staff_forms)):
        for action in sorted(forms):
            response = client.post(action, {})
            assert response.status_code == 403, action


def test_refusal_page_explains_in_vietnamese(client):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("wagtailadmin_login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "Không gửi được biểu mẫu" in response.content.decode()


def test_the_same_form_with_its_token_is_accepted(admin_user):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("wagtailadmin_login"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(
        reverse("wagtailadmin_login"),
        {"csrfmiddlewaretoken": token, "username": admin_user.username, "password": "password"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 302
