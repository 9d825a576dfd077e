"""Writing validated records, one batch at a time: new rows in bulk, existing rows updated in bulk.

The caller wraps each ``write_batch`` in one transaction with the job's checkpoint. Derived fields
(file codes, document codes, reference codes, years) are filled as ``RecordFile.save()`` /
``Document.save()`` and ``collections_app.bulk`` fill them (see ``codes``). New rows go through
``bulk_create`` (``OrmInserter``), or on PostgreSQL through COPY (``CopyInserter``), which is several
times faster for wide tables; both give back the new primary keys in order.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from ... import partial_dates
from ...bulk import bulk_link_categories
from ...fields import CodeListField
from ...models import AliasReason, Document, Fonds, RecordFile, ReferenceAlias, Series
from ...signals import records_changed
from . import codes
from .columns import DOCUMENT, FONDS, SERIES
from .values import INTEGER_MAX

FILE_CACHE_LIMIT = 50_000


class Writer:
    """Writes records of one archive; keeps the ids of fonds, series and recent files between batches."""

    def __init__(self, archive, fonds_to_create, series_to_create, inserter=None):
        self.archive = archive
        self.fonds_to_create = fonds_to_create
        self.series_to_create = series_to_create
        self.inserter = inserter or default_inserter()
        self.fonds_ids = dict(Fonds.objects.filter(archive=archive).values_list("code", "pk"))
        self.series_ids = {
            (fonds_code, number): pk
            for pk, fonds_code, number in Series.objects.filter(archive=archive).values_list(
                "pk", "fonds__code", "number"
            )
        }
        self.file_ids = {}
        self.now = timezone.now()

    def write_batch(self, records):
        """Write one batch (inside the caller's transaction); return ``(created, updated)`` counts."""
        return self.apply(self.prepare(records))

    def prepare(self, records):
        """Everything that needs no database: the rows to insert, the values to update.

        ``JobRunner`` prepares the next batch while the previous one is being written.
        """
        self.now = timezone.now()
        documents = [record for record in records if record.level == DOCUMENT]
        return PreparedBatch(
            records=records,
            files=[record for record in records if record.defines_file],
            documents=documents,
            new_documents=[
                (record, self.inserter.row(Document, self.new_document_row(record)))
                for record in documents
                if record.doc_id is None
            ],
            document_updates=[
                (record.doc_id, self.document_update(record))
                for record in documents
                if record.doc_id is not None
            ],
        )

    def apply(self, batch):
        """Write a prepared batch (inside the caller's transaction); return ``(created, updated)``."""
        counts = [0, 0]
        records = batch.records
        self.write_fonds_rows([record for record in records if record.level == FONDS], counts)
        counts[0] += self.ensure_parents(records)
        self.write_series_rows([record for record in records if record.level == SERIES], counts)
        self.write_files(batch.files, counts)
        self.write_documents(batch, counts)
        self.write_aliases(batch.files, batch.documents)
        records_changed.send(
            Writer,
            changes={
                RecordFile: [r.file_id for r in batch.files],
                Document: [r.doc_id for r in batch.documents],
            },
        )
        return tuple(counts)

    # Fonds and series ------------------------------------------------------------------------------

    def ensure_parents(self, records):
        """Create the fonds and series the batch places records in and which do not exist yet."""
        created = 0
        for record in records:
            if record.fonds_code and record.fonds_code not in self.fonds_ids:
                self.create_fonds(record.fonds_code, self.fonds_to_create.get(record.fonds_code, {}))
                created += 1
            key = (record.fonds_code, record.series_number)
            if record.series_number and key not in self.series_ids:
                self.create_series(key)
                created += 1
        return created

    def create_fonds(self, code, values):
        fonds = Fonds(
            archive=self.archive,
            code=code,
            name=values.get("name", code),
            creator_code=values.get("creator_code", ""),
        )
        fonds.save()
        self.fonds_ids[code] = fonds.pk
        return fonds

    def create_series(self, key):
        fonds_code, number = key
        values = {
            name: value
            for name, value in self.series_to_create.get(key, {}).items()
            if name not in ("row", "title_given")
        }
        values.setdefault("title", number)
        series = Series(archive=self.archive, fonds_id=self.fonds_ids[fonds_code], number=number, **values)
        series.save()
        self.series_ids[key] = series.pk

    def write_fonds_rows(self, records, counts):
        for record in records:
            values = dict(record.fonds_values or {})
            pk = self.fonds_ids.get(record.fonds_code)
            if pk is None:
                fonds = Fonds(archive=self.archive, code=record.fonds_code, **values)
                fonds.save()
                self.fonds_ids[record.fonds_code] = fonds.pk
                counts[0] += 1
                continue
            fonds = Fonds.objects.get(pk=pk)
            for name, value in values.items():
                setattr(fonds, name, value)
            fonds.save()
            counts[1] += 1

    def write_series_rows(self, records, counts):
        for record in records:
            key = (record.fonds_code, record.series_number)
            values = dict(record.series_values or {})
            if not values:
                continue
            series = Series.objects.get(pk=self.series_ids[key])
            for name, value in values.items():
                setattr(series, name, value)
            series.save()
            counts[1] += 1

    # Files ------------------------------------------------------------------------------------------

    def write_files(self, records, counts):
        new = [record for record in records if record.file_id is None]
        existing = [record for record in records if record.file_id is not None]
        existing_ids = {record.file_id for record in existing}
        if new:
            rows = [self.inserter.row(RecordFile, self.new_file_row(record)) for record in new]
            ids = self.inserter.insert_rows(RecordFile, rows)
            for record, pk in zip(new, ids, strict=True):
                record.file_id = pk
            counts[0] += len(new)
        if existing:
            update_grouped(RecordFile, [(record.file_id, self.file_update(record)) for record in existing])
            counts[1] += len(existing)
        for record in records:
            self.remember_file(record.file_code, record.file_id)
        self.link_categories(
            RecordFile,
            [
                (record.file_id, record.file_categories, record.file_id in existing_ids)
                for record in records
                if record.file_categories is not None
            ],
        )

    def new_file_row(self, record):
        values = dict(record.file_values)
        parts = record.file_parts
        start, end = values.get("start_date", ""), values.get("end_date", "")
        start_year = partial_dates.year_of(start)
        row = {
            **values,
            "archive_id": self.archive.pk,
            "fonds_id": self.fonds_ids[record.fonds_code],
            "series_id": self.series_ids.get((record.fonds_code, record.series_number)),
            "creator_code": parts.creator_code,
            "year": parts.year,
            "file_number": parts.file_number,
            "file_code": record.file_code,
            "reference_code": f"{self.archive.code}.{record.file_code}",
            "start_year": start_year,
            "end_year": partial_dates.year_of(end) or start_year,
            "created_at": self.now,
            "updated_at": self.now,
        }
        if record.series_number and "number_in_series" not in values and parts.file_number.isdigit():
            number = int(parts.file_number)
            if number <= INTEGER_MAX:
                row["number_in_series"] = number
        return row

    def file_update(self, record):
        values = dict(record.file_values)
        if ("start_date" in values or "end_date" in values) and record.merged_dates:
            start, end = record.merged_dates
            values["start_year"] = partial_dates.year_of(start)
            values["end_year"] = partial_dates.year_of(end) or values["start_year"]
        values["updated_at"] = self.now
        return values

    def remember_file(self, code, pk):
        if len(self.file_ids) >= FILE_CACHE_LIMIT:
            self.file_ids.clear()
        self.file_ids[code] = pk

    def file_ids_for(self, file_codes):
        missing = {code for code in file_codes if code not in self.file_ids}
        if missing:
            for code, pk in RecordFile.objects.filter(
                archive=self.archive, file_code__in=missing
            ).values_list("file_code", "pk"):
                self.remember_file(code, pk)
        return self.file_ids

    # Documents --------------------------------------------------------------------------------------

    def write_documents(self, batch, counts):
        if not batch.documents:
            return
        file_ids = self.file_ids_for({record.file_code for record in batch.documents})
        if batch.new_documents:
            rows = []
            for record, row in batch.new_documents:
                self.inserter.set(Document, row, "file_id", file_ids[record.file_code])
                rows.append(row)
            ids = self.inserter.insert_rows(Document, rows)
            for (record, _row), pk in zip(batch.new_documents, ids, strict=True):
                record.doc_id = pk
            counts[0] += len(rows)
        if batch.document_updates:
            update_grouped(Document, batch.document_updates)
            counts[1] += len(batch.document_updates)
        existing = {pk for pk, _values in batch.document_updates}
        self.link_categories(
            Document,
            [
                (record.doc_id, record.doc_categories, record.doc_id in existing)
                for record in batch.documents
                if record.doc_categories is not None
            ],
        )

    def new_document_row(self, record):
        values = record.doc_values
        doc_id, doc_code = codes.compose_document_codes(record.file_code, record.ordinal)
        return {
            **values,
            "archive_id": self.archive.pk,
            "file_id": None,
            "ordinal": record.ordinal,
            "doc_id": doc_id,
            "doc_code": doc_code,
            "reference_code": f"{self.archive.code}.{doc_id}",
            "issued_year": partial_dates.year_of(values.get("issued_date", "")),
            "created_at": self.now,
            "updated_at": self.now,
        }

    def document_update(self, record):
        values = dict(record.doc_values)
        if "issued_date" in values:
            values["issued_year"] = partial_dates.year_of(values["issued_date"])
        values["updated_at"] = self.now
        return values

    # Links and aliases ------------------------------------------------------------------------------

    def link_categories(self, model, entries):
        """Set the categories of records whose row gave them (replacing an existing record's)."""
        if not entries:
            return
        through = model.categories.through
        column = f"{model._meta.model_name}_id"
        replaced = [pk for pk, _categories, is_update in entries if is_update]
        if replaced:
            through.objects.filter(**{f"{column}__in": replaced}).delete()
        pairs = [
            (_Saved(pk), _Saved(category)) for pk, categories, _update in entries for category in categories
        ]
        bulk_link_categories(model, pairs)

    def write_aliases(self, files, documents):
        aliases = []
        file_type = ContentType.objects.get_for_model(RecordFile)
        document_type = ContentType.objects.get_for_model(Document)
        for record in files:
            if record.file_legacy:
                aliases.append(self.alias(record.file_legacy, file_type, record.file_id))
        for record in documents:
            if record.doc_legacy:
                aliases.append(self.alias(record.doc_legacy, document_type, record.doc_id))
        if aliases:
            ReferenceAlias.objects.bulk_create(aliases, ignore_conflicts=True)

    def alias(self, code, content_type, object_id):
        return ReferenceAlias(
            code=code,
            content_type=content_type,
            object_id=object_id,
            archive=self.archive,
            reason=AliasReason.LEGACY,
        )


class PreparedBatch:
    __slots__ = ("records", "files", "documents", "new_documents", "document_updates")

    def __init__(self, **parts):
        for name, value in parts.items():
            setattr(self, name, value)


class _Saved:
    """A primary key standing in for a saved instance (``bulk_link_categories`` reads ``.pk``)."""

    __slots__ = ("pk",)

    def __init__(self, pk):
        self.pk = pk


def update_grouped(model, updates):
    """``bulk_update`` rows by the set of fields each one changes (a row never clears what it leaves out)."""
    groups = {}
    for pk, values in updates:
        groups.setdefault(tuple(sorted(values)), []).append((pk, values))
    for fields, rows in groups.items():
        objects = []
        for pk, values in rows:
            instance = model(pk=pk)
            for name, value in values.items():
                setattr(instance, name, value)
            objects.append(instance)
        model.objects.bulk_update(objects, list(fields), batch_size=500)


# Inserting new rows ---------------------------------------------------------------------------------


def default_inserter():
    return CopyInserter() if connection.vendor == "postgresql" else OrmInserter()


class OrmInserter:
    """``bulk_create``: rows are field dicts."""

    def row(self, model, values):
        return values

    def set(self, model, row, name, value):
        row[name] = value

    def insert_rows(self, model, rows):
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects)
        return [instance.pk for instance in objects]


class CopyInserter:
    """PostgreSQL COPY through psycopg 3, with primary keys drawn from the table's sequence first.

    Rows are lists in the table's column order, built from the model's defaults.
    """

    def __init__(self):
        self.layouts = {}

    def layout(self, model):
        if model not in self.layouts:
            self.layouts[model] = TableLayout(model)
        return self.layouts[model]

    def row(self, model, values):
        return self.layout(model).as_row(values)

    def set(self, model, row, name, value):
        row[self.layout(model).position[name]] = value

    def insert_rows(self, model, rows):
        layout = self.layout(model)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [layout.table, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            pk_position = layout.pk_position
            with cursor.cursor.copy(layout.copy_sql) as copy:
                write_row = copy.write_row
                for pk, row in zip(ids, rows, strict=True):
                    row[pk_position] = pk
                    write_row(row)
        return ids


class TableLayout:
    """A model's columns in order, their default values, and how a row dict becomes a COPY tuple."""

    def __init__(self, model):
        self.table = model._meta.db_table
        # Generated columns (``has_content``) are the database's to write.
        fields = [field for field in model._meta.concrete_fields if not field.generated]
        quote = connection.ops.quote_name
        self.copy_sql = (
            f"COPY {quote(self.table)} ({', '.join(quote(field.column) for field in fields)}) FROM STDIN"
        )
        self.position = {field.attname: index for index, field in enumerate(fields)}
        self.pk_position = self.position[model._meta.pk.attname]
        self.list_positions = [
            index for index, field in enumerate(fields) if isinstance(field, CodeListField)
        ]
        now = timezone.now()
        self.template = [self.default(field, now) for field in fields]

    @staticmethod
    def default(field, now):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        if field.primary_key:
            return None
        value = field.get_default()
        if isinstance(field, CodeListField):
            return ",".join(value or [])
        return value

    def as_row(self, row):
        values = self.template.copy()
        position = self.position
        for name, value in row.items():
            values[position[name]] = value
        for index in self.list_positions:
            if values[index].__class__ is list:
                values[index] = ",".join(values[index])
        return values


__all__ = ["Writer"]
