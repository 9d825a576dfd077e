"""The fast path for loading description rows: files and documents by the thousand.

``bulk_create_files`` and ``bulk_create_documents`` take unsaved ``RecordFile`` / ``Document``
instances (any iterable, a generator included), fill the fields that ``save()`` derives (archive,
file code, document codes, reference code, years) and insert them with ``bulk_create`` in batches,
each batch in its own transaction. Parents are never looked up once per row: pass the fonds,
series, file and archive objects on the instances, or only their ids; archives, fonds and series
are then fetched once per load, files once per batch.

The input is read one batch at a time. The ``*_in_batches`` generators yield each created batch
and keep nothing, for loads too large to return as one list (benchmarks, CSV imports); nothing is
written until they are iterated. The ``bulk_create_*`` functions collect the batches into the list
they return.

What ``bulk_create`` skips, this module skips too: no signals, no ``clean()`` (validate before),
no aliases (new rows have no former codes), no many-to-many rows (see ``bulk_link_categories``).
After a load, ``refresh_planner_statistics`` lets SQLite's planner know the tables' new sizes.
"""

import itertools

from django.db import connection, transaction

from . import partial_dates
from .models import Archive, Document, Fonds, RecordFile, Series

DEFAULT_BATCH_SIZE = 2000


def bulk_create_files(files, batch_size=DEFAULT_BATCH_SIZE):
    """Insert unsaved files with their derived codes; return the created files."""
    return list(itertools.chain.from_iterable(create_files_in_batches(files, batch_size)))


def bulk_create_documents(documents, batch_size=DEFAULT_BATCH_SIZE):
    """Insert unsaved documents with their derived codes; return the created documents.

    Each document's file must already be saved with its ``file_code`` (e.g. by
    ``bulk_create_files``).
    """
    return list(itertools.chain.from_iterable(create_documents_in_batches(documents, batch_size)))


def refresh_planner_statistics():
    """On SQLite, ``ANALYZE``: PostgreSQL's autovacuum keeps its statistics, SQLite keeps none unasked.

    Without them SQLite takes ``deleted_at IS NULL`` for a selective index: a search then walks every
    listed document and looks each up in the full-text index (a second for the 10,000 demo
    documents, against 50 ms with statistics).
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def refresh_stale_planner_statistics():
    """On SQLite, ``PRAGMA optimize``: ``ANALYZE`` of the tables this connection used whose statistics
    are missing or from when they held 25 times fewer rows; nothing otherwise."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")


def create_files_in_batches(files, batch_size=DEFAULT_BATCH_SIZE):
    """Insert files batch by batch, yielding each created batch (memory stays one batch)."""
    parents = ParentCache()
    for batch in in_batches(files, batch_size):
        derive_file_fields(batch, parents)
        yield insert_batch(RecordFile, batch)


def create_documents_in_batches(documents, batch_size=DEFAULT_BATCH_SIZE):
    """Insert documents batch by batch, yielding each created batch (memory stays one batch)."""
    parents = ParentCache()
    for batch in in_batches(documents, batch_size):
        derive_document_fields(batch, parents)
        yield insert_batch(Document, batch)


def bulk_link_categories(model, pairs, batch_size=DEFAULT_BATCH_SIZE):
    """Tag saved files or documents with categories from ``(record, category)`` pairs.

    Pairs that already exist are left alone, so running it again adds nothing.
    """
    through = model.categories.through
    record_column = f"{model._meta.model_name}_id"
    for batch in in_batches(pairs, batch_size):
        links = [
            through(**{record_column: record.pk, "category_id": category.pk}) for record, category in batch
        ]
        with transaction.atomic():
            through.objects.bulk_create(links, ignore_conflicts=True)


# Deriving fields, as RecordFile.save() and Document.save() do ---------------------------------


def derive_file_fields(files, parents):
    parents.attach(files, "series", Series)
    take_fonds_from_series(files)
    parents.attach(files, "fonds", Fonds)
    for file in files:
        if file.fonds_id is None:
            raise ValueError(f"File “{file.title}” has neither a fonds nor a series.")
        if file.archive_id is None:
            file.archive_id = file.fonds.archive_id
    parents.attach(files, "archive", Archive)
    for file in files:
        normalise_partial_dates(file, "start_date", "end_date")
        file.file_code = file.compose_file_code()
        file.reference_code = file.compute_reference_code(file.file_code)
        file.start_year = partial_dates.year_of(file.start_date)
        file.end_year = partial_dates.year_of(file.end_date) or file.start_year


def take_fonds_from_series(files):
    """A file in a series belongs to that series' fonds, whatever fonds it was given."""
    for file in files:
        if file.series_id and file.fonds_id != file.series.fonds_id:
            file.fonds_id = file.series.fonds_id


def derive_document_fields(documents, parents):
    attach_saved_files(documents)
    for document in documents:
        if document.archive_id is None:
            document.archive_id = document.file.archive_id
    parents.attach(documents, "archive", Archive)
    for document in documents:
        normalise_partial_dates(document, "issued_date")
        document.doc_id, document.doc_code = document.compose_codes(document.file.file_code)
        document.reference_code = f"{document.archive.code}.{document.doc_id}"
        document.issued_year = partial_dates.year_of(document.issued_date)


def attach_saved_files(documents):
    """Give each document its file, fetching (in one query) the files given only by id."""
    missing_ids = {doc.file_id for doc in documents if not is_parent_cached(doc, "file")}
    missing_ids.discard(None)
    fetched = RecordFile.objects.only("id", "archive_id", "file_code").in_bulk(missing_ids)
    for document in documents:
        if document.file_id in fetched:
            document.file = fetched[document.file_id]
        if document.file_id is None:
            raise ValueError(f"Document “{document.title}” has no saved file.")
        if not document.file.file_code:
            raise ValueError(
                f"File {document.file_id} has no file code yet: create files before their documents."
            )


def normalise_partial_dates(record, *field_names):
    """Store dates as ISO prefixes, so "05/03/2019" gives the year 2019 as save() expects."""
    for name in field_names:
        field = record._meta.get_field(name)
        setattr(record, name, field.to_python(getattr(record, name)))


# Batching and parent look-ups -------------------------------------------------------------------


def in_batches(iterable, size):
    """Lists of at most ``size`` items, reading the iterable lazily."""
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def insert_batch(model, batch):
    with transaction.atomic():
        return model.objects.bulk_create(batch)


def is_parent_cached(record, field_name):
    """Whether the parent object is on the record; a parent saved since it was set gives its id."""
    field = record._meta.get_field(field_name)
    if not field.is_cached(record):
        return False
    parent = field.get_cached_value(record)
    if parent is not None and getattr(record, field.attname) is None and parent.pk is not None:
        setattr(record, field_name, parent)
    return True


class ParentCache:
    """Archives, fonds and series by id: each fetched once per load and shared by every row."""

    def __init__(self):
        self.known = {}

    def attach(self, records, field_name, model):
        """Set ``record.<field_name>`` on every record, with one query for the ids not yet known."""
        known = self.known.setdefault(model, {})
        attname = records[0]._meta.get_field(field_name).attname
        for record in records:
            if is_parent_cached(record, field_name):
                parent = getattr(record, field_name)
                if parent is not None and parent.pk is not None:
                    known.setdefault(parent.pk, parent)
        missing_ids = {getattr(record, attname) for record in records} - known.keys() - {None}
        if missing_ids:
            known.update(model.objects.in_bulk(missing_ids))
        unknown_ids = missing_ids - known.keys()
        if unknown_ids:
            raise ValueError(f"No {model._meta.model_name} with id {sorted(unknown_ids)}.")
        for record in records:
            parent_id = getattr(record, attname)
            if parent_id is not None and not is_parent_cached(record, field_name):
                setattr(record, field_name, known[parent_id])
