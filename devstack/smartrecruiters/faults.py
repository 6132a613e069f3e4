"""Injected failures and latency, so tests can make the simulator misbehave on cue."""

from __future__ import annotations

import random
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


CALLBACK_FAULT_KINDS = ("drop", "duplicate", "delay", "reorder")


@dataclass
class CallbackFault:
    """What goes wrong with webhook callbacks: the next `remaining` ones, or each with probability `fraction`.

    drop: never sent (logged as dropped); duplicate: sent a second time, same event-id, once the first
    delivery is over; delay: held `seconds` (real time) before its first attempt, holding the ones behind
    it too; reorder: sent after the next callback of the same subscription.
    """

    kind: str
    remaining: int | None
    fraction: float | None
    seconds: float
    event_name: str | None

    def applies_to(self, event_name: str) -> bool:
        return self.event_name is None or self.event_name == event_name


class CallbackFaults:
    """Webhook callback faults, decided once per callback (one subscription's copy of an event). Thread-safe."""

    def __init__(self, rng: random.Random) -> None:
        self._lock = threading.Lock()
        self._rng = rng
        self._faults: list[CallbackFault] = []

    def add(
        self,
        kind: str,
        *,
        count: int | None = None,
        fraction: float | None = None,
        seconds: float = 0.0,
        event_name: str | None = None,
    ) -> None:
        if kind not in CALLBACK_FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(CALLBACK_FAULT_KINDS)}")
        if (count is None) == (fraction is None):
            raise ValueError("give either count (the next N callbacks) or fraction (each with that probability)")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        if fraction is not None and not 0 < fraction <= 1:
            raise ValueError("fraction must be more than 0 and at most 1")
        if seconds < 0 or (kind == "delay" and not seconds):
            raise ValueError("a delay needs seconds > 0")
        with self._lock:
            self._faults.append(CallbackFault(kind, count, fraction, seconds, event_name))

    def take(self, event_name: str) -> dict[str, CallbackFault]:
        """The faults this callback suffers, by kind (each kind at most once); counted ones are used up."""
        hit: dict[str, CallbackFault] = {}
        with self._lock:
            for fault in list(self._faults):
                if fault.kind in hit or not fault.applies_to(event_name):
                    continue
                if fault.fraction is not None:
                    if self._rng.random() < fault.fraction:
                        hit[fault.kind] = fault
                    continue
                hit[fault.kind] = fault
                assert fault.remaining is not None
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
        return hit

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
