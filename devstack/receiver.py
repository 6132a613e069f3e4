"""A callback receiver for tests and the local stack: records every POST and verifies both signatures.

Verification is written here independently of `srevents.domain.signing` (stdlib hmac only), so the
two implementations check each other. Responses can be scripted: status, delay, extra headers. A POST
to a path under `/hang` is read and never answered (`hanging_url`): a callback that hangs until the
sender's deadline, to see that it delays nobody else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Scripted:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok":true}'


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    elements_signature_ok: bool | None  # None: no key configured or no signature sent
    standard_signature_ok: bool | None
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def notification_id(self) -> str:
        return self.headers.get("elements-webhook-id", "")

    def summary(self) -> dict[str, Any]:
        try:
            message = self.json.get("message", {})
        except ValueError:
            message = {}
        return {
            "notificationId": self.notification_id,
            "status": self.status,
            "instanceId": message.get("instanceId"),
            "events": message.get("events", []),
            "elementsSignatureOk": self.elements_signature_ok,
            "standardSignatureOk": self.standard_signature_ok,
        }


def _standard_key(key: str) -> bytes:
    return base64.b64decode(key[len("whsec_") :]) if key.startswith("whsec_") else key.encode()


def verify_elements(key: str, body: bytes, header: str | None) -> bool:
    expected = "sha256=" + base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
    return header is not None and hmac.compare_digest(expected, header)


def verify_standard(key: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    msg_id, stamp, signatures = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (msg_id and stamp and signatures and stamp.isdigit()) or abs(time.time() - int(stamp)) > tolerance:
        return False
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(_standard_key(key), signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{expected}", s) for s in signatures.split())


HANG_PATH = "/hang"
HANG_SECONDS = 120.0  # longer than any sender's deadline; the receiver's stop ends it sooner


class Receiver:
    """`Receiver(key).start()` → `.url`; `.script(Scripted(500))` queues answers; `.received` lists POSTs."""

    def __init__(self, signature_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.signature_key = signature_key
        self.extra_keys: list[str] = []  # more keys to try (the local stack's receiver serves many instances)
        self.received: list[Received] = []
        self._script: deque[Scripted] = deque()
        self.default = Scripted()
        self._lock = threading.Lock()
        self.on_receive: Any = None
        self.responder: Any = None  # optional (headers, body) -> Scripted | None, consulted before the script
        self.hung = 0  # POSTs to a /hang path: read, never answered
        self._stopping = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without TCP_NODELAY the body waits for the
            # client's delayed ACK (40 ms), which capped a kept-alive sender at ~25 callbacks/s.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path.startswith(HANG_PATH):
                    receiver._hang()
                    self.close_connection = True
                    return
                answer = (receiver.responder and receiver.responder(dict(self.headers), body)) or receiver._next()
                if answer.delay:
                    time.sleep(answer.delay)
                headers = {k.lower(): v for k, v in self.headers.items()}
                record = receiver._record(self.path, headers, body, answer.status)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if receiver.on_receive:
                    receiver.on_receive(record)

            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/_received":
                    self.send_error(404)
                    return
                payload = json.dumps([r.summary() for r in list(receiver.received)]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/callback"

    @property
    def hanging_url(self) -> str:
        """A callback URL that never answers: the sender runs into its deadline (tries tenant isolation)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{HANG_PATH}"

    def _hang(self) -> None:
        with self._lock:
            self.hung += 1
        self._stopping.wait(HANG_SECONDS)

    def script(self, *answers: Scripted) -> None:
        with self._lock:
            self._script.extend(answers)

    def _next(self) -> Scripted:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _record(self, path: str, headers: dict[str, str], body: bytes, status: int) -> Received:
        elements_ok = standard_ok = None
        keys = [k for k in [self.signature_key, *self.extra_keys] if k]
        if keys and "elements-webhook-signature" in headers:
            elements_ok = any(verify_elements(k, body, headers.get("elements-webhook-signature")) for k in keys)
            standard_ok = any(verify_standard(k, headers, body) for k in keys)
        record = Received(path, headers, body, status, elements_ok, standard_ok, time.time())
        with self._lock:
            self.received.append(record)
        return record

    def delivered(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def start(self) -> Receiver:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
