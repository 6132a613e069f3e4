"""The SSRF guard (docs/DESIGN.md §2, §7): address classes, resolution, callback URL validation.

No test here touches the network: names are answered by fake resolvers.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srevents.domain.network_policy import (
    CallbackUrlError,
    ForbiddenAddressError,
    address_problem,
    check_callback_url,
    check_host,
    is_cloud_metadata,
    parse_callback_url,
    resolve,
)

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


def fullwidth(text: str) -> str:
    """The look-alike a browser or IDNA maps back: fullwidth characters, ideographic full stops."""
    return "".join("\u3002" if char == "." else chr(ord(char) + 0xFEE0) for char in text)


def fake_resolver(answers: dict[str, list[str]]) -> Callable[..., list[tuple]]:
    """A getaddrinfo stand-in: each name answers its addresses; unknown names do not resolve."""

    def resolver(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port),
            )
            for address in answers[host]
        ]

    return resolver


# --- address classes ---------------------------------------------------------------------

FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.5", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.170.2", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.255", "carrier-grade NAT"),
    ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:169.254.169.254", "IPv4-mapped cloud metadata"),
    ("64:ff9b::10.0.0.1", "NAT64-embedded private"),
    ("64:ff9b::127.0.0.1", "NAT64-embedded loopback"),
    ("64:ff9b:1::1", "private"),
    ("2002:0a00:0001::1", "6to4-embedded private"),
    ("2002:7f00:0001::", "6to4-embedded loopback"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo-embedded documentation"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.0.8", "reserved"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("2001:2::1", "benchmarking"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("fec0::1", "site-local"),
    ("100::1", "reserved"),
]


@pytest.mark.parametrize(("address", "problem"), FORBIDDEN)
def test_forbidden_address_classes(address: str, problem: str) -> None:
    assert address_problem(address) == problem


@pytest.mark.parametrize(
    "address",
    [
        PUBLIC_V4,
        "8.8.8.8",
        "1.1.1.1",
        "100.63.255.255",
        "100.128.0.0",
        "172.32.0.1",
        "11.0.0.1",
        PUBLIC_V6,
        "::ffff:8.8.8.8",
        "64:ff9b::8.8.8.8",
        "2002:0808:0808::1",
    ],
)
def test_global_addresses_have_no_problem(address: str) -> None:
    assert address_problem(address) is None


def test_address_problem_accepts_address_objects() -> None:
    assert address_problem(ipaddress.ip_address("10.1.2.3")) == "private"
    assert address_problem(ipaddress.ip_address("8.8.4.4")) is None


def test_address_problem_refuses_non_addresses() -> None:
    with pytest.raises(ValueError):
        address_problem("example.com")


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "fd00:ec2::254",
        "::ffff:169.254.169.254",
        "64:ff9b::169.254.169.254",
        "2002:a9fe:a9fe::1",
    ],
)
def test_cloud_metadata_in_every_form(address: str) -> None:
    assert is_cloud_metadata(address)


v4_addresses = st.integers(min_value=0, max_value=2**32 - 1).map(ipaddress.IPv4Address)


@given(v4_addresses)
def test_ipv6_embeddings_are_judged_by_the_ipv4_address_they_carry(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(int(ipaddress.IPv6Address("::ffff:0:0")) | int(address))
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(address))
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80) | 1)
    forbidden = address_problem(address) is not None
    assert (address_problem(mapped) is not None) == forbidden
    assert (address_problem(nat64) is not None) == forbidden
    if forbidden:  # 6to4 with a public address may still fall in a reserved block; the converse must hold
        assert address_problem(sixtofour) is not None


@given(st.one_of(v4_addresses, st.integers(min_value=0, max_value=2**128 - 1).map(ipaddress.IPv6Address)))
def test_allowed_addresses_are_global_by_the_standard_library_too(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    if address_problem(address) is None and not (
        isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None
    ):
        assert address.is_global


# --- resolution and check_host -------------------------------------------------------------


def test_resolve_returns_every_address_once_in_resolver_order() -> None:
    resolver = fake_resolver({"callback.test": [PUBLIC_V6, PUBLIC_V4, PUBLIC_V6, PUBLIC_V4]})
    assert resolve("callback.test", 443, resolver) == [PUBLIC_V6, PUBLIC_V4]


def test_check_host_returns_the_allowed_addresses() -> None:
    resolver = fake_resolver({"callback.test": [PUBLIC_V4, PUBLIC_V6]})
    assert check_host("callback.test", 443, allow_private=False, resolver=resolver) == [PUBLIC_V4, PUBLIC_V6]


@pytest.mark.parametrize("bad", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.1"])
def test_one_forbidden_answer_taints_the_host(bad: str) -> None:
    # Given a name whose DNS answers mix a public address with a forbidden one
    resolver = fake_resolver({"evil.test": [PUBLIC_V4, bad]})
    # Then the host is refused, naming the bad address and its class
    with pytest.raises(ForbiddenAddressError) as raised:
        check_host("evil.test", 443, allow_private=False, resolver=resolver)
    assert raised.value.address == bad
    assert str(raised.value) == f"resolves to {bad}, {'an' if bad.startswith('::ffff') else 'a'} " + (
        f"{address_problem(bad)} address"
    )


def test_message_reads_after_a_field_name() -> None:
    with pytest.raises(ForbiddenAddressError, match=r"^resolves to 10\.0\.0\.5, a private address$"):
        check_host("evil.test", 443, allow_private=False, resolver=fake_resolver({"evil.test": ["10.0.0.5"]}))


def test_allow_private_allows_loopback_and_private_but_never_metadata() -> None:
    resolver = fake_resolver({"local.test": ["127.0.0.1", "10.0.0.5", "fd12::1"], "meta.test": ["169.254.169.254"]})
    assert check_host("local.test", 80, allow_private=True, resolver=resolver) == [
        "127.0.0.1",
        "10.0.0.5",
        "fd12::1",
    ]
    with pytest.raises(ForbiddenAddressError, match="cloud metadata"):
        check_host("meta.test", 80, allow_private=True, resolver=resolver)
    with pytest.raises(ForbiddenAddressError, match="cloud metadata"):
        check_host("::ffff:169.254.169.254", 80, allow_private=True, resolver=resolver)


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(ForbiddenAddressError, match=r"^does not resolve$"):
        check_host("nowhere.test", 443, allow_private=False, resolver=fake_resolver({}))
    with pytest.raises(ForbiddenAddressError, match=r"^does not resolve$"):
        check_host("empty.test", 443, allow_private=False, resolver=fake_resolver({"empty.test": []}))


def test_ip_literal_is_checked_without_the_resolver() -> None:
    def no_resolver(*args: object) -> list[tuple]:
        raise AssertionError("an IP literal needs no resolution")

    assert check_host(PUBLIC_V4, 443, allow_private=False, resolver=no_resolver) == [PUBLIC_V4]
    with pytest.raises(ForbiddenAddressError, match=r"^points at 10\.0\.0\.5, a private address$"):
        check_host("10.0.0.5", 443, allow_private=False, resolver=no_resolver)


# --- callback URLs -------------------------------------------------------------------------


def check(url: str, *, allow_http: bool = False, allow_private: bool = False, resolver=None) -> None:
    check_callback_url(url, allow_http=allow_http, allow_private=allow_private, resolver=resolver)


def test_a_public_https_url_is_accepted() -> None:
    check("https://hooks.example.com/events?tenant=42")
    check(f"https://{PUBLIC_V4}:8443/hook")
    check(f"https://[{PUBLIC_V6}]/hook")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("hooks.example.com/events", "must be an absolute https URL"),
        ("/events", "must be an absolute https URL"),
        ("http://hooks.example.com/", "must be an absolute https URL"),
        ("ftp://hooks.example.com/", "must be an absolute https URL"),
        ("javascript:alert(1)", "must be an absolute https URL"),
        ("https:///events", "must be an absolute https URL"),
        ("", "must be an absolute https URL"),
        ("https://hooks.example.com:0/", "port must be a number from 1 to 65535"),
        ("https://hooks.example.com:65536/", "port must be a number from 1 to 65535"),
        ("https://hooks.example.com:https/", "port must be a number from 1 to 65535"),
        ("https://hooks.example.com/a b", "must not contain spaces or control characters"),
        ("https://hooks.example.com/\nX-Injected: 1", "must not contain spaces or control characters"),
        ("https://hooks.example.com\\@evil.test/", "must not contain backslashes"),
        ("https://hooks..example.com/", "host is not a valid host name"),
        ("https://hooks.exa%6dple.com/", "host is not a valid host name"),
        ("https://1.2.3.256/", "host is not a valid IPv4 address"),
        ("https://example.123/", "host is not a valid IPv4 address"),
        ("https://08.0.0.1/", "host is not a valid IPv4 address"),
        ("https://[not-v6]/", "is not a valid URL"),
        ("https://" + "a" * 2048 + ".com/", "must be at most 2048 characters long"),
    ],
)
def test_malformed_urls_are_rejected(url: str, message: str) -> None:
    with pytest.raises(CallbackUrlError) as raised:
        check(url)
    assert str(raised.value) == message


def test_http_only_where_allowed() -> None:
    check("http://hooks.example.com/", allow_http=True)
    with pytest.raises(CallbackUrlError, match=r"^must be an absolute http or https URL$"):
        check("ftp://hooks.example.com/", allow_http=True)


def test_userinfo_is_rejected_without_echoing_it() -> None:
    with pytest.raises(CallbackUrlError) as raised:
        check("https://admin:hunter2secret@hooks.example.com/?token=abc123secret")
    assert str(raised.value) == "must not contain credentials (user:password@)"
    assert "hunter2" not in str(raised.value)


def test_forbidden_messages_never_echo_the_query() -> None:
    with pytest.raises(ForbiddenAddressError) as raised:
        check("https://10.0.0.1/hook?token=abc123secret")
    assert "abc123secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://127.0.0.1/", "127.0.0.1"),
        ("http://2130706433/", "127.0.0.1"),
        ("http://0x7f.1/", "127.0.0.1"),
        ("http://0x7f000001/", "127.0.0.1"),
        ("http://0177.0.0.1/", "127.0.0.1"),
        ("http://127.1/", "127.0.0.1"),
        ("http://127.0.0.1./", "127.0.0.1"),
        ("http://[::1]/", "::1"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1"),
        ("http://[0:0:0:0:0:ffff:7f00:1]/", "::ffff:7f00:1"),
        ("http://0/", "0.0.0.0"),
        ("http://10.1/", "10.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://2852039166/", "169.254.169.254"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254"),
        (f"http://{fullwidth('127.0.0.1')}/", "127.0.0.1"),
    ],
)
def test_ip_literals_in_every_notation_are_checked(url: str, address: str) -> None:
    with pytest.raises(ForbiddenAddressError) as raised:
        check(url, allow_http=True)
    assert raised.value.address == address
    assert str(raised.value).startswith(f"points at {address}, ")


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST",
        "localhost.",
        "api.localhost",
        "printer.local",
        "db.internal",
        fullwidth("localhost"),
        "router.home.arpa",
    ],
)
def test_local_names_are_refused_unless_private_is_allowed(host: str) -> None:
    with pytest.raises(ForbiddenAddressError, match=r"a local-only host name$"):
        check(f"https://{host}/hook")
    check(f"https://{host}/hook", allow_private=True)


@pytest.mark.parametrize("host", ["metadata.google.internal", "instance-data", "metadata", "METADATA.google.internal."])
def test_metadata_names_are_always_refused(host: str) -> None:
    for allow_private in (False, True):
        with pytest.raises(ForbiddenAddressError, match=r"a cloud metadata host name$"):
            check(f"http://{host}/computeMetadata/v1/", allow_http=True, allow_private=allow_private)


def test_allow_private_allows_private_literals_but_not_metadata() -> None:
    check("http://127.0.0.1:8080/hook", allow_http=True, allow_private=True)
    check("https://10.0.0.5/hook", allow_private=True)
    with pytest.raises(ForbiddenAddressError, match="cloud metadata"):
        check("http://169.254.169.254/", allow_http=True, allow_private=True)


def test_with_a_resolver_every_address_is_checked() -> None:
    resolver = fake_resolver({"hooks.example.com": [PUBLIC_V4], "evil.test": [PUBLIC_V4, "10.0.0.5"]})
    check("https://hooks.example.com/", resolver=resolver)
    with pytest.raises(ForbiddenAddressError, match=r"^resolves to 10\.0\.0\.5, a private address$"):
        check("https://evil.test/", resolver=resolver)


def test_resolution_failure_at_creation_is_accepted() -> None:
    # Given a host that does not resolve (yet): creation accepts it, delivery will check again
    check("https://not-yet-registered.example.com/", resolver=fake_resolver({}))


def test_no_resolver_means_no_resolution() -> None:
    check("https://evil.test/")  # only the shape and the name are checked


def test_forbidden_address_error_is_a_callback_url_error_and_a_value_error() -> None:
    assert issubclass(ForbiddenAddressError, CallbackUrlError)
    assert issubclass(CallbackUrlError, ValueError)


# --- parsing ------------------------------------------------------------------------------


def test_parse_keeps_what_the_sender_needs() -> None:
    target = parse_callback_url("https://Hooks.Example.com:8443/a/b?x=1&y=%20#frag", allow_http=False)
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 8443)
    assert target.request_target == "/a/b?x=1&y=%20"
    assert target.host_header == "hooks.example.com:8443"


def test_parse_defaults_and_host_header() -> None:
    assert parse_callback_url("https://h.example.com", allow_http=False).request_target == "/"
    assert parse_callback_url("https://h.example.com", allow_http=False).host_header == "h.example.com"
    assert parse_callback_url("http://h.example.com", allow_http=True).port == 80
    assert parse_callback_url("http://[2001:db8::1]:81/", allow_http=True).host_header == "[2001:db8::1]:81"


def test_parse_encodes_international_names_and_paths() -> None:
    target = parse_callback_url("https://bücher.example/ä?q=é", allow_http=False)
    assert target.host == "xn--bcher-kva.example"
    assert target.request_target == "/%C3%A4?q=%C3%A9"


@given(v4_addresses)
def test_legacy_ipv4_notations_mean_the_same_address(address: ipaddress.IPv4Address) -> None:
    value = int(address)
    a, b, c, d = address.packed
    notations = [
        str(value),  # one number
        hex(value),
        f"{a}.{value & 0xFFFFFF}",  # two parts: the last fills three bytes
        f"{a}.{b}.{value & 0xFFFF}",  # three parts
        f"0{a:o}.0x{b:x}.{c}.0{d:o}",  # octal and hex parts
    ]
    for host in notations:
        assert parse_callback_url(f"http://{host}/", allow_http=True).host == str(address), host


# --- IPv4-translated addresses (::ffff:0:0:0/96, RFC 2765) --------------------------------------------------


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("::ffff:0:127.0.0.1", "IPv4-translated loopback"),
        ("::ffff:0:7f00:1", "IPv4-translated loopback"),
        ("::ffff:0:10.1.2.3", "IPv4-translated private"),
        ("::ffff:0:169.254.169.254", "IPv4-translated cloud metadata"),
        ("::ffff:0:93.184.216.34", "IPv4-translated"),  # not routable on the internet, whatever it carries
    ],
)
def test_ipv4_translated_addresses_are_forbidden(address: str, problem: str) -> None:
    assert address_problem(address) == problem


def test_an_ipv4_translated_metadata_address_is_metadata() -> None:
    assert is_cloud_metadata("::ffff:0:169.254.169.254")


def test_a_callback_to_an_ipv4_translated_loopback_is_refused() -> None:
    with pytest.raises(ForbiddenAddressError):
        check_callback_url("https://[::ffff:0:127.0.0.1]/hook", allow_http=False, allow_private=False)
