from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archivecms.security import two_factor


class CodeForm(forms.Form):
    """Asks for the 6-digit code an authenticator app shows, and checks it against the device."""

    code = forms.CharField(
        label=_("Mã xác thực"),
        max_length=12,
        help_text=_("Mã 6 chữ số đang hiện trong ứng dụng xác thực (Google Authenticator, FreeOTP…)."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = self.cleaned_data["code"]
        wait_until = two_factor.throttled_until(self.device) if self.device is not None else None
        if wait_until is not None:
            raise forms.ValidationError(
                _("Đã nhập sai mã nhiều lần liên tiếp. Chờ đến %(time)s rồi nhập mã mới."),
                code="throttled",
                params={"time": timezone.localtime(wait_until).strftime("%H:%M:%S")},
            )
        if self.device is None or not two_factor.code_is_valid(self.device, code):
            raise forms.ValidationError(
                _(
                    "Mã xác thực không đúng hoặc đã hết hạn. Nhập mã đang hiện trong ứng dụng "
                    "(mỗi mã chỉ dùng được 30 giây và một lần); kiểm tra đồng hồ của điện thoại nếu vẫn sai."
                ),
                code="invalid_code",
            )
        return code
