"""SmartRecruiters' webhook callbacks: what they sign and how a callback is checked (docs/DESIGN.md, "Real time").

A callback carries `smartrecruiters-timestamp` (Unix seconds) and `smartrecruiters-signature`, a `;`-separated
list of `scheme=value` segments. Scheme `v1` is the hex HMAC-SHA256, under one of the subscription's secret
keys, of `{timestamp}.{body}.{event-id}.{event-name}.{event-version}.{link}` (an absent header is an empty
string). Several segments come when several keys are live (a rotated key stays valid for 24 hours).

`verify` accepts a callback when any `v1` value matches any key not yet expired (compared in constant time)
and the timestamp is within `TOLERANCE_SECONDS` of now. It says why it refused, for the log; the caller
answers every refusal the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SIGNATURE_HEADER = "smartrecruiters-signature"
TIMESTAMP_HEADER = "smartrecruiters-timestamp"
EVENT_ID_HEADER = "event-id"
EVENT_NAME_HEADER = "event-name"
EVENT_VERSION_HEADER = "event-version"
LINK_HEADER = "link"
SCHEME = "v1"
TOLERANCE_SECONDS = 300
MAX_SEGMENTS = 32  # SmartRecruiters allows 16 live keys; a header with more segments is not theirs
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class SecretKey:
    value: str
    expires_ms: int | None = None  # None: the newest key, valid until a newer one replaces it

    def live(self, now_ms: int) -> bool:
        return self.expires_ms is None or now_ms < self.expires_ms


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""  # for the log only: never sent back to the caller


def lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Header names are case-insensitive: one lower-cased map (the last value of a repeated name)."""
    return {str(name).lower(): str(value) for name, value in (headers or {}).items()}


def signed_content(headers: Mapping[str, str], body: bytes) -> bytes:
    """The bytes a `v1` signature covers (`headers` lower-cased)."""

    def header(name: str) -> bytes:
        return headers.get(name, "").encode("utf-8")

    return b".".join(
        (
            header(TIMESTAMP_HEADER),
            body,
            header(EVENT_ID_HEADER),
            header(EVENT_NAME_HEADER),
            header(EVENT_VERSION_HEADER),
            header(LINK_HEADER),
        )
    )


def sign(secret: str, headers: Mapping[str, str], body: bytes) -> str:
    """The `v1=<hex>` segment SmartRecruiters sends for `secret` (`headers` lower-cased)."""
    digest = hmac.new(secret.encode("utf-8"), signed_content(headers, body), hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def _v1_values(header: str) -> list[str] | None:
    """The `v1` values of a signature header; None when the header is malformed."""
    segments = [s.strip() for s in header.split(";")]
    if not header.strip() or len(segments) > MAX_SEGMENTS:
        return None
    values = []
    for segment in segments:
        scheme, sep, value = segment.partition("=")
        if not sep or not scheme.strip() or not value.strip():
            return None
        if scheme.strip() == SCHEME:
            value = value.strip().lower()
            if len(value) != 64 or not set(value) <= _HEX:
                return None
            values.append(value)
    return values


def precheck(headers: Mapping[str, str], now_ms: int) -> Verdict:
    """What can be refused without any key (`headers` lower-cased): a timestamp missing, malformed or not fresh,
    a signature header malformed or without a `v1` value. The inbound route checks this before it reads the
    instance and opens its keys, so junk costs neither."""
    raw_timestamp = headers.get(TIMESTAMP_HEADER, "").strip()
    if not (raw_timestamp.isascii() and raw_timestamp.isdigit()) or len(raw_timestamp) > 12:
        return Verdict(False, "missing or malformed smartrecruiters-timestamp")
    if abs(int(raw_timestamp) * 1000 - now_ms) > TOLERANCE_SECONDS * 1000:
        return Verdict(False, "stale smartrecruiters-timestamp (more than 5 minutes from now)")
    values = _v1_values(headers.get(SIGNATURE_HEADER, ""))
    if values is None:
        return Verdict(False, "missing or malformed smartrecruiters-signature")
    if not values:
        return Verdict(False, "no v1 signature")
    return Verdict(True)


def verify(headers: Mapping[str, str], body: bytes, keys: Iterable[SecretKey], now_ms: int) -> Verdict:
    """Whether a callback is SmartRecruiters' own, fresh, for a subscription with these keys (`headers`
    lower-cased)."""
    early = precheck(headers, now_ms)
    if not early.ok:
        return early
    values = _v1_values(headers.get(SIGNATURE_HEADER, "")) or []
    live = [k for k in keys if k.live(now_ms)]
    if not live:
        return Verdict(False, "no live secret key for this subscription")
    matched = False
    for key in live:
        expected = sign(key.value, headers, body)[len(SCHEME) + 1 :].encode()
        for value in values:
            # Every comparison runs: how long the check takes says nothing about which key or value matched.
            matched |= hmac.compare_digest(expected, value.encode())
    return Verdict(True) if matched else Verdict(False, "signature does not match")
