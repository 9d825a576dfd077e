"""Django's four password validators, with messages that say in Vietnamese what to change.

Django's Vietnamese catalogue lacks some of these messages (the minimum length one among them), so
they are written here; the checks themselves are Django's.
"""

from django.contrib.auth import password_validation as django_validators
from django.utils.translation import gettext as _


class UserAttributeSimilarityValidator(django_validators.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return _("Mật khẩu quá giống %(verbose_name)s của bạn. Hãy chọn mật khẩu khác hẳn thông tin cá nhân.")

    def get_help_text(self):
        return _("Mật khẩu không được giống tên, tên đăng nhập hay email của bạn.")


class MinimumLengthValidator(django_validators.MinimumLengthValidator):
    def get_error_message(self):
        return _("Mật khẩu quá ngắn: cần ít nhất %(min_length)d ký tự.") % {"min_length": self.min_length}

    def get_help_text(self):
        return _("Mật khẩu cần ít nhất %(min_length)d ký tự.") % {"min_length": self.min_length}


class CommonPasswordValidator(django_validators.CommonPasswordValidator):
    def get_error_message(self):
        return _("Mật khẩu này quá phổ biến, dễ bị đoán. Hãy chọn một cụm từ riêng của bạn.")

    def get_help_text(self):
        return _("Mật khẩu không được là một mật khẩu phổ biến.")


class NumericPasswordValidator(django_validators.NumericPasswordValidator):
    def get_error_message(self):
        return _("Mật khẩu không được chỉ gồm chữ số. Hãy thêm chữ cái.")

    def get_help_text(self):
        return _("Mật khẩu không được chỉ gồm chữ số.")
