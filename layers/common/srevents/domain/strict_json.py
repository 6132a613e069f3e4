"""JSON as the API reads it: an object that holds a key twice is refused, not resolved last-wins.

Parsers disagree on which of two equal keys counts (most keep the last, some the first, some refuse), so a
body like `{"key": "evil", "key": "smartrecruiters"}` could mean one thing to a proxy or a client's
validator and another to us. Refusing it leaves one reading.
"""

from __future__ import annotations

from typing import Any


class DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` for json.loads: the object, or DuplicateKeyError naming the repeated key."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKeyError(key)
        obj[key] = value
    return obj


def duplicate_key_message(error: DuplicateKeyError) -> str:
    shown = error.key if len(error.key) <= 60 else error.key[:57] + "..."
    return f'holds the key "{shown}" twice in one object: send each key once'
