"""EventBridge Scheduler (or poll-now) → poll one instance; an asynchronous invoke carrying `webhook` (the API's
inbound route) → that SmartRecruiters callback's notification; a batch of the webhook retry queue (invocations
whose retries were exhausted: the `OnFailure` destination) → those callbacks again. Wiring only: the logic is
srevents.services."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from srevents.observability import logger, metrics, trace_calls, tracer
from srevents.services.poll_service import PollService
from srevents.services.webhook_retries import retry_failed_callbacks
from srevents.services.webhook_worker import Callback, WebhookWorker
from srevents.settings import Settings
from srevents.wiring import POLL_SETTINGS, poll_service, webhook_worker

SETTINGS = Settings.from_env().require(*POLL_SETTINGS)
trace_calls("botocore", "requests")


@cache
def _service() -> PollService:
    return poll_service(SETTINGS)


@cache
def _worker() -> WebhookWorker:
    return webhook_worker(SETTINGS)


def _instance_id(event: dict[str, Any]) -> int:
    value = event.get("instanceId") if isinstance(event, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(f"event must carry a numeric instanceId, got {value!r}")
    return int(value)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and "Records" in event:
        failed = retry_failed_callbacks(event["Records"], _worker().handle)
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
    instance_id = _instance_id(event)
    logger.append_keys(instance_id=instance_id)
    if "webhook" in event:
        handled = _worker().handle(instance_id, Callback.from_event(event["webhook"]))
        metrics.add_metric(name="WebhookCallbacks", unit=MetricUnit.Count, value=1)
        return {"instanceId": instance_id, "webhook": handled}
    started = time.monotonic()
    outcome = _service().poll(instance_id, context.get_remaining_time_in_millis)
    if outcome.status == "polled":
        metrics.add_metric(name="Polls", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="PollDuration", unit=MetricUnit.Milliseconds, value=(time.monotonic() - started) * 1000)
        for resource in outcome.resources:
            metrics.add_metric(name="PollPages", unit=MetricUnit.Count, value=resource.pages)
            metrics.add_metric(name="RecordsRead", unit=MetricUnit.Count, value=resource.records_read)
            metrics.add_metric(name="EventsEmitted", unit=MetricUnit.Count, value=resource.events)
            if resource.deletions_read:
                metrics.add_metric(name="DeletionsRead", unit=MetricUnit.Count, value=resource.deletions_read)
            if resource.result == "error":
                metrics.add_metric(name="PollErrors", unit=MetricUnit.Count, value=1)
    return {
        "instanceId": instance_id,
        "status": outcome.status,
        "reason": outcome.reason,
        "resources": [vars(r) for r in outcome.resources],
    }
