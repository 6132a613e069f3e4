"""Turn one verified SmartRecruiters callback into the notification a poll would have sent (docs/DESIGN.md,
"Real time").

The poll function runs this for an invocation that carries `webhook` (services/webhook_inbound.py hands it
over). Under the instance's poll lease, so a poll and a callback never write the poller state at once:
1. a callback whose `event-id` was seen recently is dropped (SmartRecruiters repeats callbacks);
2. the record is fetched by id (through the same client and per-key limits as the poll's pages) and turned
   into events by the poll's own rules (domain/changes.py): a version `(objectId, updatedOn)` that either
   path already sent is remembered and not sent again, nor one at or before the poll's lookback bound (the
   polls have covered it); `candidate.deleted` becomes a `DELETED` event whose `raw` is the callback body;
3. plan, enqueue, commit, as a poll does: the planned notification is saved before it is enqueued, so a
   worker that dies part-way is retried (Lambda retries an asynchronous invocation) and sends the same
   notification, same id.

The remembered versions live in the poller state item (400 KB at most): a resource whose remembered versions
reached `MAX_REMEMBERED` leaves further callbacks to the next poll, which finds those changes by itself.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.notification_queue import NotificationQueue
from srevents.adapters.poller_state_store import PollerSnapshot, PollerStateStore
from srevents.adapters.secrets import SecretBox
from srevents.adapters.smartrecruiters import SmartRecruitersAuthError
from srevents.clock import Clock, from_iso, from_millis, iso_millis, to_millis
from srevents.domain import notifications
from srevents.domain.changes import Event, detect_changes
from srevents.domain.instance import Instance
from srevents.domain.instance_config import API_KEY
from srevents.domain.notifications import InstanceContext
from srevents.domain.poller_config import ResourceConfig, resource_configs
from srevents.domain.poller_state import PendingNotification, ResourceState
from srevents.domain.records import compact
from srevents.domain.redaction import redact_and_cut
from srevents.domain.watermark import read_from
from srevents.domain.webhooks import (
    DELETED,
    CallbackTarget,
    announced_once,
    callback_target,
    creation_markers,
    deletion_version,
    event_id_key,
)
from srevents.observability import logger
from srevents.services.poll_service import WEBHOOK_LEASE_PREFIX, PageSource, _message

MAX_REMEMBERED = 8_000  # per resource: 16 bytes each, so two resources stay far below DynamoDB's 400 KB item
MAX_RECENT_EVENT_IDS = 2_000
RECENT_EVENT_MS = 24 * 3600 * 1000  # SmartRecruiters retries a callback for hours, not days


class LeaseBusy(RuntimeError):
    """A poll held the instance's lease for longer than the worker waits: Lambda retries the invocation."""


@dataclass(frozen=True)
class Callback:
    event_id: str
    event_name: str
    timestamp_s: int
    received_ms: int
    body: Any

    @classmethod
    def from_event(cls, payload: Any) -> Callback:
        if not isinstance(payload, dict):
            raise ValueError("webhook must be an object")
        return cls(
            str(payload.get("eventId") or ""),
            str(payload.get("eventName") or ""),
            int(payload.get("timestamp") or 0),
            int(payload.get("receivedMs") or 0),
            payload.get("body"),
        )


@dataclass(frozen=True)
class WebhookLimits:
    lease_seconds: int = 120
    lease_wait_seconds: float = 30.0
    lease_retry_seconds: float = 0.1


class WebhookWorker:
    def __init__(
        self,
        *,
        instances: InstancesStore,
        poller_state: PollerStateStore,
        secret_box: SecretBox,
        queue: NotificationQueue,
        smartrecruiters: PageSource,
        clock: Clock,
        limits: WebhookLimits | None = None,
    ) -> None:
        self._instances = instances
        self._state = poller_state
        self._secrets = secret_box
        self._queue = queue
        self._sr = smartrecruiters
        self._clock = clock
        self._limits = limits or WebhookLimits()

    def handle(self, instance_id: int, callback: Callback) -> str:
        """What became of the callback: sent | already sent | duplicate | deferred | ignored | skipped."""
        log = {"instance_id": instance_id, "event_name": callback.event_name[:100]}
        instance = self._instances.get(instance_id)
        if instance is None or not instance.wanted_subscription_events or instance.notifications_suspended:
            logger.info("webhook callback skipped: the instance takes none now", extra=log)
            return "skipped"
        configs = {c.name: c for c in resource_configs(instance.configuration)}
        target = callback_target(callback.event_name, callback.body, list(configs))
        if target is None:
            return "ignored"
        config = configs[target.resource]
        owner, snapshot = self._acquire(instance_id)
        state = snapshot.resources.get(target.resource, ResourceState())
        secrets: dict[str, str] = {}
        try:
            key = event_id_key(callback.event_id)
            seen = state.with_changes(
                callbacks=state.callbacks + 1, last_callback=iso_millis(from_millis(callback.received_ms))
            )
            if key in state.recent_event_ids:
                self._state.save(
                    instance_id,
                    owner,
                    target.resource,
                    seen.with_changes(duplicate_callbacks=state.duplicate_callbacks + 1),
                    release=True,
                )
                logger.info("webhook callback repeated: dropped", extra=log)
                return "duplicate"
            if len(state.remembered) >= MAX_REMEMBERED:
                deferred = seen.with_changes(deferred_to_poll=state.deferred_to_poll + 1)
                self._state.save(instance_id, owner, target.resource, self._seen(deferred, key, callback), release=True)
                logger.warning("webhook callback left to the next poll: remembered versions at their bound", extra=log)
                return "deferred"
            secrets = self._secrets.open(instance_id, instance.secrets_ciphertext)
            events = self._events(instance, config, state, target, callback, secrets[API_KEY])
            outcome = self._send(instance, config.name, owner, seen, events, lambda s: self._seen(s, key, callback))
        except BaseException as error:
            reason = redact_and_cut(f"{type(error).__name__}: {error}", secrets.values())
            # What is stored now (under our lease): a plan saved before the failure must be kept. If even the
            # read fails, the snapshot's state is what we have; the original error is the one to raise.
            with contextlib.suppress(Exception):
                state = self._state.read(instance_id).resources.get(target.resource, state)
            failed = state.with_changes(
                webhook_failures=state.webhook_failures + 1,
                last_webhook_error=reason,
                last_callback=iso_millis(from_millis(callback.received_ms)),
            )
            try:
                self._state.save(instance_id, owner, target.resource, failed, release=True)
            except Exception:  # the lease may be gone; the original error is the one to raise
                self._state.release(instance_id, owner)
            logger.warning("webhook callback failed", extra={**log, "error": reason})
            if isinstance(error, SmartRecruitersAuthError):
                return "failed"  # retrying cannot help; the instance's polls report the key too
            raise
        logger.info("webhook callback processed", extra={**log, "outcome": outcome, "object_id": target.object_id})
        return outcome

    # -- steps ----------------------------------------------------------------------------------
    def _acquire(self, instance_id: int) -> tuple[str, PollerSnapshot]:
        owner = WEBHOOK_LEASE_PREFIX + uuid.uuid4().hex  # a poll that finds it waits instead of skipping
        started = self._clock.now()
        while True:
            now_ms = to_millis(self._clock.now())
            snapshot = self._state.acquire(instance_id, owner, now_ms, now_ms + self._limits.lease_seconds * 1000)
            if snapshot is not None:
                return owner, snapshot
            if (self._clock.now() - started).total_seconds() >= self._limits.lease_wait_seconds:
                raise LeaseBusy(f"instance {instance_id}: a poll holds the lease")
            self._clock.sleep(self._limits.lease_retry_seconds)

    def _seen(self, state: ResourceState, key: bytes, callback: Callback) -> ResourceState:
        """`state` remembering the callback's event-id (recent ones only, at most MAX_RECENT_EVENT_IDS)."""
        bound = callback.received_ms - RECENT_EVENT_MS
        recent = {k: ms for k, ms in state.recent_event_ids.items() if ms > bound}
        recent[key] = callback.received_ms
        if len(recent) > MAX_RECENT_EVENT_IDS:
            recent = dict(sorted(recent.items(), key=lambda item: item[1])[-MAX_RECENT_EVENT_IDS:])
        return state.with_changes(recent_event_ids=recent)

    def _events(
        self,
        instance: Instance,
        config: ResourceConfig,
        state: ResourceState,
        target: CallbackTarget,
        callback: Callback,
        api_key: str,
    ) -> list[Event]:
        if target.deleted:
            version = deletion_version(target.resource, target.object_id)
            if version in state.remembered:
                return []
            when = from_millis(callback.timestamp_s * 1000)
            body = callback.body if isinstance(callback.body, dict) else {"id": target.object_id}
            return [Event(DELETED, target.object_id, target.resource, when, compact(body), version)]
        record = self._sr(api_key).get_record(target.record_path)
        if record is None:
            return []  # deleted since: its deletion (or a poll) tells
        created = from_iso(instance.created_date)
        changes = detect_changes(
            [record],
            config,
            watermark=state.watermark or created,
            lower=read_from(state.watermark, created, config.poll_delay_seconds),
            poll_start=self._clock.now(),
            remembered=frozenset(state.remembered),
            filter_lower=True,  # at or before the lookback bound, the polls have covered it
        )
        return announced_once(changes.events, state.remembered)

    def _send(
        self,
        instance: Instance,
        resource: str,
        owner: str,
        state: ResourceState,
        events: list[Event],
        seen: Callable[[ResourceState], ResourceState],
    ) -> str:
        """Plan, enqueue, commit. The callback's event-id is remembered (`seen`) only with the commit: a worker
        that dies before is retried, and sends its plan."""
        if not events:
            self._state.save(instance.id, owner, resource, seen(state), release=True)
            return "already sent"
        now = self._clock.now()
        ctx = InstanceContext(instance.id, instance.organization_id, instance.created_by, instance.name, instance.tags)
        planned, fresh = notifications.plan(ctx, resource, [(p.id, p.versions) for p in state.pending], events, now)
        if fresh:
            pending = state.pending + tuple(PendingNotification(n.id, tuple(n.versions)) for n in fresh)
            self._state.save(instance.id, owner, resource, state.with_changes(pending=pending), release=False)
        to_send = planned + fresh
        self._queue.send([_message(instance.id, n, state.replay_generation) for n in to_send])
        sent_ids = {n.id for n in to_send}
        emitted = {e.version: e.updated_ms for n in to_send for e in n.events}
        markers = creation_markers(e for n in to_send for e in n.events)
        committed = seen(state).with_changes(
            remembered={**state.remembered, **markers, **emitted},
            pending=tuple(p for p in state.pending if p.id not in sent_ids),
            webhook_events=state.webhook_events + len(emitted),
            webhook_failures=0,
            last_webhook_error=None,
        )
        self._state.save(instance.id, owner, resource, committed, release=True)
        return "sent"
