"""Writing Circular 05/2025 packages: one zipped SIP_hoso or AIP_hoso per file (hồ sơ).

Each package is written into a temporary ``.part`` file next to its final name and renamed only
once it is complete and recorded; any error (a full disk among them) removes the temporary file, so
nothing incomplete ever looks like a package. Data files are copied from storage into the zip in
chunks, hashed on the way and compared with the digest recorded at ingest: a stored file that no
longer matches is never packaged.
"""

import errno
import hashlib
import json
import os
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from lxml import etree

from ... import access
from ...models import (
    DigitalObject,
    EventType,
    InformationPackage,
    PackageDirection,
    PackageKind,
    RecordFile,
)
from ...preservation import build_event, events_of
from ...vocabularies import RecordKind
from . import layout
from .extensions import package_extensions
from .fields import document_fields, file_fields
from .mets import DocumentLink, Entry, Header, representation_mets, root_mets
from .premis import PremisObject, premis_document
from .xml import serialize, validate

CHUNK_SIZE = 1024 * 1024
PART_SUFFIX = ".part"


class ExportError(Exception):
    """A package that could not be written; the message says which and why, and what to do."""


@dataclass
class DataFile:
    """A stored file to copy into ``data/``: the archival PDF/A copy, or the original scan."""

    digital_object: DigitalObject
    storage_name: str
    sha256: str
    size: int
    archive_name: str  # the name inside data/
    is_archival_copy: bool


@dataclass
class WrittenPackage:
    package: InformationPackage
    path: Path
    documents: int
    data_files: int
    notes: list = field(default_factory=list)


def files_to_export(archive, fonds=None):
    """The live files of an archive (or of one fonds) in live fonds and series, in inventory order."""
    queryset = RecordFile.objects.filter(
        archive=archive, deleted_at__isnull=True, fonds__deleted_at__isnull=True
    ).exclude(series__deleted_at__isnull=False)
    if fonds is not None:
        queryset = queryset.filter(fonds=fonds)
    return queryset.select_related("archive", "fonds", "series").order_by(
        "fonds__code", "series__number", "number_in_series", "file_code"
    )


def check_may_export(user, archive):
    if user is not None and not access.can_digitize(user, archive.pk):
        raise ExportError(
            _(
                "%(user)s không có quyền xuất gói tin của %(archive)s: chỉ lưu trữ viên, lãnh đạo của cơ "
                "quan lưu trữ này hoặc quản trị hệ thống được xuất."
            )
            % {"user": user.get_username(), "archive": archive.name}
        )


def export_packages(archive, target_dir, *, kind=PackageKind.SIP, fonds=None, user=None, opener=open):
    """Write one package per live file of ``archive`` into ``target_dir``; yield each ``WrittenPackage``."""
    check_may_export(user, archive)
    target_dir = Path(target_dir)
    if not target_dir.is_dir():
        raise ExportError(
            _("Thư mục “%(dir)s” không tồn tại. Hãy tạo thư mục trước rồi chạy lại.") % {"dir": target_dir}
        )
    batch = uuid.uuid4()
    for record_file in files_to_export(archive, fonds).iterator(chunk_size=200):
        yield PackageWriter(record_file, target_dir, kind, batch, user, opener).write()


class PackageWriter:
    def __init__(self, record_file, target_dir, kind, batch, user, opener):
        self.record_file = record_file
        self.target_dir = target_dir
        self.kind = PackageKind(kind)
        self.batch = batch
        self.user = user
        self.opener = opener
        self.package_uuid = layout.new_uuid()
        fonds_code = record_file.fonds.code
        if self.kind == PackageKind.AIP:
            self.objid = layout.aip_objid(self.package_uuid, fonds_code)
        else:
            self.objid = layout.sip_objid(self.package_uuid)
        self.folder = layout.folder_name(self.objid)
        self.zip_name = f"{self.package_uuid.lower()}.zip"
        self.created = layout.mets_datetime()
        self.notes = []
        self.data_paths = {}  # id of each packaged scan → its path in the package

    # The whole package ---------------------------------------------------------------------------

    def write(self):
        documents = list(
            self.record_file.documents.filter(deleted_at__isnull=True)
            .select_related("archive")
            .prefetch_related("categories")
            .order_by("ordinal")
        )
        final_path = self.target_dir / self.zip_name
        part_path = self.target_dir / f".{self.zip_name}{PART_SUFFIX}"
        event = self.creation_event(documents)
        try:
            with self.opener(part_path, "wb") as raw:
                with zipfile.ZipFile(raw, "w", allowZip64=True) as archive_zip:
                    data_count = self.write_contents(archive_zip, documents, event)
                raw.flush()
                _sync(raw)
            digest, size = _digest_path(part_path)
            with transaction.atomic():
                package = self.record(event, documents, data_count, digest, size)
                os.replace(part_path, final_path)
        except BaseException as error:
            _remove_quietly(part_path)
            if isinstance(error, ExportError):
                raise
            if isinstance(error, OSError):
                raise ExportError(self.os_error_message(error)) from error
            raise
        return WrittenPackage(package, final_path, len(documents), data_count, self.notes)

    def os_error_message(self, error):
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return _(
                "Hết chỗ trên đĩa khi ghi gói tin của hồ sơ %(code)s vào “%(dir)s”. Gói dở dang đã được "
                "xóa; các gói đã ghi trước đó vẫn đầy đủ. Giải phóng dung lượng hoặc chọn thư mục khác "
                "rồi chạy lại."
            ) % {"code": self.record_file.reference_code, "dir": self.target_dir}
        return _(
            "Không ghi được gói tin của hồ sơ %(code)s vào “%(dir)s”: %(error)s. Gói dở dang đã được xóa; "
            "khắc phục lỗi rồi chạy lại."
        ) % {"code": self.record_file.reference_code, "dir": self.target_dir, "error": error}

    def write_contents(self, archive_zip, documents, event):
        self.zip = archive_zip
        data_dir = f"{self.folder}/{layout.REP_DATA}/"
        archive_zip.writestr(zipfile.ZipInfo(data_dir), b"")
        links, data_files = [], []
        for document in documents:
            data = self.document_data(document)
            data_entry = self.copy_data(data) if data else None
            if data:
                data_files.append(data)
            metadata = self.write_xml(
                f"{layout.REP_DESCRIPTIVE}/{layout.DOC_PREFIXES[_kind(document)]}{document.doc_id}.xml",
                _simpledc(document_fields(document)),
                layout.DOC_SCHEMAS[_kind(document)],
                relative_to=layout.REP,
            )
            links.append(DocumentLink(metadata, data_entry))
        loose = []
        for data in self.file_level_data():
            loose.append(self.copy_data(data))
            data_files.append(data)
        header = self.header()
        rep_premis = None
        if self.kind == PackageKind.AIP:
            rep_premis = self.write_premis(
                layout.REP_PREMIS,
                [PremisObject("rep1", "representation"), *self.file_objects(data_files)],
                self.object_events(data_files),
                layout.REP,
            )
        rep_mets = self.write_xml(
            layout.REP_METS,
            representation_mets(header, links, loose, rep_premis),
            "mets1_12.xsd",
        )
        ead = self.write_xml(
            layout.FILE_EAD, _simpledc(file_fields(self.record_file, len(documents))), "ead.xsd"
        )
        extensions = self.write_extensions(documents)
        schemas = [self.write_schema(name) for name in self.schema_names()]
        premis_entry = None
        if self.kind == PackageKind.AIP:
            premis_entry = self.write_premis(
                layout.PREMIS,
                [PremisObject(self.record_file.reference_code, "intellectualEntity")],
                [*self.record_events(documents), event],
            )
        self.write_xml(
            layout.ROOT_METS,
            root_mets(header, ead, schemas, rep_mets, premis_entry, extensions),
            "mets1_12.xsd",
        )
        return len(data_files)

    def header(self):
        record_file = self.record_file
        series = record_file.series
        return Header(
            objid=self.objid,
            label=record_file.title,
            package_type=self.kind.upper(),
            created=self.created,
            fonds_code=record_file.fonds.code,
            file_code=record_file.file_code,
            packager=self.user.get_username() if self.user is not None else layout.SOFTWARE_NAME,
            alt_ids={
                "ARCHIVECODE": record_file.archive.code,
                "REFERENCECODE": record_file.reference_code,
                "FONDSNAME": record_file.fonds.name,
                "CREATORCODE": record_file.creator_code or record_file.fonds.file_code_prefix,
                "YEAR": record_file.year,
                "FILENUMBER": record_file.file_number,
                "SERIESNUMBER": series.number if series else "",
                "SERIESTITLE": series.title if series else "",
            },
        )

    def schema_names(self):
        names = [*layout.METS_SCHEMA_FILES, *layout.EAD_SCHEMA_FILES]
        if self.kind == PackageKind.AIP:
            names.append(layout.PREMIS_SCHEMA_FILE)
        return names

    # Data files ----------------------------------------------------------------------------------

    def document_data(self, document):
        scan = document.digital_objects.order_by("-created_at", "-pk").first()
        return self.data_file(scan, document.doc_id) if scan else None

    def file_level_data(self):
        scans = self.record_file.digital_objects.filter(document__isnull=True).order_by("created_at", "pk")
        for number, scan in enumerate(scans, start=1):
            name = self.record_file.file_code if number == 1 else f"{self.record_file.file_code}-{number}"
            yield self.data_file(scan, name)

    def data_file(self, scan, base_name):
        if scan.archival_copy and scan.archival_sha256:
            return DataFile(
                scan,
                scan.archival_copy.name,
                scan.archival_sha256,
                scan.archival_size_bytes or 0,
                f"{base_name}.pdf",
                True,
            )
        extension = layout.EXTENSION_BY_MIME.get(scan.mime_type, Path(scan.file.name).suffix.lower())
        self.notes.append(
            _("Tài liệu %(code)s chưa có bản PDF/A lưu trữ: đóng gói bản quét gốc “%(name)s”.")
            % {"code": base_name, "name": scan.original_name}
        )
        return DataFile(scan, scan.file.name, scan.sha256, scan.size_bytes, f"{base_name}{extension}", False)

    def copy_data(self, data):
        """Stream a stored file into ``data/``, hashing it; refuse a file that no longer matches."""
        path = f"{layout.REP_DATA}/{data.archive_name}"
        info = _zip_info(f"{self.folder}/{path}", zipfile.ZIP_STORED)
        sha256, size = hashlib.sha256(), 0
        storage = data.digital_object.file.storage
        try:
            source = storage.open(data.storage_name, "rb")
        except (OSError, FileNotFoundError) as error:
            raise ExportError(self.missing_message(data, error)) from error
        with source, self.zip.open(info, "w", force_zip64=data.size > 2**31) as target:
            while chunk := source.read(CHUNK_SIZE):
                sha256.update(chunk)
                size += len(chunk)
                target.write(chunk)
        if sha256.hexdigest().lower() != data.sha256.lower():
            raise ExportError(
                _(
                    "Tệp lưu trữ “%(name)s” của %(code)s không còn khớp mã SHA-256 đã ghi khi tiếp nhận "
                    "(ghi nhận %(expected)s, hiện là %(actual)s): tệp đã bị hỏng hoặc bị thay. Không "
                    "đóng gói tệp hỏng; hãy khôi phục tệp từ bản sao bảo hiểm rồi chạy lại."
                )
                % {
                    "name": data.storage_name,
                    "code": data.digital_object.record.reference_code,
                    "expected": data.sha256.upper(),
                    "actual": sha256.hexdigest().upper(),
                }
            )
        self.data_paths[data.digital_object.pk] = f"{layout.REP_DATA}/{data.archive_name}"
        return Entry(f"data/{data.archive_name}", size, sha256.hexdigest())

    def missing_message(self, data, error):
        return _(
            "Không đọc được tệp lưu trữ “%(name)s” của %(code)s (%(error)s). Hãy khôi phục tệp từ bản sao "
            "bảo hiểm rồi chạy lại."
        ) % {"name": data.storage_name, "code": data.digital_object.record.reference_code, "error": error}

    # XML files -----------------------------------------------------------------------------------

    def write_xml(self, path, element, schema_name, relative_to=""):
        validate(element, schema_name)
        content = serialize(element)
        self.zip.writestr(_zip_info(f"{self.folder}/{path}", zipfile.ZIP_DEFLATED), content)
        href = path[len(relative_to) + 1 :] if relative_to else path
        return Entry(href, len(content), hashlib.sha256(content).hexdigest())

    def write_extensions(self, documents):
        """The values the Circular has no field for, as ``metadata/other/kho-extensions.json``, if any."""
        content = package_extensions(self.record_file, documents, self.data_paths)
        if content is None:
            return None
        data = json.dumps(content, ensure_ascii=False, indent=1).encode("utf-8")
        self.zip.writestr(_zip_info(f"{self.folder}/{layout.EXTENSIONS}", zipfile.ZIP_DEFLATED), data)
        return Entry(layout.EXTENSIONS, len(data), hashlib.sha256(data).hexdigest())

    def write_schema(self, name):
        content = (layout.SCHEMA_DIR / name).read_bytes()
        path = f"{layout.SCHEMAS}/{name}"
        self.zip.writestr(_zip_info(f"{self.folder}/{path}", zipfile.ZIP_DEFLATED), content)
        return Entry(path, len(content), hashlib.sha256(content).hexdigest())

    def write_premis(self, path, objects, events, relative_to=""):
        return self.write_xml(path, premis_document(objects, events), layout.PREMIS_SCHEMA_FILE, relative_to)

    def file_objects(self, data_files):
        return [
            PremisObject(
                identifier=data.archive_name,
                category="file",
                sha256=data.sha256,
                size=data.size,
                format_name="application/pdf" if data.is_archival_copy else data.digital_object.mime_type,
                original_name=data.digital_object.original_name,
            )
            for data in data_files
        ]

    def object_events(self, data_files):
        events = {}
        for data in data_files:
            for event in events_of(data.digital_object):
                events[event.pk] = event
        return list(events.values())

    def record_events(self, documents):
        events = {event.pk: event for event in events_of(self.record_file)}
        for document in documents:
            events.update({event.pk: event for event in events_of(document)})
        return list(events.values())

    # Recording -----------------------------------------------------------------------------------

    def creation_event(self, documents):
        return build_event(
            EventType.PACKAGE_CREATION,
            archive=self.record_file.archive,
            record=self.record_file,
            detail=_("Tạo gói %(kind)s %(objid)s (%(count)s tài liệu).")
            % {"kind": self.kind.upper(), "objid": self.objid, "count": len(documents)},
            agent=self.user,
        )

    def record(self, event, documents, data_count, digest, size):
        event.outcome_detail = f"{self.zip_name}: {size} byte, SHA-256 {digest.upper()}"
        event.save()
        return InformationPackage.objects.create(
            objid=self.objid,
            kind=self.kind,
            direction=PackageDirection.EXPORT,
            archive=self.record_file.archive,
            record_file=self.record_file,
            file_code=self.record_file.file_code,
            name=self.zip_name,
            size=size,
            sha256=digest,
            batch=self.batch,
            created_by=self.user,
        )


def _kind(document):
    return document.kind if document.kind in layout.DOC_PREFIXES else RecordKind.TEXT


def _simpledc(values):
    root = etree.Element("simpledc")
    for name, value in values.items():
        etree.SubElement(root, name).text = value
    return root


def _zip_info(name, compression):
    info = zipfile.ZipInfo(name, date_time=_now_tuple())
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info


def _now_tuple():
    return time.localtime()[:6]


def _digest_path(path):
    sha256, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            sha256.update(chunk)
            size += len(chunk)
    return sha256.hexdigest(), size


def _sync(handle):
    try:
        os.fsync(handle.fileno())
    except (AttributeError, OSError, ValueError):
        pass  # not a real file (a test double): nothing to sync


def _remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
