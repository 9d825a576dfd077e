"""Writing the two METS files of a package: the package's own and its representation's (rep1)."""

from dataclasses import dataclass, field

from lxml import etree

from .layout import (
    AIP_PROFILE,
    CSIP_NS,
    CSIP_PROFILE,
    EXTENSIONS_MDTYPE,
    EXTENSIONS_VERSION,
    METS_NS,
    METS_NSMAP,
    SOFTWARE_NAME,
    XLINK_NS,
    XSI_NS,
    file_id,
    mime_type_of,
    qname,
    section_id,
)

SCHEMA_LOCATIONS = (
    (METS_NS, "mets1_12.xsd"),
    (XLINK_NS, "xlink.xsd"),
    (CSIP_NS, "DILCISExtensionMETS.xsd"),
    ("https://DILCIS.eu/XML/METS/SIPExtensionMETS", "DILCISExtensionSIPMETS.xsd"),
)


@dataclass
class Entry:
    """One file a METS points to, by its path relative to the METS file's folder."""

    href: str
    size: int
    sha256: str
    id: str = field(default_factory=file_id)

    @property
    def checksum(self):
        return self.sha256.upper()


@dataclass
class DocumentLink:
    """A document's metadata file and, when it was digitized, its data file."""

    metadata: Entry
    data: Entry | None
    dmd_id: str = field(default_factory=section_id)


@dataclass
class Header:
    objid: str
    label: str
    package_type: str  # SIP or AIP
    created: str
    fonds_code: str
    file_code: str
    packager: str
    alt_ids: dict = field(default_factory=dict)


def mets(tag, parent=None, **attributes):
    element = (
        etree.Element(qname(METS_NS, tag))
        if parent is None
        else etree.SubElement(parent, qname(METS_NS, tag))
    )
    for name, value in attributes.items():
        element.set(name, str(value))
    return element


def _root(header, objid, profile, schema_prefix):
    root = etree.Element(qname(METS_NS, "mets"), nsmap=METS_NSMAP)
    root.set("OBJID", objid)
    if header.label and objid != "rep1":
        root.set("LABEL", header.label[:1000])
    root.set("TYPE", "Mixed")
    root.set(qname(CSIP_NS, "CONTENTINFORMATIONTYPE"), "MIXED")
    root.set("PROFILE", profile)
    root.set(
        qname(XSI_NS, "schemaLocation"),
        " ".join(f"{namespace} {schema_prefix}{name}" for namespace, name in SCHEMA_LOCATIONS),
    )
    return root


def _header(root, header, agent_type, agent_name, with_alt_ids):
    element = mets("metsHdr", root, CREATEDATE=header.created, LASTMODDATE=header.created, RECORDSTATUS="NEW")
    element.set(qname(CSIP_NS, "OAISPACKAGETYPE"), header.package_type)
    agent = mets("agent", element, ROLE="CREATOR", TYPE=agent_type[0], OTHERTYPE=agent_type[1])
    mets("name", agent).text = agent_name
    note = mets("note", agent)
    note.set(qname(CSIP_NS, "NOTETYPE"), "IDENTIFICATIONCODE")
    note.text = header.fonds_code
    if with_alt_ids:
        mets("altRecordID", element, TYPE="SUBMISSIONAGREEMENT").text = header.file_code
        for kind, value in header.alt_ids.items():
            if value not in (None, ""):
                mets("altRecordID", element, TYPE=kind).text = str(value)


def _md_ref(parent, entry, created, mdtype="DC", version="1.0.0", other_type=None):
    reference = mets("mdRef", parent, LOCTYPE="URL", MDTYPE=mdtype)
    if other_type:
        reference.set("OTHERMDTYPE", other_type)
    reference.set("MDTYPEVERSION", version)
    reference.set(qname(XLINK_NS, "type"), "simple")
    reference.set(qname(XLINK_NS, "href"), entry.href)
    for name, value in (
        ("MIMETYPE", mime_type_of(entry.href)),
        ("SIZE", entry.size),
        ("CREATED", created),
        ("CHECKSUMTYPE", "SHA-256"),
        ("CHECKSUM", entry.checksum),
    ):
        reference.set(name, str(value))
    return reference


def _dmd_sec(root, entry, created, dmd_id=None):
    section = mets("dmdSec", root, ID=dmd_id or section_id(), CREATED=created, STATUS="CURRENT")
    _md_ref(section, entry, created)
    return section.get("ID")


def _extensions_dmd_sec(root, entry, created):
    """The software's own metadata beside the Circular's: E-ARK's "other" metadata (MDTYPE OTHER)."""
    section = mets("dmdSec", root, ID=section_id(), CREATED=created, STATUS="CURRENT")
    _md_ref(section, entry, created, mdtype="OTHER", version=EXTENSIONS_VERSION, other_type=EXTENSIONS_MDTYPE)
    return section.get("ID")


def _amd_sec(root, premis_entry, created):
    section = mets("amdSec", root, ID=section_id())
    if premis_entry is None:
        return None
    provenance = mets("digiprovMD", section, ID=section_id(), CREATED=created, STATUS="CURRENT")
    _md_ref(provenance, premis_entry, created, mdtype="PREMIS", version="3.0")
    return provenance.get("ID")


def _file(group, entry, created):
    element = mets(
        "file",
        group,
        ID=entry.id,
        MIMETYPE=mime_type_of(entry.href),
        SIZE=entry.size,
        CREATED=created,
        CHECKSUMTYPE="SHA-256",
        CHECKSUM=entry.checksum,
    )
    location = mets("FLocat", element)
    location.set(qname(XLINK_NS, "type"), "simple")
    location.set(qname(XLINK_NS, "href"), entry.href)
    location.set("LOCTYPE", "URL")


def _file_group(file_sec, use, entries, created):
    group = mets("fileGrp", file_sec, ID=section_id(), USE=use)
    for entry in entries:
        _file(group, entry, created)
    return group.get("ID")


def root_mets(header, ead, schemas, rep_mets, premis=None, extensions=None):
    """The package's METS.xml: the file's EAD (and extensions), the schemas, the representation, PREMIS."""
    profile = AIP_PROFILE if header.package_type == "AIP" else CSIP_PROFILE
    root = _root(header, header.objid, profile, "schemas/")
    _header(root, header, ("OTHER", "SOFTWARE"), SOFTWARE_NAME, with_alt_ids=True)
    dmd_id = _dmd_sec(root, ead, header.created)
    if extensions is not None:
        dmd_id = f"{dmd_id} {_extensions_dmd_sec(root, extensions, header.created)}"
    amd_id = _amd_sec(root, premis, header.created)
    file_sec = mets("fileSec", root, ID=section_id())
    schemas_group = _file_group(file_sec, "Schemas", schemas, header.created)
    rep_group = _file_group(file_sec, "Representations/rep1", [rep_mets], header.created)
    struct_map = mets("structMap", root, ID=section_id(), TYPE="PHYSICAL", LABEL="CSIP")
    package_div = mets("div", struct_map, ID=section_id(), LABEL=header.objid)
    metadata_div = mets("div", package_div, ID=section_id(), LABEL="Metadata", DMDID=dmd_id)
    if amd_id:
        metadata_div.set("ADMID", amd_id)
    schemas_div = mets("div", package_div, ID=section_id(), LABEL="Schemas")
    mets("fptr", schemas_div, FILEID=schemas_group)
    rep_div = mets("div", package_div, ID=section_id(), LABEL="Representations/rep1")
    pointer = mets("mptr", rep_div, LOCTYPE="URL")
    pointer.set(qname(XLINK_NS, "type"), "simple")
    pointer.set(qname(XLINK_NS, "href"), rep_mets.href)
    pointer.set(qname(XLINK_NS, "title"), rep_group)
    return root


def representation_mets(header, documents, loose_data, premis=None):
    """rep1/METS.xml: each document's metadata linked to its data file; file-level scans in Data."""
    root = _root(header, "rep1", CSIP_PROFILE, "../../schemas/")
    _header(root, header, ("INDIVIDUAL", ""), header.packager, with_alt_ids=False)
    for link in documents:
        _dmd_sec(root, link.metadata, header.created, dmd_id=link.dmd_id)
    amd_id = _amd_sec(root, premis, header.created)
    file_sec = mets("fileSec", root, ID=section_id())
    data_entries = [link.data for link in documents if link.data is not None] + list(loose_data)
    data_group = _file_group(file_sec, "Data", data_entries, header.created)
    struct_map = mets("structMap", root, ID=section_id(), TYPE="PHYSICAL", LABEL="CSIP")
    rep_div = mets("div", struct_map, ID=section_id(), LABEL="rep1", TYPE="ORIGINAL")
    if amd_id:
        rep_div.set("ADMID", amd_id)
    data_div = mets("div", rep_div, ID=section_id(), LABEL="Data")
    mets("fptr", data_div, FILEID=data_group)
    links_div = mets("div", rep_div, ID=section_id(), LABEL="MetadataLink")
    for link in documents:
        div = mets("div", links_div, ID=section_id(), LABEL="MetadataLink/File", DMDID=link.dmd_id)
        if link.data is not None:
            mets("fptr", div, FILEID=link.data.id)
    return root
