"""Real time (docs/DESIGN.md, "Real time"): which SmartRecruiters webhook events an instance subscribes to,
and what a callback means for its resources. Pure.

- An instance with `event.vendor.type` `webhook`, events enabled and not disabled keeps one subscription
  whose events are those of its configured resources that SmartRecruiters announces (`candidates`, `jobs`;
  `users` has no webhooks and is reconciled by polling only).
- A callback names an event (`candidate.updated`) and carries `{"id": ...}`: the worker fetches the record by
  id and emits the same event a poll would. `candidate.deleted` becomes a `DELETED` event.
- Per object, both paths remember the newest version sent (`object_marker`, forgotten with the versions):
  an older version never follows a newer one (a search index lags the fetch by id), nothing follows a
  deletion, and an object is announced CREATED once.
- A deletion has no updated date: its version is the object's deletion, one per object (`deletion_version`,
  from domain/deletions.py: the audit log's deletions, `includeDeleted`, use the same key), remembered like
  any other version. Polls do not find deletions: one not sent yet is kept in the poller
  state (`pending_deletions`) until a poll or a callback sends it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from srevents.clock import from_millis
from srevents.domain.changes import CREATED, UPDATED, Event
from srevents.domain.deletions import deletion_version  # one key for a deletion, whichever path finds it
from srevents.domain.poller_state import PendingDeletion, ResourceState

WEBHOOK = "webhook"
POLLING = "polling"
DELETED = "DELETED"

# Resource → the events SmartRecruiters sends for it, and for each whether it means a deletion.
RESOURCE_EVENTS: dict[str, dict[str, bool]] = {
    "candidates": {"candidate.created": False, "candidate.updated": False, "candidate.deleted": True},
    "jobs": {"job.created": False, "job.updated": False},
}
# Resource → the SmartRecruiters path a record is fetched from, by id.
RECORD_PATHS = {"candidates": "/candidates/{id}", "jobs": "/jobs/{id}"}
INBOUND_PATH = "/events/smartrecruiters/{instance_id}"
MAX_OBJECT_ID = 200


def subscription_events(resources: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The events to subscribe to for these resources, in a stable order (empty when none has webhooks)."""
    return tuple(event for name in resources for event in RESOURCE_EVENTS.get(name, {}))


def inbound_url(public_base_url: str, instance_id: int) -> str:
    """Where SmartRecruiters posts an instance's callbacks: `{the API's base URL}/events/smartrecruiters/{id}`."""
    return public_base_url.rstrip("/") + INBOUND_PATH.format(instance_id=instance_id)


@dataclass(frozen=True)
class CallbackTarget:
    """What a callback is about: one object of one configured resource."""

    resource: str
    object_id: str
    deleted: bool

    @property
    def record_path(self) -> str:
        return RECORD_PATHS[self.resource].format(id=self.object_id)


def callback_target(event_name: str, body: Any, resources: list[str] | tuple[str, ...]) -> CallbackTarget | None:
    """The object a callback is about, or None when the event concerns no configured resource (or its body
    names no usable id): such a callback is acknowledged and ignored."""
    for resource in resources:
        deletion = RESOURCE_EVENTS.get(resource, {}).get(event_name)
        if deletion is None:
            continue
        object_id = body.get("id") if isinstance(body, Mapping) else None
        if not isinstance(object_id, str) or not object_id or len(object_id) > MAX_OBJECT_ID:
            return None
        if not object_id.isprintable() or "/" in object_id or "?" in object_id or "#" in object_id:
            return None  # it becomes part of a SmartRecruiters path
        return CallbackTarget(resource, object_id, deletion)
    return None


def event_id_key(event_id: str) -> bytes:
    """8 bytes naming a callback's `event-id` (what the worker remembers to drop a repeated callback)."""
    return hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).digest()[:8]


def object_marker(resource: str, object_id: str) -> bytes:
    """8 bytes remembered with the newest version sent of an object (its updated ms as the value): the object
    has been announced, and no older version of it may follow. (The hash input is that of the creation
    marker an earlier release kept, so a state it wrote reads the same.)"""
    return hashlib.sha256(f"{resource}\x00{object_id}\x00created".encode()).digest()[:8]


def in_object_order(events: Iterable[Event], remembered: Mapping[bytes, int]) -> list[Event]:
    """`events` (in updated-date order) as they may follow what was sent before: a version older than the
    newest one sent of its object is dropped, so is any version of an object whose deletion was sent, and
    CREATED turns UPDATED for an object announced already (a webhook delivers each version, so the poll's
    "created since the watermark" rule would call every version of a new object CREATED until the next poll)."""
    out: list[Event] = []
    for e in events:
        if e.event_type != DELETED:
            if deletion_version(e.object_type, e.object_id) in remembered:
                continue
            newest = remembered.get(object_marker(e.object_type, e.object_id))
            if newest is not None:
                if e.updated_ms < newest:
                    continue
                if e.event_type == CREATED:
                    e = replace(e, event_type=UPDATED)
        out.append(e)
    return out


def sent_markers(events: Iterable[Event], remembered: Mapping[bytes, int]) -> dict[bytes, int]:
    """The object markers to remember for the events sent: per object, the newest updated ms (never less than
    the one remembered already). A deletion needs none: its own version is remembered."""
    markers: dict[bytes, int] = {}
    for e in events:
        if e.event_type == DELETED:
            continue
        marker = object_marker(e.object_type, e.object_id)
        markers[marker] = max(e.updated_ms, markers.get(marker, 0), remembered.get(marker, 0))
    return markers


def deletion_event(resource: str, object_id: str, deleted_ms: int, raw: bytes) -> Event:
    """The DELETED event of one object: `raw` the callback's body, dated when SmartRecruiters sent it."""
    return Event(DELETED, object_id, resource, from_millis(deleted_ms), raw, deletion_version(resource, object_id))


def events_to_send(events: Iterable[Event], resource: str, state: ResourceState) -> list[Event]:
    """What a poll or the worker sends of `events` for a webhook instance: with the deletions still pending
    (their DELETED events), in updated-date order, as they may follow what was sent (`in_object_order`)."""
    events = list(events)
    present = {e.version for e in events}  # the audit log may carry the same deletion: it is sent once
    deletions = [
        deletion_event(resource, d.object_id, d.deleted_ms, d.raw)
        for d in state.pending_deletions
        if deletion_version(resource, d.object_id) not in state.remembered
        and deletion_version(resource, d.object_id) not in present
    ]
    ordered = sorted([*events, *deletions], key=lambda e: (e.updated, e.object_id))
    return in_object_order(ordered, state.remembered)


def unsent_deletions(resource: str, state: ResourceState, sent: Iterable[bytes]) -> tuple[PendingDeletion, ...]:
    """The pending deletions whose DELETED event is neither among the versions `sent` nor remembered."""
    done = set(sent) | set(state.remembered)
    return tuple(d for d in state.pending_deletions if deletion_version(resource, d.object_id) not in done)
