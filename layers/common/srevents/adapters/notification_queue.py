"""The notification queue (SQS FIFO): one message group per instance, so each instance's order holds.

Messages go out ten to a `SendMessageBatch`, and order survives a batch that fails in part. SQS reports a
batch's entries one by one and promises nothing about the entries after a failed one: they may be in the
queue, and the failed message, sent again, would land behind them. So:

- every entry but the first names the entry sent just before it in the same call
  (`previousInBatch`, a notification id); and
- when an entry fails, it and every entry after it are sent again, in a new call, with new
  deduplication ids (the early copies already in the queue would otherwise swallow the re-sends).

The deliverer drops a message whose `previousInBatch` it has not processed (see
`services/deliver_service.py`): an entry before it in its own call failed, so the message is an early copy
and its re-send follows. A call is only made once every earlier message is in the queue, so the first
entry of a call never needs the check.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_ENTRIES = 10  # SQS: entries per SendMessageBatch
MAX_CALL_BYTES = 256 * 1024  # SQS: bodies and attributes of one call together (the classic limit, to be safe)
RESEND_ATTEMPTS = 5  # calls per batch before giving up (the SDK already retries each call itself)
PREVIOUS_IN_BATCH = "previousInBatch"


class EnqueueError(Exception):
    """Some messages could not be enqueued; those before them are in the queue, in order."""


@dataclass(frozen=True)
class QueueMessage:
    body: str
    group_id: str
    deduplication_id: str  # a stable prefix: each call appends its own token
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """What the next entry of a call names as its predecessor."""
        return self.attributes.get("notificationId") or self.deduplication_id

    def size(self) -> int:
        """Bytes SQS counts against the call's limit: body plus attribute names, types and values."""
        attributes = sum(len(n) + len("String") + len(v.encode()) for n, v in self.attributes.items())
        return len(self.body.encode()) + attributes + len(PREVIOUS_IN_BATCH) + len("String") + 64


class NotificationQueue:
    def __init__(
        self,
        client: Any,
        queue_url: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        token: Callable[[], str] = lambda: uuid.uuid4().hex[:16],
    ) -> None:
        self._client = client
        self._url = queue_url
        self._sleep = sleep
        self._token = token

    def send(self, messages: Sequence[QueueMessage]) -> None:
        """Enqueue `messages` in order; raises EnqueueError once a batch keeps failing (see the module doc)."""
        for call in _calls(messages):
            self._send_in_order(call)

    def _send_in_order(self, messages: list[QueueMessage]) -> None:
        remaining = messages
        for attempt in range(RESEND_ATTEMPTS):
            if attempt:
                self._sleep(min(0.1 * 2**attempt, 2.0))
            failed_at, reason, sender_fault = self._send_call(remaining)
            if failed_at is None:
                return
            remaining = remaining[failed_at:]
            if sender_fault:  # the message itself is refused (too large, bad attribute): resending cannot help
                break
        raise EnqueueError(f"SQS refused {len(remaining)} message(s) of a batch: {reason}")

    def _send_call(self, messages: list[QueueMessage]) -> tuple[int | None, str, bool]:
        """One SendMessageBatch. Returns (index of the first failed entry or None, its reason, sender fault)."""
        token = self._token()
        entries = []
        for index, message in enumerate(messages):
            attributes = dict(message.attributes)
            if index:
                attributes[PREVIOUS_IN_BATCH] = messages[index - 1].key
            entries.append(
                {
                    "Id": str(index),
                    "MessageBody": message.body,
                    "MessageGroupId": message.group_id,
                    "MessageDeduplicationId": f"{message.deduplication_id}:{token}",
                    "MessageAttributes": {
                        name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
                    },
                }
            )
        response = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
        failed = sorted(response.get("Failed") or [], key=lambda f: int(f["Id"]))
        if not failed:
            return None, "", False
        first = failed[0]
        reason = f"{first.get('Code', 'error')}: {first.get('Message', '')}".strip()
        return int(first["Id"]), reason, bool(first.get("SenderFault"))


def _calls(messages: Sequence[QueueMessage]) -> Iterator[list[QueueMessage]]:
    """Consecutive runs of at most MAX_ENTRIES messages and MAX_CALL_BYTES."""
    call: list[QueueMessage] = []
    size = 0
    for message in messages:
        message_size = message.size()
        if call and (len(call) == MAX_ENTRIES or size + message_size > MAX_CALL_BYTES):
            yield call
            call, size = [], 0
        call.append(message)
        size += message_size
    if call:
        yield call
