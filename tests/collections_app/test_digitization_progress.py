"""Digitization progress: pages planned, scanned, checked and read, per fonds and per archive."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    ScanPageFactory,
    SeriesFactory,
    UserFactory,
    staff_user,
)
from collections_app.ingest import digitization, samples
from collections_app.models import (
    NATIONAL_DIGITIZATION_DEADLINE,
    BatchStatus,
    Category,
    DigitizationBatch,
    DigitizationPlan,
    ProcessingState,
    QualityCheck,
    Role,
)

pytestmark = pytest.mark.django_db


def scan_of(record, pages, state=ProcessingState.QUEUED, **page_fields):
    """A real (tiny) PNG scan attached to a document or a file, with ``pages`` page rows."""
    is_document = record._meta.model_name == "document"
    scan = DigitalObjectFactory(
        document=record if is_document else None,
        record_file=None if is_document else record,
        content=samples.png_page(text=f"Bản quét {record.reference_code}", dpi=20),
        state=state,
        ocr_finished_at=timezone.now() if state == ProcessingState.DONE else None,
    )
    for number, fields in enumerate(pages, start=1):
        ScanPageFactory(digital_object=scan, number=number, **{**page_fields, **fields})
    return scan


PASSED = {"qc_status": QualityCheck.PASSED}
REJECTED = {"qc_status": QualityCheck.REJECTED, "qc_note": "Ảnh mờ"}
NO_TEXT = {"text": "", "ocr_confidence": None}


def plan_for(fonds, pages, deadline, started_days_ago=0):
    plan = DigitizationPlan.objects.create(
        archive=fonds.archive, fonds=fonds, pages_planned=pages, deadline=deadline
    )
    started = timezone.now() - datetime.timedelta(days=started_days_ago)
    DigitizationPlan.objects.filter(pk=plan.pk).update(created_at=started)
    plan.refresh_from_db()
    return plan


@pytest.fixture
def tree(tuyen_quang, dong_nai):
    """Two fonds in Tuyên Quang (one late by date), one in Đồng Nai; land and investment records."""
    land = Category.objects.get(slug="dat-dai")
    investment = Category.objects.get(slug="du-an-dau-tu")
    today = timezone.localdate()

    fonds = FondsFactory(archive=tuyen_quang, code="UBNDTQ", name="Ủy ban nhân dân tỉnh Tuyên Quang")
    series = SeriesFactory(fonds=fonds)
    land_file = RecordFileFactory(series=series, page_count=4, title="Hồ sơ giao đất xã Mỹ Bằng")
    land_file.categories.add(land)
    land_document = DocumentFactory(file=land_file, page_count=3)
    inner_document = DocumentFactory(file=land_file, page_count=5)
    inner_document.categories.add(land)  # already counted with its file
    plain_file = RecordFileFactory(series=series, page_count=9)
    investment_document = DocumentFactory(file=plain_file, page_count=2)
    investment_document.categories.add(investment)

    land_scan = scan_of(land_document, [PASSED, PASSED, REJECTED])
    file_scan = scan_of(plain_file, [NO_TEXT, NO_TEXT])
    investment_scan = scan_of(investment_document, [NO_TEXT], state=ProcessingState.DONE)

    # 6 pages scanned in 30 days: 0.2 a day, 10 days left, 10 planned → only 8 by the deadline.
    plan = plan_for(fonds, 10, today + datetime.timedelta(days=10), started_days_ago=30)

    late_fonds = FondsFactory(archive=tuyen_quang, code="SOTNMT", name="Sở Tài nguyên và Môi trường")
    late_plan = plan_for(late_fonds, 500, datetime.date(2026, 1, 15), started_days_ago=400)

    idle_fonds = FondsFactory(archive=tuyen_quang, code="CHIKHAC", name="Chi cục khác")

    other_fonds = FondsFactory(archive=dong_nai, code="UBNDDN")
    other_document = DocumentFactory(file=RecordFileFactory(series=SeriesFactory(fonds=other_fonds)))
    scan_of(other_document, [PASSED, PASSED])

    return {
        "fonds": fonds,
        "plan": plan,
        "late_fonds": late_fonds,
        "late_plan": late_plan,
        "idle_fonds": idle_fonds,
        "other_fonds": other_fonds,
        "land_scan": land_scan,
        "file_scan": file_scan,
        "investment_scan": investment_scan,
    }


def test_fonds_figures_count_pages_through_documents_and_files(tree):
    progress = digitization.fonds_progress(tree["fonds"])

    total = progress.total
    assert (total.planned, total.scanned, total.passed, total.rejected) == (10, 6, 2, 1)
    # Three pages carry text; the page of the finished scan counts as read although it is blank.
    assert total.ocrd == 4
    assert total.rescan_objects == 1
    assert (total.scanned_percent, total.passed_percent, total.ocrd_percent) == (60.0, 20.0, 40.0)


def test_land_and_investment_records_are_counted_apart(tree):
    progress = digitization.fonds_progress(tree["fonds"])

    land, investment = progress.land, progress.investment
    # The land file's 4 described pages; its land-tagged document is not counted a second time.
    assert (land.planned, land.records) == (4, 1)
    assert (land.scanned, land.passed, land.rejected, land.ocrd) == (3, 2, 1, 3)
    # Only the tagged document's own scan; the untagged file's scan is not investment.
    assert (investment.planned, investment.records) == (2, 1)
    assert (investment.scanned, investment.passed, investment.ocrd) == (1, 0, 1)


def test_archive_figures_cover_its_own_fonds_only(tree, tuyen_quang, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        progress = digitization.archive_progress(tuyen_quang)

    assert [row.fonds.code for row in progress.rows] == ["SOTNMT", "UBNDTQ"]
    assert (progress.total.planned, progress.total.scanned, progress.total.passed) == (510, 6, 2)
    assert progress.land.scanned == 3
    assert progress.investment.scanned == 1
    assert progress.unplanned_fonds == 1
    assert {row.fonds.code for row in progress.late_rows} == {"SOTNMT", "UBNDTQ"}


def test_query_count_does_not_grow_with_pages(tree, tuyen_quang, django_assert_max_num_queries):
    for _extra in range(3):
        scan_of(DocumentFactory(file=RecordFileFactory(series=SeriesFactory(fonds=tree["fonds"]))), [{}] * 4)
    with django_assert_max_num_queries(8):
        progress = digitization.archive_progress(tuyen_quang)
    assert progress.total.scanned == 18


def test_late_by_date_and_by_projection(tree):
    today = timezone.localdate()
    projected = digitization.fonds_progress(tree["fonds"], today=today).schedule
    assert projected.status == digitization.ScheduleStatus.PROJECTED_LATE
    assert (projected.pace, projected.projected) == (0.2, 8)

    overdue = digitization.fonds_progress(tree["late_fonds"], today=today).schedule
    assert overdue.status == digitization.ScheduleStatus.OVERDUE
    assert overdue.days_overdue == (today - datetime.date(2026, 1, 15)).days


def test_on_track_complete_and_too_early(tree):
    plan = tree["plan"]
    today = timezone.localdate()
    figures = digitization.Figures(scanned=6, passed=2)

    plan.deadline = today + datetime.timedelta(days=30)  # 6 + 0.2 × 30 = 12 ≥ 10
    assert digitization.assess_schedule(plan, figures, today).status == digitization.ScheduleStatus.ON_TRACK

    done = digitization.Figures(scanned=10, passed=10)
    plan.deadline = today - datetime.timedelta(days=3)
    assert digitization.assess_schedule(plan, done, today).status == digitization.ScheduleStatus.COMPLETE

    plan.deadline = today + datetime.timedelta(days=30)
    plan.created_at = timezone.now() - datetime.timedelta(days=2)
    assert digitization.assess_schedule(plan, figures, today).status == digitization.ScheduleStatus.TOO_EARLY


def test_batches_waiting_too_long_for_qc(tree, settings):
    plan = tree["plan"]
    now = timezone.now()
    old = DigitizationBatch.objects.create(
        plan=plan, name="Lô 01", status=BatchStatus.IN_QC, submitted_at=now - datetime.timedelta(days=9)
    )
    recent = DigitizationBatch.objects.create(
        plan=plan, name="Lô 02", status=BatchStatus.IN_QC, submitted_at=now - datetime.timedelta(days=2)
    )
    DigitizationBatch.objects.create(
        plan=plan, name="Lô 03", status=BatchStatus.ACCEPTED, submitted_at=now - datetime.timedelta(days=30)
    )

    assert list(digitization.waiting_batches(plan.batches.all())) == [old]
    settings.DIGITIZATION_QC_WAIT_DAYS = 1
    assert set(digitization.waiting_batches(plan.batches.all())) == {old, recent}


# Over HTTP ------------------------------------------------------------------------------------------------


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_archive_progress_page(client, tree, tuyen_quang):
    DigitizationBatch.objects.create(
        plan=tree["plan"],
        name="Lô chờ lâu",
        status=BatchStatus.IN_QC,
        submitted_at=timezone.now() - datetime.timedelta(days=20),
    )
    client.force_login(staff_user(tuyen_quang, Role.READING_ROOM, username="phongdoc.tq"))

    response = client.get(reverse("digitization:progress_archive", args=[tuyen_quang.pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert "UBNDTQ – Ủy ban nhân dân tỉnh Tuyên Quang" in page
    assert "UBNDDN" not in page
    assert "6 (60,0 %)" in page  # scanned of 10 planned
    assert "Cần quét lại: 1 trang (1 bản quét)" in page
    assert "Đất đai" in page and "Dự án đầu tư" in page
    assert "Dự kiến trễ" in page and "Trễ hạn" in page
    assert "Lô chờ lâu" in page and "1 lô chờ kiểm tra quá lâu" in page
    assert "tốc độ quét trung bình từ ngày lập kế hoạch" in page  # the rule that flags it is stated
    days = (NATIONAL_DIGITIZATION_DEADLINE - timezone.localdate()).days
    expected = f"còn {days} ngày" if days >= 0 else f"đã quá hạn {-days} ngày"
    assert expected in page
    assert "1 phông chưa có kế hoạch số hóa" in page


def test_fonds_progress_page_lists_scans_to_rescan(client, tree, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq"))

    response = client.get(reverse("digitization:progress_fonds", args=[tree["fonds"].pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert tree["land_scan"].original_name in page
    assert "cần quét lại (1 trang)" in page
    assert tree["file_scan"].original_name not in page.split("Bản quét cần quét lại")[1]
    assert "Kế hoạch: 10 trang" in page


def test_fonds_without_plan_offers_to_make_one(client, tree, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq"))
    response = client.get(reverse("digitization:progress_fonds", args=[tree["idle_fonds"].pk]))
    assert "Phông chưa có kế hoạch số hóa." in text_of(response)
    assert f"{reverse('digitization:add')}?fonds={tree['idle_fonds'].pk}" in response.content.decode()


def test_other_archives_staff_cannot_see_progress(client, tree, tuyen_quang, dong_nai):
    client.force_login(staff_user(dong_nai, Role.LEADER, username="lanhdao.dn"))

    for url in (
        reverse("digitization:progress_archive", args=[tuyen_quang.pk]),
        reverse("digitization:progress_fonds", args=[tree["fonds"].pk]),
    ):
        assert client.get(url).status_code == 404

    response = client.get(reverse("digitization:progress"))
    assert response.status_code == 302
    assert response["Location"] == reverse("digitization:progress_archive", args=[dong_nai.pk])


def test_national_admin_sees_every_archive(client, tree, tuyen_quang, dong_nai):
    client.force_login(UserFactory(username="quantri", is_superuser=True))

    response = client.get(reverse("digitization:progress"))

    page = text_of(response)
    assert tuyen_quang.name in page and dong_nai.name in page
    assert "2 phông trễ tiến độ" in page


def test_dashboard_panel_and_menu(client, tree, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq"))

    response = client.get(reverse("wagtailadmin_home"))

    page = text_of(response)
    assert "Tiến độ số hóa" in page
    assert reverse("digitization:progress_archive", args=[tuyen_quang.pk]) in page
    assert "2 phông trễ tiến độ" in page


def test_fonds_inspect_page_links_to_progress(client, tree, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq"))
    response = client.get(reverse("fonds:inspect", args=[tree["fonds"].pk]))
    assert reverse("digitization:progress_fonds", args=[tree["fonds"].pk]) in response.content.decode()
