"""Deletions read from SmartRecruiters' audit log (docs/DESIGN.md §13): pure, given the audit events of a poll.

A resource with `includeDeleted` also reads `GET /audit-events` for the same window as its records: events
dated after the resource's lower bound (the watermark minus the lookback) and at or before the poll's start.
Each `CANDIDATE_DELETED`, `CANDIDATE_DELETED_DUE_TO_MERGE` or `JOB_DELETED` becomes a `DELETED` event: its
`objectId` the audit event's `entityId`, its date the audit event's `eventDate`, its raw body the audit event.

A record is deleted once, so a deletion's version names the record and not the date (`deletion_version`):
the webhook path (`candidate.deleted`, whose date is the callback's timestamp, not the audit event's) can
compute the same key and neither path sends a deletion the other already sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from srevents.clock import from_iso, iso_millis, to_millis
from srevents.domain.changes import Event
from srevents.domain.records import compact

DELETED = "DELETED"
DELETION_EVENT_NAMES: dict[str, tuple[str, ...]] = {
    "candidates": ("CANDIDATE_DELETED", "CANDIDATE_DELETED_DUE_TO_MERGE"),
    "jobs": ("JOB_DELETED",),
}
DELETABLE_RESOURCES = tuple(DELETION_EVENT_NAMES)
MERGE_EVENT = "CANDIDATE_DELETED_DUE_TO_MERGE"
AUDIT_PERMISSION = "audit_events_read"
# SmartRecruiters does not say whether eventDateAfter/eventDateBefore include their bounds: the query asks
# for one millisecond more on each side and the exact window is applied here.
_EDGE = timedelta(milliseconds=1)


def deletion_version(resource: str, object_id: str) -> bytes:
    """8 bytes naming the deletion of one record: what "already emitted" remembers (the polling path and the
    webhook path both use it). Distinct from every `changes.version_key`, which names an updated date."""
    text = f"{resource}\x00{object_id}\x00deleted"
    return hashlib.sha256(text.encode("utf-8")).digest()[:8]


def audit_query(resource: str, lower: datetime, upper: datetime) -> dict[str, Any]:
    """The `GET /audit-events` filters for a resource's deletions in (lower, upper]; `eventName` repeats
    (the vendor's `explode: true` array), paging is added by the client (`limit`, `nextPageId`)."""
    return {
        "eventName": list(DELETION_EVENT_NAMES[resource]),
        "eventDateAfter": iso_millis(lower - _EDGE),
        "eventDateBefore": iso_millis(upper + _EDGE),
    }


@dataclass
class DeletionSet:
    """The deletions of one poll, oldest first, and what was set aside."""

    events: list[Event] = field(default_factory=list)
    read: int = 0  # audit events read
    unreadable: int = 0  # no entityId or eventDate, or a name this resource does not delete with
    outside: int = 0  # dated outside (lower, upper]: another poll's
    already_emitted: int = 0
    # Remembered deletions read again, with their audit date: the commit keeps them remembered while that date
    # is in the window (the webhook path remembers a deletion under its callback's date, which can be earlier).
    still_remembered: dict[bytes, int] = field(default_factory=dict)


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = from_iso(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None  # a date without a zone cannot be placed in the window


def merged_into(audit_event: dict[str, Any]) -> str | None:
    """The profile a candidate deleted by a merge was merged into (the event's `context.masterProfileId`)."""
    if audit_event.get("eventName") != MERGE_EVENT:
        return None
    context = audit_event.get("context")
    master = context.get("masterProfileId") if isinstance(context, dict) else None
    return str(master) if isinstance(master, str | int) and not isinstance(master, bool) and master != "" else None


def detect_deletions(
    audit_events: Iterable[dict[str, Any]],
    resource: str,
    *,
    lower: datetime,
    upper: datetime,
    remembered: set[bytes] | frozenset[bytes],
) -> DeletionSet:
    """`DELETED` events for the audit events dated in (lower, upper] that are not remembered; one per record
    (the earliest, should SmartRecruiters log a record's deletion twice), oldest first."""
    names = DELETION_EVENT_NAMES[resource]
    result = DeletionSet()
    found: dict[bytes, tuple[datetime, str, Event]] = {}
    for audit in audit_events:
        result.read += 1
        object_id = audit.get("entityId") if isinstance(audit, dict) else None
        when = _date(audit.get("eventDate")) if isinstance(audit, dict) else None
        if not isinstance(object_id, str) or not object_id or when is None or audit.get("eventName") not in names:
            result.unreadable += 1
            continue
        if not lower < when <= upper:
            result.outside += 1
            continue
        try:
            version = deletion_version(resource, object_id)
            raw = compact(audit)
        except (UnicodeEncodeError, RecursionError, ValueError):
            result.unreadable += 1
            continue
        if version in remembered:
            result.already_emitted += 1
            result.still_remembered[version] = max(result.still_remembered.get(version, 0), to_millis(when))
            continue
        order = (when, str(audit.get("id", "")))
        if version in found:
            result.already_emitted += 1
            if found[version][:2] <= order:
                continue
        event = Event(DELETED, object_id, resource, when, raw, version, merged_into(audit))
        found[version] = (*order, event)
    result.events = sorted((e for _, _, e in found.values()), key=lambda e: (e.updated, e.object_id))
    return result


_RANK = {DELETED: 1}  # a record's change sorts before its deletion at the same millisecond


def in_date_order(changes: Iterable[Event], deletions: Iterable[Event]) -> list[Event]:
    """A resource's changes and deletions as one list, by date (ties: object id, then changes first)."""
    return sorted([*changes, *deletions], key=lambda e: (e.updated, e.object_id, _RANK.get(e.event_type, 0)))
