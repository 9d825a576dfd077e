import pytest
from django.core.exceptions import ValidationError

from collections_app.codes import move_file, resolve_reference
from collections_app.factories import DocumentFactory, FondsFactory, RecordFileFactory, SeriesFactory

pytestmark = pytest.mark.django_db


def test_file_and_document_codes_are_composed_per_circular(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang, code="P01", creator_code="H49.64.33")
    series = SeriesFactory(fonds=fonds, number="2")
    file = RecordFileFactory(series=series, year=2001, file_number="160")
    document = DocumentFactory(file=file, ordinal=1)
    assert file.file_code == "H49.64.33.2001.160.2"
    assert file.reference_code == "LT08.H49.64.33.2001.160.2"
    assert document.doc_id == "H49.64.33.2001.160.2.1"
    assert document.doc_code == "H49.64.33.2001.160.2.0000001"
    assert fonds.reference_code == "LT08.P01"
    assert series.reference_code == "LT08.P01.ML2"


def test_closed_fonds_code_stands_in_for_the_creator(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang, code="P09", creator_code="", is_closed=True)
    file = RecordFileFactory(series=SeriesFactory(fonds=fonds, number="1"), year=2010, file_number="01")
    assert file.file_code == "P09.2010.01.1"


def test_moving_a_file_recodes_it_and_its_documents_and_keeps_aliases(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang, creator_code="H49.64.33")
    source = SeriesFactory(fonds=fonds, number="1")
    target = SeriesFactory(fonds=fonds, number="2")
    file = RecordFileFactory(series=source, year=2001, file_number="160")
    documents = [DocumentFactory(file=file, ordinal=n) for n in (1, 2)]
    old_file_code = file.reference_code
    old_document_codes = [document.reference_code for document in documents]

    move_file(file, target)

    file.refresh_from_db()
    assert file.series == target
    assert file.reference_code == "LT08.H49.64.33.2001.160.2"
    for document, old_code in zip(documents, old_document_codes, strict=True):
        document.refresh_from_db()
        assert document.reference_code == f"LT08.H49.64.33.2001.160.2.{document.ordinal}"
        assert resolve_reference(old_code) == (document, True)
    assert resolve_reference(old_file_code) == (file, True)


def test_move_refuses_a_code_clash(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang)
    source = SeriesFactory(fonds=fonds, number="1")
    target = SeriesFactory(fonds=fonds, number="2")
    RecordFileFactory(series=target, year=2001, file_number="160")
    file = RecordFileFactory(series=source, year=2001, file_number="160")
    with pytest.raises(ValidationError, match="trùng"):
        move_file(file, target)
    file.refresh_from_db()
    assert file.series == source


def test_move_refuses_another_archives_series(tuyen_quang, dong_nai):
    file = RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    foreign = SeriesFactory(fonds=FondsFactory(archive=dong_nai))
    with pytest.raises(ValidationError, match="cơ quan lưu trữ khác"):
        move_file(file, foreign)


def test_moving_back_turns_the_alias_into_the_current_code_again(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang)
    first, second = SeriesFactory(fonds=fonds, number="1"), SeriesFactory(fonds=fonds, number="2")
    file = RecordFileFactory(series=first)
    original = file.reference_code
    move_file(file, second)
    move_file(file, first)
    assert resolve_reference(original) == (file, False)
