from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from collections_app.models import AdministrativeUnit, Archive, fold_slug
from collections_app.models.archives import validate_archive_code


class ArchivePageForm(WagtailAdminPageForm):
    """Edits the archive an ArchivePage stands for: its code and its current administrative unit."""

    archive_code = forms.CharField(
        label=_("Mã cơ quan lưu trữ"),
        max_length=13,
        validators=[validate_archive_code],
        help_text=_("Tối đa 13 ký tự; được ghép vào đầu mã tham chiếu của mọi bản ghi của cơ quan lưu trữ."),
    )
    unit = forms.ModelChoiceField(
        label=_("Đơn vị hành chính hiện nay"),
        queryset=AdministrativeUnit.objects.current().provinces(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
        archive = self.instance.archive if self.instance.archive_id else None
        if archive:
            self.fields["archive_code"].initial = archive.code
            self.fields["unit"].initial = archive.unit_id

    def clean_archive_code(self):
        code = self.cleaned_data["archive_code"].strip()
        clash = Archive.objects.filter(code__iexact=code)
        if self.instance.archive_id:
            clash = clash.exclude(pk=self.instance.archive_id)
        if clash.exists():
            raise ValidationError(
                _("Mã “%(code)s” đã được dùng cho cơ quan lưu trữ khác. Chọn mã khác."),
                params={"code": code},
            )
        return code

    def clean(self):
        # The address of an archive's home is its current unit's name folded to ASCII unless
        # the editor chose another: "Đồng Nai" → /dong-nai/.
        unit = self.cleaned_data.get("unit")
        if unit and not self.cleaned_data.get("slug"):
            self.cleaned_data["slug"] = fold_slug(unit.name)
        return super().clean()

    def save(self, commit=True):
        page = super().save(commit=False)
        archive = page.archive if page.archive_id else Archive(slug=page.slug)
        archive.code = self.cleaned_data["archive_code"]
        archive.unit = self.cleaned_data["unit"]
        archive.name = page.title
        archive.slug = page.slug or fold_slug(archive.unit.name)
        archive.save()
        page.archive = archive
        if commit:
            page.save()
        return page
