"""adapters/smartrecruiters_webhooks.py: its calls stay within the request's time, and a subscription is never
created twice by a retry."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from srevents.adapters.smartrecruiters_webhooks import WebhooksApi, WebhooksApiError
from srevents.clock import ManualClock


class Answer:
    def __init__(self, status: int, body: bytes = b"") -> None:
        self.status_code = status
        self.content = body
        self.reason = "reason"

    def json(self) -> Any:
        import json

        return json.loads(self.content)


class ScriptedSession:
    """Answers (or raises) in order; records each request's method, path and timeout."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[tuple[str, str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        self.requests.append((method, url.split("/v201907", 1)[1], kwargs["timeout"]))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _api(session: ScriptedSession) -> WebhooksApi:
    return WebhooksApi("k", "https://api.example", session=session, clock=ManualClock())  # type: ignore[arg-type]


def test_a_subscription_whose_answer_was_lost_is_not_created_again() -> None:
    # Given SmartRecruiters that took the POST but whose answer never came
    session = ScriptedSession(requests.ReadTimeout("read timed out"), Answer(201, b'{"id": "s2"}'))

    # Then the POST is not retried: the error says a subscription may exist
    with pytest.raises(WebhooksApiError) as raised:
        _api(session).create_subscription("https://cb", ("candidate.updated",))
    assert raised.value.unanswered
    assert len(session.requests) == 1


def test_a_failed_create_is_not_retried_but_a_refused_connection_is() -> None:
    session = ScriptedSession(Answer(503, b"{}"))
    with pytest.raises(WebhooksApiError) as raised:
        _api(session).create_subscription("https://cb", ("candidate.updated",))
    assert raised.value.unanswered and len(session.requests) == 1

    refused = ScriptedSession(requests.ConnectionError("Connection refused"), Answer(201, b'{"id": "s1"}'))
    assert _api(refused).create_subscription("https://cb", ("candidate.updated",)) == "s1"
    assert len(refused.requests) == 2


def test_calls_stay_within_the_time_left() -> None:
    # Given 12 s left: the activation (which may wait 40 s) waits 12 s at most
    session = ScriptedSession(Answer(204))
    _api(session).activate("s1", time_left=lambda: 12.0)
    assert session.requests == [("PUT", "/subscriptions/s1/activation", (5.0, 12.0))]

    # and with under a second left, no call is made at all
    idle = ScriptedSession()
    with pytest.raises(WebhooksApiError, match="no time left"):
        _api(idle).generate_secret_key("s1", time_left=lambda: 0.5)
    assert idle.requests == []


def test_no_retry_starts_after_the_time_left() -> None:
    left = iter([10.0, 1.0, 1.0])
    session = ScriptedSession(Answer(503, b"{}"), Answer(204))
    with pytest.raises(WebhooksApiError):
        _api(session).delete_subscription("s1", time_left=lambda: next(left))
    assert len(session.requests) == 1


def test_subscriptions_are_found_by_their_callback_url() -> None:
    listed = b'[{"id": "a", "callbackUrl": "https://cb/1"}, {"id": "b", "callbackUrl": "https://cb/2"}]'
    session = ScriptedSession(Answer(200, listed))
    assert _api(session).subscription_ids_for("https://cb/2") == ["b"]
