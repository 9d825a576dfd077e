"""Fixity: stored files re-hashed, damage and loss found, recorded, listed in the admin and e-mailed."""

import datetime
import hashlib
import io
import random

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from collections_app import fixity, fixity_tasks
from collections_app.factories import (
    DigitalObjectFactory,
    DocumentFactory,
    FondsFactory,
    RecordFileFactory,
    SeriesFactory,
    UserFactory,
    staff_user,
)
from collections_app.ingest import samples
from collections_app.models import NATIONAL_ADMIN_GROUP, DigitalObject, EventOutcome, EventType, Role
from collections_app.preservation import events_of

pytestmark = pytest.mark.django_db


def scan_in(archive, text="Quyết định giao đất cho hộ ông Nguyễn Văn Bình", with_pdfa=False):
    document = DocumentFactory(
        file=RecordFileFactory(series=SeriesFactory(fonds=FondsFactory(archive=archive)))
    )
    content = samples.png_page(text, dpi=60)
    digital_object = DigitalObjectFactory(document=document, content=content)
    if with_pdfa:
        pdf = samples.pdf_scan([text], dpi=60)
        name = default_storage.save(f"{digital_object.storage_prefix}/pdfa/ban-luu-tru.pdf", ContentFile(pdf))
        digital_object.archival_copy = name
        digital_object.archival_sha256 = hashlib.sha256(pdf).hexdigest()
        digital_object.archival_size_bytes = len(pdf)
        digital_object.save()
    return digital_object


def stored_bytes(name):
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def overwrite(name, content):
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(content)) == name


def flip_one_byte(name):
    content = bytearray(stored_bytes(name))
    content[len(content) // 2] ^= 0x01
    overwrite(name, bytes(content))


def national_admin(email="quantri@luutru.gov.vn"):
    admin = UserFactory(username="quantri", email=email)
    admin.groups.add(Group.objects.get(name=NATIONAL_ADMIN_GROUP))
    return admin


def run_command(*args):
    out = io.StringIO()
    call_command("verify_fixity", *args, stdout=out)
    return out.getvalue()


def test_intact_files_pass_and_each_check_is_an_event(tuyen_quang):
    digital_object = scan_in(tuyen_quang, with_pdfa=True)

    output = run_command()

    assert "Đã kiểm tra 1 bản số hóa, 2 tệp" in output
    assert "2 tệp toàn vẹn, 0 tệp sai lệch hoặc thiếu" in output
    digital_object.refresh_from_db()
    assert digital_object.fixity_ok is True
    assert digital_object.fixity_checked_at is not None
    events = events_of(digital_object).filter(event_type=EventType.FIXITY_CHECK)
    assert sorted(event.object_identifier for event in events) == sorted(
        [digital_object.file.name, digital_object.archival_copy.name]
    )
    assert {event.outcome for event in events} == {EventOutcome.SUCCESS}
    assert {event.outcome_detail for event in events} == {
        f"Khớp SHA-256: {digital_object.sha256}",
        f"Khớp SHA-256: {digital_object.archival_sha256}",
    }
    assert not mail.outbox


def test_one_altered_byte_is_found_reported_and_mailed(tuyen_quang, dong_nai):
    damaged = scan_in(tuyen_quang, with_pdfa=True)
    intact = scan_in(tuyen_quang, text="Hồ sơ dự án đầu tư khu công nghiệp Long Thành")
    flip_one_byte(damaged.archival_copy.name)
    found = hashlib.sha256(stored_bytes(damaged.archival_copy.name)).hexdigest()
    admin = national_admin()
    leader = staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq")
    staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq")
    staff_user(dong_nai, Role.LEADER, username="lanhdao.dn")

    with pytest.raises(CommandError) as refused:
        run_command()

    assert refused.value.returncode == 2
    assert "khôi phục các tệp đó từ bản sao bảo hiểm" in str(refused.value)
    damaged.refresh_from_db()
    intact.refresh_from_db()
    assert damaged.fixity_ok is False and intact.fixity_ok is True
    failure = events_of(damaged).get(outcome=EventOutcome.FAILURE)
    assert failure.object_identifier == damaged.archival_copy.name
    assert failure.outcome_detail == (f"SHA-256 cần có: {damaged.archival_sha256}; SHA-256 đọc được: {found}")
    assert (
        events_of(damaged).filter(outcome=EventOutcome.SUCCESS).get().object_identifier == damaged.file.name
    )

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([admin.email, leader.email])
    for message in mail.outbox:
        assert message.subject == "[Kho lưu trữ số] Phát hiện 1 tệp không toàn vẹn"
        assert damaged.archival_copy.name in message.body
        assert damaged.record.reference_code in message.body
        assert found in message.body
        assert reverse("fixity:index") in message.body


def test_the_command_prints_every_mismatch(tuyen_quang):
    first, second = scan_in(tuyen_quang), scan_in(tuyen_quang, text="Biên bản bàn giao đất")
    flip_one_byte(first.file.name)
    default_storage.delete(second.file.name)
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("verify_fixity", "--no-mail", stdout=out)

    output = out.getvalue()
    assert first.file.name in output and second.file.name in output
    assert "Không tìm thấy tệp trong kho lưu trữ" in output
    assert "0 tệp toàn vẹn, 2 tệp sai lệch hoặc thiếu" in output
    assert not mail.outbox


def test_a_missing_file_is_recorded_as_missing(tuyen_quang):
    digital_object = scan_in(tuyen_quang)
    default_storage.delete(digital_object.file.name)

    report = fixity.run_fixity(notify=False)

    assert [check.found for check in report.mismatches] == [fixity.MISSING]
    event = events_of(digital_object).get()
    assert event.outcome == EventOutcome.FAILURE
    assert event.outcome_detail.startswith("Không tìm thấy tệp trong kho lưu trữ. SHA-256 cần có: ")


def test_the_archive_option_checks_that_archive_only(tuyen_quang, dong_nai):
    here, there = scan_in(tuyen_quang), scan_in(dong_nai)
    flip_one_byte(there.file.name)

    output = run_command("--archive", "LT08")

    assert "Đã kiểm tra 1 bản số hóa, 1 tệp" in output
    here.refresh_from_db()
    there.refresh_from_db()
    assert here.fixity_ok is True and there.fixity_checked_at is None
    with pytest.raises(CommandError, match="Không có cơ quan lưu trữ nào"):
        run_command("--archive", "LT99")


@pytest.mark.parametrize("value", ["0", "150", "nhiều"])
def test_a_wrong_sample_percentage_is_refused_with_the_rule(tuyen_quang, value):
    with pytest.raises(CommandError, match="lớn hơn 0 và không quá 100"):
        run_command("--sample", value)


def test_fixity_on_s3_storage_streams_and_finds_damage(tuyen_quang, s3_storage):
    digital_object = scan_in(tuyen_quang)
    assert default_storage.__class__.__name__ == "S3Storage"
    report = fixity.run_fixity(notify=False)
    assert report.ok and report.bytes_read == digital_object.size_bytes

    s3_storage.put_object(Bucket=s3_storage.bucket, Key=digital_object.file.name, Body=b"ghi de")
    report = fixity.run_fixity(notify=False)
    assert [check.found for check in report.mismatches] == [hashlib.sha256(b"ghi de").hexdigest()]

    s3_storage.delete_object(Bucket=s3_storage.bucket, Key=digital_object.file.name)
    report = fixity.run_fixity(notify=False)
    assert [check.found for check in report.mismatches] == [fixity.MISSING]


# --- The admin ----------------------------------------------------------------------------------------


def test_failed_files_are_listed_and_leaders_see_a_dashboard_panel(client, tuyen_quang, dong_nai):
    damaged = scan_in(tuyen_quang)
    flip_one_byte(damaged.file.name)
    fixity.run_fixity(notify=False)
    leader = staff_user(tuyen_quang, Role.LEADER, username="lanhdao.tq")

    client.force_login(leader)
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Tệp không toàn vẹn" in dashboard
    assert "phát hiện 1 bản số hóa có tệp bị thiếu hoặc bị thay đổi" in dashboard
    listing = client.get(reverse("fixity:index")).content.decode()
    assert damaged.original_name in listing
    assert damaged.record.reference_code in listing
    assert "SHA-256 đọc được" in listing

    client.force_login(staff_user(tuyen_quang, Role.ARCHIVIST, username="luutru.tq"))
    assert "bị thiếu hoặc bị thay đổi" not in client.get(reverse("wagtailadmin_home")).content.decode()

    client.force_login(staff_user(dong_nai, Role.LEADER, username="lanhdao.dn"))
    assert "bị thiếu hoặc bị thay đổi" not in client.get(reverse("wagtailadmin_home")).content.decode()
    assert damaged.original_name not in client.get(reverse("fixity:index")).content.decode()

    client.force_login(national_admin())
    assert "phát hiện 1 bản số hóa" in client.get(reverse("wagtailadmin_home")).content.decode()


def test_a_repaired_file_leaves_the_failure_listing(client, tuyen_quang):
    digital_object = scan_in(tuyen_quang)
    original = stored_bytes(digital_object.file.name)
    flip_one_byte(digital_object.file.name)
    fixity.run_fixity(notify=False)
    overwrite(digital_object.file.name, original)

    fixity.run_fixity(notify=False)

    client.force_login(national_admin())
    assert digital_object.original_name not in client.get(reverse("fixity:index")).content.decode()


# --- Sampling and the daily task ----------------------------------------------------------------------


def test_overdue_and_never_checked_files_are_always_in_the_sample(tuyen_quang):
    now = timezone.now()
    scans = [scan_in(tuyen_quang, text=f"Trang {n}") for n in range(6)]
    recent = now - datetime.timedelta(days=10)
    overdue = now - datetime.timedelta(days=fixity.CYCLE_DAYS + 1)
    DigitalObject.objects.filter(pk__in=[scan.pk for scan in scans[:4]]).update(fixity_checked_at=recent)
    DigitalObject.objects.filter(pk=scans[4].pk).update(fixity_checked_at=overdue)

    chosen = set(
        fixity.select_sample(DigitalObject.objects.all(), 0.001, now=now).values_list("pk", flat=True)
    )

    assert {scans[4].pk, scans[5].pk} <= chosen


def test_daily_samples_check_every_file_within_three_years(tuyen_quang):
    """Simulated runs every 7 days for 4 years: every file is checked, and never more than 3 years apart.

    Only the selection is simulated (``fixity_checked_at`` set as a run would); the hashing is the
    subject of the tests above.
    """
    count, interval = 60, 7
    for n in range(count):
        scan_in(tuyen_quang, text=f"Trang {n}")
    start = timezone.now()
    DigitalObject.objects.update(fixity_checked_at=start - datetime.timedelta(days=400))
    checks = {pk: [] for pk in DigitalObject.objects.values_list("pk", flat=True)}
    percent = fixity.cycle_sample_percent(run_interval_days=interval)
    rng = random.Random(5)
    sampled_sizes = []
    for run in range(4 * 365 // interval):
        now = start + datetime.timedelta(days=run * interval)
        chosen = list(
            fixity.select_sample(DigitalObject.objects.all(), percent, now=now, rng=rng).values_list(
                "pk", flat=True
            )
        )
        sampled_sizes.append(len(chosen))
        DigitalObject.objects.filter(pk__in=chosen).update(fixity_checked_at=now)
        for pk in chosen:
            checks[pk].append(now)

    cycle = datetime.timedelta(days=fixity.CYCLE_DAYS)
    for dates in checks.values():
        assert dates and dates[0] - start <= cycle
        assert all(later - earlier <= cycle for earlier, later in zip(dates, dates[1:], strict=False))
    # A sample, not everything each time: the oldest-checked share plus a random share.
    assert max(sampled_sizes) < count / 4


def test_a_sampled_run_checks_only_the_sample(tuyen_quang):
    scans = [scan_in(tuyen_quang, text=f"Trang {n}") for n in range(10)]
    DigitalObject.objects.update(fixity_checked_at=timezone.now() - datetime.timedelta(days=30))
    DigitalObject.objects.filter(pk=scans[3].pk).update(
        fixity_checked_at=timezone.now() - datetime.timedelta(days=90)
    )

    report = fixity.run_fixity(sample_percent=10, notify=False, rng=random.Random(1))

    # 10 % of 10 is the oldest-checked one, plus a random share of one.
    assert report.objects == 2
    assert events_of(scans[3]).filter(event_type=EventType.FIXITY_CHECK).exists()


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def pending_runs():
    return DBTaskResult.objects.filter(
        task_path=fixity_tasks.verify_fixity_sample.module_path, status="READY"
    )


@override_settings(TASKS=DATABASE_TASKS)
def test_the_worker_schedules_one_nightly_run(db):
    now = timezone.make_aware(datetime.datetime(2026, 3, 2, 14, 0))
    fixity_tasks.schedule_fixity(now)
    fixity_tasks.schedule_fixity(now)
    assert pending_runs().count() == 1
    run_after = timezone.localtime(pending_runs().get().run_after)
    assert (run_after.date(), run_after.hour) == (datetime.date(2026, 3, 3), 2)


@override_settings(TASKS=DATABASE_TASKS)
def test_the_nightly_task_checks_never_checked_files_mails_and_reschedules(tuyen_quang):
    damaged = scan_in(tuyen_quang)
    flip_one_byte(damaged.file.name)
    admin = national_admin()

    result = fixity_tasks.verify_fixity_sample.call()

    assert result == {"objects": 1, "files": 1, "mismatches": 1}
    assert [message.to for message in mail.outbox] == [[admin.email]]
    assert pending_runs().count() == 1
