"""SQS (FIFO, one message group per instance) → deliver notifications. Wiring only.

The batch goes to the deliver service whole: it delivers different instances at once and each instance in
order (services/fifo_batch.py says why Powertools' batch processors don't fit), and answers with Lambda's
partial batch response (`FunctionResponseTypes: [ReportBatchItemFailures]` in template.yaml).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from srevents.observability import logger, metrics, trace_calls, tracer
from srevents.services.deliver_service import DeliverService
from srevents.settings import Settings
from srevents.wiring import DELIVER_SETTINGS, deliver_service

SETTINGS = Settings.from_env().require(*DELIVER_SETTINGS)
trace_calls("botocore")


@cache
def _service() -> DeliverService:
    return deliver_service(SETTINGS)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service().deliver_batch(
        event.get("Records", []), seconds_left=lambda: context.get_remaining_time_in_millis() / 1000
    )
