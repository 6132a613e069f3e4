"""Reading a request: path ids, query strings and the JSON body, each checked once, here.

Every failure is a domain error the API maps in one place (api/errors.py): a malformed id names no
resource (404), a malformed query value or body is a 400 that names the field.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from srevents.domain.strict_json import DuplicateKeyError, duplicate_key_message, refuse_duplicate_keys
from srevents.errors import NotFound, PayloadTooLarge, ValidationError

_NOTIFICATION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def instance_id(raw: str) -> int:
    """Path ids are positive integers; anything else names no instance."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # not "²", which int() refuses
        raise NotFound(f"instance {raw[:40]!r} not found")
    return int(raw)


def notification_id(raw: str) -> str:
    """Notification ids are lower-case UUID-shaped; anything else names no notification."""
    if not _NOTIFICATION_ID.match(raw):
        raise NotFound(f"notification {raw[:64]!r} not found")
    return raw


def query(event: APIGatewayProxyEvent, name: str) -> str | None:
    return (event.query_string_parameters or {}).get(name)


INSTANCES_PAGE = 1000  # GET /instances: the default and the largest page (≈ 1.5 KB an instance)
NOTIFICATIONS_PAGE, NOTIFICATIONS_MAX_PAGE = 25, 100  # GET /instances/{id}/events
NEXT_PAGE_HEADER = "Elements-Next-Page-Token"


def page_size(event: APIGatewayProxyEvent, default: int, maximum: int) -> int:
    """`pageSize` (the platform's name) or `limit`: a whole number from 1 to `maximum`."""
    name = "pageSize" if query(event, "pageSize") is not None else "limit"
    raw = query(event, name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:  # not "²", which int() refuses
        raise ValidationError(name, f"must be a whole number from 1 to {maximum}, got {raw[:20]!r}")
    return int(raw)


def _page_token(event: APIGatewayProxyEvent) -> tuple[str, dict[str, Any] | None]:
    """The `nextPage` (or `cursor`) token a previous page returned, decoded, and the name it came as."""
    name = "nextPage" if query(event, "nextPage") is not None else "cursor"
    token = query(event, name)
    if token is None:
        return name, None
    try:
        decoded = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
    except ValueError:
        raise ValidationError(name, "is not a page token this API returned") from None
    if not isinstance(decoded, dict):
        raise ValidationError(name, "is not a page token this API returned")
    return name, decoded


def _encode_token(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def instances_after(event: APIGatewayProxyEvent) -> int | None:
    """Where a page of instances starts: the instance id the page token names."""
    name, token = _page_token(event)
    if token is None:
        return None
    after = token.get("after")
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 10**18:  # ids have ≤ 18 digits
        raise ValidationError(name, "is not a page token this API returned")
    return after


def instances_page_token(after: int) -> str:
    return _encode_token({"after": after})


def notifications_after(event: APIGatewayProxyEvent) -> str | None:
    """Where a page of notifications starts: the notification id the page token names."""
    name, token = _page_token(event)
    if token is None:
        return None
    after = token.get("n")
    if not isinstance(after, str) or not _NOTIFICATION_ID.match(after):
        raise ValidationError(name, "is not a page token this API returned")
    return after


def notifications_page_token(after: str) -> str:
    return _encode_token({"n": after})


def json_body(event: APIGatewayProxyEvent, max_bytes: int) -> Any:
    """The body as JSON: required, at most `max_bytes`, no duplicate keys, storable text only."""
    raw = event.body or ""
    if event.is_base64_encoded:
        raise ValidationError("body", "must be JSON text, not base64-encoded bytes")
    if len(raw.encode("utf-8")) > max_bytes:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    if not raw.strip():
        raise ValidationError("body", "is required (a JSON object)")
    try:
        parsed = json.loads(raw, object_pairs_hook=refuse_duplicate_keys)
    except DuplicateKeyError as error:  # {"key": "evil", "key": "smartrecruiters"}: no last-wins
        raise ValidationError("body", duplicate_key_message(error)) from None
    except json.JSONDecodeError:
        raise  # answered as 400 with the parser's own message (api.errors)
    except RecursionError:  # e.g. 5,000 nested arrays: valid JSON that Python's parser cannot hold
        raise ValidationError("body", "is nested too deeply") from None
    except ValueError:  # an integer of more digits than Python converts (4,300)
        raise ValidationError("body", "holds a number too long to read") from None
    try:  # JSON may escape a lone surrogate ("\ud800"): no valid text, and nothing can store it
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("body", "holds a string that is not valid Unicode (a lone surrogate)") from None
    return parsed


def public_base_url(event: APIGatewayProxyEvent) -> str:
    """The API's base URL as its callers reach it: API Gateway's domain name and stage (a custom domain with
    a base path needs the PUBLIC_API_URL setting instead)."""
    context = event.request_context
    return f"https://{context.domain_name}/{context.stage}"


def raw_body(event: APIGatewayProxyEvent, max_bytes: int) -> bytes:
    """The body's bytes as sent (what a signature covers), at most `max_bytes`."""
    raw = event.body or ""
    data = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8", "surrogateescape")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    return data
