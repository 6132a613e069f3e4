"""SmartRecruitersClient against a scripted fake session: paging, retries, errors, throttling."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests

from srevents import __version__
from srevents.adapters import smartrecruiters
from srevents.adapters.smartrecruiters import (
    Page,
    SmartRecruitersAuthError,
    SmartRecruitersClient,
    SmartRecruitersError,
)
from srevents.clock import ManualClock
from tests.support.leaks import register_secret

BASE = "https://sr.example.test"


def response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.reason = {200: "OK", 401: "Unauthorized", 429: "Too Many Requests", 500: "Server Error"}.get(status, "")
    r.raw = io.BytesIO(b"" if body is None else json.dumps(body).encode())
    r.headers.update(headers or {})
    return r


def page(ids: list[str], next_page_id: str | None = None, total: int | None = None) -> requests.Response:
    body: dict[str, Any] = {
        "limit": 100,
        "offset": 0,
        "totalFound": total,
        "content": [{"id": i} for i in ids],
    }
    if next_page_id:
        body["nextPageId"] = next_page_id
    return response(200, body)


def vendor_error(status: int, message: str, code: str = "SOME_CODE", **kw: Any) -> requests.Response:
    return response(status, {"message": message, "errors": [{"code": code, "message": message}]}, **kw)


class FakeSession:
    """Answers GETs from a script: a list of responses/exceptions, or a function of the call."""

    def __init__(self, script: list[Any] | Callable[..., Any], clock: ManualClock | None = None) -> None:
        self.script = script
        self.clock = clock
        self.calls: list[dict[str, Any]] = []

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        call = {"url": url, **kwargs, "params": dict(kwargs["params"]), "headers": dict(kwargs["headers"])}
        if self.clock is not None:
            call["at"] = self.clock.now()
        self.calls.append(call)
        outcome = self.script(**call) if callable(self.script) else self.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class RecordingClock(ManualClock):
    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


class MaxJitter:
    """An rng whose full jitter always picks the top of the range, so delays are predictable."""

    def uniform(self, low: float, high: float) -> float:
        return high


@pytest.fixture
def key() -> str:
    # Throttling state is shared per key across the process: a fresh key per test keeps tests apart.
    return register_secret(f"key-{uuid.uuid4()}")


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


def make_client(key: str, session: FakeSession, clock: ManualClock, **kw: Any) -> SmartRecruitersClient:
    kw.setdefault("rng", MaxJitter())
    kw.setdefault("requests_per_second", 1000)  # throttling is tested on its own
    return SmartRecruitersClient(key, BASE, session=session, clock=clock, **kw)  # type: ignore[arg-type]


# --- paging ---------------------------------------------------------------------------------------
def test_iter_pages_follows_next_page_id_to_the_last_page(key: str, clock: RecordingClock) -> None:
    # Given three pages
    session = FakeSession([page(["a", "b"], "p2", 5), page(["c", "d"], "p3", 5), page(["e"], None, 5)])
    client = make_client(key, session, clock)

    # When
    pages = list(client.iter_pages("/candidates", {"updatedAfter": "2026-11-01T10:00:00.000Z"}))

    # Then every page is read, in order, and the last one ends the iteration
    assert [p.records for p in pages] == [
        [{"id": "a"}, {"id": "b"}],
        [{"id": "c"}, {"id": "d"}],
        [{"id": "e"}],
    ]
    assert pages[-1] == Page([{"id": "e"}], None, 5)
    assert [c["params"].get("pageId") for c in session.calls] == [None, "p2", "p3"]
    assert all(c["params"]["updatedAfter"] == "2026-11-01T10:00:00.000Z" for c in session.calls)
    assert all(c["params"]["limit"] == "100" for c in session.calls)
    assert session.calls[0]["url"] == f"{BASE}/candidates"
    assert client.requests_made == 3 and client.retries == 0


def test_requests_carry_the_key_accept_and_user_agent_headers_and_timeouts(key: str, clock: RecordingClock) -> None:
    session = FakeSession([page([])])
    make_client(key, session, clock, connect_timeout=3, read_timeout=20).get_page("/jobs", {}, limit=7)

    call = session.calls[0]
    assert call["headers"] == {
        "X-SmartToken": key,
        "Accept": "application/json",
        "User-Agent": f"srevents/{__version__}",
    }
    assert call["timeout"] == (3, 20)
    assert call["params"] == {"limit": "7"}


def test_iter_pages_can_resume_from_a_page_id(key: str, clock: RecordingClock) -> None:
    session = FakeSession([page(["z"])])
    pages = list(make_client(key, session, clock).iter_pages("/users", {}, start_page_id="p9", limit=50))

    assert len(pages) == 1
    assert session.calls[0]["params"] == {"pageId": "p9", "limit": "50"}


def test_a_cursor_that_does_not_advance_stops_the_iteration(key: str, clock: RecordingClock) -> None:
    session = FakeSession([page(["a"], "same"), page(["b"], "same")])
    with pytest.raises(SmartRecruitersError, match="nextPageId it had already returned"):
        list(make_client(key, session, clock).iter_pages("/jobs", {}))


def test_a_200_without_content_is_an_error(key: str, clock: RecordingClock) -> None:
    session = FakeSession([response(200, {"unexpected": True})])
    with pytest.raises(SmartRecruitersError, match="no 'content'"):
        make_client(key, session, clock).get_page("/jobs", {})


# --- retries --------------------------------------------------------------------------------------
def test_a_429_burst_backs_off_exponentially_then_succeeds(key: str, clock: RecordingClock) -> None:
    # Given three 429s, then a page
    session = FakeSession([vendor_error(429, "slow down")] * 3 + [page(["a"])])
    client = make_client(key, session, clock)

    # When
    result = client.get_page("/candidates", {})

    # Then the delays double from 0.5 s (jitter at its maximum), measured on the clock
    assert result.records == [{"id": "a"}]
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert client.requests_made == 4 and client.retries == 3


def test_backoff_is_full_jitter_and_capped_at_30_seconds(key: str, clock: RecordingClock) -> None:
    # Given an rng that records the ranges it is asked to draw from
    ranges: list[tuple[float, float]] = []

    class RecordingRng:
        def uniform(self, low: float, high: float) -> float:
            ranges.append((low, high))
            return high / 2

    session = FakeSession([vendor_error(503, "busy")] * 8 + [page([])])
    make_client(key, session, clock, rng=RecordingRng(), max_attempts=9).get_page("/jobs", {})

    assert ranges == [(0, 0.5), (0, 1.0), (0, 2.0), (0, 4.0), (0, 8.0), (0, 16.0), (0, 30.0), (0, 30.0)]
    assert clock.sleeps == [high / 2 for _, high in ranges]


def test_retry_after_in_seconds_is_honoured(key: str, clock: RecordingClock) -> None:
    session = FakeSession([vendor_error(429, "wait", headers={"Retry-After": "7"}), page([])])
    make_client(key, session, clock).get_page("/candidates", {})
    assert clock.sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured(key: str, clock: RecordingClock) -> None:
    when = format_datetime(clock.now() + timedelta(seconds=12), usegmt=True)
    session = FakeSession([vendor_error(503, "maintenance", headers={"Retry-After": when}), page([])])
    make_client(key, session, clock).get_page("/candidates", {})
    assert clock.sleeps == [12.0]


@pytest.mark.parametrize(
    ("header", "expected"), [("3600", 60.0), ("-5", 0.5), ("1.5", 0.5), ("soon", 0.5), ("nan", 0.5)]
)
def test_retry_after_is_bounded_and_ignored_when_unreadable(
    key: str, clock: RecordingClock, header: str, expected: float
) -> None:
    session = FakeSession([vendor_error(429, "wait", headers={"Retry-After": header}), page([])])
    make_client(key, session, clock).get_page("/candidates", {})
    assert clock.sleeps[0] == expected  # (a zero wait is then followed by the usual spacing)


def test_a_500_is_retried(key: str, clock: RecordingClock) -> None:
    session = FakeSession([response(500, None), page(["a"])])
    client = make_client(key, session, clock)

    assert client.get_page("/jobs", {}).records == [{"id": "a"}]
    assert client.requests_made == 2 and client.retries == 1


@pytest.mark.parametrize(
    "failure",
    [requests.ConnectionError("refused"), requests.ReadTimeout("slow"), requests.ConnectTimeout("x")],
)
def test_connection_errors_and_timeouts_are_retried(key: str, clock: RecordingClock, failure: Exception) -> None:
    session = FakeSession([failure, page(["a"])])
    client = make_client(key, session, clock)

    assert client.get_page("/jobs", {}).records == [{"id": "a"}]
    assert clock.sleeps == [0.5]


def test_after_max_attempts_the_last_status_is_raised(key: str, clock: RecordingClock) -> None:
    session = FakeSession([vendor_error(503, "down", code="UNAVAILABLE")] * 3)
    client = make_client(key, session, clock, max_attempts=3)

    with pytest.raises(SmartRecruitersError) as raised:
        client.get_page("/candidates", {})

    assert raised.value.status == 503
    assert raised.value.errors == [{"code": "UNAVAILABLE", "message": "down"}]
    assert "after 3 attempts" in str(raised.value)
    assert client.requests_made == 3 and client.retries == 2
    assert len(clock.sleeps) == 2


def test_after_max_attempts_of_connection_errors_the_status_is_none(key: str, clock: RecordingClock) -> None:
    session = FakeSession([requests.ConnectionError("refused")] * 2)
    with pytest.raises(SmartRecruitersError) as raised:
        make_client(key, session, clock, max_attempts=2).get_page("/jobs", {})
    assert raised.value.status is None
    assert "ConnectionError" in str(raised.value)


# --- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "wording"), [(401, "rejected the API key (401)"), (403, "(403)")])
def test_401_and_403_raise_auth_errors_without_retrying(
    key: str, clock: RecordingClock, status: int, wording: str
) -> None:
    session = FakeSession([vendor_error(status, "Invalid API key", code="UNAUTHORIZED")])
    client = make_client(key, session, clock)

    with pytest.raises(SmartRecruitersAuthError) as raised:
        client.get_page("/candidates", {})

    assert raised.value.status == status
    assert wording in str(raised.value) and "Invalid API key" in str(raised.value)
    assert client.requests_made == 1 and clock.sleeps == []


def test_the_vendor_error_shape_is_parsed(key: str, clock: RecordingClock) -> None:
    body = {"message": "Bad request", "errors": [{"code": "INVALID_PAGE_ID", "message": "pageId is invalid"}]}
    session = FakeSession([response(400, body)])

    with pytest.raises(SmartRecruitersError) as raised:
        make_client(key, session, clock).get_page("/jobs", {}, page_id="junk")

    error = raised.value
    assert not isinstance(error, SmartRecruitersAuthError)
    assert (error.status, error.errors) == (400, body["errors"])
    assert "Bad request" in error.message
    assert len(session.calls) == 1  # a 4xx other than 429 is not retried


def test_an_error_without_a_message_is_described_by_its_codes(key: str, clock: RecordingClock) -> None:
    session = FakeSession([response(404, {"errors": [{"code": "JOB_NOT_FOUND"}]})])
    with pytest.raises(SmartRecruitersError, match="404: JOB_NOT_FOUND"):
        make_client(key, session, clock).get_page("/jobs", {})


def test_the_api_key_never_appears_in_errors(key: str, clock: RecordingClock) -> None:
    # Given failures whose texts contain the key (an echoing server, a verbose connection error)
    failures = [
        vendor_error(401, f"Key {key} is revoked"),
        response(400, {"message": f"bad {key}", "errors": [{"code": "X", "message": key}]}),
        requests.ConnectionError(f"could not send {key}"),
    ]
    for failure in failures:
        client = make_client(key, FakeSession([failure] * 2), clock, max_attempts=2)

        # When
        with pytest.raises(SmartRecruitersError) as raised:
            client.get_page("/candidates", {})

        # Then the key is redacted wherever the error is rendered
        error = raised.value
        assert key not in str(error) and key not in repr(error) and key not in error.message
    assert key not in repr(client)


def test_paths_must_stay_on_the_configured_host(key: str, clock: RecordingClock) -> None:
    session = FakeSession([])
    with pytest.raises(ValueError):
        make_client(key, session, clock).get_page("https://evil.example/candidates", {})
    assert session.calls == []


def test_redirects_are_not_followed(key: str, clock: RecordingClock) -> None:
    # Following one would send X-SmartToken to whatever host the redirect names
    session = FakeSession([response(302, None, headers={"Location": "https://elsewhere.example/"})])
    with pytest.raises(SmartRecruitersError) as raised:
        make_client(key, session, clock).get_page("/jobs", {})
    assert raised.value.status == 302
    assert session.calls[0]["allow_redirects"] is False


# --- client-side rate limits ----------------------------------------------------------------------
def test_requests_are_spaced_at_no_more_than_10_per_second(key: str) -> None:
    # Given a manual clock and a session that notes when each request is sent
    clock = ManualClock()
    session = FakeSession(lambda **call: page([]), clock=clock)
    client = SmartRecruitersClient(key, BASE, session=session, clock=clock)  # type: ignore[arg-type]

    # When 25 requests are made as fast as the client allows
    for _ in range(25):
        client.get_page("/jobs", {})

    # Then no window of one second holds more than 10 of them
    sent = [c["at"].timestamp() for c in session.calls]
    assert all(sent[i + 10] - sent[i] >= 1.0 - 1e-6 for i in range(len(sent) - 10))
    assert sent[-1] - sent[0] == pytest.approx(2.4)


def test_clients_with_the_same_key_share_one_budget(key: str) -> None:
    clock = ManualClock()
    session = FakeSession(lambda **call: page([]), clock=clock)
    first, second = (SmartRecruitersClient(key, BASE, session=session, clock=clock) for _ in range(2))  # type: ignore[arg-type]
    other = SmartRecruitersClient(f"{key}-other", BASE, session=session, clock=clock)  # type: ignore[arg-type]

    for _ in range(10):
        first.get_page("/jobs", {})
        second.get_page("/jobs", {})
    other.get_page("/jobs", {})

    sent = [c["at"].timestamp() for c in session.calls]
    assert sent[19] - sent[0] == pytest.approx(1.9)  # 20 requests of one key, spaced 0.1 s
    assert sent[20] == sent[19]  # another key has its own budget


def test_the_shared_state_is_keyed_by_a_hash_not_the_key(key: str) -> None:
    SmartRecruitersClient(key, BASE, session=FakeSession([]))  # type: ignore[arg-type]
    assert key not in repr(smartrecruiters._GATES)


def test_only_one_candidates_request_is_in_flight_per_key(key: str) -> None:
    # Given a slow session that tracks how many /candidates requests overlap,
    # and that lets /jobs requests through only when two are in flight at once
    in_flight, peak = 0, 0
    lock = threading.Lock()
    jobs_together = threading.Barrier(2, timeout=5)

    def slow(url: str, **_: Any) -> requests.Response:
        nonlocal in_flight, peak
        if url.endswith("/jobs"):
            jobs_together.wait()
            return page([])
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return page([])

    session = FakeSession(slow)
    clients = [SmartRecruitersClient(key, BASE, session=session, requests_per_second=1000) for _ in range(2)]  # type: ignore[arg-type]

    # When several threads read /candidates with the same key, and two read /jobs
    threads = [threading.Thread(target=clients[i % 2].get_page, args=("/candidates", {})) for i in range(6)]
    threads += [threading.Thread(target=clients[i].get_page, args=("/jobs", {})) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then /candidates went one at a time, while /jobs ran side by side (or the barrier would have broken)
    assert peak == 1
    assert sum(c.requests_made for c in clients) == 8
    assert not jobs_together.broken


def test_rate_limiter_does_not_wait_out_a_clock_that_went_back() -> None:
    # Given a bucket whose next slot was set by a clock a day ahead of the one now asking
    bucket = smartrecruiters._TokenBucket(rate=10)
    ahead = ManualClock()
    ahead.advance(86_400)
    bucket.acquire(ahead)
    clock = ManualClock()
    started = clock.now()

    # When the slower clock asks for two slots
    bucket.acquire(clock)
    bucket.acquire(clock)

    # Then it waited one interval (0.1 s), not the day between the clocks
    assert clock.now() - started == timedelta(seconds=0.1)
