"""The shape of a Circular 05/2025 file package (SIP_hoso / AIP_hoso, after E-ARK CSIP 2.0.4).

Paths, namespaces, identifiers and dates as the Circular's appendices and its published sample
package lay them out. The sample is followed where it differs from the Circular's text (empty
``amdSec`` in SIPs, the fonds code as the creator agent's note, ``altRecordID`` = file code,
``MDTYPE="DC"`` version ``1.0.0``, lower-case schema names, ``OBJID="rep1"`` in the representation).
"""

import datetime
import re
import uuid
import zoneinfo
from pathlib import Path

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
PREMIS_NS = "http://www.loc.gov/premis/v3"
METS_NSMAP = {None: METS_NS, "xsi": XSI_NS, "xlink": XLINK_NS, "csip": CSIP_NS, "sip": SIP_NS}

CSIP_PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
AIP_PROFILE = "http://www.ra.ee/METS/v01/IP.xml"
SOFTWARE_NAME = "Kho lưu trữ số"

ROOT_METS = "METS.xml"
FILE_EAD = "metadata/descriptive/EAD.xml"
PREMIS = "metadata/preservation/PREMIS.xml"
REP = "representations/rep1"
REP_METS = f"{REP}/METS.xml"
REP_PREMIS = f"{REP}/metadata/preservation/PREMIS_rep1.xml"
REP_DESCRIPTIVE = f"{REP}/metadata/descriptive"
REP_DATA = f"{REP}/data"
SCHEMAS = "schemas"
# What the Circular's fields cannot hold (categories, opening dates, corrected page texts, ...):
# this software's own metadata, listed in METS.xml as other descriptive metadata (``extensions``).
EXTENSIONS = "metadata/other/kho-extensions.json"
EXTENSIONS_MDTYPE = "KHO-EXTENSIONS"
EXTENSIONS_VERSION = "1"
DOCUMENTATION = "documentation"
REQUIRED_FILES = (ROOT_METS, FILE_EAD, REP_METS)

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
METS_SCHEMA_FILES = ("mets1_12.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd", "DILCISExtensionSIPMETS.xsd")
EAD_SCHEMA_FILES = ("ead.xsd", "ead_doc.xsd", "ead_pic.xsd", "ead_media.xsd")
PREMIS_SCHEMA_FILE = "premis-v3-0.xsd"

# Document metadata files: EAD_doc_<docId>.xml (text), EAD_pic_… (photos), EAD_media_… (audio-visual).
# The published sample writes the prefix in capitals (EAD_DOC_); readers match it in any case.
DOC_PREFIXES = {"text": "EAD_doc_", "photo": "EAD_pic_", "media": "EAD_media_"}
DOC_SCHEMAS = {"text": "ead_doc.xsd", "photo": "ead_pic.xsd", "media": "ead_media.xsd"}
DOC_NAME_PATTERN = re.compile(r"^EAD_(doc|pic|media)_(.+)\.xml$", re.IGNORECASE)
DOC_KIND_BY_WORD = {"doc": "text", "pic": "photo", "media": "media"}

DATA_MIME_TYPES = {
    ".pdf": "application/pdf",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
EXTENSION_BY_MIME = {
    "application/pdf": ".pdf",
    "image/tiff": ".tif",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}

VIETNAM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def new_uuid():
    return str(uuid.uuid4()).upper()


def section_id(value=None):
    """``uuid-{UPPER UUID}``: the IDs of METS sections and divisions."""
    return f"uuid-{value or new_uuid()}"


def file_id():
    """``ID-{UPPER UUID}``: the IDs of METS ``<file>`` elements."""
    return f"ID-{new_uuid()}"


def sip_objid(package_uuid):
    return f"uuid-{package_uuid.upper()}"


def aip_objid(package_uuid, fonds_code):
    return f"urn:{fonds_code}:uuid-{package_uuid.upper()}"


def folder_name(objid):
    """A package's folder is named by its OBJID, with ``:`` written ``_`` (AIP OBJIDs are URNs)."""
    return objid.replace(":", "_")


def mets_datetime(moment=None):
    """``2026-06-12T11:45:37.690+07:00``: Vietnam time with milliseconds, as the sample writes it."""
    moment = (moment or datetime.datetime.now(datetime.UTC)).astimezone(VIETNAM)
    return moment.isoformat(timespec="milliseconds")


def mime_type_of(name):
    if name.lower().endswith(".xsd"):
        return "application/octet-stream"
    if name.lower().endswith(".xml"):
        return "application/xml"
    if name.lower().endswith(".json"):
        return "application/json"
    return DATA_MIME_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def qname(namespace, name):
    return f"{{{namespace}}}{name}"
