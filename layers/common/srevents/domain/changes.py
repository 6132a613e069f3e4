"""Which records become events (SPEC §3 steps 3–5): pure, given the records of one poll."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from srevents.clock import to_millis
from srevents.domain.instance_config import ResourceConfig
from srevents.domain.records import date_value, object_id

CREATED, UPDATED = "CREATED", "UPDATED"


def version_key(resource: str, obj_id: str, updated: datetime) -> bytes:
    """8 bytes naming one version of one object: what "already emitted" remembers."""
    text = f"{resource}\x00{obj_id}\x00{to_millis(updated)}"
    return hashlib.sha256(text.encode("utf-8")).digest()[:8]


@dataclass(frozen=True)
class Event:
    event_type: str
    object_id: str
    object_type: str
    updated: datetime
    record: dict[str, Any]
    version: bytes

    @property
    def updated_ms(self) -> int:
        return to_millis(self.updated)


@dataclass
class ChangeSet:
    """The events of one poll, in updated-date order, and what was set aside and why."""

    events: list[Event] = field(default_factory=list)
    records_read: int = 0
    skipped_unreadable: int = 0  # no readable id or updated date
    too_old: int = 0  # updated at or before the lookback bound
    too_new: int = 0  # updated after the poll started: the next poll's
    already_emitted: int = 0


def lower_bound(watermark: datetime, poll_delay_seconds: int) -> datetime:
    """Records updated after this are candidates: the watermark minus the lookback."""
    return watermark - timedelta(seconds=poll_delay_seconds)


def detect_changes(
    records: Iterable[dict[str, Any]],
    config: ResourceConfig,
    *,
    watermark: datetime,
    poll_start: datetime,
    remembered: set[bytes] | frozenset[bytes],
) -> ChangeSet:
    lower = lower_bound(watermark, config.poll_delay_seconds)
    tolerance = timedelta(seconds=config.created_check_tolerance_seconds)
    result = ChangeSet()
    seen: set[bytes] = set()
    for record in records:
        result.records_read += 1
        obj_id = object_id(record, config.id_field)
        updated = date_value(record, config.updated)
        if obj_id is None or updated is None:
            result.skipped_unreadable += 1
            continue
        if updated <= lower:
            result.too_old += 1
            continue
        if updated > poll_start:
            result.too_new += 1
            continue
        version = version_key(config.name, obj_id, updated)
        if version in remembered or version in seen:
            result.already_emitted += 1
            continue
        seen.add(version)
        created = date_value(record, config.created)
        is_new = created is not None and (updated - created <= tolerance or created > watermark)
        result.events.append(Event(CREATED if is_new else UPDATED, obj_id, config.name, updated, record, version))
    result.events.sort(key=lambda e: (e.updated, e.object_id))
    return result
