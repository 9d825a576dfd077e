"""The read log in the admin: "Nhật ký khai thác", under Reports, for leaders and national admins.

Leaders see the reads of conditional-access content in the archives they lead; national admins
see every archive. Filters by date range, reader, record code, method (and archive), with the
filtered log exported as CSV or XLSX. Archivists and reading-room staff neither see the menu item
nor reach the page (403).
"""

import datetime

import django_filters
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView

from . import access
from .models import Archive, ContentRead, ReadMethod

# Characters that make a spreadsheet treat a CSV cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def may_view_read_log(user):
    return access.is_national_admin(user) or bool(access.led_archive_ids(user))


def visible_reads(user):
    reads = ContentRead.objects.select_related("archive", "grant")
    if access.is_national_admin(user):
        return reads
    return reads.filter(archive_id__in=access.led_archive_ids(user))


class ReadLogFilterSet(WagtailFilterSet):
    read_at = django_filters.DateFromToRangeFilter(label=_("Ngày đọc"), widget=DateRangePickerWidget)
    reader = django_filters.CharFilter(
        label=_("Người đọc"),
        method="filter_reader",
        help_text=_("Họ tên hoặc tên đăng nhập, một phần cũng được."),
    )
    reference_code = django_filters.CharFilter(
        label=_("Mã tài liệu"),
        lookup_expr="icontains",
        help_text=_("Mã tham chiếu của hồ sơ hoặc tài liệu, ví dụ LT08.H29.01."),
    )
    method = django_filters.ChoiceFilter(label=_("Cách đọc"), choices=ReadMethod.choices)
    archive = django_filters.ModelChoiceFilter(label=_("Cơ quan lưu trữ"), queryset=Archive.objects.none())

    class Meta:
        model = ContentRead
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = request.user if request else None
        archives = (
            Archive.objects.all()
            if user is not None and access.is_national_admin(user)
            else Archive.objects.filter(pk__in=access.led_archive_ids(user) if user else ())
        )
        if archives.count() > 1:
            self.filters["archive"].queryset = archives
        else:
            del self.filters["archive"]

    def filter_reader(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(user_label__icontains=value)


class ReadLogView(ReportView):
    page_title = _("Nhật ký khai thác")
    header_icon = "history"
    index_url_name = "read_log:index"
    index_results_url_name = "read_log:results"
    filterset_class = ReadLogFilterSet
    paginate_by = 50
    columns = [
        DateColumn("read_at", label=_("Lúc")),
        Column("user_label", label=_("Người đọc")),
        Column("reference_code", label=_("Mã tài liệu")),
        Column("file_name", label=_("Tệp")),
        Column("get_method_display", label=_("Cách đọc")),
        Column("grant_label", label=_("Theo quyền khai thác")),
        Column("ip_address", label=_("Địa chỉ IP")),
        Column("archive", label=_("Cơ quan lưu trữ")),
    ]
    list_export = [
        "read_at",
        "user_label",
        "reference_code",
        "file_name",
        "method",
        "grant_label",
        "ip_address",
        "archive.code",
    ]
    export_headings = {
        "read_at": _("Lúc"),
        "user_label": _("Người đọc"),
        "reference_code": _("Mã tài liệu"),
        "file_name": _("Tệp"),
        "method": _("Cách đọc"),
        "grant_label": _("Theo quyền khai thác"),
        "ip_address": _("Địa chỉ IP"),
        "archive.code": _("Mã cơ quan lưu trữ"),
    }

    def dispatch(self, request, *args, **kwargs):
        if not may_view_read_log(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return visible_reads(self.request.user).order_by("-read_at", "-pk")

    def decorate_paginated_queryset(self, object_list):
        for read in object_list:
            read.grant_label = grant_label(read)
        return object_list

    def to_row_dict(self, item):
        item.grant_label = grant_label(item)
        return super().to_row_dict(item)

    def get_filename(self):
        return f"nhat-ky-khai-thac-{timezone.localdate():%Y-%m-%d}"

    def get_preprocess_function(self, field, value, export_format):
        if field == "read_at":
            return local_time_for_csv if export_format == self.FORMAT_CSV else local_naive_time
        if field == "method":
            return lambda method: str(ReadMethod(method).label)
        if export_format == self.FORMAT_CSV:
            return csv_safe
        return super().get_preprocess_function(field, value, export_format)

    def stream_csv(self, queryset):
        yield "\ufeff"  # lets spreadsheet programs read the Vietnamese text as UTF-8
        yield from super().stream_csv(queryset)


def grant_label(read):
    if read.grant_id is None:
        return _("Không (tài liệu đã đến ngày mở)")
    grant = read.grant
    reference = grant.request_reference or f"#{grant.pk}"
    return _("%(reference)s, hiệu lực đến %(date)s") % {
        "reference": reference,
        "date": grant.valid_until.strftime("%d/%m/%Y"),
    }


def local_time_for_csv(value):
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M:%S")


def local_naive_time(value):
    return timezone.make_naive(value) if isinstance(value, datetime.datetime) else value


def csv_safe(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class ReadLogMenuItem(MenuItem):
    def is_shown(self, request):
        return may_view_read_log(request.user)


@hooks.register("register_admin_urls")
def register_read_log_urls():
    from django.urls import include

    urls = [
        path("", ReadLogView.as_view(), name="index"),
        path("results/", ReadLogView.as_view(results_only=True), name="results"),
    ]
    return [path("nhat-ky-khai-thac/", include((urls, "read_log"), namespace="read_log"))]


@hooks.register("register_reports_menu_item")
def register_read_log_menu_item():
    return ReadLogMenuItem(
        _("Nhật ký khai thác"), reverse("read_log:index"), name="read-log", icon_name="history", order=150
    )
