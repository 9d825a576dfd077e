from django_tasks import task

from .indexing import index_ids


@task()
def index_records(model_label, ids):
    """Index the records ``ids`` of ``model_label`` (e.g. ``collections_app.Document``)."""
    return index_ids(model_label, ids)
