import pytest
from django.core.exceptions import ValidationError

from collections_app.factories import DocumentFactory, FondsFactory, RecordFileFactory, SeriesFactory
from collections_app.models import Document, Fonds, RecordFile

pytestmark = pytest.mark.django_db


def messages_of(error):
    return " ".join(message for messages in error.value.message_dict.values() for message in messages)


def test_duplicate_fonds_code_is_refused_with_a_fix(tuyen_quang):
    FondsFactory(archive=tuyen_quang, code="P01")
    duplicate = Fonds(archive=tuyen_quang, code="P01", name="Phông trùng")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "đã được dùng" in messages_of(error) or "already exists" in messages_of(error)


def test_end_date_before_start_date_names_both_dates(tuyen_quang):
    series = SeriesFactory(fonds=FondsFactory(archive=tuyen_quang))
    file = RecordFile(
        series=series,
        fonds=series.fonds,
        archive=tuyen_quang,
        year=2019,
        file_number="1",
        title="Hồ sơ",
        start_date="2019-05",
        end_date="2018",
    )
    with pytest.raises(ValidationError) as error:
        file.full_clean()
    assert "end_date" in error.value.message_dict
    assert "2018" in messages_of(error) and "05/2019" in messages_of(error)


def test_unknown_retention_value_lists_the_allowed_codes(tuyen_quang):
    file = RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    file.retention = "09"
    with pytest.raises(ValidationError) as error:
        file.full_clean()
    assert "retention" in error.value.message_dict


def test_child_of_another_archives_parent_is_refused(tuyen_quang, dong_nai):
    foreign_series = SeriesFactory(fonds=FondsFactory(archive=dong_nai))
    file = RecordFile(
        series=foreign_series,
        fonds=foreign_series.fonds,
        archive=tuyen_quang,
        year=2019,
        file_number="1",
        title="Hồ sơ",
    )
    with pytest.raises(ValidationError) as error:
        file.full_clean()
    assert "cơ quan lưu trữ khác" in messages_of(error)


def test_invalid_partial_date_explains_the_formats(tuyen_quang):
    series = SeriesFactory(fonds=FondsFactory(archive=tuyen_quang))
    file = RecordFile(
        series=series,
        fonds=series.fonds,
        archive=tuyen_quang,
        year=2019,
        file_number="1",
        title="Hồ sơ",
        start_date="31/02/2019",
    )
    with pytest.raises(ValidationError) as error:
        file.full_clean()
    assert "DD/MM/YYYY" in messages_of(error)


def test_digitized_file_needs_its_paper_code_and_risk_status(tuyen_quang):
    file = RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    file.reliability = "02"
    file.risk_recovery = True
    with pytest.raises(ValidationError) as error:
        file.full_clean()
    assert {"paper_file_code", "risk_recovery_status"} <= set(error.value.message_dict)


def test_document_code_clash_is_refused(tuyen_quang):
    document = DocumentFactory(
        file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang))), ordinal=1
    )
    clash = Document(file=document.file, archive=tuyen_quang, ordinal=1, type_name="02", title="Trùng")
    with pytest.raises(ValidationError):
        clash.full_clean()


def test_photo_needs_its_kind(tuyen_quang):
    file = RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=tuyen_quang)))
    photo = Document(file=file, archive=tuyen_quang, ordinal=1, kind="photo", title="Lễ khánh thành cầu")
    with pytest.raises(ValidationError) as error:
        photo.full_clean()
    assert "photo_kind" in error.value.message_dict
