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
from typing import Any

import pytest
import requests

from srevents.domain.redaction import MIN_ECHO
from tests.reliability.cases import case_key
from tests.reliability.world import World
from tests.support.leaks import register_secret

LONG_KEY = register_secret("SRK-" + "".join(f"{n:03d}q" for n in range(60)))  # 244 chars, no repeats of 8


def _pieces(secret: str, size: int = MIN_ECHO) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def _holds_piece(text: str, secret: str) -> bool:
    return any(piece in text for piece in _pieces(secret))


def scripted(status: int, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    """A SmartRecruiters answer written by the test."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update({"Content-Type": "application/json", **(headers or {})})
    response.reason = {200: "OK", 401: "Unauthorized", 429: "Too Many Requests"}.get(status, "")
    return response


def hostile(world: World, answer: Callable[[str, dict[str, Any]], requests.Response | None]) -> list[dict[str, Any]]:
    """SmartRecruiters answers what `answer(url, params)` returns (None: the simulator's own answer)."""
    session = world.sr_session
    real_get = type(session).get
    asked: list[dict[str, Any]] = []

    def get(url: str, **kwargs: Any) -> requests.Response:
        params = dict(kwargs.get("params") or {})
        asked.append({"url": str(url), **params})
        scripted_answer = answer(str(url), params)  # (a Response is falsy when its status is not 2xx)
        return real_get(session, url, **kwargs) if scripted_answer is None else scripted_answer

    session.get = get  # type: ignore[method-assign]
    return asked


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
    hostile(world, lambda url, params: scripted(401, {"message": f"Invalid token: {LONG_KEY[:185]}"}))

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
        outcome=f"error saved as `{status['lastError'][:70]}`; no {MIN_ECHO}-character piece of the key stored "
        "or logged",
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
    asked = hostile(world, lambda url, params: _page([], "LOOP" if len(asked) < cap else None))

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
        outcome=f"stopped after {len(asked)} requests, error saved and shown: `{status['lastError'][:80]}`",
    )
