"""Where long texts sit in a record's row on SQLite: last, after the columns the search reads.

SQLite keeps a row in one record, its columns in the order of the table. A record longer than a page
goes on in a chain of overflow pages, and reading a column that lies past the first page walks that
chain. A document's OCR text or full text runs to tens of kilobytes; where it sits before the columns
that every search reads for every match (archive, file, deletion, content, opening), each match walks
its chain: a third more time for a broad query over 200,000 documents with 12 kB of text each, in
memory, and a read from disk per overflow page on a cold file.

``PutColumnsLast`` moves the named columns to the end of the model's table (on SQLite only: PostgreSQL
keeps long values out of the row, TOAST). SQLite adds a new column at the end of a table, after the long
texts: a column the search reads, added later, needs this operation again in its migration.
"""

from django.db.migrations.operations.base import Operation


class PutColumnsLast(Operation):
    """Rebuild the table of ``model_name`` on SQLite with ``fields`` last, in that order."""

    reversible = True

    def __init__(self, model_name, fields):
        self.model_name = model_name
        self.fields = list(fields)

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"model_name": self.model_name, "fields": self.fields}

    @property
    def model_name_lower(self):
        return self.model_name.lower()

    def state_forwards(self, app_label, state):
        model_state = state.models[app_label, self.model_name_lower]
        fields = model_state.fields
        model_state.fields = {
            **{name: field for name, field in fields.items() if name not in self.fields},
            **{name: fields[name] for name in self.fields},
        }
        state.reload_model(app_label, self.model_name_lower, delay=True)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._rebuild(app_label, schema_editor, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # The order before is not known here: the long texts stay last, which reads as fast.
        pass

    def _rebuild(self, app_label, schema_editor, state):
        if schema_editor.connection.vendor != "sqlite":
            return
        model = state.apps.get_model(app_label, self.model_name)
        schema_editor._remake_table(model)

    def describe(self):
        return f"Put {', '.join(self.fields)} last in the table of {self.model_name} (SQLite)"

    @property
    def migration_name_fragment(self):
        return f"{self.model_name_lower}_long_texts_last"
