"""When the notification queue offers a received message again (SQS visibility timeout)."""

from __future__ import annotations

from typing import Any

_MAX_ENTRIES = 10  # SQS: entries per ChangeMessageVisibilityBatch
MAX_VISIBILITY_SECONDS = 43_200 - 300
"""SQS keeps a message invisible for at most 12 hours counted from its receipt, which was up to the function's
timeout ago: a longer delay is refused. A delay cut short brings the message back early, and the deliverer
puts it away again until its recorded retry time (services/deliver_service.py)."""


class QueueVisibility:
    """Keeps a failed message invisible until its next attempt is due; lets held-back ones go at once.

    `scale` divides every delay (the local stack and tests run a day of retries in seconds).
    """

    def __init__(self, client: Any, queue_url: str, scale: float = 1.0) -> None:
        self._client = client
        self._url = queue_url
        self.scale = scale
        # What was asked for, for tests and the local stack to read: delays before scaling, released handles.
        self.requested: list[int] = []
        self.released: list[str] = []

    def real_seconds(self, seconds: float) -> float:
        """How long a delay of `seconds` really keeps a message invisible (after scaling)."""
        return seconds / self.scale

    def delay(self, receipt_handle: str, seconds: int) -> None:
        self.requested.append(seconds)
        visibility = min(int(self.real_seconds(seconds)), MAX_VISIBILITY_SECONDS)
        self._client.change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=visibility
        )

    def release(self, receipt_handles: list[str]) -> None:
        """Make held-back messages visible again at once.

        They were not attempted: a notification before them in their group failed, or the invocation was
        running out of time. Left alone they would stay in flight for the queue's whole visibility timeout
        and block the group past the failed one's own retry delay; released, FIFO still keeps them behind it.
        """
        self.released.extend(receipt_handles)
        for start in range(0, len(receipt_handles), _MAX_ENTRIES):
            chunk = receipt_handles[start : start + _MAX_ENTRIES]
            self._client.change_message_visibility_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": r, "VisibilityTimeout": 0} for i, r in enumerate(chunk)],
            )
