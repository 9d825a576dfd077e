"""Provincial merger: moving the holdings of former archives into the merged one without loss.

A merger is a ``MergeRun`` with one ``MergeStep`` per fonds:

1. ``plan_merge`` (the dry run) takes stock of each former archive (counts per level, stored files
   and bytes, land and investment records, drafts, conditional records whose opening the
   destination's rules would change), finds every code that would clash in the
   destination and proposes new fonds codes, and re-hashes every stored file (SHA-256, streamed),
   keeping the sums in ``MergeRun.report`` as the "before" of the final check. The admin's dry run
   is the ``plan_run`` task: re-hashing a province's scans takes longer than a request may.
2. ``freeze_run`` ring-fences the former archives: their holdings are read, not edited.
3. ``execute`` moves the fonds one by one, each fonds in one transaction that also marks its step
   done, so an interrupted run (even a killed process) resumes at the first pending step with no
   record lost or written twice. Every former reference code becomes a ``ReferenceAlias``
   (``AliasReason.MERGED``); the scans stay in storage where they are.
4. ``verify`` compares the counts per level and the SHA-256 of every stored file with the plan and
   refuses to finish (``FAILED``, naming what differs) while anything differs.
"""

import hashlib
import itertools
import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat, LPad, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from ..models import (
    AccessGrant,
    AliasReason,
    Archive,
    DigitalObject,
    DigitizationPlan,
    Document,
    EventType,
    Fonds,
    MergeRun,
    MergeStatus,
    MergeStep,
    MergeStepStatus,
    PreservationEvent,
    RecordFile,
    ReferenceAlias,
    Series,
)
from ..opening import active_rules, opens_on
from ..preservation import build_event
from ..signals import records_changed
from ..vocabularies import AccessRegime, PublicationStatus
from . import freeze

LEVELS = ("fonds", "series", "files", "documents", "scans")
LAND, INVESTMENT = "dat-dai", "du-an-dau-tu"
FONDS_CODE_MAX = 13
CHUNK = 2000
HASH_BLOCK = 1024 * 1024
# Opening changes listed one by one in the report; the rest are counted.
OPENING_CHANGES_LISTED = 200
logger = logging.getLogger(__name__)
# Runs that are under way: a source may be in at most one, and ``--resume`` continues them.
UNFINISHED = (
    MergeStatus.FROZEN,
    MergeStatus.RUNNING,
    MergeStatus.INTERRUPTED,
    MergeStatus.VERIFYING,
    MergeStatus.FAILED,
)


class MergeError(Exception):
    """A merger refused or stopped, with a message for the user saying what to do."""


# Stored files ------------------------------------------------------------------------------------


def hash_stored(name):
    """``(sha256, size)`` of a stored file, read in blocks; ``(None, None)`` when it is missing."""
    if not name:
        return None, None
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        return None, None
    digest, size = hashlib.sha256(), 0
    with handle:
        for block in iter(lambda: handle.read(HASH_BLOCK), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def stored_files_of(scan):
    """The files of a scan that carry a recorded checksum: the original and its PDF/A copy."""
    files = [("original", scan["file"], scan["sha256"])]
    if scan["archival_copy"]:
        files.append(("pdfa", scan["archival_copy"], scan["archival_sha256"]))
    return files


SCAN_FIELDS = ("pk", "file", "sha256", "archival_copy", "archival_sha256", "original_name")


# Which rows belong to a fonds --------------------------------------------------------------------


def scans_of_fonds(fonds_id):
    return DigitalObject.objects.filter(
        Q(record_file__fonds_id=fonds_id) | Q(document__file__fonds_id=fonds_id)
    )


def fonds_counts(fonds_id):
    """Rows under one fonds, whatever archive they are in (deleted ones included: nothing is left)."""
    return {
        "series": Series.objects.filter(fonds_id=fonds_id).count(),
        "files": RecordFile.objects.filter(fonds_id=fonds_id).count(),
        "documents": Document.objects.filter(file__fonds_id=fonds_id).count(),
        "scans": scans_of_fonds(fonds_id).count(),
    }


def archive_counts(archive):
    return {
        "fonds": Fonds.objects.filter(archive=archive).count(),
        "series": Series.objects.filter(archive=archive).count(),
        "files": RecordFile.objects.filter(archive=archive).count(),
        "documents": Document.objects.filter(archive=archive).count(),
        "scans": DigitalObject.objects.filter(archive=archive).count(),
    }


def per_level(function):
    return {
        "fonds": function(Fonds),
        "series": function(Series),
        "files": function(RecordFile),
        "documents": function(Document),
    }


# The plan (dry run) ------------------------------------------------------------------------------


@dataclass
class CodeBook:
    """Codes already used in the destination, and those given to moved records so far."""

    into: Archive
    fonds_codes: set
    new_file_codes: set
    # New reference code → (old code, the conflicts list of its source), checked at the end.
    new_references: dict

    @classmethod
    def of(cls, into):
        return cls(into, set(Fonds.objects.filter(archive=into).values_list("code", flat=True)), set(), {})


def in_chunk_size():
    """Values per ``__in`` look-up: large on PostgreSQL (fewer round trips), within SQLite's limit."""
    return min(5000, (connection.features.max_query_params or 5000) - 9)


def reference_taken(codes):
    """The codes among ``codes`` (a few) that some record holds now, as its code or a former one."""
    codes = list(codes)
    taken = set()
    for model in (Fonds, Series, RecordFile, Document):
        taken.update(model.objects.filter(reference_code__in=codes).values_list("reference_code", flat=True))
    taken.update(ReferenceAlias.objects.filter(code__in=codes).values_list("code", flat=True))
    return taken


def codes_under_prefix(prefix):
    """Every current and former code starting with ``prefix``, streamed (an index range scan)."""
    for model in (Fonds, Series, RecordFile, Document):
        rows = model.objects.filter(reference_code__startswith=prefix).values_list(
            "reference_code", flat=True
        )
        yield from rows.iterator(chunk_size=10_000)
    rows = ReferenceAlias.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    yield from rows.iterator(chunk_size=10_000)


def propose_fonds_code(code, source, book):
    """``code`` if it is free in the destination, else a free one: ``P01-LT08``, ``P01-2``, ..."""
    suffixes = itertools.chain([source.code], (str(number) for number in range(2, 10_000)))
    candidate = code
    while candidate in book.fonds_codes or reference_taken([f"{book.into.code}.{candidate}"]):
        suffix = next(suffixes)
        candidate = f"{code[: FONDS_CODE_MAX - len(suffix) - 1]}-{suffix}"
    return candidate


def plan_fonds(fonds, source, book, conflicts):
    """The new code of one fonds and the conflicts its codes meet in the destination."""
    new_code = propose_fonds_code(fonds.code, source, book)
    book.fonds_codes.add(new_code)
    if new_code != fonds.code:
        conflicts.append(
            {
                "kind": "fonds_code",
                "code": fonds.reference_code,
                "proposed": new_code,
                "blocking": False,
                "message": _(
                    "Mã phông “%(code)s” đã có ở %(into)s: phông sẽ mang mã mới “%(new)s”, "
                    "mã cũ %(old)s vẫn dùng được."
                )
                % {"code": fonds.code, "into": book.into.code, "new": new_code, "old": fonds.reference_code},
            }
        )
    fonds_reference = f"{book.into.code}.{new_code}"
    new_prefix = fonds.creator_code or new_code
    new_codes = {fonds_reference: ("fonds", fonds.reference_code)}
    for number, old in Series.objects.filter(fonds=fonds).values_list("number", "reference_code"):
        new_codes[f"{fonds_reference}.ML{number}"] = ("series", old)
    file_codes = {}
    rows = RecordFile.objects.filter(fonds=fonds).values_list(
        "pk", "creator_code", "year", "file_number", "series__number", "reference_code"
    )
    for pk, creator_code, year, file_number, series_number, old in rows.iterator(chunk_size=CHUNK):
        parts = [creator_code or new_prefix, str(year), file_number]
        if series_number is not None:
            parts.append(series_number)
        file_code = ".".join(parts)
        file_codes[pk] = file_code
        new_codes[f"{book.into.code}.{file_code}"] = ("files", old)
    check_file_codes(file_codes, fonds, book, conflicts)
    documents = Document.objects.filter(file__fonds=fonds).values_list("file_id", "ordinal", "reference_code")
    for file_id, ordinal, old in documents.iterator(chunk_size=CHUNK):
        new_codes[f"{book.into.code}.{file_codes[file_id]}.{ordinal}"] = ("documents", old)
    check_references(new_codes, book, conflicts)
    return new_code


def check_file_codes(file_codes, fonds, book, conflicts):
    """File codes are unique in an archive: a moved file's code must be free in the destination."""
    codes = list(file_codes.values())
    clashing = set()
    size = in_chunk_size()
    for start in range(0, len(codes), size):
        chunk = codes[start : start + size]
        clashing.update(
            RecordFile.objects.filter(archive=book.into, file_code__in=chunk).values_list(
                "file_code", flat=True
            )
        )
    for code in codes:
        if code in book.new_file_codes:
            clashing.add(code)
        book.new_file_codes.add(code)
    for code in sorted(clashing):
        conflicts.append(
            {
                "kind": "file_code",
                "code": code,
                "proposed": "",
                "blocking": True,
                "message": _(
                    "Mã hồ sơ “%(code)s” của phông %(fonds)s trùng với một hồ sơ ở %(into)s. Hãy sửa mã "
                    "định danh cơ quan (hoặc số hồ sơ) của một trong hai hồ sơ rồi chạy thử lại."
                )
                % {"code": code, "fonds": fonds.reference_code, "into": book.into.code},
            }
        )


def check_references(new_codes, book, conflicts):
    """New reference codes may not be given twice in the merger; those already held are found later."""
    for code, (_level, old) in new_codes.items():
        if code in book.new_references:
            conflicts.append(reference_conflict(code, old))
        else:
            book.new_references[code] = (old, conflicts)


def check_destination_codes(book):
    """New reference codes must be held by no record, current or former: one pass over the destination.

    Every new code starts with the destination's code, so only codes with that prefix can clash; they
    are streamed once, whatever the number of new codes.
    """
    for code in codes_under_prefix(f"{book.into.code}."):
        if code in book.new_references:
            old, conflicts = book.new_references[code]
            conflicts.append(reference_conflict(code, old))


def reference_conflict(code, old):
    return {
        "kind": "reference_code",
        "code": old,
        "proposed": code,
        "blocking": True,
        "message": _(
            "Mã tham chiếu mới “%(new)s” (của %(old)s) đã thuộc một bản ghi khác. Hãy đổi số hoặc "
            "ký hiệu của một trong hai bản ghi rồi chạy thử lại."
        )
        % {"new": code, "old": old},
    }


def check_scans(source, book, sha_seen, conflicts):
    """A scan is stored once per archive: the same file in two of the merged archives clashes."""
    hashes = list(DigitalObject.objects.filter(archive=source).values_list("sha256", "original_name"))
    in_destination = set()
    size = in_chunk_size()
    for start in range(0, len(hashes), size):
        chunk = [sha for sha, _name in hashes[start : start + size]]
        in_destination.update(
            DigitalObject.objects.filter(archive=book.into, sha256__in=chunk).values_list("sha256", flat=True)
        )
    for sha, name in hashes:
        if sha in in_destination or sha in sha_seen:
            conflicts.append(
                {
                    "kind": "scan",
                    "code": name,
                    "proposed": "",
                    "blocking": True,
                    "message": _(
                        "Tệp quét “%(name)s” (SHA-256 %(sha)s…) đã có trong %(into)s: một tệp chỉ được "
                        "lưu một lần trong một cơ quan lưu trữ. Hãy gỡ bản trùng rồi chạy thử lại."
                    )
                    % {"name": name, "sha": sha[:12], "into": book.into.code},
                }
            )
        sha_seen.add(sha)


def take_stock_of_files(source):
    """Re-hash every stored file of the archive: ``(checksums, problems, count, bytes)``."""
    checksums, problems, count, total = {}, [], 0, 0
    scans = DigitalObject.objects.filter(archive=source).values(*SCAN_FIELDS).order_by("pk")
    for scan in scans.iterator(chunk_size=500):
        entries = []
        for role, name, expected in stored_files_of(scan):
            actual, size = hash_stored(name)
            entries.append([role, name, actual, size])
            count += 1
            total += size or 0
            if actual is None:
                problems.append(fixity_problem(scan, name, expected, None, "missing"))
            elif expected and actual != expected.lower():
                problems.append(fixity_problem(scan, name, expected, actual, "mismatch"))
        checksums[str(scan["pk"])] = entries
    return checksums, problems, count, total


def fixity_problem(scan, name, expected, actual, problem):
    if problem == "missing":
        message = _("Tệp “%(name)s” không còn trong kho lưu trữ tệp.") % {"name": name}
    else:
        message = _("Tệp “%(name)s” có SHA-256 %(actual)s, khác với mã đã ghi %(expected)s.") % {
            "name": name,
            "actual": actual,
            "expected": expected,
        }
    return {
        "scan": scan["pk"],
        "name": name,
        "expected": expected,
        "actual": actual,
        "problem": problem,
        "message": message,
    }


def category_counts(source, slug):
    return {
        "files": RecordFile.objects.filter(archive=source, categories__slug=slug).distinct().count(),
        "documents": Document.objects.filter(archive=source, categories__slug=slug).distinct().count(),
    }


def opening_changes(source, into):
    """The conditional records of ``source`` that the rules would open on another day once they belong
    to ``into``, whose rules then replace the former archive's: ``{"earlier", "later", "listed"}``.

    "earlier" counts those that would open sooner (or at all), "later" those that would open later (or
    never by themselves); "listed" names the first of them with both dates (ISO, or None: never).
    """
    before_rules, after_rules = active_rules(source.pk), active_rules(into.pk)
    changes = {"earlier": 0, "later": 0, "listed": []}
    if {rule.pk for rule in before_rules} == {rule.pk for rule in after_rules}:
        return changes
    for model in (RecordFile, Document):
        records = model.objects.filter(
            archive=source, access_regime=AccessRegime.CONDITIONAL, deleted_at__isnull=True
        ).prefetch_related("categories")
        if model is Document:
            records = records.select_related("file")
        for record in records.order_by("pk").iterator(chunk_size=CHUNK):
            before = opens_on(record, before_rules)
            record.archive_id = into.pk
            after = opens_on(record, after_rules)
            if before == after:
                continue
            sooner = after is not None and (before is None or after < before)
            changes["earlier" if sooner else "later"] += 1
            if len(changes["listed"]) < OPENING_CHANGES_LISTED:
                changes["listed"].append(
                    {
                        "code": record.reference_code,
                        "before": before.isoformat() if before else None,
                        "after": after.isoformat() if after else None,
                        "earlier": sooner,
                    }
                )
    return changes


def plan_source(source, book, sha_seen, into):
    conflicts = []
    fonds_rows = []
    for fonds in Fonds.objects.filter(archive=source).order_by("code", "pk"):
        new_code = plan_fonds(fonds, source, book, conflicts)
        fonds_rows.append(
            {
                "id": fonds.pk,
                "code": fonds.code,
                "reference_code": fonds.reference_code,
                "new_code": new_code,
                "name": fonds.name,
                "counts": fonds_counts(fonds.pk),
            }
        )
    check_scans(source, book, sha_seen, conflicts)
    checksums, problems, file_count, file_bytes = take_stock_of_files(source)
    return {
        "id": source.pk,
        "code": source.code,
        "name": source.name,
        "counts": archive_counts(source),
        "deleted": per_level(
            lambda model: model.objects.filter(archive=source, deleted_at__isnull=False).count()
        ),
        "drafts": per_level(
            lambda model: model.objects.filter(
                archive=source, publication_status=PublicationStatus.DRAFT, deleted_at__isnull=True
            ).count()
        ),
        "stored_files": file_count,
        "stored_bytes": file_bytes,
        "land": category_counts(source, LAND),
        "investment": category_counts(source, INVESTMENT),
        "opening_changes": opening_changes(source, into),
        "fonds": fonds_rows,
        "conflicts": conflicts,
        "fixity_problems": problems,
        "checksums": checksums,
    }


def build_report(sources, into):
    book = CodeBook.of(into)
    sha_seen = set()
    report_sources = [plan_source(source, book, sha_seen, into) for source in sources]
    check_destination_codes(book)
    for source in report_sources:
        source["conflicts"].sort(key=lambda conflict: (conflict["blocking"], conflict["code"]))
    totals = {level: sum(source["counts"][level] for source in report_sources) for level in LEVELS}
    totals["stored_files"] = sum(source["stored_files"] for source in report_sources)
    totals["stored_bytes"] = sum(source["stored_bytes"] for source in report_sources)
    return {
        "planned_at": timezone.now().isoformat(),
        "into": {"id": into.pk, "code": into.code, "name": into.name},
        "sources": report_sources,
        "totals": totals,
        "blocking": sum(
            1 for source in report_sources for conflict in source["conflicts"] if conflict["blocking"]
        ),
        "fixity_problems": sum(len(source["fixity_problems"]) for source in report_sources),
    }


def check_sources(sources, into, exclude_run=None):
    if not sources:
        raise MergeError(_("Hãy chọn ít nhất một cơ quan lưu trữ giao (--from)."))
    if any(source.pk == into.pk for source in sources):
        raise MergeError(
            _("“%(archive)s” vừa là bên giao vừa là bên nhận. Bỏ nó khỏi danh sách bên giao.")
            % {"archive": into.code}
        )
    busy = MergeRun.objects.filter(status__in=UNFINISHED).filter(
        Q(sources__in=sources) | Q(into__in=sources) | Q(sources=into)
    )
    if exclude_run is not None:
        busy = busy.exclude(pk=exclude_run.pk)
    other = busy.distinct().first()
    if other is not None:
        raise MergeError(
            _(
                "Đợt hợp nhất số %(run)s vào %(into)s chưa kết thúc và có cùng cơ quan lưu trữ. Hãy chạy "
                "tiếp (--resume) hoặc hoàn thành đợt đó trước."
            )
            % {"run": other.pk, "into": other.into.code}
        )


def plan_merge(sources, into, user=None):
    """The dry run: a ``PLANNED`` run with its report and one pending step per fonds."""
    sources = list(dict.fromkeys(sources))
    return take_stock(start_plan(sources, into, user), sources)


def start_plan(sources, into, user=None):
    """A ``PLANNING`` run of ``sources`` into ``into``, once they are checked; ``take_stock`` plans it."""
    check_sources(sources, into)
    with transaction.atomic():
        run = MergeRun.objects.create(into=into, status=MergeStatus.PLANNING, created_by=user)
        run.sources.set(sources)
    return run


def take_stock(run, sources=None):
    """The report and the steps of a ``PLANNING`` run, which becomes ``PLANNED``.

    Also takes stock again for a freeze (the pending steps are replaced). A run cancelled while its
    stock was being taken stays cancelled.
    """
    sources = sources or list(run.sources.order_by("code"))
    report = build_report(sources, run.into)
    with transaction.atomic():
        run = MergeRun.objects.select_for_update().get(pk=run.pk)
        if run.status != MergeStatus.PLANNING:
            return run
        run.steps.filter(status=MergeStepStatus.PENDING).delete()
        run.report, run.status = report, MergeStatus.PLANNED
        run.save(update_fields=["report", "status"])
        create_steps(run)
    return run


@task()
def plan_run(run_id, frozen_by_freeze=None):
    """The admin's dry run, or the stock a freeze takes again (``frozen_by_freeze``: the archives that
    freeze froze, unfrozen unless it completes). A failure is kept in the run (``PLAN_FAILED``)."""
    run = MergeRun.objects.filter(pk=run_id, status=MergeStatus.PLANNING).first()
    if run is None:
        return None
    try:
        run = take_stock(run)
    except Exception as error:
        unfreeze_ids(frozen_by_freeze)
        if isinstance(error, MergeError):
            message = str(error)
        else:
            logger.exception("Merge run %s: taking stock failed", run.pk)
            message = _(
                "Chạy thử bị lỗi (%(error)s). Hãy chạy thử lại; nếu lỗi lặp lại, báo quản trị hệ thống."
            ) % {"error": error}
        MergeRun.objects.filter(pk=run.pk).update(status=MergeStatus.PLAN_FAILED, message=message)
        if not isinstance(error, MergeError):
            raise
        return MergeStatus.PLAN_FAILED
    if frozen_by_freeze is not None and run.status == MergeStatus.PLANNED:
        run = settle_freeze(run, frozen_by_freeze)
    return run.status


def create_steps(run):
    sources = {source["id"]: source for source in run.report["sources"]}
    MergeStep.objects.bulk_create(
        MergeStep(
            run=run,
            source_id=source_id,
            fonds_id=row["id"],
            old_reference_code=row["reference_code"],
            new_code=row["new_code"],
        )
        for source_id, source in sources.items()
        for row in source["fonds"]
    )


def blocking_conflicts(run):
    return [
        conflict
        for source in run.report.get("sources", [])
        for conflict in source["conflicts"]
        if conflict["blocking"]
    ]


def blocked_message(run):
    """Why ``run`` cannot go on (the conflicts that block it), or an empty string."""
    blocking = blocking_conflicts(run)
    if not blocking:
        return ""
    return _("Chưa thể hợp nhất: %(count)s xung đột cần xử lý trước. %(first)s") % {
        "count": len(blocking),
        "first": blocking[0]["message"],
    }


def refuse_if_blocked(run):
    if message := blocked_message(run):
        raise MergeError(message)


# Freezing --------------------------------------------------------------------------------------


def default_reason(run):
    return _("Hợp nhất vào %(into)s (đợt số %(run)s)") % {"into": run.into.name, "run": run.pk}


def freeze_run(run, *, until=None, reason="", in_background=False):
    """Ring-fence the former archives; if their holdings changed since the dry run, take stock again.

    With ``in_background`` the stock is taken again by the ``plan_run`` task (the run is ``PLANNING``
    until then). Returns whether the holdings had changed.
    """
    if run.status not in (MergeStatus.PLANNED, MergeStatus.FROZEN):
        raise MergeError(
            _("Đợt hợp nhất số %(run)s đang ở trạng thái “%(status)s”, không khoanh giữ lại được.")
            % {"run": run.pk, "status": run.get_status_display()}
        )
    check_sources(list(run.sources.all()), run.into, exclude_run=run)
    refuse_if_blocked(run)
    sources = list(run.sources.order_by("code"))
    newly_frozen = [source.pk for source in sources if source.frozen_at is None]
    freeze.freeze(sources, until=until, reason=reason or default_reason(run))
    planned = {row["id"]: row["counts"] for row in run.report["sources"]}
    if all(archive_counts(source) == planned.get(source.pk) for source in sources):
        MergeRun.objects.filter(pk=run.pk).update(status=MergeStatus.FROZEN)
        run.refresh_from_db()
        return False
    MergeRun.objects.filter(pk=run.pk).update(status=MergeStatus.PLANNING, message="")
    if in_background:
        plan_run.enqueue(run.pk, newly_frozen)
        run.refresh_from_db()
        return True
    try:
        settle_freeze(take_stock(run), newly_frozen)
    except BaseException:
        unfreeze_ids(newly_frozen)
        MergeRun.objects.filter(pk=run.pk, status=MergeStatus.PLANNING).update(status=MergeStatus.PLANNED)
        raise
    run.refresh_from_db()
    refuse_if_blocked(run)
    return True


def settle_freeze(run, frozen_by_freeze):
    """After a freeze took stock again: ``FROZEN``, or, with conflicts that block, ``PLANNED`` with the
    archives that freeze froze unfrozen, so that their staff can settle the conflicts."""
    message = blocked_message(run)
    if not message:
        MergeRun.objects.filter(pk=run.pk).update(status=MergeStatus.FROZEN)
    else:
        unfreeze_ids(frozen_by_freeze)
        MergeRun.objects.filter(pk=run.pk).update(message=message)
    run.refresh_from_db()
    return run


def unfreeze_ids(archive_ids):
    if archive_ids:
        freeze.unfreeze(list(Archive.objects.filter(pk__in=archive_ids)))


def release_sources(run):
    """Unfreeze the former archives of a cancelled run, those that no other unfinished run holds."""
    held = MergeRun.objects.filter(status__in=UNFINISHED).exclude(pk=run.pk).values("sources")
    freeze.unfreeze(list(run.sources.filter(frozen_at__isnull=False).exclude(pk__in=held)))


# Moving ------------------------------------------------------------------------------------------


def execute(run, *, user=None, on_step=None):
    """Move every pending fonds, then verify; resumes where an earlier run stopped."""
    if run.status == MergeStatus.DONE:
        return run
    if run.status == MergeStatus.PLANNED:
        freeze_run(run)
    if run.status == MergeStatus.CANCELLED:
        raise MergeError(_("Đợt hợp nhất số %(run)s đã bị hủy.") % {"run": run.pk})
    refuse_if_blocked(run)
    MergeRun.objects.filter(pk=run.pk).update(
        status=MergeStatus.RUNNING, started_at=run.started_at or timezone.now(), message=""
    )
    run.refresh_from_db()
    for step in run.steps.filter(status=MergeStepStatus.PENDING).order_by("pk"):
        try:
            move_fonds(run, step)
        except (MergeError, IntegrityError) as error:
            message = _(
                "Chuyển phông %(fonds)s không thành công, chưa có gì của phông này được ghi: %(error)s"
            ) % {
                "fonds": step.old_reference_code,
                "error": error,
            }
            MergeRun.objects.filter(pk=run.pk).update(status=MergeStatus.INTERRUPTED, message=message)
            run.refresh_from_db()
            raise MergeError(message) from error
        if on_step is not None:
            on_step(step)
    return finish(run)


def move_fonds(run, step):
    """Move one fonds and everything under it into the destination, in one transaction."""
    into = run.into
    with transaction.atomic():
        step = MergeStep.objects.select_for_update().get(pk=step.pk)
        if step.status == MergeStepStatus.DONE:
            return step
        fonds = Fonds.objects.select_for_update().get(pk=step.fonds_id)
        if fonds.archive_id != step.source_id:
            raise MergeError(
                _("Phông %(fonds)s không còn ở cơ quan lưu trữ giao.") % {"fonds": step.old_reference_code}
            )
        if Fonds.objects.filter(archive=into, code=step.new_code).exists():
            raise MergeError(
                _("Mã phông “%(code)s” vừa được dùng ở %(into)s. Hãy chạy thử lại để có mã mới.")
                % {"code": step.new_code, "into": into.code}
            )
        changes = record_merge_aliases(fonds, into)
        recode_fonds(fonds, step.new_code, into)
        scans = list(scans_of_fonds(fonds.pk).values_list("pk", flat=True))
        DigitalObject.objects.filter(pk__in=scans).update(archive=into)
        AccessGrant.objects.filter(
            Q(record_file__fonds_id=fonds.pk) | Q(document__file__fonds_id=fonds.pk)
        ).update(archive=into)
        DigitizationPlan.objects.filter(fonds_id=fonds.pk).update(archive=into)
        step.status = MergeStepStatus.DONE
        step.counts = {**fonds_counts(fonds.pk), "fonds": 1}
        step.finished_at = timezone.now()
        step.save(update_fields=["status", "counts", "finished_at"])
        records_changed.send(MergeRun, changes=changes)
    return step


def record_merge_aliases(fonds, into):
    """Keep every current code under the fonds answering, as a merged alias; ``{model: [pk]}``.

    The aliases are written with one ``INSERT … SELECT`` per level: a fonds may hold hundreds of
    thousands of documents, and their codes need not pass through Python.
    """
    querysets = {
        Fonds: Fonds.objects.filter(pk=fonds.pk),
        Series: Series.objects.filter(fonds_id=fonds.pk),
        RecordFile: RecordFile.objects.filter(fonds_id=fonds.pk),
        Document: Document.objects.filter(file__fonds_id=fonds.pk),
    }
    changes = {}
    for model, queryset in querysets.items():
        content_type = ContentType.objects.get_for_model(model)
        # Aliases the records already had now belong to the destination too.
        ReferenceAlias.objects.filter(content_type=content_type, object_id__in=queryset.values("pk")).update(
            archive=into
        )
        insert_aliases(queryset, content_type, into)
        changes[model] = list(queryset.values_list("pk", flat=True))
    return changes


def insert_aliases(queryset, content_type, into):
    rows = queryset.annotate(alias_code=F("reference_code"), alias_object=F("pk")).values(
        "alias_code", "alias_object"
    )
    select_sql, select_params = rows.query.sql_with_params()
    table = ReferenceAlias._meta.db_table
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(ReferenceAlias._meta.get_field(name).column)
        for name in ("code", "content_type", "object_id", "archive", "reason", "created_at")
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(table)} ({columns}) "  # noqa: S608 - names from the models, values bound
            f"SELECT merged.alias_code, %s, merged.alias_object, %s, %s, %s FROM ({select_sql}) merged",
            [content_type.pk, into.pk, AliasReason.MERGED.value, now, *select_params],
        )


def recode_fonds(fonds, new_code, into):
    """Give the fonds and its tree the destination archive and codes, as ``save()`` would compute them."""
    prefix = f"{into.code}."
    fonds_reference = f"{prefix}{new_code}"
    old_file_prefix, new_file_prefix = fonds.file_code_prefix, fonds.creator_code or new_code
    Fonds.objects.filter(pk=fonds.pk).update(archive=into, code=new_code, reference_code=fonds_reference)
    Series.objects.filter(fonds_id=fonds.pk).update(
        archive=into,
        reference_code=Concat(Value(f"{fonds_reference}.ML"), F("number"), output_field=CharField()),
    )
    files = RecordFile.objects.filter(fonds_id=fonds.pk)
    if new_file_prefix != old_file_prefix:
        renamed = Concat(
            Value(new_file_prefix), Substr("file_code", len(old_file_prefix) + 1), output_field=CharField()
        )
        files.filter(creator_code="").update(
            archive=into,
            file_code=renamed,
            reference_code=Concat(Value(prefix), renamed, output_field=CharField()),
        )
    files.exclude(archive=into).update(
        archive=into, reference_code=Concat(Value(prefix), F("file_code"), output_field=CharField())
    )
    documents = Document.objects.filter(file_id__in=RecordFile.objects.filter(fonds_id=fonds.pk).values("pk"))
    if new_file_prefix == old_file_prefix:
        documents.update(
            archive=into, reference_code=Concat(Value(prefix), F("doc_id"), output_field=CharField())
        )
        return
    # The files' codes changed with the fonds code: each document takes its file's new code.
    file_code = Subquery(RecordFile.objects.filter(pk=OuterRef("file_id")).values("file_code")[:1])
    ordinal = Cast("ordinal", CharField())
    documents.update(
        archive=into,
        doc_id=Concat(file_code, Value("."), ordinal, output_field=CharField()),
        doc_code=Concat(file_code, Value("."), LPad(ordinal, 7, Value("0")), output_field=CharField()),
        reference_code=Concat(Value(prefix), file_code, Value("."), ordinal, output_field=CharField()),
    )


# Verifying and finishing -------------------------------------------------------------------------


def verify(run):
    """What differs from the plan: counts per level and the SHA-256 of every stored file."""
    problems = []
    sources = run.report.get("sources", [])
    for source in sources:
        for row in source["fonds"]:
            problems.extend(check_fonds(run, row))
        left = archive_counts(Archive(pk=source["id"]))
        for level, count in left.items():
            if count:
                problems.append(
                    _("%(archive)s vẫn còn %(count)s bản ghi cấp “%(level)s” chưa được chuyển.")
                    % {"archive": source["code"], "count": count, "level": level_label(level)}
                )
        problems.extend(check_checksums(source))
    expected_aliases = sum(
        source["counts"]["fonds"]
        + source["counts"]["series"]
        + source["counts"]["files"]
        + source["counts"]["documents"]
        for source in sources
    )
    from_sources = Q()
    for source in sources:
        from_sources |= Q(code__startswith=f"{source['code']}.")
    made = ReferenceAlias.objects.filter(from_sources, reason=AliasReason.MERGED, archive=run.into).count()
    if sources and made != expected_aliases:
        problems.append(
            _("Số mã cũ được giữ (%(made)s) khác số bản ghi đã chuyển (%(expected)s).")
            % {"made": made, "expected": expected_aliases}
        )
    return problems


def check_fonds(run, row):
    fonds = Fonds.objects.filter(pk=row["id"]).values("archive_id", "code").first()
    if fonds is None:
        return [_("Không còn thấy phông %(fonds)s.") % {"fonds": row["reference_code"]}]
    if fonds["archive_id"] != run.into_id:
        return [_("Phông %(fonds)s chưa được chuyển.") % {"fonds": row["reference_code"]}]
    problems = []
    now = fonds_counts(row["id"])
    for level, before in row["counts"].items():
        if now[level] != before:
            problems.append(
                _("Phông %(fonds)s: %(level)s trước khi chuyển %(before)s, sau khi chuyển %(after)s.")
                % {
                    "fonds": row["reference_code"],
                    "level": level_label(level),
                    "before": before,
                    "after": now[level],
                }
            )
    outside = (
        Series.objects.filter(fonds_id=row["id"]).exclude(archive=run.into).count()
        + RecordFile.objects.filter(fonds_id=row["id"]).exclude(archive=run.into).count()
        + Document.objects.filter(file__fonds_id=row["id"]).exclude(archive=run.into).count()
        + scans_of_fonds(row["id"]).exclude(archive=run.into).count()
    )
    if outside:
        problems.append(
            _("Phông %(fonds)s: %(count)s bản ghi chưa mang cơ quan lưu trữ mới.")
            % {"fonds": row["reference_code"], "count": outside}
        )
    return problems


def check_checksums(source):
    problems = []
    for scan_id, entries in source["checksums"].items():
        scan = DigitalObject.objects.filter(pk=int(scan_id)).values(*SCAN_FIELDS).first()
        if scan is None:
            problems.append(_("Bản số hóa số %(id)s không còn trong cơ sở dữ liệu.") % {"id": scan_id})
            continue
        now = {role: name for role, name, _sha in stored_files_of(scan)}
        for role, name, before, _size in entries:
            if now.get(role) != name:
                problems.append(
                    _("Tệp “%(name)s” không còn được bản số hóa số %(id)s trỏ tới.")
                    % {"name": name, "id": scan_id}
                )
                continue
            after, _after_size = hash_stored(name)
            if after != before:
                problems.append(
                    _("Tệp “%(name)s”: SHA-256 trước khi chuyển %(before)s, sau khi chuyển %(after)s.")
                    % {"name": name, "before": before or _("(thiếu tệp)"), "after": after or _("(thiếu tệp)")}
                )
    return problems


def level_label(level):
    return {
        "fonds": _("phông"),
        "series": _("mục lục"),
        "files": _("hồ sơ"),
        "documents": _("tài liệu"),
        "scans": _("bản số hóa"),
    }.get(level, level)


def finish(run):
    """Verify; on success unfreeze the former archives and record a transfer event per moved scan."""
    MergeRun.objects.filter(pk=run.pk).update(status=MergeStatus.VERIFYING)
    problems = verify(run)
    verification = {
        "checked_at": timezone.now().isoformat(),
        "problems": problems,
        "files_checked": sum(
            len(entries)
            for source in run.report.get("sources", [])
            for entries in source["checksums"].values()
        ),
        "counts": {level: sum(step.counts.get(level, 0) for step in run.steps.all()) for level in LEVELS},
    }
    if problems:
        message = _(
            "Đối chiếu sau khi chuyển phát hiện %(count)s điểm khác biệt, đợt hợp nhất chưa được coi "
            "là hoàn thành: %(first)s Hãy khôi phục tệp hoặc bản ghi từ bản sao bảo hiểm rồi "
            "chạy tiếp (--resume)."
        ) % {"count": len(problems), "first": problems[0]}
        MergeRun.objects.filter(pk=run.pk).update(
            status=MergeStatus.FAILED, verification=verification, message=message
        )
        run.refresh_from_db()
        return run
    with transaction.atomic():
        record_transfer_events(run)
        sources = list(run.sources.all())
        freeze.unfreeze(sources)
        for source in sources:
            if not any(archive_counts(source).values()):
                Archive.objects.filter(pk=source.pk).update(is_active=False)
        MergeRun.objects.filter(pk=run.pk).update(
            status=MergeStatus.DONE, verification=verification, message="", finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def record_transfer_events(run):
    scan_ids = [int(scan_id) for source in run.report.get("sources", []) for scan_id in source["checksums"]]
    codes = {source["id"]: source["code"] for source in run.report.get("sources", [])}
    for start in range(0, len(scan_ids), CHUNK):
        scans = DigitalObject.objects.filter(pk__in=scan_ids[start : start + CHUNK])
        PreservationEvent.objects.bulk_create(
            build_event(
                EventType.TRANSFER,
                archive=run.into,
                digital_object=scan,
                detail=_("Chuyển vào %(into)s trong đợt hợp nhất số %(run)s (từ %(sources)s).")
                % {"into": run.into.code, "run": run.pk, "sources": ", ".join(codes.values())},
                outcome_detail=_("Số lượng và SHA-256 trước và sau khi chuyển trùng khớp."),
                agent=run.created_by,
            )
            for scan in scans
        )


# Finding runs ------------------------------------------------------------------------------------


def resumable_run(into):
    return MergeRun.objects.filter(into=into, status__in=UNFINISHED).order_by("-created_at", "-pk").first()


def progress(run):
    """``(done, total)`` steps."""
    counts = run.steps.aggregate(total=Count("pk"), done=Count("pk", filter=Q(status=MergeStepStatus.DONE)))
    return counts["done"], counts["total"]


@task()
def run_merge(run_id):
    """The admin's run: move, verify; the outcome is kept in the run (status, message, verification)."""
    run = MergeRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    try:
        run = execute(run)
    except MergeError:
        run.refresh_from_db()
    return run.status
