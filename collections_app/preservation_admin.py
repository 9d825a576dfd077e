"""Preservation in the admin: the events of each object, the files whose fixity check failed.

- ``preservation_events:index`` ("Sự kiện bảo quản", under Reports): every PREMIS event of the
  archives the user is staff of (national admins: all), filtered by archive, event type, outcome,
  date, and narrowed to one digital object (``?digital_object=<id>``) or one record with its scans
  (``?record=<level>:<id>``), as the record's inspect page and the scan list link to it.
- ``fixity:index`` ("Tệp không toàn vẹn"): the digital objects whose last fixity check failed.
- A dashboard panel tells national admins and archive leaders how many such files they have.
"""

import re

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.urls import include, path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets.button import Button

from . import access
from .models import (
    Archive,
    DigitalObject,
    Document,
    EventOutcome,
    EventType,
    Fonds,
    PreservationEvent,
    RecordFile,
    Series,
)

RECORD_LEVELS = {"fonds": Fonds, "series": Series, "recordfile": RecordFile, "document": Document}
EVENTS = "preservation_events"
FIXITY = "fixity"


# --- Who sees what --------------------------------------------------------------------------------


def may_view_events(user):
    return access.is_national_admin(user) or bool(access.staff_archive_ids(user))


def may_see_fixity_panel(user):
    return access.is_national_admin(user) or bool(access.led_archive_ids(user))


def events_in_scope(user):
    events = PreservationEvent.objects.select_related("archive", "digital_object")
    if access.is_national_admin(user):
        return events
    return events.filter(archive_id__in=access.staff_archive_ids(user))


def failed_objects_in_scope(user, archive_ids=None):
    objects = DigitalObject.objects.filter(fixity_ok=False).select_related(
        "archive", "document", "record_file"
    )
    if not access.is_national_admin(user):
        objects = objects.filter(archive_id__in=access.staff_archive_ids(user))
    if archive_ids is not None:
        objects = objects.filter(archive_id__in=archive_ids)
    return objects


# --- Links from other pages -----------------------------------------------------------------------


def record_events_url(record):
    return f"{reverse(f'{EVENTS}:index')}?record={record._meta.model_name}:{record.pk}"


def object_events_url(digital_object):
    return f"{reverse(f'{EVENTS}:index')}?digital_object={digital_object.pk}"


def events_buttons(user, record):
    """The "preservation events" header button of a record's inspect page."""
    if not access.is_staff_of(user, record.archive_id):
        return []
    return [
        Button(_("Sự kiện bảo quản"), url=record_events_url(record), icon_name="clipboard-list", priority=45)
    ]


def is_id(value):
    """A primary key as typed in a URL: ASCII digits only ("²".isdigit() is true), of a sane length."""
    return bool(re.fullmatch(r"[0-9]{1,18}", value))


def record_of(value, user):
    """The record a ``<level>:<id>`` parameter names, if the user may reach it in the admin; else 404."""
    level, _sep, pk = (value or "").partition(":")
    model = RECORD_LEVELS.get(level)
    if model is None or not is_id(pk):
        raise Http404
    record = access.admin_queryset(user, model).filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


def scans_of(record):
    if isinstance(record, Document):
        return DigitalObject.objects.filter(document=record)
    if isinstance(record, RecordFile):
        return DigitalObject.objects.filter(Q(record_file=record) | Q(document__file=record))
    return DigitalObject.objects.none()


# --- The events listing ---------------------------------------------------------------------------


class ArchiveScopedFilterSet(WagtailFilterSet):
    """A report's filters whose ``archive`` choice lists only the archives the user may administer."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None:
            self.filters["archive"].queryset = access.admin_archives(request.user).order_by("code")


class EventFilterSet(ArchiveScopedFilterSet):
    archive = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Cơ quan lưu trữ"), queryset=Archive.objects.none()
    )
    event_type = django_filters.ChoiceFilter(label=gettext_lazy("Loại sự kiện"), choices=EventType.choices)
    outcome = django_filters.ChoiceFilter(label=gettext_lazy("Kết quả"), choices=EventOutcome.choices)
    occurred_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Ngày"), widget=DateRangePickerWidget
    )
    object_identifier = django_filters.CharFilter(
        label=gettext_lazy("Định danh đối tượng"),
        lookup_expr="icontains",
        help_text=gettext_lazy("Mã tham chiếu hoặc tên tệp lưu trữ, một phần cũng được."),
    )
    digital_object = django_filters.NumberFilter(
        label=gettext_lazy("Bản số hóa (số hiệu)"), method="filter_nothing"
    )
    record = django_filters.CharFilter(label=gettext_lazy("Bản ghi"), method="filter_nothing")

    class Meta:
        model = PreservationEvent
        fields = []

    def filter_nothing(self, queryset, name, value):
        # Applied by the view, which checks the user may reach the object.
        return queryset


class EventsView(ReportView):
    page_title = gettext_lazy("Sự kiện bảo quản")
    header_icon = "clipboard-list"
    index_url_name = f"{EVENTS}:index"
    index_results_url_name = f"{EVENTS}:results"
    filterset_class = EventFilterSet
    paginate_by = 50
    columns = [
        DateColumn("occurred_at", label=gettext_lazy("Thời điểm")),
        Column("get_event_type_display", label=gettext_lazy("Loại sự kiện")),
        Column("object_identifier", label=gettext_lazy("Đối tượng")),
        Column("get_outcome_display", label=gettext_lazy("Kết quả")),
        Column("detail", label=gettext_lazy("Mô tả")),
        Column("outcome_detail", label=gettext_lazy("Chi tiết kết quả")),
        Column("agent_name", label=gettext_lazy("Tác nhân")),
        Column("archive", label=gettext_lazy("Cơ quan lưu trữ"), accessor="archive.code"),
    ]
    list_export = [
        "identifier",
        "occurred_at",
        "event_type",
        "object_identifier",
        "outcome",
        "detail",
        "outcome_detail",
        "agent_name",
        "archive.code",
    ]
    export_headings = {
        "identifier": gettext_lazy("Mã sự kiện"),
        "occurred_at": gettext_lazy("Thời điểm"),
        "event_type": gettext_lazy("Loại sự kiện (PREMIS)"),
        "object_identifier": gettext_lazy("Đối tượng"),
        "outcome": gettext_lazy("Kết quả"),
        "detail": gettext_lazy("Mô tả"),
        "outcome_detail": gettext_lazy("Chi tiết kết quả"),
        "agent_name": gettext_lazy("Tác nhân"),
        "archive.code": gettext_lazy("Mã cơ quan lưu trữ"),
    }

    def dispatch(self, request, *args, **kwargs):
        if not may_view_events(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def narrowed_to(self):
        """The digital object or record the listing is narrowed to, or None."""
        user = self.request.user
        if value := self.request.GET.get("digital_object"):
            if not is_id(value):
                raise Http404
            digital_object = DigitalObject.objects.filter(pk=value).select_related("archive").first()
            if digital_object is None or not access.is_staff_of(user, digital_object.archive_id):
                raise Http404
            return digital_object
        if value := self.request.GET.get("record"):
            return record_of(value, user)
        return None

    def get_queryset(self):
        events = events_in_scope(self.request.user)
        target = self.narrowed_to
        if isinstance(target, DigitalObject):
            events = events.filter(digital_object=target)
        elif target is not None:
            content_type = ContentType.objects.get_for_model(target)
            events = events.filter(
                Q(content_type=content_type, object_id=target.pk) | Q(digital_object__in=scans_of(target))
            )
        return events.order_by("-occurred_at", "-pk")

    def get_page_subtitle(self):
        target = self.narrowed_to
        if isinstance(target, DigitalObject):
            return _("Bản số hóa “%(name)s”") % {"name": target.original_name}
        if target is not None:
            return _("%(level)s %(code)s và các bản số hóa") % {
                "level": str(target._meta.verbose_name).capitalize(),
                "code": target.reference_code,
            }
        return ""

    def get_filename(self):
        return "su-kien-bao-quan"


# --- The fixity failures listing ------------------------------------------------------------------


def last_failure(digital_object):
    return (
        PreservationEvent.objects.filter(
            digital_object=digital_object,
            event_type=EventType.FIXITY_CHECK,
            outcome=EventOutcome.FAILURE,
        )
        .order_by("-occurred_at", "-pk")
        .first()
    )


class FixityFilterSet(ArchiveScopedFilterSet):
    archive = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Cơ quan lưu trữ"), queryset=Archive.objects.none()
    )

    class Meta:
        model = DigitalObject
        fields = []


class FixityFailuresView(ReportView):
    page_title = gettext_lazy("Tệp không toàn vẹn")
    header_icon = "warning"
    index_url_name = f"{FIXITY}:index"
    index_results_url_name = f"{FIXITY}:results"
    filterset_class = FixityFilterSet
    paginate_by = 50
    columns = [
        Column("original_name", label=gettext_lazy("Tệp")),
        Column("record_code", label=gettext_lazy("Hồ sơ / tài liệu")),
        Column("archive", label=gettext_lazy("Cơ quan lưu trữ"), accessor="archive.code"),
        Column("size", label=gettext_lazy("Dung lượng")),
        DateColumn("fixity_checked_at", label=gettext_lazy("Kiểm tra lúc")),
        Column("failure", label=gettext_lazy("Sai lệch")),
    ]
    list_export = ["original_name", "record_code", "archive.code", "sha256", "fixity_checked_at", "failure"]
    export_headings = {
        "original_name": gettext_lazy("Tệp"),
        "record_code": gettext_lazy("Hồ sơ / tài liệu"),
        "archive.code": gettext_lazy("Mã cơ quan lưu trữ"),
        "sha256": gettext_lazy("SHA-256 đã ghi"),
        "fixity_checked_at": gettext_lazy("Kiểm tra lúc"),
        "failure": gettext_lazy("Sai lệch"),
    }

    def dispatch(self, request, *args, **kwargs):
        if not may_view_events(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return failed_objects_in_scope(self.request.user).order_by("-fixity_checked_at", "-pk")

    def decorate(self, digital_object):
        event = last_failure(digital_object)
        digital_object.record_code = digital_object.record.reference_code
        digital_object.size = filesizeformat(digital_object.size_bytes)
        digital_object.failure = (
            f"{event.object_identifier}: {event.outcome_detail}" if event is not None else ""
        )
        return digital_object

    def decorate_paginated_queryset(self, object_list):
        return [self.decorate(digital_object) for digital_object in object_list]

    def to_row_dict(self, item):
        return super().to_row_dict(self.decorate(item))

    def get_filename(self):
        return "tep-khong-toan-ven"


# --- Dashboard panel --------------------------------------------------------------------------------


class FixityPanel(Component):
    name = "fixity_failures"
    order = 90
    template_name = "collections_app/admin/fixity_panel.html"

    def __init__(self, count, url):
        self.count = count
        self.url = url

    def get_context_data(self, parent_context):
        return {"count": self.count, "url": self.url}


@hooks.register("construct_homepage_panels")
def add_fixity_panel(request, panels):
    user = request.user
    if not may_see_fixity_panel(user):
        return
    archive_ids = None if access.is_national_admin(user) else access.led_archive_ids(user)
    count = failed_objects_in_scope(user, archive_ids).count()
    if count:
        panels.append(FixityPanel(count, reverse(f"{FIXITY}:index")))


# --- Registration -------------------------------------------------------------------------------------


class EventsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_view_events(request.user)


@hooks.register("register_admin_urls")
def register_preservation_urls():
    events = [
        path("", EventsView.as_view(), name="index"),
        path("results/", EventsView.as_view(results_only=True), name="results"),
    ]
    failures = [
        path("", FixityFailuresView.as_view(), name="index"),
        path("results/", FixityFailuresView.as_view(results_only=True), name="results"),
    ]
    return [
        path("su-kien-bao-quan/", include((events, EVENTS), namespace=EVENTS)),
        path("tep-khong-toan-ven/", include((failures, FIXITY), namespace=FIXITY)),
    ]


@hooks.register("register_reports_menu_item")
def register_events_menu_item():
    return EventsMenuItem(
        gettext_lazy("Sự kiện bảo quản"),
        reverse(f"{EVENTS}:index"),
        name="preservation-events",
        icon_name="clipboard-list",
        order=160,
    )


@hooks.register("register_reports_menu_item")
def register_fixity_menu_item():
    return EventsMenuItem(
        gettext_lazy("Tệp không toàn vẹn"),
        reverse(f"{FIXITY}:index"),
        name="fixity-failures",
        icon_name="warning",
        order=161,
    )
