"""Poll one instance (docs/DESIGN.md §3): read SmartRecruiters from the watermark, enqueue notifications, then commit.

Per resource, in order:
1. take the instance's lease (a second poll exits quietly) and read the state;
2. read every page (`pageSize` records each) of changes since the watermark minus the lookback (stopping
   early, with a cursor, if the Lambda is close to its timeout); with `includeDeleted`, first every page of
   the audit log's deletions in the same window (domain/deletions.py);
3. turn records and deletions into events (drop too old, too new, already emitted), oldest first;
4. rebuild any notifications a crashed poll had planned (same ids), then group the new events;
5. save the plan, enqueue everything, and only then move the watermark (the commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from srevents.adapters import notification_message
from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.notification_message import QueueMessage
from srevents.adapters.notification_queue import MAX_ENTRIES, NotificationQueue
from srevents.adapters.poller_state_store import LeaseLost, PollerSnapshot, PollerStateStore
from srevents.adapters.secrets import SecretBox
from srevents.adapters.smartrecruiters import (
    SmartRecruitersAuthError,
    SmartRecruitersError,
    SmartRecruitersOutOfTime,
)
from srevents.clock import Clock, from_iso, iso_millis, to_millis
from srevents.domain import notifications
from srevents.domain.changes import ChangeSet, Event, detect_changes
from srevents.domain.deletions import DELETED, DeletionSet, audit_query, detect_deletions, in_date_order
from srevents.domain.instance import Instance
from srevents.domain.instance_config import API_KEY
from srevents.domain.notifications import InstanceContext, Notification
from srevents.domain.poller_config import ResourceConfig, resource_configs
from srevents.domain.poller_state import Cursor, PendingNotification, ResourceState
from srevents.domain.redaction import redact_and_cut
from srevents.domain.watermark import after_poll, lower_bound, read_from
from srevents.domain.webhooks import events_to_send, sent_markers, unsent_deletions
from srevents.observability import logger

PageSource = Callable[[str], Any]  # api key → SmartRecruiters client
WEBHOOK_LEASE_PREFIX = "webhook-"  # a webhook worker's lease owner (services/webhook_worker.py)
WEBHOOK_WAIT_SECONDS = 10.0
ENQUEUE_CHUNK = MAX_ENTRIES  # notifications handed to the queue at once: one SendMessageBatch (more if large)


@dataclass
class ResourceOutcome:
    resource: str
    result: str
    pages: int = 0
    records_read: int = 0
    events: int = 0
    notifications: int = 0
    error: str | None = None
    deletions_read: int = 0  # audit events read (includeDeleted)


@dataclass
class PollOutcome:
    instance_id: int
    status: str  # polled | skipped
    reason: str | None = None
    resources: list[ResourceOutcome] = field(default_factory=list)


@dataclass(frozen=True)
class PollLimits:
    lease_seconds: int = 900
    min_remaining_ms_for_page: int = 30_000


class PollService:
    def __init__(
        self,
        *,
        instances: InstancesStore,
        poller_state: PollerStateStore,
        secret_box: SecretBox,
        queue: NotificationQueue,
        smartrecruiters: PageSource,
        clock: Clock,
        limits: PollLimits | None = None,
    ) -> None:
        self._instances = instances
        self._state = poller_state
        self._secrets = secret_box
        self._queue = queue
        self._sr = smartrecruiters
        self._clock = clock
        self._limits = limits or PollLimits()

    def poll(self, instance_id: int, remaining_ms: Callable[[], int]) -> PollOutcome:
        instance = self._instances.get(instance_id)
        skip = _skip_reason(instance)
        if skip:
            logger.info("poll skipped", extra={"instance_id": instance_id, "reason": skip})
            return PollOutcome(instance_id, "skipped", skip)
        assert instance is not None

        now = self._clock.now()
        owner = uuid.uuid4().hex
        lease_ms = min(self._limits.lease_seconds * 1000, remaining_ms() + 60_000)
        snapshot = self._state.acquire(instance_id, owner, to_millis(now), to_millis(now) + lease_ms)
        if snapshot is None:
            snapshot = self._after_webhook_worker(instance_id, owner, lease_ms)
        if snapshot is None:
            logger.info("poll skipped: another poll holds the lease", extra={"instance_id": instance_id})
            return PollOutcome(instance_id, "skipped", "lease held")

        outcome = PollOutcome(instance_id, "polled")
        configs = resource_configs(instance.configuration)
        try:
            secrets = self._secrets.open(instance_id, instance.secrets_ciphertext)
            client = self._sr(secrets[API_KEY])
            failure: Exception | None = None
            for index, config in enumerate(configs):
                state = snapshot.resources.get(config.name, ResourceState())
                last = index == len(configs) - 1
                try:
                    outcome.resources.append(
                        self._poll_resource(instance, config, state, client, owner, remaining_ms, last, secrets)
                    )
                except LeaseLost:
                    raise
                except Exception as error:  # saved by _poll_resource; the other resources are still polled
                    failure = failure or error
                    outcome.resources.append(
                        ResourceOutcome(config.name, "error", error=_reason(error, secrets.values()))
                    )
            if failure is not None:
                raise failure  # the invocation fails (Scheduler retries it), after every resource had its turn
        except LeaseLost:
            logger.warning("poll lost its lease; stopping", extra={"instance_id": instance_id})
            return outcome
        except BaseException:
            self._state.release(instance_id, owner)
            raise
        return outcome

    def _after_webhook_worker(self, instance_id: int, owner: str, lease_ms: int) -> PollerSnapshot | None:
        """The lease, once a webhook worker holding it is done (it holds it for one callback: well under a
        second); None when a poll holds it, or the worker takes longer than WEBHOOK_WAIT_SECONDS."""
        waited = 0.0
        while waited < WEBHOOK_WAIT_SECONDS:
            holder = self._state.read(instance_id).lease_owner
            if holder is not None and not holder.startswith(WEBHOOK_LEASE_PREFIX):
                return None
            self._clock.sleep(0.05)
            waited += 0.05
            now = to_millis(self._clock.now())
            snapshot = self._state.acquire(instance_id, owner, now, now + lease_ms)
            if snapshot is not None:
                return snapshot
        return None

    # -- one resource ---------------------------------------------------------------------------
    def _poll_resource(
        self,
        instance: Instance,
        config: ResourceConfig,
        state: ResourceState,
        client: Any,
        owner: str,
        remaining_ms: Callable[[], int],
        release: bool,
        secrets: dict[str, str],
    ) -> ResourceOutcome:
        started = self._clock.now()
        run_start = state.cursor.run_start if state.cursor else started
        created = from_iso(instance.created_date)
        watermark = state.watermark or created  # records created after it are CREATED
        lower = read_from(state.watermark, created, config.poll_delay_seconds)
        log = {"instance_id": instance.id, "resource": config.name}
        try:
            remembered = frozenset(v for v in state.remembered if v not in _pending_versions(state))
            deletions, audit_next, stopped = self._read_deletions(
                config, lower, run_start, state.cursor, client, remaining_ms, remembered
            )
            if audit_next is not None:  # stopped in the audit log for time: the records wait for the next run
                changes, pages, next_page = ChangeSet(), 0, state.cursor.page_id if state.cursor else None
            else:
                changes, pages, next_page, stopped = self._read(
                    config,
                    watermark,
                    lower,
                    state.cursor,
                    client,
                    remaining_ms,
                    poll_start=run_start,
                    remembered=remembered,
                    # The first poll never emits a version from before the instance existed, whatever the filter.
                    filter_lower=config.filter_by_updated_date or state.watermark is None,
                )
            events = in_date_order(changes.events, deletions.events) if deletions.read else changes.events
            if instance.is_webhook:  # deletions callbacks left, and what may follow what webhooks sent
                events = events_to_send(events, config.name, state)
            planned, fresh = self._plan(instance, config.name, state.pending, events, started)
            if fresh:
                pending = state.pending + tuple(PendingNotification(n.id, tuple(n.versions)) for n in fresh)
                state = state.with_changes(pending=pending)  # a failure from here on must keep the plan
                self._state.save(instance.id, owner, config.name, state, release=False)
            to_send = planned + fresh
            # A batch at a time, so only one batch of bodies exists twice (bytes and the str SQS takes).
            for start in range(0, len(to_send), ENQUEUE_CHUNK):
                chunk = to_send[start : start + ENQUEUE_CHUNK]
                self._queue.send([_message(instance.id, n, state.replay_generation) for n in chunk])
        except Exception as error:  # recorded in the poller state; re-raised unless SmartRecruiters failed
            if isinstance(error, LeaseLost):
                raise
            reason = _reason(error, secrets.values())
            failed = state.with_changes(
                last_run_started=iso_millis(started),
                last_run_finished=iso_millis(self._clock.now()),
                last_result="error",
                last_error=reason,
                consecutive_failures=state.consecutive_failures + 1,
            )
            self._state.save(instance.id, owner, config.name, failed, release=release)
            logger.warning("poll failed", extra={**log, "error": reason})
            if not isinstance(error, SmartRecruitersError):
                raise
            return ResourceOutcome(config.name, "error", error=reason)

        sent = [e for n in to_send for e in n.events]
        emitted = {e.version: e.updated_ms for e in sent}
        markers = sent_markers(sent, state.remembered) if instance.is_webhook else {}
        complete = next_page is None and audit_next is None
        audit_done = config.include_deleted and audit_next is None
        cursor = None if complete else Cursor(next_page, run_start, audit_next, audit_done)
        new_watermark = after_poll(state.watermark, run_start, complete=complete)
        keep_after = lower if new_watermark is None else lower_bound(new_watermark, config.poll_delay_seconds)
        committed = state.with_changes(
            watermark=new_watermark,
            remembered=state.remember({**_refreshed(state, deletions), **markers, **emitted}, keep_after=keep_after),
            pending=(),
            pending_deletions=unsent_deletions(config.name, state, emitted),
            cursor=cursor,
            last_run_started=iso_millis(started),
            last_run_finished=iso_millis(self._clock.now()),
            last_result="ok" if complete else "partial",
            last_error=None if stopped is None else _reason(stopped, secrets.values()),
            last_success=iso_millis(started),
            consecutive_failures=0 if stopped is None else state.consecutive_failures + 1,
            pages=pages,
            records_read=changes.records_read,
            events_emitted=len(emitted),
            notifications_enqueued=len(to_send),
            skipped_unreadable=changes.skipped_unreadable,
            skipped_too_new=changes.too_new,
            deletions_read=deletions.read,
            deletions_emitted=sum(1 for e in sent if e.event_type == DELETED),
            # With webhooks, what a poll still finds is what no callback brought (or not yet).
            caught_by_reconciliation=state.caught_by_reconciliation + (len(emitted) if instance.is_webhook else 0),
        )
        self._state.save(instance.id, owner, config.name, committed, release=release)
        if changes.skipped_unreadable:
            logger.warning(
                "records skipped as unreadable",
                extra={**log, "skipped": changes.skipped_unreadable, "ids": changes.unreadable_ids},
            )
        logger.info(
            "poll committed",
            extra={
                **log,
                "pages": pages,
                "records": changes.records_read,
                "events": len(emitted),
                "deletions_read": deletions.read,
                "complete": complete,
            },
        )
        return ResourceOutcome(
            config.name,
            committed.last_result or "ok",
            pages,
            changes.records_read,
            len(emitted),
            len(to_send),
            deletions_read=deletions.read,
        )

    def _read_deletions(
        self,
        config: ResourceConfig,
        lower: datetime,
        upper: datetime,
        cursor: Cursor | None,
        client: Any,
        remaining_ms: Callable[[], int],
        remembered: frozenset[bytes],
    ) -> tuple[DeletionSet, str | None, SmartRecruitersOutOfTime | None]:
        """With `includeDeleted`: the audit log's deletions dated in (lower, upper], the records' window (upper
        is the poll's start, kept by the cursor across runs), as DELETED events — read before the records,
        every page from the first or from the cursor's, unless a previous run of this poll read them all.

        Returns (the deletions, the audit page to resume from if time ran short, the error that stopped it).
        Time runs short as for the records (`_read`): between pages, or a failing page whose retry would not
        fit; pages read before are kept and the next run resumes there, under the same start. A run that
        resumes a crashed plan reads from the same place as the crashed run and finds its deletions again.
        A page that fails otherwise fails the resource's poll: its watermark stays, the next poll reads again.
        """
        if not config.include_deleted or (cursor is not None and cursor.audit_done):
            return DeletionSet(), None, None
        page_id = cursor.audit_page_id if cursor is not None else None
        pages = 0
        stopped: SmartRecruitersOutOfTime | None = None

        def time_left() -> float:
            return (remaining_ms() - self._limits.min_remaining_ms_for_page) / 1000

        def audit_events() -> Iterator[dict[str, Any]]:
            nonlocal page_id, pages, stopped
            query = audit_query(config.name, lower, upper)
            try:
                for page in client.iter_audit_events(query, start_page_id=page_id, time_left=time_left):
                    pages += 1
                    page_id = page.next_page_id
                    yield from page.records
                    if page_id is None or remaining_ms() < self._limits.min_remaining_ms_for_page:
                        return
            except SmartRecruitersOutOfTime as error:
                if pages == 0:
                    raise
                stopped = error  # page_id is the failing page's: the next run resumes there

        found = detect_deletions(audit_events(), config.name, lower=lower, upper=upper, remembered=remembered)
        return found, page_id, stopped

    def _read(
        self,
        config: ResourceConfig,
        watermark: datetime,
        lower: datetime,
        cursor: Cursor | None,
        client: Any,
        remaining_ms: Callable[[], int],
        poll_start: datetime,
        remembered: frozenset[bytes],
        filter_lower: bool = True,
    ) -> tuple[ChangeSet, int, str | None, SmartRecruitersOutOfTime | None]:
        """Every page from `lower` (domain/watermark.py) or the cursor to the last, unless time runs short, turned
        into events: (the ChangeSet, pages read, the next page's id if it stopped early, and the error that
        stopped it if a failing page could not be retried within the time left).

        The client's retries are bounded by the time left before `min_remaining_ms_for_page`: a 429 asking to
        wait longer (a `Retry-After` of a day) stops the read in time to save the error. If pages were read
        before, they are kept and the failing page becomes the cursor; if none was, the read fails.

        The pages go through `detect_changes` as they arrive, so only one page of parsed records is held
        at a time; the events keep their records as compact JSON, several times smaller than the dicts.
        """
        params = config.template.render(lower)
        pages = 0
        page_id = cursor.page_id if cursor else None

        stopped: SmartRecruitersOutOfTime | None = None

        def time_left() -> float:
            return (remaining_ms() - self._limits.min_remaining_ms_for_page) / 1000

        def records() -> Iterator[dict[str, Any]]:
            nonlocal pages, page_id, stopped
            # iter_pages refuses a looping cursor (a nextPageId seen before in this run) with an error.
            pages_iter = client.iter_pages(
                config.template.path, params, start_page_id=page_id, limit=config.page_size, time_left=time_left
            )
            try:
                for page in pages_iter:
                    pages += 1
                    page_id = page.next_page_id
                    yield from page.records
                    if page_id is None or remaining_ms() < self._limits.min_remaining_ms_for_page:
                        return
            except SmartRecruitersOutOfTime as error:
                if pages == 0:
                    raise
                stopped = error  # page_id is the failing page's: the next poll resumes there

        changes = detect_changes(
            records(),
            config,
            watermark=watermark,
            lower=lower,
            poll_start=poll_start,
            remembered=remembered,
            filter_lower=filter_lower,
        )
        return changes, pages, page_id, stopped

    def _plan(
        self,
        instance: Instance,
        object_type: str,
        pending: tuple[PendingNotification, ...],
        events: list[Event],
        poll_date: datetime,
    ) -> tuple[list[Notification], list[Notification]]:
        """(planned notifications rebuilt with their ids, new notifications for everything else)."""
        ctx = InstanceContext(instance.id, instance.organization_id, instance.created_by, instance.name, instance.tags)
        return notifications.plan(ctx, object_type, [(p.id, p.versions) for p in pending], events, poll_date)


def _refreshed(state: ResourceState, deletions: DeletionSet) -> dict[bytes, int]:
    """Remembered deletions the audit log still shows, dated at the later of the two dates: a deletion stays
    remembered while its audit event can be read again (domain/deletions.py)."""
    return {v: max(state.remembered.get(v, 0), ms) for v, ms in deletions.still_remembered.items()}


def _pending_versions(state: ResourceState) -> set[bytes]:
    return {v for plan in state.pending for v in plan.versions}


def _skip_reason(instance: Instance | None) -> str | None:
    if instance is None:
        return "no such instance"
    if instance.disabled:
        return "instance disabled"
    if not instance.events_enabled:
        return "events not enabled"
    if instance.notifications_suspended:
        return "notifications suspended"
    return None


def _message(instance_id: int, notification: Notification, generation: int) -> QueueMessage:
    # The queue appends a token per SendMessageBatch call to the deduplication id (adapters/notification_queue.py).
    return notification_message.encode(
        instance_id,
        notification.id,
        notification.body.decode("utf-8"),
        generation,
        notification.object_type,
        len(notification.events),
    )


def _reason(error: BaseException, secrets: Iterable[str]) -> str:
    """The error as the poller state stores it and the log shows it: every secret redacted, then cut."""
    if isinstance(error, SmartRecruitersAuthError):
        text = f"SmartRecruiters refused the API key: {error}"
    elif isinstance(error, SmartRecruitersError):
        text = f"SmartRecruiters request failed: {error}"
    else:
        text = f"{type(error).__name__}: {error}"
    return redact_and_cut(text, secrets)
