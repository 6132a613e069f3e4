"""An instance's notifications as the API shows them: newest first, with their delivery status."""

from __future__ import annotations

import json
import re
from typing import Any

from srevents.adapters.delivery_log import DeliveryLog, LoggedNotification
from srevents.domain.delivery_status import PENDING, RETRYING, STATUSES
from srevents.domain.instance import Instance
from srevents.errors import NotFound, ValidationError
from srevents.services.deliver_service import DeliverService

DEFAULT_PAGE, MAX_PAGE = 25, 100
_NOTIFICATION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:  # not "²", which int() refuses
        raise ValidationError("limit", f"must be a whole number from 1 to {MAX_PAGE}, got {raw[:20]!r}")
    return int(raw)


def notification_id(raw: str) -> str:
    if not _NOTIFICATION_ID.match(raw):
        raise NotFound(f"notification {raw[:64]!r} not found")
    return raw


class EventsService:
    def __init__(self, *, log: DeliveryLog, deliverer: DeliverService) -> None:
        self._log = log
        self._deliverer = deliverer

    def list(self, instance: Instance, *, limit: str | None, cursor: str | None, status: str | None) -> dict[str, Any]:
        if status is not None and status not in STATUSES:
            raise ValidationError("status", f"must be one of {', '.join(STATUSES)}, got {status[:20]!r}")
        items, next_cursor = self._log.page(instance.id, limit=_limit(limit), cursor=cursor, status=status)
        return {"events": [_summary(i) for i in items], "nextCursor": next_cursor}

    def get(self, instance: Instance, raw_id: str) -> dict[str, Any]:
        logged = self._log.get(instance.id, notification_id(raw_id))
        if logged is None:
            raise NotFound(f"notification {raw_id[:64]!r} not found")
        detail = _summary(logged)
        detail["body"] = json.loads(logged.body) if logged.body else None
        detail["headersSent"] = logged.item.get("headersSent", {})
        detail["attempts"] = logged.item.get("attempts", [])
        return detail

    def retry(self, instance: Instance, raw_id: str) -> dict[str, Any]:
        return self._deliverer.retry_now(instance, notification_id(raw_id))
