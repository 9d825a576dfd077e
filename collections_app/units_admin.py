"""The admin of administrative units below the province: districts, communes and their changes.

National admins record changes anywhere; an archive's leaders record them for the units of their
province (its current unit and the former provinces it absorbed). ``units:index`` lists the units
(current and former) with how many fonds each holds and a link to those fonds; ``units:add`` adds
a unit; ``units:changes`` lists the changes; ``units:add_change`` records one.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets import AdminDateInput
from wagtail.admin.widgets.button import HeaderButton

from . import unit_changes
from .admin_urls import listing_urlpatterns
from .models import AdministrativeUnit, UnitChange, UnitKind, UnitLevel
from .unit_changes import KIND_RULES, NewUnit

NAMESPACE = "units"
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
COMMUNE_KINDS = (UnitKind.COMMUNE, UnitKind.WARD, UnitKind.TOWNSHIP, UnitKind.SPECIAL_ZONE)
DISTRICT_KINDS = (UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.PROVINCIAL_CITY, UnitKind.URBAN_DISTRICT)
NEW_UNIT_ROWS = 4


def level_of_kind(kind):
    return UnitLevel.COMMUNE if kind in COMMUNE_KINDS else UnitLevel.DISTRICT


def lower_kind_choices():
    return [(kind.value, kind.label) for kind in (*DISTRICT_KINDS, *COMMUNE_KINDS)]


def refuse_unless_allowed(request):
    if not unit_changes.may_change_units(request.user):
        raise PermissionDenied


def fonds_url(unit):
    return f"{reverse('fonds:index')}?unit={unit.pk}"


# --- Forms --------------------------------------------------------------------------------------------


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, unit):
        parent = f" – {unit.parent.name}" if unit.parent_id else ""
        return f"{unit}{parent} ({unit.code})"


class UnitForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Tên"), max_length=200)
    code = forms.CharField(
        label=gettext_lazy("Mã đơn vị hành chính"),
        max_length=10,
        help_text=gettext_lazy("Mã theo danh mục đơn vị hành chính Việt Nam, ví dụ 26500."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Loại"), choices=lower_kind_choices)
    parent = forms.ModelChoiceField(
        label=gettext_lazy("Thuộc đơn vị"), queryset=AdministrativeUnit.objects.none()
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Có hiệu lực từ"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=AdminDateInput,
        help_text=gettext_lazy("Để trống nếu đơn vị đã có từ trước khi dùng hệ thống."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = unit_changes.parents_in_scope(user).order_by("level", "name")

    def clean(self):
        data = super().clean()
        kind, parent = data.get("kind"), data.get("parent")
        if (
            kind
            and parent
            and level_of_kind(kind) == UnitLevel.DISTRICT
            and parent.level != UnitLevel.PROVINCE
        ):
            self.add_error("parent", _("Đơn vị cấp huyện phải thuộc một tỉnh hoặc thành phố."))
        if kind and data.get("code"):
            duplicate = AdministrativeUnit.objects.filter(
                level=level_of_kind(kind), code=data["code"], valid_from=data.get("valid_from")
            )
            if duplicate.exists():
                self.add_error(
                    "code",
                    _("Đã có đơn vị mang mã %(code)s từ cùng ngày hiệu lực: %(unit)s.")
                    % {"code": data["code"], "unit": duplicate.first()},
                )
        return data


class NewUnitForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Tên đơn vị mới"), max_length=200, required=False)
    code = forms.CharField(label=gettext_lazy("Mã"), max_length=10, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Loại"), choices=lower_kind_choices, required=False)

    def clean(self):
        data = super().clean()
        if data.get("name") and not data.get("code"):
            self.add_error("code", _("Hãy ghi mã đơn vị hành chính của đơn vị mới."))
        if data.get("code") and not data.get("name"):
            self.add_error("name", _("Hãy ghi tên của đơn vị mới."))
        return data

    @property
    def is_filled(self):
        return bool(self.cleaned_data.get("name"))


NewUnitFormSet = forms.formset_factory(NewUnitForm, extra=NEW_UNIT_ROWS, max_num=NEW_UNIT_ROWS)


class UnitChangeForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Loại thay đổi"),
        choices=[(kind.value, kind.label) for kind in KIND_RULES],
    )
    effective_date = forms.DateField(
        label=gettext_lazy("Ngày có hiệu lực"), input_formats=DATE_FORMATS, widget=AdminDateInput
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("Căn cứ pháp lý"),
        max_length=300,
        help_text=gettext_lazy(
            "Số, ngày và cơ quan ban hành nghị quyết, ví dụ Nghị quyết số 1656/NQ-UBTVQH15."
        ),
        error_messages={"required": gettext_lazy("Hãy ghi căn cứ pháp lý của thay đổi (số nghị quyết).")},
    )
    ended = UnitChoiceField(
        label=gettext_lazy("Đơn vị chấm dứt"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=gettext_lazy("Các đơn vị hết hiệu lực từ ngày có hiệu lực của thay đổi."),
    )
    kept = UnitChoiceField(
        label=gettext_lazy("Đơn vị kế thừa đã có"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=gettext_lazy("Đơn vị đang tồn tại nhận thêm địa bàn và tiếp tục hoạt động."),
    )
    new_parent = forms.ModelChoiceField(
        label=gettext_lazy("Đơn vị mới thuộc"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
        help_text=gettext_lazy("Tỉnh (hoặc huyện) mà các đơn vị mới thuộc về."),
    )
    note = forms.CharField(
        label=gettext_lazy("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        current = (
            unit_changes.units_in_scope(user).current().select_related("parent").order_by("level", "name")
        )
        self.fields["ended"].queryset = current
        self.fields["kept"].queryset = current
        self.fields["new_parent"].queryset = unit_changes.parents_in_scope(user).order_by("level", "name")


def new_units_of(change_form, formset):
    """The filled rows of the new-unit formset as ``NewUnit``s; errors go on the forms."""
    rows = [form.cleaned_data for form in formset.forms if form.cleaned_data.get("name")]
    if not rows:
        return []
    parent = change_form.cleaned_data.get("new_parent")
    if parent is None:
        change_form.add_error("new_parent", _("Hãy chọn tỉnh hoặc huyện mà các đơn vị mới thuộc về."))
        return []
    effective_date = change_form.cleaned_data["effective_date"]
    new_units = []
    for row in rows:
        kind = row.get("kind") or UnitKind.COMMUNE
        level = level_of_kind(kind)
        if AdministrativeUnit.objects.filter(
            level=level, code=row["code"], valid_from=effective_date
        ).exists():
            change_form.add_error(
                None,
                _("Đã có đơn vị mang mã %(code)s có hiệu lực từ ngày này. Kiểm tra lại mã của “%(name)s”.")
                % {"code": row["code"], "name": row["name"]},
            )
        new_units.append(NewUnit(row["name"], row["code"], kind, level, parent))
    return new_units


# --- Views --------------------------------------------------------------------------------------------


def add_unit_view(request):
    refuse_unless_allowed(request)
    form = UnitForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = AdministrativeUnit.objects.create(
            name=data["name"],
            code=data["code"],
            kind=data["kind"],
            level=level_of_kind(data["kind"]),
            parent=data["parent"],
            valid_from=data["valid_from"],
        )
        messages.success(request, _("Đã thêm %(unit)s.") % {"unit": unit})
        return redirect(f"{NAMESPACE}:index")
    return TemplateResponse(
        request,
        "collections_app/units/unit_form.html",
        {
            "form": form,
            "page_title": _("Thêm đơn vị hành chính"),
            "cancel_url": reverse(f"{NAMESPACE}:index"),
        },
    )


def add_change_view(request):
    refuse_unless_allowed(request)
    form = UnitChangeForm(request.POST or None, user=request.user)
    formset = NewUnitFormSet(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        change = save_change(form, formset)
        if change is not None:
            messages.success(
                request,
                _("Đã ghi %(change)s: %(ended)s đơn vị chấm dứt, %(successors)s đơn vị kế thừa.")
                % {
                    "change": change,
                    "ended": change.predecessors.count(),
                    "successors": change.successors.count(),
                },
            )
            return redirect(f"{NAMESPACE}:changes")
    return TemplateResponse(
        request,
        "collections_app/units/change_form.html",
        {
            "form": form,
            "formset": formset,
            "page_title": _("Ghi thay đổi đơn vị hành chính"),
            "cancel_url": reverse(f"{NAMESPACE}:changes"),
        },
    )


def save_change(form, formset):
    new_units = new_units_of(form, formset)
    if form.errors:
        return None
    data = form.cleaned_data
    try:
        return unit_changes.record_unit_change(
            kind=data["kind"],
            effective_date=data["effective_date"],
            legal_basis=data["legal_basis"],
            note=data["note"],
            ended=data["ended"],
            kept=data["kept"],
            new_units=new_units,
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return None


# --- Listings -----------------------------------------------------------------------------------------


class UnitFilterSet(WagtailFilterSet):
    level = django_filters.ChoiceFilter(
        label=gettext_lazy("Cấp"),
        choices=[(level.value, level.label) for level in (UnitLevel.DISTRICT, UnitLevel.COMMUNE)],
    )
    period = django_filters.ChoiceFilter(
        label=gettext_lazy("Hiệu lực"),
        choices=[("current", gettext_lazy("Đang tồn tại")), ("former", gettext_lazy("Đã chấm dứt"))],
        method="filter_period",
    )

    class Meta:
        model = AdministrativeUnit
        fields = ["level"]

    def filter_period(self, queryset, name, value):
        return queryset.filter(valid_to__isnull=(value == "current"))


class FondsCountColumn(Column):
    cell_template_name = "collections_app/admin/scan_link_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["link_url"] = fonds_url(instance)
        return context


class UnitIndexView(IndexView):
    model = AdministrativeUnit
    permission_policy = None  # access comes from the archive roles, checked in dispatch
    any_permission_required = None
    page_title = gettext_lazy("Đơn vị hành chính cấp huyện, cấp xã")
    filterset_class = UnitFilterSet
    default_ordering = "name"
    search_fields = ["name", "code"]
    search_backend_name = None

    def dispatch(self, request, *args, **kwargs):
        refuse_unless_allowed(request)
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return (
            unit_changes.units_in_scope(self.request.user)
            .select_related("parent")
            .annotate(fonds_count=Count("fonds", distinct=True))
        )

    @cached_property
    def columns(self):
        return [
            Column("name", label=_("Tên"), accessor=str, sort_key="name"),
            Column("code", label=_("Mã"), sort_key="code"),
            Column("parent", label=_("Thuộc"), accessor=lambda unit: unit.parent.name if unit.parent else ""),
            Column(
                "valid_from", label=_("Có hiệu lực từ"), accessor=lambda unit: date_or_blank(unit.valid_from)
            ),
            Column("valid_to", label=_("Đến hết ngày"), accessor=lambda unit: date_or_blank(unit.valid_to)),
            FondsCountColumn("fonds_count", label=_("Số phông")),
        ]

    @cached_property
    def header_buttons(self):
        return [
            HeaderButton(_("Thêm đơn vị"), url=reverse(f"{NAMESPACE}:add"), icon_name="plus"),
            HeaderButton(_("Ghi thay đổi"), url=reverse(f"{NAMESPACE}:add_change"), icon_name="resubmit"),
            HeaderButton(_("Các thay đổi đã ghi"), url=reverse(f"{NAMESPACE}:changes"), icon_name="history"),
        ]


def date_or_blank(value):
    return value.strftime("%d/%m/%Y") if value else ""


def changes_view(request):
    refuse_unless_allowed(request)
    units = unit_changes.units_in_scope(request.user)
    changes = (
        UnitChange.objects.filter(Q(predecessors__in=units) | Q(successors__in=units))
        .distinct()
        .prefetch_related("predecessors", "successors")
        .order_by("-effective_date", "-pk")[:500]
    )
    return TemplateResponse(
        request,
        "collections_app/units/changes.html",
        {
            "changes": changes,
            "page_title": _("Thay đổi đơn vị hành chính cấp huyện, cấp xã"),
            "add_url": reverse(f"{NAMESPACE}:add_change"),
            "units_url": reverse(f"{NAMESPACE}:index"),
        },
    )


# --- Registration -------------------------------------------------------------------------------------


class UnitsMenuItem(MenuItem):
    def is_shown(self, request):
        return unit_changes.may_change_units(request.user)


class UnitViewSet(ViewSet):
    name = NAMESPACE
    icon = "site"
    menu_label = gettext_lazy("Đơn vị hành chính")
    menu_order = 850
    add_to_admin_menu = True
    menu_item_class = UnitsMenuItem

    def get_urlpatterns(self):
        return [
            *listing_urlpatterns(UnitIndexView, NAMESPACE, self.icon),
            path("add/", add_unit_view, name="add"),
            path("changes/", changes_view, name="changes"),
            path("changes/add/", add_change_view, name="add_change"),
        ]


@hooks.register("register_admin_viewset")
def register_unit_viewset():
    return UnitViewSet()
