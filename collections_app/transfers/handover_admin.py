"""Handover records in the admin ("Biên bản giao nhận"), for leaders of either side and national admins.

- ``handover_index``: the records of the archives the user leads (every record for national admins).
- ``handover_create``: the form; ``?merge_run=<id>`` (with ``&source=<archive id>`` when the merger
  had several former archives) or ``?package_batch=<uuid>`` pre-fill both sides and the inventory;
  without them the fonds handed over are named by their reference codes. The record is saved
  ``DRAWING`` and the ``draw_handover`` task draws and signs it (longer than a request may take).
- ``handover_detail``: the record, its volume, both copies with their signature checked; while it is
  drawn the page refreshes itself; a failed one says why and may be drawn again (``handover_redraw``).
- ``handover_download``: one copy (``giver`` / ``receiver``), served to the same people only, at
  ``/admin/bien-ban-giao-nhan/<id>/<side>.pdf`` (routed in ``archivecms/urls.py``, before the admin).
"""

import hashlib
import logging
import re
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import AdminDateInput
from wagtail.log_actions import LogFormatter, log

from .. import access, signing
from ..models import Archive, Fonds, HandoverRecord, HandoverStatus, MergeRun, PackageDirection
from . import handover

security_log = logging.getLogger("kho.security")

CREATE_ACTION = "collections_app.handover_create"
REDRAW_ACTION = "collections_app.handover_redraw"
RECORDS_PER_PAGE = 30
CODE_SEPARATORS = re.compile(r"[\s,;]+")


# Who may do what ------------------------------------------------------------------------------------------


def may_use(user):
    return access.is_national_admin(user) or bool(access.led_archive_ids(user))


def may_see(user, record):
    return any(
        archive_id is not None and access.is_leader_of(user, archive_id)
        for archive_id in (record.giver_archive_id, record.receiver_archive_id)
    ) or access.is_national_admin(user)


def records_in_scope(user):
    records = HandoverRecord.objects.select_related("giver_archive", "receiver_archive", "merge_run")
    if access.is_national_admin(user):
        return records
    led = access.led_archive_ids(user)
    return records.filter(Q(giver_archive_id__in=led) | Q(receiver_archive_id__in=led))


def forbidden(request):
    """403 with what the user lacks; the admin's own refusal would redirect to the dashboard instead."""
    security_log.warning(
        "Handover record refused: user=%s path=%s", request.user.get_username(), request.path[:600]
    )
    return TemplateResponse(
        request,
        "collections_app/transfers/handover_forbidden.html",
        {"page_title": _("Không có quyền xem biên bản giao nhận")},
        status=403,
    )


def required(message):
    return {"required": message}


# The form -----------------------------------------------------------------------------------------------


class HandoverForm(forms.Form):
    merge_run = forms.IntegerField(required=False, widget=forms.HiddenInput)
    package_batch = forms.UUIDField(required=False, widget=forms.HiddenInput)
    fonds_codes = forms.CharField(
        label=gettext_lazy("Mã tham chiếu các phông giao nhận"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Mỗi dòng một mã (hoặc cách nhau bởi dấu phẩy), ví dụ LT08.H05. Bỏ trống khi lập từ đợt hợp nhất "
            "hay đợt gói tin."
        ),
    )
    number = forms.CharField(
        label=gettext_lazy("Số biên bản"),
        max_length=50,
        error_messages=required(gettext_lazy("Nhập số biên bản, ví dụ 01/BB-LT08.")),
    )
    handed_over_on = forms.DateField(
        label=gettext_lazy("Ngày giao nhận"),
        widget=AdminDateInput,
        error_messages={
            "required": gettext_lazy("Nhập ngày giao nhận."),
            "invalid": gettext_lazy("Ngày giao nhận không hợp lệ: nhập theo dạng ngày/tháng/năm."),
        },
    )
    place = forms.CharField(label=gettext_lazy("Địa điểm lập biên bản"), max_length=100, required=False)
    basis = forms.CharField(
        label=gettext_lazy("Căn cứ"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Văn bản làm căn cứ giao nhận, ví dụ Nghị quyết số 202/2025/QH15."),
    )
    giver_archive = forms.ModelChoiceField(
        label=gettext_lazy("Cơ quan lưu trữ bên giao"),
        queryset=Archive.objects.order_by("code"),
        required=False,
        help_text=gettext_lazy("Bỏ trống khi bên giao là cơ quan ngoài hệ thống (nộp lưu bằng gói tin)."),
    )
    giver_name = forms.CharField(
        label=gettext_lazy("Bên giao"),
        max_length=300,
        error_messages=required(gettext_lazy("Nhập tên cơ quan, tổ chức bên giao.")),
    )
    giver_representative = forms.CharField(
        label=gettext_lazy("Đại diện bên giao"),
        max_length=200,
        error_messages=required(gettext_lazy("Nhập họ tên người đại diện bên giao.")),
    )
    giver_position = forms.CharField(
        label=gettext_lazy("Chức vụ đại diện bên giao"), max_length=200, required=False
    )
    receiver_archive = forms.ModelChoiceField(
        label=gettext_lazy("Cơ quan lưu trữ bên nhận"),
        queryset=Archive.objects.order_by("code"),
        required=False,
    )
    receiver_name = forms.CharField(
        label=gettext_lazy("Bên nhận"),
        max_length=300,
        error_messages=required(gettext_lazy("Nhập tên cơ quan, tổ chức bên nhận.")),
    )
    receiver_representative = forms.CharField(
        label=gettext_lazy("Đại diện bên nhận"),
        max_length=200,
        error_messages=required(gettext_lazy("Nhập họ tên người đại diện bên nhận.")),
    )
    receiver_position = forms.CharField(
        label=gettext_lazy("Chức vụ đại diện bên nhận"), max_length=200, required=False
    )
    boxes = forms.IntegerField(
        label=gettext_lazy("Số hộp"),
        min_value=0,
        max_value=10_000_000,
        required=False,
        help_text=gettext_lazy("Bỏ trống để đếm theo số hộp ghi trong các hồ sơ."),
        error_messages={"min_value": gettext_lazy("Số hộp không được âm.")},
    )
    shelf_metres = forms.DecimalField(
        label=gettext_lazy("Số mét giá"),
        min_value=0,
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("Bỏ trống để tính theo số hộp (8 hộp = 1 mét giá)."),
        error_messages={"min_value": gettext_lazy("Số mét giá không được âm.")},
    )
    condition = forms.CharField(
        label=gettext_lazy("Tình trạng vật lý của tài liệu"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=required(
            gettext_lazy("Ghi tình trạng vật lý của tài liệu (rách, mối mọt, nấm mốc… hoặc “còn tốt”).")
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.inventory = None
        self.source = {}
        self.chosen_run = self.first_package = None
        if self.from_merge_or_batch():
            # The inventory comes from the merger or the batch: no fonds to name.
            self.fields["fonds_codes"].widget = forms.HiddenInput()

    def from_merge_or_batch(self):
        values = self.data if self.is_bound else self.initial
        return bool(values.get("merge_run") or values.get("package_batch"))

    def clean_handed_over_on(self):
        day = self.cleaned_data["handed_over_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("Ngày giao nhận không được sau hôm nay: biên bản ghi việc đã giao nhận.")
            )
        return day

    def clean_number(self):
        return self.cleaned_data["number"].strip()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        self.check_sides(data)
        if not self.errors:
            self.inventory = self.inventory_of(data)
        if not self.errors:
            self.check_not_empty()
        if not self.errors:
            self.check_number_is_free(data)
        return data

    def check_sides(self, data):
        giver, receiver = data.get("giver_archive"), data.get("receiver_archive")
        if giver is not None and giver == receiver:
            self.add_error(
                "receiver_archive", _("Bên nhận phải khác bên giao: chọn cơ quan lưu trữ nhận tài liệu.")
            )
            return
        if not access.is_national_admin(self.user) and not any(
            archive is not None and access.is_leader_of(self.user, archive.pk)
            for archive in (giver, receiver)
        ):
            self.add_error(
                None,
                _(
                    "Bạn chỉ lập được biên bản khi là lãnh đạo cơ quan lưu trữ bên giao hoặc bên nhận: "
                    "chọn lại cơ quan lưu trữ của hai bên."
                ),
            )

    def inventory_of(self, data):
        if data.get("merge_run"):
            return self.merge_inventory(data)
        if data.get("package_batch"):
            return self.package_inventory(data)
        return self.fonds_inventory(data)

    def merge_inventory(self, data):
        run = MergeRun.objects.filter(pk=data["merge_run"]).first()
        giver = data.get("giver_archive")
        if run is None:
            self.add_error(None, _("Không tìm thấy đợt hợp nhất này: mở lại biên bản từ trang đợt hợp nhất."))
            return None
        if giver is None or not run.sources.filter(pk=giver.pk).exists():
            self.add_error(
                "giver_archive",
                _("Bên giao phải là một trong các cơ quan lưu trữ cũ của đợt hợp nhất: %(names)s.")
                % {"names": ", ".join(run.sources.order_by("code").values_list("name", flat=True))},
            )
            return None
        if data.get("receiver_archive") != run.into:
            self.add_error(
                "receiver_archive",
                _("Bên nhận của đợt hợp nhất này là %(name)s.") % {"name": run.into.name},
            )
            return None
        inventory = handover.inventory_for_merge(run, giver)
        if inventory.is_empty:
            self.add_error("giver_archive", _("Đợt hợp nhất không chuyển phông nào của bên giao này."))
        self.source = {"kind": "merge_run", "merge_run": run.pk, "source_archive": giver.pk}
        self.chosen_run = run
        return inventory

    def package_inventory(self, data):
        batch = data["package_batch"]
        packages = handover.packages_of_batch(batch)
        if not packages.exists():
            self.add_error(None, _("Không tìm thấy đợt gói tin này: mở lại biên bản từ trang nhập gói tin."))
            return None
        archives = set(packages.values_list("archive_id", flat=True))
        sides = {
            archive.pk for archive in (data.get("giver_archive"), data.get("receiver_archive")) if archive
        }
        if not archives & sides:
            self.add_error(
                None,
                _("Cơ quan lưu trữ đã xuất hoặc nhập đợt gói tin này phải là bên giao hoặc bên nhận."),
            )
            return None
        self.source = {"kind": "package_batch", "batch": str(batch)}
        self.first_package = packages.order_by("pk").first()
        return handover.inventory_for_package_batch(batch)

    def fonds_inventory(self, data):
        codes = [code for code in CODE_SEPARATORS.split(data.get("fonds_codes", "")) if code]
        if not codes:
            self.add_error("fonds_codes", _("Nhập mã tham chiếu của ít nhất một phông được giao nhận."))
            return None
        fonds = list(Fonds.objects.filter(reference_code__in=codes))
        unknown = sorted(set(codes) - {item.reference_code for item in fonds})
        if unknown:
            self.add_error(
                "fonds_codes",
                _("Không có phông nào mang mã: %(codes)s. Kiểm tra lại mã tham chiếu.")
                % {"codes": ", ".join(unknown)},
            )
            return None
        giver = data.get("giver_archive")
        foreign = [item.reference_code for item in fonds if giver is None or item.archive_id != giver.pk]
        if foreign:
            self.add_error(
                "fonds_codes",
                _(
                    "Các phông %(codes)s không thuộc cơ quan lưu trữ bên giao: chọn đúng bên giao hoặc bỏ "
                    "các mã đó."
                )
                % {"codes": ", ".join(foreign)},
            )
            return None
        self.source = {"kind": "fonds", "fonds": sorted(codes)}
        return handover.inventory_for_fonds(fonds)

    def check_not_empty(self):
        try:
            handover.refuse_if_empty(self.inventory)
        except handover.HandoverError as error:
            self.add_error(None, str(error))

    def check_number_is_free(self, data):
        taken = HandoverRecord.objects.filter(
            number=data["number"],
            handed_over_on__year=data["handed_over_on"].year,
            giver_name=data["giver_name"],
        ).exists()
        if taken:
            self.add_error(
                "number",
                _("Số biên bản “%(number)s” của bên giao này đã dùng trong năm %(year)s: chọn số khác.")
                % {"number": data["number"], "year": data["handed_over_on"].year},
            )

    def unsaved_record(self):
        data = self.cleaned_data
        record = HandoverRecord(
            number=data["number"],
            handed_over_on=data["handed_over_on"],
            merge_run=self.chosen_run,
            package=self.first_package,
            giver_archive=data.get("giver_archive"),
            giver_name=data["giver_name"],
            giver_representative=data["giver_representative"],
            giver_position=data["giver_position"],
            receiver_archive=data.get("receiver_archive"),
            receiver_name=data["receiver_name"],
            receiver_representative=data["receiver_representative"],
            receiver_position=data["receiver_position"],
            condition=data["condition"],
        )
        record.volume = handover.volume_of(
            self.inventory, boxes=data["boxes"], shelf_metres=data["shelf_metres"]
        )
        return record


# Pre-filling the form from a merger or a package batch ------------------------------------------------------


def initial_values(request):
    initial = {"handed_over_on": timezone.localdate()}
    run_id = request.GET.get("merge_run", "")
    batch = request.GET.get("package_batch", "")
    if run_id.isdigit():
        initial.update(initial_from_merge(request, int(run_id)))
    elif batch:
        initial.update(initial_from_batch(batch))
    giver = initial.get("giver_archive")
    initial.setdefault("number", handover.default_number(giver))
    return initial


def initial_from_merge(request, run_id):
    run = MergeRun.objects.select_related("into", "into__unit").filter(pk=run_id).first()
    if run is None:
        return {}
    sources = list(run.sources.order_by("code"))
    chosen = request.GET.get("source", "")
    giver = next((archive for archive in sources if str(archive.pk) == chosen), None)
    if giver is None:
        handed = set(run.handover_records.values_list("giver_archive_id", flat=True))
        giver = next(
            (archive for archive in sources if archive.pk not in handed), sources[0] if sources else None
        )
    return {
        "merge_run": run.pk,
        "giver_archive": giver,
        "giver_name": giver.name if giver else "",
        "receiver_archive": run.into,
        "receiver_name": run.into.name,
        "place": getattr(run.into.unit, "name", ""),
        "basis": _("Nghị quyết số 202/2025/QH15 về sắp xếp đơn vị hành chính cấp tỉnh"),
    }


def initial_from_batch(batch):
    try:
        batch = uuid.UUID(batch)
    except ValueError:
        return {}
    first = handover.packages_of_batch(batch).order_by("pk").first()
    if first is None:
        return {}
    initial = {"package_batch": batch}
    if first.direction == PackageDirection.IMPORT:
        initial.update(receiver_archive=first.archive, receiver_name=first.archive.name)
    else:
        initial.update(giver_archive=first.archive, giver_name=first.archive.name)
    return initial


def preview_inventory(initial):
    """The inventory shown next to a pre-filled form, so the leader sees what the record will list."""
    if initial.get("merge_run") and initial.get("giver_archive"):
        run = MergeRun.objects.get(pk=initial["merge_run"])
        return handover.inventory_for_merge(run, initial["giver_archive"])
    if initial.get("package_batch"):
        return handover.inventory_for_package_batch(initial["package_batch"])
    return None


# Views ------------------------------------------------------------------------------------------------------


def index_view(request):
    if not may_use(request.user):
        return forbidden(request)
    records = records_in_scope(request.user).order_by("-handed_over_on", "-pk")
    page = Paginator(records, RECORDS_PER_PAGE).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "collections_app/transfers/handover_index.html",
        {
            "page_title": _("Biên bản giao nhận"),
            "page": page,
            "create_url": reverse("handover_create"),
        },
    )


def create_view(request):
    if not may_use(request.user):
        return forbidden(request)
    initial = initial_values(request) if request.method != "POST" else {}
    form = HandoverForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        record = start_drawing(request, form)
        report_drawing(request, record)
        return redirect(reverse("handover_detail", args=[record.pk]))
    inventory = form.inventory if form.is_bound else preview_inventory(initial)
    return TemplateResponse(
        request,
        "collections_app/transfers/handover_form.html",
        {
            "page_title": _("Lập biên bản giao nhận"),
            "form": form,
            "inventory": inventory,
            "totals": inventory.totals() if inventory else None,
            "index_url": reverse("handover_index"),
        },
    )


def start_drawing(request, form):
    """The record saved ``DRAWING`` (its number taken), logged, and its drawing and signing queued."""
    with transaction.atomic():
        record = handover.start_handover(
            form.unsaved_record(),
            user=request.user,
            place=form.cleaned_data["place"],
            basis=form.cleaned_data["basis"],
            source=form.source,
        )
        log(instance=record, action=CREATE_ACTION, user=request.user, data=log_data(record))
        handover.draw_handover.enqueue(record.pk)
    return record


def report_drawing(request, record):
    """Say where the drawing stands: a worker may be done already (or tests run tasks at once)."""
    record.refresh_from_db()
    if record.status == HandoverStatus.SIGNED:
        messages.success(
            request,
            _("Đã lập và ký số biên bản giao nhận số %(number)s (hai bản: bên giao và bên nhận).")
            % {"number": record.number},
        )
    elif record.status == HandoverStatus.FAILED:
        messages.error(request, record.message)
    else:
        messages.success(
            request,
            _(
                "Đang lập và ký số biên bản giao nhận số %(number)s (hai bản: bên giao và bên nhận). "
                "Trang này tự cập nhật khi xong."
            )
            % {"number": record.number},
        )


def log_data(record):
    return {
        "number": record.number,
        "giver": record.giver_name,
        "receiver": record.receiver_name,
        "source": record.volume.get("source", {}),
    }


def detail_view(request, pk):
    record = get_object_or_404(HandoverRecord, pk=pk)
    if not may_see(request.user, record):
        return forbidden(request)
    signed = record.status == HandoverStatus.SIGNED
    return TemplateResponse(
        request,
        "collections_app/transfers/handover_detail.html",
        {
            "page_title": str(record),
            "record": record,
            "volume": record.volume,
            "signed": signed,
            "drawing": record.status == HandoverStatus.DRAWING and not handover.is_stale(record),
            "stale": handover.is_stale(record),
            "failed": record.status == HandoverStatus.FAILED,
            "copies": [copy_status(record, side) for side in handover.SIDES] if signed else [],
            "redraw_url": reverse("handover_redraw", args=[record.pk]),
            "index_url": reverse("handover_index"),
        },
    )


def copy_status(record, side):
    content = handover.read_copy(record, side)
    expected = getattr(record, f"{side}_copy_sha256")
    if content is None:
        return {"side": side, "label": handover.side_label(record, side), "missing": True}
    return {
        "side": side,
        "label": handover.side_label(record, side),
        "missing": False,
        "size": len(content),
        "sha256": expected,
        "sha256_ok": hashlib.sha256(content).hexdigest() == expected,
        "signature": signing.verify_signature(content),
        "url": reverse("handover_download", args=[record.pk, side]),
    }


def download_view(request, pk, side):
    """One signed copy; outside Wagtail's admin wrapper so that a refusal is a real 403 for anyone."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
    if side not in handover.SIDES:
        raise Http404
    record = get_object_or_404(HandoverRecord, pk=pk)
    if not may_see(request.user, record):
        return forbidden(request)
    if record.status != HandoverStatus.SIGNED:
        messages.error(request, not_signed_message(record))
        return redirect(reverse("handover_detail", args=[record.pk]))
    content = handover.read_copy(record, side)
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type="application/pdf")
    name = getattr(record, f"{side}_copy").rsplit("/", 1)[-1]
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def not_signed_message(record):
    if record.status == HandoverStatus.DRAWING:
        return _(
            "Biên bản số %(number)s đang được lập và ký số, chưa có bản để tải về: chờ trang biên bản báo "
            "đã ký số rồi tải lại."
        ) % {"number": record.number}
    return _(
        "Biên bản số %(number)s lập không thành nên không có bản để tải về: xem lý do trên trang biên bản "
        "rồi bấm “Lập lại”."
    ) % {"number": record.number}


@require_POST
def redraw_view(request, pk):
    """Draw and sign a failed record again (once the cause, e.g. a full disk, is fixed), or a stale one."""
    record = get_object_or_404(HandoverRecord, pk=pk)
    if not may_see(request.user, record):
        return forbidden(request)
    if handover.redraw_handover(record):
        log(instance=record, action=REDRAW_ACTION, user=request.user, data=log_data(record))
        report_drawing(request, record)
    else:
        record.refresh_from_db()
        messages.error(
            request,
            _("Biên bản số %(number)s đang ở trạng thái “%(status)s”, không cần lập lại.")
            % {"number": record.number, "status": record.get_status_display()},
        )
    return redirect(reverse("handover_detail", args=[record.pk]))


# Registration ---------------------------------------------------------------------------------------------

urlpatterns = [
    path("", index_view, name="handover_index"),
    path("new/", create_view, name="handover_create"),
    path("<int:pk>/", detail_view, name="handover_detail"),
    path("<int:pk>/redraw/", redraw_view, name="handover_redraw"),
]


@hooks.register("register_admin_urls")
def register_handover_urls():
    return [path("handover/", include(urlpatterns))]


class HandoverMenuItem(MenuItem):
    def is_shown(self, request):
        return may_use(request.user)


@hooks.register("register_admin_menu_item")
def register_handover_menu_item():
    return HandoverMenuItem(
        gettext_lazy("Biên bản giao nhận"),
        reverse("handover_index"),
        name="handover-records",
        icon_name="doc-full",
        order=901,
    )


@hooks.register("register_log_actions")
def register_handover_log_actions(actions):
    @actions.register_action(CREATE_ACTION)
    class CreateHandoverAction(LogFormatter):
        label = gettext_lazy("Lập biên bản giao nhận")

        def format_message(self, log_entry):
            return _("Lập biên bản giao nhận số %(number)s: %(giver)s giao cho %(receiver)s") % {
                "number": log_entry.data.get("number", ""),
                "giver": log_entry.data.get("giver", ""),
                "receiver": log_entry.data.get("receiver", ""),
            }

    @actions.register_action(REDRAW_ACTION)
    class RedrawHandoverAction(LogFormatter):
        label = gettext_lazy("Lập lại biên bản giao nhận")

        def format_message(self, log_entry):
            number = log_entry.data.get("number", "")
            return _("Lập lại biên bản giao nhận số %(number)s") % {"number": number}
