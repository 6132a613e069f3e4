"""Real time (docs/DESIGN.md, "Real time"): which SmartRecruiters webhook events an instance subscribes to,
and what a callback means for its resources. Pure.

- An instance with `event.vendor.type` `webhook`, events enabled and not disabled keeps one subscription
  whose events are those of its configured resources that SmartRecruiters announces (`candidates`, `jobs`;
  `users` has no webhooks and is reconciled by polling only).
- A callback names an event (`candidate.updated`) and carries `{"id": ...}`: the worker fetches the record by
  id and emits the same event a poll would. `candidate.deleted` becomes a `DELETED` event.
- An object is announced CREATED once: a webhook delivers each version, so the poll's "created since the
  watermark" rule would call every version of a new object CREATED until the next poll. The first CREATED
  also remembers a creation marker (`creation_marker`), and a later version of that object is UPDATED.
- A deletion has no updated date: its version is the object's deletion, one per object (`deletion_version`),
  remembered like any other version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from srevents.domain.changes import CREATED, UPDATED, Event

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


def deletion_version(resource: str, object_id: str) -> bytes:
    """8 bytes naming the deletion of one object (an object is deleted once): the DELETED event's version."""
    return hashlib.sha256(f"{resource}\x00{object_id}\x00deleted".encode()).digest()[:8]


def event_id_key(event_id: str) -> bytes:
    """8 bytes naming a callback's `event-id` (what the worker remembers to drop a repeated callback)."""
    return hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).digest()[:8]


def creation_marker(resource: str, object_id: str) -> bytes:
    """8 bytes remembered with an object's CREATED event: its creation has been announced."""
    return hashlib.sha256(f"{resource}\x00{object_id}\x00created".encode()).digest()[:8]


def announced_once(events: Iterable[Event], remembered: dict[bytes, int]) -> list[Event]:
    """`events` with CREATED turned UPDATED for an object whose creation was announced already."""
    return [
        replace(e, event_type=UPDATED)
        if e.event_type == CREATED and creation_marker(e.object_type, e.object_id) in remembered
        else e
        for e in events
    ]


def creation_markers(events: Iterable[Event]) -> dict[bytes, int]:
    """The markers to remember for the CREATED events sent (as long as their versions)."""
    return {creation_marker(e.object_type, e.object_id): e.updated_ms for e in events if e.event_type == CREATED}
