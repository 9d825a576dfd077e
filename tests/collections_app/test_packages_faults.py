"""Faults while writing or importing packages: nothing incomplete is left looking complete."""

import errno
import io
import zipfile

import pytest
from django.core.files.storage import default_storage, storages
from django.core.management import CommandError, call_command

from collections_app.factories import DigitalObjectFactory, DocumentFactory, FondsFactory, RecordFileFactory
from collections_app.ingest import samples
from collections_app.models import DigitalObject, Document, InformationPackage, RecordFile
from collections_app.transfers.packages.reader import read_package
from collections_app.transfers.packages.sources import find_sources
from collections_app.transfers.packages.writer import ExportError, export_packages

pytestmark = pytest.mark.django_db


class FullDisk:
    """A file that takes ``room`` bytes and then fails as a full disk does (OSError ENOSPC).

    A small real file system cannot be mounted in the test environment, so the target file is
    wrapped; everything else (zip writing, temporary name, clean-up) runs for real.
    """

    def __init__(self, room, after_files=0):
        self.room, self.after_files = room, after_files

    def __call__(self, path, mode):
        self.after_files -= 1
        return _LimitedFile(open(path, mode), self.room if self.after_files < 0 else float("inf"))


class _LimitedFile:
    def __init__(self, handle, room):
        self.handle, self.room = handle, room

    def write(self, data):
        if self.handle.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.handle.write(data)

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


@pytest.fixture
def two_files(tuyen_quang):
    fonds = FondsFactory(archive=tuyen_quang, code="P01")
    small = RecordFileFactory(series=None, fonds=fonds, year=2020, file_number="01")
    DocumentFactory(file=small, ordinal=1)
    large = RecordFileFactory(series=None, fonds=fonds, year=2020, file_number="02")
    for ordinal in (1, 2):
        document = DocumentFactory(file=large, ordinal=ordinal)
        DigitalObjectFactory(
            document=document,
            content=samples.pdf_scan([f"Trang {ordinal}"], dpi=60),
            mime_type="application/pdf",
            original_name=f"{ordinal}.pdf",
        )
    return small, large


def test_a_full_disk_leaves_no_package_that_looks_complete(two_files, tmp_path):
    small, large = two_files
    written = []
    with pytest.raises(ExportError) as error:
        for item in export_packages(small.archive, tmp_path, opener=FullDisk(room=20_000, after_files=1)):
            written.append(item)

    assert "Hết chỗ trên đĩa" in str(error.value) and large.reference_code in str(error.value)
    assert [item.package.file_code for item in written] == [small.file_code]
    assert sorted(path.name for path in tmp_path.iterdir()) == [written[0].path.name]  # no .part left
    package = read_package(find_sources(written[0].path)[0])  # the finished package is whole
    assert package.file_code == small.file_code
    assert list(InformationPackage.objects.values_list("file_code", flat=True)) == [small.file_code]


def test_the_command_says_what_to_do_when_the_disk_is_full(two_files, tmp_path, monkeypatch):
    from collections_app.transfers.packages import writer

    original = writer.export_packages

    def export_on_a_full_disk(*args, **kwargs):
        return original(*args, **{**kwargs, "opener": FullDisk(room=1000)})

    monkeypatch.setattr(
        "collections_app.management.commands.export_package.export_packages", export_on_a_full_disk
    )
    with pytest.raises(CommandError, match="Giải phóng dung lượng hoặc chọn thư mục khác"):
        call_command("export_package", str(tmp_path), "--archive", "LT08", stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_an_import_that_fails_mid_package_writes_nothing_of_it_and_resumes(
    two_files, dong_nai, tmp_path, monkeypatch
):
    call_command("export_package", str(tmp_path), "--archive", "LT08", stdout=io.StringIO())
    stored_before = stored_files("scans/LT75")  # the in-memory storage may hold other tests' files
    storage_class = type(storages["default"])
    original_save = storage_class._save
    calls = {"count": 0}

    def failing_second_save(self, name, content):
        calls["count"] += 1
        if calls["count"] == 2:  # the second data file of the package with scans
            raise OSError(errno.EIO, "Input/output error")
        return original_save(self, name, content)

    monkeypatch.setattr(storage_class, "_save", failing_second_save)
    with pytest.raises(CommandError, match="Input/output error. Gói này không được ghi"):
        call_command("import_package", str(tmp_path), "--archive", "LT75", stdout=io.StringIO())

    # The zips are named by random UUIDs, so the package without scans may or may not come first.
    assert set(RecordFile.objects.filter(archive=dong_nai).values_list("file_number", flat=True)) <= {"01"}
    assert not DigitalObject.objects.filter(archive=dong_nai).exists()
    assert stored_files("scans/LT75") == stored_before  # the file stored before the failure was removed

    monkeypatch.undo()
    output = io.StringIO()
    call_command("import_package", str(tmp_path), "--archive", "LT75", stdout=output)
    assert "Đã nhập" in output.getvalue()
    assert RecordFile.objects.filter(archive=dong_nai).count() == 2
    assert Document.objects.filter(archive=dong_nai).count() == 3
    assert DigitalObject.objects.filter(archive=dong_nai).count() == 2


def stored_files(folder):
    if not default_storage.exists(folder):
        return []
    folders, files = default_storage.listdir(folder)
    return [f"{folder}/{name}" for name in files] + [
        path for name in folders for path in stored_files(f"{folder}/{name}")
    ]


def test_zip_entries_are_stored_not_recompressed(two_files, tmp_path):
    items = list(export_packages(two_files[0].archive, tmp_path))
    with zipfile.ZipFile(next(item.path for item in items if item.data_files)) as package:
        data = [info for info in package.infolist() if info.filename.endswith(".pdf")]
    assert data and all(info.compress_type == zipfile.ZIP_STORED for info in data)
