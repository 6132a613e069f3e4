"""The poller configuration of an instance: `event.poller.configuration` (one block per resource) and the
platform's legacy `event.poller.urls` lines, validated and normalized, and read back as `ResourceConfig`s.

The date-pattern and poll-URL parsers are imported where a configuration is validated or read, not here: the
deliver function never reads a poller configuration, and its cold start would load them for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from srevents.domain.config_fields import (
    MAX_URL,
    closest,
    loads_storable,
    parse_bool,
    require_object,
    show,
    string_field,
    type_name,
    whole_number,
)
from srevents.domain.resources import DEFAULT_POLLER_CONFIGURATION, default_resource_config
from srevents.errors import ValidationError

if TYPE_CHECKING:
    from srevents.domain.poll_url import PollUrlTemplate

POLLER_CONFIGURATION = "event.poller.configuration"
POLLER_URLS = "event.poller.urls"  # the platform's legacy form of POLLER_CONFIGURATION: converted, never stored
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
    "includeDeleted",
)
INCLUDE_DELETED = "includeDeleted"  # also read deletions from the audit log (domain/deletions.py)
FILTER_BY_UPDATED_DATE_ALIAS = "filterByUpdateDate"  # the platform documents both spellings
DATES_KEYS = (
    "updatedDateField",
    "updatedDateFormat",
    "updatedDateTimezone",
    "createdDateField",
    "createdDateFormat",
    "createdDateTimezone",
)

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
_DOTTED_PATH = re.compile(r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")


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
    include_deleted: bool = False  # also emit DELETED events read from SmartRecruiters' audit log


def _seconds(value: Any, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(field, f"must be a whole number of seconds, got {show(value)}")
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[0-9]{1,6}\s*", value):
            raise ValidationError(field, f"must be a whole number of seconds, got {show(value)}")
        value = int(value)
    if not 0 <= value <= maximum:
        raise ValidationError(field, f"must be between 0 and {maximum} seconds, got {value}")
    return value


def _page_size(value: Any, field: str) -> int:
    number = whole_number(value)
    if number is None or not 1 <= number <= MAX_PAGE_SIZE:
        raise ValidationError(
            field,
            f"must be a whole number of records per page from 1 to {MAX_PAGE_SIZE} (SmartRecruiters' largest "
            f"page), got {show(value)}",
        )
    return number


def _timezone(value: Any, field: str) -> str:
    from srevents.domain.java_dates import resolve_timezone

    zone = string_field(value, field, max_len=100)
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
    name = string_field(dates[field_key], f"{prefix}.{field_key}", max_len=200)
    if not _DOTTED_PATH.match(name):
        raise ValidationError(f"{prefix}.{field_key}", f"must be a field name or dotted path, got {show(name)}")
    from srevents.domain.java_dates import JavaDatePatternError, compile_pattern

    pattern = string_field(dates.get(format_key, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"), f"{prefix}.{format_key}", max_len=200)
    try:
        compile_pattern(pattern)
    except JavaDatePatternError as exc:
        raise ValidationError(f"{prefix}.{format_key}", f"is not a usable date format: {exc}") from None
    zone = _timezone(dates.get(zone_key, default_zone), f"{prefix}.{zone_key}")
    return DateField(name, pattern, zone)


def _resource(name: str, raw: Any, prefix: str) -> tuple[dict[str, Any], ResourceConfig]:
    from srevents.domain.poll_url import PollUrlError, parse_poll_url

    block = require_object(raw, prefix)
    for key in block:
        if key not in RESOURCE_KEYS and key != FILTER_BY_UPDATED_DATE_ALIAS:
            raise ValidationError(f"{prefix}.{key}", f"is not a known setting{closest(key, RESOURCE_KEYS)}")
    if FILTER_BY_UPDATED_DATE_ALIAS in block and "filterByUpdatedDate" in block:
        raise ValidationError(
            f"{prefix}.{FILTER_BY_UPDATED_DATE_ALIAS}",
            "is another spelling of filterByUpdatedDate, which is given too: give one",
        )
    if "url" not in block:
        raise ValidationError(f"{prefix}.url", "is required")
    url = string_field(block["url"], f"{prefix}.url", max_len=MAX_URL)
    try:
        template = parse_poll_url(url)
    except PollUrlError as exc:
        raise ValidationError(f"{prefix}.url", str(exc)) from None
    if template.resource != name:
        raise ValidationError(
            f"{prefix}.url", f"polls '{template.resource}' but is configured under '{name}': they must match"
        )
    id_field = string_field(block.get("idField", "id"), f"{prefix}.idField", max_len=200)
    if not _DOTTED_PATH.match(id_field):
        raise ValidationError(f"{prefix}.idField", f"must be a field name or dotted path, got {show(id_field)}")
    dates_prefix = f"{prefix}.datesConfiguration"
    dates = require_object(block.get("datesConfiguration", {}), dates_prefix)
    for key in dates:
        if key not in DATES_KEYS and key != "createdCheckTolerance":
            raise ValidationError(f"{dates_prefix}.{key}", f"is not a known setting{closest(key, DATES_KEYS)}")
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
    include_deleted = _include_deleted(name, block, prefix)
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
    if include_deleted:
        normalized[INCLUDE_DELETED] = True
    config = ResourceConfig(
        name,
        template,
        id_field,
        updated,
        created,
        poll_delay,
        tolerance,
        page_size,
        by_current,
        by_updated,
        include_deleted,
    )
    return normalized, config


def _include_deleted(name: str, block: dict[str, Any], prefix: str) -> bool:
    """`includeDeleted`: a JSON boolean, only where SmartRecruiters' audit log records deletions."""
    from srevents.domain.deletions import DELETABLE_RESOURCES

    if INCLUDE_DELETED not in block:
        return False
    value = block[INCLUDE_DELETED]
    field = f"{prefix}.{INCLUDE_DELETED}"
    if not isinstance(value, bool):
        raise ValidationError(field, f"must be true or false, got {show(value)}")
    if name not in DELETABLE_RESOURCES:
        raise ValidationError(
            field,
            f"is not available for '{name}': SmartRecruiters' audit log records deletions of "
            f"{' and '.join(DELETABLE_RESOURCES)} only",
        )
    return value


def deletion_resources(configuration: Mapping[str, Any]) -> list[str]:
    """The resources of a stored (already valid) configuration that read deletions."""
    blocks = configuration.get(POLLER_CONFIGURATION) or {}
    return [name for name, block in blocks.items() if isinstance(block, dict) and block.get(INCLUDE_DELETED) is True]


def parse_poller_configuration(raw: Any) -> dict[str, dict[str, Any]]:
    """Validate `event.poller.configuration` (an object or a JSON-encoded string); return it normalized."""
    from srevents.domain.poll_url import HUB_RESOURCES

    field = f"configuration.{POLLER_CONFIGURATION}"
    if raw is None:
        raw = {name: default_resource_config(name) for name in DEFAULT_POLLER_CONFIGURATION}
    if isinstance(raw, str):
        raw = loads_storable(raw, field)
    config = require_object(raw, field)
    if not config:
        raise ValidationError(field, "must name at least one resource to poll")
    normalized: dict[str, dict[str, Any]] = {}
    for name, block in config.items():
        if name not in HUB_RESOURCES:
            known = ", ".join(HUB_RESOURCES)
            raise ValidationError(
                f"{field}.{name}",
                f"is not a resource SmartRecruiters can poll{closest(name, list(HUB_RESOURCES))} (known: {known})",
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
        raise ValidationError(field, f"must be a string of lines resource|url|..., got {type_name(raw)}")
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
                f"is not a resource SmartRecruiters can poll, got {show(resource)}"
                f"{closest(resource, list(HUB_RESOURCES))} (known: {', '.join(HUB_RESOURCES)})",
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
