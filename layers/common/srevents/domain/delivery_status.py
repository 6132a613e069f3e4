"""A notification's delivery status (what the delivery log records and the API shows), and the result of
one attempt to deliver it."""

from __future__ import annotations

from dataclasses import dataclass

PENDING = "PENDING"
"""Held unsent: its instance is disabled or its events are off (delivered in order once enabled)."""
DELIVERED = "DELIVERED"
"""The callback answered 2xx."""
RETRYING = "RETRYING"
"""An attempt failed; the next one is due at `nextAttemptAt`."""
FAILED = "FAILED"
"""The last attempt failed: in the dead-letter queue, re-sent by the retry route."""
QUEUED = "QUEUED"
"""Kept for pull and bulk redelivery, not attempted: the instance's push is paused (a notification failed
its last retry) or its organization's failure policy is `queue` (docs/DESIGN.md §7)."""
GONE = "GONE"
"""The callback answered 410 Gone (and the instance's notifications are suspended), or they were suspended
when it came up: not sent."""

STATUSES = (PENDING, DELIVERED, RETRYING, FAILED, QUEUED, GONE)


@dataclass(frozen=True)
class DeliveryResult:
    """One delivery attempt, as it is recorded (docs/DESIGN.md §7).

    `error` is set when there was no complete HTTP exchange (refused address, connection or
    TLS failure, timeout); it is short, readable, and never contains the body or header values.
    When the status line arrived before things went wrong, `status_code` keeps it.
    """

    status_code: int | None
    latency_ms: float
    error: str | None
    response_excerpt: str = ""
    """The first 1024 bytes of the response body, decoded as UTF-8 with replacement."""
    retry_after_seconds: float | None = None
    """From `Retry-After` (seconds or an HTTP date), whatever the status; bounds are the caller's."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


NO_CALLBACK = DeliveryResult(None, 0.0, "no callback URL is configured for this instance")
"""The result of an attempt with no callback URL configured (events switched off meanwhile)."""
