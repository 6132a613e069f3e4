"""Which records become events (docs/DESIGN.md §3 steps 3–5): pure, given the records of one poll.

`detect_changes` reads the records one at a time and keeps only the events, each with its record as
compact JSON bytes, so a caller can hand it the pages of a poll as they arrive (a generator) and never
hold more than one page of parsed records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from srevents.clock import to_millis
from srevents.domain.poller_config import ResourceConfig
from srevents.domain.records import UnreadableRecord, compact, date_value, object_id
from srevents.domain.watermark import lower_bound

CREATED, UPDATED = "CREATED", "UPDATED"
MAX_UNREADABLE_IDS = 10


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
    raw: bytes  # the record, as records.compact writes it: what the notification body carries
    version: bytes
    merged_into: str | None = None  # DELETED by a merge: the profile it was merged into (domain/deletions.py)

    @property
    def updated_ms(self) -> int:
        return to_millis(self.updated)

    @property
    def record(self) -> dict[str, Any]:
        """The record parsed again (a new dict each time): for the rare caller that needs its fields."""
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


@dataclass
class ChangeSet:
    """The events of one poll, in updated-date order, and what was set aside and why."""

    events: list[Event] = field(default_factory=list)
    records_read: int = 0
    skipped_unreadable: int = 0  # no readable id or updated date, or a record that cannot be written again
    unreadable_ids: list[str] = field(default_factory=list)  # of those, the first ids that could be read
    too_old: int = 0  # updated at or before the lookback bound
    too_new: int = 0  # updated after the poll started: the next poll's
    already_emitted: int = 0


def _skip(result: ChangeSet, obj_id: str | None) -> None:
    result.skipped_unreadable += 1
    if obj_id is not None and len(result.unreadable_ids) < MAX_UNREADABLE_IDS:
        result.unreadable_ids.append(repr(obj_id)[1:-1][:100])  # printable even with a lone surrogate


def detect_changes(
    records: Iterable[dict[str, Any]],
    config: ResourceConfig,
    *,
    watermark: datetime,
    poll_start: datetime,
    remembered: set[bytes] | frozenset[bytes],
    lower: datetime | None = None,
    filter_lower: bool | None = None,
) -> ChangeSet:
    """The events of a poll's records: updated after `lower` (default: the watermark minus the lookback,
    domain/watermark.py) and by `poll_start`, not remembered, each CREATED or UPDATED.

    The resource's `filterByUpdatedDate` false drops the `lower` check (`filter_lower` overrides it: the
    first poll keeps it, see services/poll_service.py), and `filterByCurrentDate` false the `poll_start`
    check: a record updated after the start is emitted now and, remembered, not again by the next poll."""
    lower = lower_bound(watermark, config.poll_delay_seconds) if lower is None else lower
    filter_lower = config.filter_by_updated_date if filter_lower is None else filter_lower
    tolerance = timedelta(seconds=config.created_check_tolerance_seconds)
    result = ChangeSet()
    seen: set[bytes] = set()
    for record in records:
        result.records_read += 1
        obj_id = object_id(record, config.id_field)
        updated = date_value(record, config.updated)
        if obj_id is None or updated is None or isinstance(record, UnreadableRecord):
            _skip(result, obj_id)
            continue
        if filter_lower and updated <= lower:
            result.too_old += 1
            continue
        if config.filter_by_current_date and updated > poll_start:
            result.too_new += 1
            continue
        try:
            version = version_key(config.name, obj_id, updated)
        except UnicodeEncodeError:  # an id with a lone surrogate
            _skip(result, obj_id)
            continue
        if version in remembered or version in seen:
            result.already_emitted += 1
            continue
        try:  # Only the compact JSON is kept: the dict can go as soon as the caller moves past it.
            raw = compact(record)
        except (UnicodeEncodeError, RecursionError, ValueError):  # a lone surrogate, nesting too deep to write
            _skip(result, obj_id)
            continue
        seen.add(version)
        created = date_value(record, config.created)
        is_new = created is not None and (updated - created <= tolerance or created > watermark)
        event_type = CREATED if is_new else UPDATED
        result.events.append(Event(event_type, obj_id, config.name, updated, raw, version))
    result.events.sort(key=lambda e: (e.updated, e.object_id))
    return result
