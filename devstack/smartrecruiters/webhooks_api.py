"""The Webhooks API over HTTP, under /webhooks-api/v201907 (vendor tag `subscriptions`).

    POST   /subscriptions                   SubscriptionRequest → 201 Subscription   (webhooks_write)
    GET    /subscriptions                   limit, page_id → 200 [Subscription], Link  (webhooks_read)
    GET    /subscriptions/{id}              200 Subscription                           (webhooks_read)
    DELETE /subscriptions/{id}              204                                        (webhooks_delete)
    PUT    /subscriptions/{id}/activation   204; 409 active already; 424 handshake failed (webhooks_write)
    POST   /subscriptions/{id}/secret-key   201 {secretKey}; 403 more than 16 keys     (webhooks_write)
    GET    /subscriptions/{id}/secret-key   200 {secretKey}, the newest                (webhooks_read)
    GET    /subscriptions/{id}/callbacks-log limit, page_id, callbackStatus, after, before → 200, newest first

`webhooks_manage` allows everything; a key without the scope an operation needs gets a 403
`NO_PERMISSION_TO_MANAGE_WEBHOOKS`. Pages are the list endpoints' signed cursors (listing.CursorCodec).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from devstack.smartrecruiters.listing import BadRequest, CursorCodec, _limit, _one, _time
from devstack.smartrecruiters.records import to_datetime
from devstack.smartrecruiters.store import SimulatorStore
from devstack.smartrecruiters.subscriptions import WebhookError

WEBHOOKS_PREFIX = "/webhooks-api/v201907"
_READ, _WRITE, _DELETE = "webhooks_read", "webhooks_write", "webhooks_delete"
_CALLBACK_STATUSES = ("successful", "failed")


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # None: no body (204)
    headers: dict[str, str] = field(default_factory=dict)


def handle(
    store: SimulatorStore,
    codec: CursorCodec,
    key: str,
    method: str,
    path: str,
    params: dict[str, list[str]],
    body: bytes,
) -> Reply:
    """Answers one Webhooks API request (`path` includes the prefix) made with API key `key`."""
    parts = path[len(WEBHOOKS_PREFIX) :].strip("/").split("/")
    webhooks = store.webhooks

    def allowed(scope: str) -> None:
        if not store.key_allows(key, scope, "webhooks_manage"):
            raise WebhookError(403, "NO_PERMISSION_TO_MANAGE_WEBHOOKS", "No permission to manage webhook subscriptions")

    match method, parts:
        case "POST", ["subscriptions"]:
            allowed(_WRITE)
            return Reply(201, webhooks.subscribe(key, _json_object(body)).public())
        case "GET", ["subscriptions"]:
            allowed(_READ)
            return _subscription_page(webhooks.subscriptions.owned_by(key), codec, path, params)
        case "GET", ["subscriptions", subscription_id]:
            allowed(_READ)
            return Reply(200, webhooks.subscriptions.get(key, subscription_id).public())
        case "DELETE", ["subscriptions", subscription_id]:
            allowed(_DELETE)
            webhooks.delete(key, subscription_id)
            return Reply(204, None)
        case "PUT", ["subscriptions", subscription_id, "activation"]:
            allowed(_WRITE)
            webhooks.activate(key, subscription_id)
            return Reply(204, None)
        case "POST", ["subscriptions", subscription_id, "secret-key"]:
            allowed(_WRITE)
            return Reply(201, {"secretKey": webhooks.new_secret_key(key, subscription_id)})
        case "GET", ["subscriptions", subscription_id, "secret-key"]:
            allowed(_READ)
            return Reply(200, {"secretKey": webhooks.subscriptions.last_secret_key(key, subscription_id)})
        case "GET", ["subscriptions", subscription_id, "callbacks-log"]:
            allowed(_READ)
            webhooks.subscriptions.get(key, subscription_id)  # 404 unless the key's own
            return _callbacks_page(webhooks.callbacks(), codec, subscription_id, path, params)
    raise WebhookError(404, "NOT_FOUND", f"No such endpoint: {method} {path}")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        raise WebhookError(400, "INVALID_REQUEST", "The body must be JSON") from None
    if not isinstance(parsed, dict):
        raise WebhookError(400, "INVALID_REQUEST", "The body must be a JSON object")
    return parsed


def _fingerprint(*query: object) -> str:
    """Binds a page id to its query (the codec's positions are `:`-separated: no `:` in here)."""
    return hashlib.sha256(repr(query).encode()).hexdigest()[:24]


def _page_position(codec: CursorCodec, params: dict[str, list[str]], fingerprint: str) -> str | None:
    page_id = _one(params, "page_id")
    return None if page_id is None else codec.decode(page_id, fingerprint)[0]


def _next_link(path: str, params: dict[str, list[str]], page_id: str) -> dict[str, str]:
    query = [(k, v) for k, values in params.items() if k != "page_id" for v in values]
    return {"Link": f'<{path}?{urlencode([*query, ("page_id", page_id)])}>; rel="next"'}


def _subscription_page(subscriptions: list[Any], codec: CursorCodec, path: str, params: dict[str, list[str]]) -> Reply:
    """Creation order; a position is an offset into the key's subscriptions."""
    limit = _limit(params, 10)
    fingerprint = _fingerprint("subscriptions")
    start = int(_page_position(codec, params, fingerprint) or 0)
    page = subscriptions[start : start + limit]
    headers = {}
    if start + limit < len(subscriptions):
        headers = _next_link(path, params, codec.encode(fingerprint, str(start + limit), start + limit))
    return Reply(200, [s.public() for s in page], headers)


def _callbacks_page(
    log: list[dict[str, Any]], codec: CursorCodec, subscription_id: str, path: str, params: dict[str, list[str]]
) -> Reply:
    """The vendor's `CallbackRequest`s, newest first; a position is the log sequence number to go below."""
    limit = _limit(params, 10)
    status = _one(params, "callbackStatus")
    if status is not None and status not in _CALLBACK_STATUSES:
        raise BadRequest("INVALID_PARAMETER", f"callbackStatus must be one of {', '.join(_CALLBACK_STATUSES)}")
    after, before = _time(params, "after"), _time(params, "before")
    filters = sorted((k, tuple(v)) for k, v in params.items() if k not in ("limit", "page_id"))
    fingerprint = _fingerprint("callbacks", subscription_id, filters)
    below = _page_position(codec, params, fingerprint)
    matching = [
        entry
        for entry in reversed(log)
        if entry["subscriptionId"] == subscription_id
        and entry["outcome"] != "dropped"  # never sent: SmartRecruiters would have no record of it
        and (status is None or entry["outcome"] == status)
        and (after is None or to_datetime(entry["sentAt"]) > after)
        and (before is None or to_datetime(entry["sentAt"]) < before)
        and (below is None or entry["seq"] < int(below))
    ]
    page = matching[:limit]
    headers = {}
    if len(matching) > limit:
        headers = _next_link(path, params, codec.encode(fingerprint, str(page[-1]["seq"]), 0))
    body = [
        {
            "status": entry["outcome"],
            "timestamp": entry["sentAt"],
            "requestDetails": {"url": entry["url"], "body": entry["body"], "headers": entry["headers"]},
        }
        for entry in page
    ]
    return Reply(200, body, headers)
