"""Poller state: one item per instance holding the poll lease and every resource's state.

Every write a poll makes after taking the lease is conditional on still holding it (a fencing check),
so a poll that outlived its lease can never move a watermark that a newer poll owns.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from srevents.adapters.dynamo import decode, encode_value, is_conditional_failure
from srevents.domain.poller_state import ResourceState, decode_state, encode_state


class LeaseLost(RuntimeError):
    """Another poll holds (or took over) this instance's lease."""


@dataclass(frozen=True)
class PollerSnapshot:
    resources: dict[str, ResourceState]
    lease_owner: str | None
    lease_expires_ms: int | None


def _key(instance_id: int) -> dict[str, Any]:
    return {"instanceId": {"N": str(instance_id)}}


def _snapshot(raw: dict[str, Any] | None) -> PollerSnapshot:
    item = decode(raw) if raw else {}
    resources = {name: decode_state(state) for name, state in (item.get("resources") or {}).items()}
    return PollerSnapshot(resources, item.get("leaseOwner"), item.get("leaseExpires"))


class PollerStateStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def read(self, instance_id: int) -> PollerSnapshot:
        response = self._client.get_item(TableName=self._table, Key=_key(instance_id), ConsistentRead=True)
        return _snapshot(response.get("Item"))

    def acquire(self, instance_id: int, owner: str, now_ms: int, expires_ms: int) -> PollerSnapshot | None:
        """Take the lease if it is free or expired, returning the state; None if someone holds it."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_key(instance_id),
                UpdateExpression=(
                    "SET leaseOwner = :me, leaseExpires = :exp, resources = if_not_exists(resources, :empty)"
                ),
                ConditionExpression="attribute_not_exists(leaseExpires) OR leaseExpires < :now",
                ExpressionAttributeValues={
                    ":me": {"S": owner},
                    ":exp": {"N": str(expires_ms)},
                    ":now": {"N": str(now_ms)},
                    ":empty": {"M": {}},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return None
            raise
        return _snapshot(response["Attributes"])

    def _fenced_update(
        self, instance_id: int, owner: str, expression: str, names: dict[str, str], values: dict[str, Any]
    ) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(instance_id),
                UpdateExpression=expression,
                ConditionExpression="leaseOwner = :me",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":me": {"S": owner}, **values},
            )
        except ClientError as error:
            if is_conditional_failure(error):
                raise LeaseLost(f"instance {instance_id}: the poll lease was taken over") from None
            raise

    def save(self, instance_id: int, owner: str, resource: str, state: ResourceState, *, release: bool) -> None:
        """Replace one resource's state (the commit of a poll); optionally give the lease back."""
        expression = "SET resources.#r = :s" + (" REMOVE leaseOwner, leaseExpires" if release else "")
        self._fenced_update(instance_id, owner, expression, {"#r": resource}, {":s": encode_value(encode_state(state))})

    def release(self, instance_id: int, owner: str) -> None:
        with contextlib.suppress(LeaseLost):  # someone took over: the lease is theirs to release
            self._fenced_update(instance_id, owner, "REMOVE leaseOwner, leaseExpires", {}, {})

    def replace_resources(self, instance_id: int, states: dict[str, ResourceState], now_ms: int) -> bool:
        """Overwrite resources' states while no poll holds the lease (replay). False if one does."""
        names = {f"#r{i}": name for i, name in enumerate(states)}
        values = {f":s{i}": encode_value(encode_state(state)) for i, state in enumerate(states.values())}
        sets = ", ".join(f"resources.#r{i} = :s{i}" for i in range(len(states)))
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(instance_id),
                UpdateExpression=f"SET {sets}",
                ConditionExpression=(
                    "attribute_exists(resources) AND (attribute_not_exists(leaseExpires) OR leaseExpires < :now)"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values, ":now": {"N": str(now_ms)}},
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def ensure_item(self, instance_id: int) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=_key(instance_id),
            UpdateExpression="SET resources = if_not_exists(resources, :empty)",
            ExpressionAttributeValues={":empty": {"M": {}}},
        )

    def delete(self, instance_id: int) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(instance_id))
