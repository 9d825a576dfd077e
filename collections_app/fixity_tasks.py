"""The daily fixity run, scheduled like the daily opening of records (``collections_app.tasks``).

Each run re-hashes the sample that keeps every stored file checked at least once every three years
(``fixity.cycle_sample_percent``), then queues the next day's run. The worker queues the first run
when it starts (``schedule_fixity``).
"""

import datetime
import logging

from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

# Reading every sampled file is disk and network work: run it at night.
DAILY_RUN_TIME = datetime.time(2, 0)


@task()
def verify_fixity_sample():
    """Check today's share of the stored files, e-mail any mismatch, then queue tomorrow's run."""
    from . import fixity

    try:
        report = fixity.run_fixity(sample_percent=fixity.cycle_sample_percent(run_interval_days=1))
    finally:
        schedule_fixity()
    return {"objects": report.objects, "files": report.files, "mismatches": len(report.mismatches)}


def next_run_at(now=None):
    now = timezone.localtime(now or timezone.now())
    run_at = now.replace(hour=DAILY_RUN_TIME.hour, minute=DAILY_RUN_TIME.minute, second=0, microsecond=0)
    if run_at <= now:
        run_at += datetime.timedelta(days=1)
    return run_at


def schedule_fixity(now=None):
    """Queue one ``verify_fixity_sample`` for the next night unless one is already waiting.

    Only with the database backend; never raises (a worker must start even if the queue is unreadable).
    """
    try:
        from .tasks import uses_database_backend

        if not uses_database_backend():
            return None
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(task_path=verify_fixity_sample.module_path, status="READY")
        if waiting.exists():
            return None
        return verify_fixity_sample.using(run_after=next_run_at(now)).enqueue()
    except Exception:  # noqa: BLE001 - see the docstring
        logger.warning("Could not schedule the daily fixity check", exc_info=True)
        return None
