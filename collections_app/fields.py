"""Model fields for the shapes of Circular 05/2025 data."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .partial_dates import format_partial_date, parse_partial_date
from .vocabularies import Language

_ISO_PREFIX = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class PartialDateFormField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("DD/MM/YYYY, MM/YYYY hoặc YYYY"))
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "DD/MM/YYYY"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if value and _ISO_PREFIX.match(str(value)):
            return format_partial_date(str(value))
        return value

    def to_python(self, value):
        return parse_partial_date(super().to_python(value))


class PartialDateField(models.CharField):
    """A date of day, month or year precision, stored as a sortable ISO prefix."""

    description = _("Ngày (DD/MM/YYYY, MM/YYYY hoặc YYYY)")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value is None:
            return ""
        text = str(value)
        if _ISO_PREFIX.match(text):
            return text
        return parse_partial_date(text)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PartialDateFormField, **kwargs})


class CodeListFormField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class CodeListField(models.CharField):
    """Several vocabulary codes (e.g. languages "01,06"), stored as comma-separated text."""

    def __init__(self, *args, choices_class=Language, **kwargs):
        self.choices_class = choices_class
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or value == "":
            return []
        if isinstance(value, list | tuple):
            return [str(code) for code in value]
        return [code.strip() for code in str(value).split(",") if code.strip()]

    def get_prep_value(self, value):
        codes = self.to_python(value)
        return ",".join(codes)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value, model_instance):
        allowed = set(self.choices_class.values)
        unknown = [code for code in self.to_python(value) if code not in allowed]
        if unknown:
            raise ValidationError(
                _("Mã “%(codes)s” không có trong danh mục. Chọn trong: %(allowed)s."),
                code="unknown_code",
                params={"codes": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))},
            )
        if not self.blank and not value:
            raise ValidationError(self.error_messages["blank"], code="blank")

    def formfield(self, **kwargs):
        defaults = {
            "form_class": CodeListFormField,
            "choices": self.choices_class.choices,
            "required": not self.blank,
            "label": self.verbose_name,
            "help_text": self.help_text,
        }
        defaults.update(kwargs)
        defaults.pop("choices_form_class", None)
        defaults.pop("max_length", None)
        return forms.TypedMultipleChoiceField(
            choices=defaults["choices"],
            required=defaults["required"],
            label=defaults["label"],
            help_text=defaults["help_text"],
            widget=forms.CheckboxSelectMultiple,
            initial=defaults.get("initial"),
        )
