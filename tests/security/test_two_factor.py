"""Optional two-factor login for staff with an authenticator app (TOTP)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from collections_app.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-thu-nghiem"
WRONG_CODE_MESSAGE = "Mã xác thực không đúng hoặc đã hết hạn"


def current_code(device):
    """The code the staff member's phone shows now, computed from the device's key."""
    device.refresh_from_db()
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    return str(token).zfill(device.digits)


def wrong_code(device):
    return str((int(current_code(device)) + 1) % 10**device.digits).zfill(device.digits)


@pytest.fixture
def staff():
    return UserFactory(username="quantri.tq", is_superuser=True)


@pytest.fixture
def staff_with_2fa(staff):
    TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    return staff


def password_login(client, user):
    response = client.post(
        reverse("wagtailadmin_login"), {"username": user.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    return response


def test_staff_enables_two_factor_from_the_account_page(client, staff):
    client.force_login(staff)
    account = client.get(reverse("wagtailadmin_account")).content.decode()
    assert "Đăng nhập hai bước" in account and reverse("security_two_factor") in account

    page = client.get(reverse("security_two_factor"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    device = TOTPDevice.objects.get(user=staff, confirmed=False)

    refused = client.post(reverse("security_two_factor"), {"code": wrong_code(device)})
    assert WRONG_CODE_MESSAGE in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists()

    # django-otp makes the device wait a second after a wrong code: the wait is dated back.
    device.refresh_from_db()
    device.throttling_failure_timestamp -= timedelta(seconds=2)
    device.save()
    accepted = client.post(reverse("security_two_factor"), {"code": current_code(device)})
    assert accepted.status_code == 302
    assert TOTPDevice.objects.get(user=staff).confirmed
    # The session that set it up stays usable.
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert "đang bật" in client.get(reverse("security_two_factor")).content.decode()


def test_login_without_the_code_is_refused(client, staff_with_2fa):
    password_login(client, staff_with_2fa)
    for url in [reverse("wagtailadmin_home"), reverse("fonds:index"), reverse("security_two_factor")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("security_verify"))
    response = client.post(reverse("fonds:add"), {})
    assert response.status_code == 302 and response["Location"].startswith(reverse("security_verify"))


def test_wrong_code_is_refused_and_logged(client, staff_with_2fa, caplog):
    password_login(client, staff_with_2fa)
    device = TOTPDevice.objects.get(user=staff_with_2fa)
    response = client.post(reverse("security_verify"), {"code": wrong_code(device), "next": "/admin/"})
    assert response.status_code == 200
    assert WRONG_CODE_MESSAGE in response.content.decode()
    assert client.get(reverse("wagtailadmin_home")).status_code == 302
    assert any("Wrong two-factor code" in record.getMessage() for record in caplog.records)
    too_soon = client.post(reverse("security_verify"), {"code": current_code(device), "next": "/admin/"})
    assert "Đã nhập sai mã nhiều lần liên tiếp" in too_soon.content.decode()
    assert client.get(reverse("wagtailadmin_home")).status_code == 302
    nonsense = client.post(reverse("security_verify"), {"code": "abc<script>", "next": "/admin/"})
    assert nonsense.status_code == 200


def test_login_with_a_valid_code_is_accepted(client, staff_with_2fa):
    password_login(client, staff_with_2fa)
    verify_page = client.get(reverse("security_verify") + "?next=/admin/fonds/")
    assert "Nhập mã xác thực" in verify_page.content.decode()
    device = TOTPDevice.objects.get(user=staff_with_2fa)
    response = client.post(
        reverse("security_verify"), {"code": current_code(device), "next": "/admin/fonds/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/fonds/"
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_verify_does_not_redirect_elsewhere(client, staff_with_2fa):
    password_login(client, staff_with_2fa)
    device = TOTPDevice.objects.get(user=staff_with_2fa)
    response = client.post(
        reverse("security_verify"), {"code": current_code(device), "next": "https://evil.example.com/"}
    )
    assert response["Location"] == reverse("wagtailadmin_home")


def test_staff_switches_two_factor_off_with_a_code(client, staff_with_2fa):
    password_login(client, staff_with_2fa)
    device = TOTPDevice.objects.get(user=staff_with_2fa)
    client.post(reverse("security_verify"), {"code": current_code(device)})
    response = client.post(reverse("security_two_factor"), {"code": wrong_code(device)})
    assert WRONG_CODE_MESSAGE in response.content.decode()
    assert TOTPDevice.objects.filter(user=staff_with_2fa).exists()


def test_required_two_factor_sends_staff_to_set_it_up(client, staff, settings, home):
    settings.STAFF_REQUIRE_2FA = True
    reader = UserFactory(username="bandoc@example.vn")
    client.force_login(reader)
    assert client.get("/").status_code == 200

    client.force_login(staff)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security_two_factor"))
    page = client.get(reverse("security_two_factor")).content.decode()
    assert "Cơ quan yêu cầu mọi cán bộ dùng đăng nhập hai bước" in page
    device = TOTPDevice.objects.get(user=staff)
    client.post(reverse("security_two_factor"), {"code": current_code(device)})
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    # Required: it cannot be switched off.
    assert "không thể tắt" in client.get(reverse("security_two_factor")).content.decode()


def test_staff_without_two_factor_is_not_asked_for_a_code(client, staff):
    password_login(client, staff)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_staff_owing_a_code_can_still_log_out(client, staff_with_2fa):
    password_login(client, staff_with_2fa)
    assert 'action="/admin/logout/"' in client.get(reverse("security_verify")).content.decode()
    response = client.post(reverse("wagtailadmin_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
