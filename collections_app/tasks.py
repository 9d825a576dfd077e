"""Periodic tasks of the catalogue, run by ``manage.py db_worker`` (django-tasks).

django-tasks has no scheduler: a periodic task queues its next run itself with ``run_after``, and
the worker queues the first one when it starts (``schedule_opening``). At most one run waits.
"""

import datetime
import logging

from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

# Records open at the start of the day: run shortly after local midnight.
DAILY_RUN_TIME = datetime.time(0, 30)


@task()
def open_due_records():
    """Open the conditional-access records whose time has come, then queue tomorrow's run."""
    from . import opening

    try:
        result = opening.open_due_records()
    finally:
        schedule_opening()
    return result.counts


def next_run_at(now=None):
    """The next daily run time (local time) strictly after ``now``."""
    now = timezone.localtime(now or timezone.now())
    run_at = now.replace(hour=DAILY_RUN_TIME.hour, minute=DAILY_RUN_TIME.minute, second=0, microsecond=0)
    if run_at <= now:
        run_at += datetime.timedelta(days=1)
    return run_at


def schedule_opening(now=None):
    """Queue one ``open_due_records`` for the next daily run unless one is already waiting.

    Only with the database backend: other backends run tasks at once or cannot be asked. Never
    raises: a worker must start even if the queue cannot be read.
    """
    try:
        if not uses_database_backend():
            return None
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(task_path=open_due_records.module_path, status="READY").exists():
            return None
        return open_due_records.using(run_after=next_run_at(now)).enqueue()
    except Exception:  # noqa: BLE001 - see the docstring
        logger.warning("Could not schedule the daily opening of records", exc_info=True)
        return None


def uses_database_backend():
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[open_due_records.backend], DatabaseBackend)
