"""A callback URL for the simulator's webhooks: answers the activation handshake and records every callback.

The handshake (a POST with `X-Hook-Secret`) is answered 200 with the same header unless a test says
otherwise (`handshake`); event callbacks are answered 202, or as scripted (`script`: status and delay
per callback, in order). A delayed answer waits on an event that `stop()` sets, so nothing hangs a test.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # what was answered (or was going to be, for an answer delayed past the sender's timeout)

    @property
    def event_name(self) -> str:
        return self.headers.get("event-name", "")

    @property
    def event_id(self) -> str:
        return self.headers.get("event-id", "")


class HookReceiver:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._hits: list[Hit] = []
        self._script: deque[tuple[int, float]] = deque()
        self._handshake: tuple[int, bool, float] = (200, True, 0.0)  # status, echo the secret, delay
        self._released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                secret = headers.get("x-hook-secret")
                if secret is not None:
                    status, echo, delay = receiver._handshake
                    extra = {"X-Hook-Secret": secret} if echo else {}
                else:
                    status, delay = receiver._next_answer()
                    extra = {}
                receiver._record(Hit(self.path, headers, body, status))
                if delay:
                    receiver._released.wait(delay)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def start(self) -> HookReceiver:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def handshake(self, status: int = 200, *, echo: bool = True, delay: float = 0.0) -> None:
        self._handshake = (status, echo, delay)

    def script(self, *answers: tuple[int, float]) -> None:
        """The next callbacks' answers, (status, delay in seconds) each; then 202 again."""
        with self._lock:
            self._script.extend(answers)

    def _next_answer(self) -> tuple[int, float]:
        with self._lock:
            return self._script.popleft() if self._script else (202, 0.0)

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)
            self._lock.notify_all()

    def handshakes(self) -> list[Hit]:
        with self._lock:
            return [h for h in self._hits if "x-hook-secret" in h.headers]

    def callbacks(self) -> list[Hit]:
        """Event callbacks received (every attempt), in arrival order."""
        with self._lock:
            return [h for h in self._hits if "x-hook-secret" not in h.headers]

    def wait_for_callbacks(self, n: int, timeout: float = 10.0) -> list[Hit]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len([h for h in self._hits if "x-hook-secret" not in h.headers]) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
        return self.callbacks()
