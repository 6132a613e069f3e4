"""Poll now: invoke the poll function asynchronously, with the same input a schedule sends; and hand it a
verified webhook callback the same way (Lambda's asynchronous invocation queues the event, retries it twice
and answers the caller at once)."""

from __future__ import annotations

import json
from typing import Any


class PollTrigger:
    def __init__(self, client: Any, function_arn: str) -> None:
        self._client = client
        self._function = function_arn

    def trigger(self, instance_id: int) -> None:
        self._client.invoke(
            FunctionName=self._function,
            InvocationType="Event",
            Payload=json.dumps({"instanceId": instance_id, "trigger": "api"}).encode(),
        )

    def webhook(self, instance_id: int, callback: dict[str, Any]) -> None:
        self._client.invoke(
            FunctionName=self._function,
            InvocationType="Event",
            Payload=json.dumps({"instanceId": instance_id, "webhook": callback}, separators=(",", ":")).encode(),
        )
