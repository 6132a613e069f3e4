"""Sending webhook callbacks: the activation handshake, and signed event callbacks with retries.

Each active subscription has a lane: a queue and a sender thread of its own, so a slow or failing
callback URL delays only its own subscription, and its callbacks go out one at a time in the order
the changes happened (a failing one is retried before the next is sent). A callback succeeds on a
2xx answer within `callback_timeout` (the vendor expects a 202 within 5 s); otherwise it is retried
after each of `retry_delays` (the vendor's cadence: 1, 3, 10, 45, 120 minutes ... up to 24 hours, ten
retries), then given up. Every attempt is signed afresh (new timestamp) with the subscription's keys
valid at that moment, and keeps its `event-id`. The waits scale (`WebhookTimings.scaled`) with the
local stack's `--time-scale`. Faults (faults.CallbackFaults) are decided when a callback is queued.
"""

from __future__ import annotations

import base64
import copy
import http.client
import itertools
import secrets
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from devstack.smartrecruiters.faults import CallbackFault, CallbackFaults
from devstack.smartrecruiters.subscriptions import Subscription, Subscriptions, WebhookError
from devstack.smartrecruiters.webhook_events import EVENT_VERSION, WebhookEvent
from devstack.smartrecruiters.webhook_signing import signature_header, signed_content
from srevents.clock import Clock, iso_millis

LOG_LIMIT = 10_000  # callback attempts kept for inspection (oldest dropped first)


@dataclass(frozen=True)
class WebhookTimings:
    """Seconds. `scaled(n)` makes the waits n times shorter (retry delays, the reorder wait), as the local
    stack's `--time-scale` does for its own retries; the answer timeouts stay the vendor's real ones (a
    receiver is not faster for being in a sped-up world), and tests that need them short set them."""

    callback_timeout: float = 5.0
    handshake_timeout: float = 20.0
    retry_delays: tuple[float, ...] = tuple(60.0 * m for m in (1, 3, 10, 45, 120, 240, 480, 720, 1440, 1440))
    reorder_wait: float = 60.0  # how long a callback to be reordered waits for one to swap with

    def scaled(self, factor: float) -> WebhookTimings:
        if factor <= 0:
            raise ValueError("the time scale must be positive")
        return replace(
            self, retry_delays=tuple(d / factor for d in self.retry_delays), reorder_wait=self.reorder_wait / factor
        )


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (refused, reset, timed out)
    headers: dict[str, str]  # lower-case names
    error: str | None = None


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST and read the answer; never raises for network trouble. `timeout` bounds each socket operation."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers={**headers, "Content-Length": str(len(body))})
        response = connection.getresponse()
        response.read()
        return Answer(response.status, {name.lower(): value for name, value in response.getheaders()})
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, {}, type(error).__name__)
    finally:
        connection.close()


def authentication_headers(authentication: dict[str, str] | None) -> dict[str, str]:
    """The headers a subscription's `callbackAuthentication` adds to every request to its callback URL."""
    if not authentication:
        return {}
    if authentication["type"] == "basic":
        token = base64.b64encode(f"{authentication['username']}:{authentication['password']}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {authentication["headerName"]: authentication["headerValue"]}


def handshake(subscription: Subscription, timeout: float) -> str | None:
    """The activation handshake; None when it succeeds, else why not (no secret in the reason)."""
    value = secrets.token_hex(16)
    headers = {"X-Hook-Secret": value, **authentication_headers(subscription.authentication)}
    answer = post(subscription.callback_url, b"", headers, timeout)
    if answer.status is None:
        return f"no answer from the callback URL ({answer.error})"
    if answer.status != 200:
        return f"the callback URL answered {answer.status}, not 200"
    if answer.headers.get("x-hook-secret") != value:
        return "the callback URL did not answer with the same X-Hook-Secret header"
    return None


@dataclass
class Callback:
    """One subscription's copy of an event, with the faults it is to suffer."""

    subscription_id: str
    event: WebhookEvent
    event_id: str
    faults: dict[str, CallbackFault] = field(default_factory=dict)


@dataclass
class _Lane:
    queue: deque[Callback] = field(default_factory=deque)
    stopped: bool = False


class CallbackSender:
    """The lanes, their threads and the log of every attempt. Thread-safe."""

    def __init__(
        self, subscriptions: Subscriptions, clock: Clock, timings: WebhookTimings, faults: CallbackFaults
    ) -> None:
        self._subscriptions = subscriptions
        self._clock = clock
        self.timings = timings
        self._faults = faults
        self._lock = threading.Condition()
        self._lanes: dict[str, _Lane] = {}
        self._log: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self._seq = itertools.count(1)
        self._closed = False

    # --- called by the store (under its lock: must not block) ------------------------------------
    def enqueue(self, event: WebhookEvent, subscription_ids: list[str]) -> None:
        event_id = str(uuid.uuid4())
        with self._lock:
            if self._closed:
                return
            for subscription_id in subscription_ids:
                lane = self._lanes.get(subscription_id)
                if lane is None:
                    lane = self._lanes[subscription_id] = _Lane()
                    threading.Thread(
                        target=self._run, args=(subscription_id, lane), name="webhook-lane", daemon=True
                    ).start()
                lane.queue.append(Callback(subscription_id, event, event_id, self._faults.take(event.name)))
            self._lock.notify_all()

    # --- control --------------------------------------------------------------------------------
    def forget(self, subscription_id: str) -> None:
        """A deleted subscription: its queued callbacks are dropped and its lane stops."""
        with self._lock:
            lane = self._lanes.pop(subscription_id, None)
            if lane is not None:
                lane.stopped = True
                lane.queue.clear()
            self._lock.notify_all()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for lane in self._lanes.values():
                lane.stopped = True
                lane.queue.clear()
            self._lanes.clear()
            self._lock.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Waits until every queued callback has been delivered or given up; False if `timeout` ran out first."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._lanes, timeout)  # a lane ends when its queue is empty

    def log(self) -> list[dict[str, Any]]:
        """Every attempt (and dropped callback), oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._log))

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    # --- the lane's thread ----------------------------------------------------------------------
    def _run(self, subscription_id: str, lane: _Lane) -> None:
        """Sends the lane's callbacks until its queue is empty; then the lane is removed (a new one starts
        with the next callback), so an idle subscription holds no thread."""
        while True:
            with self._lock:
                if lane.stopped or not lane.queue:
                    if self._lanes.get(subscription_id) is lane:
                        del self._lanes[subscription_id]
                    self._lock.notify_all()
                    return
                callback = lane.queue.popleft()
            if "reorder" in callback.faults:
                swapped = self._next(lane, self.timings.reorder_wait)
                if swapped is not None:
                    self._process(lane, swapped)
            self._process(lane, callback)

    def _next(self, lane: _Lane, timeout: float) -> Callback | None:
        """The lane's next callback, waiting up to `timeout` for one; None when stopped or none came."""
        with self._lock:
            self._lock.wait_for(lambda: lane.stopped or bool(lane.queue), timeout)
            if lane.stopped or not lane.queue:
                return None
            return lane.queue.popleft()

    def _wait(self, lane: _Lane, seconds: float) -> bool:
        """Sleeps `seconds`; False if the lane was stopped meanwhile."""
        with self._lock:
            return not self._lock.wait_for(lambda: lane.stopped, seconds)

    def _process(self, lane: _Lane, callback: Callback) -> None:
        if "drop" in callback.faults:
            try:
                url = self._subscriptions.get(None, callback.subscription_id).callback_url
            except WebhookError:
                return
            self._record(callback, url, 0, Answer(None, {}), "dropped", {}, duplicate=False)
            return
        delay = callback.faults.get("delay")
        if delay is not None and not self._wait(lane, delay.seconds):
            return
        self._deliver(lane, callback, duplicate=False)
        if "duplicate" in callback.faults:
            self._deliver(lane, callback, duplicate=True)

    def _deliver(self, lane: _Lane, callback: Callback, *, duplicate: bool) -> None:
        delays = self.timings.retry_delays
        for attempt in range(1, len(delays) + 2):
            try:
                subscription = self._subscriptions.get(None, callback.subscription_id)
            except WebhookError:  # deleted meanwhile
                return
            headers = self._headers(subscription, callback)
            body = callback.event.body.encode()
            all_headers = {**headers, **authentication_headers(subscription.authentication)}
            answer = post(subscription.callback_url, body, all_headers, self.timings.callback_timeout)
            ok = answer.status is not None and 200 <= answer.status < 300
            outcome = "successful" if ok else "failed"
            self._record(callback, subscription.callback_url, attempt, answer, outcome, headers, duplicate=duplicate)
            if ok or attempt > len(delays) or not self._wait(lane, delays[attempt - 1]):
                return

    def _headers(self, subscription: Subscription, callback: Callback) -> dict[str, str]:
        event = callback.event
        headers = {
            "Content-Type": "application/json",
            "event-name": event.name,
            "event-version": EVENT_VERSION,
            "event-id": callback.event_id,
        }
        if event.link is not None:
            headers["link"] = event.link
        now = self._clock.now()
        keys = subscription.valid_keys(now)
        if keys:
            timestamp = str(int(now.timestamp()))
            content = signed_content(
                timestamp, event.body, callback.event_id, event.name, EVENT_VERSION, event.link or ""
            )
            headers["smartrecruiters-timestamp"] = timestamp
            headers["smartrecruiters-signature"] = signature_header(keys, content)
        return headers

    def _record(
        self,
        callback: Callback,
        url: str,
        attempt: int,
        answer: Answer,
        outcome: str,
        headers: dict[str, str],
        *,
        duplicate: bool,
    ) -> None:
        """Logs an attempt: `headers` are the ones sent minus callbackAuthentication's (a secret)."""
        with self._lock:
            self._log.append(
                {
                    "seq": next(self._seq),
                    "subscriptionId": callback.subscription_id,
                    "eventId": callback.event_id,
                    "eventName": callback.event.name,
                    "url": url,
                    "attempt": attempt,
                    "duplicate": duplicate,
                    "headers": dict(headers),
                    "body": callback.event.body,
                    "status": answer.status,
                    "outcome": outcome,
                    "error": answer.error,
                    "sentAt": iso_millis(self._clock.now()),
                }
            )
