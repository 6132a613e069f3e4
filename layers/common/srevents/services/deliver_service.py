"""Deliver one notification to its instance's callback URL (docs/DESIGN.md §6–§7) and record the attempt.

Outcomes:
- `2xx`: DELIVERED. A notification already delivered, refused with 410 or dead-lettered (at the same
  replay generation) is not sent again, so a plan enqueued again after a poll crash changes nothing.
- `410 Gone`: GONE; the instance's notifications are suspended; no more attempts.
- anything else: RETRYING, and the message stays invisible for the next delay of the schedule (or the
  receiver's `Retry-After` on 429/503) — which, in a FIFO queue, holds back the instance's later
  notifications and nobody else's. After the last attempt: FAILED, and the message moves to the
  dead-letter queue; under the organization's `retry` failure policy the instance's push is paused.
- push paused, or the organization's failure policy `queue`: QUEUED, parked in the delivery log (not
  attempted, out of the queue) until a redelivery sends it (services/redelivery.py), which runs before
  anything else of the instance is processed.

Order across a partly failed enqueue: the poller links each message to the one sent before it in the
same SendMessageBatch (`previousInBatch`, see adapters/notification_queue.py). A message whose
predecessor this deliverer has not processed (no log entry at the message's replay generation) is an early
copy: an entry before it failed to enqueue and is being sent again, followed by a new copy of this one. It
is dropped, unsent and unlogged, so the re-sent copies arrive in order. The log entries a batch needs are
read with one BatchGetItem together with the batch's instances (`_read_batch`), not one GetItem per message.

A batch (`deliver_batch`) mixes instances: each instance's notifications are delivered in order, and
different instances at once (services/fifo_batch.py), so one instance's hanging or failing callback never
delays another's. A notification is never attempted before its recorded retry time, whatever batch it comes
back in, and no attempt is started that could not finish before the function's deadline.

Attempts are counted in the delivery log, not with SQS's receive count: in a FIFO batch, the messages
held back behind a failing one are received (and counted) with it every time, so their receive count
says nothing about how often they were tried. The queue's redrive policy stays as a safety net for
messages that crash the function itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from srevents.adapters import notification_message
from srevents.adapters.accounts_store import AccountsStore
from srevents.adapters.delivery_log import Attempt, DeliveryLog, LoggedNotification
from srevents.adapters.dynamo import read_together
from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.notification_message import QueuedNotification
from srevents.adapters.notification_queue import NotificationQueue
from srevents.clock import Clock, from_iso, iso_millis
from srevents.domain.backoff import DAY, RetrySchedule
from srevents.domain.delivery_status import (
    DELIVERED,
    FAILED,
    GONE,
    PENDING,
    QUEUED,
    RETRYING,
    DeliveryResult,
)
from srevents.domain.failure_policy import QUEUE, RETRY
from srevents.domain.instance import Instance
from srevents.observability import add_metric, logger
from srevents.services.callback_attempts import CallbackAttempts
from srevents.services.fifo_batch import FifoGroupProcessor
from srevents.services.redelivery import Redeliverer, RedeliveryWaits, pause_reason

RETRY_AFTER_STATUSES = (429, 503)
ATTEMPT_MARGIN_SECONDS = 2.0
"""Time an attempt needs besides the callback's own deadline: signing, the log write, the visibility change."""
HOLD_SECONDS = 900
"""How often a held notification (its instance disabled) is looked at again: delivered within 15 minutes of
enabling. SQS's redrive (maxReceiveCount 1000) moves it to the dead-letter queue after ~10 days held."""
MAX_REDELIVERIES_IN_A_ROW = 5
"""Redeliveries one message runs before its own turn (a newer one replaces a running one)."""
POLICY_SECONDS = 60.0
"""How long a container keeps an organization's failure policy: a change applies within a minute."""
EARLY_TOLERANCE_SECONDS = 1.0
"""A message back this much before its retry time is attempted anyway (SQS counts visibility in whole seconds)."""


class DeliveryDeferred(Exception):
    """The notification was not delivered this time; the queue will offer it again later."""


class Visibility(Protocol):
    def delay(self, receipt_handle: str, seconds: int) -> None: ...

    def release(self, receipt_handles: list[str]) -> None: ...

    def real_seconds(self, seconds: float) -> float: ...


class _BatchView:
    """The instances and delivery log entries as one batch sees them: read once up front (one BatchGetItem
    each), then kept current in memory.

    Instances are read per batch, never cached across batches, so a change made through the API (disabled,
    deleted, a new callback URL or key) applies from the next batch on. The messages of one group are
    processed in order by one invocation at a time (FIFO), so what this invocation wrote is the latest
    state of those log entries. A batch's groups run on several threads, but each key belongs to one
    group (instance), so no two threads touch the same entry.
    """

    def __init__(
        self,
        log: DeliveryLog,
        instances: InstancesStore,
        read: dict[tuple[int, str], LoggedNotification | None] | None = None,
        instances_read: dict[int, Instance | None] | None = None,
        may_attempt: Callable[[], bool] = lambda: True,
    ) -> None:
        self._log = log
        self._instances = instances
        self.may_attempt = may_attempt
        """Whether the invocation has time left for one more whole attempt."""
        self._parked_order: dict[int, int] = {}
        self._read: dict[tuple[int, str], LoggedNotification | None] = dict(read or {})
        self._instances_read: dict[int, Instance | None] = dict(instances_read or {})
        self._processed: dict[tuple[int, str], int] = {}  # key -> highest generation processed here

    def instance(self, instance_id: int) -> Instance | None:
        if instance_id not in self._instances_read:
            self._instances_read[instance_id] = self._instances.get(instance_id)
        return self._instances_read[instance_id]

    def forget_instance(self, instance_id: int) -> None:
        """Read the instance, and its notifications' log entries, again at their next use (this invocation or a
        redelivery it ran changed them)."""
        self._instances_read.pop(instance_id, None)
        for key in [key for key in self._read if key[0] == instance_id]:
            del self._read[key]

    def take(self, key: tuple[int, str]) -> LoggedNotification | None:
        """The entry for a message about to be processed (read once; a second copy reads again)."""
        if key in self._read:
            return self._read.pop(key)
        return self._log.get(*key)

    def processed(self, key: tuple[int, str], generation: int) -> bool:
        """Whether the queue already had this notification processed (any outcome) at `generation` or later."""
        if self._processed.get(key, -1) >= generation:
            return True
        if key not in self._read:
            self._read[key] = self._log.get(*key)
        logged = self._read[key]
        return logged is not None and logged.generation >= generation

    def mark(self, key: tuple[int, str], generation: int) -> None:
        self._processed[key] = max(generation, self._processed.get(key, -1))

    def parking_order(self, instance_id: int, now_ms: int) -> int:
        """Where a notification parked now goes in its instance's order: the time in ms, strictly increasing
        within the batch (the instance's messages are processed one after another)."""
        order = max(now_ms, self._parked_order.get(instance_id, -1) + 1)
        self._parked_order[instance_id] = order
        return order


class DeliverService:
    def __init__(
        self,
        *,
        instances: InstancesStore,
        accounts: AccountsStore,
        log: DeliveryLog,
        attempts: CallbackAttempts,
        visibility: Visibility,
        dead_letters: NotificationQueue,
        clock: Clock,
        processor: FifoGroupProcessor | None = None,
        attempt_seconds: float = 15.0 + ATTEMPT_MARGIN_SECONDS,
        schedule: RetrySchedule = DAY,
    ) -> None:
        self._instances = instances
        self._accounts = accounts
        self._schedule = schedule
        self._policies: dict[int, tuple[str, float]] = {}  # organization id -> (policy, read at, monotonic)
        self._policies_lock = threading.Lock()
        self._redeliverer = Redeliverer(
            log=log, instances=instances, attempts=attempts, visibility=visibility, clock=clock, schedule=schedule
        )
        self._log = log
        self._attempts = attempts
        self._visibility = visibility
        self._dead_letters = dead_letters
        self._clock = clock
        self._processor = processor or FifoGroupProcessor(workers=1)
        self._attempt_seconds = attempt_seconds

    def deliver_batch(self, records: list[dict[str, Any]], seconds_left: Callable[[], float]) -> dict[str, Any]:
        """Deliver a batch of Lambda's SQS event; answer with the partial batch response.

        Instances (message groups) are delivered at once, each in order; a failure holds back only the rest
        of its own instance. No attempt starts unless `seconds_left()` leaves time for a whole one: what is
        not started is released to the queue, which offers it again at once.
        """
        entries = [_Entry(record) for record in records]

        def may_start() -> bool:
            return seconds_left() >= self._attempt_seconds

        view = self._read_batch([entry.message for entry in entries if entry.message], may_start)
        result = self._processor.process(
            entries,
            group=lambda entry: notification_message.message_group(entry.record),
            handle=lambda entry: self._deliver_entry(entry, view),
            may_start=may_start,
        )
        held_back = result.held_back
        if held_back:
            try:
                self._visibility.release([entry.record["receiptHandle"] for entry in held_back])
            except Exception:  # they are reported as failures either way: they come back after the timeout
                logger.warning("releasing held-back messages failed", exc_info=True)
        return {"batchItemFailures": [{"itemIdentifier": entry.record["messageId"]} for entry in result.failed]}

    def deliver(self, queued: QueuedNotification, view: _BatchView | None = None) -> str:
        """Deliver from the queue. Returns the outcome; raises DeliveryDeferred to be retried later."""
        view = view or _BatchView(self._log, self._instances)
        extra = {"instance_id": queued.instance_id, "notification_id": queued.notification_id}
        instance = view.instance(queued.instance_id)
        if instance is None:
            logger.warning("notification dropped: its instance no longer exists", extra=extra)
            return "dropped"
        for _ in range(MAX_REDELIVERIES_IN_A_ROW):
            deliverable = instance.events_enabled and not instance.disabled and not instance.notifications_suspended
            if instance.redelivery is None or not deliverable:
                break
            try:  # parked notifications go before anything of the instance that is still in the queue
                policy = self._policy(instance.organization_id)
                self._redeliverer.run(instance.id, queued, policy, view.may_attempt)
            except RedeliveryWaits as waiting:
                raise DeliveryDeferred(str(waiting)) from None
            view.forget_instance(instance.id)  # and what it sent: read those entries again
            instance = view.instance(queued.instance_id)
            if instance is None:
                return "dropped"
        else:  # redeliveries asked for faster than they run: this message waits for the next invocation
            self._visibility.release([queued.receipt_handle])
            raise DeliveryDeferred("redeliveries keep being replaced; going on in the next invocation")
        if queued.is_redelivery:
            return self._woken(queued, instance)
        logged = view.take(queued.key)
        if logged and logged.finished(queued.generation):
            # Another copy of it (a poll sent its plan again) was delivered, refused with 410 or dead-lettered.
            view.mark(queued.key, queued.generation)
            logger.info(f"notification already {logged.status.lower()}; not sent again", extra=extra)
            return "duplicate"
        previous = queued.previous_in_batch
        if previous and not view.processed((queued.instance_id, previous), queued.generation):
            add_metric("EarlyCopiesDropped", MetricUnit.Count, 1)
            logger.info(
                "notification dropped: an early copy (the one enqueued before it failed; both are being re-sent)",
                extra={**extra, "previous_in_batch": previous},
            )
            return "early-copy"
        if logged and logged.status == FAILED and logged.generation == queued.generation:
            # It failed its last attempt, and the steps after that did not all happen: finish them.
            self._pause_after_failure(instance, queued.notification_id, view)
            return self._dead_letter(queued, extra)
        self._wait_for_retry_time(queued, logged, extra)
        meta = {"objectType": queued.object_type, "eventCount": queued.event_count, "generation": queued.generation}

        def record(status: str, attempt: Attempt | None = None, **kwargs: Any) -> None:
            self._attempts.record(
                queued.instance_id, queued.notification_id, queued.body, status, meta, attempt, **kwargs
            )
            view.mark(queued.key, queued.generation)

        if instance.disabled or not instance.events_enabled:
            self._hold(queued, logged, meta, extra)

        if instance.notifications_suspended:
            record(GONE)
            logger.info("notification not sent: the instance's notifications are suspended", extra=extra)
            return "gone"

        policy = self._policy(instance.organization_id)
        if instance.push_paused or policy == QUEUE:
            self._park(queued, view)
            record(QUEUED)
            add_metric("NotificationsQueued", MetricUnit.Count, 1)
            logger.info("notification queued: push is paused or the failure policy is queue", extra=extra)
            return "queued"

        result, headers = self._attempts.post(instance, queued.notification_id, queued.body)
        attempt_no = 1 + _queue_attempts(logged.item if logged else {}, queued.generation)
        extra["attempt"] = attempt_no
        _count_attempt(result)

        def attempt(outcome: str) -> Attempt:
            return self._attempts.attempt(result, attempt_no, outcome, queued.generation)

        if result.ok:
            record(DELIVERED, attempt("delivered"), headers=headers, delivered_generation=queued.generation)
            logger.info("notification delivered", extra={**extra, "status_code": result.status_code})
            return "delivered"
        if result.status_code == 410:
            self._attempts.suspend(instance, queued.notification_id)
            view.forget_instance(instance.id)
            record(GONE, attempt("gone"), headers=headers)
            logger.warning("callback answered 410 Gone: notifications suspended", extra=extra)
            return "gone"
        if self._schedule.is_last_attempt(attempt_no):
            # Parked and recorded first: if the move to the dead-letter queue fails, the message comes back and
            # only the move is made again (every attempt is in the log).
            self._park(queued, view)
            record(FAILED, attempt("failed"), headers=headers)
            self._pause_after_failure(instance, queued.notification_id, view)
            logger.error("notification failed for good", extra={**extra, "error": result.error})
            return self._dead_letter(queued, extra)
        retry_after = result.retry_after_seconds if result.status_code in RETRY_AFTER_STATUSES else None
        delay = self._schedule.delay(attempt_no, retry_after=retry_after)
        # The time it really comes back (delays are scaled down in the local stack and tests).
        meta["nextAttemptAt"] = iso_millis(self._clock.now() + timedelta(seconds=self._visibility.real_seconds(delay)))
        record(RETRYING, attempt("retrying"), headers=headers)
        self._visibility.delay(queued.receipt_handle, delay)
        logger.info(
            "delivery failed; will retry",
            extra={**extra, "status_code": result.status_code, "error": result.error, "retry_in_seconds": delay},
        )
        raise DeliveryDeferred(
            f"attempt {attempt_no} failed ({result.status_code or result.error}); retry in {delay} s"
        )

    def _pause_after_failure(self, instance: Instance, notification_id: str, view: _BatchView) -> None:
        """Under the `retry` policy, pause the instance's push — unless the customer changed it since this batch
        read it (a redelivery, enabling it, a new callback: push was resumed, and that stands). The rest of the
        batch reads the instance again."""
        view.forget_instance(instance.id)
        if self._policy(instance.organization_id) != RETRY or instance.push_paused:
            return
        if not self._instances.pause_push(instance.id, pause_reason(notification_id, self._clock), instance.version):
            logger.info("push not paused: the instance changed since it was read", extra={"instance_id": instance.id})

    def _dead_letter(self, queued: QueuedNotification, extra: dict[str, Any]) -> str:
        """Move a FAILED notification's message to the dead-letter queue (the alarm's signal; redeliveries send it
        from the log). If the move fails the message comes back, and only the move is tried again."""
        self._dead_letters.send([notification_message.dead_letter(queued)])
        self._log.mark_dead_lettered(queued.instance_id, queued.notification_id, queued.generation)
        logger.info("failed notification moved to the dead-letter queue", extra=extra)
        return "failed"

    def _park(self, queued: QueuedNotification, view: _BatchView) -> None:
        """Mark the notification parked for redelivery, after everything the instance parked before it."""
        now = self._clock.now()
        order = view.parking_order(queued.instance_id, int(now.timestamp() * 1000))
        self._log.park(queued.instance_id, queued.notification_id, order, now)

    def _woken(self, queued: QueuedNotification, instance: Instance) -> str:
        """A redelivery's waking message, after the redelivery ran (or could not)."""
        extra = {"instance_id": instance.id}
        if instance.redelivery is not None and (instance.disabled or not instance.events_enabled):
            self._visibility.delay(queued.receipt_handle, HOLD_SECONDS)  # it runs once the instance is enabled
            raise DeliveryDeferred("redelivery held while the instance is disabled")
        if instance.redelivery is not None and instance.notifications_suspended:
            self._instances.finish_redelivery(instance.id, instance.redelivery.requested_at)
            logger.warning("redelivery ended unsent: the instance's notifications are suspended", extra=extra)
            return "redelivery-ended"
        return "redelivered"

    def _hold(
        self,
        queued: QueuedNotification,
        logged: LoggedNotification | None,
        meta: dict[str, Any],
        extra: dict[str, Any],
    ) -> None:
        """Keep the notification of a disabled instance (or one whose events are off) in the queue, unsent.

        It is looked at again every HOLD_SECONDS and delivered, in order, once the instance is enabled. The
        first time, it is logged PENDING with its body, so the API lists it and the retry route can send it.
        """
        if logged is None:
            later = timedelta(seconds=self._visibility.real_seconds(HOLD_SECONDS))
            meta = {**meta, "nextAttemptAt": iso_millis(self._clock.now() + later)}
            self._attempts.record(queued.instance_id, queued.notification_id, queued.body, PENDING, meta, None)
        self._visibility.delay(queued.receipt_handle, HOLD_SECONDS)
        add_metric("NotificationsHeld", MetricUnit.Count, 1)
        logger.info("notification held: the instance is disabled or its events are off", extra=extra)
        raise DeliveryDeferred("held while the instance is disabled")

    def _deliver_entry(self, entry: _Entry, view: _BatchView) -> str:
        if entry.message is None:
            logger.error("unreadable message in the batch", extra={"message_id": entry.record.get("messageId")})
            raise DeliveryDeferred("unreadable message")
        queued = entry.message
        if queued.sent_at_ms:
            add_metric("QueueAge", MetricUnit.Milliseconds, max(0.0, time.time() * 1000 - queued.sent_at_ms))
        try:
            return self.deliver(queued, view)
        except DeliveryDeferred:
            raise  # an expected outcome, already logged: the queue offers it again later
        except Exception:
            logger.exception(
                "delivery crashed",
                extra={"message_id": queued.message_id, "instance_id": queued.instance_id},
            )
            raise

    def _wait_for_retry_time(
        self, queued: QueuedNotification, logged: LoggedNotification | None, extra: dict[str, Any]
    ) -> None:
        """Raise DeliveryDeferred if the message is back before its recorded retry time.

        SQS normally keeps it away until then; it comes back early when a visibility change failed or the
        function crashed after the failed attempt. Either way the receiver is not tried again early.
        """
        if logged is None or logged.status != RETRYING or not logged.next_attempt_at:
            return
        wait = (from_iso(logged.next_attempt_at) - self._clock.now()).total_seconds()
        if wait <= EARLY_TOLERANCE_SECONDS:
            return
        real_per_second = self._visibility.real_seconds(1.0)
        self._visibility.delay(queued.receipt_handle, max(1, round(wait / real_per_second)))
        logger.info("notification back before its retry time; not attempted", extra={**extra, "wait_seconds": wait})
        raise DeliveryDeferred(f"not before its retry time ({wait:.0f} s from now)")

    def _read_batch(self, batch: list[QueuedNotification], may_attempt: Callable[[], bool]) -> _BatchView:
        """What a batch needs: its instances, and the log entries of its messages and their predecessors."""
        keys = [q.key for q in batch if not q.is_redelivery]
        keys += [(q.instance_id, q.previous_in_batch) for q in batch if q.previous_in_batch]
        if not batch:
            return _BatchView(self._log, self._instances, may_attempt=may_attempt)
        try:  # one BatchGetItem for both tables
            instances, entries = read_together(
                self._instances.read_many([q.instance_id for q in batch]), self._log.read_many(keys)
            )
        except Exception:  # each message then reads its own, and fails alone if that fails too
            logger.warning("reading the batch's instances and log entries failed; reading per message", exc_info=True)
            return _BatchView(self._log, self._instances, may_attempt=may_attempt)
        return _BatchView(self._log, self._instances, entries, instances, may_attempt)

    def _policy(self, organization_id: int) -> str:
        """The organization's failure policy, read at most once a minute per container."""
        with self._policies_lock:
            cached = self._policies.get(organization_id)
        if cached and time.monotonic() - cached[1] < POLICY_SECONDS:
            return cached[0]
        [policies] = read_together(self._accounts.failure_policies([organization_id]))  # not under the lock
        policy: str = policies[organization_id]
        with self._policies_lock:
            self._policies[organization_id] = (policy, time.monotonic())
        return policy


def _queue_attempts(item: dict[str, Any], generation: int) -> int:
    """Attempts the queue already made for this generation of the notification (manual ones aside)."""
    return sum(
        1
        for attempt in item.get("attempts", [])
        if attempt.get("trigger", "queue") == "queue" and attempt.get("generation", 0) == generation
    )


def _count_attempt(result: DeliveryResult) -> None:
    add_metric("DeliveryLatency", MetricUnit.Milliseconds, result.latency_ms)
    add_metric("DeliveryAttempts", MetricUnit.Count, 1)
    add_metric("DeliveriesSucceeded" if result.ok else "DeliveriesFailed", MetricUnit.Count, 1)


class _Entry:
    """One record of the batch and the notification in it (None when it cannot be read)."""

    __slots__ = ("message", "record")

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        try:
            self.message: QueuedNotification | None = notification_message.decode(record)
        except ValueError:
            self.message = None
