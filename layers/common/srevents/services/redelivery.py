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

    def run(self, instance_id: int, waking: QueuedNotification, policy: str, may_attempt: Callable[[], bool]) -> None:
        """Send the parked notifications the instance's redelivery selects, in order; then end the redelivery.

        The instance is read again before every send: a redelivery stops (unfinished, for the next message)
        when the instance is disabled, deleted or suspended meanwhile, or its redelivery was replaced, and sends
        with the callback URL and key as they are now. Returns when done, stopped, or ended (a notification
        failed for good, or the callback is gone). Raises RedeliveryWaits, with `waking` put away, when it has
        to go on later; how far it got is kept on the instance, so a long run of marks it does not select is
        read once, not at every invocation.
        """
        sent: set[str] = set()  # a notification marked twice (parked again after a crash) is sent once
        instance = self._instances.get(instance_id)
        if instance is None or not _runnable(instance) or instance.redelivery is None:
            return
        redelivery = instance.redelivery
        after = redelivery.resume_after
        while True:
            if not may_attempt():
                self._pause_run(instance_id, redelivery, after, waking)
            marks = self._log.parked(instance_id, after=after, limit=PARKED_PAGE)
            if not marks:
                break
            entries = self._log.read_parked(marks)
            for mark in marks:
                logged = entries.get(mark.notification_id)
                if logged is None or logged.status not in (QUEUED, FAILED, RETRYING) or mark.notification_id in sent:
                    self._log.unpark(mark)  # delivered or refused meanwhile (the retry route), expired, or sent now
                elif self._failed_in_this_round(logged, redelivery):  # a crash came between FAILED and its pause
                    self._end_after_failure(instance, redelivery, policy, logged.notification_id)
                    return
                elif logged.status == RETRYING or redelivery.selects(logged.status, logged.item.get("createdDate")):
                    fresh = self._instances.get(instance_id)  # as the customer has it now, before every send
                    if fresh is None or not _runnable(fresh) or not _same(fresh.redelivery, redelivery):
                        return  # deleted, disabled, suspended, or the redelivery replaced: the caller sees it
                    instance = fresh
                    outcome = self._send(instance, mark, logged, redelivery, waking, policy, may_attempt)
                    if outcome != DELIVERED:
                        return
                    sent.add(mark.notification_id)
                after = mark.sort_key
        self._instances.finish_redelivery(instance_id, redelivery.requested_at)
        logger.info("redelivery finished", extra={"instance_id": instance_id, "sent": len(sent)})

    def _pause_run(
        self, instance_id: int, redelivery: Redelivery, after: str | None, waking: QueuedNotification
    ) -> None:
        if after:
            self._instances.save_redelivery_progress(instance_id, redelivery.requested_at, after)
        self._visibility.release([waking.receipt_handle])
        raise RedeliveryWaits("out of time: the redelivery goes on in the next invocation")

    def _send(
        self,
        instance: Instance,
        mark: ParkingMark,
        logged: LoggedNotification,
        redelivery: Redelivery,
        waking: QueuedNotification,
        policy: str,
        may_attempt: Callable[[], bool],
    ) -> str:
        """Attempt one parked notification; the status it ends in (DELIVERED: go on)."""
        extra = {"instance_id": instance.id, "notification_id": logged.notification_id}
        self._wait_until_due(logged, waking)
        if not may_attempt():
            self._pause_run(instance.id, redelivery, None, waking)
        result, headers = self._attempts.post(instance, logged.notification_id, logged.body)
        attempt_no = 1 + _attempts_in_round(logged, redelivery)

        def record(status: str, outcome: str, meta: dict[str, Any] | None = None, **kwargs: Any) -> None:
            attempt: Attempt = self._attempts.attempt(result, attempt_no, outcome, logged.generation, trigger=TRIGGER)
            self._attempts.record(
                instance.id, logged.notification_id, logged.body, status, meta or {}, attempt, headers, **kwargs
            )

        if result.ok:
            record(DELIVERED, "delivered", delivered_generation=logged.generation)
            self._log.unpark(mark)
            logger.info("parked notification redelivered", extra=extra)
            return DELIVERED
        if result.status_code == 410:
            self._attempts.suspend(instance, logged.notification_id)
            record(GONE, "gone")
            self._log.unpark(mark)
            self._instances.finish_redelivery(instance.id, redelivery.requested_at)
            logger.warning("callback answered 410 Gone during a redelivery: notifications suspended", extra=extra)
            return GONE
        if self._schedule.is_last_attempt(attempt_no):
            record(FAILED, "failed")
            self._end_after_failure(instance, redelivery, policy, logged.notification_id)
            logger.error("parked notification failed its last redelivery attempt", extra=extra)
            return FAILED
        delay = self._schedule.delay(attempt_no)
        due = self._clock.now() + timedelta(seconds=self._visibility.real_seconds(delay))
        record(RETRYING, "retrying", {"nextAttemptAt": iso_millis(due)})
        self._visibility.delay(waking.receipt_handle, delay)
        logger.info("parked notification failed; the redelivery retries it", extra={**extra, "retry_in": delay})
        raise RedeliveryWaits(f"redelivery attempt {attempt_no} failed; retry in {delay} s")

    def _failed_in_this_round(self, logged: LoggedNotification, redelivery: Redelivery) -> bool:
        """FAILED at this redelivery's last attempt (and still marked: the run ended there, or crashed before)."""
        return logged.status == FAILED and self._schedule.is_last_attempt(_attempts_in_round(logged, redelivery))

    def _end_after_failure(self, instance: Instance, redelivery: Redelivery, policy: str, notification_id: str) -> None:
        """A notification failed its last redelivery attempt: under `retry` push pauses again (which ends the
        redelivery); under `queue` the redelivery just ends."""
        if policy == RETRY and self._instances.pause_push(
            instance.id, pause_reason(notification_id, self._clock), instance.version
        ):
            return
        self._instances.finish_redelivery(instance.id, redelivery.requested_at)

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


def _runnable(instance: Instance | None) -> bool:
    """Whether a redelivery may send for this instance now: it exists, is enabled, its events are on, its
    notifications are not suspended, and a redelivery is recorded."""
    return (
        instance is not None
        and instance.redelivery is not None
        and instance.events_enabled
        and not instance.disabled
        and not instance.notifications_suspended
    )


def _attempts_in_round(logged: LoggedNotification, redelivery: Redelivery) -> int:
    """Attempts this redelivery made of the notification (a newer redelivery starts the schedule again)."""
    return sum(
        1
        for a in logged.item.get("attempts", [])
        if a.get("trigger") == TRIGGER and str(a.get("at", "")) >= redelivery.requested_at
    )


def _same(current: Redelivery | None, running: Redelivery) -> bool:
    return current is not None and current.requested_at == running.requested_at
