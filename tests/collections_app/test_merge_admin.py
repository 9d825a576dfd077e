"""The merger in the admin, step by step, over HTTP: dry run report, downloads, freeze, run, resume."""

import json
import re

import pytest
from django.urls import reverse

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.models import (
    Archive,
    Category,
    Document,
    MergeRun,
    MergeStatus,
    OpeningRule,
    RecordFile,
    Role,
)
from collections_app.transfers import merger

pytestmark = pytest.mark.django_db


@pytest.fixture
def holdings(tuyen_quang, dong_nai):
    FondsFactory(archive=dong_nai, code="P01", creator_code="")
    for code in ("P01", "P02"):
        fonds = FondsFactory(archive=tuyen_quang, code=code, creator_code="")
        file = RecordFileFactory(series=SeriesFactory(fonds=fonds, number="01"), file_number="03")
        DigitalObjectFactory(
            document=DocumentFactory(file=file, ordinal=1),
            content=samples.png_page(dpi=40 + 10 * len(code)) + code.encode(),
        )


@pytest.fixture
def leader(dong_nai):
    return staff_user(dong_nai, Role.LEADER)


def text(response):
    return response.content.decode()


def menu_labels(client):
    """The labels of the admin sidebar menu (Wagtail renders it from JSON props)."""
    page = text(client.get(reverse("wagtailadmin_home")))
    return {json.loads(f'"{label}"') for label in re.findall(r'"label": "((?:[^"\\]|\\.)*)"', page)}


def start_run(client, tuyen_quang, dong_nai):
    response = client.post(reverse("merges:new"), {"into": dong_nai.pk, "sources": [tuyen_quang.pk]})
    assert response.status_code == 302, text(response)
    return MergeRun.objects.get()


def test_leader_goes_through_dry_run_freeze_and_run(client, holdings, leader, tuyen_quang, dong_nai):
    client.force_login(leader)
    assert "Hợp nhất kho lưu trữ" in menu_labels(client)
    assert client.get(reverse("merges:new")).status_code == 200
    run = start_run(client, tuyen_quang, dong_nai)

    page = text(client.get(reverse("merges:run", args=[run.pk])))
    assert "Mã phông “P01” đã có ở LT75" in page
    assert "Khoanh giữ tài liệu" in page and "Bắt đầu chuyển" not in page
    csv = client.get(reverse("merges:csv", args=[run.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    assert "LT08.P01,P01-LT08" in csv.content.decode("utf-8-sig")
    pdf = client.get(reverse("merges:pdf", args=[run.pk]))
    assert pdf.content.startswith(b"%PDF")

    response = client.post(
        reverse("merges:freeze", args=[run.pk]),
        {"until": "2099-12-31", "reason": "Hợp nhất tỉnh"},
        follow=True,
    )
    assert "Đã khoanh giữ" in text(response)
    archive = Archive.objects.get(pk=tuyen_quang.pk)
    assert archive.is_frozen and archive.freeze_reason == "Hợp nhất tỉnh"
    archivist = staff_user(tuyen_quang, Role.ARCHIVIST)
    client.force_login(archivist)
    assert "31/12/2099" in text(client.get(reverse("wagtailadmin_home")))

    client.force_login(leader)
    response = client.post(reverse("merges:start", args=[run.pk]), follow=True)
    assert "Đã hợp nhất xong" in text(response)
    assert "trước và sau khi chuyển trùng khớp" in text(response)
    assert MergeRun.objects.get().status == MergeStatus.DONE
    assert Document.objects.filter(archive=dong_nai).count() == 2
    assert not Archive.objects.get(pk=tuyen_quang.pk).is_frozen


def test_an_interrupted_run_is_resumed_from_the_admin(client, holdings, leader, tuyen_quang, dong_nai):
    client.force_login(leader)
    run = start_run(client, tuyen_quang, dong_nai)
    merger.freeze_run(run)
    merger.move_fonds(run, run.steps.order_by("pk").first())
    MergeRun.objects.filter(pk=run.pk).update(status=MergeStatus.INTERRUPTED, message="Mất điện")

    page = text(client.get(reverse("merges:run", args=[run.pk])))
    assert "1/2 phông đã chuyển" in page and "Chạy tiếp" in page
    response = client.post(reverse("merges:resume", args=[run.pk]), follow=True)
    assert "Đã hợp nhất xong" in text(response)
    assert Document.objects.filter(archive=dong_nai).count() == 2
    assert Document.objects.values("reference_code").distinct().count() == 2


def test_blocking_conflicts_keep_the_freeze_button_away(client, holdings, leader, tuyen_quang, dong_nai):
    client.force_login(leader)
    fonds = FondsFactory(archive=dong_nai, code="P09", creator_code="")
    clash = RecordFileFactory(series=SeriesFactory(fonds=fonds, number="01"), file_number="03")
    clash.creator_code = "P02"  # gives it the code a moved file will have: P02.2019.03.01
    clash.save()
    run = start_run(client, tuyen_quang, dong_nai)
    page = text(client.get(reverse("merges:run", args=[run.pk])))
    assert "xung đột phải xử lý trước khi hợp nhất" in page
    assert "P02.2019.03.01" in page
    assert "Khoanh giữ tài liệu" not in page
    response = client.post(reverse("merges:freeze", args=[run.pk]), {"until": "", "reason": ""}, follow=True)
    assert "Chưa thể hợp nhất" in text(response)
    assert not Archive.objects.get(pk=tuyen_quang.pk).is_frozen


def test_only_leaders_of_the_destination_and_national_admins(client, holdings, tuyen_quang, dong_nai):
    client.force_login(staff_user(dong_nai, Role.ARCHIVIST))
    assert client.get(reverse("merges:index")).status_code in (302, 403)
    run = merger.plan_merge([tuyen_quang], dong_nai)
    client.force_login(staff_user(tuyen_quang, Role.LEADER))
    assert client.get(reverse("merges:run", args=[run.pk])).status_code in (302, 403)
    response = client.post(reverse("merges:new"), {"into": dong_nai.pk, "sources": [tuyen_quang.pk]})
    assert response.status_code == 200 and "into" in response.context["form"].errors


def test_the_dry_run_runs_in_the_background_and_the_page_follows_it(
    client, holdings, leader, tuyen_quang, dong_nai, queued_tasks
):
    client.force_login(leader)
    response = client.post(
        reverse("merges:new"), {"into": dong_nai.pk, "sources": [tuyen_quang.pk]}, follow=True
    )
    run = MergeRun.objects.get()
    assert run.status == MergeStatus.PLANNING and not run.steps.exists()
    page = text(response)
    assert "Đang chạy thử: kiểm kê và băm lại mọi tệp" in page
    assert 'http-equiv="refresh"' in page
    assert reverse("merges:csv", args=[run.pk]) not in page and "Khoanh giữ tài liệu" not in page
    assert "phông đã chuyển" not in page
    refused = client.get(reverse("merges:csv", args=[run.pk]), follow=True)
    assert "chưa có báo cáo chạy thử" in text(refused)

    queued_tasks.run()

    page = text(client.get(reverse("merges:run", args=[run.pk])))
    assert "Mã phông “P01” đã có ở LT75" in page
    assert "Khoanh giữ tài liệu" in page and 'http-equiv="refresh"' not in page
    assert run.steps.count() == 2


def test_a_dry_run_cancelled_while_under_way_stays_cancelled(
    client, holdings, leader, tuyen_quang, dong_nai, queued_tasks
):
    client.force_login(leader)
    run = start_run(client, tuyen_quang, dong_nai)
    response = client.post(reverse("merges:cancel", args=[run.pk]), follow=True)
    assert "Đã hủy đợt hợp nhất" in text(response)

    queued_tasks.run()

    run.refresh_from_db()
    assert run.status == MergeStatus.CANCELLED and not run.steps.exists()


def test_a_failed_dry_run_says_what_happened(client, holdings, leader, tuyen_quang, dong_nai, monkeypatch):
    def unreadable_storage(sources, into):
        raise OSError("kho tệp không phản hồi")

    monkeypatch.setattr(merger, "build_report", unreadable_storage)
    client.force_login(leader)
    response = client.post(
        reverse("merges:new"), {"into": dong_nai.pk, "sources": [tuyen_quang.pk]}, follow=True
    )
    page = text(response)
    assert "Chạy thử bị lỗi (kho tệp không phản hồi). Hãy chạy thử lại" in page
    assert "Chạy thử không thành" in page and "Khoanh giữ tài liệu" not in page
    assert MergeRun.objects.get().status == MergeStatus.PLAN_FAILED
    again = client.post(reverse("merges:new"), {"into": dong_nai.pk, "sources": [tuyen_quang.pk]})
    assert again.status_code == 302  # a failed dry run blocks nothing


def test_a_freeze_refused_after_taking_stock_again_leaves_the_former_archive_editable(
    client, holdings, leader, tuyen_quang, dong_nai
):
    client.force_login(leader)
    run = start_run(client, tuyen_quang, dong_nai)
    # After the dry run: the former archive gets a document, the destination a file whose code clashes.
    DocumentFactory(file=RecordFile.objects.filter(archive=tuyen_quang).first(), ordinal=2)
    fonds = FondsFactory(archive=dong_nai, code="P09", creator_code="")
    clash = RecordFileFactory(series=SeriesFactory(fonds=fonds, number="01"), file_number="03")
    clash.creator_code = "P02"
    clash.save()

    response = client.post(reverse("merges:freeze", args=[run.pk]), {"until": "", "reason": ""}, follow=True)

    assert "Chưa thể hợp nhất" in text(response)
    assert "P02.2019.03.01" in text(response)
    assert not Archive.objects.get(pk=tuyen_quang.pk).is_frozen
    assert MergeRun.objects.get().status == MergeStatus.PLANNED


def freeze_after_a_change(client, tuyen_quang, dong_nai, queued_tasks):
    """A dry run done by the worker, a document added to the former archive, then the freeze."""
    run = start_run(client, tuyen_quang, dong_nai)
    queued_tasks.run()
    DocumentFactory(file=RecordFile.objects.filter(archive=tuyen_quang).first(), ordinal=2)
    response = client.post(reverse("merges:freeze", args=[run.pk]), {"until": "", "reason": ""}, follow=True)
    return run, response


def test_a_freeze_after_holdings_changed_takes_stock_again_in_the_background(
    client, holdings, leader, tuyen_quang, dong_nai, queued_tasks
):
    client.force_login(leader)
    run, response = freeze_after_a_change(client, tuyen_quang, dong_nai, queued_tasks)

    page = text(response)
    assert "đã khoanh giữ và đang kiểm kê lại" in page and 'http-equiv="refresh"' in page
    assert Archive.objects.get(pk=tuyen_quang.pk).is_frozen
    assert MergeRun.objects.get().status == MergeStatus.PLANNING
    queued_tasks.run()
    page = text(client.get(reverse("merges:run", args=[run.pk])))
    assert "Bắt đầu chuyển" in page
    run.refresh_from_db()
    assert run.status == MergeStatus.FROZEN
    assert sum(row["counts"]["documents"] for row in run.report["sources"][0]["fonds"]) == 3


def test_cancelling_while_a_freeze_takes_stock_again_unfreezes_the_former_archive(
    client, holdings, leader, tuyen_quang, dong_nai, queued_tasks
):
    client.force_login(leader)
    run, _response = freeze_after_a_change(client, tuyen_quang, dong_nai, queued_tasks)

    client.post(reverse("merges:cancel", args=[run.pk]))
    queued_tasks.run()

    assert MergeRun.objects.get().status == MergeStatus.CANCELLED
    assert not Archive.objects.get(pk=tuyen_quang.pk).is_frozen


def test_the_dry_run_names_the_restricted_records_the_destinations_rules_would_open_on_another_day(
    client, holdings, leader, tuyen_quang, dong_nai
):
    land = Category.objects.get(slug="dat-dai")
    record_file = RecordFile.objects.filter(archive=tuyen_quang).first()
    sooner = DocumentFactory(file=record_file, ordinal=5, access_regime="02")
    sooner.categories.add(land)
    later = DocumentFactory(file=record_file, ordinal=6, access_regime="02")
    year = sooner.issued_year
    OpeningRule.objects.create(name="TQ: 40 năm", archive=tuyen_quang, basis="years_after_end", years=40)
    OpeningRule.objects.create(
        name="ĐN: đất đai 10 năm", archive=dong_nai, basis="years_after_end", years=10, category=land
    )
    client.force_login(leader)

    run = start_run(client, tuyen_quang, dong_nai)

    page = text(client.get(reverse("merges:run", args=[run.pk])))
    assert "1 tài liệu sẽ mở sớm hơn, 1 tài liệu sẽ mở muộn hơn hoặc không tự mở" in page
    change = f"{sooner.reference_code}: 01/01/{year + 40} → 01/01/{year + 10}"
    assert f"Mở sớm hơn:</strong> {change}" in page
    assert f"{later.reference_code}: 01/01/{later.issued_year + 40} → không tự mở" in page
    csv = client.get(reverse("merges:csv", args=[run.pk])).content.decode("utf-8-sig")
    assert f"Mở tài liệu,LT08,{sooner.reference_code},,{change}" in csv
    assert client.get(reverse("merges:pdf", args=[run.pk])).content.startswith(b"%PDF")
