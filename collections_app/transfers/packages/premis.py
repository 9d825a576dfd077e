"""PREMIS 3 preservation metadata of an AIP: its objects with their fixity, their events, the agents."""

from dataclasses import dataclass

from lxml import etree

from .layout import PREMIS_NS, XSI_NS, mets_datetime, qname


@dataclass
class PremisObject:
    identifier: str
    category: str  # "file" or "intellectualEntity"
    sha256: str = ""
    size: int = 0
    format_name: str = ""
    original_name: str = ""


def premis(tag, parent=None, text=None):
    element = (
        etree.Element(qname(PREMIS_NS, tag), nsmap={None: PREMIS_NS, "xsi": XSI_NS})
        if parent is None
        else etree.SubElement(parent, qname(PREMIS_NS, tag))
    )
    if text is not None:
        element.text = str(text)
    return element


def _identifier(parent, tag, kind, value):
    element = premis(f"{tag}Identifier", parent)
    premis(f"{tag}IdentifierType", element, kind)
    premis(f"{tag}IdentifierValue", element, value)


def _object(root, item):
    element = premis("object", root)
    element.set(qname(XSI_NS, "type"), item.category)
    _identifier(element, "object", "local", item.identifier)
    if item.category != "file":
        return
    characteristics = premis("objectCharacteristics", element)
    premis("compositionLevel", characteristics, 0)
    fixity = premis("fixity", characteristics)
    premis("messageDigestAlgorithm", fixity, "SHA-256")
    premis("messageDigest", fixity, item.sha256.upper())
    premis("size", characteristics, item.size)
    designation = premis("formatDesignation", premis("format", characteristics))
    premis("formatName", designation, item.format_name or "application/octet-stream")
    if item.original_name:
        premis("originalName", element, item.original_name)


def _event(root, event):
    element = premis("event", root)
    _identifier(element, "event", "UUID", str(event.identifier))
    premis("eventType", element, event.event_type)
    premis("eventDateTime", element, mets_datetime(event.occurred_at))
    if event.detail:
        premis("eventDetail", premis("eventDetailInformation", element), event.detail)
    outcome = premis("eventOutcomeInformation", element)
    premis("eventOutcome", outcome, event.outcome)
    if event.outcome_detail:
        premis("eventOutcomeDetailNote", premis("eventOutcomeDetail", outcome), event.outcome_detail)
    agent = premis("linkingAgentIdentifier", element)
    premis("linkingAgentIdentifierType", agent, "local")
    premis("linkingAgentIdentifierValue", agent, _agent_name(event))
    premis("linkingAgentRole", agent, "implementer" if event.agent_id else "executing program")
    linked = premis("linkingObjectIdentifier", element)
    premis("linkingObjectIdentifierType", linked, "local")
    premis("linkingObjectIdentifierValue", linked, event.object_identifier)


def _agent_name(event):
    return event.agent_name or "?"


def _agent(root, name, is_person):
    element = premis("agent", root)
    _identifier(element, "agent", "local", name)
    premis("agentName", element, name)
    premis("agentType", element, "person" if is_person else "software")


def premis_document(objects, events):
    """The ``<premis>`` element: objects, events (oldest first), then every agent the events name."""
    root = premis("premis")
    root.set("version", "3.0")
    for item in objects:
        _object(root, item)
    agents = {}
    for event in sorted(events, key=lambda event: event.occurred_at):
        _event(root, event)
        agents.setdefault(_agent_name(event), bool(event.agent_id))
    for name, is_person in agents.items():
        _agent(root, name, is_person)
    return root
