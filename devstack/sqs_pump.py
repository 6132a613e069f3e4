"""The SQS event source mapping, emulated: receive from the queue, invoke the deliver handler with a
real SQS event, delete what succeeded, leave `batchItemFailures` to the queue (visibility, redrive)."""

from __future__ import annotations

import hashlib
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


class SqsPump:
    def __init__(self, sqs: Any, queue_url: str, queue_arn: str, handler: Handler, *, wait_seconds: int = 0) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._arn = queue_arn
        self._handler = handler
        self._wait = wait_seconds
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
        self.invocations += 1
        result = self._handler(
            sqs_event(messages, self._arn), LambdaContext(function_name="srevents-DeliverFunction", timeout_seconds=60)
        )
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

    def drain(self, max_rounds: int = 1000) -> int:
        """Pump until the queue offers nothing (messages waiting out a retry delay stay behind)."""
        total = 0
        for _ in range(max_rounds):
            handled = self.pump_once()
            if not handled:
                return total
            total += handled
        return total
