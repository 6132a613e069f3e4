"""Reading a record's id and dates with the resource's configuration (dotted paths, Java patterns), and
writing a record as the compact JSON a notification body carries."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from srevents.domain.instance_config import DateField
from srevents.domain.java_dates import compile_pattern

# What json.dumps(value, separators=(",", ":"), ensure_ascii=False) uses, made once: dumps would build
# an encoder per call, and a poll encodes every record on its own.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def to_json(value: Any) -> str:
    """`value` as notification bodies write JSON: compact, non-ASCII characters as themselves."""
    return _ENCODER.encode(value)


def compact(record: dict[str, Any]) -> bytes:
    """A record as UTF-8 JSON, byte for byte as it appears in a notification body's `raw` list.

    Several times smaller than the parsed dict (each nested dict, key and value is its own Python
    object), so a poll keeps its records in this form from the moment they become events.
    """
    return to_json(record).encode("utf-8")


def field_value(record: dict[str, Any], path: str) -> Any:
    """`user.id` → record["user"]["id"]; None when any step is missing."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def object_id(record: dict[str, Any], path: str) -> str | None:
    value = field_value(record, path)
    if value is None or isinstance(value, dict | list) or value == "":
        return None
    return str(value)


def date_value(record: dict[str, Any], field: DateField | None) -> datetime | None:
    """The record's date per `field`, as an aware UTC datetime; None when absent or unreadable."""
    if field is None:
        return None
    raw = field_value(record, field.field)
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return compile_pattern(field.format).parse(raw, field.timezone)
    except ValueError:
        return None
