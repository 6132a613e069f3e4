"""Poller state: one item per instance holding the lease and every resource's watermark."""

from __future__ import annotations

from typing import Any


class PollerStateStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def delete(self, instance_id: int) -> None:
        self._client.delete_item(TableName=self._table, Key={"instanceId": {"N": str(instance_id)}})
