"""Per-resource poller state and its compact encoding.

- `watermark`: the start of the last complete poll; the next poll looks for changes after it.
- `remembered`: versions already emitted whose updated date is still inside the lookback window, so
  the overlap of consecutive polls (and the retry of a failed one) never emits a version twice.
- `pending`: the plan of a poll that was about to enqueue: notification ids and their versions. If the
  poll dies before it commits, the next run enqueues exactly these notifications again (same ids)
  before anything new, so a crash causes at most a re-send of the same notification, never a version
  under a new id.
- `cursor`: where a poll that ran short of time stopped (page cursor and that poll's start); with
  `includeDeleted`, also where it stopped in the audit log, or that the audit log was read whole.
- real time (an instance with webhooks): what the webhook worker sent (`webhook_events`), what the polls
  found that no webhook had brought (`caught_by_reconciliation`), the callbacks seen and the `event-id`s
  of the recent ones (`recent_event_ids`, so a repeated callback is dropped), the deletions announced and
  not sent yet (`pending_deletions`: polls cannot find deletions), and the worker's failures.
  The worker writes them under the same lease as a poll, so the two never overwrite each other.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from srevents.clock import from_iso, from_millis, iso_millis, to_millis

_VERSION = struct.Struct(">8sq")


@dataclass(frozen=True)
class PendingNotification:
    id: str
    versions: tuple[bytes, ...]


@dataclass(frozen=True)
class PendingDeletion:
    """A deletion a callback announced that is not sent yet (polls cannot find deletions): the next lease
    holder of the instance (a poll, or the worker for another callback) sends it."""

    object_id: str
    deleted_ms: int
    raw: bytes  # the callback's body, compact JSON


@dataclass(frozen=True)
class Cursor:
    page_id: str | None  # the records' next page; None: the records are still to be read from the first
    run_start: datetime
    audit_page_id: str | None = None  # the audit log's next page (includeDeleted), when it stopped there
    audit_done: bool = False  # every audit page of this poll was read: the next run reads only records


@dataclass(frozen=True)
class ResourceState:
    watermark: datetime | None = None
    remembered: dict[bytes, int] = field(default_factory=dict)  # version → updated ms
    pending: tuple[PendingNotification, ...] = ()
    cursor: Cursor | None = None
    replay_generation: int = 0
    last_run_started: str | None = None
    last_run_finished: str | None = None
    last_result: str | None = None  # ok | partial | error
    last_error: str | None = None
    consecutive_failures: int = 0
    pages: int = 0
    records_read: int = 0
    events_emitted: int = 0
    notifications_enqueued: int = 0
    skipped_unreadable: int = 0
    skipped_too_new: int = 0  # records dated after the poll's start (a clock ahead, or a future date)
    deletions_read: int = 0  # audit events read by the last run (includeDeleted)
    deletions_emitted: int = 0  # of the events emitted, DELETED ones
    last_success: str | None = None
    webhook_events: int = 0
    caught_by_reconciliation: int = 0
    callbacks: int = 0
    duplicate_callbacks: int = 0
    deferred_to_poll: int = 0  # callbacks left to the next poll (the remembered versions were at their bound)
    webhook_failures: int = 0  # consecutive
    last_callback: str | None = None
    last_webhook_error: str | None = None
    recent_event_ids: dict[bytes, int] = field(default_factory=dict)  # event-id key → received ms
    pending_deletions: tuple[PendingDeletion, ...] = ()
    deletions_dropped: int = 0  # deletions refused because `pending_deletions` was at its bound

    def with_changes(self, **changes: Any) -> ResourceState:
        return replace(self, **changes)

    def remember(self, versions: dict[bytes, int], keep_after: datetime) -> dict[bytes, int]:
        """Remembered versions plus `versions`, forgetting those at or before `keep_after`."""
        bound = to_millis(keep_after)
        merged = {**self.remembered, **versions}
        return {v: ms for v, ms in merged.items() if ms > bound}


def _pack_versions(versions: dict[bytes, int]) -> bytes:
    return zlib.compress(b"".join(_VERSION.pack(v, ms) for v, ms in sorted(versions.items())))


def _unpack_versions(blob: bytes | None) -> dict[bytes, int]:
    if not blob:
        return {}
    raw = zlib.decompress(blob)
    return {v: ms for v, ms in _VERSION.iter_unpack(raw)}


def _pack_deletions(deletions: tuple[PendingDeletion, ...]) -> bytes:
    data = [{"id": d.object_id, "ms": d.deleted_ms, "raw": d.raw.decode("utf-8")} for d in deletions]
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode())


def _unpack_deletions(blob: bytes | None) -> tuple[PendingDeletion, ...]:
    if not blob:
        return ()
    entries = json.loads(zlib.decompress(blob))
    return tuple(PendingDeletion(e["id"], int(e["ms"]), e["raw"].encode("utf-8")) for e in entries)


def _pack_pending(pending: tuple[PendingNotification, ...]) -> bytes:
    data = [{"id": p.id, "v": base64.b64encode(b"".join(p.versions)).decode()} for p in pending]
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode())


def _unpack_pending(blob: bytes | None) -> tuple[PendingNotification, ...]:
    if not blob:
        return ()
    out = []
    for entry in json.loads(zlib.decompress(blob)):
        raw = base64.b64decode(entry["v"])
        out.append(PendingNotification(entry["id"], tuple(raw[i : i + 8] for i in range(0, len(raw), 8))))
    return tuple(out)


_COUNTERS = (
    "replay_generation",
    "consecutive_failures",
    "pages",
    "records_read",
    "events_emitted",
    "notifications_enqueued",
    "skipped_unreadable",
    "skipped_too_new",
    "deletions_read",
    "deletions_emitted",
    "webhook_events",
    "caught_by_reconciliation",
    "callbacks",
    "duplicate_callbacks",
    "deferred_to_poll",
    "webhook_failures",
    "deletions_dropped",
)
_TEXTS = (
    "last_run_started",
    "last_run_finished",
    "last_result",
    "last_error",
    "last_success",
    "last_callback",
    "last_webhook_error",
)


def encode_state(state: ResourceState) -> dict[str, Any]:
    """Plain values for DynamoDB (binary blobs for the version sets)."""
    item: dict[str, Any] = {name: getattr(state, name) for name in _COUNTERS}
    item.update({name: getattr(state, name) for name in _TEXTS if getattr(state, name) is not None})
    if state.watermark is not None:
        item["watermark"] = iso_millis(state.watermark)
    if state.remembered:
        item["remembered"] = _pack_versions(state.remembered)
    if state.pending:
        item["pending"] = _pack_pending(state.pending)
    if state.recent_event_ids:
        item["recentEventIds"] = _pack_versions(state.recent_event_ids)
    if state.pending_deletions:
        item["pendingDeletions"] = _pack_deletions(state.pending_deletions)
    if state.cursor is not None:
        cursor: dict[str, Any] = {"runStart": to_millis(state.cursor.run_start)}
        if state.cursor.page_id is not None:
            cursor["pageId"] = state.cursor.page_id
        if state.cursor.audit_page_id is not None:
            cursor["auditPageId"] = state.cursor.audit_page_id
        if state.cursor.audit_done:
            cursor["auditDone"] = True
        item["cursor"] = cursor
    return item


def decode_state(item: dict[str, Any] | None) -> ResourceState:
    if not item:
        return ResourceState()
    cursor = item.get("cursor")
    watermark = item.get("watermark")
    counters: dict[str, Any] = {name: int(item.get(name, 0)) for name in _COUNTERS}
    texts: dict[str, Any] = {name: item.get(name) for name in _TEXTS}
    return ResourceState(
        watermark=from_iso(watermark) if watermark else None,
        remembered=_unpack_versions(item.get("remembered")),
        pending=_unpack_pending(item.get("pending")),
        recent_event_ids=_unpack_versions(item.get("recentEventIds")),
        pending_deletions=_unpack_deletions(item.get("pendingDeletions")),
        cursor=_cursor(cursor) if cursor else None,
        **counters,
        **texts,
    )


def _cursor(item: dict[str, Any]) -> Cursor:
    return Cursor(
        item.get("pageId"),
        from_millis(item["runStart"]),
        item.get("auditPageId"),
        bool(item.get("auditDone", False)),
    )


def encode_pending(pending: tuple[PendingNotification, ...]) -> bytes:
    return _pack_pending(pending)


def present_state(resource: str, state: ResourceState) -> dict[str, Any]:
    """What `GET /instances/{id}/poller` shows for one resource."""
    return {
        "resource": resource,
        "watermark": iso_millis(state.watermark) if state.watermark else None,
        "lastRunStarted": state.last_run_started,
        "lastRunFinished": state.last_run_finished,
        "lastResult": state.last_result,
        "lastSuccess": state.last_success,
        "pages": state.pages,
        "recordsRead": state.records_read,
        "eventsEmitted": state.events_emitted,
        "notificationsEnqueued": state.notifications_enqueued,
        "skippedUnreadable": state.skipped_unreadable,
        "skippedTooNew": state.skipped_too_new,
        "deletionsRead": state.deletions_read,
        "deletionsEmitted": state.deletions_emitted,
        "lastError": state.last_error,
        "consecutiveFailures": state.consecutive_failures,
        "resumesFromCursor": state.cursor is not None,
        "pendingNotifications": len(state.pending),
        "rememberedVersions": len(state.remembered),
        "replayGeneration": state.replay_generation,
        "webhookEvents": state.webhook_events,
        "caughtByReconciliation": state.caught_by_reconciliation,
        "callbacks": state.callbacks,
        "duplicateCallbacks": state.duplicate_callbacks,
        "deferredToPoll": state.deferred_to_poll,
        "pendingDeletions": len(state.pending_deletions),
        "deletionsDropped": state.deletions_dropped,
        "lastCallback": state.last_callback,
        "webhookFailures": state.webhook_failures,
        "lastWebhookError": state.last_webhook_error,
    }
