"""The HTTP edge of delivery: POST one notification to a callback URL (docs/DESIGN.md §7).

What a caller gets is one `DeliveryResult` per attempt, never an exception for a network
problem, so the delivery service can record every attempt and decide about retries.

Why it is built on urllib3 connections rather than `requests`:
- **No DNS rebinding.** The host is resolved and checked (`network_policy.check_host`) at every
  post, and the TCP connection goes to one of exactly the addresses that were checked
  (adapters/pinned_connections.py).
- **A real total deadline** for the whole exchange, not per read (adapters/deadline.py).
- **Nothing implicit.** No redirects, no proxies from the environment (a proxy would defeat the
  address check), no retries: the delivery service owns the retry policy.

A sender may be shared by threads (the deliverer posts to several instances at once).
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
from datetime import UTC, datetime

import certifi
from urllib3 import HTTPHeaderDict
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.response import BaseHTTPResponse
from urllib3.util.ssl_match_hostname import CertificateError

from srevents import PRODUCT, __version__
from srevents.adapters.deadline import Deadline
from srevents.adapters.pinned_connections import Connection, IdleConnections, new_connection
from srevents.domain.delivery_status import DeliveryResult
from srevents.domain.network_policy import (
    CallbackTarget,
    CallbackUrlError,
    Resolver,
    check_host,
    parse_callback_url,
)
from srevents.domain.retry_after import parse_retry_after

DEFAULT_USER_AGENT = f"{PRODUCT}/{__version__}"
EXCERPT_BYTES = 1024
_MIN_SOCKET_TIMEOUT = 0.001  # a socket timeout of 0 would mean non-blocking, not "no time left"
_NETWORK_ERRORS = (OSError, http.client.HTTPException, Urllib3Error, CertificateError)
_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


class _HideUrlQuery(logging.Filter):
    """urllib3 logs the request URL when a response's headers cannot be parsed. A callback URL's
    query may carry the receiver's token, and secrets never go into logs (docs/DESIGN.md §8): cut it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            url = record.args[0]
            if isinstance(url, str) and "?" in url:
                record.args = (url.split("?", 1)[0] + "?[query hidden]", *record.args[1:])
        return True


if not any(isinstance(f, _HideUrlQuery) for f in logging.getLogger("urllib3.connection").filters):
    logging.getLogger("urllib3.connection").addFilter(_HideUrlQuery())


class _StaleConnection(Exception):
    """A kept-alive connection turned out closed by the server before it answered."""


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
        self._idle = IdleConnections()

    def __enter__(self) -> CallbackSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every kept-alive connection."""
        self._idle.close()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:
        """POST `body` (sent byte for byte as given) with `headers`; report what happened.

        The latency covers the whole attempt, name resolution included.
        """
        started = time.monotonic()
        deadline = Deadline(self._total_timeout)
        try:
            return self._post(url, body, headers, started, deadline)
        finally:
            deadline.stop()

    def _post(
        self, url: str, body: bytes, headers: dict[str, str], started: float, deadline: Deadline
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

    def _idle_connection(self, target: CallbackTarget, addresses: list[str]) -> Connection | None:
        """A kept-alive connection to one of the addresses just checked, if one is still usable."""
        return self._idle.take({(target.scheme, target.host, target.port, address) for address in addresses})

    def _connect(self, target: CallbackTarget, addresses: list[str], deadline: Deadline) -> Connection | str:
        """A new connection to the first checked address that takes one, or why none did."""
        error = "no address to connect to"
        for address in addresses:
            if deadline.remaining() <= 0:
                return _deadline_message(deadline)
            timeout = min(self._connect_timeout, deadline.remaining())
            connection = new_connection(target.scheme, target.host, target.port, address, timeout, self._ssl_context)
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
        connection: Connection,
        target: CallbackTarget,
        body: bytes,
        headers: HTTPHeaderDict,
        started: float,
        deadline: Deadline,
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
            self._idle.keep(connection)  # the body was read to its end and the server keeps the connection open
        else:
            _discard(connection, response)  # don't download the rest of a large body
        return DeliveryResult(
            status, _elapsed_ms(started), None, excerpt.decode("utf-8", errors="replace"), retry_after
        )


def _discard(connection: Connection, response: BaseHTTPResponse | None) -> None:
    if response is not None:
        response.close()
    connection.dispose()


def _elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000.0


def _endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _deadline_message(deadline: Deadline) -> str:
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
