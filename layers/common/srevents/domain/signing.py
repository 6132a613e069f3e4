"""Signatures of event notifications (docs/DESIGN.md §6).

Two schemes are sent side by side, both HMAC-SHA256 over exactly the bytes that go on the wire:

- the vendor's `Elements-Webhook-Signature: sha256=<base64 HMAC(key, body)>`, which existing
  receivers of the hosted platform already verify;
- the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`), so a
  receiver can use the `standardwebhooks` or `svix` libraries instead of writing HMAC code.

Keys are secrets: nothing here logs, and no error message contains a key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

WHSEC_PREFIX = "whsec_"

ELEMENTS_ID_HEADER = "Elements-Webhook-Id"
ELEMENTS_SIGNATURE_HEADER = "Elements-Webhook-Signature"
STANDARD_ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"


def _hmac_sha256_base64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def elements_signature(key: str, body: bytes) -> str:
    """The vendor signature: `sha256=` + standard base64 (padded) of HMAC-SHA256(UTF-8 key, body)."""
    return "sha256=" + _hmac_sha256_base64(key.encode("utf-8"), body)


def standard_webhooks_key_bytes(key: str) -> bytes:
    """The HMAC key of the Standard Webhooks signature.

    A `whsec_...` key is what Standard Webhooks tooling generates: base64 after the prefix, decoded
    here. Any other key (such as the vendor-style keys customers already have) is used as its UTF-8
    bytes, so one configured key serves both schemes.

    Raises ValueError (without echoing the key) when a `whsec_` key is not valid base64.
    """
    if not key.startswith(WHSEC_PREFIX):
        return key.encode("utf-8")
    encoded = key[len(WHSEC_PREFIX) :]
    # Secrets are sometimes shown without base64 padding; restore it before decoding strictly.
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a signature key starting with whsec_ must be base64 after the prefix") from None
    if not decoded:
        raise ValueError("a signature key starting with whsec_ must not be empty after the prefix")
    return decoded


def standard_webhooks_signature(key: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256(key bytes, "{id}.{timestamp}." + body)>` (Standard Webhooks, version 1)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + _hmac_sha256_base64(standard_webhooks_key_bytes(key), signed)


def signature_headers(key: str | None, notification_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every signature-related header of one POST.

    `Elements-Webhook-Id` is always sent, so receivers can deduplicate even unsigned
    notifications. The signature headers are added only with a key; an empty key counts as no key
    (an HMAC under an empty key would prove nothing). `timestamp` is Unix seconds and should be
    the time of sending: Standard Webhooks receivers reject timestamps more than 5 minutes off.
    """
    headers = {ELEMENTS_ID_HEADER: notification_id}
    if key:
        headers[ELEMENTS_SIGNATURE_HEADER] = elements_signature(key, body)
        headers[STANDARD_ID_HEADER] = notification_id
        headers[STANDARD_TIMESTAMP_HEADER] = str(timestamp)
        headers[STANDARD_SIGNATURE_HEADER] = standard_webhooks_signature(key, notification_id, timestamp, body)
    return headers


def receiver_secret_for_standard_webhooks(key: str) -> str:
    """What a receiver passes to `standardwebhooks.Webhook(...)` (or svix) to verify our signatures.

    Those libraries expect `whsec_` + base64 of the key bytes. A `whsec_` key already is that; a
    plain key is its UTF-8 bytes, so it is base64-encoded and prefixed.
    """
    if key.startswith(WHSEC_PREFIX):
        return key
    return WHSEC_PREFIX + base64.b64encode(key.encode("utf-8")).decode("ascii")
