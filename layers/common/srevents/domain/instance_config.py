"""Validating an element instance: the body of `POST /instances` and the merge of a `PATCH`.

One function decides what a valid instance is (`validate_instance`), so creation and every patch apply
the same rules. Every failure is a `ValidationError` naming the field by its dotted path, e.g.
`configuration.event.poller.refresh_interval must be a whole number of minutes between 1 and 1440, got "abc"`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from srevents.domain.resources import DEFAULT_POLLER_CONFIGURATION, ELEMENT_KEY, default_resource_config
from srevents.errors import ValidationError

# The date-pattern, poll-URL and callback-URL checks (and difflib) are imported where a configuration is
# validated or read, not here: the deliver function reads instances (this module's keys and InstanceSpec) but
# never a poller configuration, the poll function never validates a callback URL, and their cold starts
# would otherwise load them for nothing.
if TYPE_CHECKING:
    from srevents.domain.poll_url import PollUrlTemplate

API_KEY = "api.key"
ENABLED = "event.notification.enabled"
VENDOR_TYPE = "event.vendor.type"
CALLBACK_URL = "event.notification.callback.url"
SIGNATURE_KEY = "event.notification.signature.key"
REFRESH_INTERVAL = "event.poller.refresh_interval"
POLLER_CONFIGURATION = "event.poller.configuration"
POLLER_URLS = "event.poller.urls"  # the platform's legacy form of POLLER_CONFIGURATION: converted, never stored

EVENT_KEYS = (ENABLED, VENDOR_TYPE, CALLBACK_URL, SIGNATURE_KEY, REFRESH_INTERVAL, POLLER_CONFIGURATION, POLLER_URLS)
SECRET_KEYS = (API_KEY, SIGNATURE_KEY)
TOP_LEVEL_KEYS = ("element", "configuration", "tags", "name")
RESOURCE_KEYS = (
    "url",
    "idField",
    "datesConfiguration",
    "pollDelay",
    "createdCheckTolerance",
    "pageSize",
    "filterByCurrentDate",
    "filterByUpdatedDate",
    "updatedDateTimezone",
)
FILTER_BY_UPDATED_DATE_ALIAS = "filterByUpdateDate"  # the platform documents both spellings
DATES_KEYS = (
    "updatedDateField",
    "updatedDateFormat",
    "updatedDateTimezone",
    "createdDateField",
    "createdDateFormat",
    "createdDateTimezone",
)

MIN_INTERVAL, MAX_INTERVAL = 1, 1440
DEFAULT_INTERVAL = 15
DEFAULT_POLL_DELAY = 60
MAX_POLL_DELAY = 86_400
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE = 100  # SmartRecruiters' largest `limit`
# event.poller.urls: one line per resource, these fields separated by `|` (trailing ones may be left out).
URL_LINE_FIELDS = (
    "resource",
    "url",
    "xPathFilter",
    "updatedDateField",
    "updatedDateFormat",
    "updatedDateTimezone",
    "createdDateField",
    "createdDateFormat",
    "createdDateTimezone",
)
MIN_URL_LINE_FIELDS = 4  # up to updatedDateField, which every resource needs
MAX_NAME, MAX_TAGS, MAX_TAG, MAX_SECRET, MAX_URL = 200, 50, 100, 4096, 2048
MAX_SAFE_INTEGER, MIN_FRACTION = 2**53 - 1, 1e-128  # a client's own numeric setting (see _own_setting)
_DOTTED_PATH = re.compile(r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")


class Kept:
    """Stands for a secret that a PATCH leaves as it was (its plaintext is not needed to validate)."""

    def __repr__(self) -> str:
        return "<kept secret>"


KEPT = Kept()
MASK = "********"


@dataclass(frozen=True)
class DateField:
    field: str
    format: str
    timezone: str


@dataclass(frozen=True)
class ResourceConfig:
    """What the poller needs to poll one resource."""

    name: str
    template: PollUrlTemplate
    id_field: str
    updated: DateField
    created: DateField | None
    poll_delay_seconds: int
    created_check_tolerance_seconds: int
    page_size: int = DEFAULT_PAGE_SIZE
    filter_by_current_date: bool = True  # drop records updated after the poll's start (the next poll's)
    filter_by_updated_date: bool = True  # drop records updated at or before the lower bound


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


def _closest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    import difflib

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _show(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (RecursionError, ValueError):
        return _type_name(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _require_object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(field, f"must be a JSON object, got {_type_name(value)}")
    return value


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _string(value: Any, field: str, *, max_len: int, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {_type_name(value)}")
    if not allow_empty and not value.strip():
        raise ValidationError(field, "must not be empty")
    if len(value) > max_len:
        raise ValidationError(field, f"must be at most {max_len} characters long")
    return value


def parse_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValidationError(field, f'must be a boolean (true/false or "true"/"false"), got {_show(value)}')


def _whole_number(value: Any) -> int | None:
    """A whole number given as a number (`15`, `15.0`) or as ASCII digits (`"15"`); None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,6}\s*", value):
        return int(value)
    return None


def parse_interval(value: Any, field: str) -> int:
    number = _whole_number(value)
    if number is None or not MIN_INTERVAL <= number <= MAX_INTERVAL:
        raise ValidationError(
            field,
            f"must be a whole number of minutes between {MIN_INTERVAL} and {MAX_INTERVAL}, got {_show(value)}",
        )
    return number


def _seconds(value: Any, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(field, f"must be a whole number of seconds, got {_show(value)}")
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[0-9]{1,6}\s*", value):
            raise ValidationError(field, f"must be a whole number of seconds, got {_show(value)}")
        value = int(value)
    if not 0 <= value <= maximum:
        raise ValidationError(field, f"must be between 0 and {maximum} seconds, got {value}")
    return value


def _page_size(value: Any, field: str) -> int:
    number = _whole_number(value)
    if number is None or not 1 <= number <= MAX_PAGE_SIZE:
        raise ValidationError(
            field,
            f"must be a whole number of records per page from 1 to {MAX_PAGE_SIZE} (SmartRecruiters' largest "
            f"page), got {_show(value)}",
        )
    return number


def _timezone(value: Any, field: str) -> str:
    from srevents.domain.java_dates import resolve_timezone

    zone = _string(value, field, max_len=100)
    try:
        resolve_timezone(zone)
    except ValueError as exc:
        raise ValidationError(field, f"is not a known time zone: {exc}") from None
    return zone


def _date_field(
    dates: dict[str, Any], prefix: str, kind: str, *, required: bool, default_zone: str = "GMT"
) -> DateField | None:
    field_key, format_key, zone_key = f"{kind}DateField", f"{kind}DateFormat", f"{kind}DateTimezone"
    if field_key not in dates:
        if required:
            raise ValidationError(f"{prefix}.{field_key}", "is required")
        for other in (format_key, zone_key):
            if other in dates:
                raise ValidationError(f"{prefix}.{other}", f"is given without {field_key}")
        return None
    name = _string(dates[field_key], f"{prefix}.{field_key}", max_len=200)
    if not _DOTTED_PATH.match(name):
        raise ValidationError(f"{prefix}.{field_key}", f"must be a field name or dotted path, got {_show(name)}")
    from srevents.domain.java_dates import JavaDatePatternError, compile_pattern

    pattern = _string(dates.get(format_key, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"), f"{prefix}.{format_key}", max_len=200)
    try:
        compile_pattern(pattern)
    except JavaDatePatternError as exc:
        raise ValidationError(f"{prefix}.{format_key}", f"is not a usable date format: {exc}") from None
    zone = _timezone(dates.get(zone_key, default_zone), f"{prefix}.{zone_key}")
    return DateField(name, pattern, zone)


def _resource(name: str, raw: Any, prefix: str) -> tuple[dict[str, Any], ResourceConfig]:
    from srevents.domain.poll_url import PollUrlError, parse_poll_url

    block = _require_object(raw, prefix)
    for key in block:
        if key not in RESOURCE_KEYS and key != FILTER_BY_UPDATED_DATE_ALIAS:
            raise ValidationError(f"{prefix}.{key}", f"is not a known setting{_closest(key, RESOURCE_KEYS)}")
    if FILTER_BY_UPDATED_DATE_ALIAS in block and "filterByUpdatedDate" in block:
        raise ValidationError(
            f"{prefix}.{FILTER_BY_UPDATED_DATE_ALIAS}",
            "is another spelling of filterByUpdatedDate, which is given too: give one",
        )
    if "url" not in block:
        raise ValidationError(f"{prefix}.url", "is required")
    url = _string(block["url"], f"{prefix}.url", max_len=MAX_URL)
    try:
        template = parse_poll_url(url)
    except PollUrlError as exc:
        raise ValidationError(f"{prefix}.url", str(exc)) from None
    if template.resource != name:
        raise ValidationError(
            f"{prefix}.url", f"polls '{template.resource}' but is configured under '{name}': they must match"
        )
    id_field = _string(block.get("idField", "id"), f"{prefix}.idField", max_len=200)
    if not _DOTTED_PATH.match(id_field):
        raise ValidationError(f"{prefix}.idField", f"must be a field name or dotted path, got {_show(id_field)}")
    dates_prefix = f"{prefix}.datesConfiguration"
    dates = _require_object(block.get("datesConfiguration", {}), dates_prefix)
    for key in dates:
        if key not in DATES_KEYS and key != "createdCheckTolerance":
            raise ValidationError(f"{dates_prefix}.{key}", f"is not a known setting{_closest(key, DATES_KEYS)}")
    # The platform's resource-level zone applies when datesConfiguration gives none.
    resource_zone = (
        _timezone(block["updatedDateTimezone"], f"{prefix}.updatedDateTimezone")
        if "updatedDateTimezone" in block
        else None
    )
    updated = _date_field(dates, dates_prefix, "updated", required=True, default_zone=resource_zone or "GMT")
    created = _date_field(dates, dates_prefix, "created", required=False)
    poll_delay = _seconds(block.get("pollDelay", DEFAULT_POLL_DELAY), f"{prefix}.pollDelay", MAX_POLL_DELAY)
    tolerance_raw = block.get("createdCheckTolerance", dates.get("createdCheckTolerance", 0))
    tolerance = _seconds(tolerance_raw, f"{prefix}.createdCheckTolerance", MAX_POLL_DELAY)
    page_size = _page_size(block.get("pageSize", DEFAULT_PAGE_SIZE), f"{prefix}.pageSize")
    by_current = parse_bool(block.get("filterByCurrentDate", True), f"{prefix}.filterByCurrentDate")
    by_updated_key = FILTER_BY_UPDATED_DATE_ALIAS if FILTER_BY_UPDATED_DATE_ALIAS in block else "filterByUpdatedDate"
    by_updated = parse_bool(block.get(by_updated_key, True), f"{prefix}.{by_updated_key}")
    assert updated is not None
    normalized = {
        "url": url,
        "idField": id_field,
        "datesConfiguration": {k: dates[k] for k in DATES_KEYS if k in dates},
        "pollDelay": poll_delay,
        "createdCheckTolerance": tolerance,
        "pageSize": page_size,
        "filterByCurrentDate": by_current,
        "filterByUpdatedDate": by_updated,  # either spelling in, this one out
    }
    if resource_zone is not None:
        normalized["updatedDateTimezone"] = resource_zone
    config = ResourceConfig(
        name, template, id_field, updated, created, poll_delay, tolerance, page_size, by_current, by_updated
    )
    return normalized, config


MAX_CONFIGURATION_DEPTH = 32  # a resource block nests 3 levels; anything far deeper is not a configuration


def _depth_within(value: Any, limit: int) -> bool:
    """True when `value` nests at most `limit` containers deep (checked without recursion)."""
    level: list[Any] = [value]
    for _ in range(limit + 1):
        level = (
            [
                v
                for item in level
                for v in (item.values() if isinstance(item, dict) else item)
                if isinstance(v, dict | list)
            ]
            if level
            else []
        )
        if not level:
            return True
    return False


def _loads_storable(text: str, field: str) -> Any:
    """The JSON text of a setting, parsed, or a ValidationError: not JSON, nested deeper than a configuration
    ever is (Python's parser stops near 1,000 levels), or holding a lone surrogate (no valid text: nothing
    can store or answer it)."""
    from srevents.domain.strict_json import DuplicateKeyError, duplicate_key_message, refuse_duplicate_keys

    try:
        value = json.loads(text, object_pairs_hook=refuse_duplicate_keys)
    except DuplicateKeyError as error:
        raise ValidationError(field, duplicate_key_message(error)) from None
    except RecursionError:
        raise ValidationError(field, f"is nested too deeply (at most {MAX_CONFIGURATION_DEPTH} levels)") from None
    except ValueError as exc:
        raise ValidationError(field, f"is a string but not valid JSON: {exc.args[0]}") from None
    if not _depth_within(value, MAX_CONFIGURATION_DEPTH):
        raise ValidationError(field, f"is nested too deeply (at most {MAX_CONFIGURATION_DEPTH} levels)")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, "holds a string that is not valid Unicode (a lone surrogate)") from None
    return value


def parse_poller_configuration(raw: Any) -> dict[str, dict[str, Any]]:
    """Validate `event.poller.configuration` (an object or a JSON-encoded string); return it normalized."""
    from srevents.domain.poll_url import HUB_RESOURCES

    field = f"configuration.{POLLER_CONFIGURATION}"
    if raw is None:
        raw = {name: default_resource_config(name) for name in DEFAULT_POLLER_CONFIGURATION}
    if isinstance(raw, str):
        raw = _loads_storable(raw, field)
    config = _require_object(raw, field)
    if not config:
        raise ValidationError(field, "must name at least one resource to poll")
    normalized: dict[str, dict[str, Any]] = {}
    for name, block in config.items():
        if name not in HUB_RESOURCES:
            known = ", ".join(HUB_RESOURCES)
            raise ValidationError(
                f"{field}.{name}",
                f"is not a resource SmartRecruiters can poll{_closest(name, list(HUB_RESOURCES))} (known: {known})",
            )
        normalized[name], _ = _resource(name, block, f"{field}.{name}")
    return normalized


def parse_poller_urls(raw: Any) -> dict[str, dict[str, Any]]:
    """The platform's legacy `event.poller.urls` as the JSON form of `event.poller.configuration`.

    One line per resource (`\n` or `\r\n`; blank lines ignored), fields separated by `|` as in
    URL_LINE_FIELDS; trailing fields may be empty or left out. Each line is validated as its JSON block
    would be, and an error names the line (1 for the first) and the field: `...urls[2].updatedDateFormat`.
    """
    from srevents.domain.poll_url import HUB_RESOURCES

    field = f"configuration.{POLLER_URLS}"
    if not isinstance(raw, str):
        raise ValidationError(field, f"must be a string of lines resource|url|..., got {_type_name(raw)}")
    blocks: dict[str, dict[str, Any]] = {}
    lines_of: dict[str, int] = {}
    for number, line in enumerate(re.split(r"\r\n|\n|\r", raw), start=1):
        if not line.strip():
            continue
        line_field = f"{field}[{number}]"
        parts = [part.strip() for part in line.split("|")]
        if not MIN_URL_LINE_FIELDS <= len(parts) <= len(URL_LINE_FIELDS):
            raise ValidationError(
                line_field,
                f"has {len(parts)} field(s) separated by '|'; a line has {MIN_URL_LINE_FIELDS} to "
                f"{len(URL_LINE_FIELDS)}: {'|'.join(URL_LINE_FIELDS)}",
            )
        values = dict(zip(URL_LINE_FIELDS, parts, strict=False))
        resource = values["resource"]
        if resource not in HUB_RESOURCES:
            raise ValidationError(
                f"{line_field}.resource",
                f"is not a resource SmartRecruiters can poll, got {_show(resource)}"
                f"{_closest(resource, list(HUB_RESOURCES))} (known: {', '.join(HUB_RESOURCES)})",
            )
        if resource in blocks:
            raise ValidationError(
                f"{line_field}.resource", f"repeats '{resource}', already on line {lines_of[resource]}"
            )
        if values["xPathFilter"]:
            raise ValidationError(
                f"{line_field}.xPathFilter",
                "is not supported: SmartRecruiters answers JSON, not XML; leave it empty and filter with the "
                "URL's where clause",
            )
        block = {"url": values["url"], "datesConfiguration": {k: values[k] for k in DATES_KEYS if values.get(k)}}
        try:
            _resource(resource, block, line_field)
        except ValidationError as error:  # name the line's field, not the JSON block's path
            where = error.field.removeprefix(f"{line_field}.").removeprefix("datesConfiguration.")
            raise ValidationError(f"{line_field}.{where}", error.problem) from None
        blocks[resource] = block
        lines_of[resource] = number
    if not blocks:
        raise ValidationError(field, f"has no lines: give one line per resource, {'|'.join(URL_LINE_FIELDS)}")
    return blocks


def resource_configs(configuration: Mapping[str, Any]) -> list[ResourceConfig]:
    """The poller's view of a stored (already valid) configuration."""
    prefix = f"configuration.{POLLER_CONFIGURATION}"
    return [
        _resource(name, block, f"{prefix}.{name}")[1] for name, block in configuration[POLLER_CONFIGURATION].items()
    ]


def _callback_url(value: Any, policy: CallbackPolicy) -> str:
    from srevents.domain.network_policy import CallbackUrlError, ForbiddenAddressError, check_callback_url

    field = f"configuration.{CALLBACK_URL}"
    url = _string(value, field, max_len=MAX_URL)
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
        raise ValidationError(field, f"must be a string, number or boolean, got {_type_name(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(field, f"must be a finite number, got {_show(value)}")
    if abs(value) > MAX_SAFE_INTEGER or (value != 0 and abs(value) < MIN_FRACTION):
        raise ValidationError(
            field, f"must be a number from -{MAX_SAFE_INTEGER} to {MAX_SAFE_INTEGER}, not below 1e-128 in size"
        )
    return value


def _secret(value: Any, field: str) -> str | Kept:
    if isinstance(value, Kept):
        return value
    secret = _string(value, field, max_len=MAX_SECRET)
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
    config = _require_object(raw, "configuration")
    for key in config:
        if not isinstance(key, str) or not key:
            raise ValidationError("configuration", "has an empty key")
        if key.lower().startswith("event.") and key not in EVENT_KEYS:
            raise ValidationError(
                f"configuration.{key}", f"is not a known event setting{_closest(key.lower(), EVENT_KEYS)}"
            )
        if key not in KNOWN_KEYS and _near_miss(key):
            raise ValidationError(
                f"configuration.{key}",
                f"is not a known setting, and too close to one to be kept as a setting of your own"
                f"{_closest(key.lower(), KNOWN_KEYS) or _closest(_plain(key), [_plain(k) for k in KNOWN_KEYS])}",
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
        normalized[VENDOR_TYPE] = "polling"  # may be omitted, as on the platform
    if config.get(VENDOR_TYPE) is not None:
        if config[VENDOR_TYPE] != "polling":
            raise ValidationError(
                f"configuration.{VENDOR_TYPE}",
                f'must be "polling" (SmartRecruiters supports polling only), got {_show(config[VENDOR_TYPE])}',
            )
        normalized[VENDOR_TYPE] = "polling"
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
    return normalized, secrets


def _name(value: Any) -> str:
    return _string(value, "name", max_len=MAX_NAME)


def _tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValidationError("tags", f"must be a list of strings, got {_type_name(value)}")
    if len(value) > MAX_TAGS:
        raise ValidationError("tags", f"must have at most {MAX_TAGS} entries")
    for index, tag in enumerate(value):
        _string(tag, f"tags[{index}]", max_len=MAX_TAG)
    return tuple(dict.fromkeys(value))


def _check_top_level(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in body:
        if key not in allowed:
            raise ValidationError(str(key), f"is not a known instance field{_closest(str(key), allowed)}")


def validate_instance(body: Any, policy: CallbackPolicy) -> InstanceSpec:
    """The body of `POST /instances` → a valid InstanceSpec, or a ValidationError naming the field."""
    body = _require_object(body, "body")
    _check_top_level(body, TOP_LEVEL_KEYS)
    element = _require_object(body.get("element"), "element") if "element" in body else None
    if element is None:
        raise ValidationError("element.key", f'is required: "{ELEMENT_KEY}"')
    if element.get("key") != ELEMENT_KEY:
        raise ValidationError(
            "element.key", f'must be "{ELEMENT_KEY}", the only supported element, got {_show(element.get("key"))}'
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
    patch = _require_object(patch, "body")
    if not patch:
        raise ValidationError("body", "is empty: give name, tags or configuration keys to change")
    _check_top_level(patch, PATCH_KEYS)
    name = _name(patch["name"]) if "name" in patch else current.name
    tags = _tags(patch["tags"]) if "tags" in patch else current.tags
    configuration = dict(current.configuration)
    configuration.update(current.secrets)
    if "configuration" in patch:
        changes = _require_object(patch["configuration"], "configuration")
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
