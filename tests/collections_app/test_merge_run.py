"""A provincial merger end to end: dry run figures, the run, codes and aliases, old URLs, verification.

Scans are real PNG pages stored in the test storage (in memory); their bytes are re-hashed by the
plan and by the final check.
"""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    ScanPageFactory,
    SeriesFactory,
)
from collections_app.file_serving import stored_file_url
from collections_app.ingest import samples
from collections_app.ingest.digitization import archive_progress
from collections_app.models import (
    AliasReason,
    Archive,
    Category,
    DigitalObject,
    DigitizationPlan,
    Document,
    EventType,
    Fonds,
    MergeStatus,
    MergeStepStatus,
    PreservationEvent,
    RecordFile,
    ReferenceAlias,
    Series,
)
from collections_app.transfers import merger
from collections_app.vocabularies import PublicationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def holdings(tuyen_quang, dong_nai):
    """Tuyên Quang (LT08) holds two fonds; Đồng Nai (LT75) already has a fonds coded P01."""
    FondsFactory(archive=dong_nai, code="P01", creator_code="", name="UBND huyện Nhơn Trạch")
    clashing = FondsFactory(archive=tuyen_quang, code="P01", creator_code="", name="UBND huyện Na Hang")
    other = FondsFactory(archive=tuyen_quang, code="P02", creator_code="H49.64.33", name="Sở Tài nguyên")
    land = Category.objects.get(slug="dat-dai")
    series = SeriesFactory(fonds=clashing, number="01")
    file = RecordFileFactory(series=series, file_number="07")
    file.categories.add(land)
    draft_file = RecordFileFactory(
        series=SeriesFactory(fonds=other, number="02"), publication_status=PublicationStatus.DRAFT
    )
    documents = [DocumentFactory(file=file, ordinal=n) for n in (1, 2)] + [DocumentFactory(file=draft_file)]
    documents[0].categories.add(land)
    scans = [
        DigitalObjectFactory(document=documents[0], content=samples.png_page(dpi=60)),
        DigitalObjectFactory(document=documents[2], content=samples.png_page(dpi=70)),
    ]
    ScanPageFactory(digital_object=scans[0], number=1, tiles_info="x")
    return {"fonds": clashing, "other": other, "file": file, "documents": documents, "scans": scans}


def test_dry_run_reports_counts_bytes_land_records_conflicts_and_drafts(holdings, tuyen_quang, dong_nai):
    run = merger.plan_merge([tuyen_quang], dong_nai)

    assert run.status == MergeStatus.PLANNED
    source = run.report["sources"][0]
    assert source["counts"] == {"fonds": 2, "series": 2, "files": 2, "documents": 3, "scans": 2}
    assert source["stored_files"] == 2
    assert source["stored_bytes"] == sum(scan.size_bytes for scan in holdings["scans"])
    assert source["land"] == {"files": 1, "documents": 1}
    assert source["drafts"]["files"] == 1
    [conflict] = source["conflicts"]
    assert (conflict["code"], conflict["proposed"], conflict["blocking"]) == ("LT08.P01", "P01-LT08", False)
    assert "P01-LT08" in conflict["message"]
    assert source["fixity_problems"] == []
    steps = list(run.steps.values_list("old_reference_code", "new_code", "status"))
    assert steps == [("LT08.P01", "P01-LT08", "pending"), ("LT08.P02", "P02", "pending")]
    # Nothing moved, nothing frozen.
    assert Fonds.objects.filter(archive=tuyen_quang).count() == 2
    assert not Archive.objects.get(pk=tuyen_quang.pk).is_frozen


def test_dry_run_names_missing_and_altered_files(holdings, tuyen_quang, dong_nai):
    first, second = holdings["scans"]
    default_storage.delete(first.file.name)
    default_storage.delete(second.file.name)
    default_storage.save(second.file.name, ContentFile(b"not the scan any more"))

    problems = merger.plan_merge([tuyen_quang], dong_nai).report["sources"][0]["fixity_problems"]

    assert {(problem["name"], problem["problem"]) for problem in problems} == {
        (first.file.name, "missing"),
        (second.file.name, "mismatch"),
    }


def test_the_run_moves_everything_with_new_codes_and_keeps_the_old_ones(
    client, holdings, tuyen_quang, dong_nai
):
    before = {
        model: dict(model.objects.values_list("pk", "reference_code"))
        for model in (Fonds, Series, RecordFile, Document)
    }
    run = merger.plan_merge([tuyen_quang], dong_nai)
    run = merger.execute(run)

    assert run.status == MergeStatus.DONE, run.message
    assert set(run.steps.values_list("status", flat=True)) == {MergeStepStatus.DONE}
    for model in (Fonds, Series, RecordFile, Document, DigitalObject):
        assert not model.objects.filter(archive=tuyen_quang).exists()
    file = RecordFile.objects.get(pk=holdings["file"].pk)
    assert file.archive == dong_nai
    assert file.file_code == "P01-LT08.2019.07.01"
    assert file.reference_code == "LT75.P01-LT08.2019.07.01"
    document = Document.objects.get(pk=holdings["documents"][1].pk)
    assert (document.doc_id, document.doc_code) == ("P01-LT08.2019.07.01.2", "P01-LT08.2019.07.01.0000002")
    assert document.reference_code == "LT75.P01-LT08.2019.07.01.2"
    # Every record is exactly what save() would compute.
    for model in (Fonds, Series, RecordFile, Document):
        for record in (
            model.objects.filter(archive=dong_nai).exclude(code="P01")
            if model is Fonds
            else (model.objects.filter(archive=dong_nai))
        ):
            assert record.reference_code == record.compute_reference_code()
    # Every old code is a merged alias of its record.
    for codes in before.values():
        for pk, old_code in codes.items():
            if old_code.startswith("LT08."):
                alias = ReferenceAlias.objects.get(code=old_code)
                assert (alias.object_id, alias.reason, alias.archive_id) == (
                    pk,
                    AliasReason.MERGED,
                    dong_nai.pk,
                )
    # The source is unfrozen and, empty now, inactive.
    source = Archive.objects.get(pk=tuyen_quang.pk)
    assert (source.is_frozen, source.is_active) == (False, False)
    events = PreservationEvent.objects.filter(event_type=EventType.TRANSFER, archive=dong_nai)
    assert set(events.values_list("digital_object_id", flat=True)) == {scan.pk for scan in holdings["scans"]}
    assert run.verification["problems"] == [] and run.verification["files_checked"] == 2


def test_old_urls_answer_301_to_the_new_ones(client, holdings, tuyen_quang, dong_nai, settings):
    old_document = holdings["documents"][0].reference_code
    old_file = holdings["file"].reference_code
    scan = holdings["scans"][0]
    merger.execute(merger.plan_merge([tuyen_quang], dong_nai))
    document = Document.objects.get(pk=holdings["documents"][0].pk)

    response = client.get(f"/r/{old_document}/")
    assert response.status_code == 301
    assert response["Location"] == f"/r/{document.reference_code}/"
    assert client.get(response["Location"]).status_code == 302  # on to the archive's page

    response = client.get(f"/api/v1/records/{old_file}")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/records/LT75.P01-LT08.2019.07.01"
    assert client.get(response["Location"]).json()["reference_code"] == "LT75.P01-LT08.2019.07.01"

    response = client.get(f"/iiif/3/{old_document}/manifest")
    assert response.status_code == 301
    assert response["Location"] == f"/iiif/3/{document.reference_code}/manifest"

    # The scan stayed where it was stored, and is still served under its new archive.
    moved = DigitalObject.objects.get(pk=scan.pk)
    assert moved.archive == dong_nai and moved.file.name == scan.file.name
    response = client.get(stored_file_url(moved, moved.file.name))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == scan.sha256


def test_verification_refuses_a_file_changed_during_the_run_then_finishes_once_restored(
    holdings, tuyen_quang, dong_nai
):
    scan = holdings["scans"][1]
    original = default_storage.open(scan.file.name).read()
    run = merger.plan_merge([tuyen_quang], dong_nai)

    def tamper(step):
        if step.old_reference_code == "LT08.P01":
            default_storage.delete(scan.file.name)
            default_storage.save(scan.file.name, ContentFile(original[:-1] + b"\x00"))

    run = merger.execute(run, on_step=tamper)

    assert run.status == MergeStatus.FAILED
    assert scan.file.name in run.message
    assert Archive.objects.get(pk=tuyen_quang.pk).is_frozen  # still ring-fenced
    assert not PreservationEvent.objects.filter(event_type=EventType.TRANSFER).exists()

    default_storage.delete(scan.file.name)
    default_storage.save(scan.file.name, ContentFile(original))
    run = merger.execute(merger.resumable_run(dong_nai))
    assert run.status == MergeStatus.DONE
    assert Document.objects.filter(archive=dong_nai).count() == 3


def test_a_scan_stored_in_both_archives_blocks_the_merger(holdings, tuyen_quang, dong_nai):
    content = default_storage.open(holdings["scans"][0].file.name).read()
    target_file = RecordFileFactory(series=SeriesFactory(fonds=Fonds.objects.get(archive=dong_nai)))
    DigitalObjectFactory(document=DocumentFactory(file=target_file), content=content)
    run = merger.plan_merge([tuyen_quang], dong_nai)

    assert run.report["blocking"] == 1
    with pytest.raises(merger.MergeError, match="đã có trong LT75"):
        merger.execute(run)
    assert not Archive.objects.get(pk=tuyen_quang.pk).is_frozen
    assert Fonds.objects.filter(archive=tuyen_quang).count() == 2


def test_command_dry_run_writes_csv_and_pdf(holdings, tmp_path, capsys):
    call_command(
        "merge_archives", "--from", "tuyen-quang", "--into", "LT75", "--dry-run", "--report", tmp_path
    )
    out = capsys.readouterr().out
    assert "Mã phông “P01” đã có ở LT75" in out
    assert "Chạy thử: chưa chuyển gì" in out
    [csv_path] = tmp_path.glob("*.csv")
    text = csv_path.read_bytes().decode("utf-8-sig")
    assert "LT08.P01,P01-LT08,UBND huyện Na Hang" in text
    [pdf_path] = tmp_path.glob("*.pdf")
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF") and b"DejaVu" in pdf
    assert Fonds.objects.filter(archive__code="LT08").count() == 2


def test_command_runs_and_resume_says_when_nothing_is_left(holdings, capsys):
    call_command("merge_archives", "--from", "LT08", "--into", "dong-nai", "--until", "31/12/2025")
    out = capsys.readouterr().out
    assert "Hoàn thành đợt hợp nhất" in out
    assert Document.objects.filter(archive__code="LT75").count() == 3
    with pytest.raises(CommandError, match="Không có đợt hợp nhất nào vào LT75 đang dở"):
        call_command("merge_archives", "--into", "LT75", "--resume")


def test_command_refuses_bad_input(holdings):
    with pytest.raises(CommandError, match="“LT99”"):
        call_command("merge_archives", "--from", "LT99", "--into", "LT75")
    with pytest.raises(CommandError, match="vừa là bên giao vừa là bên nhận"):
        call_command("merge_archives", "--from", "LT75", "--into", "LT75")
    with pytest.raises(CommandError, match="DD/MM/YYYY"):
        call_command("merge_archives", "--from", "LT08", "--into", "LT75", "--until", "2025-12-31")
    assert Fonds.objects.filter(archive__code="LT08").count() == 2


def test_search_by_an_old_code_finds_the_moved_record(
    client, holdings, tuyen_quang, dong_nai, django_capture_on_commit_callbacks
):
    old_code = holdings["file"].reference_code
    with django_capture_on_commit_callbacks(execute=True):  # the moved rows are re-indexed on commit
        merger.execute(merger.plan_merge([tuyen_quang], dong_nai))

    for code in (old_code, "LT75.P01-LT08.2019.07.01"):  # the new code is found once re-indexed
        results = client.get("/api/v1/search", {"q": code}).json()["results"]
        assert "LT75.P01-LT08.2019.07.01" in [result["reference_code"] for result in results]


def test_a_new_code_held_as_a_former_code_in_the_destination_blocks_the_merger(
    holdings, tuyen_quang, dong_nai
):
    from django.contrib.contenttypes.models import ContentType

    ReferenceAlias.objects.create(
        code="LT75.P01-LT08.2019.07.01",
        content_type=ContentType.objects.get_for_model(Fonds),
        object_id=Fonds.objects.get(archive=dong_nai).pk,
        archive=dong_nai,
        reason=AliasReason.RECODED,
    )
    run = merger.plan_merge([tuyen_quang], dong_nai)

    conflicts = [c for c in run.report["sources"][0]["conflicts"] if c["blocking"]]
    assert [(c["code"], c["proposed"]) for c in conflicts] == [
        ("LT08.P01.2019.07.01", "LT75.P01-LT08.2019.07.01")
    ]
    with pytest.raises(merger.MergeError, match="LT75.P01-LT08.2019.07.01"):
        merger.execute(run)


def test_a_run_whose_holdings_changed_since_the_dry_run_moves_and_verifies_what_is_there_now(
    holdings, tuyen_quang, dong_nai
):
    run = merger.plan_merge([tuyen_quang], dong_nai)
    added = DocumentFactory(file=holdings["file"], ordinal=3)

    assert merger.freeze_run(run) is True
    assert run.status == MergeStatus.FROZEN
    assert run.report["totals"]["documents"] == 4
    run = merger.execute(run)

    assert run.status == MergeStatus.DONE, run.message
    assert Document.objects.get(pk=added.pk).archive == dong_nai


def test_a_moved_fonds_takes_its_digitization_plan_to_the_merged_archive(holdings, tuyen_quang, dong_nai):
    plan = DigitizationPlan.objects.create(archive=tuyen_quang, fonds=holdings["fonds"], pages_planned=500)

    merger.execute(merger.plan_merge([tuyen_quang], dong_nai))

    plan.refresh_from_db()
    assert plan.archive == dong_nai
    assert [row.plan for row in archive_progress(dong_nai).rows if row.plan is not None] == [plan]
    assert all(row.plan is None for row in archive_progress(tuyen_quang).rows)
