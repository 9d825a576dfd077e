"""Dates as archives write them: DD/MM/YYYY, MM/YYYY or YYYY, stored with their precision.

A partial date is stored as an ISO prefix ("2019", "2019-03", "2019-03-05"), which sorts and
compares correctly as text and keeps the precision the archivist gave.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_DISPLAY_PATTERNS = (
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"), ("day", "month", "year")),
    (re.compile(r"^(\d{1,2})[/.-](\d{4})$"), ("month", "year")),
    (re.compile(r"^(\d{4})$"), ("year",)),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), ("year", "month", "day")),
    (re.compile(r"^(\d{4})-(\d{2})$"), ("year", "month")),
)

INVALID_MESSAGE = _(
    "“%(value)s” không phải là ngày hợp lệ. Hãy nhập theo dạng DD/MM/YYYY, MM/YYYY hoặc YYYY "
    "(ví dụ 05/03/2019, 03/2019 hoặc 2019)."
)


def parse_partial_date(text):
    """Return the ISO prefix for a date written as an archive writes it, or raise ValidationError."""
    value = (text or "").strip()
    if not value:
        return ""
    for pattern, parts in _DISPLAY_PATTERNS:
        match = pattern.match(value)
        if match:
            found = dict(zip(parts, (int(group) for group in match.groups()), strict=True))
            return _iso_prefix(value, **found)
    raise ValidationError(INVALID_MESSAGE, code="invalid_date", params={"value": value})


def _iso_prefix(original, year, month=None, day=None):
    if not 1000 <= year <= 2999:
        raise ValidationError(INVALID_MESSAGE, code="invalid_date", params={"value": original})
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        raise ValidationError(INVALID_MESSAGE, code="invalid_date", params={"value": original})
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        datetime.date(year, month, day)
    except ValueError:
        raise ValidationError(INVALID_MESSAGE, code="invalid_date", params={"value": original}) from None
    return f"{year:04d}-{month:02d}-{day:02d}"


def format_partial_date(iso):
    """Show a stored partial date the Vietnamese way: 05/03/2019, 03/2019 or 2019."""
    if not iso:
        return ""
    parts = iso.split("-")
    return "/".join(reversed(parts))


def year_of(iso):
    return int(iso[:4]) if iso else None


def earliest(iso):
    """The first day a partial date can mean, for comparing ranges."""
    if not iso:
        return ""
    return (iso + "-01-01")[:10] if len(iso) == 4 else (iso + "-01")[:10]


def latest(iso):
    """The last day a partial date can mean, for comparing ranges."""
    if not iso:
        return ""
    if len(iso) == 4:
        return f"{iso}-12-31"
    if len(iso) == 7:
        return f"{iso}-31"
    return iso
