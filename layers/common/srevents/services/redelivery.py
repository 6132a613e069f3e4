"""Sending an instance's parked notifications again, in the order they were parked (docs/DESIGN.md §7,
"Failure policy").

A redelivery (`POST /instances/{id}/events/redeliver`) is recorded on the instance and wakes its deliverer with
a message in the instance's FIFO group. Whichever message of the group the deliverer takes next — that one, or
a notification queued before it — first has the parked notifications the redelivery selects sent, oldest
first, and only then is processed itself: notifications parked earlier go out before anything produced later.

The notifications themselves are not put back in the queue: their bodies are in the delivery log, and the
deliverer sends them from there. A failed attempt is retried on the deployment's schedule by keeping the
waking message away until the retry is due (which holds the group, as a failing queued notification would);
after the last retry the notification is `FAILED` again and, under the `retry` policy, push is paused again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from srevents.adapters.delivery_log import Attempt, DeliveryLog, LoggedNotification, ParkingMark
from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.notification_message import QueuedNotification
from srevents.clock import Clock, from_iso, iso_millis
from srevents.domain.backoff import RetrySchedule
from srevents.domain.delivery_status import DELIVERED, FAILED, GONE, QUEUED, RETRYING
from srevents.domain.failure_policy import RETRY, Redelivery
from srevents.domain.instance import Instance
from srevents.observability import logger
from srevents.services.callback_attempts import CallbackAttempts

PARKED_PAGE = 10
TRIGGER = "redelivery"
"""The attempts a redelivery makes are logged with this trigger (the queue's are `queue`, the API's `manual`)."""


class RedeliveryWaits(Exception):
    """The redelivery cannot go on now (a retry is not due yet, or the invocation is out of time): the waking
    message was put away until it can."""


class Redeliverer:
    def __init__(
        self,
        *,
        log: DeliveryLog,
        instances: InstancesStore,
        attempts: CallbackAttempts,
        visibility: Any,
        clock: Clock,
        schedule: RetrySchedule,
    ) -> None:
        self._log = log
        self._instances = instances
        self._attempts = attempts
        self._visibility = visibility
        self._clock = clock
        self._schedule = schedule

    def run(self, instance: Instance, waking: QueuedNotification, policy: str, may_attempt: Callable[[], bool]) -> None:
        """Send every parked notification the instance's redelivery selects, in order; then end the redelivery.

        Returns when done (or when a notification failed for good, or the callback is gone: the redelivery ends
        there). Raises RedeliveryWaits, with `waking` put away, when it has to go on later.
        """
        redelivery = instance.redelivery
        assert redelivery is not None
        after: str | None = None
        while marks := self._log.parked(instance.id, after=after, limit=PARKED_PAGE):
            entries = self._log.read_parked(marks)
            for mark in marks:
                logged = entries.get(mark.notification_id)
                if logged is None or logged.status not in (QUEUED, FAILED, RETRYING):
                    self._log.unpark(mark)  # delivered or refused meanwhile (the retry route), or expired
                    continue
                if logged.status != RETRYING and not redelivery.selects(logged.status, logged.item.get("createdDate")):
                    continue  # parked still, for another redelivery
                if not self._send(instance, mark, logged, redelivery, waking, policy, may_attempt):
                    return
            after = marks[-1].sort_key
        self._instances.finish_redelivery(instance.id, redelivery.requested_at)
        logger.info("redelivery finished", extra={"instance_id": instance.id})

    def _send(
        self,
        instance: Instance,
        mark: ParkingMark,
        logged: LoggedNotification,
        redelivery: Redelivery,
        waking: QueuedNotification,
        policy: str,
        may_attempt: Callable[[], bool],
    ) -> bool:
        """Attempt one parked notification. True: delivered, go on; False: the redelivery ended here."""
        extra = {"instance_id": instance.id, "notification_id": logged.notification_id}
        self._wait_until_due(logged, waking)
        if not may_attempt():
            self._visibility.release([waking.receipt_handle])
            raise RedeliveryWaits("out of time: the redelivery goes on in the next invocation")
        result, headers = self._attempts.post(instance, logged.notification_id, logged.body)
        attempt_no = 1 + sum(
            1
            for a in logged.item.get("attempts", [])
            if a.get("trigger") == TRIGGER and str(a.get("at", "")) >= redelivery.requested_at
        )

        def record(status: str, outcome: str, meta: dict[str, Any] | None = None, **kwargs: Any) -> None:
            attempt: Attempt = self._attempts.attempt(result, attempt_no, outcome, logged.generation, trigger=TRIGGER)
            self._attempts.record(
                instance.id, logged.notification_id, logged.body, status, meta or {}, attempt, headers, **kwargs
            )

        if result.ok:
            record(DELIVERED, "delivered", delivered_generation=logged.generation)
            self._log.unpark(mark)
            logger.info("parked notification redelivered", extra=extra)
            return True
        if result.status_code == 410:
            self._attempts.suspend(instance, logged.notification_id)
            record(GONE, "gone")
            self._log.unpark(mark)
            self._instances.finish_redelivery(instance.id, redelivery.requested_at)
            logger.warning("callback answered 410 Gone during a redelivery: notifications suspended", extra=extra)
            return False
        if self._schedule.is_last_attempt(attempt_no):
            record(FAILED, "failed")
            if policy == RETRY:
                self._instances.pause_push(instance.id, pause_reason(logged.notification_id, self._clock))
            else:
                self._instances.finish_redelivery(instance.id, redelivery.requested_at)
            logger.error("parked notification failed its last redelivery attempt", extra=extra)
            return False
        delay = self._schedule.delay(attempt_no)
        due = self._clock.now() + timedelta(seconds=self._visibility.real_seconds(delay))
        record(RETRYING, "retrying", {"nextAttemptAt": iso_millis(due)})
        self._visibility.delay(waking.receipt_handle, delay)
        logger.info("parked notification failed; the redelivery retries it", extra={**extra, "retry_in": delay})
        raise RedeliveryWaits(f"redelivery attempt {attempt_no} failed; retry in {delay} s")

    def _wait_until_due(self, logged: LoggedNotification, waking: QueuedNotification) -> None:
        if logged.status != RETRYING or not logged.next_attempt_at:
            return
        wait = (from_iso(logged.next_attempt_at) - self._clock.now()).total_seconds()
        if wait <= 1.0:
            return
        self._visibility.delay(waking.receipt_handle, max(1, round(wait / self._visibility.real_seconds(1.0))))
        raise RedeliveryWaits(f"the next redelivery attempt is due in {wait:.0f} s")


def pause_reason(notification_id: str, clock: Clock) -> str:
    return f"notification {notification_id} failed its last retry at {iso_millis(clock.now())}"
