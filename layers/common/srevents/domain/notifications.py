"""Event notifications (docs/DESIGN.md §5): at most 10 events each, in updated-date order, sized to fit the queue.

A notification's id is deterministic in its content (instance, object type and its events' versions),
shaped as a UUID whose first 48 bits are the newest event's updated time in milliseconds, so ids sort
roughly by time and a notification that is built again keeps its id.

Events carry their records as compact JSON bytes (records.compact), and a body is put together around
them rather than parsed back and dumped again: the bytes are exactly those `json.dumps` of the whole
body would write for the record, so the body is the same as if it had been dumped in one piece.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from srevents.clock import iso_millis, to_millis
from srevents.domain.changes import Event
from srevents.domain.records import to_json
from srevents.domain.resources import ELEMENT_KEY, HUB

MAX_EVENTS = 10
# SQS allows 256 KiB per message including attributes; keep headroom for ours.
MAX_BODY_BYTES = 250_000


@dataclass(frozen=True)
class InstanceContext:
    """What a notification tells about the instance it comes from."""

    instance_id: int
    organization_id: int
    user_id: int
    name: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Notification:
    id: str
    object_type: str
    events: tuple[Event, ...]
    body: bytes
    raw_omitted: tuple[str, ...] = ()

    @property
    def versions(self) -> list[bytes]:
        return [e.version for e in self.events]


def notification_id(instance_id: int, object_type: str, events: Sequence[Event]) -> str:
    digest = hashlib.sha256()
    digest.update(f"{instance_id}\x00{object_type}".encode())
    for event in events:
        digest.update(b"\x00" + event.event_type.encode() + b"\x00" + event.version)
    hexed = digest.hexdigest()
    newest = max(e.updated_ms for e in events) & 0xFFFF_FFFF_FFFF
    stamp = f"{newest:012x}"
    variant = "89ab"[int(hexed[3], 16) & 3]
    return f"{stamp[:8]}-{stamp[8:]}-8{hexed[:3]}-{variant}{hexed[4:7]}-{hexed[7:19]}"


def topic(instance_id: int) -> str:
    return f"instance-{instance_id}-{ELEMENT_KEY}-events"


def render(
    ctx: InstanceContext,
    object_type: str,
    events: Sequence[Event],
    poll_date: datetime,
    nid: str,
    omit_raw: frozenset[str] = frozenset(),
) -> bytes:
    """The body, compact UTF-8 JSON:

        {"id", "topic", "action", "severity", "createdDate",
         "message": {"elementKey", "eventId", "accountId", "companyId", "userId", "instanceId",
                     "instance_id", "instanceName", "instanceTags",
                     "raw": {<object_type>: [records], "pollDate", "objectType"},
                     "events": [...]}}

    Everything but the records is dumped as JSON as usual; the records are spliced in as their bytes.
    (`object_type` is a resource name, never "pollDate" or "objectType", so the keys of "raw" are distinct.)
    """
    poll_iso = iso_millis(poll_date)
    head = {
        "id": nid,
        "topic": topic(ctx.instance_id),
        "action": "create",
        "severity": "medium",
        "createdDate": poll_iso,
        "message": {
            "elementKey": ELEMENT_KEY,
            "eventId": nid,
            "accountId": ctx.organization_id,
            "companyId": ctx.organization_id,
            "userId": ctx.user_id,
            "instanceId": ctx.instance_id,
            "instance_id": ctx.instance_id,
            "instanceName": ctx.name,
            "instanceTags": list(ctx.tags),
        },
    }
    # "message" is the body's last key and "instanceTags" the message's last so far: dropping the two
    # closing braces leaves the message open for "raw" and "events".
    opened = to_json(head)[:-2]
    key = to_json(object_type)
    records = b",".join(e.raw for e in events if e.object_id not in omit_raw)
    rest = f'],"pollDate":{to_millis(poll_date)},"objectType":{key}}},"events":'
    shown = to_json([_event(e, poll_iso, e.object_id in omit_raw) for e in events])
    return b"".join(
        (
            f'{opened},"raw":{{{key}:['.encode(),
            records,
            rest.encode(),
            shown.encode(),
            b"}}",
        )
    )


def _event(event: Event, poll_iso: str, raw_omitted: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "eventType": event.event_type,
        "objectId": event.object_id,
        "objectType": event.object_type,
        "elementKey": ELEMENT_KEY,
        "hubKey": HUB,
        "date": iso_millis(event.updated),
        "pollDate": poll_iso,
    }
    if event.merged_into is not None:
        shown["mergedInto"] = event.merged_into  # a candidate deleted by a merge: the profile it became part of
    if raw_omitted:
        shown["rawOmitted"] = True  # the record alone is larger than a notification may be
    return shown


def _fit(
    ctx: InstanceContext, object_type: str, events: Sequence[Event], poll_date: datetime, nid: str, max_bytes: int
) -> Notification:
    """Render under a fixed id, dropping the largest raw records until the body fits."""
    omitted: set[str] = set()
    # Sized as json.dumps writes the record by default (as this always has), which is not the compact form.
    by_size = sorted(events, key=lambda e: len(json.dumps(e.record)), reverse=True)
    while True:
        body = render(ctx, object_type, events, poll_date, nid, frozenset(omitted))
        if len(body) <= max_bytes or len(omitted) == len(events):
            return Notification(nid, object_type, tuple(events), body, tuple(sorted(omitted)))
        omitted.add(by_size[len(omitted)].object_id)


def build(
    ctx: InstanceContext,
    object_type: str,
    events: Sequence[Event],
    poll_date: datetime,
    *,
    max_bytes: int = MAX_BODY_BYTES,
) -> list[Notification]:
    """Group events (already in updated-date order) into notifications of at most 10 that fit `max_bytes`.

    A group too large is halved until it fits; a single record too large on its own is sent without its
    raw body and flagged (`rawOmitted`), never dropped.
    """
    out: list[Notification] = []

    def emit(group: Sequence[Event]) -> None:
        nid = notification_id(ctx.instance_id, object_type, group)
        body = render(ctx, object_type, group, poll_date, nid)
        if len(body) <= max_bytes:
            out.append(Notification(nid, object_type, tuple(group), body))
        elif len(group) > 1:
            middle = len(group) // 2
            emit(group[:middle])
            emit(group[middle:])
        else:
            out.append(_fit(ctx, object_type, group, poll_date, nid, max_bytes))

    for start in range(0, len(events), MAX_EVENTS):
        emit(events[start : start + MAX_EVENTS])
    return out


def rebuild(
    ctx: InstanceContext,
    object_type: str,
    nid: str,
    events: Sequence[Event],
    poll_date: datetime,
    *,
    max_bytes: int = MAX_BODY_BYTES,
) -> Notification:
    """A planned notification built again after a crash: same id, the events that are still there."""
    return _fit(ctx, object_type, events, poll_date, nid, max_bytes)


def plan(
    ctx: InstanceContext,
    object_type: str,
    pending: Sequence[tuple[str, Sequence[bytes]]],
    events: Sequence[Event],
    poll_date: datetime,
) -> tuple[list[Notification], list[Notification]]:
    """(the notifications planned before — `(id, versions)` pairs — rebuilt with their ids for those of their
    events still here, new notifications for every other event). What a poll and the webhook worker share."""
    by_version = {e.version: e for e in events}
    planned: list[Notification] = []
    for plan_id, versions in pending:
        found = [by_version.pop(v) for v in versions if v in by_version]
        if found:
            planned.append(rebuild(ctx, object_type, plan_id, found, poll_date))
    rest = [by_version.pop(e.version) for e in events if e.version in by_version]  # a version once, at its first
    return planned, build(ctx, object_type, rest, poll_date)
