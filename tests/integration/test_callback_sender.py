"""The callback sender against real HTTP(S) servers on 127.0.0.1 (docs/DESIGN.md §7).

Safety: an autouse fixture wraps urllib3's socket factory and fails any test that would open a
connection to a non-loopback address. Tests that pretend a name resolves to a public address
redirect that address to a local server, so they observe where the sender connects without
sending anything off the machine.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import urllib3.util.connection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from srevents.adapters import pinned_connections
from srevents.adapters.callback_sender import DEFAULT_USER_AGENT, CallbackSender
from tests.support.leaks import register_secret

PUBLIC_V4 = "93.184.215.14"
OTHER_PUBLIC_V4 = "93.184.215.15"
SIGNATURE = register_secret("sha256=c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1sZWFr")


# --- servers ---------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """A local callback receiver. `respond(handler)` writes the response; the default is 200."""

    port: int
    scheme: str = "http"
    requests: list[Received] = field(default_factory=list)
    connections: int = 0
    sni: list[str | None] = field(default_factory=list)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


Responder = Callable[[BaseHTTPRequestHandler], None]


def reply(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> Responder:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        handler.wfile.write(head.encode() + b"\r\n" + body)  # one write: no Nagle/delayed-ACK stalls

    return respond


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: Any

    def setup(self) -> None:
        super().setup()
        self.server.record.connections += 1

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.record.requests.append(Received(self.path, dict(self.headers), body))
        self.server.respond(self)

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up (deadline tests) make handlers fail; that is expected


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at teardown, so slow handlers stop waiting."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def serve(release: threading.Event) -> Iterator[Callable[..., Server]]:
    servers: list[_QuietServer] = []

    def start(
        respond: Responder | None = None, *, tls: ssl.SSLContext | None = None, family: int = socket.AF_INET
    ) -> Server:
        class Bound(_QuietServer):
            address_family = family

        httpd = Bound(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0), _Handler)
        record = Server(port=httpd.server_address[1], scheme="https" if tls else "http")
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: record.sni.append(name)
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        httpd.record = record  # type: ignore[attr-defined]
        httpd.respond = respond or reply(200, b'{"received":true}')  # type: ignore[attr-defined]
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(httpd)
        return record

    yield start
    release.set()
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class Dialer:
    """Every address the sender connected to, and public addresses redirected to local servers."""

    connected_to: list[tuple[str, int]] = field(default_factory=list)
    redirects: dict[str, tuple[str, int]] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def dialer(monkeypatch: pytest.MonkeyPatch) -> Dialer:
    real_create_connection = urllib3.util.connection.create_connection
    record = Dialer()

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        record.connected_to.append((address[0], address[1]))
        address = record.redirects.get(address[0], address)
        assert ipaddress.ip_address(address[0]).is_loopback, f"a test tried to leave loopback: {address}"
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return record


@pytest.fixture
def sender() -> Iterator[CallbackSender]:
    with CallbackSender(allow_private=True) as instance:
        yield instance


def resolver_for(*answers: list[str]) -> Callable[..., list[tuple]]:
    """A getaddrinfo stand-in giving `answers[i]` on the i-th call (the last one from then on)."""
    calls: list[str] = []

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        calls.append(host)
        addresses = answers[min(len(calls), len(answers)) - 1]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- plain exchanges ---------------------------------------------------------------------------


def test_200_is_ok_with_latency_and_excerpt(serve: Callable[..., Server], sender: CallbackSender) -> None:
    server = serve(reply(200, b'{"received":true}'))
    result = sender.post(server.url(), b"{}", {})
    assert result.ok
    assert (result.status_code, result.error, result.response_excerpt) == (200, None, '{"received":true}')
    assert 0 < result.latency_ms < 5000
    assert result.retry_after_seconds is None


def test_body_and_headers_are_sent_exactly(serve: Callable[..., Server], sender: CallbackSender) -> None:
    # Given a body whose bytes matter (non-ASCII, odd spacing, no trailing newline)
    server = serve()
    body = '{"id": "n-1",  "name":"Zoë"}'.encode()
    # When it is posted with signature headers
    sender.post(server.url("/hook?tenant=42"), body, {"Elements-Webhook-Signature": SIGNATURE})
    # Then the receiver gets those bytes and headers, plus ours
    (received,) = server.requests
    assert received.body == body
    assert received.path == "/hook?tenant=42"
    assert received.headers["Elements-Webhook-Signature"] == SIGNATURE
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"] == DEFAULT_USER_AGENT
    assert received.headers["Host"] == f"127.0.0.1:{server.port}"
    assert received.headers["Content-Length"] == str(len(body))


def test_user_agent_can_be_configured(serve: Callable[..., Server]) -> None:
    server = serve()
    with CallbackSender(allow_private=True, user_agent="custom/1.0") as sender:
        sender.post(server.url(), b"{}", {"User-Agent": "ignored"})
    assert server.requests[0].headers["User-Agent"] == "custom/1.0"


def test_500_is_a_failure_with_its_status_and_excerpt(serve: Callable[..., Server], sender: CallbackSender) -> None:
    server = serve(reply(500, b"database on fire"))
    result = sender.post(server.url(), b"{}", {})
    assert not result.ok
    assert (result.status_code, result.error, result.response_excerpt) == (500, None, "database on fire")


def test_redirect_is_not_followed(serve: Callable[..., Server], sender: CallbackSender) -> None:
    # Given a callback that redirects to another server
    target = serve()
    redirecting = serve(reply(302, headers={"Location": target.url("/elsewhere")}))
    # When a notification is posted
    result = sender.post(redirecting.url(), b"{}", {})
    # Then the redirect is a failure and the other server gets nothing
    assert not result.ok
    assert result.status_code == 302
    assert target.connections == 0 and target.requests == []


@pytest.mark.parametrize(("header", "expected"), [("120", 120.0), ("0", 0.0), ("soon", None), ("-5", None)])
def test_retry_after_seconds(serve: Callable[..., Server], sender: CallbackSender, header: str, expected: Any) -> None:
    server = serve(reply(429, headers={"Retry-After": header}))
    result = sender.post(server.url(), b"{}", {})
    assert result.status_code == 429
    assert result.retry_after_seconds == expected


def test_retry_after_http_date(serve: Callable[..., Server], sender: CallbackSender) -> None:
    in_a_minute = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    server = serve(reply(503, headers={"Retry-After": format_datetime(in_a_minute, usegmt=True)}))
    result = sender.post(server.url(), b"{}", {})
    assert result.retry_after_seconds is not None
    assert 55 <= result.retry_after_seconds <= 60


def test_large_body_is_not_downloaded(serve: Callable[..., Server], sender: CallbackSender) -> None:
    # Given a server answering 8 MB
    server = serve(reply(200, b"x" * 8_000_000))
    # Then only the first kilobyte is kept, and the connection is not reused (its rest is unread)
    first = sender.post(server.url(), b"{}", {})
    assert first.ok and first.response_excerpt == "x" * 1024
    sender.post(server.url(), b"{}", {})
    assert server.connections == 2


def test_excerpt_decodes_with_replacement(serve: Callable[..., Server], sender: CallbackSender) -> None:
    server = serve(reply(400, b"bad \xff input"))
    assert sender.post(server.url(), b"{}", {}).response_excerpt == "bad \ufffd input"


def test_malformed_response_headers_do_not_log_the_url_query(
    serve: Callable[..., Server], sender: CallbackSender, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a receiver whose headers urllib3 cannot parse (it logs a warning with the URL)
    token = register_secret("query-token-4f9a2c")
    server = serve(lambda handler: handler.wfile.write(b"HTTP/1.1 200 OK\r\n:bad\r\nContent-Length: 0\r\n\r\n"))
    # When a callback URL with a token in its query is posted to
    with caplog.at_level(logging.WARNING):
        result = sender.post(server.url(f"/hook?token={token}"), b"{}", {})
    # Then the query is not in the logs
    assert result.status_code == 200
    assert "Failed to parse headers" in caplog.text
    assert token not in caplog.text


# --- connections ----------------------------------------------------------------------------


def test_keep_alive_reuses_one_connection(serve: Callable[..., Server], sender: CallbackSender) -> None:
    server = serve()
    results = [sender.post(server.url(), b"{}", {}) for _ in range(5)]
    assert all(result.ok for result in results)
    assert len(server.requests) == 5
    assert server.connections == 1


def test_connection_close_is_respected(serve: Callable[..., Server], sender: CallbackSender) -> None:
    server = serve(reply(200, b"ok", headers={"Connection": "close"}))
    assert sender.post(server.url(), b"{}", {}).ok
    assert sender.post(server.url(), b"{}", {}).ok
    assert server.connections == 2


def test_connection_closed_by_the_server_while_idle_is_replaced(
    serve: Callable[..., Server], sender: CallbackSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a server that silently closes each connection after answering
    def answer_and_close(handler: BaseHTTPRequestHandler) -> None:
        reply(200, b"ok")(handler)
        handler.close_connection = True

    server = serve(answer_and_close)
    assert sender.post(server.url(), b"{}", {}).ok
    time.sleep(0.1)
    # And a liveness check that cannot see it (the close races with the next request)
    monkeypatch.setattr(pinned_connections.PinnedHTTPConnection, "is_connected", property(lambda self: True))
    # When the next notification is posted, it is sent again on a fresh connection
    result = sender.post(server.url(), b"{}", {})
    assert result.ok, result.error
    assert (server.connections, len(server.requests)) == (2, 2)


def test_connection_refused(sender: CallbackSender) -> None:
    port = free_port()
    result = sender.post(f"http://127.0.0.1:{port}/hook", b"{}", {"Elements-Webhook-Signature": SIGNATURE})
    assert not result.ok
    assert result.status_code is None
    assert result.error == f"could not connect to 127.0.0.1:{port}: connection refused"


def test_close_closes_idle_connections(serve: Callable[..., Server]) -> None:
    server = serve()
    sender = CallbackSender(allow_private=True)
    sender.post(server.url(), b"{}", {})
    sender.close()
    assert sender.post(server.url(), b"{}", {}).ok
    sender.close()
    assert server.connections == 2


# --- the total deadline -------------------------------------------------------------------


def test_slow_server_is_cut_at_the_total_deadline(serve: Callable[..., Server], release: threading.Event) -> None:
    server = serve(lambda handler: (release.wait(5), reply()(handler)))
    with CallbackSender(allow_private=True, total_timeout=0.5) as sender:
        started = time.monotonic()
        result = sender.post(server.url(), b"{}", {"Elements-Webhook-Signature": SIGNATURE})
    assert time.monotonic() - started < 2.0
    assert not result.ok
    assert result.status_code is None
    assert result.error == "timed out after 0.5 s (total time allowed for a delivery)"


def trickle(head: bytes, body: bytes, release: threading.Event) -> Responder:
    """Write the response a byte at a time, each byte well within any per-read timeout."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        for byte in head + body:
            if release.wait(0.02):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return respond


def test_body_trickle_is_cut_at_the_total_deadline(serve: Callable[..., Server], release: threading.Event) -> None:
    # Given a server that sends its headers at once, then its body a byte every 20 ms
    body = b"." * 500
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    server = serve(lambda handler: (handler.wfile.write(head), trickle(b"", body, release)(handler)))
    with CallbackSender(allow_private=True, total_timeout=0.5) as sender:
        started = time.monotonic()
        result = sender.post(server.url(), b"{}", {})
    # Then the delivery is stopped at 0.5 s, and the status that did arrive is kept
    assert time.monotonic() - started < 1.5
    assert not result.ok
    assert result.status_code == 200
    assert result.error == "timed out after 0.5 s (total time allowed for a delivery)"


def test_header_trickle_is_cut_at_the_total_deadline(serve: Callable[..., Server], release: threading.Event) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"p" * 500 + b"\r\nContent-Length: 0\r\n\r\n"
    server = serve(trickle(head, b"", release))
    with CallbackSender(allow_private=True, total_timeout=0.5) as sender:
        started = time.monotonic()
        result = sender.post(server.url(), b"{}", {})
    assert time.monotonic() - started < 1.5
    assert not result.ok
    assert result.error == "timed out after 0.5 s (total time allowed for a delivery)"


def test_stalled_tls_handshake_is_cut_at_the_total_deadline() -> None:
    # Given a listener that accepts TCP connections but never speaks TLS
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with CallbackSender(allow_private=True, total_timeout=0.5) as sender:
            started = time.monotonic()
            result = sender.post(f"https://127.0.0.1:{port}/hook", b"{}", {})
    assert time.monotonic() - started < 1.5
    assert (result.status_code, result.ok) == (None, False)
    assert result.error == "timed out after 0.5 s (total time allowed for a delivery)"


def test_deadline_leaves_a_fast_connection_reusable(serve: Callable[..., Server]) -> None:
    server = serve()
    with CallbackSender(allow_private=True, total_timeout=0.3) as sender:
        assert sender.post(server.url(), b"{}", {}).ok
        time.sleep(0.4)  # longer than the deadline: the timer of the first post must be disarmed
        assert sender.post(server.url(), b"{}", {}).ok
    assert server.connections == 1


# --- the address check and pinning ------------------------------------------------------------


def test_name_is_pinned_to_the_checked_address(serve: Callable[..., Server], dialer: Dialer) -> None:
    # Given a name that resolves to the local server
    server = serve()
    resolver = resolver_for(["127.0.0.1"])
    with CallbackSender(allow_private=True, resolver=resolver) as sender:
        result = sender.post(server.url(host="callback.test"), b"{}", {})
    # Then the connection goes to that address and the request names the host
    assert result.ok, result.error
    assert dialer.connected_to == [("127.0.0.1", server.port)]
    assert server.requests[0].headers["Host"] == f"callback.test:{server.port}"
    assert resolver.calls == ["callback.test"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [("10.0.0.5", "a private"), ("127.0.0.1", "a loopback"), ("169.254.169.254", "a cloud metadata")],
)
def test_forbidden_answers_are_refused_before_connecting(dialer: Dialer, answer: str, problem: str) -> None:
    with CallbackSender(allow_private=False, resolver=resolver_for([answer])) as sender:
        result = sender.post("https://callback.test/hook", b"{}", {"Elements-Webhook-Signature": SIGNATURE})
    assert (result.status_code, result.ok) == (None, False)
    assert result.error == f"callback URL resolves to {answer}, {problem} address"
    assert dialer.connected_to == []


def test_one_forbidden_answer_among_public_ones_is_refused(dialer: Dialer) -> None:
    with CallbackSender(allow_private=False, resolver=resolver_for([PUBLIC_V4, "10.0.0.5"])) as sender:
        result = sender.post("https://callback.test/hook", b"{}", {})
    assert result.error == "callback URL resolves to 10.0.0.5, a private address"
    assert dialer.connected_to == []


def test_metadata_is_refused_even_when_private_addresses_are_allowed(dialer: Dialer) -> None:
    with CallbackSender(allow_private=True, resolver=resolver_for(["169.254.169.254"])) as sender:
        result = sender.post("http://callback.test/latest/meta-data/", b"{}", {})
    assert result.error == "callback URL resolves to 169.254.169.254, a cloud metadata address"
    assert dialer.connected_to == []


def test_literal_forbidden_address_is_refused(dialer: Dialer) -> None:
    with CallbackSender(allow_private=False) as sender:
        result = sender.post("http://0x7f.1:8080/hook", b"{}", {})
    assert result.error == "callback URL points at 127.0.0.1, a loopback address"
    assert dialer.connected_to == []


def test_dns_rebinding_is_caught_at_the_next_post(serve: Callable[..., Server], dialer: Dialer) -> None:
    # Given a name that first resolves to a public address (redirected here to a local server)...
    server = serve()
    dialer.redirects[PUBLIC_V4] = ("127.0.0.1", server.port)
    resolver = resolver_for([PUBLIC_V4], ["10.0.0.5"])
    with CallbackSender(allow_private=False, resolver=resolver) as sender:
        first = sender.post("http://callback.test/hook", b"{}", {})
        # ...then, with a kept-alive connection open, to a private one
        second = sender.post("http://callback.test/hook", b"{}", {})
    # Then the first went to the checked public address, and the second was refused
    assert first.ok, first.error
    assert dialer.connected_to == [(PUBLIC_V4, 80)]
    assert second.error == "callback URL resolves to 10.0.0.5, a private address"
    assert resolver.calls == ["callback.test", "callback.test"]  # type: ignore[attr-defined]
    assert len(server.requests) == 1


def test_connection_to_an_address_no_longer_in_dns_is_not_reused(serve: Callable[..., Server], dialer: Dialer) -> None:
    server = serve()
    dialer.redirects[PUBLIC_V4] = ("127.0.0.1", server.port)
    dialer.redirects[OTHER_PUBLIC_V4] = ("127.0.0.1", server.port)
    resolver = resolver_for([PUBLIC_V4], [OTHER_PUBLIC_V4])
    with CallbackSender(allow_private=False, resolver=resolver) as sender:
        assert sender.post("http://callback.test/hook", b"{}", {}).ok
        assert sender.post("http://callback.test/hook", b"{}", {}).ok
    assert dialer.connected_to == [(PUBLIC_V4, 80), (OTHER_PUBLIC_V4, 80)]
    assert server.connections == 2


def test_two_hosts_on_one_address_do_not_share_a_connection(serve: Callable[..., Server]) -> None:
    server = serve()
    with CallbackSender(allow_private=True, resolver=resolver_for(["127.0.0.1"])) as sender:
        for host in ("a.test", "b.test", "a.test", "b.test"):
            assert sender.post(server.url(host=host), b"{}", {}).ok
    assert server.connections == 2
    assert [r.headers["Host"].split(":")[0] for r in server.requests] == [
        "a.test",
        "b.test",
        "a.test",
        "b.test",
    ]


def test_next_checked_address_is_tried_when_one_refuses(serve: Callable[..., Server], dialer: Dialer) -> None:
    server = serve()
    dead_port = free_port()
    dialer.redirects[PUBLIC_V4] = ("127.0.0.1", dead_port)
    dialer.redirects[OTHER_PUBLIC_V4] = ("127.0.0.1", server.port)
    with CallbackSender(allow_private=False, resolver=resolver_for([PUBLIC_V4, OTHER_PUBLIC_V4])) as sender:
        result = sender.post("http://callback.test/hook", b"{}", {})
    assert result.ok, result.error
    assert dialer.connected_to == [(PUBLIC_V4, 80), (OTHER_PUBLIC_V4, 80)]


def test_unresolvable_host(dialer: Dialer) -> None:
    def no_answer(*args: object, **kwargs: object) -> list[tuple]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with CallbackSender(allow_private=False, resolver=no_answer) as sender:
        result = sender.post("https://callback.test/hook", b"{}", {})
    assert result.error == "callback URL does not resolve"
    assert dialer.connected_to == []


def test_invalid_url_is_reported_without_its_secrets() -> None:
    with CallbackSender(allow_private=False) as sender:
        result = sender.post("https://user:hunter2secret@callback.test/?token=abc123", b"{}", {})
        assert result.error == "callback URL must not contain credentials (user:password@)"
        assert sender.post("ftp://callback.test/", b"{}", {}).error == (
            "callback URL must be an absolute http or https URL"
        )


def test_ipv6_pinning(serve: Callable[..., Server]) -> None:
    try:
        server = serve(family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with CallbackSender(allow_private=True, resolver=resolver_for(["::1"])) as sender:
        result = sender.post(server.url(host="callback.test"), b"{}", {})
    assert result.ok, result.error
    assert server.requests[0].headers["Host"] == f"callback.test:{server.port}"


# --- TLS ------------------------------------------------------------------------------------


@dataclass
class Pki:
    ca_pem: bytes
    directory: Path
    ca: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey

    def server_context(self, *names: str, ips: tuple[str, ...] = ()) -> ssl.SSLContext:
        """A server context with a certificate, signed by the CA, for `names` (and `ips`)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        sans: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        cert_file = self.directory / f"{names[0]}.pem"
        key_file = self.directory / f"{names[0]}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem.decode())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "srevents test CA")])
    now = dt.datetime.now(dt.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Pki(ca.public_bytes(serialization.Encoding.PEM), tmp_path_factory.mktemp("pki"), ca, key)


def test_https_verifies_the_host_name_on_a_pinned_connection(serve: Callable[..., Server], pki: Pki) -> None:
    # Given an https receiver whose certificate is for callback.test, reached through 127.0.0.1
    server = serve(tls=pki.server_context("callback.test"))
    resolver = resolver_for(["127.0.0.1"])
    with CallbackSender(allow_private=True, resolver=resolver, ssl_context=pki.client_context()) as sender:
        results = [sender.post(server.url(host="callback.test"), b"{}", {}) for _ in range(2)]
    # Then TLS names the host (SNI), the certificate is accepted for it, and the connection is reused
    assert all(result.ok for result in results), results
    assert server.sni == ["callback.test"]
    assert server.requests[0].headers["Host"] == f"callback.test:{server.port}"
    assert server.connections == 1


def test_https_certificate_for_the_address_but_not_the_host_is_rejected(serve: Callable[..., Server], pki: Pki) -> None:
    # Given a certificate valid for 127.0.0.1 and other.test, but not for callback.test
    server = serve(tls=pki.server_context("other.test", ips=("127.0.0.1",)))
    with CallbackSender(
        allow_private=True, resolver=resolver_for(["127.0.0.1"]), ssl_context=pki.client_context()
    ) as sender:
        result = sender.post(server.url(host="callback.test"), b"{}", {"Elements-Webhook-Signature": SIGNATURE})
    # Then it is checked against the host name, not the address connected to
    assert not result.ok and result.status_code is None
    assert result.error is not None
    assert result.error.startswith(f"could not connect to 127.0.0.1:{server.port}: TLS certificate rejected")
    assert "callback.test" in result.error
    assert server.requests == []


def test_https_untrusted_certificate_is_rejected(serve: Callable[..., Server], pki: Pki) -> None:
    server = serve(tls=pki.server_context("callback.test"))
    with CallbackSender(allow_private=True, resolver=resolver_for(["127.0.0.1"])) as sender:  # default trust
        result = sender.post(server.url(host="callback.test"), b"{}", {})
    assert not result.ok
    assert result.error is not None and "TLS certificate rejected" in result.error
    assert server.requests == []
