"""Digitization plans and batches in the admin, and the page-by-page quality check, over HTTP."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from wagtail.models import ModelLogEntry

from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    ScanPageFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.models import (
    BatchStatus,
    Category,
    DigitalObject,
    DigitizationBatch,
    DigitizationPlan,
    QualityCheck,
    Role,
    ScanPage,
)

pytestmark = pytest.mark.django_db


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


def scan_with_pages(document, count):
    """A stored PNG scan of ``document`` with ``count`` pages, each with its own stored page image."""
    scan = DigitalObjectFactory(
        document=document, content=samples.png_page(text=f"Bản quét {document.reference_code}", dpi=20)
    )
    for number in range(1, count + 1):
        name = default_storage.save(
            f"{scan.storage_prefix}/pages/{number:04d}.png",
            ContentFile(samples.png_page(text=f"Trang {number} của {document.title}", dpi=30)),
        )
        ScanPageFactory(digital_object=scan, number=number, image=name)
    return scan


@pytest.fixture
def archivist(tuyen_quang):
    return staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq")


@pytest.fixture
def fonds(tuyen_quang):
    return FondsFactory(archive=tuyen_quang, code="UBNDTQ")


@pytest.fixture
def plan(fonds):
    return DigitizationPlan.objects.create(archive=fonds.archive, fonds=fonds, pages_planned=3)


@pytest.fixture
def scans(fonds):
    series = SeriesFactory(fonds=fonds)
    return [
        scan_with_pages(DocumentFactory(file=RecordFileFactory(series=series)), 2),
        scan_with_pages(DocumentFactory(file=RecordFileFactory(series=series)), 1),
    ]


@pytest.fixture
def batch_in_qc(plan, scans):
    batch = DigitizationBatch.objects.create(plan=plan, name="Lô 01")
    DigitalObject.objects.filter(pk__in=[scan.pk for scan in scans]).update(batch=batch)
    batch.status = BatchStatus.IN_QC
    batch.save()
    return batch


def pages_of(batch):
    return list(ScanPage.objects.filter(digital_object__batch=batch).order_by("digital_object_id", "number"))


# Plans ------------------------------------------------------------------------------------------------------


def test_plan_form_offers_only_own_archives_fonds(client, archivist, fonds, dong_nai):
    other = FondsFactory(archive=dong_nai, code="UBNDDN")
    client.force_login(archivist)

    page = client.get(reverse("digitization:add")).content.decode()
    assert "UBNDTQ" in page and "UBNDDN" not in page

    response = client.post(
        reverse("digitization:add"), {"fonds": other.pk, "pages_planned": 100, "deadline": "2026-12-31"}
    )
    assert response.status_code == 200
    assert "không thuộc cơ quan lưu trữ bạn phụ trách" in str(response.context["form"].errors)
    assert not DigitizationPlan.objects.exists()


def test_archivist_makes_a_plan(client, archivist, fonds, tuyen_quang):
    client.force_login(archivist)
    land = Category.objects.get(slug="dat-dai")

    response = client.post(
        reverse("digitization:add"),
        {
            "fonds": fonds.pk,
            "pages_planned": 1200,
            "deadline": "2026-10-31",
            "priority_categories": [land.pk],
        },
    )

    plan = DigitizationPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("digitization:inspect", args=[plan.pk])
    assert (plan.archive, plan.pages_planned, str(plan.deadline)) == (tuyen_quang, 1200, "2026-10-31")
    assert list(plan.priority_categories.all()) == [land]
    hub = text_of(client.get(response["Location"]))
    assert "Lập lô mới" in hub and "Chưa có lô nào." in hub


def test_plan_needs_pages_and_one_per_fonds(client, archivist, plan, fonds):
    client.force_login(archivist)
    second = FondsFactory(archive=fonds.archive, code="SOXD")

    response = client.post(
        reverse("digitization:add"), {"fonds": second.pk, "pages_planned": 0, "deadline": "2026-12-31"}
    )
    assert "Số trang cần số hóa phải lớn hơn 0" in str(response.context["form"].errors)

    response = client.post(
        reverse("digitization:add"), {"fonds": fonds.pk, "pages_planned": 50, "deadline": "2026-12-31"}
    )
    assert "đã có kế hoạch số hóa" in str(response.context["form"].errors)
    assert DigitizationPlan.objects.count() == 1


def test_plan_with_batches_is_not_deleted(client, archivist, batch_in_qc):
    client.force_login(archivist)
    plan = batch_in_qc.plan

    response = client.post(reverse("digitization:delete", args=[plan.pk]), follow=True)

    assert DigitizationPlan.objects.filter(pk=plan.pk).exists()
    assert any("đã có lô số hóa" in message for message in messages_of(response))


# Batches ----------------------------------------------------------------------------------------------------


def test_batch_is_made_filled_and_sent_to_qc(client, archivist, plan, scans):
    client.force_login(archivist)

    response = client.post(
        reverse("digitization:batch_add", args=[plan.pk]), {"name": "Lô 01 – 15/03/2026", "ocr_mode": "redo"}
    )
    batch = DigitizationBatch.objects.get()
    assert response["Location"] == reverse("digitization:batch", args=[batch.pk])
    assert (batch.status, batch.ocr_mode, batch.created_by) == (BatchStatus.SCANNING, "redo", archivist)

    page = text_of(client.get(response["Location"]))
    assert "Bản quét của phông chưa thuộc lô nào (2)" in page

    empty = client.post(response["Location"], {"action": "submit"}, follow=True)
    assert any("chưa có trang quét nào" in message for message in messages_of(empty))

    client.post(response["Location"], {"action": "assign_selected", "scans": [scans[0].pk]})
    assert list(batch.digital_objects.all()) == [scans[0]]
    client.post(response["Location"], {"action": "assign_all"})
    assert batch.digital_objects.count() == 2

    duplicate = client.post(
        reverse("digitization:batch_add", args=[plan.pk]), {"name": "Lô 01 – 15/03/2026", "ocr_mode": "skip"}
    )
    assert DigitizationBatch.objects.count() == 1
    assert "đã có lô tên" in " ".join(messages_of(client.get(duplicate["Location"])))

    client.post(reverse("digitization:batch", args=[batch.pk]), {"action": "submit"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.IN_QC and batch.submitted_at is not None


def test_qc_screen_shows_the_page_image_through_the_checked_path(client, archivist, batch_in_qc, scans):
    client.force_login(archivist)
    first = pages_of(batch_in_qc)[0]

    response = client.get(reverse("digitization:qc", args=[batch_in_qc.pk]))

    image_url = f"/files/{scans[0].pk}/pages/0001.png"
    assert response.status_code == 200
    assert image_url in response.content.decode()
    assert "Trang 1/3 của lô" in text_of(response)
    assert reverse("page_text:page", args=[first.pk]) in response.content.decode()
    image = client.get(image_url)
    assert image.status_code == 200
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")


def test_rejecting_needs_a_note(client, archivist, batch_in_qc):
    client.force_login(archivist)
    page = pages_of(batch_in_qc)[0]

    response = client.post(
        reverse("digitization:qc", args=[batch_in_qc.pk]),
        {"action": "reject", "page": page.pk, "note": "  "},
        follow=True,
    )

    assert any("Hãy ghi lý do không đạt" in message for message in messages_of(response))
    page.refresh_from_db()
    batch_in_qc.refresh_from_db()
    assert page.qc_status == QualityCheck.PENDING
    assert batch_in_qc.status == BatchStatus.IN_QC


def test_reject_returns_batch_then_rescan_and_accept(client, archivist, batch_in_qc, scans, tuyen_quang):
    client.force_login(archivist)
    qc_url = reverse("digitization:qc", args=[batch_in_qc.pk])
    first, second, third = pages_of(batch_in_qc)

    client.post(qc_url, {"action": "pass", "page": first.pk})
    response = client.post(qc_url, {"action": "reject", "page": second.pk, "note": "Ảnh mờ, mất mép phải"})
    assert response["Location"] == f"{qc_url}?page={third.pk}"

    second.refresh_from_db()
    batch_in_qc.refresh_from_db()
    assert (second.qc_status, second.qc_note, second.qc_by) == (
        QualityCheck.REJECTED,
        "Ảnh mờ, mất mép phải",
        archivist,
    )
    assert second.qc_at is not None
    assert batch_in_qc.status == BatchStatus.RETURNED
    progress = text_of(client.get(reverse("digitization:progress_fonds", args=[batch_in_qc.plan.fonds_id])))
    assert "cần quét lại (1 trang)" in progress and scans[0].original_name in progress

    client.post(qc_url, {"action": "pass", "page": third.pk})
    client.post(reverse("digitization:batch", args=[batch_in_qc.pk]), {"action": "submit"})
    second.refresh_from_db()
    batch_in_qc.refresh_from_db()
    assert second.qc_status == QualityCheck.PENDING
    assert batch_in_qc.status == BatchStatus.IN_QC

    response = client.post(qc_url, {"action": "pass", "page": second.pk}, follow=True)
    batch_in_qc.refresh_from_db()
    assert batch_in_qc.status == BatchStatus.ACCEPTED and batch_in_qc.checked_at is not None
    assert any("đã được nghiệm thu" in message for message in messages_of(response))

    actions = list(
        ModelLogEntry.objects.for_instance(batch_in_qc)
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "collections_app.digitization.qc_pass",
        "collections_app.digitization.qc_reject",
        "collections_app.digitization.return",
        "collections_app.digitization.qc_pass",
        "collections_app.digitization.submit",
        "collections_app.digitization.qc_pass",
        "collections_app.digitization.accept",
    ]
    batch_page = text_of(client.get(reverse("digitization:batch", args=[batch_in_qc.pk])))
    assert "không đạt – Ảnh mờ, mất mép phải" in batch_page
    assert "Đã nghiệm thu" in batch_page


def test_pass_all_remaining_accepts_the_batch(client, archivist, batch_in_qc):
    client.force_login(archivist)

    client.post(reverse("digitization:qc", args=[batch_in_qc.pk]), {"action": "pass_remaining"})

    batch_in_qc.refresh_from_db()
    assert batch_in_qc.status == BatchStatus.ACCEPTED
    assert {(page.qc_status, page.qc_by_id) for page in pages_of(batch_in_qc)} == {
        (QualityCheck.PASSED, archivist.pk)
    }
    entry = ModelLogEntry.objects.for_instance(batch_in_qc).get(
        action="collections_app.digitization.qc_pass_remaining"
    )
    assert entry.data == {"count": 3} and entry.user == archivist


def test_no_qc_before_the_batch_is_sent(client, archivist, batch_in_qc):
    DigitizationBatch.objects.filter(pk=batch_in_qc.pk).update(status=BatchStatus.SCANNING)
    client.force_login(archivist)
    page = pages_of(batch_in_qc)[0]

    response = client.post(
        reverse("digitization:qc", args=[batch_in_qc.pk]), {"action": "pass", "page": page.pk}, follow=True
    )

    assert any("chưa được gửi kiểm tra" in message for message in messages_of(response))
    page.refresh_from_db()
    assert page.qc_status == QualityCheck.PENDING


# Scoping ----------------------------------------------------------------------------------------------------


def assert_refused(response):
    assert response.status_code in (302, 403, 404), response.status_code
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


def test_other_archives_staff_cannot_see_or_act(client, batch_in_qc, dong_nai):
    client.force_login(staff_user(dong_nai, Role.LEADER, username="lanhdao.dn"))
    plan = batch_in_qc.plan
    page = pages_of(batch_in_qc)[0]

    assert client.get(reverse("digitization:index")).status_code == 200
    assert str(plan.fonds) not in text_of(client.get(reverse("digitization:index")))
    for name, args in (
        ("digitization:inspect", [plan.pk]),
        ("digitization:edit", [plan.pk]),
        ("digitization:delete", [plan.pk]),
        ("digitization:history", [plan.pk]),
        ("digitization:batch", [batch_in_qc.pk]),
        ("digitization:qc", [batch_in_qc.pk]),
        ("digitization:batch_add", [plan.pk]),
    ):
        url = reverse(name, args=args)
        assert client.get(url).status_code == 404, name
        response = client.post(url, {"action": "pass_remaining", "page": page.pk, "name": "Lô X"})
        assert response.status_code == 404, name

    batch_in_qc.refresh_from_db()
    assert batch_in_qc.status == BatchStatus.IN_QC
    assert DigitizationPlan.objects.filter(pk=plan.pk).exists()
    assert DigitizationBatch.objects.count() == 1
    assert not ScanPage.objects.exclude(qc_status=QualityCheck.PENDING).exists()


def test_reading_room_sees_but_does_not_check(client, batch_in_qc, tuyen_quang):
    client.force_login(staff_user(tuyen_quang, Role.READING_ROOM, username="phongdoc.tq"))
    page = pages_of(batch_in_qc)[0]

    response = client.get(reverse("digitization:qc", args=[batch_in_qc.pk]))
    assert response.status_code == 200
    assert 'value="pass"' not in response.content.decode()

    assert_refused(
        client.post(reverse("digitization:qc", args=[batch_in_qc.pk]), {"action": "pass_remaining"})
    )
    assert_refused(
        client.post(reverse("digitization:batch", args=[batch_in_qc.pk]), {"action": "assign_all"})
    )
    assert_refused(client.get(reverse("digitization:edit", args=[batch_in_qc.plan.pk])))
    assert_refused(client.get(reverse("digitization:add")))
    page.refresh_from_db()
    assert page.qc_status == QualityCheck.PENDING


def test_nonsense_input_is_refused_without_error(client, archivist, batch_in_qc):
    client.force_login(archivist)
    qc_url = reverse("digitization:qc", args=[batch_in_qc.pk])

    assert client.post(qc_url, {"action": "pass", "page": "abc"}).status_code == 404
    assert client.post(qc_url, {"action": "pass", "page": "999999"}).status_code == 404
    assert client.post(qc_url, {"action": "dance"}).status_code == 302
    assert client.get(qc_url + "?page=abc").status_code == 200
    batch_url = reverse("digitization:batch", args=[batch_in_qc.pk])
    response = client.post(batch_url, {"action": "assign_selected", "scans": ["x", ""]}, follow=True)
    assert any("Chưa chọn bản quét nào" in message for message in messages_of(response))
    long_note = client.post(
        qc_url, {"action": "reject", "page": pages_of(batch_in_qc)[0].pk, "note": "x" * 600}
    )
    assert long_note.status_code == 302
    assert ScanPage.objects.filter(qc_status=QualityCheck.REJECTED).count() == 0


def test_plan_edit_keeps_its_fonds(client, archivist, plan, tuyen_quang):
    client.force_login(archivist)
    other = FondsFactory(archive=tuyen_quang, code="SOXD")
    url = reverse("digitization:edit", args=[plan.pk])

    response = client.post(url, {"fonds": other.pk, "pages_planned": 40, "deadline": "2026-11-30"})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.fonds.code, plan.pages_planned, str(plan.deadline)) == ("UBNDTQ", 40, "2026-11-30")
    assert client.get(reverse("digitization:history", args=[plan.pk])).status_code == 200
    listing = text_of(client.get(reverse("digitization:index")))
    assert "UBNDTQ" in listing and "Xem tiến độ" in listing
