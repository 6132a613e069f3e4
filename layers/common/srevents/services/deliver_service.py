"""Deliver one notification to its instance's callback URL (SPEC §6–§7) and record the attempt.

Outcomes:
- `2xx`: DELIVERED. A notification already delivered, refused with 410 or dead-lettered (at the same
  replay generation) is not sent again, so a plan enqueued again after a poll crash changes nothing.
- `410 Gone`: GONE; the instance's notifications are switched off; no more attempts.
- anything else: RETRYING, and the message stays invisible for the next delay of the schedule (or the
  receiver's `Retry-After` on 429/503) — which, in a FIFO queue, holds back the instance's later
  notifications and nobody else's. After the last attempt: FAILED, and the message moves to the
  dead-letter queue.

Order across a partly failed enqueue: the poller links each message to the one sent before it in the
same SendMessageBatch (`previousInBatch`, see adapters/notification_queue.py). A message whose
predecessor this deliverer has not processed (no log entry at the message's replay generation) is an early
copy: an entry before it failed to enqueue and is being sent again, followed by a new copy of this one. It
is dropped, unsent and unlogged, so the re-sent copies arrive in order. The log entries a batch needs are
read with one BatchGetItem (`prefetch`), not one GetItem per message.

Attempts are counted in the delivery log, not with SQS's receive count: in a FIFO batch, the messages
held back behind a failing one are received (and counted) with it every time, so their receive count
says nothing about how often they were tried. The queue's redrive policy stays as a safety net for
messages that crash the function itself.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from srevents.adapters.delivery_log import (
    DELIVERED,
    FAILED,
    GONE,
    RETRYING,
    Attempt,
    DeliveryLog,
    LoggedNotification,
)
from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.notification_queue import NotificationQueue, QueueMessage
from srevents.adapters.secrets import SecretBox
from srevents.clock import Clock, iso_millis
from srevents.domain.backoff import is_last_attempt, retry_delay
from srevents.domain.instance import Instance
from srevents.domain.instance_config import CALLBACK_URL, SIGNATURE_KEY
from srevents.domain.signing import signature_headers
from srevents.errors import NotFound
from srevents.observability import logger, metrics

RETRY_AFTER_STATUSES = (429, 503)


class DeliveryDeferred(Exception):
    """The notification was not delivered this time; the queue will offer it again later."""


class Sender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Any: ...


class Visibility(Protocol):
    def delay(self, receipt_handle: str, seconds: int) -> None: ...

    def release(self, receipt_handles: list[str]) -> None: ...


class QueueVisibility:
    """Keeps a failed message invisible until its next attempt is due."""

    def __init__(self, client: Any, queue_url: str, scale: float = 1.0) -> None:
        self._client = client
        self._url = queue_url
        self._scale = scale
        self.requested: list[int] = []  # the delays asked for, before scaling (tests and the local stack read it)

    def delay(self, receipt_handle: str, seconds: int) -> None:
        self.requested.append(seconds)
        self._client.change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=int(seconds / self._scale)
        )

    def release(self, receipt_handles: list[str]) -> None:
        """Make held-back messages visible again at once.

        They were not attempted: a notification before them in their group failed. Left alone they
        would stay in flight for the queue's whole visibility timeout and block the group past the
        failed one's own retry delay; released, FIFO still keeps them behind it.
        """
        for start in range(0, len(receipt_handles), 10):
            chunk = receipt_handles[start : start + 10]
            self._client.change_message_visibility_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": r, "VisibilityTimeout": 0} for i, r in enumerate(chunk)],
            )


@dataclass(frozen=True)
class QueuedNotification:
    instance_id: int
    notification_id: str
    body: str
    generation: int
    attempt: int  # the queue's receive count (informational: attempts are counted in the log)
    receipt_handle: str
    object_type: str = ""
    event_count: int = 0
    previous_in_batch: str | None = None  # the notification sent just before this one in its enqueue call

    @property
    def key(self) -> tuple[int, str]:
        return (self.instance_id, self.notification_id)


class _LogView:
    """The delivery log as one batch of messages sees it: read once up front, then kept current in memory.

    The messages of one group are processed in order by one invocation at a time (FIFO), so what this
    invocation wrote is the latest state of those entries.
    """

    def __init__(self, log: DeliveryLog) -> None:
        self._log = log
        self._read: dict[tuple[int, str], LoggedNotification | None] = {}
        self._processed: dict[tuple[int, str], int] = {}  # key -> highest generation processed here

    def prefetch(self, keys: list[tuple[int, str]]) -> None:
        self._read = self._log.get_many(keys) if keys else {}
        self._processed = {}

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


class _InstanceCache:
    """Instances for a few seconds per container: a batch of one instance reads it once."""

    def __init__(self, store: InstancesStore, seconds: float = 5.0) -> None:
        self._store = store
        self._seconds = seconds
        self._cache: dict[int, tuple[float, Instance | None]] = {}
        self._lock = threading.Lock()

    def get(self, instance_id: int) -> Instance | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(instance_id)
            if hit and hit[0] > now:
                return hit[1]
        instance = self._store.get(instance_id)
        with self._lock:
            self._cache[instance_id] = (now + self._seconds, instance)
        return instance

    def forget(self, instance_id: int) -> None:
        with self._lock:
            self._cache.pop(instance_id, None)


class DeliverService:
    def __init__(
        self,
        *,
        instances: InstancesStore,
        log: DeliveryLog,
        secret_box: SecretBox,
        sender: Sender,
        visibility: Visibility,
        dead_letters: NotificationQueue,
        clock: Clock,
    ) -> None:
        self._instances = instances
        self._cache = _InstanceCache(instances)
        self._log = log
        self._view = _LogView(log)
        self._secrets = secret_box
        self._sender = sender
        self._visibility = visibility
        self._dead_letters = dead_letters
        self._clock = clock

    def deliver(self, queued: QueuedNotification) -> str:
        """Deliver from the queue. Returns the outcome; raises DeliveryDeferred to be retried later."""
        extra = {"instance_id": queued.instance_id, "notification_id": queued.notification_id}
        instance = self._cache.get(queued.instance_id)
        if instance is None:
            logger.warning("notification dropped: its instance no longer exists", extra=extra)
            return "dropped"
        logged = self._view.take(queued.key)
        if logged and logged.finished(queued.generation):
            # Another copy of it (a poll sent its plan again) was delivered, refused with 410 or dead-lettered.
            self._view.mark(queued.key, queued.generation)
            logger.info(f"notification already {logged.status.lower()}; not sent again", extra=extra)
            return "duplicate"
        previous = queued.previous_in_batch
        if previous and not self._view.processed((queued.instance_id, previous), queued.generation):
            metrics.add_metric(name="EarlyCopiesDropped", unit=MetricUnit.Count, value=1)
            logger.info(
                "notification dropped: an early copy (the one enqueued before it failed; both are being re-sent)",
                extra={**extra, "previous_in_batch": previous},
            )
            return "early-copy"
        meta = {"objectType": queued.object_type, "eventCount": queued.event_count, "generation": queued.generation}

        def record(status: str, attempt: Attempt | None = None, **kwargs: Any) -> None:
            self._write(queued.instance_id, queued.notification_id, queued.body, status, meta, attempt, **kwargs)
            self._view.mark(queued.key, queued.generation)

        if instance.notifications_suspended:
            record(GONE)
            logger.info("notification not sent: the instance's notifications are switched off", extra=extra)
            return "gone"

        result, headers = self._post(instance, queued.notification_id, queued.body)
        attempt_no = 1 + _queue_attempts(logged.item if logged else {}, queued.generation)
        extra["attempt"] = attempt_no
        _count_attempt(result)

        def attempt(outcome: str) -> Attempt:
            return self._attempt(result, attempt_no, outcome, queued.generation)

        if result.ok:
            record(DELIVERED, attempt("delivered"), headers=headers, delivered_generation=queued.generation)
            logger.info("notification delivered", extra={**extra, "status_code": result.status_code})
            return "delivered"
        if result.status_code == 410:
            self._suspend(instance, queued.notification_id)
            record(GONE, attempt("gone"), headers=headers)
            logger.warning("callback answered 410 Gone: notifications switched off", extra=extra)
            return "gone"
        if is_last_attempt(attempt_no):
            # Recorded first: if the move to the dead-letter queue fails, the message comes back, and the
            # attempt that costs is logged too (every attempt is in the log).
            record(FAILED, attempt("failed"), headers=headers)
            self._dead_letters.send([_dead_letter(queued)])
            self._log.mark_dead_lettered(queued.instance_id, queued.notification_id, queued.generation)
            logger.error(
                "notification failed for good; moved to the dead-letter queue", extra={**extra, "error": result.error}
            )
            return "failed"
        retry_after = result.retry_after_seconds if result.status_code in RETRY_AFTER_STATUSES else None
        delay = retry_delay(attempt_no, retry_after=retry_after)
        meta["nextAttemptAt"] = iso_millis(self._clock.now() + timedelta(seconds=delay))
        record(RETRYING, attempt("retrying"), headers=headers)
        self._visibility.delay(queued.receipt_handle, delay)
        logger.info(
            "delivery failed; will retry",
            extra={**extra, "status_code": result.status_code, "error": result.error, "retry_in_seconds": delay},
        )
        raise DeliveryDeferred(
            f"attempt {attempt_no} failed ({result.status_code or result.error}); retry in {delay} s"
        )

    def prefetch(self, batch: list[QueuedNotification]) -> None:
        """Read the log entries a batch needs (its messages and their predecessors) in one call."""
        keys = [q.key for q in batch]
        keys += [(q.instance_id, q.previous_in_batch) for q in batch if q.previous_in_batch]
        try:
            self._view.prefetch(keys)
        except Exception:  # each message then reads its own entry, and fails alone if that fails too
            logger.warning("reading the delivery log for the batch failed; reading per message", exc_info=True)
            self._view.prefetch([])

    def release_held_back(self, receipt_handles: list[str]) -> None:
        if receipt_handles:
            self._visibility.release(receipt_handles)

    def retry_now(self, instance: Instance, notification_id: str) -> dict[str, Any]:
        """Deliver a logged notification again right now (the API's retry route), also from FAILED."""
        logged = self._log.get(instance.id, notification_id)
        if logged is None:
            raise NotFound(f"notification {notification_id[:64]} not found")
        result, headers = self._post(instance, notification_id, logged.body)
        generation = int(logged.item.get("generation", 0))
        if result.ok:
            status, outcome = DELIVERED, "delivered"
        elif result.status_code == 410:
            status, outcome = GONE, "gone"
            self._suspend(instance, notification_id)
        else:  # a failed manual retry leaves the status as it was (FAILED stays FAILED)
            status, outcome = logged.status, "failed"
        attempt_no = int(logged.item.get("attemptCount", 0)) + 1
        attempt = self._attempt(result, attempt_no, outcome, generation, trigger="manual")
        self._write(
            instance.id,
            notification_id,
            logged.body,
            status,
            {},
            attempt,
            headers,
            delivered_generation=generation if result.ok else None,
        )
        return {"notificationId": notification_id, "status": status, "attempt": attempt.as_item()}

    # -- internals ------------------------------------------------------------------------------
    def _post(self, instance: Instance, notification_id: str, body: str) -> tuple[Any, dict[str, str]]:
        url = instance.configuration.get(CALLBACK_URL)
        key = None
        if SIGNATURE_KEY in instance.secret_names:
            key = self._secrets.open(instance.id, instance.secrets_ciphertext).get(SIGNATURE_KEY)
        payload = body.encode("utf-8")
        headers = signature_headers(key, notification_id, int(self._clock.now().timestamp()), payload)
        if not url:
            return _NoCallback(), headers
        return self._sender.post(url, payload, headers), headers

    def _attempt(self, result: Any, attempt_no: int, outcome: str, generation: int, trigger: str = "queue") -> Attempt:
        return Attempt(
            at=iso_millis(self._clock.now()),
            attempt=attempt_no,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=result.error,
            response=result.response_excerpt,
            outcome=outcome,
            trigger=trigger,
            generation=generation,
        )

    def _write(
        self,
        instance_id: int,
        notification_id: str,
        body: str,
        status: str,
        meta: dict[str, Any],
        attempt: Attempt | None,
        headers: dict[str, str] | None = None,
        delivered_generation: int | None = None,
    ) -> None:
        self._log.record(
            instance_id,
            notification_id,
            status=status,
            now=self._clock.now(),
            body=body,
            meta=meta,
            attempt=attempt,
            headers=headers,
            delivered_generation=delivered_generation,
        )

    def _suspend(self, instance: Instance, notification_id: str) -> None:
        reason = f"the callback answered 410 Gone to notification {notification_id} at {iso_millis(self._clock.now())}"
        self._instances.suspend_notifications(instance.id, reason)
        self._cache.forget(instance.id)


class _NoCallback:
    """The result of an attempt with no callback URL configured (events switched off meanwhile)."""

    status_code = None
    latency_ms = 0.0
    error = "no callback URL is configured for this instance"
    response_excerpt = ""
    retry_after_seconds = None
    ok = False


def _queue_attempts(item: dict[str, Any], generation: int) -> int:
    """Attempts the queue already made for this generation of the notification (manual ones aside)."""
    return sum(
        1
        for attempt in item.get("attempts", [])
        if attempt.get("trigger", "queue") == "queue" and attempt.get("generation", 0) == generation
    )


def _dead_letter(queued: QueuedNotification) -> QueueMessage:
    return QueueMessage(
        body=queued.body,
        group_id=str(queued.instance_id),
        deduplication_id=f"{queued.notification_id}:{queued.generation}:dead",
        attributes={
            "instanceId": str(queued.instance_id),
            "notificationId": queued.notification_id,
            "generation": str(queued.generation),
            "objectType": queued.object_type,
        },
    )


def _count_attempt(result: Any) -> None:
    metrics.add_metric(name="DeliveryLatency", unit=MetricUnit.Milliseconds, value=result.latency_ms)
    metrics.add_metric(name="DeliveryAttempts", unit=MetricUnit.Count, value=1)
    outcome = "DeliveriesSucceeded" if result.ok else "DeliveriesFailed"
    metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)
