"""The import as a background task (django-tasks): the admin enqueues it, a worker runs it."""

from django_tasks import task

from ...models import ImportJob
from .jobs import run_job


@task()
def run_import_job(job_id):
    """Run (or resume) import job ``job_id`` from its stored file; return its status and counts."""
    job = ImportJob.objects.select_related("archive").get(pk=job_id)
    run_job(job)
    return {
        "status": job.status,
        "rows_done": job.rows_done,
        "created": job.created_count,
        "updated": job.updated_count,
        "errors": job.error_count,
    }
