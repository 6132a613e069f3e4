"""What the stores share: DynamoDB item encoding (plain Python values ↔ attribute values), batch reads."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return bytes(value.value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def _storable(value: Any) -> Any:
    """Floats as Decimals (boto3 refuses floats: they would round); the domain keeps them in range."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def encode(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_storable(v)) for k, v in item.items() if v is not None}


def encode_value(value: Any) -> dict[str, Any]:
    return _serializer.serialize(_storable(value))


def decode(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def is_conditional_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


BATCH_GET_KEYS = 100  # DynamoDB: keys per BatchGetItem, all tables together
_BATCH_GET_ATTEMPTS = 5
T = TypeVar("T")


@dataclass(frozen=True)
class BatchRead(Generic[T]):
    """What one store wants read in a BatchGetItem: a table's keys, its options, and how to read the answer.

    Reads of several tables go out together with `read_together` (one call where 100 keys allow).
    """

    client: Any
    table: str
    keys: list[dict[str, Any]]
    parse: Callable[[list[dict[str, Any]]], T]  # the items that exist (raw attribute values) → the result
    options: dict[str, Any] = field(default_factory=dict)  # ProjectionExpression, ExpressionAttributeNames


def read_together(*reads: BatchRead[Any]) -> list[Any]:
    """Each read's result, strongly consistent, in as few BatchGetItem calls as the keys allow.

    Reads of one table go in one request entry: each read is handed only the items of its own keys, and when
    their options differ (one projects, the other does not), whole items are read. Keys DynamoDB leaves
    unprocessed are asked for again with backoff; still unprocessed after that: RuntimeError. All reads must
    use one client.
    """
    if not reads:
        return []
    pending = list(dict.fromkeys((read.table, _key_id(key)) for read in reads for key in read.keys))
    keys = {(read.table, _key_id(key)): key for read in reads for key in read.keys}
    found: dict[str, list[dict[str, Any]]] = {read.table: [] for read in reads}
    options: dict[str, dict[str, Any]] = {}
    for read in reads:
        options[read.table] = read.options if options.get(read.table, read.options) == read.options else {}
    client = reads[0].client
    for start in range(0, len(pending), BATCH_GET_KEYS):
        request: dict[str, Any] = {}
        for table, key_id in pending[start : start + BATCH_GET_KEYS]:
            entry = request.setdefault(table, {"Keys": [], "ConsistentRead": True, **options[table]})
            entry["Keys"].append(keys[(table, key_id)])
        for attempt in range(_BATCH_GET_ATTEMPTS):
            if attempt:
                time.sleep(min(0.05 * 2**attempt, 1.0))
            response = client.batch_get_item(RequestItems=request)
            for table, items in response.get("Responses", {}).items():
                found[table].extend(items)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError(f"DynamoDB left keys of {', '.join(request)} unprocessed after retries")
    return [read.parse(_own_items(read, found[read.table])) for read in reads]


def _key_id(key: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """A key's attributes as a hashable value: ((name, value), ...) sorted by name."""
    return tuple(sorted((name, str(value)) for name, value in key.items()))


def _own_items(read: BatchRead[Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items of the read's own keys (another read of the same table asked for the rest)."""
    if not read.keys:
        return []
    names = list(read.keys[0])
    wanted = {_key_id(key) for key in read.keys}
    return [item for item in items if _key_id({n: item[n] for n in names if n in item}) in wanted]
