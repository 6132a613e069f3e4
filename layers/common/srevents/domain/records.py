"""Reading a record's id and dates with the resource's configuration (dotted paths, Java patterns), and
writing a record as the compact JSON a notification body carries."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from srevents.domain.java_dates import compile_pattern
from srevents.domain.poller_config import DateField

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


class UnreadableRecord(dict):  # type: ignore[type-arg]
    """A record that could not be read whole (nested too deeply for the JSON parser): only its top-level
    fields that parse on their own, to name it (its id) when it is counted as unreadable; never emitted."""


def _top_level_parts(text: str) -> list[str]:
    """The raw texts of the comma-separated parts of a JSON array or object, without recursion (a loop over
    the characters), so any depth can be split. `text` must start with `[` or `{` (after whitespace)."""
    parts: list[str] = []
    depth, in_string, escaped, start = 0, False, False, 0
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth == 1:
                start = index + 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                parts.append(text[start:index])
                break
        elif char == "," and depth == 1:
            parts.append(text[start:index])
            start = index + 1
    return [part for part in parts if part.strip()]


def _members(text: str) -> dict[str, str]:
    """A JSON object's members as {key: raw value text}, split without recursion."""
    decoder = json.JSONDecoder()
    members: dict[str, str] = {}
    for part in _top_level_parts(text):
        key, end = decoder.raw_decode(part.lstrip())
        members[str(key)] = part.lstrip()[end:].lstrip().removeprefix(":")
    return members


def loads_deep_page(text: str) -> dict[str, Any]:
    """A list page (`{"content": [...], ...}`) that json.loads refused as nested too deeply: every field and
    record that parses is kept; a record that does not becomes an `UnreadableRecord` of its readable
    top-level fields. Raises ValueError when the page itself is not a JSON object with such a shape."""
    if not text.lstrip().startswith("{"):
        raise ValueError("not a JSON object")
    page: dict[str, Any] = {}
    for key, raw in _members(text).items():
        if key != "content":
            try:
                page[key] = json.loads(raw)
            except (RecursionError, ValueError):
                page[key] = None
            continue
        if not raw.lstrip().startswith("["):
            raise ValueError("content is not a list")
        records: list[Any] = []
        for element in _top_level_parts(raw):
            try:
                records.append(json.loads(element))
            except RecursionError:
                shallow = UnreadableRecord()
                if element.lstrip().startswith("{"):
                    for name, value in _members(element).items():
                        try:
                            shallow[name] = json.loads(value)
                        except (RecursionError, ValueError):
                            continue
                records.append(shallow)
        page["content"] = records
    return page
