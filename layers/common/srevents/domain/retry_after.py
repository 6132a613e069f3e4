"""`Retry-After` (RFC 9110 §10.2.3): how long a server asks us to wait. One reading for every client.

The header is either delay-seconds (`120`: digits only) or an HTTP date. Anything else — `1.5`, `-3`,
`inf`, a date with no zone — is ignored rather than guessed at: the caller then uses its own backoff.
HTTP dates are always GMT (RFC 9110 §5.6.7); a date that names no zone is not one of them. A date in the
past means 0. Bounds are the caller's: each client knows how long it may wait.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime

_DELAY_SECONDS = re.compile(r"[0-9]{1,10}")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait, or None when the header is absent or not a valid `Retry-After`."""
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
