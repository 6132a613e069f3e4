"""SmartRecruiters' `smartrecruiters-signature` for webhook callbacks (vendor, `POST /subscriptions/{id}/secret-key`).

Scheme `v1`: hex HMAC-SHA256 under a subscription's secret key of the timestamp, the body, and the
`event-id`, `event-name`, `event-version` and `link` header values joined by `.` (an absent header
counts as an empty string). The header carries one `v1=<hex>` per valid key, `;`-separated.
Written here on its own, not taken from the service's verifier, so each checks the other.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

SCHEME = "v1"


def signed_content(timestamp: str, body: str, event_id: str, event_name: str, event_version: str, link: str) -> str:
    """What the `v1` signature is computed over."""
    return ".".join((timestamp, body, event_id, event_name, event_version, link))


def signature(secret: str, content: str) -> str:
    """`v1=<hex>` for one secret key."""
    digest = hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def signature_header(secrets: Iterable[str], content: str) -> str:
    """The `smartrecruiters-signature` value: one signature per secret key, newest first, `;`-separated."""
    return ";".join(signature(secret, content) for secret in secrets)
