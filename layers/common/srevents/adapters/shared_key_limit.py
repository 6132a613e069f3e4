"""SmartRecruiters' per-key limits kept across containers (docs/DESIGN.md §14).

SmartRecruiters counts requests per API key, wherever they come from: two instances that share a key,
polled at the same moment by two poll function containers, would each keep to 10 requests/s and together
send 20, and their two `GET /candidates` listings would overlap. This module keeps, per key (by the key's
SHA-256; never the key), one token bucket and one `GET /candidates` lease in the rate-limits table, used by
the SmartRecruiters client as the second gate after the container's own limiter:

- **Tokens in small batches.** A listing's first request takes one token; its later pages take up to
  `batch` at once (as many as the bucket holds) and spend them locally, so a long listing costs one
  DynamoDB call per `batch` requests (a key saturated by several containers costs more: up to two calls
  a request, when a container's view of the bucket is stale).
  Tokens held locally expire soon after they are granted: a token used late would land in a second
  the bucket had already given to someone else. With a bucket of `batch` tokens and tokens kept at most
  `(10 − batch) / rate` seconds, no second can see more than SmartRecruiters' 10 requests (burst + what
  arrives late), whichever containers send them.
- **One `GET /candidates` listing per key at a time**, everywhere: a lease, taken together with the
  listing's first token (the same UpdateItem), renewed with every batch of tokens, given back at the end
  (one more UpdateItem), and expiring by itself if a container dies holding it.

Waiting (for a token or for the lease) sleeps on the injected clock; `time_left`, when given, bounds it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from srevents.adapters.rate_limits_store import Lease, RateLimitsStore
from srevents.clock import Clock
from srevents.domain.token_bucket import MICROS, BucketPolicy, to_micros
from srevents.observability import logger

SMARTRECRUITERS_PER_SECOND = 10  # what SmartRecruiters lets through in one second, per key
LEASE_SECONDS = 60.0  # a request's timeouts (35 s) with room; renewed by every batch of tokens
LEASE_POLL_SECONDS = (0.05, 1.0)  # first and longest pause between tries for a held lease
CANDIDATES_PATH = "/candidates"


class SharedLimitTimeout(Exception):
    """The wait for a token or the lease would not fit in the time left."""


class Listing:
    """One run of pages of one query: its requests' tokens, and for `/candidates` the key's lease from its
    first request to its end (`SharedKeyLimit.listing`)."""

    def __init__(self, limit: SharedKeyLimit, lease: str | None) -> None:
        self._limit = limit
        self.lease = lease
        self.started = False

    def acquire(self, time_left: Callable[[], float] | None = None) -> None:
        """One token for the listing's next request. The first takes one token (and the lease, in the same
        UpdateItem); later ones spend tokens held here or take a batch (renewing the lease)."""
        first = not self.started
        self.started = True
        if first and self.lease is not None:
            self._limit.take(1, self.lease, time_left)
        elif not self._limit.spend_held():
            self._limit.take(1 if first else self._limit.batch, self.lease, time_left)


class SharedKeyLimit:
    def __init__(
        self,
        store: RateLimitsStore,
        key_digest: str,
        clock: Clock,
        *,
        rate: float = SMARTRECRUITERS_PER_SECOND,
        batch: int = 5,
    ) -> None:
        if not 1 <= batch < SMARTRECRUITERS_PER_SECOND:
            raise ValueError(f"batch must be from 1 to {SMARTRECRUITERS_PER_SECOND - 1}, got {batch}")
        self._store = store
        self._key = f"SMARTRECRUITERS#{key_digest}"
        self._clock = clock
        self._policy = BucketPolicy(rate, batch)
        self._batch = batch
        self._lifetime = to_micros((SMARTRECRUITERS_PER_SECOND - batch) / rate)
        self._lock = threading.Lock()
        self._tokens: list[int] = []  # expiry times (microseconds) of the tokens this container holds

    @property
    def batch(self) -> int:
        return self._batch

    @contextmanager
    def listing(self, path: str) -> Iterator[Listing]:
        """A run of pages of one query; for `/candidates` the lease is given back at its end."""
        listing = Listing(self, uuid.uuid4().hex if path == CANDIDATES_PATH else None)
        try:
            yield listing
        finally:
            if listing.lease is not None and listing.started:
                try:
                    self._store.release(self._key, listing.lease)
                except Exception:  # it expires on its own (LEASE_SECONDS); the listing's own outcome stands
                    logger.warning("giving the /candidates lease back failed", exc_info=True)

    def acquire(self, time_left: Callable[[], float] | None = None) -> None:
        """One token for a request outside any listing (a record fetched by id)."""
        if not self.spend_held():
            self.take(1, None, time_left)

    def spend_held(self) -> bool:
        now = to_micros(self._clock.now().timestamp())
        with self._lock:
            self._tokens = [expiry for expiry in self._tokens if expiry > now]
            if self._tokens:
                self._tokens.pop()
                return True
        return False

    def take(self, tokens: int, lease_holder: str | None, time_left: Callable[[], float] | None) -> None:
        """Up to `tokens` from the key's bucket (at least one: the rest are kept here for a moment), waiting
        while there are none or another listing holds the lease (with `lease_holder`)."""
        pause = LEASE_POLL_SECONDS[0]
        while True:
            now = to_micros(self._clock.now().timestamp())
            lease = Lease(lease_holder, now + to_micros(LEASE_SECONDS)) if lease_holder else None
            try:
                taken = self._store.take(self._key, self._policy, now, tokens, lease, at_least=1)
            except Exception:  # the container's own limiter, applied first, still keeps this container in bounds
                logger.warning("rate-limits table unavailable: the key's shared limit is skipped", exc_info=True)
                return
            if taken.allowed:
                with self._lock:
                    self._tokens.extend([now + self._lifetime] * (taken.tokens - 1))
                return
            if taken.lease_until is not None:
                wait = min(pause, taken.wait / MICROS)  # the holder may give it back before it expires
                pause = min(pause * 2, LEASE_POLL_SECONDS[1])
            else:
                wait = taken.wait / MICROS
            if time_left is not None and wait > time_left():
                what = "GET /candidates lease" if taken.lease_until is not None else "request token"
                raise SharedLimitTimeout(f"waiting {wait:.1f} s for this key's {what} would not fit in the time left")
            self._clock.sleep(wait)
