"""The one access policy of the archive.

Every reader of the archive (admin views, public pages, search, API, file serving, exports, ...)
asks this module who may see what. Nothing else filters by access regime or publication status.

Three questions, for a user and a record:
- ``can_list``: may the record appear in a list (its title and code)?
- ``can_view_metadata``: may its description page be shown?
- ``can_view_content``: may its content (scans, OCR text, full text, downloads) be shown?
and their queryset forms, ``listable(user, queryset)`` and ``admin_queryset(user, model)``.

Content shown outside the archive's staff under a reader grant (``content_grant``) is logged
(``read_is_logged``) and watermarked. Soft-deleted records are hidden from every reader; only the
recycle bin (``deleted_queryset``) reaches them.

Conditional access (02), for someone outside the archive's staff. The regime in force is the
strictest of the record's and its file's (a document is never more open than its file). The content
is shown when either
- every restricting level (the record and/or its file, whichever is 02) is open by the opening rules
  (``collections_app.opening``): a matching rule gives a date that has come (the recorded opening
  date, or the end year + N years) and no matching rule needs the leader's approval. A record whose
  opening date has come but which a leader-approval rule holds (e.g. a reason about a person's private
  life, "đời tư") therefore stays closed: the leader's rule wins over the date, because the date only
  says when the time limit ends, not that the private-life protection has; or
- the reader holds an active grant (``content_grant``) from the archive's leader for the record or
  its file: that is how a held-back record is read.
The daily ``open_records`` run then sets the regime of the records the rules opened to 01 for good.
Secret (03) records are never shown outside the staff, by rule or by grant; drafts are staff-only.
"""

import functools

from django.db.models import Q
from django.utils import timezone

from .models import NATIONAL_ADMIN_GROUP, ArchiveRole, Role
from .vocabularies import AccessRegime, PublicationStatus

STAFF_ROLES = (Role.ARCHIVIST, Role.READING_ROOM, Role.LEADER)


def is_national_admin(user):
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return _cached(user, "_national_admin", lambda: user.groups.filter(name=NATIONAL_ADMIN_GROUP).exists())


def staff_archive_ids(user):
    """The archives whose staff the user belongs to (any role)."""
    if not user.is_authenticated:
        return frozenset()
    return _cached(
        user,
        "_staff_archive_ids",
        lambda: frozenset(
            ArchiveRole.objects.filter(group__user=user, role__in=STAFF_ROLES).values_list(
                "archive_id", flat=True
            )
        ),
    )


def archive_roles(user, archive_id):
    if not user.is_authenticated:
        return frozenset()
    roles = _cached(
        user,
        "_archive_roles",
        lambda: tuple(ArchiveRole.objects.filter(group__user=user).values_list("archive_id", "role")),
    )
    return frozenset(role for archive, role in roles if archive == archive_id)


def is_staff_of(user, archive_id):
    return is_national_admin(user) or archive_id in staff_archive_ids(user)


def is_leader_of(user, archive_id):
    return is_national_admin(user) or Role.LEADER in archive_roles(user, archive_id)


def can_digitize(user, archive_id):
    """May the user import descriptions, upload scans, check quality and correct OCR in this archive?"""
    return is_national_admin(user) or bool(archive_roles(user, archive_id) & {Role.ARCHIVIST, Role.LEADER})


def admin_queryset(user, model):
    """The rows of a description model that a staff user may reach in the admin (deleted ones excepted)."""
    queryset = _live(model._default_manager.all())
    if is_national_admin(user):
        return queryset
    return queryset.filter(archive_id__in=staff_archive_ids(user))


def deleted_queryset(user, model):
    """Soft-deleted rows of a description model, for the recycle bin of the archives the user leads."""
    queryset = model._default_manager.filter(deleted_at__isnull=False)
    if is_national_admin(user):
        return queryset
    return queryset.filter(archive_id__in=led_archive_ids(user))


def led_archive_ids(user):
    """The archives the user is a leader of."""
    if not user.is_authenticated:
        return frozenset()
    return _cached(
        user,
        "_led_archive_ids",
        lambda: frozenset(
            ArchiveRole.objects.filter(group__user=user, role=Role.LEADER).values_list(
                "archive_id", flat=True
            )
        ),
    )


def admin_archives(user):
    from .models import Archive

    if is_national_admin(user):
        return Archive.objects.all()
    return Archive.objects.filter(pk__in=staff_archive_ids(user))


# The ancestors each level's rows are joined to, with whether the link may be empty.
PARENT_PATHS = {
    "series": (("fonds", False),),
    "recordfile": (("fonds", False), ("series", True)),
    "document": (("file", False), ("file__fonds", False), ("file__series", True)),
}


def _public_filter(model):
    """Published and not secret, and so is every ancestor: a record is listed only in a listed tree."""
    condition = _publicly_listed_here(model, "")
    for path, may_be_empty in PARENT_PATHS.get(model._meta.model_name, ()):
        parent_model = _model_at(model, path)
        here = _publicly_listed_here(parent_model, f"{path}__")
        condition &= (Q(**{f"{path}__isnull": True}) | here) if may_be_empty else here
    return condition


def _publicly_listed_here(model, prefix):
    condition = Q(**{f"{prefix}publication_status": PublicationStatus.PUBLISHED})
    if _has_regime(model):
        condition &= ~Q(**{f"{prefix}access_regime": AccessRegime.SECRET})
    if _soft_deletes(model) and prefix:
        condition &= Q(**{f"{prefix}deleted_at__isnull": True})
    return condition


def _model_at(model, path):
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def listable(user, queryset):
    """Filter a queryset of description records to what ``user`` may see listed."""
    queryset = _live(queryset)
    if is_national_admin(user):
        return queryset
    condition = _public_filter(queryset.model)
    staff_of = staff_archive_ids(user)
    if staff_of:
        condition |= Q(archive_id__in=staff_of)
    return queryset.filter(condition)


def can_list(user, record):
    """May the record appear in a list: ``listable`` for one record."""
    if _is_deleted(record) or any(_is_deleted(parent) for parent in parents_of(record)):
        return False
    if is_staff_of(user, record.archive_id):
        return True
    return all(_publicly_listed(node) for node in (record, *parents_of(record)))


def _publicly_listed(record):
    if not record.is_published:
        return False
    return not (_has_regime(type(record)) and record.access_regime == AccessRegime.SECRET)


def can_view_metadata(user, record):
    return can_list(user, record) and all(can_list(user, parent) for parent in parents_of(record))


def can_view_content(user, record, today=None):
    if not can_view_metadata(user, record):
        return False
    if is_staff_of(user, record.archive_id):
        return True
    regime = _effective_regime(record)
    if regime == AccessRegime.OPEN:
        return True
    if regime == AccessRegime.CONDITIONAL:
        rules = _cached(user, f"_opening_rules_{record.archive_id}", lambda: _active_rules(record.archive_id))
        return _opened(record, today, rules) or content_grant(user, record, today) is not None
    return False


def content_readable(user, queryset, today=None):
    """The records of ``queryset`` whose content ``user`` may read, as far as SQL alone can tell.

    Open records, the staff's own archives, and conditional records the reader holds an active grant
    for. Conditional records opened by an opening rule are not included (the rules are decided in
    Python): ask ``can_view_content`` for the rest. Listing rights are the caller's filter
    (``listable``); this adds the content condition only.
    """
    condition = content_readable_condition(user, queryset.model, today)
    return queryset if condition is None else queryset.filter(condition)


def content_readable_condition(user, model, today=None):
    """``content_readable`` as a condition on ``model`` (None: every record), to combine in one query."""
    from .models import AccessGrant, Document

    if is_national_admin(user) or not _has_regime(model):
        return None
    condition = Q(access_regime=AccessRegime.OPEN)
    if model is Document:
        condition &= Q(file__access_regime=AccessRegime.OPEN)
    if not user.is_authenticated:
        return condition
    condition |= Q(archive_id__in=staff_archive_ids(user))
    today = today or timezone.localdate()
    grants = AccessGrant.objects.filter(reader=user, revoked_at__isnull=True, valid_until__gte=today)
    not_secret = ~Q(access_regime=AccessRegime.SECRET)
    if model is Document:
        granted = Q(pk__in=grants.values("document_id")) | Q(file_id__in=grants.values("record_file_id"))
        not_secret &= ~Q(file__access_regime=AccessRegime.SECRET)
    else:
        granted = Q(pk__in=grants.values("record_file_id"))
    return condition | (granted & not_secret)


def rules_may_open_condition(model, today=None):
    """A condition on ``model`` (RecordFile or Document), true of every record a rule may open today.

    It errs on the side of "may": the rules' archives, categories and reasons are left to
    ``can_view_content``. A record it is false for, not shown readable by ``content_readable``, stays
    closed whatever the rules say: a conditional level with no opening date come and no end year old
    enough for any active rule is never opened by them.
    """
    from . import opening
    from .models import Document, OpeningBasis

    today = today or timezone.localdate()
    rules = opening.active_rules()
    by_date = any(rule.basis == OpeningBasis.OPENING_DATE for rule in rules)
    years = [
        rule.years for rule in rules if rule.basis == OpeningBasis.YEARS_AFTER_END and rule.years is not None
    ]
    last_end_year = today.year - min(years) if years else None

    def level_may_open(prefix, end_year_condition):
        if not (by_date or years):
            return Q(pk__in=[])
        condition = Q(**{f"{prefix}opening_date__lte": today}) if by_date else Q(pk__in=[])
        if last_end_year is not None:
            condition |= end_year_condition(last_end_year)
        return ~Q(**{f"{prefix}access_regime": AccessRegime.CONDITIONAL}) | condition

    if model is Document:
        own = level_may_open(
            "",
            lambda year: Q(issued_year__lte=year) | Q(issued_year__isnull=True, file__end_year__lte=year),
        )
        return own & level_may_open("file__", lambda year: Q(file__end_year__lte=year))
    return level_may_open("", lambda year: Q(end_year__lte=year))


def content_grant(user, record, today=None):
    """The reader's active grant that opens this conditional-access record's content, or None.

    A grant names a file or a document; a grant on a file covers its documents. Secret records are
    never opened by a grant.
    """
    if not user.is_authenticated or _effective_regime(record) != AccessRegime.CONDITIONAL:
        return None
    from .models import AccessGrant, Document, RecordFile

    today = today or timezone.localdate()
    grants = AccessGrant.objects.filter(reader=user, revoked_at__isnull=True, valid_until__gte=today)
    if isinstance(record, Document):
        condition = Q(document_id=record.pk) | Q(record_file_id=record.file_id)
    elif isinstance(record, RecordFile):
        condition = Q(record_file_id=record.pk)
    else:
        return None
    return grants.filter(condition).order_by("-valid_until").first()


def ended_grant(user, record):
    """The reader's latest grant on this record that has expired or been revoked, or None.

    Only tells the reader why they are refused: whether content may be read is decided by
    ``access.can_view_content`` alone.
    """
    from .models import AccessGrant, Document, RecordFile

    if not user.is_authenticated or not isinstance(record, Document | RecordFile):
        return None
    if isinstance(record, Document):
        names_record = Q(document_id=record.pk) | Q(record_file_id=record.file_id)
    else:
        names_record = Q(record_file_id=record.pk)
    ended = Q(revoked_at__isnull=False) | Q(valid_until__lt=timezone.localdate())
    return AccessGrant.objects.filter(names_record, ended, reader=user).order_by("-valid_until").first()


def read_is_logged(user, record, today=None):
    """Whether showing this record's content to ``user`` must be written to the read log.

    Every read of conditional-access content by someone outside the archive's staff is logged,
    whether the record was opened by a grant or has reached its opening date.
    """
    if is_staff_of(user, record.archive_id):
        return False
    return _effective_regime(record) == AccessRegime.CONDITIONAL and can_view_content(user, record, today)


def needs_watermark(user, record, today=None):
    """Content read under a grant carries a visible watermark naming the reader and the date."""
    return not is_staff_of(user, record.archive_id) and content_grant(user, record, today) is not None


def content_restriction(user, record):
    """Why the content is withheld, for the page to say so; None when it can be shown."""
    if can_view_content(user, record):
        return None
    if _effective_regime(record) == AccessRegime.CONDITIONAL:
        return "conditional"
    return "restricted"


# The ancestors ``parents_of`` walks, per model, as ``select_related`` paths.
_PARENT_PATHS = {
    "Document": ("file__series__fonds", "file__fonds"),
    "RecordFile": ("series__fonds", "fonds"),
    "Series": ("fonds",),
}


def with_parents(queryset):
    """``queryset`` fetching the ancestors the checks of one record read, in the same query."""
    return queryset.select_related(*_PARENT_PATHS.get(queryset.model.__name__, ()))


def parents_of(record):
    """The ancestors of a record, nearest first (file, series, fonds)."""
    chain = []
    node = record
    while True:
        parent = getattr(node, "file", None) if hasattr(node, "file_id") else None
        if parent is None and hasattr(node, "series_id") and node.series_id:
            parent = node.series
        if parent is None and hasattr(node, "fonds_id") and node.fonds_id:
            parent = node.fonds
        if parent is None:
            return chain
        chain.append(parent)
        node = parent


def _effective_regime(record):
    if not _has_regime(type(record)):
        return AccessRegime.OPEN
    regime = record.access_regime
    file = getattr(record, "file", None) if hasattr(record, "file_id") else None
    if file is not None:
        regime = max(regime, file.access_regime)
    return regime


def _opened(record, today=None, rules=None):
    """A conditional-access record opens once the opening rules open every restricting level."""
    from . import opening

    today = today or timezone.localdate()
    file = getattr(record, "file", None) if hasattr(record, "file_id") else None
    restricting = [
        node for node in (record, file) if node is not None and node.access_regime == AccessRegime.CONDITIONAL
    ]
    if not restricting:
        return True
    if rules is None:
        rules = opening.active_rules(record.archive_id)
    return all(opening.is_open_by_rule(node, today, rules) for node in restricting)


def _active_rules(archive_id):
    from . import opening

    return opening.active_rules(archive_id)


def _live(queryset):
    if not _soft_deletes(queryset.model):
        return queryset
    return queryset.filter(deleted_at__isnull=True)


def _is_deleted(record):
    return getattr(record, "deleted_at", None) is not None


@functools.cache
def _soft_deletes(model):
    return any(field.name == "deleted_at" for field in model._meta.get_fields())


@functools.cache
def _has_regime(model):
    return any(field.name == "access_regime" for field in model._meta.get_fields())


def _cached(user, attribute, compute):
    if not hasattr(user, attribute):
        setattr(user, attribute, compute())
    return getattr(user, attribute)
