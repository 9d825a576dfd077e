"""django-tasks' ``db_worker``, which first recovers the scans that dead workers left behind.

The worker itself is django-tasks-db's, unchanged. Before it starts, scans stuck in "processing" (their
worker was killed) or "queued" without a task are re-queued, and the periodic ``sweep_stale_scans``
task is scheduled while scans are in flight (see ``collections_app.ingest.processing``).
"""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from collections_app.fixity_tasks import schedule_fixity
from collections_app.ingest.processing import recover_at_worker_start
from collections_app.tasks import schedule_opening


class Command(DatabaseWorkerCommand):
    def handle(self, *args, **options):
        recover_at_worker_start()
        schedule_opening()  # the daily opening of records due under the opening rules
        schedule_fixity()  # the nightly fixity sample (every file re-hashed within three years)
        return super().handle(*args, **options)
