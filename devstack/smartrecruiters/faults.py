"""Injected failures and latency, so tests can make the simulator misbehave on cue."""

from __future__ import annotations

import threading
from dataclasses import dataclass

DROP_CONNECTION = 0  # a "status" that closes the connection without answering


@dataclass
class Fault:
    remaining: int
    status: int
    path_prefix: str | None
    retry_after: str | None

    def applies_to(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)


class Faults:
    """Queued failures, consumed first come first served by the API requests they match. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._latencies: list[tuple[float, str | None]] = []
        self._cleared = threading.Event()

    def fail_next(
        self, n: int = 1, status: int = 500, path_prefix: str | None = None, retry_after: str | None = None
    ) -> None:
        if n < 1:
            raise ValueError("n must be at least 1")
        if status != DROP_CONNECTION and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599), or 0 to drop the connection")
        with self._lock:
            self._faults.append(Fault(n, status, path_prefix, retry_after))

    def add_latency(self, seconds: float, path_prefix: str | None = None) -> None:
        if seconds < 0:
            raise ValueError("seconds cannot be negative")
        with self._lock:
            self._latencies.append((seconds, path_prefix))

    def take(self, path: str) -> Fault | None:
        """The fault this request must suffer, if any; it counts against that fault's `n`."""
        with self._lock:
            for fault in self._faults:
                if fault.applies_to(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def delay(self, path: str) -> None:
        """Waits out the latency added for `path`, or until `clear()` is called, whichever comes first."""
        with self._lock:
            seconds = sum(s for s, prefix in self._latencies if prefix is None or path.startswith(prefix))
            cleared = self._cleared
        if seconds:
            cleared.wait(seconds)

    def clear(self) -> None:
        """Drops every fault and latency, and releases the requests that are waiting out latency now."""
        with self._lock:
            self._faults.clear()
            self._latencies.clear()
            self._cleared.set()
            self._cleared = threading.Event()
