"""api/resolver.py: two requests resolved at once on two threads (the local stack's API containers) each read
their own event and Lambda context."""

from __future__ import annotations

import json
import threading
from typing import Any

from aws_lambda_powertools.event_handler import Response

from devstack.apigw_events import proxy_event
from devstack.lambda_runtime import LambdaContext
from srevents.api.resolver import ApiResolver


def _app(both_in: threading.Barrier) -> ApiResolver:
    app = ApiResolver()

    @app.get("/echo")
    def echo() -> Response:
        both_in.wait(5)  # the other request has been resolved meanwhile: Powertools' base class holds its event
        return Response(
            200,
            "application/json",
            json.dumps({"q": app.current_event.get_query_string_value("q"), "fn": app.lambda_context.function_name}),
        )

    return app


def test_concurrent_requests_each_read_their_own_event_and_context() -> None:
    # Given two containers (apps) resolving at the same time
    both_in = threading.Barrier(2)
    apps = [_app(both_in), _app(both_in)]
    answers: dict[str, Any] = {}

    def call(index: int) -> None:
        event = proxy_event("GET", "/echo", query=f"q={index}")
        answers[str(index)] = json.loads(apps[index].resolve(event, LambdaContext(function_name=f"f{index}"))["body"])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    # Then each answered from its own request
    assert answers == {"0": {"q": "0", "fn": "f0"}, "1": {"q": "1", "fn": "f1"}}
