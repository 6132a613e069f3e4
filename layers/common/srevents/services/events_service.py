"""An instance's notifications as the API shows them: newest first, with their delivery status."""

from __future__ import annotations

import json
from typing import Any

from srevents.adapters.delivery_log import DeliveryLog, LoggedNotification
from srevents.domain.delivery_status import PENDING, RETRYING, STATUSES
from srevents.domain.instance import Instance
from srevents.errors import NotFound, ValidationError
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
    def __init__(self, *, log: DeliveryLog, attempts: CallbackAttempts) -> None:
        self._log = log
        self._attempts = attempts

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
