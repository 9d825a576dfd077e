"""Handover records in the admin over HTTP: pre-filled from a merger or a package batch, drawn and signed
in the background, access, errors, a failed drawing drawn again."""

import datetime
import hashlib
import json
import re
import shutil
import subprocess
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, default_storage
from django.urls import reverse
from django.utils import timezone

from archivecms.accounts.models import ReaderProfile
from collections_app import signing
from collections_app.factories import (
    ArchiveFactory,
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    UserFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.models import HandoverRecord, HandoverStatus, InformationPackage, MergeStep, Role
from collections_app.transfers import handover, merger

pytestmark = pytest.mark.django_db

CREATE_URL = "/admin/handover/new/"


@pytest.fixture(autouse=True)
def signing_folder(settings, tmp_path_factory):
    settings.SIGNING_CERT = settings.SIGNING_KEY = ""
    settings.SIGNING_ALLOW_DEMO_CERTIFICATE = True
    settings.SIGNING_DEMO_DIR = tmp_path_factory.getbasetemp() / "handover-signing"


@pytest.fixture
def holdings(tuyen_quang):
    fonds = FondsFactory(
        archive=tuyen_quang, code="P05", name="Ủy ban nhân dân huyện Chiêm Hóa", creator_code=""
    )
    file = RecordFileFactory(series=SeriesFactory(fonds=fonds, number="01"), file_number="08", box="1")
    scan = DigitalObjectFactory(
        document=DocumentFactory(file=file, ordinal=1, page_count=2),
        content=samples.png_page(dpi=40) + b"chiem-hoa",
    )
    return {"fonds": fonds, "file": file, "scan": scan}


@pytest.fixture
def leader(dong_nai):
    return staff_user(dong_nai, Role.LEADER, username="lanhdao.dongnai")


def text(response):
    return response.content.decode()


def form_data(**overrides):
    data = {
        "number": "01/BB-LT08",
        "handed_over_on": timezone.localdate().strftime("%Y-%m-%d"),
        "place": "Đồng Nai",
        "basis": "Nghị quyết số 202/2025/QH15",
        "giver_name": "Trung tâm Lưu trữ lịch sử tỉnh Tuyên Quang",
        "giver_representative": "Nguyễn Văn Đức",
        "giver_position": "Giám đốc",
        "receiver_name": "Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai",
        "receiver_representative": "Trần Thị Ánh",
        "receiver_position": "Phó Giám đốc",
        "condition": "Tài liệu còn tốt.",
    }
    return {**data, **overrides}


def menu_labels(client):
    page = text(client.get(reverse("wagtailadmin_home")))
    return {json.loads(f'"{label}"') for label in re.findall(r'"label": "((?:[^"\\]|\\.)*)"', page)}


def pdf_text(content):
    if shutil.which("pdftotext") is None:
        pytest.skip(reason="pdftotext (Debian poppler-utils, installed by make setup) is not installed")
    command = [shutil.which("pdftotext"), "-layout", "-", "-"]
    result = subprocess.run(command, input=content, capture_output=True, check=True)  # noqa: S603
    return result.stdout.decode()


def stored_files_under(folder):
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = [f"{folder}/{name}" for name in files]
    for name in folders:
        found += stored_files_under(f"{folder}/{name}")
    return found


def test_leader_records_the_handover_of_a_merger(client, holdings, leader, tuyen_quang, dong_nai):
    run = merger.execute(merger.plan_merge([tuyen_quang], dong_nai))
    step = MergeStep.objects.get(run=run)
    holdings["fonds"].refresh_from_db()
    client.force_login(leader)
    assert "Biên bản giao nhận" in menu_labels(client)

    page = client.get(f"{CREATE_URL}?merge_run={run.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["giver_archive"] == tuyen_quang and form.initial["receiver_archive"] == dong_nai
    assert form.initial["merge_run"] == run.pk
    preview = text(page)
    assert holdings["fonds"].reference_code in preview and step.old_reference_code in preview
    assert "1 phông, 1 hồ sơ, 1 văn bản, 2 trang" in preview

    response = client.post(
        CREATE_URL,
        form_data(merge_run=run.pk, giver_archive=tuyen_quang.pk, receiver_archive=dong_nai.pk),
    )
    record = HandoverRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "handover_detail", args=[record.pk]
    )
    # The test settings run a queued task at once: the record is already drawn and signed.
    assert record.status == HandoverStatus.SIGNED and record.message == ""
    assert record.merge_run == run and record.created_by == leader
    assert record.volume["source"] == {
        "kind": "merge_run",
        "merge_run": run.pk,
        "source_archive": tuyen_quang.pk,
    }
    assert (record.volume["fonds"], record.volume["files"], record.volume["documents"]) == (1, 1, 1)

    detail = text(client.get(reverse("handover_detail", args=[record.pk])))
    assert "Bản của bên giao (Trung tâm Lưu trữ lịch sử tỉnh Tuyên Quang giữ)" in detail
    assert "Bản của bên nhận (Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai giữ)" in detail
    assert detail.count("Chữ ký hợp lệ, nội dung nguyên vẹn") == 2
    assert detail.count("Tệp khớp mã đã ghi.") == 2
    for side in ("giver", "receiver"):
        download = client.get(reverse("handover_download", args=[record.pk, side]))
        assert download.status_code == 200
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"].startswith("attachment;")
        content = download.content
        assert hashlib.sha256(content).hexdigest() == getattr(record, f"{side}_copy_sha256")
        assert signing.verify_signature(content).ok
    document_text = pdf_text(content)
    assert holdings["fonds"].reference_code in document_text
    assert f"(mã cũ {step.old_reference_code})" in document_text
    assert holdings["scan"].sha256 in document_text
    # The other side's leader sees it too, in the list and on its page.
    client.force_login(staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tuyenquang"))
    index = text(client.get(reverse("handover_index")))
    assert "01/BB-LT08" in index and "Đã ký số" in index
    assert client.get(reverse("handover_download", args=[record.pk, "giver"])).status_code == 200


def test_an_imported_package_batch_fills_in_the_receiving_side(client, leader, dong_nai):
    fonds = FondsFactory(archive=dong_nai, code="P21", name="Sở Tài nguyên và Môi trường", creator_code="")
    file = RecordFileFactory(series=SeriesFactory(fonds=fonds, number="01"), file_number="02")
    DocumentFactory(file=file, ordinal=1, page_count=4)
    batch = uuid.uuid4()
    packages = [
        InformationPackage.objects.create(
            objid=f"VN-STNMT-{number}",
            kind="sip",
            direction="import",
            archive=dong_nai,
            record_file=file if number == 1 else None,
            file_code=file.file_code,
            name=f"VN-STNMT-{number}.zip",
            size=1000 * number,
            sha256=hashlib.sha256(str(number).encode()).hexdigest(),
            batch=batch,
        )
        for number in (1, 2)
    ]
    client.force_login(leader)
    page = client.get(f"{CREATE_URL}?package_batch={batch}")
    assert page.context["form"].initial["receiver_archive"] == dong_nai
    assert "2 gói tin" in text(page)

    response = client.post(
        CREATE_URL,
        form_data(
            package_batch=str(batch),
            giver_name="Sở Tài nguyên và Môi trường tỉnh Đồng Nai",
            receiver_archive=dong_nai.pk,
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    record = HandoverRecord.objects.get()
    assert record.package == packages[0] and record.giver_archive is None
    assert record.volume["packages"] == 2 and record.volume["files"] == 1
    with default_storage.open(record.receiver_copy, "rb") as stored:
        document_text = pdf_text(stored.read())
    lines = document_text.splitlines()
    for package in packages:
        assert any(package.objid in line and package.sha256 in line for line in lines)
    assert "Sở Tài nguyên và Môi trường tỉnh Đồng Nai" in document_text


@pytest.fixture
def stored_record(tuyen_quang, dong_nai):
    """A record with two small stored files: enough to check who may reach it, without signing."""
    names = [
        default_storage.save(
            f"private/handover/2025/test/{side}.pdf", ContentFile(b"%PDF-1.7 " + side.encode())
        )
        for side in ("giver", "receiver")
    ]
    return saved_record(
        tuyen_quang,
        dong_nai,
        number="09/BB-LT08",
        giver_copy=names[0],
        receiver_copy=names[1],
        status=HandoverStatus.SIGNED,
    )


def saved_record(giver, receiver, **values):
    """A record between two archives as the database holds it, without drawing it."""
    return HandoverRecord.objects.create(
        handed_over_on=datetime.date(2025, 7, 20),
        giver_archive=giver,
        giver_name=giver.name,
        giver_representative="Nguyễn Văn Đức",
        receiver_archive=receiver,
        receiver_name=receiver.name,
        receiver_representative="Trần Thị Ánh",
        **values,
    )


def test_readers_and_staff_of_other_archives_are_refused(client, stored_record, tuyen_quang, dong_nai):
    reader = UserFactory(username="hoa@example.vn", email="hoa@example.vn")
    ReaderProfile.objects.create(
        user=reader, kind="citizen", full_name="Nguyễn Thị Hoa", identity_number="001234567890"
    )
    other = ArchiveFactory(code="LT01", name="Trung tâm Lưu trữ lịch sử thành phố Hà Nội", slug="ha-noi-thu")
    download = reverse("handover_download", args=[stored_record.pk, "giver"])
    detail = reverse("handover_detail", args=[stored_record.pk])

    assert client.get(download).status_code == 302  # anonymous: to the login page

    client.force_login(reader)
    response = client.get(download)
    assert response.status_code == 403
    assert "Không có quyền xem biên bản giao nhận" in text(response)
    assert client.get(detail).status_code != 200  # Wagtail sends readers to its login page

    for user in (
        staff_user(other, Role.ARCHIVIST, username="luutru.hanoi"),
        staff_user(other, Role.LEADER, username="lanhdao.hanoi"),
        staff_user(dong_nai, Role.ARCHIVIST, username="luutru.dongnai"),
    ):
        client.force_login(user)
        assert client.get(download).status_code == 403, user
        assert client.get(detail).status_code == 403, user
        if not user.username.startswith("lanhdao"):
            assert client.get(reverse("handover_index")).status_code == 403
            assert client.get(CREATE_URL).status_code == 403
    client.force_login(staff_user(other, Role.LEADER, username="lanhdao2.hanoi"))
    assert "09/BB-LT08" not in text(client.get(reverse("handover_index")))

    client.force_login(staff_user(dong_nai, Role.LEADER, username="lanhdao.dongnai"))
    response = client.get(download)
    assert response.status_code == 200 and response.content == b"%PDF-1.7 giver"
    assert client.get(reverse("handover_download", args=[stored_record.pk, "other"])).status_code == 404
    page = text(client.get(detail))
    assert "tệp đã bị sửa hoặc hỏng" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"number": "", "fonds_codes": "LT08.P05"}, "number", "Nhập số biên bản"),
        (
            {"giver_representative": "", "fonds_codes": "LT08.P05"},
            "giver_representative",
            "đại diện bên giao",
        ),
        ({"condition": "", "fonds_codes": "LT08.P05"}, "condition", "Ghi tình trạng vật lý"),
        ({"handed_over_on": "31/02/2025", "fonds_codes": "LT08.P05"}, "handed_over_on", "không hợp lệ"),
        (
            {"handed_over_on": "2099-01-01", "fonds_codes": "LT08.P05"},
            "handed_over_on",
            "không được sau hôm nay",
        ),
        ({"fonds_codes": ""}, "fonds_codes", "ít nhất một phông"),
        ({"fonds_codes": "LT08.P05, LT08.X99"}, "fonds_codes", "Không có phông nào mang mã: LT08.X99"),
        ({"fonds_codes": "LT75.P30"}, "fonds_codes", "không thuộc cơ quan lưu trữ bên giao"),
        ({"fonds_codes": "LT08.P05", "boxes": "-3"}, "boxes", "Số hộp không được âm"),
        (
            {"fonds_codes": "LT08.P05", "receiver_archive": "same"},
            "receiver_archive",
            "Bên nhận phải khác bên giao",
        ),
        ({"merge_run": "999999"}, None, "Không tìm thấy đợt hợp nhất"),
        ({"package_batch": str(uuid.UUID(int=7))}, None, "Không tìm thấy đợt gói tin"),
    ],
)
def test_bad_input_gives_vietnamese_errors_and_writes_nothing(
    client, holdings, leader, tuyen_quang, dong_nai, overrides, field, message
):
    FondsFactory(archive=dong_nai, code="P30", creator_code="")
    client.force_login(staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq"))
    data = form_data(**{"giver_archive": tuyen_quang.pk, "receiver_archive": dong_nai.pk, **overrides})
    if data["receiver_archive"] == "same":
        data["receiver_archive"] = tuyen_quang.pk
    files_before = stored_files_under("private/handover")
    response = client.post(CREATE_URL, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field or "__all__", [])), errors
    assert message in text(response)
    assert not HandoverRecord.objects.exists()
    assert stored_files_under("private/handover") == files_before


def test_a_number_is_used_once_per_giver_and_year(client, holdings, stored_record, tuyen_quang, dong_nai):
    client.force_login(staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq"))
    data = form_data(
        number="09/BB-LT08",
        handed_over_on="2025-08-01",
        giver_archive=tuyen_quang.pk,
        receiver_archive=dong_nai.pk,
        fonds_codes="LT08.P05",
    )
    response = client.post(CREATE_URL, data)
    assert "Số biên bản “09/BB-LT08” của bên giao này đã dùng trong năm 2025" in text(response)
    assert HandoverRecord.objects.count() == 1


def test_a_leader_of_neither_side_cannot_record_a_handover(client, holdings, tuyen_quang, dong_nai):
    other = ArchiveFactory(code="LT01", name="Trung tâm Lưu trữ lịch sử thành phố Hà Nội", slug="ha-noi-thu")
    client.force_login(staff_user(other, Role.LEADER, username="lanhdao.hanoi"))
    data = form_data(giver_archive=tuyen_quang.pk, receiver_archive=dong_nai.pk, fonds_codes="LT08.P05")
    response = client.post(CREATE_URL, data)
    assert response.status_code == 200
    assert "Bạn chỉ lập được biên bản khi là lãnh đạo cơ quan lưu trữ bên giao hoặc bên nhận" in text(
        response
    )
    assert not HandoverRecord.objects.exists()


# Drawn and signed in the background ---------------------------------------------------------------------


def fonds_handover(tuyen_quang, dong_nai, **overrides):
    return form_data(
        **{
            "giver_archive": tuyen_quang.pk,
            "receiver_archive": dong_nai.pk,
            "fonds_codes": "LT08.P05",
            **overrides,
        }
    )


def download(client, record, side):
    return client.get(reverse("handover_download", args=[record.pk, side]))


def assert_signed_copies_download(client, record):
    for side in handover.SIDES:
        response = download(client, record, side)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert hashlib.sha256(response.content).hexdigest() == getattr(record, f"{side}_copy_sha256")
        assert signing.verify_signature(response.content).ok


def assert_download_refused(client, record, message):
    for side in handover.SIDES:
        response = download(client, record, side)
        assert response.status_code == 302
        assert response["Location"] == reverse("handover_detail", args=[record.pk])
        assert message in text(client.get(response["Location"]))


def test_the_record_is_drawn_in_the_background_and_its_page_follows_it(
    client, holdings, leader, tuyen_quang, dong_nai, queued_tasks
):
    client.force_login(leader)
    response = client.post(CREATE_URL, fonds_handover(tuyen_quang, dong_nai), follow=True)
    record = HandoverRecord.objects.get()
    assert response.redirect_chain == [(reverse("handover_detail", args=[record.pk]), 302)]
    assert record.status == HandoverStatus.DRAWING and record.created_by == leader
    assert (record.giver_copy, record.receiver_copy, record.signed_at) == ("", "", None)
    page = text(response)
    assert "Đang lập và ký số biên bản giao nhận số 01/BB-LT08" in page  # the message after the form
    assert "Đang lập và ký số biên bản…" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "/bien-ban-giao-nhan/" not in page and "Tải về" not in page and "Lập lại" not in page
    assert "Đang lập" in text(client.get(reverse("handover_index")))
    assert_download_refused(client, record, "đang được lập và ký số, chưa có bản để tải về")
    # The number is taken as soon as the record is saved.
    again = client.post(CREATE_URL, fonds_handover(tuyen_quang, dong_nai))
    assert "Số biên bản “01/BB-LT08” của bên giao này đã dùng" in text(again)
    assert HandoverRecord.objects.count() == 1

    queued_tasks.run()

    record.refresh_from_db()
    assert record.status == HandoverStatus.SIGNED and record.signed_at is not None
    page = text(client.get(reverse("handover_detail", args=[record.pk])))
    assert 'http-equiv="refresh"' not in page and "Đang lập và ký số biên bản…" not in page
    # Numbers written as Vietnamese write them: 1.234.567 byte, 0,25 mét giá.
    volume = re.search(r'id="handover-volume">([^<]*)<', page).group(1)
    assert re.match(r"\d+,\d\d mét giá", volume), volume
    assert record.volume["bytes"] >= 1000 and f"{record.volume['bytes']:,} byte".replace(",", ".") in volume
    assert page.count("Chữ ký hợp lệ, nội dung nguyên vẹn") == 2
    assert_signed_copies_download(client, record)


def test_a_record_drawn_once_is_not_drawn_again_by_a_second_task(
    client, holdings, leader, tuyen_quang, dong_nai
):
    files_before = set(stored_files_under("private/handover"))
    client.force_login(leader)
    client.post(CREATE_URL, fonds_handover(tuyen_quang, dong_nai))
    record = HandoverRecord.objects.get()
    files = set(stored_files_under("private/handover")) - files_before
    assert record.status == HandoverStatus.SIGNED and files == {record.giver_copy, record.receiver_copy}

    assert handover.draw_handover.call(record.pk) is None

    signed = HandoverRecord.objects.get()
    assert set(stored_files_under("private/handover")) - files_before == files
    assert (signed.giver_copy, signed.receiver_copy, signed.signed_at) == (
        record.giver_copy,
        record.receiver_copy,
        record.signed_at,
    )
    assert_signed_copies_download(client, signed)


def test_a_drawing_whose_worker_died_may_be_drawn_again_after_an_hour(
    client, holdings, leader, tuyen_quang, dong_nai, queued_tasks
):
    client.force_login(leader)
    client.post(CREATE_URL, fonds_handover(tuyen_quang, dong_nai))
    record = HandoverRecord.objects.get()
    detail, redraw = (reverse(name, args=[record.pk]) for name in ("handover_detail", "handover_redraw"))
    response = client.post(redraw, follow=True)
    assert "đang ở trạng thái “Đang lập”, không cần lập lại" in text(response)
    queued_tasks.clear()  # the worker died with the task

    HandoverRecord.objects.filter(pk=record.pk).update(
        drawing_since=timezone.now() - handover.STALE_DRAWING - datetime.timedelta(minutes=1)
    )
    page = text(client.get(detail))
    assert "mà chưa xong: tiến trình nền lập biên bản có thể đã dừng" in page and "Lập lại" in page
    assert 'http-equiv="refresh"' not in page and "Tải về" not in page

    client.post(redraw)
    record.refresh_from_db()
    assert record.status == HandoverStatus.DRAWING
    assert timezone.now() - record.drawing_since < datetime.timedelta(minutes=1)
    queued_tasks.run()
    record.refresh_from_db()
    assert record.status == HandoverStatus.SIGNED
    assert_signed_copies_download(client, record)


class FullDisk(InMemoryStorage):
    """A disk that fills up while the second copy is written (a part of it lands), until space is freed."""

    full = True
    saved = 0

    def _save(self, name, content):
        self.saved += 1
        if self.full and self.saved > 1:
            super()._save(name, ContentFile(content.read()[:100]))
            raise OSError(28, "No space left on device")
        return super()._save(name, content)


def disk_full(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.FullDisk"}}

    def free_space():
        default_storage.full = False

    return "Không ghi được tệp biên bản vào kho tệp", free_space


def certificate_missing(settings, tmp_path):
    settings.SIGNING_CERT = str(tmp_path / "missing-cert.pem")
    settings.SIGNING_KEY = str(tmp_path / "missing-key.pem")

    def install_certificate():
        settings.SIGNING_CERT = settings.SIGNING_KEY = ""  # the demonstration certificate, in tests

    return "Không đọc được tệp SIGNING_", install_certificate


@pytest.mark.parametrize("failure", [disk_full, certificate_missing])
def test_a_failed_drawing_is_kept_with_its_message_and_drawn_again(
    client, holdings, leader, tuyen_quang, dong_nai, settings, tmp_path, failure
):
    message, fix = failure(settings, tmp_path)
    files_before = set(stored_files_under("private/handover"))
    client.force_login(leader)
    response = client.post(CREATE_URL, fonds_handover(tuyen_quang, dong_nai), follow=True)
    record = HandoverRecord.objects.get()
    assert record.status == HandoverStatus.FAILED and message in record.message
    assert (record.giver_copy, record.receiver_copy, record.signed_at) == ("", "", None)
    assert set(stored_files_under("private/handover")) == files_before
    page = text(response)
    assert message in page and "Lập lại" in page
    assert 'http-equiv="refresh"' not in page and "/bien-ban-giao-nhan/" not in page
    assert "Lập không thành" in text(client.get(reverse("handover_index")))
    assert_download_refused(client, record, "lập không thành nên không có bản để tải về")

    fix()
    redraw = reverse("handover_redraw", args=[record.pk])
    assert client.get(redraw).status_code == 405
    response = client.post(redraw, follow=True)

    record.refresh_from_db()
    assert record.status == HandoverStatus.SIGNED and record.message == ""
    page = text(response)
    assert "Đã lập và ký số biên bản giao nhận số 01/BB-LT08" in page
    assert page.count("Chữ ký hợp lệ, nội dung nguyên vẹn") == 2 and "Lập lại" not in page
    assert set(stored_files_under("private/handover")) - files_before == {
        record.giver_copy,
        record.receiver_copy,
    }
    assert_signed_copies_download(client, record)
    # A signed record is not drawn again.
    response = client.post(redraw, follow=True)
    assert "đang ở trạng thái “Đã ký số”, không cần lập lại" in text(response)
    assert HandoverRecord.objects.get().giver_copy == record.giver_copy


def test_only_who_may_see_a_failed_record_may_draw_it_again(client, holdings, leader, tuyen_quang, dong_nai):
    record = saved_record(
        tuyen_quang,
        dong_nai,
        number="10/BB-LT08",
        volume={"source": {"kind": "fonds", "fonds": ["LT08.P05"]}},
        status=HandoverStatus.FAILED,
        message="Lỗi thử",
    )
    redraw = reverse("handover_redraw", args=[record.pk])
    other = ArchiveFactory(code="LT01", name="Trung tâm Lưu trữ lịch sử thành phố Hà Nội", slug="ha-noi-thu")
    for user in (
        staff_user(other, Role.LEADER, username="lanhdao.hanoi"),
        staff_user(dong_nai, Role.ARCHIVIST, username="luutru.dongnai"),
    ):
        client.force_login(user)
        assert client.post(redraw).status_code == 403, user
    assert HandoverRecord.objects.get().status == HandoverStatus.FAILED

    client.force_login(leader)
    client.post(redraw)
    assert HandoverRecord.objects.get().status == HandoverStatus.SIGNED
