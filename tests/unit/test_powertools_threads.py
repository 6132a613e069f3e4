"""The local stack's API containers are threads of one process: each must resolve its own request, although
Powertools keeps the request on a class attribute (devstack/powertools_threads.py)."""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from devstack import powertools_threads
from devstack.apigw_events import proxy_event
from devstack.lambda_runtime import LambdaContext


def _container(barrier: threading.Barrier) -> Any:
    """One API container: its own resolver, whose route waits for the other container's request to start."""
    app = APIGatewayRestResolver()

    @app.get("/echo")
    def echo() -> dict[str, Any]:
        barrier.wait(timeout=5)  # both requests are now being resolved at once
        barrier.wait(timeout=5)
        return {"who": (app.current_event.query_string_parameters or {}).get("who")}

    return app


def test_two_containers_resolving_at_once_each_read_their_own_request() -> None:
    powertools_threads.install()
    barrier = threading.Barrier(2)
    answers: dict[str, str] = {}

    def call(who: str) -> None:
        app = _container(barrier)
        response = app.resolve(proxy_event("GET", "/echo", query=f"who={who}"), LambdaContext())
        answers[who] = response["body"]

    threads = [threading.Thread(target=call, args=(who,)) for who in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert answers == {"alice": '{"who":"alice"}', "bob": '{"who":"bob"}'}
