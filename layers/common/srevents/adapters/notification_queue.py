"""The notification queue (SQS FIFO): one message group per instance, so each instance's order holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class QueueMessage:
    body: str
    group_id: str
    deduplication_id: str
    attributes: dict[str, str] = field(default_factory=dict)


class NotificationQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, messages: Sequence[QueueMessage]) -> None:
        """Enqueue in order, one message at a time; a send SQS refuses (after the SDK's retries) raises.

        Not SendMessageBatch: SQS reports a batch's entries one by one and promises nothing about the
        entries after a failed one. They can be enqueued, and the failed message, sent again, would then
        arrive behind later messages of its group. Sending a message only once the previous one is in the
        queue keeps each instance's order whatever fails; a re-send keeps its deduplication id.
        """
        for message in messages:
            self._client.send_message(
                QueueUrl=self._url,
                MessageBody=message.body,
                MessageGroupId=message.group_id,
                MessageDeduplicationId=message.deduplication_id,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value} for name, value in message.attributes.items()
                },
            )
