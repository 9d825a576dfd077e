"""Recording preservation events (PREMIS 3) for stored objects and records.

Every part of the product that ingests, checks, moves, packages, migrates or changes access to an
object records what it did here, so that the history of each object can be shown and carried in AIPs.
"""

from django.conf import settings

from .models import EventOutcome, PreservationEvent


def software_agent():
    """The agent named in events the system performs on its own: product name and version."""
    return getattr(settings, "PRESERVATION_AGENT_NAME", "Kho lưu trữ số")


def record_event(
    event_type,
    *,
    archive,
    digital_object=None,
    record=None,
    object_identifier="",
    outcome=EventOutcome.SUCCESS,
    detail="",
    outcome_detail="",
    agent=None,
    agent_name="",
):
    """Save one event; ``digital_object`` and/or ``record`` (any description level) name the object."""
    event = build_event(
        event_type,
        archive=archive,
        digital_object=digital_object,
        record=record,
        object_identifier=object_identifier,
        outcome=outcome,
        detail=detail,
        outcome_detail=outcome_detail,
        agent=agent,
        agent_name=agent_name,
    )
    event.save()
    return event


def build_event(
    event_type,
    *,
    archive,
    digital_object=None,
    record=None,
    object_identifier="",
    outcome=EventOutcome.SUCCESS,
    detail="",
    outcome_detail="",
    agent=None,
    agent_name="",
):
    """An unsaved event, for ``PreservationEvent.objects.bulk_create`` when many are recorded at once."""
    if not object_identifier:
        object_identifier = _identifier_of(digital_object, record)
    if not agent_name:
        agent_name = agent.get_username() if agent is not None else software_agent()
    event = PreservationEvent(
        event_type=event_type,
        archive=archive,
        digital_object=digital_object,
        object_identifier=object_identifier[:300],
        outcome=outcome,
        detail=detail,
        outcome_detail=outcome_detail,
        agent=agent,
        agent_name=agent_name[:200],
    )
    if record is not None:
        event.record = record
    return event


def events_of(obj):
    """The events of a digital object or of a description record, newest first."""
    from django.contrib.contenttypes.models import ContentType

    from .models import DigitalObject

    if isinstance(obj, DigitalObject):
        return PreservationEvent.objects.filter(digital_object=obj)
    content_type = ContentType.objects.get_for_model(obj)
    return PreservationEvent.objects.filter(content_type=content_type, object_id=obj.pk)


def _identifier_of(digital_object, record):
    if digital_object is not None:
        return digital_object.file.name or f"digital-object-{digital_object.pk}"
    if record is not None:
        return record.reference_code
    return ""
