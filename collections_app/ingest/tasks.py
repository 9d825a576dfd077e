"""Background tasks of scan processing, run by ``manage.py db_worker`` (django-tasks).

Arguments are ids (JSON); the work and its states live in ``collections_app.ingest.processing``.
"""

from django_tasks import task

from . import processing


@task(takes_context=True)
def process_scan(context, digital_object_id):
    """Page images, thumbnail, IIIF tiles, OCR text and the PDF/A-2b of one scan."""
    return processing.run_processing(digital_object_id, str(context.task_result.id))


# Above the scans' default priority: recovery must not wait behind a long queue of scans.
@task(priority=10)
def sweep_stale_scans():
    """Re-queue scans whose worker died; schedules itself again while scans are in flight."""
    return processing.sweep()
