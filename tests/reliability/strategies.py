"""Hypothesis strategies for requests to the instances API: bodies, headers, path ids and query strings.

Bodies start mostly from the seed's `POST /instances` body and break it in the ways a client might: a key
missing, a value of another type or shape, a near-miss of a valid value, an unknown key, a hostile URL or
date pattern, numbers JSON allows but a database may not hold. The rest is arbitrary JSON, text that is
not JSON at all, and bodies over the size limit.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from srevents.domain.instance_config import MASK
from tests.support.fixtures import seed_body

MAX_BODY = 64 * 1024

# -- scalars and JSON ---------------------------------------------------------------------------

TRICKY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "15",
        " 15 ",
        "0",
        "-1",
        "1441",
        "1e3",
        "15.5",
        "١٥",  # Arabic-Indic digits
        "²",  # a digit to str.isdigit(), not to int()
        "true",
        "TRUE",
        "yes",
        "polling",
        "webhook",
        MASK,
        "null",
        "\u0000",
        "é",
        "🦄",
        "x" * 300,
        "${gmtDate:yyyy}",
        "${",
        "' OR '1'='1",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "%00",
        "\u202e",
        "candidates",
        "users",
        "jobs",
        "smartrecruiters",
    ]
)
TEXT = st.one_of(TRICKY_TEXT, st.text(max_size=40))
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**45), max_value=10**45),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 15, 1440, 1441, -1, 2**63, 1.5, 15.0, 1e-200, 1e300, 10**38, 10**39]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.one_of(TEXT, st.just("url")), children, max_size=4)
    ),
    max_leaves=10,
)

# -- URLs and patterns --------------------------------------------------------------------------

HOSTS = st.sampled_from(
    [
        "hooks.example.com",
        "unresolvable.example.com",
        "localhost",
        "metadata.google.internal",
        "printer.local",
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "10.0.0.5",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[fd00:ec2::254]",
        "[fe80::1%25eth0]",
        "[64:ff9b::a00:1]",
        "[2002:7f00:1::]",
        "93.184.216.34",
        "[2606:2800:220:1:248:1893:25c8:1946]",
        "ｅｘａｍｐｌｅ.com",
        "xn--e1afmkfd.example",
        "a" * 70 + ".example.com",
        "",
        "user:pass@hooks.example.com",
        "hooks.example.com:0",
        "hooks.example.com:99999",
        "hooks.example.com:443",
        "hooks.example.com:abc",
    ]
)
CALLBACK_URLS = st.one_of(
    st.builds(
        lambda scheme, host, path: f"{scheme}{host}{path}",
        st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "file://", "javascript:", "//", "https:/", ""]),
        HOSTS,
        st.sampled_from(["", "/", "/in", "/a b", "/%00", "/\\evil", "?token=1", "#frag", "/" + "p" * 2100]),
    ),
    TEXT,
)
JAVA_PATTERNS = st.one_of(
    st.sampled_from(
        [
            "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
            "yyyy-MM-dd'T'HH:mm:ssXXX",
            "EEE, dd MMM yyyy HH:mm:ss zzz",
            "yyyy-MM-dd'T'HH:mm:ss.SSS'",
            "'",
            "''",
            "Q",
            "yyyyyyyyyyyyyyyyyyyy",
            "S" * 30,
            "%Y-%m-%d",
            "",
        ]
    ),
    st.text(alphabet="yMdHhmsSXZzEaGkKuwWDFx'T:.- ", max_size=30),
)
POLL_URLS = st.one_of(
    st.builds(
        lambda base, where: base + where,
        st.sampled_from(
            [
                "/hubs/humancapital/candidates",
                "/hubs/humancapital/jobs",
                "/hubs/humancapital/users",
                "/hubs/humancapital/applications",
                "/hubs/crm/candidates",
                "https://evil.example/hubs/humancapital/candidates",
                "/hubs/humancapital/candidates/../../admin",
                "",
            ]
        ),
        st.one_of(
            st.sampled_from(
                [
                    "",
                    "?where=updatedAfter='${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}'",
                    "?where=updatedAfter='${epoch}'",
                    "?where=updatedAfter='${epoch:us}' and status='NEW'",
                    "?where=updatedAfter='${date:yyyy-MM-dd}' or 1=1",
                    "?where=lastActivityAfter='${gmtDate:yyyy}'",
                    "?where=updatedAfter='${unknown}'",
                    "?where=updatedAfter='${gmtDate:'}'",
                    "?where=",
                    "?limit=1000",
                    "?where=updatedAfter=${gmtDate:yyyy}",
                ]
            ),
            st.builds(lambda p: f"?where=updatedAfter='${{gmtDate:{p}}}'", JAVA_PATTERNS),
            TEXT.map(lambda t: "?" + t),
        ),
    ),
    TEXT,
)
SECRETS = st.one_of(
    st.just("sr-fuzz-key-7Hq2LmP9xZ"), st.just(MASK), TEXT, st.builds(lambda n: "k" * n, st.integers(0, 5000))
)

# Values a given key of the body may be mutated to, by dotted path of the key (seed body layout).
FIELD_VALUES: dict[str, Any] = {
    "configuration.event.notification.callback.url": CALLBACK_URLS,
    "configuration.event.poller.refresh_interval": st.one_of(NUMBERS, TEXT),
    "configuration.event.notification.enabled": st.one_of(st.booleans(), TEXT, NUMBERS),
    "configuration.event.vendor.type": TEXT,
    "configuration.api.key": SECRETS,
    "configuration.event.notification.signature.key": SECRETS,
    "url": POLL_URLS,
    "updatedDateFormat": JAVA_PATTERNS,
    "createdDateFormat": JAVA_PATTERNS,
    "updatedDateTimezone": st.one_of(
        st.sampled_from(["GMT", "UTC", "Europe/Warsaw", "PST", "GMT+25:00", "Mars/Olympus", "../../etc/localtime"]),
        TEXT,
    ),
    "idField": st.one_of(st.sampled_from(["id", "user.id", "a..b", ".id", "id.", "$id", "x" * 300]), TEXT),
    "pollDelay": st.one_of(NUMBERS, TEXT),
    "createdCheckTolerance": st.one_of(NUMBERS, TEXT),
}
UNKNOWN_KEYS = st.sampled_from(
    [
        "event.notification.enable",
        "event.poller.refreshInterval",
        "event.vendor.typ",
        "nam",
        "tag",
        "extra",
        "__proto__",
    ]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out.extend(_paths(child, (*prefix, index)))
    return out


def _values_for(path: tuple[Any, ...]) -> Any:
    dotted = ".".join(map(str, path))
    last = str(path[-1])
    for key, strategy in FIELD_VALUES.items():
        if dotted == key or last == key:
            return st.one_of(strategy, JSON)
    return JSON


@st.composite
def mutated(draw: Any, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with one to three mutations: a key removed, replaced, or an unknown key added."""
    body = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(body)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = body
        for step in path[:-1]:
            parent = parent[step]
        operation = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add", "stringify"]))
        key = path[-1]
        if operation == "remove" and isinstance(parent, dict):
            del parent[key]
        elif operation == "add" and isinstance(parent, dict):
            parent[draw(st.one_of(UNKNOWN_KEYS, TEXT))] = draw(JSON)
        elif operation == "stringify" and isinstance(parent[key], dict | list):
            parent[key] = json.dumps(parent[key])  # the vendor's JSON-encoded-string form
        else:
            parent[key] = draw(_values_for(path))
    return body


SEED = seed_body()
NOT_JSON = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "{",
            "[" * 5000,
            '{"a":' * 3000 + "1" + "}" * 3000,
            '{"name": ' + "9" * 5000 + "}",
            '{"name": NaN}',
            '{"name": Infinity}',
            '{"name": "\\ud800"}',
            '{"name": "a", "name": "b"}',
            "\ufeff{}",
            "null",
            "[]",
            '"just a string"',
            "   ",
            "{'single': 'quotes'}",
        ]
    ),
)


def _oversized(body: dict[str, Any]) -> str:
    body = copy.deepcopy(body)
    body["name"] = "n" * MAX_BODY
    return json.dumps(body)


def _as_text(body: Any) -> str:
    return json.dumps(body, allow_nan=True)


def _with_extra_settings(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Keys other than `event.*` are the client's own settings: kept and echoed back (README)."""
    body = copy.deepcopy(body)
    if isinstance(body.get("configuration"), dict):
        body["configuration"].update(extra)
    return body


EXTRA_SETTINGS = st.dictionaries(st.one_of(st.sampled_from(["region", "note", "retries"]), TEXT), SCALARS, max_size=3)


def instance_bodies() -> Any:
    """`POST /instances` bodies, as the raw text sent."""
    return st.one_of(
        mutated(SEED).map(_as_text),
        mutated(SEED).map(_as_text),
        st.builds(_with_extra_settings, mutated(SEED), EXTRA_SETTINGS).map(_as_text),
        JSON.map(_as_text),
        NOT_JSON,
        st.just(SEED).map(_oversized),
    )


PATCH_BASE = {
    "name": "renamed",
    "tags": ["a", "b"],
    "configuration": {
        "event.poller.refresh_interval": 30,
        "event.notification.callback.url": "https://hooks.example.com/in",
        "event.notification.signature.key": None,
        "event.poller.configuration": SEED["configuration"]["event.poller.configuration"],
    },
}


def patch_bodies() -> Any:
    """`PATCH /instances/{id}` bodies, as the raw text sent."""
    partial = st.dictionaries(
        st.sampled_from(["name", "tags", "configuration"]), st.just(None), min_size=1, max_size=3
    ).flatmap(lambda keys: mutated({k: copy.deepcopy(PATCH_BASE[k]) for k in keys}))
    return st.one_of(
        partial.map(_as_text),
        mutated(PATCH_BASE).map(_as_text),
        st.builds(_with_extra_settings, mutated(PATCH_BASE), EXTRA_SETTINGS).map(_as_text),
        JSON.map(_as_text),
        NOT_JSON,
    )


# -- headers, ids, queries ----------------------------------------------------------------------

HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80
)
AUTH_KINDS = st.sampled_from(["User", "user", "USER", "Organization", "organization", "Org", "Element", "Bearer", ""])
AUTH_VALUES = st.sampled_from(["{U}", "{O}", "{T}", "{U}x", "{O}x", "x{T}", "{O}{U}", "{T2}", "{U2}", "{O2}", ""])


@st.composite
def authorization_templates(draw: Any) -> str:
    """Authorization header shapes with `{U}` `{O}` `{T}` standing for the caller's user and organization
    secrets and an instance token (`{U2}` `{O2}` `{T2}`: another organization's, another instance's)."""
    kind = draw(st.sampled_from(["parts", "parts", "text", "long"]))
    if kind == "text":
        return draw(HEADER_TEXT)
    if kind == "long":
        return "User {U}, Organization {O}, Element " + "t" * draw(st.integers(2000, 3000))
    parts = draw(st.lists(st.tuples(AUTH_KINDS, AUTH_VALUES, HEADER_TEXT), min_size=0, max_size=4))
    separator = draw(st.sampled_from([", ", ",", " , ", ";", " ", ",,"]))
    rendered = []
    for name, value, noise in parts:
        rendered.append(draw(st.sampled_from([f"{name} {value}", f"{name}  {value}", f"{name}{value}", noise])))
    return separator.join(rendered)


PATH_IDS = st.one_of(
    st.sampled_from(
        ["0", "-1", "00", "9" * 19, "9" * 40, "1.0", "1e3", "²", "١", "0x1", " 1", "1 ", "%31", "null", "..", "1;2"]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=30),
    st.integers(min_value=2**31, max_value=10**17).map(str),
)
QUERY_NAMES = st.sampled_from(["tag", "limit", "cursor", "status", "LIMIT", "limit[]", "x", ""])
QUERY_VALUES = st.one_of(
    st.sampled_from(["", "0", "1", "100", "101", "-5", "²", "DELIVERED", "delivered", "eyJuIjogMX0", "e30", "%%"]),
    st.text(max_size=40),
)
QUERIES = st.lists(st.tuples(QUERY_NAMES, QUERY_VALUES), max_size=4).map(urlencode)
