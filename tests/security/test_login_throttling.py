"""Too many wrong passwords lock the login of that username from that address for 15 minutes."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import NoReverseMatch, reverse

from collections_app.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-thu-nghiem"
ATTACKER = "203.0.113.7"


def login_url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        pytest.skip(reason=f"the login page {name} is not installed")


@pytest.fixture(params=["wagtailadmin_login", "accounts:login"])
def login(request):
    """(URL, user) for the admin login and the reader login (which asks for the email)."""
    url = login_url(request.param)
    user = UserFactory(username="canbo.luutru@example.vn", email="canbo.luutru@example.vn")
    if request.param == "wagtailadmin_login":
        user.is_superuser = True
        user.save()
    return url, user


def attempt(client, url, username, password, address=ATTACKER):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail_five_times(client, url, username):
    for _ in range(5):
        response = attempt(client, url, username, "sai-mat-khau-123")
        assert response.status_code in (200, 429)


def test_sixth_attempt_is_locked_even_with_the_right_password(client, login, caplog):
    url, user = login
    fail_five_times(client, url, user.username)
    response = attempt(client, url, user.username, PASSWORD)
    page = response.content.decode()
    assert response.status_code == 429
    assert "Tạm khoá đăng nhập" in page
    assert "Bạn có thể thử lại sau 15 phút" in page
    assert int(response["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session
    assert any("Login locked" in record.getMessage() for record in caplog.records)


def test_lock_holds_only_for_that_username_from_that_address(client, login):
    url, user = login
    fail_five_times(client, url, user.username)
    assert attempt(client, url, user.username, PASSWORD).status_code == 429
    response = attempt(client, url, user.username, PASSWORD, address="198.51.100.20")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_lock_expires_after_the_cool_off(client, login):
    url, user = login
    fail_five_times(client, url, user.username)
    assert attempt(client, url, user.username, PASSWORD).status_code == 429
    # Sixteen minutes later: the failures are dated back rather than waiting.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16)
    )
    response = attempt(client, url, user.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_four_failures_then_the_right_password_logs_in(client, login):
    url, user = login
    for _ in range(4):
        assert attempt(client, url, user.username, "sai-mat-khau-123").status_code == 200
    assert attempt(client, url, user.username, PASSWORD).status_code == 302


def test_forwarded_address_counts_only_behind_a_trusted_proxy(client, settings):
    """Behind one proxy the client is the last X-Forwarded-For entry; an address the client wrote
    itself further left cannot dodge the lock."""
    settings.TRUSTED_PROXY_COUNT = 1
    url = reverse("wagtailadmin_login")
    user = UserFactory(username="quantri", is_superuser=True)
    for forged in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"]:
        client.post(
            url,
            {"username": user.username, "password": "sai-mat-khau-123"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"{forged}, {ATTACKER}",
        )
    response = client.post(
        url,
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=f"9.9.9.9, {ATTACKER}",
    )
    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == ATTACKER


def test_force_login_of_tests_is_not_throttled(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
