"""`since`: the ISO-8601 instant a replay or a redelivery starts from, as the API accepts it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from srevents.errors import ValidationError

EARLIEST_SINCE = datetime(1970, 1, 1, tzinfo=UTC)


def parse_since(value: Any, now: datetime) -> datetime:
    """A date-time with a zone, not in the future, not before 1970 (earlier years lose digits in storage)."""
    if not isinstance(value, str):
        raise ValidationError("since", "must be an ISO-8601 date-time such as 2026-11-01T00:00:00Z")
    try:
        since = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("since", f"must be an ISO-8601 date-time with a zone, got {value[:40]!r}") from None
    if since.tzinfo is None:
        raise ValidationError("since", "must carry a time zone (e.g. a trailing Z)")
    if since > now:
        raise ValidationError("since", "must not be in the future")
    if since < EARLIEST_SINCE:
        raise ValidationError("since", "must not be before 1970-01-01T00:00:00Z")
    return since
