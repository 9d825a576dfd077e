"""Listing filters of the admin: archive, fonds, year, access regime, retention, category, status."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from . import access
from .models import Category, Document, Fonds, RecordFile, Series
from .vocabularies import AccessRegime, PublicationStatus, Retention


def _user_archives(request):
    return access.admin_archives(request.user) if request else Fonds.objects.none()


def _user_fonds(request):
    return access.admin_queryset(request.user, Fonds).order_by("code") if request else Fonds.objects.none()


class DescriptionFilterSet(WagtailFilterSet):
    archive = django_filters.ModelChoiceFilter(label=_("Cơ quan lưu trữ"), queryset=_user_archives)
    publication_status = django_filters.ChoiceFilter(
        label=_("Trạng thái công bố"), choices=PublicationStatus.choices
    )


def _fonds_units(request):
    from .unit_changes import unit_filter_choices

    return unit_filter_choices(_user_fonds(request)) if request else Fonds.objects.none()


class FondsFilterSet(DescriptionFilterSet):
    unit = django_filters.ModelChoiceFilter(
        label=_("Đơn vị hành chính (gồm đơn vị cũ)"), queryset=_fonds_units, method="filter_unit"
    )

    class Meta:
        model = Fonds
        fields = ["archive", "unit", "publication_status", "is_closed"]

    def filter_unit(self, queryset, name, value):
        from .unit_changes import filter_by_unit

        return filter_by_unit(queryset, value)


class SeriesFilterSet(DescriptionFilterSet):
    fonds = django_filters.ModelChoiceFilter(label=_("Phông"), queryset=_user_fonds)

    class Meta:
        model = Series
        fields = ["archive", "fonds", "publication_status"]


class RecordFilterSet(DescriptionFilterSet):
    access_regime = django_filters.ChoiceFilter(label=_("Chế độ sử dụng"), choices=AccessRegime.choices)
    retention = django_filters.ChoiceFilter(label=_("Thời hạn lưu trữ"), choices=Retention.choices)
    categories = django_filters.ModelChoiceFilter(label=_("Nhóm tài liệu"), queryset=Category.objects.all())


class RecordFileFilterSet(RecordFilterSet):
    fonds = django_filters.ModelChoiceFilter(label=_("Phông"), queryset=_user_fonds)
    year = django_filters.NumberFilter(label=_("Năm"), method="filter_year")

    class Meta:
        model = RecordFile
        fields = [
            "archive",
            "fonds",
            "year",
            "access_regime",
            "retention",
            "categories",
            "publication_status",
        ]

    def filter_year(self, queryset, name, value):
        year = int(value)
        return queryset.filter(Q(start_year__lte=year), Q(end_year__gte=year) | Q(end_year__isnull=True))


class DocumentFilterSet(RecordFilterSet):
    fonds = django_filters.ModelChoiceFilter(label=_("Phông"), queryset=_user_fonds, field_name="file__fonds")
    year = django_filters.NumberFilter(label=_("Năm"), field_name="issued_year")

    class Meta:
        model = Document
        fields = [
            "archive",
            "fonds",
            "year",
            "access_regime",
            "retention",
            "categories",
            "publication_status",
            "kind",
        ]
