"""The notification queue's wire format: what one SQS message carries, written and read here only.

The poller encodes a notification into a message, the deliverer decodes the SQS records Lambda hands it,
and the dead-letter path encodes the copy it moves aside. The body is the notification's JSON, sent to
the callback byte for byte; the attributes say what the deliverer needs without parsing the body:

| attribute         | value                                                                   |
|-------------------|-------------------------------------------------------------------------|
| `instanceId`      | the instance (also the FIFO message group)                              |
| `notificationId`  | the notification's id (stable: a re-sent notification keeps it)        |
| `generation`      | the instance's replay generation when the notification was planned      |
| `objectType`      | the resource its events are about (`candidates`, `jobs`, ...)           |
| `eventCount`      | how many events it carries                                              |
| `previousInBatch` | the notification sent just before it in the same enqueue call (ordered  |
|                   | queue only; see adapters/notification_queue.py)                         |
| `kind`            | `redelivery` on the message a redelivery puts in the instance's group   |
|                   | to wake its deliverer (no notification; absent on notifications)        |
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

INSTANCE_ID = "instanceId"
NOTIFICATION_ID = "notificationId"
GENERATION = "generation"
OBJECT_TYPE = "objectType"
EVENT_COUNT = "eventCount"
PREVIOUS_IN_BATCH = "previousInBatch"
KIND = "kind"
REDELIVERY = "redelivery"
_NOTIFICATION_ID_BYTES = 64  # room for the predecessor's id in a message's size


@dataclass(frozen=True)
class QueueMessage:
    """One message to send: the body, its FIFO group, a deduplication id and string attributes."""

    body: str
    group_id: str
    deduplication_id: str  # a stable prefix: each enqueue call of the ordered queue appends its own token
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """What the next entry of a call names as its predecessor: the notification id."""
        key = self.attributes.get(NOTIFICATION_ID)
        if not key:
            raise ValueError("a message of the ordered queue must carry its notificationId")
        return key

    def size(self) -> int:
        """Bytes SQS counts against the call's limit: body plus attribute names, types and values."""
        attributes = sum(len(n) + len("String") + len(v.encode()) for n, v in self.attributes.items())
        predecessor = len(PREVIOUS_IN_BATCH) + len("String") + _NOTIFICATION_ID_BYTES
        return len(self.body.encode()) + attributes + predecessor


@dataclass(frozen=True)
class QueuedNotification:
    """One notification as the deliverer receives it from the queue."""

    instance_id: int
    notification_id: str
    body: str
    generation: int
    attempt: int  # the queue's receive count (informational: attempts are counted in the delivery log)
    receipt_handle: str
    object_type: str = ""
    event_count: int = 0
    previous_in_batch: str | None = None  # the notification sent just before this one in its enqueue call
    message_id: str = ""
    sent_at_ms: int | None = None  # when SQS accepted the message (for the queue-age metric)
    kind: str = ""  # REDELIVERY: a redelivery's wake-up, no notification

    @property
    def is_redelivery(self) -> bool:
        return self.kind == REDELIVERY

    @property
    def key(self) -> tuple[int, str]:
        return (self.instance_id, self.notification_id)


def encode(
    instance_id: int, notification_id: str, body: str, generation: int, object_type: str, event_count: int
) -> QueueMessage:
    """The message the poller enqueues for a planned notification (FIFO group: the instance)."""
    return QueueMessage(
        body=body,
        group_id=str(instance_id),
        deduplication_id=f"{notification_id}:{generation}",
        attributes={
            INSTANCE_ID: str(instance_id),
            NOTIFICATION_ID: notification_id,
            OBJECT_TYPE: object_type,
            EVENT_COUNT: str(event_count),
            GENERATION: str(generation),
        },
    )


def redelivery(instance_id: int, requested_at: str) -> QueueMessage:
    """The message a redelivery puts in the instance's group: its deliverer sends the parked notifications
    (services/redelivery.py) before anything behind it."""
    marker = f"redelivery-{requested_at}"
    return QueueMessage(
        body=json.dumps({"redelivery": requested_at}),
        group_id=str(instance_id),
        deduplication_id=f"{instance_id}:{marker}",
        attributes={INSTANCE_ID: str(instance_id), NOTIFICATION_ID: marker, KIND: REDELIVERY},
    )


def dead_letter(queued: QueuedNotification) -> QueueMessage:
    """The copy of a notification moved to the (unordered) dead-letter queue after its last attempt."""
    return QueueMessage(
        body=queued.body,
        group_id=str(queued.instance_id),
        deduplication_id=f"{queued.notification_id}:{queued.generation}:dead",
        attributes={
            INSTANCE_ID: str(queued.instance_id),
            NOTIFICATION_ID: queued.notification_id,
            GENERATION: str(queued.generation),
            OBJECT_TYPE: queued.object_type,
        },
    )


def message_group(record: dict[str, Any]) -> str:
    """The record's FIFO message group (the instance); a record without one is a group of its own."""
    attributes = record.get("attributes") or {}
    return str(attributes.get("MessageGroupId") or f"message:{record.get('messageId', '')}")


def decode(record: dict[str, Any]) -> QueuedNotification:
    """The notification in one record of Lambda's SQS event. Raises ValueError for one that cannot be read."""
    try:
        values = _attribute_values(record)
        system = record.get("attributes") or {}
        instance = values.get(INSTANCE_ID) or system.get("MessageGroupId") or ""
        sent = system.get("SentTimestamp")
        return QueuedNotification(
            instance_id=int(instance),
            notification_id=values.get(NOTIFICATION_ID, ""),
            body=str(record["body"]),
            generation=int(values.get(GENERATION) or 0),
            attempt=int(system.get("ApproximateReceiveCount") or 1),
            receipt_handle=str(record["receiptHandle"]),
            object_type=values.get(OBJECT_TYPE, ""),
            event_count=int(values.get(EVENT_COUNT) or 0),
            previous_in_batch=values.get(PREVIOUS_IN_BATCH) or None,
            message_id=str(record.get("messageId", "")),
            sent_at_ms=int(sent) if sent else None,
            kind=values.get(KIND, ""),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"unreadable notification message: {type(error).__name__}") from None


def _attribute_values(record: dict[str, Any]) -> dict[str, str]:
    values = {}
    for name, attribute in (record.get("messageAttributes") or {}).items():
        value = attribute.get("stringValue") if isinstance(attribute, dict) else None
        if isinstance(value, str):
            values[name] = value
    return values
