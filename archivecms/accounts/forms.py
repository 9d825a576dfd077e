import re

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import CITIZEN_ID_PATTERN, TAX_CODE_PATTERN, ReaderKind, ReaderProfile


class RegistrationForm(forms.ModelForm):
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        help_text=gettext_lazy("Dùng để đăng nhập và nhận thông báo về yêu cầu khai thác."),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Ít nhất 10 ký tự, không quá giống email hoặc tên, không chỉ gồm chữ số."),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Nhập lại mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    # Spaces typed between digit groups are allowed here and removed before the checks.
    identity_number = forms.CharField(
        label=gettext_lazy("Số CCCD hoặc mã số thuế"),
        max_length=30,
        required=False,
        help_text=gettext_lazy(
            "Cá nhân: số căn cước công dân 12 chữ số. Doanh nghiệp: mã số thuế 10 chữ số hoặc 10-3 "
            "(ví dụ 0301234567-001)."
        ),
    )

    class Meta:
        model = ReaderProfile
        fields = ["kind", "full_name", "identity_number", "organisation", "phone", "address"]
        widgets = {"kind": forms.RadioSelect}

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        users = get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email))
        if users.exists():
            raise forms.ValidationError(
                _("Email này đã được đăng ký. Hãy đăng nhập, hoặc dùng một email khác.")
            )
        return email

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_identity_number(self):
        return re.sub(r"\s", "", self.cleaned_data["identity_number"])

    def clean(self):
        data = super().clean()
        self.check_identity(data)
        self.check_passwords(data)
        return data

    def check_identity(self, data):
        kind, number = data.get("kind"), data.get("identity_number")
        if not number:
            self.add_error(
                "identity_number", _("Nhập số căn cước công dân (cá nhân) hoặc mã số thuế (doanh nghiệp).")
            )
            return
        if kind == ReaderKind.CITIZEN and not re.fullmatch(CITIZEN_ID_PATTERN, number):
            self.add_error(
                "identity_number",
                _("Số căn cước công dân gồm đúng 12 chữ số (bạn đã nhập %(count)s ký tự).")
                % {"count": len(number)},
            )
        if kind == ReaderKind.BUSINESS:
            if not re.fullmatch(TAX_CODE_PATTERN, number):
                self.add_error(
                    "identity_number",
                    _(
                        "Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu “-” và 3 chữ số "
                        "(ví dụ 0301234567-001)."
                    ),
                )
            if not data.get("organisation", "").strip():
                self.add_error("organisation", _("Nhập tên doanh nghiệp hoặc tổ chức."))

    def check_passwords(self, data):
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("Hai mật khẩu không khớp nhau. Nhập lại cho giống nhau."))
            return
        if password1:
            user = get_user_model()(username=data.get("email") or "", email=data.get("email") or "")
            user.first_name = data.get("full_name") or ""
            try:
                password_validation.validate_password(password1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)

    def save(self, commit=True):
        data = self.cleaned_data
        user = get_user_model().objects.create_user(
            username=data["email"], email=data["email"], password=data["password1"]
        )
        profile = super().save(commit=False)
        profile.user = user
        profile.save()
        return profile


class ReaderLoginForm(AuthenticationForm):
    username = forms.CharField(
        label=gettext_lazy("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        "invalid_login": gettext_lazy(
            "Email hoặc mật khẩu không đúng. Kiểm tra lại (mật khẩu phân biệt chữ hoa, chữ thường)."
        ),
        "inactive": gettext_lazy("Tài khoản này đã bị khóa. Liên hệ trung tâm lưu trữ."),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()
