"""Webhook subscriptions as the vendor's Webhooks API keeps them (tag `subscriptions`, /webhooks-api/v201907).

State and rules only; no HTTP. A subscription belongs to the API user (key) that made it: only
that key sees, activates or deletes it (others get a 404), and a key holds at most 20. Secret keys
rotate: a new one deprecates the previous, which stays valid for 24 hours (store clock); at most
16 unexpired keys. Errors are `WebhookError`s carrying the vendor status and code.
"""

from __future__ import annotations

import copy
import secrets
import string
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from devstack.smartrecruiters.webhook_events import EVENT_NAMES

SUBSCRIPTIONS_PER_USER = 20
SECRET_KEYS_PER_SUBSCRIPTION = 16
SECRET_KEY_GRACE = timedelta(hours=24)
_REQUEST_FIELDS = frozenset({"callbackUrl", "events", "alertingEmailAddress", "callbackAuthentication"})
_KEY_ALPHABET = string.ascii_letters + string.digits


class WebhookError(Exception):
    """A Webhooks API error in the vendor shape: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class SecretKey:
    value: str
    created: datetime
    expires: datetime | None = None  # set when a newer key deprecates this one

    def valid_at(self, now: datetime) -> bool:
        return self.expires is None or now < self.expires


@dataclass
class Subscription:
    id: str
    owner: str  # the API key that made it
    callback_url: str
    events: tuple[str, ...]
    authentication: dict[str, str] | None = None
    alerting_email: str | None = None
    status: str = "inactive"  # vendor: "inactive" until the activation handshake succeeds, then "active"
    keys: list[SecretKey] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """The vendor's `Subscription`: no secrets, no authentication."""
        return {"id": self.id, "callbackUrl": self.callback_url, "events": list(self.events), "status": self.status}

    def valid_keys(self, now: datetime) -> list[str]:
        """Secret keys valid at `now`, newest first."""
        return [k.value for k in reversed(self.keys) if k.valid_at(now)]


def not_found(subscription_id: str) -> WebhookError:
    return WebhookError(404, "SUBSCRIPTION_NOT_FOUND", f"Subscription {subscription_id} not found")


class Subscriptions:
    """Every subscription the simulated company has, in creation order. Thread-safe; hands out copies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: dict[str, Subscription] = {}

    def create(self, owner: str, request: dict[str, Any]) -> Subscription:
        url, events, authentication, email = _parse_request(request)
        with self._lock:
            if sum(s.owner == owner for s in self._subscriptions.values()) >= SUBSCRIPTIONS_PER_USER:
                raise WebhookError(
                    403,
                    "SUBSCRIPTIONS_LIMIT_EXCEEDED",
                    f"An API user can have at most {SUBSCRIPTIONS_PER_USER} subscriptions",
                )
            subscription = Subscription(str(uuid.uuid4()), owner, url, events, authentication, email)
            self._subscriptions[subscription.id] = subscription
            return copy.deepcopy(subscription)

    def owned_by(self, owner: str) -> list[Subscription]:
        with self._lock:
            return [copy.deepcopy(s) for s in self._subscriptions.values() if s.owner == owner]

    def get(self, owner: str | None, subscription_id: str) -> Subscription:
        """The subscription, if `owner` made it (None: any owner, for the simulator's own use)."""
        with self._lock:
            return copy.deepcopy(self._owned(owner, subscription_id))

    def all(self) -> list[Subscription]:
        with self._lock:
            return copy.deepcopy(list(self._subscriptions.values()))

    def active_for(self, event_name: str) -> list[Subscription]:
        with self._lock:
            return [
                copy.deepcopy(s)
                for s in self._subscriptions.values()
                if s.status == "active" and event_name in s.events
            ]

    def check_inactive(self, owner: str, subscription_id: str) -> Subscription:
        with self._lock:
            subscription = self._owned(owner, subscription_id)
            if subscription.status == "active":
                raise WebhookError(409, "SUBSCRIPTION_ALREADY_ACTIVE", f"Subscription {subscription_id} is active")
            return copy.deepcopy(subscription)

    def activate(self, owner: str, subscription_id: str) -> None:
        with self._lock:
            self._owned(owner, subscription_id).status = "active"

    def delete(self, owner: str, subscription_id: str) -> None:
        with self._lock:
            self._owned(owner, subscription_id)
            del self._subscriptions[subscription_id]

    def new_secret_key(self, owner: str, subscription_id: str, now: datetime) -> str:
        """A new secret key; the current one is deprecated and expires in 24 hours."""
        with self._lock:
            subscription = self._owned(owner, subscription_id)
            subscription.keys = [k for k in subscription.keys if k.valid_at(now)]
            if len(subscription.keys) >= SECRET_KEYS_PER_SUBSCRIPTION:
                raise WebhookError(
                    403,
                    "SECRET_KEYS_LIMIT_EXCEEDED",
                    f"A subscription can have at most {SECRET_KEYS_PER_SUBSCRIPTION} unexpired secret keys",
                )
            for key in subscription.keys:
                if key.expires is None:
                    key.expires = now + SECRET_KEY_GRACE
            value = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(32))
            subscription.keys.append(SecretKey(value, now))
            return value

    def last_secret_key(self, owner: str, subscription_id: str) -> str:
        with self._lock:
            subscription = self._owned(owner, subscription_id)
            if not subscription.keys:
                raise WebhookError(404, "SECRET_KEY_NOT_FOUND", f"Subscription {subscription_id} has no secret key")
            return subscription.keys[-1].value

    def _owned(self, owner: str | None, subscription_id: str) -> Subscription:
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None or (owner is not None and subscription.owner != owner):
            raise not_found(subscription_id)
        return subscription


# --- the request body ---------------------------------------------------------------------------
def _bad(message: str) -> WebhookError:
    return WebhookError(400, "INVALID_REQUEST", message)


def _parse_request(
    request: dict[str, Any],
) -> tuple[str, tuple[str, ...], dict[str, str] | None, str | None]:
    """(callbackUrl, events, callbackAuthentication, alertingEmailAddress) of a `SubscriptionRequest`.

    A malformed body is a 400; a well-formed one naming an unusable URL or an unknown event is a 422,
    as the vendor documents.
    """
    unknown = sorted(set(request) - _REQUEST_FIELDS)
    if unknown:
        raise _bad(f"Unknown field(s): {', '.join(unknown)}")
    url = request.get("callbackUrl")
    if not isinstance(url, str) or not url:
        raise _bad("callbackUrl is required")
    events = request.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise _bad("events must be a non-empty array of event names")
    if len(set(events)) != len(events):
        raise _bad("events must not repeat")
    email = request.get("alertingEmailAddress")
    if email is not None and (not isinstance(email, str) or "@" not in email):
        raise _bad("alertingEmailAddress must be an email address")
    authentication = _authentication(request.get("callbackAuthentication"))
    parts = urlsplit(url)
    # The vendor wants https; the simulator also takes http, for callbacks to a local receiver.
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookError(422, "INVALID_CALLBACK_URL", "callbackUrl must be an absolute https URL")
    unknown_events = [e for e in events if e not in EVENT_NAMES]
    if unknown_events:
        raise WebhookError(422, "EVENT_NOT_FOUND", f"Unknown event name: {unknown_events[0]}")
    return url, tuple(events), authentication, email


def _authentication(value: Any) -> dict[str, str] | None:
    """`callbackAuthentication`: basic or header (oauth2 is not simulated: 422)."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _bad("callbackAuthentication must be an object of strings")
    kind = value.get("type")
    if kind == "basic":
        allowed = {"type", "username", "password"}
    elif kind == "header":
        allowed = {"type", "headerName", "headerValue"}
        name = value.get("headerName", "")
        if not name.lower().startswith("x-") or len(name) < 3:
            raise _bad('callbackAuthentication.headerName must start with "x-"')
    elif kind == "oauth2":
        raise WebhookError(
            422, "CALLBACK_AUTHENTICATION_NOT_SUPPORTED", "The simulator does not support oauth2 callback auth"
        )
    else:
        raise _bad("callbackAuthentication.type must be basic, header or oauth2")
    if set(value) != allowed:
        raise _bad(f"callbackAuthentication of type {kind} has the fields {', '.join(sorted(allowed))}")
    return dict(value)
