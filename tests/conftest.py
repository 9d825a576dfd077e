import pytest

from archivecms.portal.factories import archive_page, national_home
from collections_app.factories import ArchiveFactory, current_province


@pytest.fixture
def home(db):
    return national_home()


@pytest.fixture
def tuyen_quang(home):
    archive = ArchiveFactory(
        code="LT08",
        name="Trung tâm Lưu trữ lịch sử tỉnh Tuyên Quang",
        slug="tuyen-quang",
        unit=current_province("Tuyên Quang"),
    )
    archive_page(archive)
    return archive


@pytest.fixture
def dong_nai(home):
    archive = ArchiveFactory(
        code="LT75",
        name="Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai",
        slug="dong-nai",
        unit=current_province("Đồng Nai"),
    )
    archive_page(archive)
    return archive
