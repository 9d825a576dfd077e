"""Passwords follow Django's four validators (at least 10 characters), refused in Vietnamese."""

import pytest
from django.urls import NoReverseMatch, reverse

from collections_app.factories import UserFactory

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture
def staff(client):
    user = UserFactory(username="nguyenvanan", first_name="An", last_name="Nguyễn Văn", is_superuser=True)
    client.force_login(user)
    return user


def change_password(client, user, new_password):
    """Submits the password section of the Wagtail account page, as the browser does."""
    return client.post(
        reverse("wagtailadmin_account"),
        {
            "name_email-first_name": user.first_name,
            "name_email-last_name": user.last_name,
            "name_email-email": user.email,
            "locale-preferred_language": "vi",
            "locale-current_time_zone": "",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "theme-keyboard_shortcuts": "on",
            "password-old_password": OLD_PASSWORD,
            "password-new_password1": new_password,
            "password-new_password2": new_password,
        },
    )


@pytest.mark.parametrize(
    "weak_password, message",
    [
        ("Ngan-1a", "Mật khẩu quá ngắn: cần ít nhất 10 ký tự."),
        ("1234567890123", "Mật khẩu không được chỉ gồm chữ số."),
        ("password123", "Mật khẩu này quá phổ biến"),
        ("nguyenvanan1", "Mật khẩu quá giống"),
    ],
)
def test_weak_password_is_refused_with_a_vietnamese_reason(client, staff, weak_password, message):
    response = change_password(client, staff, weak_password)
    assert response.status_code == 200
    assert message in response.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(OLD_PASSWORD)


def test_strong_password_is_accepted(client, staff):
    response = change_password(client, staff, "Sông Lô mùa nước 1945")
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("Sông Lô mùa nước 1945")


def test_reader_registration_refuses_a_short_password(client, home):
    try:
        url = reverse("accounts:register")
    except NoReverseMatch:
        pytest.skip(reason="reader registration is not installed")
    response = client.post(
        url,
        {
            "kind": "citizen",
            "full_name": "Trần Thị Mai",
            "identity_number": "001234567891",
            "phone": "0912345678",
            "address": "Tuyên Quang",
            "email": "mai.tran@example.vn",
            "password1": "Mai-2024a",
            "password2": "Mai-2024a",
        },
    )
    assert response.status_code == 200
    assert "Mật khẩu quá ngắn: cần ít nhất 10 ký tự." in response.content.decode()
