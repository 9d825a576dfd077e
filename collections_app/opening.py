"""Opening of conditional-access (02) records by rule (Law on Archives 2024 Art. 25, Decree 113/2025).

The rules are data (``OpeningRule``), edited in the admin. For one record, the active rules of its
archive and the national ones (no archive) that match it (category, words of the restriction reason)
decide:

- a matching ``leader_approval`` rule holds the record back: it never opens by itself, whatever the
  other rules say (records about a person's private life are read only with the leader's approval);
- otherwise the record opens at the earliest date a matching rule gives: its recorded opening date
  (``opening_date``), or 1 January of its end year + N (``years_after_end``);
- with no matching rule, or no date (no opening date recorded, no end year), it stays closed.

``access.can_view_content`` asks ``is_open_by_rule`` for every restricting level of a record, so a record
shows its content from the day a rule opens it; ``open_due_records`` (the ``open_records`` command and
the daily task) then records that opening for good by switching its regime to 01.
"""

import dataclasses
import datetime
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.search import index

from . import preservation
from .models import Document, EventType, OpeningBasis, OpeningRule, RecordFile
from .vocabularies import AccessRegime

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
OPENED_ACTION = "collections_app.opened"


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the rules say about one conditional record: the date it opens (None: never) and why."""

    opens_on: datetime.date | None
    rule: OpeningRule | None
    held: bool = False

    def is_due(self, today):
        return not self.held and self.opens_on is not None and self.opens_on <= today


def active_rules(archive_id=None):
    """Active rules that may apply to records of ``archive_id`` (all active rules when None)."""
    rules = OpeningRule.objects.filter(is_active=True).select_related("archive", "category")
    if archive_id is not None:
        rules = rules.filter(Q(archive__isnull=True) | Q(archive_id=archive_id))
    return list(rules.order_by("pk"))


def decide(record, rules=None):
    """The rules' decision for one record whose own regime is conditional."""
    if rules is None:
        rules = active_rules(record.archive_id)
    matching = [rule for rule in rules if rule_matches(rule, record)]
    for rule in matching:
        if rule.basis == OpeningBasis.LEADER_APPROVAL:
            return Decision(opens_on=None, rule=rule, held=True)
    dated = [(date, rule) for rule in matching if (date := opening_date_under(rule, record)) is not None]
    if not dated:
        return Decision(opens_on=None, rule=None)
    date, rule = min(dated, key=lambda pair: (pair[0], pair[1].pk))
    return Decision(opens_on=date, rule=rule)


def opens_on(record, rules=None):
    """The date the record's own conditional restriction ends under the rules, or None (never by itself)."""
    decision = decide(record, rules)
    return None if decision.held else decision.opens_on


def is_open_by_rule(record, today=None, rules=None):
    today = today or timezone.localdate()
    return decide(record, rules).is_due(today)


def rule_matches(rule, record):
    if not rule.is_active:
        return False
    if rule.archive_id is not None and rule.archive_id != record.archive_id:
        return False
    if (
        rule.reason_contains
        and rule.reason_contains.casefold() not in (record.access_reason or "").casefold()
    ):
        return False
    if rule.category_id is not None and rule.category_id not in category_ids(record):
        return False
    return True


def category_ids(record):
    if record.pk is None:
        return set()
    cache = getattr(record, "_prefetched_objects_cache", {})
    if "categories" in cache:
        return {category.pk for category in cache["categories"]}
    return set(record.categories.values_list("pk", flat=True))


def opening_date_under(rule, record):
    if rule.basis == OpeningBasis.OPENING_DATE:
        return record.opening_date if isinstance(record.opening_date, datetime.date) else None
    if rule.basis == OpeningBasis.YEARS_AFTER_END and rule.years is not None:
        end_year = end_year_of(record)
        if end_year:
            return datetime.date(min(end_year + rule.years, 9999), 1, 1)
    return None


def end_year_of(record):
    if isinstance(record, RecordFile):
        return record.end_year
    if isinstance(record, Document):
        return record.issued_year or (record.file.end_year if record.file_id else None)
    return None


# The sweep: open what is due --------------------------------------------------------------------------


@dataclasses.dataclass
class Opening:
    record: object
    rule: OpeningRule


@dataclasses.dataclass
class SweepResult:
    opened: list = dataclasses.field(default_factory=list)
    held: int = 0
    not_due: int = 0

    @property
    def counts(self):
        files = sum(1 for item in self.opened if isinstance(item.record, RecordFile))
        return {
            "files": files,
            "documents": len(self.opened) - files,
            "held": self.held,
            "not_due": self.not_due,
        }


def conditional_records(model, archive=None):
    queryset = model._default_manager.filter(access_regime=AccessRegime.CONDITIONAL, deleted_at__isnull=True)
    if archive is not None:
        queryset = queryset.filter(archive=archive)
    if model is Document:
        queryset = queryset.select_related("file")
    return queryset.prefetch_related("categories").order_by("pk")


def due_records(archive=None, today=None):
    """Every conditional record (file or document, not deleted) the rules open by ``today``."""
    today = today or timezone.localdate()
    result = SweepResult()
    rules_by_archive = {}
    for model in (RecordFile, Document):
        for record in conditional_records(model, archive).iterator(chunk_size=BATCH_SIZE):
            if record.archive_id not in rules_by_archive:
                rules_by_archive[record.archive_id] = active_rules(record.archive_id)
            decision = decide(record, rules_by_archive[record.archive_id])
            if decision.is_due(today):
                result.opened.append(Opening(record, decision.rule))
            elif decision.held:
                result.held += 1
            else:
                result.not_due += 1
    return result


def open_due_records(archive=None, today=None, dry_run=False):
    """Switch every due record to regime 01 (one transaction per batch) and log each opening.

    Only the regime changes: the opening date and the restriction reason stay as the record of why
    and when it was restricted.
    """
    result = due_records(archive, today)
    if dry_run:
        return result
    for start in range(0, len(result.opened), BATCH_SIZE):
        open_batch(result.opened[start : start + BATCH_SIZE])
    return result


def open_batch(openings):
    opened = []
    with transaction.atomic():
        for opening in openings:
            record = opening.record
            changed = (
                type(record)
                ._default_manager.filter(
                    pk=record.pk, access_regime=AccessRegime.CONDITIONAL, deleted_at__isnull=True
                )
                .update(access_regime=AccessRegime.OPEN)
            )
            if not changed:
                continue
            record.access_regime = AccessRegime.OPEN
            opened.append(record)
            preservation.record_event(
                EventType.ACCESS_CHANGE,
                archive=record.archive,
                record=record,
                detail=_("Mở chế độ sử dụng 02 → 01 theo quy tắc “%(rule)s”.") % {"rule": opening.rule.name},
            )
            log(
                instance=record,
                action=OPENED_ACTION,
                data={
                    "rule": opening.rule.name,
                    "rule_id": opening.rule.pk,
                    "basis": opening.rule.basis,
                    "reference_code": record.reference_code,
                },
            )
    for record in opened:
        update_search_index(record)
    logger.info("Opened %s conditional records", len(opened))


def update_search_index(record):
    """The regime is a filter field of the search index; a stale index only delays, so never fail here."""
    try:
        index.insert_or_update_object(record)
    except Exception:  # noqa: BLE001 - the opening is committed; the index catches up on update_index
        logger.warning("Could not reindex %s after opening it", record.reference_code, exc_info=True)
