"""Running an import job: validate the whole file, then write it batch by batch, resumably.

1. Validation streams the file once. Converted records go to a temporary spool (pickled batches)
   while no error has been found; the report collects every problem. With any error, or in a dry
   run, nothing is written.
2. Writing reads the spool batch by batch. Each batch is one transaction that also moves the job's
   checkpoint (``rows_done``), so an interruption (an exception, ``kill -9``, a power cut) leaves
   only whole batches. The job row is locked while a batch is written and the checkpoint must be
   where this run left it: two runs of the same job can never both write a batch.
3. ``--resume`` / the "Tiếp tục" button find the interrupted job of the same archive and the same
   file (SHA-256), validate again and write only the rows after the checkpoint.
"""

import contextlib
import dataclasses
import hashlib
import logging
import operator
import pickle
import shutil
import tempfile
import threading
import time
from pathlib import Path
from queue import Queue

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ...audit import log_import
from ...bulk import refresh_planner_statistics
from ...models import ImportJob, ImportStatus
from .report import Report
from .rows import Record
from .sources import SourceError, open_source
from .validation import Validator
from .writer import Writer

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 2000
PROGRESS_SECONDS = 0.5
# A job cut off (kill -9, power) stays "validating" or "importing": those resume too.
RESUMABLE = (ImportStatus.INTERRUPTED, ImportStatus.IMPORTING, ImportStatus.VALIDATING)
FINISHED = (ImportStatus.INVALID, ImportStatus.VALID, ImportStatus.DONE, ImportStatus.FAILED)


class CheckpointMoved(Exception):
    """Another run wrote this job's next batch: this run stops without writing anything more."""


def sha256_of(handle):
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def find_resumable(archive, sha256):
    """The latest interrupted (not dry-run) import of this file into this archive, or None."""
    return (
        ImportJob.objects.filter(archive=archive, sha256=sha256, dry_run=False, status__in=RESUMABLE)
        .order_by("-created_at", "-id")
        .first()
    )


def can_resume(job):
    return not job.dry_run and job.status in RESUMABLE


def run_job(
    job, *, path=None, batch_size=DEFAULT_BATCH_SIZE, on_progress=None, writer_class=None, scan_entries=None
):
    """Validate, then (not for a dry run, not with errors) write; return the job, saved.

    ``path`` is a local copy of the file (the command line); without it the job's stored ``source``
    is read. A job interrupted before resumes after its checkpoint. ``scan_entries``, a list, receives
    ``(reference code, scan path)`` for every row with a scan path.
    """
    runner = JobRunner(
        job, batch_size=batch_size, on_progress=on_progress, writer_class=writer_class or Writer
    )
    runner.scan_entries = scan_entries
    with local_source(job, path) as local_path:
        return runner.run(local_path)


@contextlib.contextmanager
def local_source(job, path=None):
    """A path to read the job's file from: the given one, the storage's own, or a temporary copy."""
    if path is not None:
        yield Path(path)
        return
    storage, name = job.source.storage, job.source.name
    try:
        local = Path(storage.path(name))
    except NotImplementedError:
        local = None
    if local is not None and local.is_file():
        yield local
        return
    suffix = Path(name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy, storage.open(name, "rb") as stored:
        shutil.copyfileobj(stored, copy, 1 << 20)
        copy.flush()
        yield Path(copy.name)


class Spool:
    """The validated batches, pickled to a temporary file and read back one at a time.

    Records are pickled as plain tuples of their fields (about twice as fast as the objects).
    """

    state = operator.attrgetter(*(field.name for field in dataclasses.fields(Record)))

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.batches = 0

    def add(self, batch):
        for record in batch:
            record.parse_error = record.file_existing = record.doc_existing = None
        pickle.dump([self.state(record) for record in batch], self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.batches += 1

    def __iter__(self):
        self.file.seek(0)
        for _index in range(self.batches):
            yield [Record(*state) for state in pickle.load(self.file)]  # noqa: S301 - our own temporary file

    def close(self):
        self.file.close()


class JobRunner:
    def __init__(
        self, job, batch_size=DEFAULT_BATCH_SIZE, on_progress=None, writer_class=None, pipeline=True
    ):
        self.job = job
        self.batch_size = batch_size
        self.on_progress = on_progress
        self.writer_class = writer_class or Writer
        self.pipeline = pipeline
        self.report = None
        self.validator = None
        self.source = None
        self.spool = None
        self.last_progress = 0.0
        self.scan_entries = None

    def run(self, path):
        self.report = Report()
        self.spool = Spool()
        try:
            self.validate(path)
            if self.report.errors:
                return self.finish(
                    ImportStatus.INVALID,
                    _("Tệp có lỗi: chưa ghi gì. Sửa các lỗi trong báo cáo rồi nhập lại."),
                )
            if self.job.dry_run:
                return self.finish(ImportStatus.VALID, _("Tệp hợp lệ (chạy thử): chưa ghi gì."))
            self.write()
            return self.finish(ImportStatus.DONE, _("Đã nhập xong."))
        except SourceError as error:
            self.report.file_error(str(error))
            return self.finish(ImportStatus.INVALID, str(error))
        except CheckpointMoved as error:
            # The other run owns the job now: leave its row alone, tell this run's caller why it stopped.
            self.job.refresh_from_db()
            self.job.message = str(error)
            return self.job
        except BaseException as error:
            self.interrupted(error)
            if not isinstance(error, Exception):
                raise
            return self.job
        finally:
            self.spool.close()
            self.report.close()
            if self.source is not None:
                self.source.close()

    # Validation --------------------------------------------------------------------------------------

    def validate(self, path):
        job = self.job
        job.status = ImportStatus.VALIDATING
        job.rows_checked = 0
        job.finished_at = None
        job.message = ""
        job.report = {**(job.report or {}), "progress": {"phase": "validating", "fraction": 0.0}}
        job.save(update_fields=["status", "rows_checked", "finished_at", "message", "report", "updated_at"])
        self.source = open_source(path, job.original_name)
        self.validator = Validator(job.archive, self.report)
        checked = 0
        for batch in self.validator.batches(self.source, self.batch_size):
            checked += len(batch)
            if not self.report.errors:
                self.spool.add(batch)
            if self.scan_entries is not None:
                self.collect_scans(batch)
            self.progress("validating", checked, None, self.source.progress())
        self.job.total_rows = self.validator.total_rows
        self.job.rows_checked = checked

    def collect_scans(self, batch):
        archive_code = self.job.archive.code
        for record in batch:
            if record.scan_path and record.file_code:
                code = record.file_code
                if record.level == "document" and record.ordinal:
                    code = f"{code}.{record.ordinal}"
                self.scan_entries.append((f"{archive_code}.{code}", record.scan_path))

    # Writing ----------------------------------------------------------------------------------------

    def write(self):
        job = self.job
        summary = self.validator.summary()
        writer = self.writer_class(
            job.archive,
            {entry["code"]: entry for entry in summary["fonds_to_create"]},
            self.validator.series_to_create,
        )
        job.status = ImportStatus.IMPORTING
        job.save(update_fields=["status", "total_rows", "rows_checked", "updated_at"])
        batches = self.pending_batches(job.rows_done)
        if self.can_pipeline():
            self.write_pipelined(writer, batches)
        else:
            for records, checkpoint, last_seq, last in batches:
                self.commit_batch(writer, writer.prepare(records), checkpoint, last_seq, last)

    def pending_batches(self, checkpoint):
        """``(records, checkpoint before, last row, is last)`` of each batch with rows past the checkpoint."""
        for number, batch in enumerate(self.spool, start=1):
            pending = [record for record in batch if record.seq > checkpoint]
            if not pending:
                continue
            last_seq = batch[-1].seq
            yield pending, checkpoint, last_seq, number == self.spool.batches
            checkpoint = last_seq

    def can_pipeline(self):
        """Write on a second connection while this thread prepares the next batch.

        Not inside a transaction (a test's, or a caller's): the second connection would not see
        its uncommitted rows.
        """
        return self.pipeline and not connection.in_atomic_block

    def write_pipelined(self, writer, batches):
        """Prepare batch n + 1 here while a writer thread writes batch n: the database's work (indexes,
        constraints) overlaps the Python work, on a machine with two cores or more."""
        queue = Queue(maxsize=2)
        failures = []

        def write_in_order():
            try:
                while (item := queue.get()) is not None:
                    if not failures:
                        self.commit_batch(writer, *item)
            except BaseException as error:  # noqa: BLE001 - handed to the main thread, which records it
                failures.append(error)
                while queue.get() is not None:
                    pass
            finally:
                connection.close()  # this thread's own connection

        thread = threading.Thread(target=write_in_order, name=f"import-job-{self.job.pk}", daemon=True)
        thread.start()
        try:
            for records, checkpoint, last_seq, last in batches:
                if failures:
                    break
                queue.put((writer.prepare(records), checkpoint, last_seq, last))
        finally:
            queue.put(None)
            thread.join()
        if failures:
            raise failures[0]

    def commit_batch(self, writer, prepared, checkpoint, last_seq, last=False):
        """One transaction: the batch and the checkpoint move together, or neither does."""
        job = self.job
        with transaction.atomic():
            if not last:
                relax_commit_durability()
            locked = ImportJob.objects.select_for_update().only("rows_done").get(pk=job.pk)
            if locked.rows_done != checkpoint:
                raise CheckpointMoved(
                    _("Lần nhập này đang được ghi ở nơi khác (đã tới dòng %(done)s); lần chạy này dừng lại.")
                    % {"done": locked.rows_done}
                )
            created, updated = writer.apply(prepared)
            ImportJob.objects.filter(pk=job.pk).update(
                rows_done=last_seq,
                created_count=F("created_count") + created,
                updated_count=F("updated_count") + updated,
                updated_at=timezone.now(),
            )
        job.rows_done = last_seq
        job.created_count += created
        job.updated_count += updated
        self.progress("importing", last_seq, job.total_rows, last_seq / max(1, job.total_rows))

    # Progress and the end ---------------------------------------------------------------------------

    def progress(self, phase, done, total, fraction):
        now = time.monotonic()
        if now - self.last_progress < PROGRESS_SECONDS and fraction < 1:
            return
        self.last_progress = now
        fields = {"rows_checked": done} if phase == "validating" else {}
        report = {**(self.job.report or {}), "progress": {"phase": phase, "fraction": round(fraction, 4)}}
        self.job.report = report
        ImportJob.objects.filter(pk=self.job.pk).update(report=report, updated_at=timezone.now(), **fields)
        if self.on_progress is not None:
            self.on_progress(phase, done, total, fraction)

    def interrupted(self, error):
        logger.exception("Import job %s interrupted", self.job.pk)
        writing = self.job.status == ImportStatus.IMPORTING
        status = ImportStatus.INTERRUPTED if writing else ImportStatus.FAILED
        if writing:
            message = _(
                "Bị gián đoạn sau dòng %(done)s (%(error)s). Các lô đã ghi được giữ nguyên; bấm “Tiếp tục” "
                "(hoặc chạy lại lệnh với --resume) để ghi tiếp từ dòng %(next)s."
            ) % {"done": self.job.rows_done, "error": describe(error), "next": self.job.rows_done + 1}
        else:
            message = _("Lỗi khi kiểm tra tệp (%(error)s): chưa ghi gì.") % {"error": describe(error)}
        try:
            self.finish(status, message)
        except DatabaseError:
            # The database itself is gone: the job stays "importing" and resumes like a killed one.
            logger.exception("Import job %s: could not record the interruption", self.job.pk)

    def finish(self, status, message):
        job = self.job
        job.status = status
        job.message = message
        if status in FINISHED:
            job.finished_at = timezone.now()
        job.error_count = self.report.errors
        job.warning_count = self.report.warnings
        if self.validator is not None and (job.dry_run or status == ImportStatus.INVALID):
            counts = self.validator.counts
            job.created_count = sum(value for key, value in counts.items() if key.endswith("_new"))
            job.updated_count = sum(value for key, value in counts.items() if key.endswith("_update"))
        job.report = self.report_json()
        with transaction.atomic():
            job.save()
            if status == ImportStatus.DONE and not job.dry_run:
                log_import(job)
        if status == ImportStatus.DONE:
            if not job.dry_run:
                refresh_planner_statistics()
            ImportJob.objects.filter(
                archive=job.archive, sha256=job.sha256, dry_run=False, status__in=RESUMABLE
            ).exclude(pk=job.pk).update(
                status=ImportStatus.FAILED,
                message=_("Đã được thay bằng lần nhập %(job)s của cùng tệp.") % {"job": job.pk},
            )
        return job

    def report_json(self):
        previous = self.job.report or {}
        data = {key: previous[key] for key in ("source_path",) if key in previous}
        if self.validator is not None:
            data.update(self.validator.summary())
        if self.source is not None:
            data.update(kind=self.source.kind, encoding=self.source.encoding, delimiter=self.source.delimiter)
        data.update(
            issues=self.report.issues,
            errors=self.report.errors,
            warnings=self.report.warnings,
            updates=self.report.updates,
            update_count=self.report.update_count,
            report_file=self.store_report_file(previous.get("report_file")),
            progress={"phase": "done", "fraction": 1.0},
        )
        return data

    def store_report_file(self, previous_name):
        if previous_name:
            with contextlib.suppress(Exception):
                default_storage.delete(previous_name)
        name = f"imports/{self.job.archive.code}/{self.job.sha256}/report-{self.job.pk}.csv"
        with self.report.open_csv() as handle:
            return default_storage.save(name, File(handle, name=Path(name).name))


def relax_commit_durability():
    """On PostgreSQL, let this batch's commit return before its WAL reaches the disk.

    Safe here because the batch and the checkpoint are one transaction: a crash can lose the last
    few batches only together with their checkpoint, and the resumed run writes them again. The
    last batch is committed durably, so a finished import is never lost.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def describe(error):
    text = str(error) or type(error).__name__
    return text if len(text) < 300 else text[:300] + "…"
