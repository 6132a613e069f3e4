"""A notification's delivery status: what the delivery log records and the API shows (`GET .../events`)."""

from __future__ import annotations

PENDING = "PENDING"
"""Held unsent: its instance is disabled or its events are off (delivered in order once enabled)."""
DELIVERED = "DELIVERED"
"""The callback answered 2xx."""
RETRYING = "RETRYING"
"""An attempt failed; the next one is due at `nextAttemptAt`."""
FAILED = "FAILED"
"""The last attempt failed: in the dead-letter queue, re-sent by the retry route."""
GONE = "GONE"
"""The callback answered 410 Gone (and the instance's notifications are suspended), or they were suspended
when it came up: not sent."""

STATUSES = (PENDING, DELIVERED, RETRYING, FAILED, GONE)
