import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from wagtail.models import Collection, GroupPagePermission, Page, Site

from archivecms.portal.models import ArchivePage, NationalHomePage
from collections_app.models import (
    NATIONAL_ADMIN_GROUP,
    AdministrativeUnit,
    Archive,
    DigitalObject,
    DigitizationPlan,
    Document,
    Fonds,
    RecordFile,
    Role,
    Series,
    fold_slug,
)
from collections_app.roles import role_group
from collections_app.vocabularies import AccessRegime, PublicationStatus

pytestmark = pytest.mark.django_db

DEMO_ITEMS = 200
HOLDING_SLUGS = ("tuyen-quang", "dong-nai", "ho-chi-minh")


def seed():
    output = io.StringIO()
    call_command("seed_demo", items=DEMO_ITEMS, stdout=output)
    return output.getvalue()


@pytest.fixture
def seeded():
    return seed()


def counts():
    models = (
        Archive,
        ArchivePage,
        Page,
        Fonds,
        Series,
        RecordFile,
        Document,
        Group,
        Collection,
        GroupPagePermission,
        get_user_model(),
        RecordFile.categories.through,
        DigitalObject,
        DigitizationPlan,
    )
    return {model.__name__: model.objects.count() for model in models}


def test_the_34_archive_pages_are_live_under_the_national_home(seeded):
    home = NationalHomePage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page.specific == home
    assert not Page.objects.filter(title="Welcome to your new Wagtail site!").exists()

    pages = ArchivePage.objects.child_of(home).live()
    expected = {fold_slug(unit.name) for unit in AdministrativeUnit.objects.current().provinces()}
    assert pages.count() == 34
    assert set(pages.values_list("slug", flat=True)) == expected
    assert {"tuyen-quang", "dong-nai", "ho-chi-minh", "ha-noi", "hue", "can-tho"} <= expected
    assert Page.objects.get(slug="tuyen-quang").url == "/tuyen-quang/"

    tuyen_quang = ArchivePage.objects.get(slug="tuyen-quang")
    assert tuyen_quang.archive.code == "LT08"
    assert tuyen_quang.title == "Trung tâm Lưu trữ lịch sử tỉnh Tuyên Quang"
    assert "Hà Giang" in tuyen_quang.introduction
    assert ArchivePage.objects.get(slug="ho-chi-minh").archive.name == (
        "Trung tâm Lưu trữ lịch sử thành phố Hồ Chí Minh"
    )
    assert "Bắc Giang" in ArchivePage.objects.get(slug="bac-ninh").introduction


def test_three_archives_hold_fonds_series_files_and_documents(seeded):
    assert Document.objects.count() == DEMO_ITEMS
    assert RecordFile.objects.count() == pytest.approx(DEMO_ITEMS / 5, abs=3)
    for slug in HOLDING_SLUGS:
        archive = Archive.objects.get(slug=slug)
        fonds = Fonds.objects.filter(archive=archive)
        assert fonds.count() >= 5
        assert fonds.filter(is_closed=True, unit__valid_to__isnull=False).exists()
        assert Series.objects.filter(archive=archive).exists()
        assert RecordFile.objects.filter(archive=archive).exists()
        assert Document.objects.filter(archive=archive).exists()
    assert not Fonds.objects.exclude(archive__slug__in=HOLDING_SLUGS).exists()
    assert Fonds.objects.filter(archive__slug="tuyen-quang", unit__name="Hà Giang").exists()

    assert RecordFile.objects.filter(categories__slug="dat-dai").exists()
    assert RecordFile.objects.filter(categories__slug="du-an-dau-tu").exists()
    assert Document.objects.filter(publication_status=PublicationStatus.PUBLISHED).count() > DEMO_ITEMS * 0.75
    assert Document.objects.filter(access_regime=AccessRegime.CONDITIONAL).exists()
    assert "UBND" in "".join(Document.objects.values_list("code_notation", flat=True))


def test_stored_codes_are_those_the_models_compose(seeded):
    for file in RecordFile.objects.select_related("fonds", "series", "archive")[:50]:
        assert file.file_code == file.compose_file_code()
        assert file.reference_code == file.compute_reference_code()
    for document in Document.objects.select_related("file", "archive")[:50]:
        assert (document.doc_id, document.doc_code) == document.compose_codes()
        assert document.reference_code == document.compute_reference_code()


def test_running_twice_keeps_the_counts(seeded):
    before = counts()
    seed()
    assert counts() == before


def test_demo_users_are_in_their_groups(seeded):
    users = get_user_model().objects
    admin = users.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password("admin-demo-2025")
    assert admin.groups.filter(name=NATIONAL_ADMIN_GROUP).exists()

    logins = {"luutru": Role.ARCHIVIST, "lanhdao": Role.LEADER, "phongdoc": Role.READING_ROOM}
    for slug, suffix in zip(HOLDING_SLUGS, ("tuyenquang", "dongnai", "hochiminh"), strict=True):
        archive = Archive.objects.get(slug=slug)
        for prefix, role in logins.items():
            user = users.get(username=f"{prefix}.{suffix}")
            assert user.check_password(f"demo-2025-{prefix}.{suffix}")
            assert list(user.groups.all()) == [role_group(archive, role)]
    assert "http://127.0.0.1:8000/admin/" in seeded


def test_demo_archives_have_plans_and_scanned_land_documents_queued_for_ocr(seeded):
    for slug in HOLDING_SLUGS:
        archive = Archive.objects.get(slug=slug)
        assert DigitizationPlan.objects.filter(archive=archive).count() == archive_fonds_count(archive)
        scans = DigitalObject.objects.filter(archive=archive)
        assert scans.count() == 2
        for scan in scans:
            assert scan.original_name == f"{scan.document.doc_id}.pdf"
            assert scan.document.file.categories.filter(slug="dat-dai").exists()
            assert scan.page_count == 2
            assert scan.state == "queued"
            assert scan.batch.plan.fonds_id == scan.document.file.fonds_id


def archive_fonds_count(archive):
    return Fonds.objects.filter(archive=archive).count()


def test_the_demo_files_and_documents_are_found_by_search(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed()
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'collections_app_document'")
                assert cursor.fetchone()[0], "the demo left SQLite's planner without statistics"

    open_records = {"publication_status": PublicationStatus.PUBLISHED, "access_regime": AccessRegime.OPEN}
    document = Document.objects.filter(archive__slug="dong-nai", **open_records).order_by("pk").last()
    record_file = (
        RecordFile.objects.filter(archive__slug="tuyen-quang", **open_records).order_by("pk").first()
    )
    for record in (document, record_file):
        data = client.get("/api/v1/search", {"q": record.reference_code}).json()
        assert data["results"][0]["reference_code"] == record.reference_code
