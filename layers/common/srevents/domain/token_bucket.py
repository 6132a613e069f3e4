"""A token bucket kept as one number, so that a conditional write can move it (docs/DESIGN.md §14).

The bucket is stored as its **theoretical arrival time** `tat` (the generic cell rate algorithm): the moment
at which the bucket would be full again if nothing more were taken. Taking `n` tokens at `now` moves it to
`max(tat, now) + n × interval`, and is allowed when that lands no further than `burst × interval` ahead of
`now`. This is the same limit as a bucket of `burst` tokens refilled at `rate` per second: over any window
of `T` seconds at most `burst + rate × T` tokens are handed out.

Storing one number lets a store apply a take with a single conditional update, without reading first:
- **idle** (`tat <= now`, or no bucket yet): write `now + cost`, on condition that the bucket is still idle;
- **busy** (`now < tat <= now + burst × interval − cost`): add `cost` to what is stored, on condition that it
  is still in that range — the store does the addition, so concurrent takers never overwrite each other.
Which form applies depends on the stored value; a caller guesses from the last value it saw and, when the
guess was wrong, learns the stored value from the refused write and plans again (`plan`).

All times are integer microseconds since the epoch, so no rounding drifts between containers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MICROS = 1_000_000


@dataclass(frozen=True)
class BucketPolicy:
    """`rate` tokens per second, at most `burst` at once (and never more than `burst` in one take)."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"rate must be a positive number of tokens per second, got {self.rate!r}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst!r}")

    @property
    def interval(self) -> int:
        """Microseconds per token (at least 1)."""
        return max(1, round(MICROS / self.rate))

    @property
    def tolerance(self) -> int:
        """How far ahead of now the bucket may run: `burst` tokens' worth."""
        return self.burst * self.interval


@dataclass(frozen=True)
class Idle:
    """Write `new_tat` if the stored bucket is absent or at or before `now`: `tokens` taken."""

    now: int
    new_tat: int
    tokens: int = 1


@dataclass(frozen=True)
class Busy:
    """Add `cost` to the stored bucket if it lies in (`now`, `highest`]: `tokens` taken."""

    now: int
    cost: int
    highest: int
    tokens: int = 1


@dataclass(frozen=True)
class Denied:
    """Over the limit: the take would be allowed again in `wait` microseconds (nothing is written)."""

    wait: int

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds, rounded up, at least 1: the `Retry-After` header's form."""
        return max(1, -(-self.wait // MICROS))


Plan = Idle | Busy | Denied


def plan(policy: BucketPolicy, tat: int | None, now: int, tokens: int = 1, at_least: int | None = None) -> Plan:
    """What to write to take `tokens` at `now` from a bucket last seen at `tat` (None: absent).

    With `at_least`, as many of `tokens` as the bucket holds are taken, if that is at least `at_least`
    (a caller that wants a batch but can use fewer need not wait for a full bucket).
    """
    least = tokens if at_least is None else at_least
    if not 1 <= least <= tokens <= policy.burst:
        raise ValueError(f"a take must be of 1 to {policy.burst} tokens, got {least}..{tokens}")
    start = now if tat is None or tat <= now else tat
    available = (now + policy.tolerance - start) // policy.interval
    if available < least:
        return Denied(start - (now + policy.tolerance - least * policy.interval))
    taking = min(tokens, available)
    cost = taking * policy.interval
    if start == now:
        return Idle(now, now + cost, taking)
    return Busy(now, cost, now + policy.tolerance - cost, taking)


def to_micros(seconds: float) -> int:
    return round(seconds * MICROS)
