"""What happens after a notification's last retry (docs/DESIGN.md §7, "Failure policy"), as pure rules.

Per organization, `notification.webhook.failure.policy`:
- `retry` (the default): notifications are pushed; when one fails its last retry, the instance's push is
  paused and its later notifications are kept `QUEUED` (stored, listed, not attempted) until a redelivery,
  enabling the instance or a new callback URL resumes it.
- `queue`: nothing is pushed; every notification is kept `QUEUED` for pull (`GET .../events?status=QUEUED`)
  and bulk redelivery.

A redelivery (`POST /instances/{id}/events/redeliver`) names the statuses to re-send (`QUEUED`, `FAILED`)
and, optionally, `since`: only notifications first logged at or after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from srevents.clock import from_iso, iso_millis
from srevents.domain.delivery_status import FAILED, QUEUED
from srevents.domain.since import parse_since
from srevents.errors import ValidationError

POLICY_SETTING = "notification.webhook.failure.policy"
RETRY, QUEUE = "retry", "queue"
POLICIES = (RETRY, QUEUE)
REDELIVERABLE = (QUEUED, FAILED)


def checked_policy(value: Any) -> str:
    if value not in POLICIES:
        raise ValidationError(POLICY_SETTING, f"must be one of {', '.join(POLICIES)}, got {str(value)[:20]!r}")
    return str(value)


@dataclass(frozen=True)
class Redelivery:
    """A redelivery under way: which parked notifications to send, asked for when."""

    statuses: tuple[str, ...]
    since: str | None
    requested_at: str
    resume_after: str | None = None
    """The last parking mark a previous invocation got past (the redelivery goes on after it)."""

    def selects(self, status: str, created_date: str | None) -> bool:
        if status not in self.statuses:
            return False
        return self.since is None or (created_date is not None and from_iso(created_date) >= from_iso(self.since))

    def as_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"statuses": list(self.statuses), "requestedAt": self.requested_at}
        if self.since is not None:
            item["since"] = self.since
        if self.resume_after is not None:
            item["resumeAfter"] = self.resume_after
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> Redelivery | None:
        if not item:
            return None
        statuses = tuple(item.get("statuses", REDELIVERABLE))
        return cls(statuses, item.get("since"), str(item["requestedAt"]), item.get("resumeAfter"))


def redelivery_request(body: Any, now: datetime) -> Redelivery:
    """The redeliver route's body, checked: `{"status": ["QUEUED", "FAILED"], "since": ISO-8601?}`."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ValidationError("body", 'must be a JSON object such as {"status": ["QUEUED", "FAILED"]}')
    unknown = sorted(set(body) - {"status", "since"})
    if unknown:
        raise ValidationError(unknown[0], "is not a redeliver field (known: status, since)")
    statuses = body.get("status", list(REDELIVERABLE))
    if isinstance(statuses, str):
        statuses = [statuses]
    if not isinstance(statuses, list) or not statuses:
        raise ValidationError("status", f"must be a non-empty list of {' and '.join(REDELIVERABLE)}")
    for index, status in enumerate(statuses):
        if status not in REDELIVERABLE:
            raise ValidationError(f"status[{index}]", f"must be one of {', '.join(REDELIVERABLE)}, got {status!r:.30}")
    since = body.get("since")
    if since is not None:
        since = iso_millis(parse_since(since, now))
    return Redelivery(tuple(dict.fromkeys(statuses)), since, iso_millis(now))
