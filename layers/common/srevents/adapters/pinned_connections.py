"""urllib3 connections pinned to one checked address, and the pool of kept-alive ones.

A pinned connection is created for the IP address the network policy approved, while the `Host` header,
TLS SNI (`server_hostname`) and certificate verification use the URL's host name: no DNS rebinding between
the check and the connection. Each carries a kill switch for its deadline (adapters/deadline.py).

Kept-alive connections are keyed by their route (scheme, host, port, address), so two hosts never share
one, and a connection is only reused for an address among the ones just checked. The pool may be used
from several threads (the deliverer posts to several instances at once); a connection is in one post's
hands at a time (it leaves the pool while in use).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time

from urllib3.connection import HTTPConnection, HTTPSConnection

MAX_IDLE_CONNECTIONS = 16
MAX_IDLE_SECONDS = 30.0
"""Idle connections older than this are not reused: many servers close theirs after 5-60 s, and a
NAT gateway drops them after 350 s; a fresh connection costs less than a failed attempt."""

Route = tuple[str, str, int, str]  # scheme, host, port, address


class _Pinned:
    """Mixin for a urllib3 connection to one checked address, with a kill switch for the deadline.

    The kill switch is a duplicate of the TCP socket, taken before TLS wraps it. `shutdown()`
    acts on the TCP connection, not on one descriptor, so calling it from the deadline timer
    unblocks whatever the delivering thread is waiting on, even after http.client has handed
    the socket over to a response object.
    """

    route: tuple[str, str, int, str]
    idle_since: float = 0.0
    _kill_switch: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self._release_kill_switch()
        self._kill_switch = sock.dup()
        return sock

    def abort(self) -> None:
        """Cut the connection now. Safe to call from another thread."""
        if self._kill_switch is not None:
            with contextlib.suppress(OSError):
                self._kill_switch.shutdown(socket.SHUT_RDWR)

    def dispose(self) -> None:
        """Close the connection for good (the socket is only freed once the duplicate is closed too)."""
        self.close()  # type: ignore[attr-defined]
        self._release_kill_switch()

    def _release_kill_switch(self) -> None:
        if self._kill_switch is not None:
            self._kill_switch.close()
            self._kill_switch = None


class PinnedHTTPConnection(_Pinned, HTTPConnection):
    pass


class PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    pass


Connection = PinnedHTTPConnection | PinnedHTTPSConnection


def new_connection(
    scheme: str, host: str, port: int, address: str, timeout: float, ssl_context: ssl.SSLContext
) -> Connection:
    """A connection to `address` for requests to `host` (not yet connected)."""
    connection: Connection
    if scheme == "https":
        connection = PinnedHTTPSConnection(
            address,
            port,
            timeout=timeout,
            # The SNI and the name the certificate must match: the host, not the address. OpenSSL
            # checks it when the context checks host names (the default), urllib3 otherwise.
            server_hostname=host,
            ssl_context=ssl_context,
        )
    else:
        connection = PinnedHTTPConnection(address, port, timeout=timeout)
    connection.route = (scheme, host, port, address)
    return connection


class IdleConnections:
    """Kept-alive connections, oldest first; several may go to one route (posts to one host at once)."""

    def __init__(self, limit: int = MAX_IDLE_CONNECTIONS) -> None:
        self._limit = limit
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def take(self, routes: set[Route]) -> Connection | None:
        """The newest usable connection on one of `routes`, out of the pool; stale ones are closed."""
        while True:
            with self._lock:
                index = next((i for i in range(len(self._idle) - 1, -1, -1) if self._idle[i].route in routes), None)
                if index is None:
                    return None
                connection = self._idle.pop(index)
            if time.monotonic() - connection.idle_since <= MAX_IDLE_SECONDS and connection.is_connected:
                return connection
            connection.dispose()

    def keep(self, connection: Connection) -> None:
        connection.idle_since = time.monotonic()
        with self._lock:
            self._idle.append(connection)
            evicted, self._idle = self._idle[: -self._limit], self._idle[-self._limit :]
        for stale in evicted:
            stale.dispose()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.dispose()
