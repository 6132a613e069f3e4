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

A call the SDK had to retry is sent again whole, under a new token: the SDK re-sends the same request, so
if an earlier attempt was applied in part and its answer lost, the retry enqueues the missing entries
behind the ones after them and reports every entry successful. A call that still fails after the SDK's
retries raises; the poll then keeps its plan and the next poll sends the plan again.

The dead-letter queue is not ordered (`ordered=False`): its messages keep their deduplication ids as given
and name no predecessor.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from srevents.adapters.notification_message import PREVIOUS_IN_BATCH, QueueMessage

MAX_ENTRIES = 10  # SQS: entries per SendMessageBatch
MAX_CALL_BYTES = 256 * 1024  # SQS: bodies and attributes of one call together (the classic limit, to be safe)
RESEND_ATTEMPTS = 5  # calls per batch before giving up (the SDK already retries each call itself)


class EnqueueError(Exception):
    """Some messages could not be enqueued; those before them are in the queue, in order."""


@dataclass(frozen=True)
class _CallResult:
    failed_at: int | None  # index of the first entry to send again; None when every entry is in place
    reason: str = ""
    sender_fault: bool = False  # the message itself was refused: sending it again cannot help


class NotificationQueue:
    def __init__(
        self,
        client: Any,
        queue_url: str,
        *,
        ordered: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        token: Callable[[], str] = lambda: uuid.uuid4().hex[:16],
    ) -> None:
        self._client = client
        self._url = queue_url
        self._ordered = ordered
        self._sleep = sleep
        self._token = token

    def send(self, messages: Sequence[QueueMessage]) -> None:
        """Enqueue `messages` in order (see the module doc).

        Raises EnqueueError when SQS keeps refusing entries of a call, and the SDK's own error when a call
        fails outright after the SDK's retries. Either way the messages before the failed call are in the
        queue, in order, and the caller sends everything from its plan again later.
        """
        for call in _calls(messages):
            self._send_in_order(call)

    def _send_in_order(self, messages: list[QueueMessage]) -> None:
        remaining = messages
        for attempt in range(RESEND_ATTEMPTS):
            if attempt:
                self._sleep(min(0.1 * 2**attempt, 2.0))
            result = self._send_call(remaining)
            if result.failed_at is None:
                return
            remaining = remaining[result.failed_at :]
            if result.sender_fault:
                break
        raise EnqueueError(f"SQS refused {len(remaining)} message(s) of a batch: {result.reason}")

    def _send_call(self, messages: list[QueueMessage]) -> _CallResult:
        token = self._token() if self._ordered else ""
        entries = []
        for index, message in enumerate(messages):
            attributes = dict(message.attributes)
            if index and self._ordered:
                attributes[PREVIOUS_IN_BATCH] = messages[index - 1].key
            entries.append(
                {
                    "Id": str(index),
                    "MessageBody": message.body,
                    "MessageGroupId": message.group_id,
                    "MessageDeduplicationId": f"{message.deduplication_id}:{token}"
                    if token
                    else message.deduplication_id,
                    "MessageAttributes": {
                        name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
                    },
                }
            )
        response = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
        failed = sorted(response.get("Failed") or [], key=lambda f: int(f["Id"]))
        if failed:
            first = failed[0]
            reason = f"{first.get('Code', 'error')}: {first.get('Message', '')}".strip()
            return _CallResult(int(first["Id"]), reason, bool(first.get("SenderFault")))
        if self._ordered and response.get("ResponseMetadata", {}).get("RetryAttempts", 0):
            # The SDK sent this request more than once, same deduplication ids. If an earlier attempt was
            # applied in part, the later one put the missing entries behind those after them and answers
            # as if all were in order. Which happened is unknown: the whole call goes again, new token.
            return _CallResult(0, "the SDK retried the call; its order in the queue is not known")
        return _CallResult(None)


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
