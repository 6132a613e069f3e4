"""Turn one verified SmartRecruiters callback into the notification a poll would have sent (docs/DESIGN.md,
"Real time").

The poll function runs this for an invocation that carries `webhook` (services/webhook_inbound.py hands it
over). Under the instance's poll lease, so a poll and a callback never write the poller state at once:
1. a callback whose `event-id` was seen recently is dropped (SmartRecruiters repeats callbacks);
2. the record is fetched by id (through the same client and per-key limits as the poll's pages) and turned
   into events by the poll's own rules (domain/changes.py): a version `(objectId, updatedOn)` that either
   path already sent is remembered and not sent again, nor one at or before the poll's lookback bound (the
   polls have covered it), nor one older than the newest sent of its object (domain/webhooks.py);
   `candidate.deleted` becomes a `DELETED` event whose `raw` is the callback body;
3. plan, enqueue, commit, as a poll does: the planned notification is saved before it is enqueued, so a
   worker that dies part-way is retried (Lambda retries an asynchronous invocation) and sends the same
   notification, same id.

The remembered versions live in the poller state item (400 KB at most): a resource whose remembered versions
reached `MAX_REMEMBERED` leaves further callbacks to the next poll, which finds those changes by itself. A
deletion is never left: polls cannot find one. It is kept in the state (`pending_deletions`) from the moment
the worker holds the lease until it is sent (by this worker, its retry, or the next poll: notifications
suspended included, where it waits for resumption), and it is not bound by `MAX_REMEMBERED`.
"""

from __future__ import annotations

import contextlib
import random
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
from srevents.domain.deletions import deletion_version  # one key for a deletion, whichever path finds it
from srevents.domain.instance import Instance
from srevents.domain.instance_config import API_KEY
from srevents.domain.notifications import InstanceContext
from srevents.domain.poller_config import ResourceConfig, resource_configs
from srevents.domain.poller_state import PendingDeletion, PendingNotification, ResourceState
from srevents.domain.records import compact
from srevents.domain.redaction import redact_and_cut
from srevents.domain.watermark import read_from
from srevents.domain.webhooks import (
    CallbackTarget,
    callback_target,
    event_id_key,
    events_to_send,
    sent_markers,
    unsent_deletions,
)
from srevents.observability import logger
from srevents.services.poll_service import WEBHOOK_LEASE_PREFIX, PageSource, _message

MAX_REMEMBERED = 8_000  # per resource: 16 bytes each, so two resources stay far below DynamoDB's 400 KB item
MAX_RECENT_EVENT_IDS = 2_000
MAX_PENDING_DELETIONS = 2_000  # per resource, ~60 bytes each: while notifications are suspended they add up
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
    lease_retry_seconds: float = 0.1  # the first wait for a busy lease; each next one doubles, jittered
    lease_retry_max_seconds: float = 2.0
    commit_reserve_seconds: float = 20.0  # of the lease, kept for enqueueing and committing after the fetch


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
        rng: random.Random | None = None,
    ) -> None:
        self._rng = rng or random.Random()
        self._instances = instances
        self._state = poller_state
        self._secrets = secret_box
        self._queue = queue
        self._sr = smartrecruiters
        self._clock = clock
        self._limits = limits or WebhookLimits()

    def handle(self, instance_id: int, callback: Callback) -> str:
        """What became of the callback: sent | already sent | duplicate | deferred | kept (a deletion while
        notifications are suspended) | ignored | skipped | failed (the key refused)."""
        log = {"instance_id": instance_id, "event_name": callback.event_name[:100]}
        instance = self._instances.get(instance_id)
        if instance is None or not instance.wanted_subscription_events:
            logger.info("webhook callback skipped: the instance takes none now", extra=log)
            return "skipped"
        configs = {c.name: c for c in resource_configs(instance.configuration)}
        target = callback_target(callback.event_name, callback.body, list(configs))
        if target is None:
            return "ignored"
        if instance.notifications_suspended and not target.deleted:
            # The polls stop while suspended and catch up from their watermark on resumption.
            logger.info("webhook callback skipped: notifications suspended", extra=log)
            return "skipped"
        config = configs[target.resource]
        owner, snapshot, lease_until_ms = self._acquire(instance_id)
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
            if target.deleted:  # polls cannot find a deletion: kept until sent, whatever happens next
                seen = _keep_deletion(seen, target, callback)
                if instance.notifications_suspended:
                    self._state.save(instance_id, owner, target.resource, self._seen(seen, key, callback), release=True)
                    logger.info("webhook deletion kept for when notifications resume", extra=log)
                    return "kept"
            elif len(state.remembered) >= MAX_REMEMBERED:
                deferred = seen.with_changes(deferred_to_poll=state.deferred_to_poll + 1)
                self._state.save(instance_id, owner, target.resource, self._seen(deferred, key, callback), release=True)
                logger.warning("webhook callback left to the next poll: remembered versions at their bound", extra=log)
                return "deferred"
            fetched: list[Event] = []
            if not target.deleted:
                secrets = self._secrets.open(instance_id, instance.secrets_ciphertext)
                fetched = self._fetched(instance, config, state, target, secrets[API_KEY], lease_until_ms)
            events = events_to_send(fetched, config.name, seen)
            outcome = self._send(instance, config.name, owner, seen, events, lambda s: self._seen(s, key, callback))
        except BaseException as error:
            reason = redact_and_cut(f"{type(error).__name__}: {error}", secrets.values())
            # What is stored now (under our lease): a plan saved before the failure must be kept. If even the
            # read fails, the snapshot's state is what we have; the original error is the one to raise.
            with contextlib.suppress(Exception):
                state = self._state.read(instance_id).resources.get(target.resource, state)
            if target.deleted:  # the deletion survives even if no retry of this invocation ever runs
                state = _keep_deletion(state, target, callback)
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
    def _acquire(self, instance_id: int) -> tuple[str, PollerSnapshot, int]:
        """(owner, snapshot, when the lease ends in ms). A busy lease is tried again after a wait that doubles
        up to `lease_retry_max_seconds`, jittered, so waiting workers do not write in step."""
        owner = WEBHOOK_LEASE_PREFIX + uuid.uuid4().hex  # a poll that finds it waits instead of skipping
        started = self._clock.now()
        pause = self._limits.lease_retry_seconds
        while True:
            now_ms = to_millis(self._clock.now())
            until_ms = now_ms + self._limits.lease_seconds * 1000
            snapshot = self._state.acquire(instance_id, owner, now_ms, until_ms)
            if snapshot is not None:
                return owner, snapshot, until_ms
            waited = (self._clock.now() - started).total_seconds()
            if waited >= self._limits.lease_wait_seconds:
                raise LeaseBusy(f"instance {instance_id}: a poll holds the lease")
            wait = min(self._rng.uniform(pause / 2, pause), self._limits.lease_wait_seconds - waited)
            self._clock.sleep(max(wait, 0.01))
            pause = min(pause * 2, self._limits.lease_retry_max_seconds)

    def _seen(self, state: ResourceState, key: bytes, callback: Callback) -> ResourceState:
        """`state` remembering the callback's event-id (recent ones only, at most MAX_RECENT_EVENT_IDS)."""
        bound = callback.received_ms - RECENT_EVENT_MS
        recent = {k: ms for k, ms in state.recent_event_ids.items() if ms > bound}
        recent[key] = callback.received_ms
        if len(recent) > MAX_RECENT_EVENT_IDS:
            recent = dict(sorted(recent.items(), key=lambda item: item[1])[-MAX_RECENT_EVENT_IDS:])
        return state.with_changes(recent_event_ids=recent)

    def _fetched(
        self,
        instance: Instance,
        config: ResourceConfig,
        state: ResourceState,
        target: CallbackTarget,
        api_key: str,
        lease_until_ms: int,
    ) -> list[Event]:
        """The event of the record's current version, by the poll's rules (none if deleted since: its deletion
        tells, or if a poll covered it). The fetch (its retries included) ends in time to commit under the
        lease."""
        reserve_ms = self._limits.commit_reserve_seconds * 1000

        def time_left() -> float:
            return (lease_until_ms - reserve_ms - to_millis(self._clock.now())) / 1000

        record = self._sr(api_key).get_record(target.record_path, time_left=time_left)
        if record is None:
            return []
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
        return changes.events

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
        # A plan saved before (a poll's, or a worker's that died) is rebuilt only if all of it is here: part
        # of another's plan would go under its id and the rest again under a new one. Its retry sends it.
        mine = {e.version for e in events}
        reusable = [p for p in state.pending if set(p.versions) <= mine]
        elsewhere = {v for p in state.pending if p not in reusable for v in p.versions}
        events = [e for e in events if e.version not in elsewhere]
        if not events:
            self._state.save(instance.id, owner, resource, seen(state), release=True)
            return "already sent"
        now = self._clock.now()
        ctx = InstanceContext(instance.id, instance.organization_id, instance.created_by, instance.name, instance.tags)
        planned, fresh = notifications.plan(ctx, resource, [(p.id, p.versions) for p in reusable], events, now)
        if fresh:
            pending = state.pending + tuple(PendingNotification(n.id, tuple(n.versions)) for n in fresh)
            self._state.save(instance.id, owner, resource, state.with_changes(pending=pending), release=False)
        to_send = planned + fresh
        self._queue.send([_message(instance.id, n, state.replay_generation) for n in to_send])
        sent_ids = {n.id for n in to_send}
        sent = [e for n in to_send for e in n.events]
        emitted = {e.version: e.updated_ms for e in sent}
        committed = seen(state).with_changes(
            remembered={**state.remembered, **sent_markers(sent, state.remembered), **emitted},
            pending=tuple(p for p in state.pending if p.id not in sent_ids),
            pending_deletions=unsent_deletions(resource, state, emitted),
            webhook_events=state.webhook_events + len(emitted),
            webhook_failures=0,
            last_webhook_error=None,
        )
        self._state.save(instance.id, owner, resource, committed, release=True)
        return "sent"


def _keep_deletion(state: ResourceState, target: CallbackTarget, callback: Callback) -> ResourceState:
    """`state` with the callback's deletion pending, unless sent or pending already (or at the bound)."""
    if deletion_version(target.resource, target.object_id) in state.remembered or any(
        d.object_id == target.object_id for d in state.pending_deletions
    ):
        return state
    if len(state.pending_deletions) >= MAX_PENDING_DELETIONS:
        logger.error("webhook deletion dropped: pending deletions at their bound", extra={"resource": target.resource})
        return state.with_changes(deletions_dropped=state.deletions_dropped + 1)
    body = callback.body if isinstance(callback.body, dict) else {"id": target.object_id}
    kept = PendingDeletion(target.object_id, callback.timestamp_s * 1000, compact(body))
    return state.with_changes(pending_deletions=(*state.pending_deletions, kept))
