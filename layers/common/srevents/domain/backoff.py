"""How long to wait before the next delivery attempt (docs/DESIGN.md §7), jittered.

Two schedules, chosen per deployment (`RetrySchedule` parameter → `RETRY_SCHEDULE`):
- `day` (the default): ten retries over about a day — 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h,
  12 h (≈ 28 h in all): a receiver that is down for a day loses nothing, and a dead one is known in a day.
- `platform`: the hosted platform's nine retries, the nth after 4ⁿ seconds — 4 s, 16 s, 64 s, 4 min, 17 min,
  68 min, 4.6 h, 18 h, 73 h (≈ 97 h in all). Delays past SQS's 12-hour visibility limit are waited out in
  hops: the message comes back early and is put away again until its recorded retry time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetrySchedule:
    name: str
    delays: tuple[int, ...]
    """Seconds before retry n (1-based)."""

    @property
    def max_attempts(self) -> int:
        """The first try and every retry."""
        return len(self.delays) + 1

    def is_last_attempt(self, attempt: int) -> bool:
        return attempt >= self.max_attempts

    def delay(self, attempt: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> int:
        """Seconds to wait after failed attempt number `attempt` (1 = the first try).

        A `Retry-After` from the receiver (on 429/503) is honoured, bounded to [1 s, 12 h]; otherwise the
        schedule's delay with ±20 % jitter, so receivers that failed together are not retried together.
        """
        if retry_after is not None:
            return int(min(max(retry_after, MIN_RETRY_AFTER), MAX_RETRY_AFTER))
        base = self.delays[min(max(attempt, 1), len(self.delays)) - 1]
        spread = (rng or random).uniform(-JITTER, JITTER)
        return max(1, round(base * (1 + spread)))


DAY = RetrySchedule("day", (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200))
PLATFORM = RetrySchedule("platform", tuple(4**n for n in range(1, 10)))
SCHEDULES = {schedule.name: schedule for schedule in (DAY, PLATFORM)}

RETRY_DELAYS = DAY.delays
MAX_ATTEMPTS = DAY.max_attempts  # the default schedule's: the first try and ten retries
MAX_RETRY_AFTER = 43_200  # a receiver's Retry-After is honoured up to 12 hours
MIN_RETRY_AFTER = 1
JITTER = 0.2
