"""Reading configuration values: the checks every part of an instance's configuration shares.

Each raises a `ValidationError` naming the field by its dotted path and saying what is wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any

from srevents.errors import ValidationError

MAX_URL = 2048  # a callback URL or a poll URL


def closest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    import difflib

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def show(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (RecursionError, ValueError):
        return type_name(value)
    return text if len(text) <= 60 else text[:57] + "..."


def require_object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(field, f"must be a JSON object, got {type_name(value)}")
    return value


def type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def string_field(value: Any, field: str, *, max_len: int, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type_name(value)}")
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
    raise ValidationError(field, f'must be a boolean (true/false or "true"/"false"), got {show(value)}')


def whole_number(value: Any) -> int | None:
    """A whole number given as a number (`15`, `15.0`) or as ASCII digits (`"15"`); None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,6}\s*", value):
        return int(value)
    return None


MAX_CONFIGURATION_DEPTH = 32  # a resource block nests 3 levels; anything far deeper is not a configuration


def depth_within(value: Any, limit: int) -> bool:
    """True when `value` nests at most `limit` containers deep (checked without recursion)."""
    level: list[Any] = [value] if isinstance(value, dict | list) else []  # a number or a string nests nothing
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


def loads_storable(text: str, field: str) -> Any:
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
    if not depth_within(value, MAX_CONFIGURATION_DEPTH):
        raise ValidationError(field, f"is nested too deeply (at most {MAX_CONFIGURATION_DEPTH} levels)")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, "holds a string that is not valid Unicode (a lone surrogate)") from None
    return value
