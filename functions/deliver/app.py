"""SQS (FIFO, one message group per instance) → deliver notifications. Wiring only."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from srevents.adapters.notification_queue import PREVIOUS_IN_BATCH
from srevents.observability import logger, metrics, trace_calls, tracer
from srevents.services.deliver_service import DeliverService, DeliveryDeferred, QueuedNotification
from srevents.settings import Settings
from srevents.wiring import DELIVER_SETTINGS, deliver_service

SETTINGS = Settings.from_env().require(*DELIVER_SETTINGS)
trace_calls("botocore")

# A failing notification fails the later ones of its own instance (message group) in this batch, and
# only those: other instances' notifications go on.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# Every record failing is a normal outcome here (receivers down), reported as batch item failures
# rather than a function error that would trip the errors alarm.
processor.raise_on_entire_batch_failure = False


@cache
def _service() -> DeliverService:
    return deliver_service(SETTINGS)


def _attribute(record: SQSRecord, name: str, default: str = "") -> str:
    # Not .get(): Powertools wraps values only in __getitem__ (.get would return the raw dict).
    attribute = record.message_attributes[name] if name in record.message_attributes else None  # noqa: SIM401
    return (attribute.string_value if attribute else None) or default


def _queued(record: SQSRecord) -> QueuedNotification:
    return QueuedNotification(
        instance_id=int(_attribute(record, "instanceId") or record.attributes.message_group_id or 0),
        notification_id=_attribute(record, "notificationId"),
        body=record.body,
        generation=int(_attribute(record, "generation", "0")),
        attempt=int(record.attributes.approximate_receive_count or 1),
        receipt_handle=record.receipt_handle,
        object_type=_attribute(record, "objectType"),
        event_count=int(_attribute(record, "eventCount", "0")),
        previous_in_batch=_attribute(record, PREVIOUS_IN_BATCH) or None,
    )


def _readable(records: list[dict[str, Any]]) -> list[QueuedNotification]:
    """The batch's notifications, without those that cannot be read (they fail on their own, in their group)."""
    readable = []
    for raw in records:
        try:
            readable.append(_queued(SQSRecord(raw)))
        except (KeyError, TypeError, ValueError):
            continue
    return readable


_attempted: set[str] = set()  # message ids this invocation handed to the service


def record_handler(record: SQSRecord) -> str:
    _attempted.add(record.message_id)
    sent = record.attributes.sent_timestamp
    if sent:
        metrics.add_metric(name="QueueAge", unit=MetricUnit.Milliseconds, value=max(0, time.time() * 1000 - int(sent)))
    try:
        return _service().deliver(_queued(record))
    except DeliveryDeferred:
        raise  # an expected outcome, already logged: the queue offers it again later
    except Exception:
        logger.exception("delivery crashed", extra={"message_id": record.message_id})
        raise


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _attempted.clear()
    # One read of the delivery log for the whole batch (each message's entry and its predecessor's).
    _service().prefetch(_readable(event.get("Records", [])))
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    failed = {failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])}
    held_back = [r["receiptHandle"] for r in event.get("Records", []) if r["messageId"] in failed - _attempted]
    _service().release_held_back(held_back)
    return dict(response)
