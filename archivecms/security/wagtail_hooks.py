from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from archivecms.security import views


@hooks.register("register_admin_urls")
def register_two_factor_urls():
    return [path("tai-khoan/xac-thuc-hai-buoc/", views.two_factor_settings, name="security_two_factor")]


@hooks.register("register_account_menu_item")
def two_factor_menu_item(request):
    return {
        "url": reverse("security_two_factor"),
        "label": _("Đăng nhập hai bước"),
        "help_text": _("Bảo vệ tài khoản bằng mã từ ứng dụng xác thực trên điện thoại, sau mật khẩu."),
    }
