"""The vendor's `Authorization: User <secret>, Organization <secret>[, Element <token>]` scheme.

Secrets are random and long, so a plain SHA-256 is the right hash: it lets us find the holder by hash
without storing the secret, and a brute force of 256 random bits is not a threat model.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from srevents.errors import Unauthorized

_PARTS = {"user": "user", "organization": "organization", "element": "element"}
_MAX_HEADER = 2048


@dataclass(frozen=True)
class Credentials:
    user_secret: str
    organization_secret: str
    element_token: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling, once their secrets matched."""

    organization_id: int
    user_id: int


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))


def parse_authorization(header: str | None) -> Credentials:
    """Parse the header; any malformation is a 401 that does not echo the header."""
    if not header or not header.strip():
        raise Unauthorized("missing Authorization header: expected 'User <secret>, Organization <secret>'")
    if len(header) > _MAX_HEADER:
        raise Unauthorized("malformed Authorization header")
    found: dict[str, str] = {}
    for part in header.split(","):
        words = part.strip().split()
        if len(words) != 2 or words[0].lower() not in _PARTS:
            raise Unauthorized(
                "malformed Authorization header: expected 'User <secret>, Organization <secret>[, Element <token>]'"
            )
        kind = _PARTS[words[0].lower()]
        if kind in found:
            raise Unauthorized(f"malformed Authorization header: {words[0]} given twice")
        found[kind] = words[1]
    if "user" not in found or "organization" not in found:
        raise Unauthorized("Authorization header must carry both User and Organization secrets")
    return Credentials(found["user"], found["organization"], found.get("element"))
