"""The SQS event source mapping, emulated: receive from the queue, invoke the deliver handler with a
real SQS event, delete what succeeded, leave `batchItemFailures` to the queue (visibility, redrive).

Like Lambda's FIFO event source, several batches may be in flight at once (one `SqsPump` per concurrent
invocation, see devstack/stack.py), never two batches of one message group: SQS (and moto) hold a group's
messages back while one of them is in flight, and `GroupsInFlight` makes sure of it here too.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

from devstack.lambda_runtime import LambdaContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda builds from received messages (`sam local generate-event sqs receive-message`)."""
    records = []
    for message in messages:
        attributes = dict(message.get("Attributes", {}))
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": attributes,
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value.get("DataType", "String"),
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


class GroupsInFlight:
    """The message groups some pump is invoking the handler with right now (shared by a queue's pumps)."""

    def __init__(self) -> None:
        self._groups: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, groups: set[str]) -> set[str]:
        """Claim `groups`; returns those another pump already holds (not claimed)."""
        with self._lock:
            busy = groups & self._groups
            self._groups |= groups - busy
            return busy

    def release(self, groups: set[str]) -> None:
        with self._lock:
            self._groups -= groups


def _group(message: dict[str, Any]) -> str:
    return str(message.get("Attributes", {}).get("MessageGroupId") or message["MessageId"])


class SqsPump:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        *,
        wait_seconds: int = 0,
        in_flight: GroupsInFlight | None = None,
        timeout_seconds: float = 60,
        function_name: str = "srevents-DeliverFunction",
    ) -> None:
        self._function = function_name
        self._sqs = sqs
        self._url = queue_url
        self._arn = queue_arn
        self._handler = handler
        self._wait = wait_seconds
        self._in_flight = in_flight or GroupsInFlight()
        self._timeout = timeout_seconds
        self.invocations = 0

    def pump_once(self) -> int:
        """One receive + one invocation. Returns how many messages were handed to the handler."""
        response = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=self._wait,
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        groups = {_group(m) for m in messages}
        busy = self._in_flight.claim(groups)
        if busy:  # never two batches of one group at once: hand those messages back untouched
            self._make_visible([m for m in messages if _group(m) in busy])
            messages = [m for m in messages if _group(m) not in busy]
        try:
            return self._invoke(messages) if messages else 0
        finally:
            self._in_flight.release(groups - busy)

    def _invoke(self, messages: list[dict[str, Any]]) -> int:
        self.invocations += 1
        context = LambdaContext(function_name=self._function, timeout_seconds=self._timeout)
        result = self._handler(sqs_event(messages, self._arn), context)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
                ],
            )
        return len(messages)

    def _make_visible(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            self._sqs.change_message_visibility_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(messages[start : start + 10])
                ],
            )

    def drain(self, max_rounds: int = 1000) -> int:
        """Pump until the queue offers nothing (messages waiting out a retry delay stay behind)."""
        total = 0
        for _ in range(max_rounds):
            handled = self.pump_once()
            if not handled:
                return total
            total += handled
        return total
