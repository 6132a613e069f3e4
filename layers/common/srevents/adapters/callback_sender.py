"""The HTTP edge of delivery: POST one notification to a callback URL (SPEC §7).

What a caller gets is one `DeliveryResult` per attempt, never an exception for a network
problem, so the delivery service can record every attempt and decide about retries.

Why it is built on urllib3 connections rather than `requests`:
- **No DNS rebinding.** The host is resolved and checked (`network_policy.check_host`) at every
  post, and the TCP connection goes to one of exactly the addresses that were checked. A urllib3
  connection is created for the checked IP, while the `Host` header, TLS SNI
  (`server_hostname`) and certificate verification use the URL's host name.
  Kept-alive connections are keyed by (scheme, host, port, address), so two hosts never share
  one, and a connection is only reused if its address is among the ones just checked.
- **A real total deadline.** Socket timeouts bound each read, not the exchange, so a server
  that trickles a byte per second would hold a delivery forever. A timer cuts the connection
  (via `shutdown()` on a duplicate of its socket, taken before TLS wraps it) when the total
  time is up, whether the time goes to the TLS handshake, the request, the headers or the body.
  One watchdog thread serves every deadline of the process: a thread per post would cost more
  than the rest of a fast POST.
- **Nothing implicit.** No redirects, no proxies from the environment (a proxy would defeat the
  address check), no retries: the delivery service owns the retry policy.

A sender is meant for one thread at a time (one per Lambda container): it is not thread-safe.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import logging
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import certifi
from urllib3 import HTTPHeaderDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.response import BaseHTTPResponse
from urllib3.util.ssl_match_hostname import CertificateError

from srevents import PRODUCT, __version__
from srevents.domain.network_policy import (
    CallbackTarget,
    CallbackUrlError,
    Resolver,
    check_host,
    parse_callback_url,
)

DEFAULT_USER_AGENT = f"{PRODUCT}/{__version__}"
EXCERPT_BYTES = 1024
MAX_IDLE_CONNECTIONS = 16
MAX_IDLE_SECONDS = 30.0
"""Idle connections older than this are not reused: many servers close theirs after 5-60 s, and a
NAT gateway drops them after 350 s; a fresh connection costs less than a failed attempt."""

_MIN_SOCKET_TIMEOUT = 0.001  # a socket timeout of 0 would mean non-blocking, not "no time left"
_NETWORK_ERRORS = (OSError, http.client.HTTPException, Urllib3Error, CertificateError)
_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


class _HideUrlQuery(logging.Filter):
    """urllib3 logs the request URL when a response's headers cannot be parsed. A callback URL's
    query may carry the receiver's token, and secrets never go into logs (SPEC §8): cut it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            url = record.args[0]
            if isinstance(url, str) and "?" in url:
                record.args = (url.split("?", 1)[0] + "?[query hidden]", *record.args[1:])
        return True


if not any(isinstance(f, _HideUrlQuery) for f in logging.getLogger("urllib3.connection").filters):
    logging.getLogger("urllib3.connection").addFilter(_HideUrlQuery())


@dataclass(frozen=True)
class DeliveryResult:
    """One delivery attempt, as it is recorded (SPEC §7).

    `error` is set when there was no complete HTTP exchange (refused address, connection or
    TLS failure, timeout); it is short, readable, and never contains the body or header values.
    When the status line arrived before things went wrong, `status_code` keeps it.
    """

    status_code: int | None
    latency_ms: float
    error: str | None
    response_excerpt: str = ""
    """The first 1024 bytes of the response body, decoded as UTF-8 with replacement."""
    retry_after_seconds: float | None = None
    """From `Retry-After` (seconds or an HTTP date), whatever the status; bounds are the caller's."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait according to a `Retry-After` header (RFC 9110 §10.2.3), or None.

    Accepts delay-seconds (`120`) or an HTTP date; a date in the past means 0. Anything else is
    ignored rather than guessed at.
    """
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]+", value):
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class _StaleConnection(Exception):
    """A kept-alive connection turned out closed by the server before it answered."""


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


class _PinnedHTTPConnection(_Pinned, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    pass


_Connection = _PinnedHTTPConnection | _PinnedHTTPSConnection


class _Watchdog:
    """One daemon thread that expires the process's deadlines, earliest first.

    Deadlines wait in a heap by expiry time. Stopping one only marks it (O(1)); the watchdog drops
    stopped ones as they reach the head, so it wakes only when a deadline that may still fire is due.
    Every post has the same total timeout, so a new deadline is the latest and needs no wake-up.
    """

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()  # ties break in arrival order; deadlines themselves do not compare
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: _Deadline) -> None:
        with self._changed:
            heapq.heappush(self._due, (deadline.expires_at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="callback-deadlines", daemon=True)
                self._thread.start()
            elif self._due[0][2] is deadline:
                self._changed.notify()

    def _next_due(self) -> _Deadline:
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
                logging.getLogger(__name__).exception("a callback deadline could not cut its connection")


_WATCHDOG = _Watchdog()


class _Deadline:
    """The total time budget of one post, enforced by the watchdog, which aborts the watched connection."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.stopped = False
        self.expires_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._connection: _Connection | None = None
        _WATCHDOG.watch(self)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    def watch(self, connection: _Connection) -> None:
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


class CallbackSender:
    """POSTs notifications to callback URLs, with the address check, pinning and deadlines above.

    `resolver` is `socket.getaddrinfo` or a stand-in (tests map names to loopback with it).
    `ssl_context` replaces the default trust (certifi's CA bundle, as `requests` uses), e.g. for
    a deployment whose receivers use a private CA, or for tests.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        allow_http: bool = True,
        connect_timeout: float = 5.0,
        total_timeout: float = 15.0,
        resolver: Resolver = socket.getaddrinfo,
        user_agent: str = DEFAULT_USER_AGENT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._allow_http = allow_http  # False: a plain-http callback is refused at delivery too
        self._connect_timeout = connect_timeout
        self._total_timeout = total_timeout
        self._resolver = resolver
        self._user_agent = user_agent
        self._ssl_context = ssl_context or ssl.create_default_context(cafile=certifi.where())
        self._idle: OrderedDict[tuple[str, str, int, str], _Connection] = OrderedDict()

    def __enter__(self) -> CallbackSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every kept-alive connection."""
        while self._idle:
            self._idle.popitem()[1].dispose()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:
        """POST `body` (sent byte for byte as given) with `headers`; report what happened.

        The latency covers the whole attempt, name resolution included.
        """
        started = time.monotonic()
        deadline = _Deadline(self._total_timeout)
        try:
            return self._post(url, body, headers, started, deadline)
        finally:
            deadline.stop()

    def _post(
        self, url: str, body: bytes, headers: dict[str, str], started: float, deadline: _Deadline
    ) -> DeliveryResult:
        def failure(error: str) -> DeliveryResult:
            return DeliveryResult(None, _elapsed_ms(started), error)

        try:
            target = parse_callback_url(url, allow_http=self._allow_http)
            addresses = check_host(target.host, target.port, allow_private=self._allow_private, resolver=self._resolver)
        except CallbackUrlError as exc:  # ForbiddenAddressError included
            return failure(f"callback URL {exc}")

        request_headers = self._request_headers(target, headers)
        connection = self._idle_connection(target, addresses)
        if connection is not None:
            try:
                return self._exchange(connection, target, body, request_headers, started, deadline, reused=True)
            except _StaleConnection:
                pass  # the server closed it while it was idle: open a fresh one below
        connection_or_error = self._connect(target, addresses, deadline)
        if isinstance(connection_or_error, str):
            return failure(connection_or_error)
        return self._exchange(connection_or_error, target, body, request_headers, started, deadline, reused=False)

    def _request_headers(self, target: CallbackTarget, headers: dict[str, str]) -> HTTPHeaderDict:
        merged = HTTPHeaderDict({"Content-Type": "application/json"})
        for name, value in headers.items():
            merged[name] = value
        merged["User-Agent"] = self._user_agent
        merged["Host"] = target.host_header  # the connection goes to an IP; the request names the host
        return merged

    def _idle_connection(self, target: CallbackTarget, addresses: list[str]) -> _Connection | None:
        """A kept-alive connection to one of the addresses just checked, if one is still usable."""
        for address in addresses:
            connection = self._idle.pop((target.scheme, target.host, target.port, address), None)
            if connection is None:
                continue
            if time.monotonic() - connection.idle_since <= MAX_IDLE_SECONDS and connection.is_connected:
                return connection
            connection.dispose()
        return None

    def _keep(self, connection: _Connection) -> None:
        connection.idle_since = time.monotonic()
        self._idle[connection.route] = connection
        while len(self._idle) > MAX_IDLE_CONNECTIONS:
            self._idle.popitem(last=False)[1].dispose()

    def _new_connection(self, target: CallbackTarget, address: str, timeout: float) -> _Connection:
        connection: _Connection
        if target.scheme == "https":
            connection = _PinnedHTTPSConnection(
                address,
                target.port,
                timeout=timeout,
                # The SNI and the name the certificate must match: the host, not the address. OpenSSL
                # checks it when the context checks host names (the default), urllib3 otherwise.
                server_hostname=target.host,
                ssl_context=self._ssl_context,
            )
        else:
            connection = _PinnedHTTPConnection(address, target.port, timeout=timeout)
        connection.route = (target.scheme, target.host, target.port, address)
        return connection

    def _connect(self, target: CallbackTarget, addresses: list[str], deadline: _Deadline) -> _Connection | str:
        """A new connection to the first checked address that takes one, or why none did."""
        error = "no address to connect to"
        for address in addresses:
            if deadline.remaining() <= 0:
                return _deadline_message(deadline)
            timeout = min(self._connect_timeout, deadline.remaining())
            connection = self._new_connection(target, address, timeout)
            deadline.watch(connection)
            try:
                connection.connect()
            except _NETWORK_ERRORS as exc:
                connection.dispose()
                if deadline.expired or (_is_timeout(exc) and timeout < self._connect_timeout):
                    return _deadline_message(deadline)  # the time left was shorter than a connect timeout
                error = f"could not connect to {_endpoint(address, target.port)}: {_describe(exc, timeout)}"
                continue
            return connection
        return error

    def _exchange(
        self,
        connection: _Connection,
        target: CallbackTarget,
        body: bytes,
        headers: HTTPHeaderDict,
        started: float,
        deadline: _Deadline,
        *,
        reused: bool,
    ) -> DeliveryResult:
        """Send the request on `connection` and read the status, headers and body excerpt.

        Raises _StaleConnection when a reused connection fails before any answer: the server
        closed it while idle, so the request can be sent again on a fresh connection.
        """
        deadline.watch(connection)
        status: int | None = None
        retry_after: float | None = None
        response: BaseHTTPResponse | None = None
        try:
            connection.timeout = max(deadline.remaining(), _MIN_SOCKET_TIMEOUT)
            connection.request(
                "POST",
                target.request_target,
                body=body,
                headers=headers,
                preload_content=False,
                decode_content=False,  # the excerpt is the bytes sent: no decompression of a hostile body
            )
            response = connection.getresponse()
            status = response.status
            retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
            excerpt = response.read(EXCERPT_BYTES)
        except BaseException as exc:
            _discard(connection, response)
            if not isinstance(exc, _NETWORK_ERRORS):
                raise  # a bug, not a network problem
            if deadline.expired or _is_timeout(exc):  # socket timeouts here are set to the time left
                error = _deadline_message(deadline)
            elif reused and status is None and isinstance(_root_cause(exc), _DROPPED):
                raise _StaleConnection from exc
            else:
                error = _describe(exc, deadline.seconds)
            return DeliveryResult(status, _elapsed_ms(started), error, "", retry_after)

        deadline.stop()
        if deadline.expired:  # the timer won the race and ended the read early
            _discard(connection, response)
            return DeliveryResult(status, _elapsed_ms(started), _deadline_message(deadline), "", retry_after)
        if response.isclosed() and not connection.is_closed:
            self._keep(connection)  # the body was read to its end and the server keeps the connection open
        else:
            _discard(connection, response)  # don't download the rest of a large body
        return DeliveryResult(
            status, _elapsed_ms(started), None, excerpt.decode("utf-8", errors="replace"), retry_after
        )


def _discard(connection: _Connection, response: BaseHTTPResponse | None) -> None:
    if response is not None:
        response.close()
    connection.dispose()


def _elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000.0


def _endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _deadline_message(deadline: _Deadline) -> str:
    return f"timed out after {deadline.seconds:g} s (total time allowed for a delivery)"


def _root_cause(exc: BaseException) -> BaseException:
    """The socket or http.client error under urllib3's wrappers."""
    if isinstance(exc, ProtocolError) and len(exc.args) > 1 and isinstance(exc.args[1], BaseException):
        return _root_cause(exc.args[1])
    if isinstance(exc, NewConnectionError | ConnectTimeoutError | ReadTimeoutError) and exc.__cause__:
        return exc.__cause__
    return exc


def _is_timeout(exc: BaseException) -> bool:
    cause = _root_cause(exc)
    # NewConnectionError subclasses ConnectTimeoutError in urllib3, yet means "could not connect".
    return isinstance(cause, TimeoutError | ConnectTimeoutError | ReadTimeoutError) and not isinstance(
        cause, NewConnectionError
    )


def _describe(exc: BaseException, timeout: float) -> str:
    """A short reason for a failed connection or exchange; never echoes request data."""
    cause = _root_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS certificate rejected: {cause.verify_message or cause.reason}"
    if isinstance(cause, CertificateError):
        return f"TLS certificate rejected: {cause}"
    if isinstance(cause, ssl.SSLError):
        reason = cause.reason or type(cause).__name__
        return f"TLS error: {reason}"
    if _is_timeout(cause):
        return f"timed out after {timeout:g} s"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, http.client.RemoteDisconnected):
        return "connection closed by the server without a response"
    if isinstance(cause, ConnectionResetError | ConnectionAbortedError):
        return "connection reset by the server"
    if isinstance(cause, BrokenPipeError):
        return "connection closed by the server while sending the request"
    if isinstance(cause, http.client.IncompleteRead):
        return "connection closed by the server in the middle of the response"
    if isinstance(cause, http.client.HTTPException):
        return f"invalid HTTP response ({type(cause).__name__})"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror[0].lower() + cause.strerror[1:]
    return f"network error ({type(cause).__name__})"
