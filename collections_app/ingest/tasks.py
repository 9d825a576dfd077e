"""Background tasks of scan processing, run by ``manage.py db_worker`` (django-tasks).

Arguments are ids (JSON); the work and its states live in ``collections_app.ingest.processing``.
django-tasks-db runs the highest ``priority`` first: the sweep that recovers stuck scans, then the
text of every waiting scan (what search needs), then page images and PDF/A copies.
"""

from django_tasks import task

from . import processing

OCR_PRIORITY = 10
IMAGES_PRIORITY = 0
SWEEP_PRIORITY = 20


@task(takes_context=True, priority=OCR_PRIORITY)
def recognise_scan(context, digital_object_id):
    """Stage "ocr": each page's text and text layer; then queues ``make_scan_images``."""
    return processing.run_ocr_stage(digital_object_id, str(context.task_result.id))


@task(takes_context=True, priority=IMAGES_PRIORITY)
def make_scan_images(context, digital_object_id):
    """Stage "images": page images, IIIF tiles, thumbnail, quality checks and the PDF/A-2b."""
    return processing.run_images_stage(digital_object_id, str(context.task_result.id))


@task(takes_context=True, priority=OCR_PRIORITY)
def process_scan(context, digital_object_id):
    """The single task of earlier versions, still in the queues of upgraded installations: stage "ocr"."""
    return processing.run_ocr_stage(digital_object_id, str(context.task_result.id))


# Above the scans: recovery must not wait behind a long queue of scans.
@task(priority=SWEEP_PRIORITY)
def sweep_stale_scans():
    """Re-queue scans whose worker died; schedules itself again while scans are in flight."""
    return processing.sweep()
