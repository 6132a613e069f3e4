"""Reading a record's id and dates with the resource's configuration (dotted paths, Java patterns)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from srevents.domain.instance_config import DateField
from srevents.domain.java_dates import compile_pattern


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
