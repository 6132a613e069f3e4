"""Where callbacks may go: the guard against server-side request forgery (docs/DESIGN.md §2, §7).

A callback URL is chosen by a customer, so without this guard the service could be made to
POST into its own network: the cloud metadata endpoint, loopback services, a VPC's private
hosts. The guard runs twice:

- when an instance is created (`check_callback_url`): the URL's shape, literal addresses and
  well-known local names, and optionally what the host resolves to;
- at every delivery (`check_host`): the host is resolved again and every answer is checked,
  and the sender then connects to one of exactly those addresses, so a DNS answer that changes
  between check and connect (DNS rebinding) cannot redirect the request.

Policy decisions:
- Only globally routable unicast addresses are allowed. An attacker controls the DNS answers
  for their own name, so one forbidden address among the answers rejects the whole host.
- IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-translated, NAT64, 6to4, Teredo) are judged
  by the address they carry: `::ffff:127.0.0.1` is loopback.
- `allow_private=True` (the local stack, or a deployment that delivers inside its own network)
  lifts every restriction except one: cloud metadata endpoints (addresses and names) stay
  forbidden always, because reaching them leaks the function's own credentials and no
  legitimate callback lives there.
- Literal IPv4 addresses are read the way `inet_aton` and browsers read them, so decimal,
  octal and hex forms (`http://2130706433/`, `http://0x7f.1/`) are recognised, not passed on
  to a resolver that would quietly turn them into 127.0.0.1.

Messages are predicates meant to follow a field name ("… resolves to 10.0.0.5, a private
address") and never repeat a URL's userinfo or query, which may carry secrets.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]
"""`socket.getaddrinfo` or a stand-in for it: called as `resolver(host, port)`."""

MAX_URL_LENGTH = 2048

DEFAULT_PORTS = {"http": 80, "https": 443}


class CallbackUrlError(ValueError):
    """A callback URL that cannot be used. The message is a predicate without a field name."""


class ForbiddenAddressError(CallbackUrlError):
    """The host is, or resolves to, an address (or a name) that callbacks must not reach.

    `address` is the offending address when there is one; `problem` names its class.
    """

    def __init__(self, message: str, *, address: str | None = None, problem: str | None = None) -> None:
        super().__init__(message)
        self.address = address
        self.problem = problem


# --- addresses -----------------------------------------------------------------------------

_CLOUD_METADATA = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OCI, DigitalOcean... instance metadata
        "169.254.170.2",  # AWS ECS / Fargate task credentials
        "169.254.170.23",  # AWS EKS Pod Identity agent
        "100.100.100.200",  # Alibaba Cloud instance metadata
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "fd00:ec2::23",  # AWS EKS Pod Identity agent over IPv6
    )
)

_IPV4_RULES = tuple(
    (ipaddress.IPv4Network(network), problem)
    for network, problem in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),  # the retired 6to4 relay anycast
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)

_IPV6_RULES = tuple(
    (ipaddress.IPv6Network(network), problem)
    for network, problem in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "reserved"),  # the deprecated IPv4-compatible form
        ("::ffff:0:0:0/96", "IPv4-translated"),  # SIIT-internal, never routed on the internet
        ("64:ff9b:1::/48", "private"),  # local-use NAT64
        ("100::/64", "reserved"),  # discard-only
        ("2001:2::/48", "benchmarking"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "unique local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)

_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 (SIIT): ::ffff:0:a.b.c.d
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, list[ipaddress.IPv4Address]] | None:
    """The IPv4 addresses an IPv6 address stands for, with the name of the embedding."""
    if address in _IPV4_MAPPED:
        return "IPv4-mapped", [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address in _IPV4_TRANSLATED:
        return "IPv4-translated", [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address in _NAT64:
        return "NAT64-embedded", [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return "6to4-embedded", [address.sixtofour]
    if address.teredo is not None:
        return "Teredo-embedded", list(address.teredo)
    return None


def _as_address(ip: str | IPAddress) -> IPAddress:
    """The address itself; an IPv6 zone (`fe80::1%eth0`) does not change what it is."""
    address = ip if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address) else ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return ipaddress.IPv6Address(int(address))
    return address


def is_cloud_metadata(ip: str | IPAddress) -> bool:
    """True for a cloud metadata endpoint, also when carried inside an IPv6 address."""
    address = _as_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and any(inner in _CLOUD_METADATA for inner in embedded[1]):
            return True
    return address in _CLOUD_METADATA


def address_problem(ip: str | IPAddress) -> str | None:
    """None for a globally routable unicast address; otherwise the name of its class.

    Raises ValueError for something that is not an IP address.
    """
    address = _as_address(ip)
    if address in _CLOUD_METADATA:
        return "cloud metadata"
    if isinstance(address, ipaddress.IPv4Address):
        rules: Sequence[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = _IPV4_RULES
    else:
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            kind, inner_addresses = embedded
            problems = [problem for problem in map(address_problem, inner_addresses) if problem]
            if problems:
                return f"{kind} {problems[0]}"
            if kind in ("IPv4-mapped", "NAT64-embedded"):
                return None  # a translation of a public IPv4 address: as good as the address itself
        rules = _IPV6_RULES
    for network, problem in rules:
        if address in network:
            return problem
    # Anything else the standard library does not consider global (new IANA special-purpose
    # blocks, the rest of 2001::/23, Teredo...) is refused rather than guessed about.
    return None if address.is_global else "reserved"


def _article(problem: str) -> str:
    return "an" if problem[0] in "aeiouAEIOU" and not problem.startswith("uni") else "a"


def _forbidden(address: str, allow_private: bool) -> str | None:
    """The problem that forbids `address` under this policy, or None when it may be used."""
    problem = address_problem(address)
    if problem is None:
        return None
    if allow_private and not is_cloud_metadata(address):
        return None
    return problem


# --- resolution ----------------------------------------------------------------------------


def resolve(host: str, port: int, resolver: Resolver = socket.getaddrinfo) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6), without duplicates, in resolver order.

    The resolver's order is kept because it is the system's preference order (RFC 6724).
    Resolution errors (`socket.gaierror`, `UnicodeError` for impossible names) propagate.
    """
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in resolver(host, port):
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _check_addresses(verb: str, addresses: Sequence[str], allow_private: bool) -> None:
    for address in addresses:
        problem = _forbidden(address, allow_private)
        if problem is not None:
            raise ForbiddenAddressError(
                f"{verb} {address}, {_article(problem)} {problem} address", address=address, problem=problem
            )


def check_host(host: str, port: int, *, allow_private: bool, resolver: Resolver = socket.getaddrinfo) -> list[str]:
    """Resolve `host` and return its addresses if every one of them may be reached.

    This is the delivery-time check: the caller must connect to one of the returned addresses
    and to nothing else. An IP literal is checked as it is, without asking the resolver.

    Raises ForbiddenAddressError when any address is forbidden, or ("does not resolve") when
    resolution fails or returns nothing.
    """
    literal = _literal_address(host)
    if literal is not None:
        addresses = [str(literal)]
        _check_addresses("points at", addresses, allow_private)
        return addresses
    try:
        addresses = resolve(host, port, resolver)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise ForbiddenAddressError("does not resolve", problem="does not resolve")
    _check_addresses("resolves to", addresses, allow_private)
    return addresses


# --- URLs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackTarget:
    """A parsed callback URL: where to connect and what to put on the request line."""

    scheme: str
    host: str
    """Lower-case ASCII (IDNA) name, or the canonical form of an IP literal (no brackets)."""
    port: int
    request_target: str
    """Path and query, percent-encoded as they go on the request line; never empty."""

    @property
    def host_header(self) -> str:
        """The `Host` header: the original name (bracketed if IPv6), with the port if not default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"


_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+", re.IGNORECASE)
_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?")
# Characters left as they are when a path or query is made safe for the request line.
_SAFE_IN_TARGET = "/?:@!$&'()*+,;=-._~%"


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Read `host` as IPv4 the way inet_aton and browsers do, when its last label is a number.

    `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` are all 127.0.0.1. A host whose last label
    is numeric but that is not a valid address (`1.2.3.256`, `example.123`) is refused rather
    than handed to a resolver. Returns None for a host name.
    """
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # a trailing dot
    if not _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None
    invalid = CallbackUrlError("host is not a valid IPv4 address")
    if len(labels) > 4 or not all(_NUMERIC_LABEL.fullmatch(label) for label in labels):
        raise invalid
    try:
        numbers = [
            int(label[2:] or "0", 16)
            if label[:2].lower() == "0x"
            else int(label, 8)
            if len(label) > 1 and label.startswith("0")
            else int(label)
            for label in labels
        ]
    except ValueError:
        raise invalid from None  # e.g. "08", not octal
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise invalid
    value = last
    for position, number in enumerate(leading):
        value += number << (8 * (3 - position))
    return ipaddress.IPv4Address(value)


def _normalise_host(raw_host: str, bracketed: bool) -> str:
    if bracketed:
        try:
            return str(ipaddress.IPv6Address(raw_host))
        except ValueError:
            raise CallbackUrlError("host is not a valid IPv6 address") from None
    try:
        # IDNA maps look-alikes too: fullwidth letters and digits, ideographic full stops.
        host = raw_host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise CallbackUrlError("host is not a valid host name") from None
    legacy = _legacy_ipv4(host)
    if legacy is not None:
        return str(legacy)
    if not _HOST_NAME.fullmatch(host) or len(host.rstrip(".")) > 253:
        raise CallbackUrlError("host is not a valid host name")
    return host.rstrip(".")


def parse_callback_url(url: str, *, allow_http: bool) -> CallbackTarget:
    """Check a callback URL's shape and split it into what a connection needs.

    The sender parses with this same function, so what was validated is what gets contacted.
    Raises CallbackUrlError.
    """
    schemes = ("http", "https") if allow_http else ("https",)
    shape = "must be an absolute http or https URL" if allow_http else "must be an absolute https URL"
    if not isinstance(url, str) or not url:
        raise CallbackUrlError(shape)
    if len(url) > MAX_URL_LENGTH:
        raise CallbackUrlError(f"must be at most {MAX_URL_LENGTH} characters long")
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise CallbackUrlError("must not contain spaces or control characters")
    if "\\" in url:
        raise CallbackUrlError("must not contain backslashes")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise CallbackUrlError("is not a valid URL") from None
    if parts.scheme.lower() not in schemes or not parts.netloc:
        raise CallbackUrlError(shape)
    if "@" in parts.netloc:
        raise CallbackUrlError("must not contain credentials (user:password@)")
    try:
        port = parts.port
    except ValueError:
        raise CallbackUrlError("port must be a number from 1 to 65535") from None
    if port == 0:
        raise CallbackUrlError("port must be a number from 1 to 65535")
    raw_host = parts.hostname
    if not raw_host:
        raise CallbackUrlError("must name a host")
    scheme = parts.scheme.lower()
    host = _normalise_host(raw_host, bracketed=parts.netloc.startswith("["))
    request_target = quote(parts.path or "/", safe=_SAFE_IN_TARGET)
    if parts.query:
        request_target += "?" + quote(parts.query, safe=_SAFE_IN_TARGET)
    return CallbackTarget(scheme, host, port or DEFAULT_PORTS[scheme], request_target)


_METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "instance-data", "instance-data.ec2.internal"})
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa")


def _check_name(host: str, allow_private: bool) -> None:
    if host in _METADATA_NAMES:
        raise ForbiddenAddressError(f"points at {host}, a cloud metadata host name", problem="cloud metadata")
    if not allow_private and (host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES)):
        raise ForbiddenAddressError(f"points at {host}, a local-only host name", problem="local name")


def check_callback_url(url: str, *, allow_http: bool, allow_private: bool, resolver: Resolver | None = None) -> None:
    """Validate a callback URL when an instance is created or updated.

    Checks the shape (absolute, https or allowed http, a host, no userinfo, a valid port), IP
    literals in every notation, and well-known local and metadata names. With a `resolver`,
    the host's current addresses are checked too. If resolution *fails*, the URL is accepted:
    the receiver's DNS may not be set up yet, a transient failure should not block creation,
    and the delivery-time check (`check_host`) is the authoritative one anyway.

    Raises CallbackUrlError; ForbiddenAddressError (a subclass) for forbidden destinations.
    """
    target = parse_callback_url(url, allow_http=allow_http)
    literal = _literal_address(target.host)
    if literal is not None:
        _check_addresses("points at", [target.host], allow_private)
        return
    _check_name(target.host, allow_private)
    if resolver is None:
        return
    try:
        addresses = resolve(target.host, target.port, resolver)
    except (OSError, UnicodeError):
        return
    _check_addresses("resolves to", addresses, allow_private)
