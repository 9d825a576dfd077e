"""Fixity: re-hash the stored files of every digital object and compare them with the recorded SHA-256.

Each digital object holds up to two preserved files: the scan as received (``file``, ``sha256``) and
the archival PDF/A made from it (``archival_copy``, ``archival_sha256``). A check reads each file
from storage in chunks (local disk or S3, never the whole file in memory), records one
``fixity check`` event per file, and sets the object's ``fixity_checked_at`` and ``fixity_ok``.
A run checks all objects or a sample (``select_sample``), then e-mails the mismatches it found.
"""

import datetime
import hashlib
import logging
import math
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import preservation
from .models import NATIONAL_ADMIN_GROUP, DigitalObject, EventOutcome, EventType, PreservationEvent, Role

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
# Every stored file is re-hashed at least once in this period.
CYCLE_DAYS = 3 * 365
# Scheduled runs plan to finish the cycle this many days early, so missed runs do not make files overdue.
CYCLE_MARGIN_DAYS = 60
# Share of a sample drawn at random among the files checked recently, on top of the oldest-checked ones.
RANDOM_SHARE = 0.1

MISSING = "missing"


@dataclass
class FileCheck:
    digital_object: DigitalObject
    role: str
    name: str
    expected: str
    found: str  # the SHA-256 read, MISSING, or "unreadable: <error>"
    size: int = 0

    @property
    def ok(self):
        return self.found == self.expected

    @property
    def is_missing(self):
        return self.found == MISSING

    def describe(self):
        if self.ok:
            return _("Khớp SHA-256: %(hash)s") % {"hash": self.expected}
        if self.is_missing:
            return _("Không tìm thấy tệp trong kho lưu trữ. SHA-256 cần có: %(expected)s") % {
                "expected": self.expected
            }
        return _("SHA-256 cần có: %(expected)s; SHA-256 đọc được: %(found)s") % {
            "expected": self.expected,
            "found": self.found,
        }


@dataclass
class FixityReport:
    started_at: datetime.datetime
    objects: int = 0
    files: int = 0
    bytes_read: int = 0
    mismatches: list = field(default_factory=list)
    finished_at: datetime.datetime | None = None

    @property
    def ok(self):
        return not self.mismatches


# --- Reading and hashing -------------------------------------------------------------------------


def stored_files(digital_object):
    """``(role, storage name, expected SHA-256)`` of each preserved file of the object."""
    files = [("original", digital_object.file.name, digital_object.sha256)]
    if digital_object.archival_copy and digital_object.archival_sha256:
        files.append(("archival", digital_object.archival_copy.name, digital_object.archival_sha256))
    return files


def role_label(role):
    return _("Tệp quét gốc") if role == "original" else _("Bản lưu trữ PDF/A")


def read_chunks(name, storage=None):
    """The bytes of a stored file, chunk by chunk; FileNotFoundError when it is not there."""
    storage = storage or default_storage
    if hasattr(storage, "bucket") and hasattr(storage, "_normalize_name"):
        yield from _s3_chunks(storage, name)
        return
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


def _s3_chunks(storage, name):
    # S3Storage.open() buffers the whole object (in memory by default): read the body as a stream.
    from botocore.exceptions import ClientError
    from storages.utils import clean_name

    key = storage._normalize_name(clean_name(name))
    try:
        body = storage.bucket.Object(key).get()["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(name) from error
        raise
    try:
        yield from body.iter_chunks(CHUNK_SIZE)
    finally:
        body.close()


def hash_stored_file(name, storage=None):
    """``(sha256 hex, size)`` of a stored file, or ``(MISSING, 0)``."""
    if not name:
        return MISSING, 0
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in read_chunks(name, storage):
            digest.update(chunk)
            size += len(chunk)
    except FileNotFoundError:
        return MISSING, 0
    return digest.hexdigest(), size


# --- Checking -------------------------------------------------------------------------------------


def check_object(digital_object, *, now=None):
    """Re-hash the object's files, record an event per file and save the outcome on the object."""
    now = now or timezone.now()
    checks = []
    for role, name, expected in stored_files(digital_object):
        try:
            found, size = hash_stored_file(name)
        except Exception as error:  # noqa: BLE001 - a storage fault is an outcome to report, not a crash
            logger.warning("Could not read %s for a fixity check", name, exc_info=True)
            found, size = f"unreadable: {error}"[:200], 0
        checks.append(FileCheck(digital_object, role, name, expected, found, size))
    save_outcome(digital_object, checks, now)
    return checks


def save_outcome(digital_object, checks, now):
    events = [
        preservation.build_event(
            EventType.FIXITY_CHECK,
            archive=digital_object.archive,
            digital_object=digital_object,
            object_identifier=check.name,
            outcome=EventOutcome.SUCCESS if check.ok else EventOutcome.FAILURE,
            detail=_("Kiểm tra SHA-256 của %(role)s “%(name)s”.")
            % {"role": role_label(check.role).lower(), "name": check.name},
            outcome_detail=check.describe(),
        )
        for check in checks
    ]
    for event in events:
        event.occurred_at = now
    ok = all(check.ok for check in checks)
    with transaction.atomic():
        PreservationEvent.objects.bulk_create(events)
        DigitalObject.objects.filter(pk=digital_object.pk).update(fixity_checked_at=now, fixity_ok=ok)
    digital_object.fixity_checked_at, digital_object.fixity_ok = now, ok


def run_fixity(queryset=None, *, archive=None, sample_percent=None, now=None, notify=True, rng=None):
    """Check all objects of ``queryset`` (default: every object, or those of ``archive``) or a sample.

    Returns a ``FixityReport``; with ``notify``, e-mails the mismatches to the national admins and to
    the leaders of each archive concerned.
    """
    now = now or timezone.now()
    queryset = queryset if queryset is not None else DigitalObject.objects.all()
    if archive is not None:
        queryset = queryset.filter(archive=archive)
    if sample_percent is not None:
        queryset = select_sample(queryset, sample_percent, now=now, rng=rng)
    report = FixityReport(started_at=now)
    for digital_object in queryset.select_related("archive").order_by("pk").iterator(chunk_size=200):
        checks = check_object(digital_object)
        report.objects += 1
        report.files += len(checks)
        report.bytes_read += sum(check.size for check in checks)
        report.mismatches.extend(check for check in checks if not check.ok)
    report.finished_at = timezone.now()
    if notify and report.mismatches:
        send_mismatch_mail(report)
    return report


# --- Sampling -----------------------------------------------------------------------------------


def select_sample(queryset, percent, *, now=None, rng=None):
    """The objects a sampled run checks: every overdue one, the oldest-checked, and a random share.

    - Overdue: never checked, or last checked ``CYCLE_DAYS`` ago or more. Always all of them, so no
      file ever goes longer than the cycle unchecked, whatever the percentage.
    - Oldest-checked first: ``percent`` of all objects, those whose last check is oldest. Runs at
      the percentage of ``cycle_sample_percent`` walk through every object within the cycle.
    - A random share (``RANDOM_SHARE`` of that number) among the rest, so that damage to a file
      checked recently still has a chance to be found before its turn comes again.
    Returns a queryset of the chosen objects.
    """
    now = now or timezone.now()
    total = queryset.count()
    if not total or percent <= 0:
        return queryset.none()
    wanted = min(total, math.ceil(total * min(percent, 100) / 100))
    overdue_before = now - datetime.timedelta(days=CYCLE_DAYS)
    overdue = set(queryset.filter(fixity_checked_at__isnull=True).values_list("pk", flat=True)) | set(
        queryset.filter(fixity_checked_at__lte=overdue_before).values_list("pk", flat=True)
    )
    oldest = queryset.exclude(pk__in=overdue).order_by(F("fixity_checked_at").asc(nulls_first=True), "pk")
    chosen = overdue | set(oldest.values_list("pk", flat=True)[: max(0, wanted - len(overdue))])
    chosen |= random_share(queryset.exclude(pk__in=chosen), math.ceil(wanted * RANDOM_SHARE), rng)
    return queryset.filter(pk__in=chosen)


def random_share(queryset, count, rng=None):
    if count <= 0:
        return set()
    remaining = list(queryset.values_list("pk", flat=True))
    return set((rng or random.SystemRandom()).sample(remaining, min(count, len(remaining))))


def cycle_sample_percent(run_interval_days=1):
    """The percentage each run checks so that runs every ``run_interval_days`` cover the whole cycle."""
    runs_per_cycle = max(1, (CYCLE_DAYS - CYCLE_MARGIN_DAYS) // run_interval_days)
    return 100 / runs_per_cycle


# --- Reporting ----------------------------------------------------------------------------------


def mismatch_recipients(archive_ids):
    """``{email: None (all archives) or a set of archive ids}``: national admins, each archive's leaders."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    national = users.filter(Q(is_superuser=True) | Q(groups__name=NATIONAL_ADMIN_GROUP))
    recipients = {email: None for email in national.values_list("email", flat=True)}
    leaders = users.filter(
        groups__archive_role__role=Role.LEADER, groups__archive_role__archive_id__in=archive_ids
    )
    for email, archive_id in leaders.values_list("email", "groups__archive_role__archive_id"):
        if email not in recipients or recipients[email] is not None:
            recipients.setdefault(email, set()).add(archive_id)
    return recipients


def send_mismatch_mail(report):
    """One message per recipient: a national admin sees every mismatch, a leader those of the archive."""
    archive_ids = {check.digital_object.archive_id for check in report.mismatches}
    by_message = {}
    for email, scope in mismatch_recipients(archive_ids).items():
        key = None if scope is None else frozenset(scope)
        by_message.setdefault(key, []).append(email)
    for scope, emails in by_message.items():
        mismatches = [
            check for check in report.mismatches if scope is None or check.digital_object.archive_id in scope
        ]
        if mismatches:
            send_mail(
                mail_subject(mismatches),
                mail_body(report, mismatches),
                settings.DEFAULT_FROM_EMAIL,
                sorted(emails),
                fail_silently=False,
            )


def mail_subject(mismatches):
    return _("[Kho lưu trữ số] Phát hiện %(count)s tệp không toàn vẹn") % {"count": len(mismatches)}


def recheck_command(mismatches):
    codes = sorted({check.digital_object.archive.code for check in mismatches})
    return "manage.py verify_fixity" + (f" --archive {codes[0]}" if len(codes) == 1 else "")


def mail_body(report, mismatches):
    lines = [
        _(
            "Lần kiểm tra tính toàn vẹn lúc %(time)s đã đọc lại %(files)s tệp (%(bytes)s) và phát hiện "
            "%(count)s tệp bị thiếu hoặc có mã SHA-256 khác với mã đã ghi khi lưu:"
        )
        % {
            "time": timezone.localtime(report.started_at).strftime("%d/%m/%Y %H:%M"),
            "files": report.files,
            "bytes": filesizeformat(report.bytes_read),
            "count": len(mismatches),
        },
        "",
    ]
    for check in mismatches:
        record = check.digital_object.record
        lines.append(
            f"- {check.digital_object.archive.code} · {record.reference_code} · "
            f"{role_label(check.role)}: {check.name}"
        )
        lines.append(f"  {check.describe()}")
    lines += [
        "",
        _(
            "Cách xử lý: khôi phục tệp từ bản sao bảo hiểm (bản sao lưu) rồi chạy lại "
            "“%(command)s” để xác nhận. Danh sách tệp lỗi: %(url)s"
        )
        % {
            "command": recheck_command(mismatches),
            "url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("fixity:index"),
        },
    ]
    return "\n".join(lines)
