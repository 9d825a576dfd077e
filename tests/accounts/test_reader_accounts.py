"""A citizen or a business registers, logs in, sees their profile and grants, logs out."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from archivecms.accounts.models import ReaderProfile
from collections_app.factories import DocumentFactory, RecordFileFactory, UserFactory
from collections_app.models import AccessGrant

pytestmark = pytest.mark.django_db

PASSWORD = "Luu-tru-Tuyen-Quang-2026"


def citizen_data(**overrides):
    data = {
        "kind": "citizen",
        "full_name": "  Nguyễn   Thị Hoa ",
        "identity_number": "001 234 567 890",
        "organisation": "",
        "phone": "0912345678",
        "address": "Phường Minh Xuân, tỉnh Tuyên Quang",
        "email": "Hoa.Nguyen@Example.vn",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def test_citizen_registers_and_is_logged_in_at_once(client, home):
    form = client.get("/accounts/register/")
    assert form.status_code == 200
    assert "Đăng ký tài khoản độc giả" in form.content.decode()

    response = client.post("/accounts/register/", citizen_data())
    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
    user = get_user_model().objects.get(email="hoa.nguyen@example.vn")
    assert user.username == "hoa.nguyen@example.vn"
    assert user.is_active and not user.is_staff and not user.is_superuser
    profile = ReaderProfile.objects.get(user=user)
    assert (profile.full_name, profile.identity_number) == ("Nguyễn Thị Hoa", "001234567890")

    page = client.get("/accounts/me/").content.decode()
    assert "Nguyễn Thị Hoa" in page
    assert "001234567890" in page
    assert "Đã tạo tài khoản" in page
    assert "Bạn chưa được cấp quyền khai thác tài liệu nào" in page
    # A reader is not staff: the admin sends them to its login page.
    admin = client.get("/admin/")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]


def test_business_registers_with_a_tax_code(client, home):
    data = citizen_data(
        kind="business",
        identity_number="0301234567-001",
        organisation="Công ty TNHH Đo đạc Sông Lô",
        email="dodac@songlo.vn",
    )
    assert client.post("/accounts/register/", data).status_code == 302
    profile = ReaderProfile.objects.get(user__email="dodac@songlo.vn")
    assert profile.kind == "business" and profile.organisation == "Công ty TNHH Đo đạc Sông Lô"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"identity_number": "12345678901"}, "Số căn cước công dân gồm đúng 12 chữ số"),
        ({"kind": "business", "identity_number": "03012345"}, "Mã số thuế gồm 10 chữ số"),
        ({"kind": "business", "identity_number": "0301234567"}, "Nhập tên doanh nghiệp hoặc tổ chức"),
        ({"password2": "khac-mat-khau-1"}, "Hai mật khẩu không khớp nhau"),
        ({"password1": "12345678", "password2": "12345678"}, "password"),
        ({"email": "khong-phai-email"}, "email"),
        ({"full_name": ""}, "field--error"),
    ],
)
def test_registration_errors_say_what_to_fix(client, home, overrides, message):
    response = client.post("/accounts/register/", citizen_data(**overrides))
    assert response.status_code == 200
    assert message.lower() in response.content.decode().lower()
    assert not get_user_model().objects.exists()


def test_an_email_registers_only_once(client, home):
    UserFactory(username="hoa.nguyen@example.vn", email="hoa.nguyen@example.vn")
    page = client.post("/accounts/register/", citizen_data()).content.decode()
    assert "Email này đã được đăng ký" in page
    assert not ReaderProfile.objects.exists()


def test_login_with_email_and_logout(client, home):
    client.post("/accounts/register/", citizen_data())
    client.post("/accounts/logout/")
    assert client.get("/accounts/me/")["Location"].startswith("/accounts/login/")

    wrong = client.post("/accounts/login/", {"username": "hoa.nguyen@example.vn", "password": "sai"})
    assert wrong.status_code == 200
    assert "Email hoặc mật khẩu không đúng" in wrong.content.decode()

    response = client.post("/accounts/login/", {"username": "HOA.NGUYEN@example.vn", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
    assert client.get("/accounts/me/").status_code == 200

    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/me/").status_code == 302


def test_profile_lists_grants_with_their_status(client, tuyen_quang):
    client.post("/accounts/register/", citizen_data())
    reader = get_user_model().objects.get(email="hoa.nguyen@example.vn")
    today = timezone.localdate()
    file = RecordFileFactory(
        archive=tuyen_quang,
        fonds__archive=tuyen_quang,
        series__fonds__archive=tuyen_quang,
        title="Hồ sơ giải phóng mặt bằng đường tránh",
        access_regime="02",
    )
    document = DocumentFactory(file=file, title="Biên bản kiểm đếm tài sản", access_regime="02")
    old = RecordFileFactory(series=file.series, title="Hồ sơ thu hồi đất cũ", access_regime="02")

    def grant(**kwargs):
        return AccessGrant.objects.create(archive=tuyen_quang, reader=reader, purpose="Nghiên cứu", **kwargs)

    grant(record_file=file, valid_until=today + datetime.timedelta(days=15))
    grant(record_file=old, valid_until=today - datetime.timedelta(days=1))
    grant(
        document=document,
        valid_until=today + datetime.timedelta(days=5),
        revoked_at=timezone.now(),
        revoke_reason="Yêu cầu bị hủy",
    )
    page = client.get("/accounts/me/").content.decode()
    assert "Hồ sơ giải phóng mặt bằng đường tránh" in page
    assert f"/r/{file.reference_code}/" in page
    assert (today + datetime.timedelta(days=15)).strftime("%d/%m/%Y") in page
    assert "Còn hiệu lực" in page
    assert "Hết hạn" in page
    assert "Đã thu hồi: Yêu cầu bị hủy" in page
    # Another reader sees none of them.
    client.post("/accounts/logout/")
    client.post("/accounts/register/", citizen_data(email="khac@example.vn", identity_number="001234567891"))
    assert "Hồ sơ giải phóng mặt bằng" not in client.get("/accounts/me/").content.decode()
