"""Admin forms for the description levels: parents limited to the user's archives."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from . import access, codes
from .models import AliasReason, Archive, Document, Fonds, RecordFile, Series


class ReferenceCodeChoiceField(forms.ModelChoiceField):
    """Chooses a parent among many by typing its reference code."""

    widget = forms.TextInput

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="reference_code", **kwargs)
        self.error_messages["invalid_choice"] = _(
            "Không tìm thấy bản ghi có mã tham chiếu này trong cơ quan lưu trữ của bạn. Hãy "
            "nhập đúng mã (ví dụ LT75.H19.25.07.2024.08) hoặc mở trang của bản ghi cha và chọn "
            "“Thêm” từ đó."
        )

    def prepare_value(self, value):
        if isinstance(value, int | str) and str(value).isdigit():
            record = self.queryset.filter(pk=value).first()
            return record.reference_code if record else value
        if hasattr(value, "reference_code"):
            return value.reference_code
        return super().prepare_value(value)


class ScopedDescriptionForm(WagtailAdminModelForm):
    """Limits every parent choice to records of the archives the user works for."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.user = for_user
        if for_user is None:
            return
        if "archive" in self.fields:
            archives = access.admin_archives(for_user)
            self.fields["archive"].queryset = archives
            if archives.count() == 1 and not self.instance.archive_id:
                self.fields["archive"].initial = archives.first().pk
        for name, model in (("fonds", Fonds), ("series", Series), ("file", RecordFile)):
            if name in self.fields:
                self.fields[name].queryset = access.admin_queryset(for_user, model)

    def clean(self):
        cleaned = super().clean()
        archive = cleaned.get("archive")
        if archive is not None and self.user is not None and not access.is_staff_of(self.user, archive.pk):
            raise ValidationError({"archive": _("Bạn không thuộc cơ quan lưu trữ này.")})
        return cleaned


class LegacyCodeMixin(forms.Form):
    """Lets the archivist record the record's code under Circular 02/2019, kept as an alias."""

    legacy_code = forms.CharField(
        label=_("Mã cũ theo Thông tư 02/2019"),
        required=False,
        max_length=150,
        help_text=_("Nếu có: mã lưu trữ cũ của bản ghi. Mã cũ tiếp tục dẫn tới bản ghi này."),
    )

    def clean_legacy_code(self):
        code = self.cleaned_data["legacy_code"].strip()
        if not code:
            return code
        owner = codes.reference_code_owner(code)
        if owner is not None and owner != (type(self.instance), self.instance.pk):
            raise ValidationError(
                _("Mã “%(code)s” đang là mã của một bản ghi khác. Kiểm tra lại mã cũ."),
                params={"code": code},
            )
        return code

    def _save_m2m(self):
        super()._save_m2m()
        code = self.cleaned_data.get("legacy_code")
        if code and code != self.instance.reference_code:
            codes.record_alias(self.instance, code, reason=AliasReason.LEGACY)


class FondsForm(ScopedDescriptionForm):
    class Meta:
        model = Fonds
        fields = "__all__"


class SeriesForm(ScopedDescriptionForm):
    class Meta:
        model = Series
        fields = "__all__"


class RecordFileForm(LegacyCodeMixin, ScopedDescriptionForm):
    class Meta:
        model = RecordFile
        fields = "__all__"


class DocumentForm(LegacyCodeMixin, ScopedDescriptionForm):
    file = ReferenceCodeChoiceField(RecordFile.objects.all(), label=_("Hồ sơ (mã tham chiếu)"))

    class Meta:
        model = Document
        fields = "__all__"


class MoveFileForm(forms.Form):
    target_series = forms.ModelChoiceField(label=_("Chuyển sang mục lục"), queryset=Series.objects.none())

    def __init__(self, *args, file, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_series"].queryset = (
            Series.objects.filter(archive_id=file.archive_id)
            .exclude(pk=file.series_id)
            .select_related("fonds")
            .order_by("fonds__code", "number")
        )
        self.fields["target_series"].label_from_instance = lambda series: f"{series.fonds.code} · {series}"


__all__ = ["Archive", "DocumentForm", "FondsForm", "MoveFileForm", "RecordFileForm", "SeriesForm"]
