"""Changes of administrative units below the province, and finding records under former units.

A change (merge, split, rename, abolish, establish) ends some units (their ``valid_to`` is the day
before it takes effect) and names the units that hold their territory afterwards, existing or new.
Nothing is overwritten: a fonds created by a body of an abolished district keeps pointing at that
district, and ``unit_family`` lets every listing find it under the district and under its successors.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from . import access
from .models import AdministrativeUnit, UnitChange, UnitChangeKind, UnitLevel

LOWER_LEVELS = (UnitLevel.DISTRICT, UnitLevel.COMMUNE)
# Kinds of change the form records, with the number of ended and of successor units each needs.
KIND_RULES = {
    UnitChangeKind.MERGE: {"ended": (2, None), "successors": (1, 1)},
    UnitChangeKind.SPLIT: {"ended": (1, 1), "successors": (2, None)},
    UnitChangeKind.RENAME: {"ended": (1, 1), "successors": (1, 1)},
    UnitChangeKind.ABOLISH: {"ended": (1, None), "successors": (0, None)},
    UnitChangeKind.ESTABLISH: {"ended": (0, 0), "successors": (1, None)},
}


@dataclass
class NewUnit:
    name: str
    code: str
    kind: str
    level: str
    parent: AdministrativeUnit


# --- Scope ------------------------------------------------------------------------------------------


def provinces_of_user(user):
    """The province units (current and former) whose lower units the user may change; None for all."""
    if access.is_national_admin(user):
        return None
    from .models import Archive

    provinces = set()
    for archive in Archive.objects.filter(pk__in=access.led_archive_ids(user)).select_related("unit"):
        if archive.unit is not None:
            provinces.add(archive.unit.pk)
            provinces.update(unit.pk for unit in archive.unit.all_predecessors())
    return provinces


def may_change_units(user):
    return access.is_national_admin(user) or bool(access.led_archive_ids(user))


def units_in_scope(user):
    """Districts and communes (any period) the user may see and change in the unit admin."""
    units = AdministrativeUnit.objects.filter(level__in=LOWER_LEVELS)
    provinces = provinces_of_user(user)
    if provinces is None:
        return units
    return units.filter(Q(parent_id__in=provinces) | Q(parent__parent_id__in=provinces))


def parents_in_scope(user):
    """Current provinces and districts a new unit can be placed under."""
    provinces = provinces_of_user(user)
    current = AdministrativeUnit.objects.current()
    if provinces is None:
        return current.filter(level__in=(UnitLevel.PROVINCE, UnitLevel.DISTRICT))
    return current.filter(
        Q(pk__in=provinces, level=UnitLevel.PROVINCE) | Q(level=UnitLevel.DISTRICT, parent_id__in=provinces)
    )


# --- Finding records under a unit ---------------------------------------------------------------------


def unit_family(unit):
    """Ids of ``unit``, every unit it replaced at any depth, and the units below all of them.

    A fonds of a commune of an abolished district is found under the district, and, through the
    change that ended the district, under the unit that holds its territory now.
    """
    ids = {unit.pk} | {former.pk for former in unit.all_predecessors()}
    below = set(
        AdministrativeUnit.objects.filter(Q(parent_id__in=ids) | Q(parent__parent_id__in=ids)).values_list(
            "pk", flat=True
        )
    )
    for child in AdministrativeUnit.objects.filter(pk__in=below - ids):
        below.update(former.pk for former in child.all_predecessors())
    return ids | below


def filter_by_unit(queryset, unit, field="unit"):
    return queryset.filter(**{f"{field}_id__in": unit_family(unit)})


def units_holding(fonds_queryset):
    """The units the fonds of a listing were created under, with the units they became, by name."""
    unit_ids = set(fonds_queryset.exclude(unit=None).values_list("unit_id", flat=True))
    units = list(AdministrativeUnit.objects.filter(pk__in=unit_ids).select_related("parent"))
    return sorted(units, key=lambda unit: (not unit.is_current, unit.level, unit.name))


# --- Recording a change -------------------------------------------------------------------------------


def check_counts(kind, ended, successors):
    rules = KIND_RULES.get(kind)
    if rules is None:
        raise ValidationError(_("Loại thay đổi này không ghi được ở đây."))
    errors = []
    for key, count, label in (
        ("ended", len(ended), _("đơn vị chấm dứt")),
        ("successors", len(successors), _("đơn vị kế thừa")),
    ):
        least, most = rules[key]
        if count < least or (most is not None and count > most):
            errors.append(_count_message(UnitChangeKind(kind).label, label, least, most))
    if errors:
        raise ValidationError(errors)


def _count_message(kind_label, label, least, most):
    values = {"kind": kind_label, "what": label, "least": least, "most": most}
    if most == 0:
        return _("“%(kind)s” không có %(what)s.") % values
    if most is None:
        return _("“%(kind)s” cần ít nhất %(least)s %(what)s.") % values
    if least == most:
        return _("“%(kind)s” cần đúng %(least)s %(what)s.") % values
    return _("“%(kind)s” cần từ %(least)s đến %(most)s %(what)s.") % values


def check_ended_units(ended, effective_date):
    for unit in ended:
        if not unit.is_current:
            raise ValidationError(
                _("%(unit)s đã chấm dứt từ trước; chỉ chọn đơn vị đang tồn tại.") % {"unit": unit}
            )
        if unit.valid_from and unit.valid_from >= effective_date:
            raise ValidationError(
                _(
                    "%(unit)s có hiệu lực từ %(start)s, nên không thể chấm dứt vào ngày %(date)s. "
                    "Kiểm tra lại ngày có hiệu lực."
                )
                % {
                    "unit": unit,
                    "start": unit.valid_from.strftime("%d/%m/%Y"),
                    "date": effective_date.strftime("%d/%m/%Y"),
                }
            )


@transaction.atomic
def record_unit_change(*, kind, effective_date, legal_basis="", note="", ended=(), kept=(), new_units=()):
    """Record the change, end the ``ended`` units and create the ``new_units``; all or nothing.

    ``kept`` are existing units that take over territory and continue (a commune that absorbs others).
    """
    ended, kept = list(ended), list(kept)
    if set(unit.pk for unit in ended) & set(unit.pk for unit in kept):
        raise ValidationError(_("Một đơn vị không thể vừa chấm dứt vừa là đơn vị kế thừa."))
    check_counts(kind, ended, kept + list(new_units))
    check_ended_units(ended, effective_date)
    created = [
        AdministrativeUnit.objects.create(
            name=new.name,
            code=new.code,
            kind=new.kind,
            level=new.level,
            parent=new.parent,
            valid_from=effective_date,
        )
        for new in new_units
    ]
    last_day = effective_date - datetime.timedelta(days=1)
    AdministrativeUnit.objects.filter(pk__in=[unit.pk for unit in ended]).update(valid_to=last_day)
    change = UnitChange.objects.create(
        kind=kind, effective_date=effective_date, legal_basis=legal_basis, note=note
    )
    change.predecessors.set(ended)
    change.successors.set(kept + created)
    return change


def unit_filter_choices(fonds_queryset):
    """Units to filter a fonds listing by: its fonds' units, the units above them, what they became."""
    ids = set(fonds_queryset.exclude(unit=None).values_list("unit_id", flat=True))
    for _level in ("parent", "grandparent"):
        ids |= set(
            AdministrativeUnit.objects.filter(pk__in=ids)
            .exclude(parent=None)
            .values_list("parent_id", flat=True)
        )
    for unit in AdministrativeUnit.objects.filter(pk__in=ids, valid_to__isnull=False):
        ids.update(successor.pk for successor in unit.current_successors())
    return AdministrativeUnit.objects.filter(pk__in=ids).order_by("level", "name", "valid_from")


UNIT_PARAMETER = "don-vi"


@dataclass
class UnitFilter:
    fonds: object
    selected: AdministrativeUnit | None
    choices: list


def public_unit_filter(request, fonds_queryset):
    """Narrow a public fonds listing to ``?don-vi=<unit id>`` (former units included) and offer the choices.

    A value that names no unit leaves the listing whole: a stale or mistyped link still shows the fonds.
    """
    choices = list(unit_filter_choices(fonds_queryset))
    value = request.GET.get(UNIT_PARAMETER, "")
    selected = next((unit for unit in choices if str(unit.pk) == value), None)
    if selected is None:
        return UnitFilter(fonds_queryset, None, choices)
    return UnitFilter(filter_by_unit(fonds_queryset, selected), selected, choices)
