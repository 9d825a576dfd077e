"""Reading and validating a Circular 05/2025 file package before anything is written.

Checked, in order: the required files and folders; both METS files (well formed, valid against the
CSIP-profiled METS schema); the folder named by the OBJID; every file the METS files reference
exists with the size and SHA-256 they state; no file is left unreferenced; the EAD files are valid
against their schemas and their fields against the Circular's rules; each document's metadata is
linked to its data file; data files are scans the archive can take (PDF, TIFF, JPEG, PNG); an AIP
carries valid PREMIS; the software's own metadata (``extensions``), when METS.xml lists it, names
only the package's records and holds values the archive takes. The first problem refuses the
package, naming the file.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

from ...ingest.scans import Refusal, check_type
from ...vocabularies import RecordKind
from . import layout
from .extensions import PackageExtensions, read_extensions
from .fields import FieldProblem, parse_document, parse_file, split_file_code
from .sources import PackageInvalid, safe_relative
from .xml import SchemaProblem, parse_xml, validate

CHUNK_SIZE = 1024 * 1024
HEAD_SIZE = 8192
MAX_XML_BYTES = 64 * 1024 * 1024
MAX_EXTENSIONS_BYTES = 256 * 1024 * 1024  # corrected page texts and full texts of a whole file
M = f"{{{layout.METS_NS}}}"
XLINK_HREF = f"{{{layout.XLINK_NS}}}href"
PACKAGE_TYPES = {"SIP": "sip", "AIP": "aip"}


@dataclass
class DataRef:
    """A data file of the package, checked: its path inside the package, size, SHA-256 and type."""

    path: str
    size: int
    sha256: str
    mime_type: str

    @property
    def name(self):
        return PurePosixPath(self.path).name


@dataclass
class ParsedDocument:
    kind: str
    ordinal: int
    doc_id: str
    values: dict
    metadata_path: str
    data: DataRef | None = None


@dataclass
class ParsedPackage:
    source: object
    objid: str
    kind: str
    fonds_code: str
    file_code: str
    file_values: dict
    creator_code: str
    year: int
    file_number: str
    alt_ids: dict
    documents: list = field(default_factory=list)
    loose_data: list = field(default_factory=list)
    extensions: PackageExtensions = field(default_factory=PackageExtensions)

    @property
    def label(self):
        return self.source.label

    @property
    def data_files(self):
        return [doc.data for doc in self.documents if doc.data] + self.loose_data

    @property
    def data_bytes(self):
        return sum(data.size for data in self.data_files)


def read_package(source):
    """Validate one package source completely; return a ``ParsedPackage`` or raise PackageInvalid."""
    return PackageReader(source).read()


class PackageReader:
    def __init__(self, source):
        self.source = source
        self.referenced = set()
        self.premis_paths = set()
        self.heads = {}

    def fail(self, file, message):
        raise PackageInvalid(self.source.label, file, message)

    def read(self):
        self.check_required()
        root = self.load_mets(layout.ROOT_METS)
        objid = root.get("OBJID", "")
        self.check_folder_name(objid)
        package_type = self.check_header(root)
        self.check_references(root, "")
        self.check_representation_pointer(root)
        rep = self.load_mets(layout.REP_METS)
        self.check_references(rep, layout.REP)
        self.check_nothing_extra()
        self.check_premis(package_type)
        file_code, file_values = self.read_file_metadata()
        alt_ids = self.alt_ids(root)
        if alt_ids.get("SUBMISSIONAGREEMENT", file_code) != file_code:
            self.fail(
                layout.ROOT_METS,
                _("altRecordID (%(alt)s) khác fileCode trong EAD.xml (%(code)s).")
                % {"alt": alt_ids["SUBMISSIONAGREEMENT"], "code": file_code},
            )
        creator_code, year, file_number = self.placement(file_code, alt_ids)
        package = ParsedPackage(
            source=self.source,
            objid=objid,
            kind=PACKAGE_TYPES[package_type],
            fonds_code=self.fonds_code(root),
            file_code=file_code,
            file_values=file_values,
            creator_code=creator_code,
            year=year,
            file_number=file_number,
            alt_ids=alt_ids,
        )
        self.read_documents(rep, package)
        self.read_extensions(root, package)
        return package

    # Structure -----------------------------------------------------------------------------------

    def check_required(self):
        for name in layout.REQUIRED_FILES:
            if name not in self.source.files:
                self.fail(name, _("thiếu tệp bắt buộc theo cấu trúc gói của Thông tư 05/2025."))
        for folder in (layout.REP_DATA, layout.SCHEMAS):
            if folder not in self.source.dirs:
                self.fail(f"{folder}/", _("thiếu thư mục bắt buộc theo cấu trúc gói của Thông tư 05/2025."))

    def load_mets(self, name):
        element = self.load_xml(name)
        if element.tag != f"{M}mets":
            self.fail(name, _("phần tử gốc phải là <mets> (METS 1.12)."))
        try:
            validate(element, "mets1_12.xsd")
        except SchemaProblem as problem:
            self.fail(name, _("không đúng lược đồ METS (CSIP): %(problem)s") % {"problem": problem})
        return element

    def load_xml(self, name):
        if self.source.size(name) > MAX_XML_BYTES:
            self.fail(name, _("tệp XML quá lớn (trên 64 MB)."))
        with self.source.open(name) as handle:
            data = handle.read()
        try:
            return parse_xml(data)
        except SchemaProblem as problem:
            self.fail(name, _("XML không hợp lệ: %(problem)s") % {"problem": problem})

    def check_folder_name(self, objid):
        if not objid:
            self.fail(layout.ROOT_METS, _("thiếu thuộc tính OBJID của <mets>."))
        if self.source.root != layout.folder_name(objid):
            self.fail(
                f"{self.source.root}/",
                _(
                    "tên thư mục gói phải là OBJID “%(objid)s” (dấu “:” viết “_”), nhưng là “%(folder)s”. "
                    "Đặt lại tên thư mục theo OBJID."
                )
                % {"objid": objid, "folder": self.source.root},
            )

    def check_header(self, root):
        header = root.find(f"{M}metsHdr")
        package_type = header.get(f"{{{layout.CSIP_NS}}}OAISPACKAGETYPE", "")
        if package_type not in PACKAGE_TYPES:
            self.fail(
                layout.ROOT_METS,
                _("csip:OAISPACKAGETYPE là “%(type)s”; chỉ nhập được gói SIP hoặc AIP.")
                % {"type": package_type},
            )
        if root.get("TYPE") != "Mixed":
            self.fail(
                layout.ROOT_METS,
                _(
                    'mets/@TYPE là “%(type)s”; chỉ nhập được gói hồ sơ (TYPE="Mixed", SIP_hoso/AIP_hoso). '
                    "Gói tài liệu rời lẻ (Collection) chưa được hỗ trợ."
                )
                % {"type": root.get("TYPE", "")},
            )
        return package_type

    def fonds_code(self, root):
        for note in root.iterfind(f"{M}metsHdr/{M}agent/{M}note"):
            if (
                note.get(f"{{{layout.CSIP_NS}}}NOTETYPE") == "IDENTIFICATIONCODE"
                and (note.text or "").strip()
            ):
                return note.text.strip()
        return ""

    def alt_ids(self, root):
        return {
            element.get("TYPE", ""): (element.text or "").strip()
            for element in root.iterfind(f"{M}metsHdr/{M}altRecordID")
        }

    # References ----------------------------------------------------------------------------------

    def check_references(self, root, base):
        mets_name = f"{base}/METS.xml" if base else layout.ROOT_METS
        for reference in root.iter(f"{M}mdRef", f"{M}file"):
            href = (
                reference.get(XLINK_HREF)
                if reference.tag == f"{M}mdRef"
                else self.flocat(reference, mets_name)
            )
            path = self.resolve(mets_name, base, href)
            self.check_file(mets_name, path, reference)
            self.referenced.add(path)
            if reference.get("MDTYPE") == "PREMIS":
                self.premis_paths.add(path)

    def flocat(self, file_element, mets_name):
        location = file_element.find(f"{M}FLocat")
        if location is None or not location.get(XLINK_HREF):
            self.fail(mets_name, _('<file ID="%(id)s"> không có FLocat.') % {"id": file_element.get("ID")})
        return location.get(XLINK_HREF)

    def resolve(self, mets_name, base, href):
        relative = safe_relative(href or "")
        if relative is None:
            self.fail(mets_name, _("đường dẫn “%(href)s” không hợp lệ hoặc nằm ngoài gói.") % {"href": href})
        return f"{base}/{relative}" if base else relative

    def check_file(self, mets_name, path, reference):
        if path not in self.source.files:
            self.fail(
                path,
                _("%(mets)s tham chiếu tệp này nhưng trong gói không có (thiếu tệp hoặc sai tên).")
                % {"mets": mets_name},
            )
        checksum_type = (reference.get("CHECKSUMTYPE") or "").upper().replace("SHA256", "SHA-256")
        if checksum_type != "SHA-256" or not reference.get("CHECKSUM"):
            self.fail(path, _("%(mets)s phải ghi mã kiểm tra SHA-256 cho tệp này.") % {"mets": mets_name})
        stated_size = reference.get("SIZE")
        actual_size = self.source.size(path)
        if stated_size is not None and stated_size.isdigit() and int(stated_size) != actual_size:
            self.fail(
                path,
                _("dung lượng thực %(actual)s byte khác %(stated)s byte ghi trong %(mets)s.")
                % {"actual": actual_size, "stated": stated_size, "mets": mets_name},
            )
        if stated_size is None or not stated_size.isdigit():
            self.fail(path, _("%(mets)s không ghi dung lượng (SIZE) của tệp này.") % {"mets": mets_name})
        actual, head = self.digest(path)
        if actual.upper() != reference.get("CHECKSUM").strip().upper():
            self.fail(
                path,
                _(
                    "mã SHA-256 thực %(actual)s khác %(stated)s ghi trong %(mets)s: tệp đã bị thay đổi "
                    "hoặc hỏng."
                )
                % {"actual": actual.upper(), "stated": reference.get("CHECKSUM").upper(), "mets": mets_name},
            )
        self.heads[path] = (actual, head)

    def digest(self, path):
        sha256, head = hashlib.sha256(), b""
        with self.source.open(path) as handle:
            while chunk := handle.read(CHUNK_SIZE):
                if len(head) < HEAD_SIZE:
                    head += chunk[: HEAD_SIZE - len(head)]
                sha256.update(chunk)
        return sha256.hexdigest(), head

    def check_representation_pointer(self, root):
        hrefs = [pointer.get(XLINK_HREF) for pointer in root.iter(f"{M}mptr")]
        if layout.REP_METS not in hrefs:
            self.fail(
                layout.ROOT_METS,
                _("structMap phải trỏ (mptr) tới %(rep)s.") % {"rep": layout.REP_METS},
            )

    def check_nothing_extra(self):
        for name in sorted(self.source.files):
            if name == layout.ROOT_METS or name in self.referenced:
                continue
            if name.startswith(f"{layout.DOCUMENTATION}/"):
                continue
            self.fail(
                name,
                _(
                    "tệp thừa: có trong gói nhưng không được METS.xml nào tham chiếu (không có mã kiểm tra "
                    "để đối chiếu). Bỏ tệp ra hoặc lập lại gói."
                ),
            )

    # Metadata ------------------------------------------------------------------------------------

    def read_simpledc(self, path, schema_name):
        element = self.load_xml(path)
        code = element.find("arcFileCode")
        if code is not None:  # AIP_hoso names the file code arcFileCode
            code.tag = "fileCode"
        try:
            validate(element, schema_name)
        except SchemaProblem as problem:
            self.fail(
                path,
                _("không đúng lược đồ %(schema)s: %(problem)s") % {"schema": schema_name, "problem": problem},
            )
        return {child.tag: (child.text or "").strip() for child in element}

    def read_file_metadata(self):
        values = self.read_simpledc(layout.FILE_EAD, "ead.xsd")
        file_code = values.get("fileCode", "")
        if not file_code:
            self.fail(layout.FILE_EAD, _("fileCode (mã hồ sơ) để trống."))
        try:
            return file_code, parse_file(values)
        except FieldProblem as problem:
            self.fail(layout.FILE_EAD, str(problem))

    def placement(self, file_code, alt_ids):
        if alt_ids.get("YEAR", "").isdigit() and alt_ids.get("FILENUMBER"):
            creator, year, number = (
                alt_ids.get("CREATORCODE", ""),
                int(alt_ids["YEAR"]),
                alt_ids["FILENUMBER"],
            )
            composed = ".".join(
                part for part in (creator, str(year), number, alt_ids.get("SERIESNUMBER")) if part
            )
            if composed == file_code:
                return creator, year, number
        parts = split_file_code(file_code)
        if parts is None:
            self.fail(
                layout.FILE_EAD,
                _(
                    "fileCode “%(code)s” không có dạng [mã định danh cơ quan].[năm].[số và ký hiệu hồ sơ] "
                    "(ví dụ H49.64.33.2001.160)."
                )
                % {"code": file_code},
            )
        return parts

    def read_documents(self, rep, package):
        dmd_paths = {
            section.get("ID"): self.resolve(
                layout.REP_METS, layout.REP, section.find(f"{M}mdRef").get(XLINK_HREF)
            )
            for section in rep.iterfind(f"{M}dmdSec")
            if section.find(f"{M}mdRef") is not None
        }
        data_paths = {
            element.get("ID"): self.resolve(
                layout.REP_METS, layout.REP, self.flocat(element, layout.REP_METS)
            )
            for element in rep.iterfind(f"{M}fileSec/{M}fileGrp/{M}file")
        }
        linked = {}
        for div in rep.iter(f"{M}div"):
            if div.get("LABEL") != "MetadataLink/File" or not div.get("DMDID"):
                continue
            pointer = div.find(f"{M}fptr")
            file_id = pointer.get("FILEID") if pointer is not None else None
            if file_id is not None and file_id not in data_paths:
                self.fail(
                    layout.REP_METS,
                    _("fptr trỏ tới FILEID “%(id)s” không có trong fileSec.") % {"id": file_id},
                )
            linked[div.get("DMDID").split()[0]] = data_paths.get(file_id)
        ordinals = set()
        for dmd_id, metadata_path in dmd_paths.items():
            document = self.read_document(metadata_path, package.file_code)
            if document.ordinal in ordinals:
                self.fail(
                    metadata_path, _("số thứ tự tài liệu %(n)s bị trùng trong gói.") % {"n": document.ordinal}
                )
            ordinals.add(document.ordinal)
            data_path = linked.get(dmd_id)
            if data_path:
                document.data = self.data_ref(data_path)
            package.documents.append(document)
        used = {document.data.path for document in package.documents if document.data}
        package.loose_data = [self.data_ref(path) for path in data_paths.values() if path not in used]
        package.documents.sort(key=lambda document: document.ordinal)

    def read_document(self, path, file_code):
        match = layout.DOC_NAME_PATTERN.match(PurePosixPath(path).name)
        if match is None:
            self.fail(
                path, _("tên tệp siêu dữ liệu tài liệu phải là EAD_doc_…, EAD_pic_… hoặc EAD_media_….xml.")
            )
        kind = layout.DOC_KIND_BY_WORD[match.group(1).lower()]
        values = self.read_simpledc(path, layout.DOC_SCHEMAS[kind])
        ordinal = self.ordinal_of(path, kind, values, file_code)
        try:
            parsed = parse_document(values, kind)
        except FieldProblem as problem:
            self.fail(path, str(problem))
        return ParsedDocument(kind, ordinal, f"{file_code}.{ordinal}", parsed, path)

    def ordinal_of(self, path, kind, values, file_code):
        if kind == RecordKind.TEXT:
            code, pattern = values.get("docId", ""), rf"{re.escape(file_code)}\.(\d{{1,7}})"
        else:
            code, pattern = values.get("docCode", ""), rf"{re.escape(file_code)}\.?(\d{{7}})"
        match = re.fullmatch(pattern, code)
        if match is None or int(match.group(1)) == 0:
            self.fail(
                path,
                _("mã tài liệu “%(code)s” phải là mã hồ sơ %(file)s + số thứ tự trong hồ sơ.")
                % {"code": code, "file": file_code},
            )
        return int(match.group(1))

    def data_ref(self, path):
        if not path.startswith(f"{layout.REP_DATA}/"):
            self.fail(path, _("tệp dữ liệu phải nằm trong %(data)s/.") % {"data": layout.REP_DATA})
        sha256, head = self.heads[path]
        try:
            mime_type = check_type(PurePosixPath(path).name, head)
        except Refusal as refusal:
            self.fail(path, str(refusal))
        return DataRef(path, self.source.size(path), sha256, mime_type)

    # The software's own metadata ---------------------------------------------------------------------

    def read_extensions(self, root, package):
        """Read ``kho-extensions.json`` when METS.xml lists it; a package without it is left as it is."""
        path = self.extensions_path(root)
        if path is None:
            return
        if self.source.size(path) > MAX_EXTENSIONS_BYTES:
            self.fail(path, _("tệp siêu dữ liệu mở rộng quá lớn (trên 256 MB)."))
        with self.source.open(path) as handle:
            data = handle.read()
        try:
            content = json.loads(data.decode("utf-8"))
        except ValueError as error:
            self.fail(path, _("không phải JSON hợp lệ (UTF-8): %(error)s") % {"error": error})
        try:
            package.extensions = read_extensions(content, package)
        except FieldProblem as problem:
            self.fail(path, str(problem))

    def extensions_path(self, root):
        for reference in root.iter(f"{M}mdRef"):
            if (
                reference.get("MDTYPE") == "OTHER"
                and reference.get("OTHERMDTYPE") == layout.EXTENSIONS_MDTYPE
            ):
                return self.resolve(layout.ROOT_METS, "", reference.get(XLINK_HREF))
        return None

    # Preservation metadata -----------------------------------------------------------------------

    def check_premis(self, package_type):
        """An AIP carries PREMIS.xml; every PREMIS file the METS files point to follows PREMIS 3."""
        if package_type == "AIP" and layout.PREMIS not in self.premis_paths:
            self.fail(
                layout.PREMIS, _("gói AIP phải có siêu dữ liệu bảo quản PREMIS, được METS.xml tham chiếu.")
            )
        for path in sorted(self.premis_paths):
            element = self.load_xml(path)
            try:
                validate(element, layout.PREMIS_SCHEMA_FILE)
            except SchemaProblem as problem:
                self.fail(path, _("không đúng lược đồ PREMIS 3: %(problem)s") % {"problem": problem})
