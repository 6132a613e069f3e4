"""A hostile SmartRecruiters: an upstream that echoes the key, loops its cursor, sends records nothing can
encode, or asks to wait a day.

Each case ends with the poll finished within its time budget, its error saved and shown by
`GET /instances/{id}/poller`, the instance's other resources and good records still polled; never a secret
(nor a piece of one) in an answer, a stored error or a log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests

from devstack.lambda_runtime import LambdaContext
from srevents.domain.redaction import MIN_ECHO
from srevents.domain.resources import default_resource_config
from tests.reliability.cases import case_key
from tests.reliability.world import World
from tests.support.leaks import register_secret

LONG_KEY = register_secret("SRK-" + "".join(f"{n:03d}q" for n in range(60)))  # 244 chars, no repeats of 8


def _pieces(secret: str, size: int = MIN_ECHO) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def _holds_piece(text: str, secret: str) -> bool:
    return any(piece in text for piece in _pieces(secret))


def scripted(
    status: int, body: Any, headers: dict[str, str] | None = None, raw: str | None = None
) -> requests.Response:
    """A SmartRecruiters answer written by the test (`raw`: the body's exact text)."""
    response = requests.Response()
    response.status_code = status
    response._content = (json.dumps(body) if raw is None else raw).encode("utf-8", "surrogatepass")
    response.headers.update({"Content-Type": "application/json", **(headers or {})})
    response.reason = {200: "OK", 401: "Unauthorized", 429: "Too Many Requests"}.get(status, "")
    return response


Answer = Callable[[str, dict[str, Any], Callable[[], requests.Response]], requests.Response | None]


def hostile(world: World, answer: Answer) -> list[dict[str, Any]]:
    """SmartRecruiters answers what `answer(url, params, real)` returns; `real()` is the simulator's own
    answer, and None means: that one."""
    session = world.sr_session
    real_get = type(session).get
    asked: list[dict[str, Any]] = []

    def get(url: str, **kwargs: Any) -> requests.Response:
        params = dict(kwargs.get("params") or {})
        asked.append({"url": str(url), **params})
        scripted_answer = answer(str(url), params, lambda: real_get(session, url, **kwargs))
        # (a Response is falsy when its status is not 2xx: compare with None)
        return real_get(session, url, **kwargs) if scripted_answer is None else scripted_answer

    session.get = get  # type: ignore[method-assign]
    return asked


def excerpt(text: str, start: str, length: int = 90) -> str:
    """The part of an error message that tells the case, for docs/RELIABILITY.md."""
    shown = text[text.index(start) :] if start in text else text
    return shown if len(shown) <= length else shown[: length - 1] + "…"


def poller_status(world: World, instance: int) -> dict[str, Any]:
    reply = world.api.get(f"/instances/{instance}/poller", auth=world.credentials)
    assert reply.status == 200, reply.text
    return {r["resource"]: r for r in reply.body["resources"]}


# --- 1. upstream errors that echo the key ------------------------------------------------------------------


def test_an_upstream_error_echoing_the_key_is_stored_and_logged_redacted(
    world: World, report: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    # Given an instance whose key SmartRecruiters has revoked, and a SmartRecruiters that quotes the key back
    world.store.add_api_key(LONG_KEY)
    instance = world.create_instance(**{"api.key": LONG_KEY})
    hostile(world, lambda url, params, real: scripted(401, {"message": f"Invalid token: {LONG_KEY[:185]}"}))

    # When the instance is polled
    with caplog.at_level(logging.DEBUG):
        [invocation] = world.tick()

    # Then the poll reports the error, and neither the status nor any log line holds a piece of the key
    assert invocation.result is not None, invocation.error
    status = poller_status(world, instance)["candidates"]
    assert status["lastResult"] == "error" and "Invalid token: ***" in status["lastError"]
    assert not _holds_piece(json.dumps(status), LONG_KEY)
    assert not _holds_piece(caplog.text, LONG_KEY)
    report(
        section="hostile",
        key=case_key("hostile", "echoed-key"),
        case="SmartRecruiters 401 quoting the first 185 characters of the key",
        fault='`{"message": "Invalid token: <key[:185]>"}`',
        outcome=f"error saved as `…{excerpt(status['lastError'], 'rejected')}`; no {MIN_ECHO}-character piece of "
        "the key stored or logged",
    )


# --- 3. a looping page cursor ----------------------------------------------------------------------------


def _page(records: list[dict[str, Any]], next_page_id: str | None) -> requests.Response:
    body: dict[str, Any] = {"limit": 100, "totalFound": 10**6, "content": records}
    if next_page_id:
        body["nextPageId"] = next_page_id
    return scripted(200, body)


def test_a_looping_page_cursor_ends_the_poll_with_the_error_saved(world: World, report: Callable[..., None]) -> None:
    # Given an instance and a SmartRecruiters whose every page names the same next page
    instance = world.create_instance()
    cap = 50  # a guard for the test itself: after 50 requests the "last" page comes
    asked = hostile(world, lambda url, params, real: _page([], "LOOP" if len(asked) < cap else None))

    # When the instance is polled
    [invocation] = world.tick()

    # Then the poll stops at the repeated cursor, saves the error and shows it
    assert invocation.result is not None, invocation.error
    status = poller_status(world, instance)["candidates"]
    assert status["lastResult"] == "error" and "looping page cursor" in status["lastError"], status
    assert len(asked) <= 3, f"{len(asked)} requests for a looping cursor"
    report(
        section="hostile",
        key=case_key("hostile", "looping-cursor"),
        case="A page cursor that comes back (`nextPageId` always the same)",
        fault='every page after the first: `"nextPageId": "LOOP"`',
        outcome=f"stopped after {len(asked)} requests, error saved and shown: "
        f"`…{excerpt(status['lastError'], 'returned a nextPageId')}`",
    )


# --- 4. records nothing can encode -----------------------------------------------------------------------


def _with_bad_records(real: requests.Response, updated_on: str) -> requests.Response:
    """The simulator's page with two records added in front: one with a lone surrogate, one nested 3,000 deep."""
    body = real.json()
    surrogate = json.dumps({"id": "bad-surrogate", "firstName": "\ud800", "updatedOn": updated_on})
    deep = '{"id":"bad-deep","updatedOn":' + json.dumps(updated_on) + ',"x":' + "[" * 3000 + "]" * 3000 + "}"
    records = ",".join([surrogate, deep, *(json.dumps(r) for r in body["content"])])
    rest = json.dumps({k: v for k, v in body.items() if k != "content"})
    return scripted(200, None, raw=rest[:-1] + ("," if len(rest) > 2 else "") + f'"content":[{records}]}}')


def test_records_nothing_can_encode_are_skipped_and_counted(
    world: World, report: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    # Given an instance polling candidates and jobs, new candidates and a new job
    configuration = {name: default_resource_config(name) for name in ("candidates", "jobs")}
    instance = world.create_instance(**{"event.poller.configuration": configuration})
    world.clock.advance(61)
    made = world.change(creates=3, gap=0.1)
    world.ledger.record("jobs", world.store.create_job())
    # and a SmartRecruiters that adds a record with a lone surrogate and one nested 3,000 levels deep
    hostile(
        world,
        lambda url, params, real: (
            _with_bad_records(real(), made[0]["updatedOn"]) if url.endswith("/candidates") else None
        ),
    )

    # When the instance is polled and its notifications delivered
    with caplog.at_level(logging.WARNING):
        [invocation] = world.tick()
    world.deliver()

    # Then the two bad records are skipped and counted (with their ids), the good ones delivered, jobs polled too
    assert invocation.result is not None, invocation.error
    status = poller_status(world, instance)
    assert status["candidates"]["lastResult"] == "ok", status["candidates"]
    assert status["candidates"]["skippedUnreadable"] == 2
    assert status["jobs"]["lastResult"] == "ok" and status["jobs"]["eventsEmitted"] == 1
    logged = [str(getattr(record, "ids", "")) for record in caplog.records]
    assert any("bad-deep" in ids and "bad-surrogate" in ids for ids in logged), logged
    tally = world.tally()
    assert tally.lost == 0 and tally.duplicates == 0, tally.missing[:5]
    report(
        section="hostile",
        key=case_key("hostile", "unencodable-records"),
        case="Records nothing can encode on a page of good ones (and a second resource)",
        fault='a record with `"\\ud800"`, a record nested 3,000 levels deep',
        outcome=f"both skipped and counted (`skippedUnreadable: 2`, ids logged); {tally.delivered} good changes "
        "delivered; jobs polled",
    )


# --- 5. a Retry-After of a day ---------------------------------------------------------------------------


@dataclass
class OnTheWorldsClock(LambdaContext):
    """A Lambda context whose remaining time runs on the world's simulated clock (the client sleeps on it)."""

    clock: Any = None

    def __post_init__(self) -> None:
        self.deadline = self.clock.now() + timedelta(seconds=self.timeout_seconds)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock.now()).total_seconds() * 1000))


def test_a_retry_after_of_a_day_ends_the_poll_in_time_with_error_and_cursor_saved(
    world: World, report: Callable[..., None]
) -> None:
    # Given an instance with 150 new candidates (two pages), and a SmartRecruiters that answers the second
    # page with 429 and `Retry-After: 86400` every time
    instance = world.create_instance()
    world.clock.advance(61)
    world.change(creates=150, gap=0.1)
    day = scripted(429, {"message": "Too many requests"}, {"Retry-After": "86400"})
    hostile(world, lambda url, params, real: day if "pageId" in params else None)

    # When the poll function runs with a 300-second timeout on the simulated clock
    world.clock.advance(15 * 60)
    context = OnTheWorldsClock(function_name="srevents-PollFunction", timeout_seconds=300, clock=world.clock)
    started = world.clock.now()
    result = world.poller.lambda_handler({"instanceId": instance}, context)
    took = (world.clock.now() - started).total_seconds()
    world.deliver()

    # Then it stopped retrying in time to save the error and the cursor, and the first page was delivered
    assert took < 300 - 25, f"the poll took {took:.0f} s of its 300 s"
    assert result["resources"][0]["result"] == "partial", result
    status = poller_status(world, instance)["candidates"]
    assert status["resumesFromCursor"] and "would not fit in the time left" in (status["lastError"] or ""), status
    assert len(world.receiver.received) > 0
    report(
        section="hostile",
        key=case_key("hostile", "retry-after-a-day"),
        case="`Retry-After: 86400` on every 429 of the second page",
        fault="page 2: `429`, `Retry-After: 86400`, on every attempt",
        outcome=f"poll ended after {took:.0f} s of its 300 s, page 1 delivered, cursor and error saved: "
        f"`…{excerpt(status['lastError'], 'and a retry')}`",
    )


# --- 12. records dated in the future ---------------------------------------------------------------------


def _with_future_record(real: requests.Response, updated_on: str) -> requests.Response:
    body = real.json()
    body["content"].append({"id": "from-the-future", "createdOn": updated_on, "updatedOn": updated_on})
    return scripted(200, body)


def test_records_dated_in_the_future_are_counted_in_the_poller_status(
    world: World, report: Callable[..., None]
) -> None:
    # Given an instance, a new candidate, and a SmartRecruiters that also lists a record updated a day ahead
    instance = world.create_instance()
    world.clock.advance(61)
    world.change(creates=1, gap=0.1)
    future = (world.clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    hostile(world, lambda url, params, real: _with_future_record(real(), future))

    # When the instance is polled twice
    world.tick()
    world.tick()

    # Then each poll counts the record as too new (it is not emitted), and the status shows it
    status = poller_status(world, instance)["candidates"]
    assert status["lastResult"] == "ok" and status["skippedTooNew"] == 1, status
    report(
        section="hostile",
        key=case_key("hostile", "future-dated-record"),
        case="A record updated a day in the future, on every poll",
        fault='`"updatedOn"`: now + 1 day',
        outcome="not emitted; counted by every poll: `skippedTooNew: 1` in the poller status",
    )
