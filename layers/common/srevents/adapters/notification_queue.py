"""The notification queue (SQS FIFO): one message group per instance, so each instance's order holds."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 262_144  # SQS counts bodies and attributes of the whole batch


class EnqueueError(RuntimeError):
    pass


@dataclass(frozen=True)
class QueueMessage:
    body: str
    group_id: str
    deduplication_id: str
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        size = len(self.body.encode("utf-8"))
        for name, value in self.attributes.items():
            size += len(name) + len("String") + len(value.encode("utf-8"))
        return size


def batches(messages: Sequence[QueueMessage]) -> list[list[QueueMessage]]:
    """Split into SendMessageBatch calls: at most 10 entries and 256 KiB each, order kept."""
    out: list[list[QueueMessage]] = []
    current: list[QueueMessage] = []
    current_size = 0
    for message in messages:
        if current and (len(current) == MAX_BATCH_ENTRIES or current_size + message.size > MAX_BATCH_BYTES):
            out.append(current)
            current, current_size = [], 0
        current.append(message)
        current_size += message.size
    if current:
        out.append(current)
    return out


class NotificationQueue:
    def __init__(self, client: Any, queue_url: str, *, attempts: int = 4, pause: float = 0.2) -> None:
        self._client = client
        self._url = queue_url
        self._attempts = attempts
        self._pause = pause
        self.calls = 0

    def send(self, messages: Sequence[QueueMessage]) -> None:
        """Enqueue in order; entries SQS refuses are retried (same deduplication id), then it raises.

        Within one message group, a later message must not overtake an earlier one that failed, so a
        batch stops at its first failed entry and everything from there is sent again.
        """
        for batch in batches(messages):
            remaining = list(batch)
            for attempt in range(self._attempts):
                self.calls += 1
                response = self._client.send_message_batch(
                    QueueUrl=self._url,
                    Entries=[
                        {
                            "Id": str(index),
                            "MessageBody": message.body,
                            "MessageGroupId": message.group_id,
                            "MessageDeduplicationId": message.deduplication_id,
                            "MessageAttributes": {
                                name: {"DataType": "String", "StringValue": value}
                                for name, value in message.attributes.items()
                            },
                        }
                        for index, message in enumerate(remaining)
                    ],
                )
                failed = sorted(int(entry["Id"]) for entry in response.get("Failed", []))
                if not failed:
                    break
                remaining = remaining[failed[0] :]
                if attempt + 1 < self._attempts:
                    time.sleep(self._pause * (2**attempt))
            else:
                reasons = json.dumps(response.get("Failed", [])[:3], default=str)
                raise EnqueueError(f"SQS refused {len(remaining)} notification(s): {reasons}")
