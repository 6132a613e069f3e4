"""An instance's notifications as the API shows them (newest first, with their delivery status), the retry of
one, and the redelivery of those parked (docs/DESIGN.md §7, "Failure policy")."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from srevents.adapters import notification_message
from srevents.adapters.delivery_log import DeliveryLog, LoggedNotification
from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.notification_queue import NotificationQueue
from srevents.clock import Clock
from srevents.domain.delivery_status import PENDING, RETRYING, STATUSES
from srevents.domain.failure_policy import redelivery_request
from srevents.domain.instance import Instance
from srevents.errors import Conflict, NotFound, ValidationError
from srevents.services.callback_attempts import CallbackAttempts


def _summary(logged: LoggedNotification) -> dict[str, Any]:
    item = logged.item
    return {
        "id": logged.notification_id,
        "status": logged.status,
        "objectType": item.get("objectType"),
        "eventCount": item.get("eventCount"),
        "createdDate": item.get("createdDate"),
        "updatedDate": item.get("updatedDate"),
        "attemptCount": item.get("attemptCount", 0),
        "lastStatusCode": item.get("lastStatusCode"),
        "nextAttemptAt": item.get("nextAttemptAt") if logged.status in (RETRYING, PENDING) else None,
    }


class EventsService:
    def __init__(
        self,
        *,
        log: DeliveryLog,
        attempts: CallbackAttempts,
        instances: InstancesStore,
        queue: NotificationQueue,
        clock: Clock,
    ) -> None:
        self._log = log
        self._attempts = attempts
        self._instances = instances
        self._queue = queue
        self._clock = clock

    def list(
        self, instance: Instance, *, page_size: int, after: str | None, status: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the instance's notifications, newest first, and the id the next page starts after (None on
        the last page)."""
        if status is not None and status not in STATUSES:
            raise ValidationError("status", f"must be one of {', '.join(STATUSES)}, got {status[:20]!r}")
        items, next_after = self._log.page(instance.id, limit=page_size, after=after, status=status)
        return [_summary(i) for i in items], next_after

    def get(self, instance: Instance, notification_id: str) -> dict[str, Any]:
        logged = self._log.get(instance.id, notification_id)
        if logged is None:
            raise NotFound(f"notification {notification_id[:64]!r} not found")
        detail = _summary(logged)
        detail["body"] = json.loads(logged.body) if logged.body else None
        detail["headersSent"] = logged.item.get("headersSent", {})
        detail["attempts"] = logged.item.get("attempts", [])
        return detail

    def retry(self, instance: Instance, notification_id: str) -> dict[str, Any]:
        return self._attempts.retry_now(instance, notification_id)

    def redeliver(self, instance: Instance, body: Any) -> dict[str, Any]:
        """Resume push and send the parked notifications the body selects, in their original order.

        The instance records the redelivery first (refused with 409 if it changed since it was read), then a
        waking message goes into its queue group: whichever message of the group the deliverer takes next runs
        the redelivery first. If the message cannot be sent, the instance is put back as it was and the call
        fails: nothing half-done, and calling again is safe."""
        redelivery = redelivery_request(body, self._clock.now())
        if instance.disabled or not instance.events_enabled:
            raise Conflict("the instance is disabled or its events are off: enable it first")
        if instance.notifications_suspended:
            raise Conflict("the callback answered 410 Gone: set a new callback URL or enable the instance first")
        recorded = instance.with_changes(redelivery=redelivery, push_paused=None, version=instance.version + 1)
        self._instances.replace(recorded, expected_version=instance.version)
        try:
            self._queue.send([notification_message.redelivery(instance.id, redelivery.requested_at)])
        except Exception:
            with contextlib.suppress(Exception):  # a deliverer that changed it since keeps its change
                self._instances.replace(instance.with_changes(version=recorded.version + 1), recorded.version)
            raise
        return {
            "instanceId": instance.id,
            "status": "redelivery started",
            "redelivery": {"status": list(redelivery.statuses), "since": redelivery.since},
            "requestedAt": redelivery.requested_at,
        }
