"""Ring-fencing before a merger: a frozen archive's records are read, not edited, and the admin says why."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from collections_app.factories import (
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.models import Fonds, Role, Series
from collections_app.transfers import freeze

pytestmark = pytest.mark.django_db

REASON = "Hợp nhất tỉnh Hà Giang vào tỉnh Tuyên Quang"
UNTIL = datetime.date(2025, 12, 31)


@pytest.fixture
def frozen_tree(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang, code="P01", name="UBND huyện Na Hang")
    file = RecordFileFactory(series=SeriesFactory(fonds=fonds, number="01"))
    DocumentFactory(file=file, ordinal=1)
    freeze.freeze([tuyen_quang], until=UNTIL, reason=REASON)
    return {"fonds": fonds, "file": file}


@pytest.fixture
def leader(tuyen_quang):
    return staff_user(tuyen_quang, Role.LEADER)


def text(response):
    return response.content.decode()


def test_pages_of_a_frozen_archive_show_why_and_until_when(client, frozen_tree, leader):
    client.force_login(leader)
    for url in (
        reverse("fonds:inspect", args=[frozen_tree["fonds"].pk]),
        reverse("recordfile:inspect", args=[frozen_tree["file"].pk]),
        reverse("fonds:index"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert REASON in text(response) and "31/12/2025" in text(response)
        assert "chỉ được xem, không được thêm, sửa, xóa" in text(response)


def test_edit_delete_move_and_publish_are_refused_with_the_reason(client, frozen_tree, leader):
    client.force_login(leader)
    fonds = frozen_tree["fonds"]
    response = client.post(reverse("fonds:edit", args=[fonds.pk]), {"name": "Tên mới"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("fonds:inspect", args=[fonds.pk])
    assert REASON in text(response)
    assert Fonds.objects.get(pk=fonds.pk).name == "UBND huyện Na Hang"

    response = client.post(reverse("fonds:delete", args=[fonds.pk]), {"reason": "Trùng"}, follow=True)
    assert REASON in text(response)
    assert Fonds.objects.get(pk=fonds.pk).deleted_at is None

    response = client.post(reverse("fonds:publish", args=[fonds.pk]), follow=True)
    assert REASON in text(response)
    response = client.get(reverse("recordfile:move", args=[frozen_tree["file"].pk]), follow=True)
    assert REASON in text(response)


def test_adding_a_record_is_refused_with_the_reason(client, frozen_tree, leader):
    client.force_login(leader)
    data = {
        "fonds": frozen_tree["fonds"].pk,
        "number": "09",
        "title": "Mục lục mới",
        "publication_status": "draft",
    }
    response = client.post(reverse("series:add"), data)
    assert response.status_code == 200
    assert REASON in text(response)
    assert not Series.objects.filter(number="09").exists()

    freeze.unfreeze([frozen_tree["fonds"].archive])
    response = client.post(reverse("series:add"), data)
    assert response.status_code == 302
    assert Series.objects.filter(number="09").exists()


def test_scan_upload_is_refused(client, frozen_tree, leader):
    client.force_login(leader)
    file = frozen_tree["file"]
    response = client.get(reverse("scans:upload", args=["recordfile", file.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("recordfile:inspect", args=[file.pk])
    assert REASON in text(response)


def test_import_and_ingest_commands_are_refused(frozen_tree, tmp_path):
    inventory = tmp_path / "muc-luc.csv"
    inventory.write_text("Mã phông,Mã hồ sơ,Tiêu đề hồ sơ\nP01,P01.2019.05.01,Hồ sơ mới\n", encoding="utf-8")
    with pytest.raises(CommandError, match=REASON):
        call_command("import_records", str(inventory), "--archive", "LT08")
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / f"{frozen_tree['file'].reference_code}.png").write_bytes(samples.png_page(dpi=50))
    with pytest.raises(CommandError, match="31/12/2025"):
        call_command("ingest_scans", str(scans), "--archive", "LT08")


def test_restoring_from_the_recycle_bin_is_refused(client, frozen_tree, leader):
    fonds = frozen_tree["fonds"]
    Fonds.objects.filter(pk=fonds.pk).update(deleted_at=timezone.now(), delete_reason="Trùng")
    client.force_login(leader)
    response = client.post(reverse("recycle_bin_restore", args=["fonds", fonds.pk]), follow=True)
    assert REASON in text(response)
    assert Fonds.objects.get(pk=fonds.pk).deleted_at is not None
