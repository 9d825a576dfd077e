"""The admin and the public site work in a real Chromium under the Content Security Policy.

Logs in through the admin login form, opens the dashboard, a description edit form, the page
editor (whose date pickers are inline scripts with the nonce) and public pages, and fails on any
CSP violation or JavaScript error the browser reports.
"""

import threading
from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer

from archivecms.portal.models import ArchivePage
from collections_app.factories import DocumentFactory, FondsFactory, RecordFileFactory, SeriesFactory

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "mat-khau-thu-nghiem"

# The live server reads the database from another thread; serialized_rollback restores the page tree
# (created by migrations) for the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def record_console_error(message, problems):
    # Browsers ask for /favicon.ico by themselves; the site has none, which is not a page problem.
    if message.type == "error" and "/favicon.ico" not in message.location.get("url", ""):
        problems.append(f"{message.text} ({message.location.get('url', '')})")


@pytest.fixture
def browser_page(site_data):
    """A Chromium page, started once the test data exists and closed before the server stops.

    Playwright's synchronous API runs an event loop in this thread, under which Django would open a
    second database connection that nothing closes; so no database call happens while it runs.
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(reason=f"Chromium is not installed at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(locale="vi-VN")
        problems = []
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", lambda message: record_console_error(message, problems))
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        yield page, problems
        browser.close()


@pytest.fixture
def live_server(transactional_db):
    """A server of this test only: stopping it closes its database connection, so the test database
    can be dropped at the end of the run (pytest-django's own live server lives for the session)."""
    threads_before = set(threading.enumerate())
    server = LiveServer("localhost")
    yield server
    server.stop()
    # Request threads close their database connection as they end; wait for them.
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(timeout=5)


@pytest.fixture
def site_data(tuyen_quang, django_user_model, settings, live_server):
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    document = DocumentFactory(
        file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    )
    django_user_model.objects.create_superuser("quantri", "quantri@example.vn", PASSWORD)
    archive_page = ArchivePage.objects.get(archive=tuyen_quang)
    return {
        "document_edit": f"/admin/document/edit/{document.pk}/",
        "home_edit": f"/admin/pages/{archive_page.get_parent().pk}/edit/",
        "archive_page": archive_page.url,
    }


def open_page(page, url):
    response = page.goto(url, wait_until="networkidle")
    assert response.status < 400, f"{url} answered {response.status}"
    assert (
        "'unsafe-inline'"
        not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    )
    return response


def test_admin_and_public_pages_run_without_csp_violations(browser_page, site_data, live_server):
    page, problems = browser_page
    base = live_server.url

    open_page(page, f"{base}/admin/login/")
    page.fill("input[name=username]", "quantri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/", wait_until="networkidle")
    assert page.locator("main").count() >= 1

    open_page(page, f"{base}{site_data['document_edit']}")
    assert page.locator("input[name=title]").count() == 1
    open_page(page, f"{base}{site_data['home_edit']}")
    # The page editor holds Wagtail's inline date-picker scripts: without the nonce they would be
    # refused and reported below.
    assert page.locator("script[nonce]").count() >= 1
    open_page(page, f"{base}/")
    open_page(page, f"{base}{site_data['archive_page']}")
    page.wait_for_timeout(300)

    assert problems == []

    # The check itself: an inline script without the nonce is blocked and reported.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.ran") is None
    assert any("CSP violation: script-src" in problem for problem in problems)
