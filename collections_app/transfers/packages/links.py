"""Links the package commands print."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _


def handover_hint(batch):
    """Where to draw up the handover record (biên bản giao nhận) of a batch of packages, if available."""
    try:
        url = reverse("handover_create")
    except NoReverseMatch:
        return _("Đợt gói tin: %(batch)s.") % {"batch": batch}
    return _(
        "Đợt gói tin: %(batch)s. Lập biên bản giao nhận cho đợt này tại %(url)s?package_batch=%(batch)s"
    ) % {
        "batch": batch,
        "url": url,
    }
