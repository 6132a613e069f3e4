"""SmartRecruiters' per-key limits (docs/DESIGN.md §4): 10 requests/s, 8 concurrent, 1 concurrent GET /candidates.

The per-second limit is a token bucket holding 10 tokens and refilled at 10 per second: a burst
of 10 passes, the 11th request within the same second gets a 429, and a client that spaces its
requests evenly at 10 per second never does. Rejected requests take no token, so a client that
backs off is not punished for having asked. Each limit can be switched off (the local stack and
benchmarks switch off the per-second one); the headers are sent either way.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from srevents.clock import Clock

REQUESTS_PER_SECOND = 10
CONCURRENT_REQUESTS = 8
CANDIDATES_PATH = "/candidates"


class RateLimited(Exception):
    """429: the request is over one of the key's limits."""

    def __init__(self, reason: str, headers: dict[str, str]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.headers = headers


@dataclass
class _KeyState:
    tokens: float
    refilled_at: datetime
    in_flight: int = 0
    candidates_in_flight: int = 0


class RateLimiter:
    def __init__(self, clock: Clock, *, enforce_rate: bool = True, enforce_concurrency: bool = True) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, _KeyState] = {}
        self.enforce_rate = enforce_rate
        self.enforce_concurrency = enforce_concurrency

    def configure(self, *, per_second: bool | None = None, concurrency: bool | None = None) -> dict[str, bool]:
        """Switch limits on or off (None leaves one as it is); returns the settings now in force."""
        with self._lock:
            if per_second is not None:
                self.enforce_rate = per_second
            if concurrency is not None:
                self.enforce_concurrency = concurrency
            return {"perSecond": self.enforce_rate, "concurrency": self.enforce_concurrency}

    @contextmanager
    def admit(self, key: str, path: str) -> Iterator[dict[str, str]]:
        """Hold one of `key`'s request slots for the duration of the block; yields the rate-limit headers.

        Raises RateLimited (with the headers) when the request is over a limit.
        """
        candidates = path == CANDIDATES_PATH
        with self._lock:
            state = self._refilled(key)
            reason = self._over_limit(state, candidates)
            if reason:
                raise RateLimited(reason, self._headers(state))
            state.tokens = max(state.tokens - 1, 0.0)
            state.in_flight += 1
            state.candidates_in_flight += candidates
            headers = self._headers(state)
        try:
            yield headers
        finally:
            with self._lock:
                state.in_flight -= 1
                state.candidates_in_flight -= candidates

    def in_flight(self, key: str) -> int:
        """How many of `key`'s requests are being served right now."""
        with self._lock:
            state = self._keys.get(key)
            return state.in_flight if state else 0

    @staticmethod
    def idle_headers() -> dict[str, str]:
        """Headers for a request that is not charged to any key (it had no valid one)."""
        return _headers(REQUESTS_PER_SECOND, CONCURRENT_REQUESTS)

    def _over_limit(self, state: _KeyState, candidates: bool) -> str | None:
        if self.enforce_rate and state.tokens < 1:
            return f"more than {REQUESTS_PER_SECOND} requests per second"
        if self.enforce_concurrency and state.in_flight >= CONCURRENT_REQUESTS:
            return f"more than {CONCURRENT_REQUESTS} concurrent requests"
        if self.enforce_concurrency and candidates and state.candidates_in_flight >= 1:
            return "more than 1 concurrent GET /candidates request"
        return None

    def _refilled(self, key: str) -> _KeyState:
        now = self._clock.now()
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _KeyState(tokens=REQUESTS_PER_SECOND, refilled_at=now)
        # Datetime arithmetic is exact to the microsecond, unlike differences of float timestamps.
        elapsed = max((now - state.refilled_at).total_seconds(), 0.0)
        state.tokens = min(REQUESTS_PER_SECOND, state.tokens + elapsed * REQUESTS_PER_SECOND)
        state.refilled_at = now
        return state

    @staticmethod
    def _headers(state: _KeyState) -> dict[str, str]:
        return _headers(math.floor(state.tokens), CONCURRENT_REQUESTS - state.in_flight)


def _headers(remaining: int, concurrent_remaining: int) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(REQUESTS_PER_SECOND),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Concurrent-Limit": str(CONCURRENT_REQUESTS),
        "X-RateLimit-Concurrent-Remaining": str(max(concurrent_remaining, 0)),
    }
