"""A real total deadline for one HTTP exchange, whatever the time goes to.

Socket timeouts bound each read, not the exchange, so a server that trickles a byte per second would hold
a delivery forever. A `Deadline` aborts the connection it watches when the total time is up, whether the
time goes to the TLS handshake, the request, the headers or the body. One watchdog thread serves every
deadline of the process (a thread per post would cost more than the rest of a fast POST), so deadlines
may be created from any thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Protocol


class Abortable(Protocol):
    def abort(self) -> None:
        """Cut the connection now, from another thread."""


class _Watchdog:
    """One daemon thread that expires the process's deadlines, earliest first.

    Deadlines wait in a heap by expiry time. Stopping one only marks it (O(1)); the watchdog drops
    stopped ones as they reach the head, so it wakes only when a deadline that may still fire is due.
    Every post has the same total timeout, so a new deadline is the latest and needs no wake-up.
    """

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # ties break in arrival order; deadlines themselves do not compare
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._changed:
            heapq.heappush(self._due, (deadline.expires_at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="callback-deadlines", daemon=True)
                self._thread.start()
            elif self._due[0][2] is deadline:
                self._changed.notify()

    def _next_due(self) -> Deadline:
        with self._changed:
            while True:
                while self._due and self._due[0][2].stopped:
                    heapq.heappop(self._due)
                if not self._due:
                    self._changed.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._due)[2]
                self._changed.wait(wait)

    def _run(self) -> None:
        while True:
            due = self._next_due()
            try:
                due._expire()
            except Exception:  # keep serving the other deadlines
                logging.getLogger(__name__).exception("a deadline could not cut its connection")


_WATCHDOG = _Watchdog()


class Deadline:
    """The total time budget of one post, enforced by the watchdog, which aborts the watched connection."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.stopped = False
        self.expires_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._connection: Abortable | None = None
        _WATCHDOG.watch(self)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    def watch(self, connection: Abortable) -> None:
        with self._lock:
            self._connection = connection
            if self.expired:
                connection.abort()

    def stop(self) -> None:
        """Disarm the deadline; after this, a watched connection is never aborted."""
        with self._lock:
            self.stopped = True

    def _expire(self) -> None:
        with self._lock:
            if self.stopped:
                return
            self.expired = True
            if self._connection is not None:
                self._connection.abort()
