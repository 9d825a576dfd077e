"""Digitization work: progress figures per fonds and per archive, batches and their quality check.

Figures come from a few aggregate queries (a province holds hundreds of thousands of pages): pages
are grouped by fonds and by whether their record is tagged land (đất đai) or investment project
(dự án đầu tư), so Python only combines a handful of rows per fonds, never one row per page.

A page counts for a fonds through its scan's document (document → file → fonds) or its scan's
file (file → fonds); for a category when the document or its file carries the category.
"""

import dataclasses
import datetime
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from .. import access
from ..models import (
    NATIONAL_DIGITIZATION_DEADLINE,
    BatchStatus,
    Category,
    DigitalObject,
    DigitizationBatch,
    DigitizationPlan,
    Document,
    Fonds,
    QualityCheck,
    RecordFile,
    Role,
    ScanPage,
)

LAND = "dat-dai"
INVESTMENT = "du-an-dau-tu"
CATEGORY_GROUPS = (("land", LAND), ("investment", INVESTMENT))

# A projection needs some history: a plan opened yesterday has no meaningful pace yet.
PROJECTION_MIN_DAYS = 7
DEFAULT_QC_WAIT_DAYS = 7

MANAGING_ROLES = frozenset({Role.ARCHIVIST, Role.LEADER})


def qc_wait_days():
    """Days a batch may wait for its quality check before it is flagged (``DIGITIZATION_QC_WAIT_DAYS``)."""
    return int(getattr(settings, "DIGITIZATION_QC_WAIT_DAYS", DEFAULT_QC_WAIT_DAYS))


def can_manage(user, archive_id):
    """Archivists and leaders run the digitization of their archive; reading-room staff only watch it."""
    if access.is_national_admin(user):
        return True
    return bool(access.archive_roles(user, archive_id) & MANAGING_ROLES)


def managed_archive_ids(user):
    return frozenset(archive for archive in access.staff_archive_ids(user) if can_manage(user, archive))


# Figures -------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Figures:
    """Pages of one scope (a fonds, an archive, their land or investment records)."""

    planned: int | None = None
    scanned: int = 0
    passed: int = 0
    rejected: int = 0
    ocrd: int = 0
    rescan_objects: int = 0
    records: int | None = None

    def add(self, other):
        for name in ("scanned", "passed", "rejected", "ocrd", "rescan_objects"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("planned", "records"):
            if getattr(other, name) is not None:
                setattr(self, name, (getattr(self, name) or 0) + getattr(other, name))

    def percent(self, count):
        if not self.planned:
            return None
        return round(100 * count / self.planned, 1)

    @property
    def scanned_percent(self):
        return self.percent(self.scanned)

    @property
    def passed_percent(self):
        return self.percent(self.passed)

    @property
    def ocrd_percent(self):
        return self.percent(self.ocrd)

    @property
    def pending(self):
        return self.scanned - self.passed - self.rejected

    @property
    def is_empty(self):
        return not (self.scanned or self.planned or self.records)


class ScheduleStatus:
    NO_PLAN = "no_plan"
    COMPLETE = "complete"
    OVERDUE = "overdue"
    PROJECTED_LATE = "projected_late"
    ON_TRACK = "on_track"
    TOO_EARLY = "too_early"

    LABELS = {
        NO_PLAN: _("Chưa có kế hoạch"),
        COMPLETE: _("Hoàn thành"),
        OVERDUE: _("Trễ hạn"),
        PROJECTED_LATE: _("Dự kiến trễ"),
        ON_TRACK: _("Đúng tiến độ"),
        TOO_EARLY: _("Chưa đủ dữ liệu dự báo"),
    }


@dataclasses.dataclass
class Schedule:
    status: str
    days_left: int | None = None
    pace: float | None = None
    projected: int | None = None

    @property
    def late(self):
        return self.status in (ScheduleStatus.OVERDUE, ScheduleStatus.PROJECTED_LATE)

    @property
    def label(self):
        return ScheduleStatus.LABELS[self.status]

    @property
    def days_overdue(self):
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def assess_schedule(plan, figures, today):
    """Late when the deadline has passed unfinished, or when the pace so far cannot finish in time.

    Finished means every planned page passed the quality check. The pace is the pages scanned per
    day since the plan was made, counted once the plan is ``PROJECTION_MIN_DAYS`` old.
    """
    if plan is None:
        return Schedule(ScheduleStatus.NO_PLAN)
    days_left = (plan.deadline - today).days
    if figures.passed >= plan.pages_planned:
        return Schedule(ScheduleStatus.COMPLETE, days_left=days_left)
    if days_left < 0:
        return Schedule(ScheduleStatus.OVERDUE, days_left=days_left)
    elapsed = (today - timezone.localdate(plan.created_at)).days
    if elapsed < PROJECTION_MIN_DAYS:
        return Schedule(ScheduleStatus.TOO_EARLY, days_left=days_left)
    pace = figures.scanned / elapsed
    projected = int(figures.scanned + pace * days_left)
    status = ScheduleStatus.PROJECTED_LATE if projected < plan.pages_planned else ScheduleStatus.ON_TRACK
    return Schedule(status, days_left=days_left, pace=round(pace, 1), projected=projected)


@dataclasses.dataclass
class FondsProgress:
    fonds: Fonds
    plan: DigitizationPlan | None
    total: Figures
    land: Figures
    investment: Figures
    schedule: Schedule
    waiting_batches: int = 0

    @property
    def category_lines(self):
        return [
            (label, figures)
            for label, figures in ((_("Đất đai"), self.land), (_("Dự án đầu tư"), self.investment))
            if not figures.is_empty
        ]


@dataclasses.dataclass
class ArchiveProgress:
    archive: object
    rows: list
    total: Figures
    land: Figures
    investment: Figures
    unplanned_fonds: int
    waiting_batches: list
    today: datetime.date

    @property
    def late_rows(self):
        return [row for row in self.rows if row.schedule.late]

    @property
    def national_days_left(self):
        return (NATIONAL_DIGITIZATION_DEADLINE - self.today).days


def _category_ids():
    ids = dict(Category.objects.filter(slug__in=[LAND, INVESTMENT]).values_list("slug", "pk"))
    return {group: ids.get(slug) for group, slug in CATEGORY_GROUPS}


FileCategory = RecordFile.categories.through
DocumentCategory = Document.categories.through


def _file_tagged(category_id, file_ref):
    return Exists(FileCategory.objects.filter(recordfile_id=OuterRef(file_ref), category_id=category_id))


def _document_tagged(category_id, document_ref):
    tags = DocumentCategory.objects.filter(document_id=OuterRef(document_ref), category_id=category_id)
    return Exists(tags)


def _fonds_of_page():
    return Coalesce("digital_object__document__file__fonds_id", "digital_object__record_file__fonds_id")


def _file_of_page():
    return Coalesce("digital_object__document__file_id", "digital_object__record_file_id")


def _boolean(condition):
    return ExpressionWrapper(condition, output_field=BooleanField())


def _page_tagged(category_id):
    """A page's record carries the category, on its document or on the file."""
    if category_id is None:
        return Value(False)
    on_file = Q(_file_tagged(category_id, "file_key"))
    return _boolean(on_file | Q(_document_tagged(category_id, "digital_object__document_id")))


OCRD = ~Q(text="") | Q(digital_object__ocr_finished_at__isnull=False)


def _page_groups(pages, categories):
    """Page counts grouped by (fonds, land, investment): at most four rows per fonds."""
    return (
        pages.order_by()
        .annotate(fonds_key=_fonds_of_page(), file_key=_file_of_page())
        .annotate(land=_page_tagged(categories["land"]), investment=_page_tagged(categories["investment"]))
        .values("fonds_key", "land", "investment")
        .annotate(
            scanned=Count("id"),
            passed=Count("id", filter=Q(qc_status=QualityCheck.PASSED)),
            rejected=Count("id", filter=Q(qc_status=QualityCheck.REJECTED)),
            ocrd=Count("id", filter=OCRD),
            rescan_objects=Count("digital_object", filter=Q(qc_status=QualityCheck.REJECTED), distinct=True),
        )
    )


def _described_groups(files, documents, categories):
    """Pages and records of land and investment records according to their description.

    A tagged file counts with its page count; a tagged document counts on its own only when its
    file does not carry the same category (its pages are already in the file's count).
    """
    rows = []
    if not any(categories.values()):
        return rows
    file_flags = {
        group: _file_tagged(category_id, "pk") if category_id else Value(False)
        for group, category_id in categories.items()
    }
    rows += (
        files.order_by()
        .annotate(**file_flags)
        .filter(Q(land=True) | Q(investment=True))
        .values("fonds_id", "land", "investment")
        .annotate(pages=Sum("page_count"), records=Count("id"))
    )
    document_flags = {
        group: _boolean(Q(_document_tagged(category_id, "pk")) & ~Q(_file_tagged(category_id, "file_id")))
        if category_id
        else Value(False)
        for group, category_id in categories.items()
    }
    document_rows = (
        documents.order_by()
        .annotate(**document_flags)
        .filter(Q(land=True) | Q(investment=True))
        .values("file__fonds_id", "land", "investment")
        .annotate(pages=Sum("page_count"), records=Count("id"))
    )
    rows += [{**row, "fonds_id": row["file__fonds_id"]} for row in document_rows]
    return rows


def _empty_entry():
    return {"total": Figures(), "land": Figures(), "investment": Figures()}


def _collect(page_rows, described_rows):
    """Combine the grouped rows into ``{fonds_id: {"total"|"land"|"investment": Figures}}``."""
    entries = defaultdict(_empty_entry)
    for row in page_rows:
        counts = Figures(
            scanned=row["scanned"],
            passed=row["passed"],
            rejected=row["rejected"],
            ocrd=row["ocrd"],
            rescan_objects=row["rescan_objects"],
        )
        entry = entries[row["fonds_key"]]
        entry["total"].add(counts)
        for group in ("land", "investment"):
            if row[group]:
                entry[group].add(counts)
    for row in described_rows:
        described = Figures(planned=row["pages"] or 0, records=row["records"])
        for group in ("land", "investment"):
            if row[group]:
                entries[row["fonds_id"]][group].add(described)
    return entries


def _figures_by_fonds(pages, files, documents):
    categories = _category_ids()
    return _collect(_page_groups(pages, categories), _described_groups(files, documents, categories))


def _waiting_since(now=None):
    return (now or timezone.now()) - datetime.timedelta(days=qc_wait_days())


def waiting_batches(batches, now=None):
    """Batches sent to the quality check longer ago than ``qc_wait_days()`` and still not checked."""
    return batches.filter(status=BatchStatus.IN_QC, submitted_at__lt=_waiting_since(now))


def _fonds_row(fonds, plan, entry, today, waiting):
    if plan is not None:
        entry["total"].planned = plan.pages_planned
    return FondsProgress(
        fonds=fonds,
        plan=plan,
        total=entry["total"],
        land=entry["land"],
        investment=entry["investment"],
        schedule=assess_schedule(plan, entry["total"], today),
        waiting_batches=waiting,
    )


def fonds_progress(fonds, today=None):
    """The figures of one fonds: all its pages, then its land and investment records apart."""
    today = today or timezone.localdate()
    pages = ScanPage.objects.filter(digital_object__archive_id=fonds.archive_id).filter(
        Q(digital_object__document__file__fonds=fonds) | Q(digital_object__record_file__fonds=fonds)
    )
    entries = _figures_by_fonds(
        pages, RecordFile.objects.filter(fonds=fonds), Document.objects.filter(file__fonds=fonds)
    )
    plan = DigitizationPlan.objects.filter(fonds=fonds).first()
    waiting = waiting_batches(DigitizationBatch.objects.filter(plan__fonds=fonds)).count()
    return _fonds_row(fonds, plan, entries[fonds.pk], today, waiting)


def archive_progress(archive, today=None):
    """One row per fonds that has a plan or scanned pages, the archive's totals and what is late."""
    today = today or timezone.localdate()
    entries = _figures_by_fonds(
        ScanPage.objects.filter(digital_object__archive_id=archive.pk),
        RecordFile.objects.filter(archive_id=archive.pk),
        Document.objects.filter(archive_id=archive.pk),
    )
    plans = {plan.fonds_id: plan for plan in DigitizationPlan.objects.filter(archive_id=archive.pk)}
    waiting = list(
        waiting_batches(DigitizationBatch.objects.filter(plan__archive_id=archive.pk))
        .select_related("plan__fonds")
        .order_by("submitted_at")
    )
    waiting_per_fonds = defaultdict(int)
    for batch in waiting:
        waiting_per_fonds[batch.plan.fonds_id] += 1
    shown = {fonds_id for fonds_id, entry in entries.items() if entry["total"].scanned} | set(plans)
    fonds_list = Fonds.objects.filter(archive_id=archive.pk, pk__in=shown).order_by("code")
    rows = [
        _fonds_row(fonds, plans.get(fonds.pk), entries[fonds.pk], today, waiting_per_fonds[fonds.pk])
        for fonds in fonds_list
    ]
    totals = {name: Figures(planned=0) for name in ("total", "land", "investment")}
    for row in rows:
        for name in totals:
            totals[name].add(getattr(row, name))
    unplanned = Fonds.objects.filter(archive_id=archive.pk, digitization_plan__isnull=True).count()
    return ArchiveProgress(
        archive=archive,
        rows=rows,
        total=totals["total"],
        land=totals["land"],
        investment=totals["investment"],
        unplanned_fonds=unplanned,
        waiting_batches=waiting,
        today=today,
    )


@dataclasses.dataclass
class ArchiveSummary:
    archive: object
    total: Figures
    late_fonds: int
    waiting_batches: int


def archives_summary(archives, today=None):
    """One line per archive with a plan or scanned pages, for the dashboard (no category split)."""
    today = today or timezone.localdate()
    archive_ids = [archive.pk for archive in archives]
    page_rows = (
        ScanPage.objects.filter(digital_object__archive_id__in=archive_ids)
        .order_by()
        .annotate(fonds_key=_fonds_of_page())
        .values("digital_object__archive_id", "fonds_key")
        .annotate(
            scanned=Count("id"),
            passed=Count("id", filter=Q(qc_status=QualityCheck.PASSED)),
            ocrd=Count("id", filter=OCRD),
        )
    )
    per_fonds = {}
    totals = defaultdict(lambda: Figures(planned=0))
    for row in page_rows:
        figures = Figures(scanned=row["scanned"], passed=row["passed"], ocrd=row["ocrd"])
        per_fonds[row["fonds_key"]] = figures
        totals[row["digital_object__archive_id"]].add(figures)
    late = defaultdict(int)
    for plan in DigitizationPlan.objects.filter(archive_id__in=archive_ids):
        totals[plan.archive_id].planned += plan.pages_planned
        if assess_schedule(plan, per_fonds.get(plan.fonds_id, Figures()), today).late:
            late[plan.archive_id] += 1
    waiting = dict(
        waiting_batches(DigitizationBatch.objects.filter(plan__archive_id__in=archive_ids))
        .values("plan__archive_id")
        .annotate(count=Count("id"))
        .values_list("plan__archive_id", "count")
    )
    return [
        ArchiveSummary(archive, totals[archive.pk], late[archive.pk], waiting.get(archive.pk, 0))
        for archive in archives
        if archive.pk in totals
    ]


# Batches and their quality check ----------------------------------------------------------------------


def batch_pages(batch):
    return ScanPage.objects.filter(digital_object__batch=batch)


def batch_counts(batch):
    return batch_pages(batch).aggregate(
        total=Count("id"),
        passed=Count("id", filter=Q(qc_status=QualityCheck.PASSED)),
        rejected=Count("id", filter=Q(qc_status=QualityCheck.REJECTED)),
        pending=Count("id", filter=Q(qc_status=QualityCheck.PENDING)),
    )


def counts_per_batch(batches):
    """``{batch_id: {"total", "passed", "rejected", "pending"}}`` in one query."""
    rows = (
        ScanPage.objects.filter(digital_object__batch__in=batches)
        .order_by()
        .values("digital_object__batch_id")
        .annotate(
            total=Count("id"),
            passed=Count("id", filter=Q(qc_status=QualityCheck.PASSED)),
            rejected=Count("id", filter=Q(qc_status=QualityCheck.REJECTED)),
            pending=Count("id", filter=Q(qc_status=QualityCheck.PENDING)),
        )
    )
    return {row.pop("digital_object__batch_id"): row for row in rows}


def fonds_scans(fonds):
    return DigitalObject.objects.filter(archive_id=fonds.archive_id).filter(
        Q(document__file__fonds=fonds) | Q(record_file__fonds=fonds)
    )


def unbatched_scans(plan):
    return fonds_scans(plan.fonds).filter(batch__isnull=True)


def rescan_objects(scans):
    """Scans with at least one page rejected by the quality check: they are to be scanned again."""
    return scans.annotate(
        rejected_pages=Count("pages", filter=Q(pages__qc_status=QualityCheck.REJECTED))
    ).filter(rejected_pages__gt=0)


class BatchError(ValidationError):
    pass


def create_batch(plan, name, ocr_mode, user):
    name = (name or "").strip()
    if not name:
        raise BatchError(_("Hãy đặt tên cho lô, ví dụ theo ngày giao nhận: “Lô 01 – 15/03/2026”."))
    if plan.batches.filter(name=name).exists():
        raise BatchError(
            _("Kế hoạch này đã có lô tên “%(name)s”. Hãy đặt tên khác, ví dụ thêm số thứ tự hoặc ngày.")
            % {"name": name}
        )
    batch = DigitizationBatch.objects.create(plan=plan, name=name, ocr_mode=ocr_mode, created_by=user)
    log(batch, "wagtail.create", user=user)
    return batch


def assign_scans(batch, scans, user):
    """Put unbatched scans of the plan's fonds into the batch; returns how many were assigned."""
    if batch.status == BatchStatus.ACCEPTED:
        raise BatchError(_("Lô đã nghiệm thu, không thể gán thêm bản quét. Hãy lập lô mới."))
    eligible = unbatched_scans(batch.plan).filter(pk__in=scans.values("pk"))
    with transaction.atomic():
        ids = list(eligible.values_list("pk", flat=True))
        assigned = DigitalObject.objects.filter(pk__in=ids, batch__isnull=True).update(batch=batch)
        if assigned:
            log(batch, "collections_app.digitization.assign", user=user, data={"count": assigned})
    return assigned


def submit_batch(batch, user):
    """Send a batch (new, or returned and re-scanned) to the quality check.

    A returned batch's rejected pages go back to "not checked": the re-scanned pages are checked
    again; the pages that had passed keep their decision.
    """
    with transaction.atomic():
        batch = DigitizationBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status not in (BatchStatus.SCANNING, BatchStatus.RETURNED):
            raise BatchError(
                _("Lô “%(batch)s” đang ở trạng thái “%(status)s”, không gửi kiểm tra được.")
                % {"batch": batch, "status": batch.get_status_display()}
            )
        if not batch_pages(batch).exists():
            raise BatchError(
                _("Lô “%(batch)s” chưa có trang quét nào. Hãy gán bản quét vào lô trước khi gửi kiểm tra.")
                % {"batch": batch}
            )
        reopened = (
            batch_pages(batch)
            .filter(qc_status=QualityCheck.REJECTED)
            .update(qc_status=QualityCheck.PENDING, qc_by=None, qc_at=None)
        )
        batch.status = BatchStatus.IN_QC
        batch.submitted_at = timezone.now()
        batch.save(update_fields=["status", "submitted_at"])
        log(batch, "collections_app.digitization.submit", user=user, data={"reopened_pages": reopened})
    return batch


QC_OPEN_STATUSES = (BatchStatus.IN_QC, BatchStatus.RETURNED)


def _lock_batch_for_qc(batch):
    batch = DigitizationBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in QC_OPEN_STATUSES:
        if batch.status == BatchStatus.SCANNING:
            message = _("Lô “%(batch)s” chưa được gửi kiểm tra. Hãy bấm “Gửi kiểm tra chất lượng” trước.")
        else:
            message = _("Lô “%(batch)s” đã nghiệm thu; không thay đổi kết quả kiểm tra được nữa.")
        raise BatchError(message % {"batch": batch})
    return batch


def _settle_batch(batch, user):
    """Returned while any page is rejected, accepted once every page passed, otherwise in QC."""
    counts = batch_counts(batch)
    if counts["rejected"]:
        status = BatchStatus.RETURNED
    elif counts["total"] and counts["passed"] == counts["total"]:
        status = BatchStatus.ACCEPTED
    else:
        status = BatchStatus.IN_QC
    if status != batch.status:
        batch.status = status
        batch.checked_at = timezone.now() if status == BatchStatus.ACCEPTED else None
        batch.save(update_fields=["status", "checked_at"])
        if status == BatchStatus.ACCEPTED:
            log(batch, "collections_app.digitization.accept", user=user, data={"pages": counts["total"]})
        elif status == BatchStatus.RETURNED:
            data = {"rejected": counts["rejected"]}
            log(batch, "collections_app.digitization.return", user=user, data=data)
    return batch


def decide_page(batch, page, passed, note, user):
    """Record one page's quality check; a rejection needs a note saying what to re-scan."""
    note = (note or "").strip()
    if not passed and not note:
        raise BatchError(
            _(
                "Hãy ghi lý do không đạt (ví dụ: mờ, lệch, thiếu mép, sai thứ tự) để bên quét biết "
                "cần quét lại gì."
            )
        )
    if len(note) > ScanPage._meta.get_field("qc_note").max_length:
        raise BatchError(_("Nhận xét dài quá 500 ký tự. Hãy viết ngắn gọn hơn."))
    with transaction.atomic():
        batch = _lock_batch_for_qc(batch)
        page = batch_pages(batch).select_related("digital_object").get(pk=page.pk)
        page.qc_status = QualityCheck.PASSED if passed else QualityCheck.REJECTED
        page.qc_note = note
        page.qc_by = user
        page.qc_at = timezone.now()
        page.save(update_fields=["qc_status", "qc_note", "qc_by", "qc_at"])
        log(
            batch,
            "collections_app.digitization.qc_pass" if passed else "collections_app.digitization.qc_reject",
            user=user,
            data={
                "page": page.pk,
                "number": page.number,
                "scan": page.digital_object.original_name,
                "note": note,
            },
        )
        return _settle_batch(batch, user), page


def pass_remaining(batch, user):
    """Pass every page not checked yet; returns the batch and how many pages passed."""
    with transaction.atomic():
        batch = _lock_batch_for_qc(batch)
        now = timezone.now()
        passed = (
            batch_pages(batch)
            .filter(qc_status=QualityCheck.PENDING)
            .update(qc_status=QualityCheck.PASSED, qc_note="", qc_by=user, qc_at=now)
        )
        if passed:
            log(batch, "collections_app.digitization.qc_pass_remaining", user=user, data={"count": passed})
        return _settle_batch(batch, user), passed
