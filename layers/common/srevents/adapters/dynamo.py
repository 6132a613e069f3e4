"""What the stores share: DynamoDB item encoding (plain Python values ↔ attribute values), batch reads."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

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


BATCH_GET_KEYS = 100  # DynamoDB: keys per BatchGetItem
_BATCH_GET_ATTEMPTS = 5


def batch_get(client: Any, table: str, keys: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
    """The items of `keys` that exist (raw attribute values), strongly consistent, in as few calls as keys allow.

    `options` go into the table's request (`ProjectionExpression`, `ExpressionAttributeNames`). Keys
    DynamoDB leaves unprocessed are asked for again with backoff; still unprocessed after that: RuntimeError.
    """
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_KEYS):
        request: dict[str, Any] = {
            table: {"Keys": keys[start : start + BATCH_GET_KEYS], "ConsistentRead": True, **options}
        }
        for attempt in range(_BATCH_GET_ATTEMPTS):
            if attempt:
                time.sleep(min(0.05 * 2**attempt, 1.0))
            response = client.batch_get_item(RequestItems=request)
            found.extend(response.get("Responses", {}).get(table, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError(f"DynamoDB left keys of {table} unprocessed after retries")
    return found
