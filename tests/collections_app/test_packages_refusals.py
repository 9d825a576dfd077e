"""Damaged or malformed packages are refused as a whole, naming the file, and nothing is written."""

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from collections_app.factories import FondsFactory
from collections_app.models import (
    DigitalObject,
    Document,
    Fonds,
    InformationPackage,
    PreservationEvent,
    RecordFile,
    ReferenceAlias,
)

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent / "data" / "tt05" / "uuid-562937C1-8ABC-59BC-A008-7B3526FE4136"
OBJID = SAMPLE.name
CODE = "H19.25.07.2024.08"
METS_NS = "http://www.loc.gov/METS/"
HREF = "{http://www.w3.org/1999/xlink}href"


@pytest.fixture
def package(tmp_path, dong_nai):
    FondsFactory(archive=dong_nai, code="P07")
    folder = tmp_path / "in" / OBJID
    shutil.copytree(SAMPLE, folder)
    return folder


def database_state():
    models = (
        RecordFile,
        Document,
        DigitalObject,
        Fonds,
        InformationPackage,
        ReferenceAlias,
        PreservationEvent,
    )
    return [model.objects.count() for model in models]


def refused(path):
    before = database_state()
    with pytest.raises(CommandError) as error:
        call_command(
            "import_package", str(path), "--archive", "dong-nai", "--fonds", "P07", stdout=io.StringIO()
        )
    assert database_state() == before
    return str(error.value)


def zipped(folder, target, top=None):
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{top or folder.name}/{path.relative_to(folder).as_posix()}")
    return target


def rewrite_representation_mets(folder, change):
    """Edit rep1/METS.xml and restate its size and checksum in METS.xml: a wrong but coherent manifest."""
    rep_path = folder / "representations" / "rep1" / "METS.xml"
    rep = etree.parse(str(rep_path))
    change(rep.getroot())
    rep.write(str(rep_path), xml_declaration=True, encoding="UTF-8")
    content = rep_path.read_bytes()
    root_path = folder / "METS.xml"
    root = etree.parse(str(root_path))
    for location in root.iter(f"{{{METS_NS}}}FLocat"):
        if location.get(HREF) == "representations/rep1/METS.xml":
            element = location.getparent()
            element.set("SIZE", str(len(content)))
            element.set("CHECKSUM", hashlib.sha256(content).hexdigest().upper())
    root.write(str(root_path), xml_declaration=True, encoding="UTF-8")


def data_file_element(root, name):
    for location in root.iter(f"{{{METS_NS}}}FLocat"):
        if location.get(HREF) == f"data/{name}":
            return location.getparent()
    raise AssertionError(name)


def test_the_untouched_copy_is_accepted(package):
    output = io.StringIO()
    call_command("import_package", str(package), "--archive", "dong-nai", "--fonds", "P07", stdout=output)
    assert "Đã nhập 1 gói" in output.getvalue()


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_one_altered_byte_is_refused(package, tmp_path, as_zip):
    data = package / "representations" / "rep1" / "data" / f"{CODE}.2.pdf"
    content = bytearray(data.read_bytes())
    content[len(content) // 2] ^= 0x01
    data.write_bytes(bytes(content))
    source = zipped(package, tmp_path / "goi.zip") if as_zip else package

    message = refused(source)

    assert f"representations/rep1/data/{CODE}.2.pdf" in message
    assert "mã SHA-256 thực" in message and "tệp đã bị thay đổi hoặc hỏng" in message


def test_a_missing_file_is_refused(package):
    (package / "representations" / "rep1" / "data" / f"{CODE}.3.pdf").unlink()

    message = refused(package)

    assert f"representations/rep1/data/{CODE}.3.pdf" in message
    assert "tham chiếu tệp này nhưng trong gói không có" in message


def test_an_extra_file_is_refused(package):
    shutil.copy(
        package / "representations" / "rep1" / "data" / f"{CODE}.1.pdf",
        package / "representations" / "rep1" / "data" / "them.pdf",
    )

    message = refused(package)

    assert "representations/rep1/data/them.pdf" in message
    assert "tệp thừa" in message


def test_a_wrong_checksum_in_the_manifest_is_refused(package):
    rewrite_representation_mets(
        package, lambda root: data_file_element(root, f"{CODE}.1.pdf").set("CHECKSUM", "0" * 64)
    )

    message = refused(package)

    assert f"representations/rep1/data/{CODE}.1.pdf" in message and "0000000000" in message


def test_a_wrong_size_in_the_manifest_is_refused(package):
    rewrite_representation_mets(
        package, lambda root: data_file_element(root, f"{CODE}.2.pdf").set("SIZE", "1")
    )

    message = refused(package)

    assert f"representations/rep1/data/{CODE}.2.pdf" in message
    assert "khác 1 byte ghi trong representations/rep1/METS.xml" in message


def test_a_referenced_file_renamed_is_refused(package):
    data = package / "representations" / "rep1" / "data"
    (data / f"{CODE}.1.pdf").rename(data / f"{CODE}.01.pdf")

    message = refused(package)

    assert f"representations/rep1/data/{CODE}.1.pdf" in message
    assert "trong gói không có" in message


def test_a_manifest_that_no_longer_matches_its_parent_is_refused(package):
    rep_path = package / "representations" / "rep1" / "METS.xml"
    rep_path.write_bytes(rep_path.read_bytes().replace(b"vanthu_longtho", b"nguoi_khac_xa2"))

    message = refused(package)

    assert "representations/rep1/METS.xml" in message and "mã SHA-256 thực" in message


def test_a_package_without_mets_is_refused(package, tmp_path):
    (package / "METS.xml").unlink()

    message = refused(zipped(package, tmp_path / "thieu-mets.zip"))

    assert "thieu-mets.zip" in message and "“METS.xml”" in message and "thiếu tệp bắt buộc" in message


def test_a_folder_not_named_by_its_objid_is_refused(package):
    renamed = package.with_name("goi-so-1")
    package.rename(renamed)

    message = refused(renamed)

    assert "goi-so-1" in message and "uuid-562937C1-8ABC-59BC-A008-7B3526FE4136" in message


def test_a_zip_without_its_package_folder_is_refused(package, tmp_path):
    with zipfile.ZipFile(tmp_path / "phang.zip", "w") as archive:
        for path in sorted(package.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(package).as_posix())

    message = refused(tmp_path / "phang.zip")

    assert "phang.zip" in message and "cấu trúc sai" in message


def test_a_field_outside_the_vocabulary_is_refused(package):
    ead = package / "representations" / "rep1" / "metadata" / "descriptive" / f"EAD_DOC_{CODE}.2.xml"
    ead.write_bytes(ead.read_bytes().replace(b"<mode>01</mode>", b"<mode>09</mode>"))
    rewrite_representation_mets(package, lambda root: restate(root, ead))

    message = refused(package)

    assert f"EAD_DOC_{CODE}.2.xml" in message and "mode" in message and "“09”" in message


def restate(root, path):
    content = path.read_bytes()
    for reference in root.iter(f"{{{METS_NS}}}mdRef"):
        if reference.get(HREF).endswith(path.name):
            reference.set("SIZE", str(len(content)))
            reference.set("CHECKSUM", hashlib.sha256(content).hexdigest().upper())


def test_one_bad_package_in_a_folder_stops_every_package(package, tmp_path):
    batch = tmp_path / "lo"
    batch.mkdir()
    zipped(package, batch / "1-tot.zip")
    (package / "representations" / "rep1" / "data" / f"{CODE}.1.pdf").write_bytes(
        b"%PDF-1.4 khong phai ban goc"
    )
    zipped(package, batch / "2-hong.zip", top=OBJID)

    message = refused(batch)

    assert "2-hong.zip" in message and f"{CODE}.1.pdf" in message
