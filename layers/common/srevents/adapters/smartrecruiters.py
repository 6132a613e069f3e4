"""HTTP client for the SmartRecruiters list endpoints the poller reads (docs/DESIGN.md §4).

What it takes care of, so callers only see pages of records or one typed error:
- auth (`X-SmartToken`), sent only to `base_url` and never written into an error or a log line;
- paging by `nextPageId` cursors;
- retries of 429, 5xx, connection errors and timeouts with exponential backoff and full
  jitter, honouring `Retry-After` when SmartRecruiters sends one (it is not documented);
- SmartRecruiters' per-key limits, on our side of the wire: at most `requests_per_second`
  requests per key from this process, and one `GET /candidates` in flight per key. The state is
  shared by every client in the process that uses the same key, so two polls of instances that
  share a key do not push each other into 429s. That is the first gate; the second (`shared`,
  adapters/shared_key_limit.py) keeps the same limits across containers.

Time is read and slept through an injected `Clock`, so tests observe every backoff and
throttle delay without waiting for it.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests

from srevents import __version__
from srevents.adapters.shared_key_limit import Listing, SharedKeyLimit, SharedLimitTimeout
from srevents.clock import Clock, SystemClock
from srevents.domain.records import loads_deep_page
from srevents.domain.redaction import redact
from srevents.domain.retry_after import parse_retry_after

DEFAULT_BASE_URL = "https://api.smartrecruiters.com"
USER_AGENT = f"srevents/{__version__}"

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
RETRY_AFTER_CAP_SECONDS = 60.0
CANDIDATES_PATH = "/candidates"

log = logging.getLogger(__name__)

# Failures where no usable response arrived: worth another try.
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class Page:
    records: list[dict]
    next_page_id: str | None
    total_found: int | None


class SmartRecruitersError(Exception):
    """SmartRecruiters refused or failed a request. `status` is None when no response arrived."""

    def __init__(self, status: int | None, message: str, errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


class SmartRecruitersAuthError(SmartRecruitersError):
    """401/403: the key is wrong, revoked or lacks a permission. Retrying cannot help."""


class SmartRecruitersOutOfTime(SmartRecruitersError):
    """A failure still worth retrying, but the caller's time budget has no room for the wait and the retry."""


@dataclass
class _TokenBucket:
    """Spaces requests evenly at `rate` per second.

    Capacity is one token on purpose: a full bucket of `rate` tokens would allow a burst of
    `rate` requests followed at once by a steady `rate` per second, which is more than `rate`
    requests in one second and earns a 429 from a server that counts per second.
    """

    rate: float
    _next_slot: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self, clock: Clock) -> None:
        while True:
            with self._lock:
                now = clock.now()
                interval = timedelta(seconds=1 / self.rate)
                if self._next_slot is not None and self._next_slot - now > interval:
                    # A slot is never more than one interval away unless the wall clock went back (or, in
                    # tests, a manual clock other than the one that set it): don't wait out the difference.
                    self._next_slot = now
                if self._next_slot is None or now >= self._next_slot:
                    self._next_slot = max(now, self._next_slot or now) + interval
                    return
                wait = (self._next_slot - now).total_seconds()
            clock.sleep(wait)


@dataclass
class _KeyGate:
    """Everything this process must coordinate for one API key."""

    bucket: _TokenBucket
    candidates_lock: threading.Lock = field(default_factory=threading.Lock)

    def exclusive(self, path: str) -> AbstractContextManager[Any]:
        """SmartRecruiters allows one concurrent `GET /candidates` per key; other paths run in parallel."""
        return self.candidates_lock if path == CANDIDATES_PATH else nullcontext()


class KeyGates:
    """The gates of one container (in production: of the process), found by the key's SHA-256 so the key
    itself is never held here."""

    def __init__(self) -> None:
        self._gates: dict[str, _KeyGate] = {}
        self._lock = threading.Lock()

    def for_key(self, api_key: str, requests_per_second: float) -> _KeyGate:
        """The key's gate; clients that ask for different rates share the slowest one."""
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        with self._lock:
            gate = self._gates.get(digest)
            if gate is None:
                gate = self._gates[digest] = _KeyGate(_TokenBucket(requests_per_second))
            gate.bucket.rate = min(gate.bucket.rate, requests_per_second)
            return gate


_PROCESS_GATES = KeyGates()
_GATES = _PROCESS_GATES._gates


class SmartRecruitersClient:
    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        max_attempts: int = 6,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        rng: random.Random | None = None,
        requests_per_second: float = 10,
        shared: SharedKeyLimit | None = None,
        gates: KeyGates | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        if max_attempts < 1 or requests_per_second <= 0:
            raise ValueError("max_attempts must be >= 1 and requests_per_second > 0")
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._session = session or requests.Session()
        self._clock = clock or SystemClock()
        self._max_attempts = max_attempts
        self._timeout = (connect_timeout, read_timeout)
        self._rng = rng or random.Random()
        self._gate = (gates or _PROCESS_GATES).for_key(api_key, requests_per_second)
        self._shared = shared
        self._stats_lock = threading.Lock()
        self.requests_made = 0
        self.retries = 0

    def __repr__(self) -> str:
        return f"SmartRecruitersClient(base_url={self._base_url!r})"

    def get_page(
        self,
        path: str,
        params: dict[str, str],
        page_id: str | None = None,
        limit: int = 100,
        *,
        time_left: Callable[[], float] | None = None,
        listing: Listing | None = None,
    ) -> Page:
        """One page of a list endpoint (`/candidates`, `/jobs`, `/users`); `listing` is the run of pages it
        belongs to, when there is one (its tokens, its `GET /candidates` lease)."""
        query = {**params, "limit": str(limit)}
        if page_id is not None:
            query["pageId"] = page_id
        body = self._get_json(path, query, time_left, listing)
        content = body.get("content") if isinstance(body, dict) else None
        if not isinstance(content, list):
            raise SmartRecruitersError(200, f"SmartRecruiters GET {path} returned no 'content' list")
        next_page_id = body.get("nextPageId") or None
        total_found = body.get("totalFound")
        return Page(content, next_page_id, total_found if isinstance(total_found, int) else None)

    def get_record(self, path: str, *, time_left: Callable[[], float] | None = None) -> dict[str, Any] | None:
        """One record by its path (`/candidates/{id}`), under the same per-key limits and retries as the pages;
        None when SmartRecruiters has no such record (404)."""
        try:
            body = self._get_json(path, {}, time_left)
        except SmartRecruitersError as error:
            if error.status == 404:
                return None
            raise
        if not isinstance(body, dict):
            raise SmartRecruitersError(200, f"SmartRecruiters GET {path} returned no record")
        return body

    def iter_pages(
        self,
        path: str,
        params: dict[str, str],
        *,
        start_page_id: str | None = None,
        limit: int = 100,
        time_left: Callable[[], float] | None = None,
    ) -> Iterator[Page]:
        """Every page of a query, following `nextPageId` until a page comes without one.

        A cursor that comes back (the same `nextPageId` again, or one of an earlier page of this run) would
        loop for ever: it raises `SmartRecruitersError` instead, once the pages before it were yielded.
        """
        page_id = start_page_id
        seen = {page_id} if page_id is not None else set()
        with self.listing(path) as listing:
            while True:
                page = self.get_page(path, params, page_id, limit, time_left=time_left, listing=listing)
                yield page
                if page.next_page_id is None:
                    return
                if page.next_page_id in seen:
                    raise SmartRecruitersError(
                        200,
                        f"SmartRecruiters GET {path} returned a nextPageId it had already returned (a looping "
                        f"page cursor) after {len(seen) + 1} page(s): stopped",
                    )
                seen.add(page.next_page_id)
                page_id = page.next_page_id

    def listing(self, path: str) -> AbstractContextManager[Listing | None]:
        """A run of pages of one query, for the limits shared across containers (None: the client has none)."""
        return self._shared.listing(path) if self._shared else nullcontext()

    def _get_json(
        self,
        path: str,
        query: dict[str, str],
        time_left: Callable[[], float] | None = None,
        listing: Listing | None = None,
    ) -> Any:
        """The answer's JSON, retrying 429, 5xx and transient failures; `time_left()` (seconds) bounds the
        retries: a retry whose wait and request would not fit raises `SmartRecruitersOutOfTime` instead."""
        if not path.startswith("/") or "://" in path:
            # The key must only ever travel to base_url.
            raise ValueError(f"path must be a path on the SmartRecruiters API, got {path!r}")
        headers = {"X-SmartToken": self._api_key, "Accept": "application/json", "User-Agent": USER_AGENT}
        for attempt in range(1, self._max_attempts + 1):
            self._gate.bucket.acquire(self._clock)
            self._acquire_shared(path, time_left, listing)
            with self._stats_lock:
                self.requests_made += 1
            try:
                with self._gate.exclusive(path):
                    # Redirects are not followed: requests would carry X-SmartToken to wherever they point.
                    response = self._session.get(
                        self._base_url + path,
                        params=query,
                        headers=headers,
                        timeout=self._timeout,
                        allow_redirects=False,
                    )
            except (requests.exceptions.InvalidHeader, UnicodeEncodeError):
                # A key with a CR/LF, surrounding whitespace or non-Latin-1 text: the message would quote it.
                raise SmartRecruitersAuthError(
                    None,
                    "it is not a valid HTTP header value (whitespace at either end, a control character or "
                    "non-Latin-1 text)",
                ) from None
            except _TRANSIENT as exc:
                error = SmartRecruitersError(None, self._redact(f"GET {path}: {type(exc).__name__}: {exc}"))
                delay = self._backoff(attempt)
            else:
                if 200 <= response.status_code < 300:
                    return self._parse_json(path, response)
                error = self._error_from(path, response)
                if not (response.status_code == 429 or response.status_code >= 500):
                    raise error
                retry_after = self._retry_after(response)
                delay = self._backoff(attempt) if retry_after is None else retry_after
            if time_left is not None and delay + sum(self._timeout) > time_left():
                raise SmartRecruitersOutOfTime(
                    error.status,
                    f"SmartRecruiters GET {path} failed ({error.message}) and a retry in {delay:.0f} s would not "
                    f"fit in the time left: stopped after {attempt} attempt(s)",
                    error.errors,
                )
            if attempt == self._max_attempts:
                raise SmartRecruitersError(
                    error.status,
                    f"SmartRecruiters GET {path} failed after {attempt} attempts: {error.message}",
                    error.errors,
                )
            log.warning("SmartRecruiters GET %s failed (%s), retry %d in %.2fs", path, error.status, attempt, delay)
            with self._stats_lock:
                self.retries += 1
            self._clock.sleep(delay)
        raise AssertionError("unreachable")  # the loop either returns or raises

    def _acquire_shared(self, path: str, time_left: Callable[[], float] | None, listing: Listing | None) -> None:
        """The second gate: this key's token (and lease) across containers, when the client has one."""
        try:
            if listing is not None:
                listing.acquire(time_left)
            elif self._shared is not None:
                self._shared.acquire(time_left)
        except SharedLimitTimeout as exc:
            raise SmartRecruitersOutOfTime(None, f"SmartRecruiters GET {path}: {exc}") from None

    def _parse_json(self, path: str, response: requests.Response) -> Any:
        try:
            return response.json()
        except RecursionError:
            # A record nested deeper than the parser goes: read the page record by record, that one unreadable.
            try:
                return loads_deep_page(response.text)
            except (RecursionError, ValueError):
                raise SmartRecruitersError(
                    response.status_code, f"SmartRecruiters GET {path} returned JSON nested too deeply"
                ) from None
        except ValueError:
            raise SmartRecruitersError(response.status_code, f"SmartRecruiters GET {path} returned non-JSON") from None

    def _error_from(self, path: str, response: requests.Response) -> SmartRecruitersError:
        """The vendor error shape `{"message", "errors": [{"code", "message"}]}`, read leniently."""
        status = response.status_code
        message: str = ""
        errors: list[dict] = []
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            if isinstance(body.get("message"), str):
                message = body["message"]
            raw = body.get("errors")
            errors = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
        if not message:
            described = [
                f"{e.get('code')}: {e.get('message')}" if e.get("message") else str(e.get("code")) for e in errors
            ]
            message = "; ".join(described) or response.reason or response.text[:200] or "no details"
        message = self._redact(message)
        if status in (401, 403):
            what = "rejected the API key" if status == 401 else "refused the API key access"
            return SmartRecruitersAuthError(status, f"SmartRecruiters {what} ({status}): {message}", errors)
        return SmartRecruitersError(status, f"SmartRecruiters GET {path} returned {status}: {message}", errors)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
        return self._rng.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))

    def _retry_after(self, response: requests.Response) -> float | None:
        """`Retry-After` in seconds, bounded to [0, 60]; None when absent or unreadable."""
        seconds = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
        return None if seconds is None else min(seconds, RETRY_AFTER_CAP_SECONDS)

    def _redact(self, text: str) -> str:
        return redact(text, [self._api_key])
