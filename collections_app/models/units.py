"""Administrative units (provinces, districts, communes) and the events that changed them."""

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

REORGANISATION_DATE = datetime.date(2025, 7, 1)


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("Cấp tỉnh")
    DISTRICT = "district", _("Cấp huyện")
    COMMUNE = "commune", _("Cấp xã")


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Tỉnh")
    CITY = "city", _("Thành phố trực thuộc trung ương")
    DISTRICT = "district", _("Huyện")
    TOWN = "town", _("Thị xã")
    PROVINCIAL_CITY = "provincial_city", _("Thành phố thuộc tỉnh")
    URBAN_DISTRICT = "urban_district", _("Quận")
    COMMUNE = "commune", _("Xã")
    WARD = "ward", _("Phường")
    TOWNSHIP = "township", _("Thị trấn")
    SPECIAL_ZONE = "special_zone", _("Đặc khu")


class AdministrativeUnitQuerySet(models.QuerySet):
    def current(self):
        return self.filter(valid_to__isnull=True)

    def valid_on(self, date):
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=date),
            Q(valid_to__isnull=True) | Q(valid_to__gte=date),
        )

    def provinces(self):
        return self.filter(level=UnitLevel.PROVINCE)


class AdministrativeUnit(models.Model):
    """One unit for the period it existed with this name and territory.

    A unit that is merged, split or renamed ends (``valid_to``) and its successors begin; the
    change itself is a ``UnitChange`` linking them, so history is data, never overwritten.
    """

    code = models.CharField(_("mã đơn vị hành chính"), max_length=10, db_index=True)
    name = models.CharField(_("tên"), max_length=200, db_index=True)
    kind = models.CharField(_("loại"), max_length=20, choices=UnitKind.choices)
    level = models.CharField(_("cấp"), max_length=10, choices=UnitLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("thuộc đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("có hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hết hiệu lực từ sau ngày"), null=True, blank=True, db_index=True)

    objects = AdministrativeUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code", "valid_from"], name="unique_unit_code_per_period"
            ),
        ]

    def __str__(self):
        if self.is_current:
            return f"{self.get_kind_display()} {self.name}"
        return _("%(kind)s %(name)s (đến %(date)s)") % {
            "kind": self.get_kind_display(),
            "name": self.name,
            "date": self.valid_to.strftime("%d/%m/%Y"),
        }

    @property
    def is_current(self):
        return self.valid_to is None

    def successors(self):
        """The units this one became directly (empty while it still exists)."""
        return AdministrativeUnit.objects.filter(became_by__predecessors=self).distinct()

    def current_successors(self):
        """The units that hold this unit's territory today, following every change."""
        if self.is_current:
            return [self]
        found, seen = [], {self.pk}
        frontier = list(self.successors())
        while frontier:
            unit = frontier.pop()
            if unit.pk in seen:
                continue
            seen.add(unit.pk)
            if unit.is_current:
                found.append(unit)
            else:
                frontier.extend(unit.successors())
        return found

    def predecessors(self):
        return AdministrativeUnit.objects.filter(ended_by__successors=self).distinct()

    def absorbed_units(self):
        """Former units merged into this one, other than the one whose name it carries on.

        The name, not the code, tells: new Lào Cai took the code of Yên Bái, which it absorbed.
        """
        return self.predecessors().exclude(name=self.name, level=self.level)

    def all_predecessors(self):
        """Every unit, at any depth of history, whose territory this one now holds."""
        found, seen = [], {self.pk}
        frontier = list(self.predecessors())
        while frontier:
            unit = frontier.pop()
            if unit.pk in seen:
                continue
            seen.add(unit.pk)
            found.append(unit)
            frontier.extend(unit.predecessors())
        return found


class UnitChangeKind(models.TextChoices):
    MERGE = "merge", _("Sáp nhập, hợp nhất")
    SPLIT = "split", _("Chia tách")
    RENAME = "rename", _("Đổi tên")
    BOUNDARY = "boundary", _("Điều chỉnh địa giới")
    ABOLISH = "abolish", _("Giải thể, không tổ chức cấp hành chính")
    ESTABLISH = "establish", _("Thành lập")


class UnitChange(models.Model):
    """A legal change of administrative units: which units ended and which began."""

    kind = models.CharField(_("loại thay đổi"), max_length=20, choices=UnitChangeKind.choices)
    effective_date = models.DateField(_("ngày có hiệu lực"), db_index=True)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=300, blank=True)
    predecessors = models.ManyToManyField(
        AdministrativeUnit, related_name="ended_by", verbose_name=_("đơn vị trước thay đổi")
    )
    successors = models.ManyToManyField(
        AdministrativeUnit, related_name="became_by", verbose_name=_("đơn vị sau thay đổi")
    )
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("thay đổi đơn vị hành chính")
        verbose_name_plural = _("thay đổi đơn vị hành chính")
        ordering = ["-effective_date", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.effective_date:%d/%m/%Y})"
