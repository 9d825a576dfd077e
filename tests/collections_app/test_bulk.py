import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.bulk import (
    bulk_create_documents,
    bulk_create_files,
    bulk_link_categories,
    create_files_in_batches,
)
from collections_app.factories import FondsFactory, SeriesFactory
from collections_app.models import Category, Document, RecordFile

pytestmark = pytest.mark.django_db

FILE_DERIVED = ("archive_id", "fonds_id", "file_code", "reference_code", "start_year", "end_year")
DOCUMENT_DERIVED = ("archive_id", "doc_id", "doc_code", "reference_code", "issued_year")


@pytest.fixture
def fonds(tuyen_quang):
    return FondsFactory(archive=tuyen_quang, code="UBND-HG", creator_code="000.00.00.H23")


@pytest.fixture
def closed_fonds(tuyen_quang):
    return FondsFactory(archive=tuyen_quang, code="UBH-YS", creator_code="", is_closed=True)


@pytest.fixture
def series(fonds):
    return SeriesFactory(fonds=fonds, number="02")


def derived(record, names):
    return {name: getattr(record, name) for name in names}


def codes_given_by_save(record, names):
    """The fields save() derives for ``record``, leaving no row behind."""
    record.save()
    result = derived(record, names)
    type(record).objects.filter(pk=record.pk).delete()
    record.pk = None
    return result


FILE_CASES = {
    "in a series, day dates": lambda f, s, c: RecordFile(
        fonds=f,
        series=s,
        year=2019,
        file_number="160",
        title="Hồ sơ giao đất",
        start_date="2019-03-05",
        end_date="2019-11-20",
    ),
    "fonds only, month date, no end": lambda f, s, c: RecordFile(
        fonds=f, year=2012, file_number="07", title="Hồ sơ thu hồi đất", start_date="2012-03"
    ),
    "closed fonds without creator code": lambda f, s, c: RecordFile(
        fonds=c, year=2010, file_number="01", title="Hồ sơ cấp giấy chứng nhận", start_date="2010"
    ),
    "creator code on the file": lambda f, s, c: RecordFile(
        fonds=f,
        series=s,
        creator_code="000.00.15.H23",
        year=2020,
        file_number="3",
        title="Hồ sơ",
        start_date="2020-01-02",
        end_date="2021",
    ),
    "parents given by id only": lambda f, s, c: RecordFile(
        series_id=s.pk, fonds_id=f.pk, year=2018, file_number="44", title="Hồ sơ đầu tư"
    ),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_bulk_files_get_the_codes_save_gives(case, fonds, series, closed_fonds):
    make = FILE_CASES[case]
    expected = codes_given_by_save(make(fonds, series, closed_fonds), FILE_DERIVED)

    [created] = bulk_create_files([make(fonds, series, closed_fonds)])

    assert derived(created, FILE_DERIVED) == expected
    assert derived(RecordFile.objects.get(pk=created.pk), FILE_DERIVED) == expected


@pytest.mark.parametrize("issued_date", ["2019-03-05", "2019-03", "2019", ""])
def test_bulk_documents_get_the_codes_save_gives(issued_date, series):
    [file] = bulk_create_files([RecordFile(series=series, year=2019, file_number="160", title="Hồ sơ")])

    def make():
        return Document(
            file=file,
            ordinal=12,
            type_name="02",
            code_number="1234",
            code_notation="QĐ-UBND",
            issued_date=issued_date,
            title="Quyết định giao đất",
        )

    expected = codes_given_by_save(make(), DOCUMENT_DERIVED)
    [created] = bulk_create_documents([make()])

    assert derived(created, DOCUMENT_DERIVED) == expected
    assert created.doc_id == "000.00.00.H23.2019.160.02.12"
    assert created.doc_code == "000.00.00.H23.2019.160.02.0000012"
    assert created.reference_code == "LT08.000.00.00.H23.2019.160.02.12"


def test_a_series_alone_places_the_file_in_its_fonds_and_archive(series):
    # RecordFile.save() needs the fonds as well (it takes the archive from the fonds before it
    # takes the fonds from the series); the bulk path takes both from the series.
    [file] = bulk_create_files([RecordFile(series=series, year=2019, file_number="8", title="Hồ sơ")])
    assert (file.fonds_id, file.archive_id) == (series.fonds_id, series.archive_id)
    assert file.reference_code == "LT08.000.00.00.H23.2019.8.02"


def test_documents_of_files_given_by_id_are_coded_from_the_stored_file(series):
    [file] = bulk_create_files([RecordFile(series=series, year=2019, file_number="9", title="Hồ sơ")])
    [document] = bulk_create_documents(
        [Document(file_id=file.pk, ordinal=1, type_name="14", title="Báo cáo")]
    )
    assert document.reference_code == f"{file.reference_code}.1"
    assert document.archive_id == file.archive_id


def test_files_and_documents_planned_together_link_up_once_files_are_saved(series):
    file = RecordFile(series=series, year=2019, file_number="5", title="Hồ sơ")
    document = Document(file=file, ordinal=1, type_name="02", title="Quyết định")
    bulk_create_files([file])
    bulk_create_documents([document])
    assert Document.objects.get(pk=document.pk).file_id == file.pk


def test_display_dates_are_stored_as_iso_prefixes(series):
    [file] = bulk_create_files(
        [
            RecordFile(
                series=series,
                year=2019,
                file_number="1",
                title="Hồ sơ",
                start_date="05/03/2019",
                end_date="11/2019",
            )
        ]
    )
    file.refresh_from_db()
    stored = (file.start_date, file.end_date, file.start_year, file.end_year)
    assert stored == ("2019-03-05", "2019-11", 2019, 2019)


def test_lookups_do_not_grow_with_the_number_of_rows(fonds, series, closed_fonds):
    files = [
        RecordFile(
            series_id=series.pk if n % 2 else None,
            fonds_id=closed_fonds.pk if n % 2 == 0 else None,
            year=2015,
            file_number=str(n),
            title=f"Hồ sơ {n}",
        )
        for n in range(1, 301)
    ]
    with CaptureQueriesContext(connection) as queries:
        created = bulk_create_files(files, batch_size=100)
    assert len(created) == 300
    selects = select_statements(queries)
    assert len(selects) <= 3  # series, fonds and archive, each fetched once for the whole load

    documents = [Document(file_id=file.pk, ordinal=1, type_name="02", title="Quyết định") for file in created]
    with CaptureQueriesContext(connection) as queries:
        bulk_create_documents(documents, batch_size=100)
    selects = select_statements(queries)
    assert len(selects) <= 4  # the batch's files (once per batch of 100) and the archive once


def select_statements(queries):
    return [query for query in queries.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")]


def test_a_generator_is_read_one_batch_at_a_time(series):
    taken = []

    def planned_files():
        for n in range(1, 8):
            taken.append(n)
            yield RecordFile(series=series, year=2016, file_number=str(n), title=f"Hồ sơ {n}")

    batches = create_files_in_batches(planned_files(), batch_size=3)
    first = next(batches)
    assert len(first) == 3
    assert len(taken) == 3
    assert [len(batch) for batch in batches] == [3, 1]
    assert RecordFile.objects.filter(series=series).count() == 7


def test_documents_need_files_with_codes(series):
    file = RecordFile(series=series, year=2019, file_number="77", title="Hồ sơ")
    with pytest.raises(ValueError, match="no saved file"):
        bulk_create_documents([Document(file=file, ordinal=1, type_name="02", title="Quyết định")])
    [file] = bulk_create_files([file])
    file.file_code = ""
    with pytest.raises(ValueError, match="no file code"):
        bulk_create_documents([Document(file=file, ordinal=1, type_name="02", title="Quyết định")])


def test_categories_are_linked_once(series):
    files = bulk_create_files(
        [RecordFile(series=series, year=2019, file_number=str(n), title="Hồ sơ") for n in (1, 2)]
    )
    land = Category.objects.get(slug="dat-dai")
    pairs = [(file, land) for file in files]
    bulk_link_categories(RecordFile, pairs)
    bulk_link_categories(RecordFile, pairs)
    assert RecordFile.categories.through.objects.filter(category=land).count() == 2
    assert list(files[0].categories.all()) == [land]
