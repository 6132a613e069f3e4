"""The deployment's `AllowHttpCallbacks` holds at delivery too, not only at creation: an instance whose
callback was accepted as `http` (the setting was on then, or the item was written around the API) is not
delivered to over plain http once the setting is off."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devstack.aws_resources import StackResources
from srevents import wiring
from srevents.adapters.callback_sender import CallbackSender
from srevents.settings import Settings


class Counting(BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self) -> None:
        Counting.hits += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Counting.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_a_sender_that_may_not_use_http_refuses_an_http_callback(receiver: str) -> None:
    # Given a sender of a deployment that refuses plain-http callbacks (private addresses allowed here)
    with CallbackSender(allow_private=True, allow_http=False) as sender:
        # When it is asked to deliver to an http URL
        result = sender.post(receiver, b"{}", {"Content-Type": "application/json"})
    # Then nothing is sent, and the attempt fails saying why
    assert result.status_code is None and "https" in (result.error or "")
    assert Counting.hits == 0


def test_the_deliverer_is_built_with_the_deployments_http_setting(
    aws: StackResources, monkeypatch: pytest.MonkeyPatch, receiver: str
) -> None:
    environment = aws.function_environment("DeliverFunction") | {"ALLOW_PRIVATE_CALLBACKS": "true"}
    for http_allowed, hits in (("false", 0), ("true", 1)):
        settings = Settings.from_env({**environment, "ALLOW_HTTP_CALLBACKS": http_allowed})
        sender = wiring.deliver_service(settings)._attempts._sender
        sender.post(receiver, b"{}", {"Content-Type": "application/json"})
        assert Counting.hits == hits, http_allowed
