"""API Gateway (REST) → the instances API. Wiring only: the routes live in srevents.api."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from srevents.api.app import create_app
from srevents.observability import logger, metrics, trace_calls, tracer
from srevents.settings import Settings
from srevents.wiring import API_SETTINGS, api_services

SETTINGS = Settings.from_env().require(*API_SETTINGS)
trace_calls("botocore")


@cache
def _app() -> APIGatewayRestResolver:
    return create_app(api_services(SETTINGS))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = _app().resolve(event, context)
    metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
    if response.get("statusCode", 500) >= 500:
        metrics.add_metric(name="ApiErrors", unit=MetricUnit.Count, value=1)
    return response
