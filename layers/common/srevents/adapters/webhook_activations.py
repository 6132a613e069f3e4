"""Subscriptions being activated: the record the inbound route reads to answer SmartRecruiters' handshake.

Activation happens while an instance is being created (or changed), before its item exists or carries the
new subscription, so the handshake cannot look at the instance. A short-lived item in the instances table,
`WEBHOOKACTIVATION#<instanceId>`, says "answer the `X-Hook-Secret` handshake for this instance now"; it is
written just before the activation call and removed right after it (its `expiresAt` bounds it if the API
function dies in between, and the table's TTL on `expiresAt` then deletes it: no other item of the instances
table carries that attribute).
"""

from __future__ import annotations

from typing import Any

ACTIVATION_SECONDS = 120  # SmartRecruiters answers the activation call within 20 s of its handshake


def _key(instance_id: int) -> dict[str, Any]:
    return {"pk": {"S": f"WEBHOOKACTIVATION#{instance_id}"}}


class WebhookActivations:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def open(self, instance_id: int, now_s: int) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={**_key(instance_id), "expiresAt": {"N": str(now_s + ACTIVATION_SECONDS)}},
        )

    def is_open(self, instance_id: int, now_s: int) -> bool:
        item = self._client.get_item(TableName=self._table, Key=_key(instance_id), ConsistentRead=True).get("Item")
        return bool(item) and int(item["expiresAt"]["N"]) > now_s

    def close(self, instance_id: int) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(instance_id))
