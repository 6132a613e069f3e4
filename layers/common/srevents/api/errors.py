"""Domain errors → HTTP, in one place."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from srevents.errors import DomainError, TooManyRequests, ValidationError
from srevents.observability import logger


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":")),
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _request_id(app: APIGatewayRestResolver) -> str | None:
    try:
        return app.current_event.request_context.request_id
    except Exception:  # pragma: no cover - malformed events still deserve an answer
        return None


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response:
        body: dict[str, Any] = {"message": error.message, "requestId": _request_id(app)}
        if isinstance(error, ValidationError):
            body["field"] = error.field
        headers = {"WWW-Authenticate": 'User realm="srevents"'} if error.status == 401 else None
        if isinstance(error, TooManyRequests):
            headers = {"Retry-After": str(error.retry_after)}
        return json_response(error.status, body, headers)

    @app.exception_handler(json.JSONDecodeError)
    def bad_json(error: json.JSONDecodeError) -> Response:
        return json_response(
            400,
            {"message": f"body is not valid JSON: {error.msg} at position {error.pos}", "requestId": _request_id(app)},
        )

    @app.not_found
    def not_found(_: Exception) -> Response:
        return json_response(404, {"message": "no such route", "requestId": _request_id(app)})

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        logger.exception("unhandled error", extra={"error_type": type(error).__name__})
        return json_response(500, {"message": "internal error", "requestId": _request_id(app)})
