"""How long to wait before the next delivery attempt (docs/DESIGN.md §7): about a day in ten retries, jittered."""

from __future__ import annotations

import random

# Seconds before retry n (1-based): 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h ≈ 28 h in all.
RETRY_DELAYS = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # the first try and ten retries; the queue's maxReceiveCount
MAX_DELAY = 43_200  # SQS caps a message's visibility timeout at 12 hours
MIN_RETRY_AFTER = 1
JITTER = 0.2


def retry_delay(attempt: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> int:
    """Seconds to wait after failed attempt number `attempt` (1 = the first try).

    A `Retry-After` from the receiver (on 429/503) is honoured, bounded to [1 s, 12 h]; otherwise the
    schedule's delay with ±20 % jitter, so receivers that failed together are not retried together.
    """
    if retry_after is not None:
        return int(min(max(retry_after, MIN_RETRY_AFTER), MAX_DELAY))
    base = RETRY_DELAYS[min(max(attempt, 1), len(RETRY_DELAYS)) - 1]
    spread = (rng or random).uniform(-JITTER, JITTER)
    return int(min(max(1, round(base * (1 + spread))), MAX_DELAY))


def is_last_attempt(attempt: int) -> bool:
    return attempt >= MAX_ATTEMPTS
