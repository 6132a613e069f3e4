"""Validating an element instance: the body of `POST /instances` and the merge of a `PATCH`.

One function decides what a valid instance is (`validate_instance`), so creation and every patch apply
the same rules. Every failure is a `ValidationError` naming the field by its dotted path, e.g.
`configuration.event.poller.refresh_interval must be a whole number of minutes between 1 and 1440, got "abc"`.
The poller configuration's own rules are in domain/poller_config.py; the checks they share in
domain/config_fields.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from srevents.domain.config_fields import (
    MAX_URL,
    closest,
    parse_bool,
    require_object,
    show,
    string_field,
    type_name,
    whole_number,
)
from srevents.domain.poller_config import (
    POLLER_CONFIGURATION,
    POLLER_URLS,
    parse_poller_configuration,
    parse_poller_urls,
)
from srevents.domain.resources import ELEMENT_KEY
from srevents.domain.webhooks import POLLING, WEBHOOK, subscription_events
from srevents.errors import ValidationError

# The callback-URL checks are imported where a configuration is validated: the poll and deliver functions
# read instances but never validate a callback URL, and their cold starts would load them for nothing.
API_KEY = "api.key"
ENABLED = "event.notification.enabled"
VENDOR_TYPE = "event.vendor.type"
CALLBACK_URL = "event.notification.callback.url"
SIGNATURE_KEY = "event.notification.signature.key"
REFRESH_INTERVAL = "event.poller.refresh_interval"
VENDOR_TYPES = (POLLING, WEBHOOK)

EVENT_KEYS = (ENABLED, VENDOR_TYPE, CALLBACK_URL, SIGNATURE_KEY, REFRESH_INTERVAL, POLLER_CONFIGURATION, POLLER_URLS)
SECRET_KEYS = (API_KEY, SIGNATURE_KEY)
TOP_LEVEL_KEYS = ("element", "configuration", "tags", "name")

MIN_INTERVAL, MAX_INTERVAL = 1, 1440
MAX_NAME, MAX_TAGS, MAX_TAG, MAX_SECRET = 200, 50, 100, 4096
MAX_SAFE_INTEGER, MIN_FRACTION = 2**53 - 1, 1e-128  # a client's own numeric setting (see _own_setting)
DEFAULT_INTERVAL = 15


class Kept:
    """Stands for a secret that a PATCH leaves as it was (its plaintext is not needed to validate)."""

    def __repr__(self) -> str:
        return "<kept secret>"


KEPT = Kept()
MASK = "********"


@dataclass(frozen=True)
class InstanceSpec:
    """A valid instance as the caller described it; secrets are plaintext or KEPT."""

    name: str
    tags: tuple[str, ...]
    configuration: dict[str, Any]  # normalized, without the secrets
    secrets: dict[str, str | Kept]  # api.key and, when given, the signature key

    @property
    def events_enabled(self) -> bool:
        return bool(self.configuration[ENABLED])

    @property
    def refresh_interval(self) -> int:
        return int(self.configuration[REFRESH_INTERVAL])


@dataclass(frozen=True)
class CallbackPolicy:
    allow_http: bool = False
    allow_private: bool = False
    resolver: Callable[..., Any] | None = None


def parse_interval(value: Any, field: str) -> int:
    number = whole_number(value)
    if number is None or not MIN_INTERVAL <= number <= MAX_INTERVAL:
        raise ValidationError(
            field,
            f"must be a whole number of minutes between {MIN_INTERVAL} and {MAX_INTERVAL}, got {show(value)}",
        )
    return number


def _callback_url(value: Any, policy: CallbackPolicy) -> str:
    from srevents.domain.network_policy import CallbackUrlError, ForbiddenAddressError, check_callback_url

    field = f"configuration.{CALLBACK_URL}"
    url = string_field(value, field, max_len=MAX_URL)
    try:
        check_callback_url(
            url, allow_http=policy.allow_http, allow_private=policy.allow_private, resolver=policy.resolver
        )
    except (CallbackUrlError, ForbiddenAddressError) as exc:
        raise ValidationError(field, str(exc)) from None
    return url


def _own_setting(value: Any, field: str) -> str | int | float | bool:
    """A setting of the client's own (kept and echoed back): a string, a boolean, or a number that comes
    back as sent: within I-JSON's exact range (RFC 7493: what every JSON reader holds), and, if a fraction,
    no smaller in size than DynamoDB keeps (1e-128)."""
    if isinstance(value, str | bool):
        return value
    if not isinstance(value, int | float):
        raise ValidationError(field, f"must be a string, number or boolean, got {type_name(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(field, f"must be a finite number, got {show(value)}")
    if abs(value) > MAX_SAFE_INTEGER or (value != 0 and abs(value) < MIN_FRACTION):
        raise ValidationError(
            field, f"must be a number from -{MAX_SAFE_INTEGER} to {MAX_SAFE_INTEGER}, not below 1e-128 in size"
        )
    return value


def _secret(value: Any, field: str) -> str | Kept:
    if isinstance(value, Kept):
        return value
    secret = string_field(value, field, max_len=MAX_SECRET)
    if secret == MASK:
        raise ValidationError(field, "is the mask shown in responses, not a secret: send the real value")
    return secret


def _api_key(value: Any, field: str) -> str | Kept:
    """The SmartRecruiters key travels as the `X-SmartToken` header: it must be a valid header value as
    sent, or every poll would fail (and the error would quote it). The key itself is never echoed."""
    key = _secret(value, field)
    if isinstance(key, Kept):
        return key
    if key != key.strip():
        raise ValidationError(field, "must not start or end with whitespace")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
        raise ValidationError(field, "must not contain control characters (such as CR, LF or tab)")
    if not key.isascii():
        raise ValidationError(field, "must contain ASCII characters only")
    return key


KNOWN_KEYS = (API_KEY, *EVENT_KEYS)
NEAR_MISS_RATIO = 0.85  # "api.kye", "api-key": a typo of a known key, not a name of the client's own


def _plain(key: str) -> str:
    """A key without case and punctuation: `API_Key`, `api-key` and `api.key` are all `apikey`."""
    return "".join(char for char in key.lower() if char.isalnum())


def _near_miss(key: str) -> bool:
    """A key the client surely meant as a known one (a case variant, other punctuation, a typo): kept as a
    setting of the client's own, a secret under it would be stored and echoed in plain text."""
    import difflib

    plain = _plain(key)
    return any(
        plain == _plain(known) or difflib.SequenceMatcher(None, key.lower(), known).ratio() >= NEAR_MISS_RATIO
        for known in KNOWN_KEYS
    )


def validate_configuration(raw: Any, policy: CallbackPolicy) -> tuple[dict[str, Any], dict[str, str | Kept]]:
    """Validate a whole `configuration` object. Returns (normalized non-secret settings, secrets)."""
    config = require_object(raw, "configuration")
    for key in config:
        if not isinstance(key, str) or not key:
            raise ValidationError("configuration", "has an empty key")
        if key.lower().startswith("event.") and key not in EVENT_KEYS:
            raise ValidationError(
                f"configuration.{key}", f"is not a known event setting{closest(key.lower(), EVENT_KEYS)}"
            )
        if key not in KNOWN_KEYS and _near_miss(key):
            raise ValidationError(
                f"configuration.{key}",
                f"is not a known setting, and too close to one to be kept as a setting of your own"
                f"{closest(key.lower(), KNOWN_KEYS) or closest(_plain(key), [_plain(k) for k in KNOWN_KEYS])}",
            )
    if API_KEY not in config:
        raise ValidationError(f"configuration.{API_KEY}", "is required (your SmartRecruiters API key)")
    secrets: dict[str, str | Kept] = {API_KEY: _api_key(config[API_KEY], f"configuration.{API_KEY}")}
    if config.get(SIGNATURE_KEY) not in (None, ""):
        secrets[SIGNATURE_KEY] = _secret(config[SIGNATURE_KEY], f"configuration.{SIGNATURE_KEY}")

    normalized: dict[str, Any] = {}
    for key, value in config.items():
        if key in SECRET_KEYS or key in EVENT_KEYS:
            continue
        normalized[key] = _own_setting(value, f"configuration.{key}")

    enabled = parse_bool(config.get(ENABLED, False), f"configuration.{ENABLED}")
    normalized[ENABLED] = enabled
    if enabled:
        if config.get(CALLBACK_URL) in (None, ""):
            raise ValidationError(f"configuration.{CALLBACK_URL}", "is required when events are enabled")
        normalized[VENDOR_TYPE] = POLLING  # may be omitted, as on the platform
    if config.get(VENDOR_TYPE) is not None:
        if config[VENDOR_TYPE] not in VENDOR_TYPES:
            raise ValidationError(
                f"configuration.{VENDOR_TYPE}",
                f'must be "polling" or "webhook" (push, with polling as reconciliation), '
                f"got {show(config[VENDOR_TYPE])}",
            )
        normalized[VENDOR_TYPE] = config[VENDOR_TYPE]
    if config.get(CALLBACK_URL) not in (None, ""):
        normalized[CALLBACK_URL] = _callback_url(config[CALLBACK_URL], policy)
    normalized[REFRESH_INTERVAL] = parse_interval(
        config.get(REFRESH_INTERVAL, DEFAULT_INTERVAL), f"configuration.{REFRESH_INTERVAL}"
    )
    poller = config.get(POLLER_CONFIGURATION)
    if config.get(POLLER_URLS) is not None:
        if poller is not None:
            raise ValidationError(
                f"configuration.{POLLER_URLS}",
                f"is given together with {POLLER_CONFIGURATION}: give one (it is the legacy form of the same setting)",
            )
        poller = parse_poller_urls(config[POLLER_URLS])
    normalized[POLLER_CONFIGURATION] = parse_poller_configuration(poller)
    if normalized.get(VENDOR_TYPE) == WEBHOOK and not subscription_events(list(normalized[POLLER_CONFIGURATION])):
        raise ValidationError(
            f"configuration.{VENDOR_TYPE}",
            f'is "webhook", but none of the polled resources ({", ".join(normalized[POLLER_CONFIGURATION])}) has '
            f'SmartRecruiters webhooks (candidates and jobs do): poll them with "polling"',
        )
    return normalized, secrets


def _name(value: Any) -> str:
    return string_field(value, "name", max_len=MAX_NAME)


def _tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValidationError("tags", f"must be a list of strings, got {type_name(value)}")
    if len(value) > MAX_TAGS:
        raise ValidationError("tags", f"must have at most {MAX_TAGS} entries")
    for index, tag in enumerate(value):
        string_field(tag, f"tags[{index}]", max_len=MAX_TAG)
    return tuple(dict.fromkeys(value))


def _check_top_level(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in body:
        if key not in allowed:
            raise ValidationError(str(key), f"is not a known instance field{closest(str(key), allowed)}")


def validate_instance(body: Any, policy: CallbackPolicy) -> InstanceSpec:
    """The body of `POST /instances` → a valid InstanceSpec, or a ValidationError naming the field."""
    body = require_object(body, "body")
    _check_top_level(body, TOP_LEVEL_KEYS)
    element = require_object(body.get("element"), "element") if "element" in body else None
    if element is None:
        raise ValidationError("element.key", f'is required: "{ELEMENT_KEY}"')
    if element.get("key") != ELEMENT_KEY:
        raise ValidationError(
            "element.key", f'must be "{ELEMENT_KEY}", the only supported element, got {show(element.get("key"))}'
        )
    if "name" not in body:
        raise ValidationError("name", "is required")
    name = _name(body["name"])
    tags = _tags(body.get("tags", []))
    if "configuration" not in body:
        raise ValidationError("configuration", f"is required (at least {API_KEY})")
    configuration, secrets = validate_configuration(body["configuration"], policy)
    return InstanceSpec(name, tags, configuration, secrets)


PATCH_KEYS = ("name", "tags", "configuration")


def merge_patch(current: InstanceSpec, patch: Any, policy: CallbackPolicy) -> InstanceSpec:
    """Apply a PATCH body to a stored instance and validate the result with the same rules as creation.

    `configuration` keys are merged one by one; a key set to null is removed (secrets: the signature
    key can be removed, the API key cannot). A secret sent back as the response mask is refused.
    """
    patch = require_object(patch, "body")
    if not patch:
        raise ValidationError("body", "is empty: give name, tags or configuration keys to change")
    _check_top_level(patch, PATCH_KEYS)
    name = _name(patch["name"]) if "name" in patch else current.name
    tags = _tags(patch["tags"]) if "tags" in patch else current.tags
    configuration = dict(current.configuration)
    configuration.update(current.secrets)
    if "configuration" in patch:
        changes = require_object(patch["configuration"], "configuration")
        if changes.get(POLLER_URLS) is not None and POLLER_CONFIGURATION not in changes:
            configuration.pop(POLLER_CONFIGURATION, None)  # the legacy form replaces the stored JSON form
        for key, value in changes.items():
            if value is None:
                configuration.pop(key, None)
            else:
                configuration[key] = value
    merged_config, secrets = validate_configuration(configuration, policy)
    return InstanceSpec(name, tags, merged_config, secrets)


def masked_configuration(configuration: Mapping[str, Any], secret_names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The configuration as responses show it: every secret replaced by the mask."""
    shown = dict(configuration)
    for key in secret_names:
        shown[key] = MASK
    return shown
