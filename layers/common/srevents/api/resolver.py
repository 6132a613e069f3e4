"""The API's resolver: Powertools' REST resolver with the request's event and Lambda context kept per thread.

Powertools stores both on its base class (`BaseRouter.current_event = ...`): right in Lambda, one request per
process at a time, but a process serving requests on several threads (the local stack runs several API
"containers" in one process, as a webhook instance's creation needs) would read another request's event — a
`pageSize` lost to a concurrent asset request. Here each thread reads what it resolved.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

_request = threading.local()


class ApiResolver(APIGatewayRestResolver):
    @property  # type: ignore[override]
    def current_event(self) -> APIGatewayProxyEvent:
        event: APIGatewayProxyEvent = _request.event
        return event

    @current_event.setter
    def current_event(self, value: APIGatewayProxyEvent) -> None:
        _request.event = value

    @property  # type: ignore[override]
    def lambda_context(self) -> Any:
        return getattr(_request, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        _request.context = value

    def _to_proxy_event(self, event: dict[str, Any]) -> Any:
        proxy = super()._to_proxy_event(event)
        _request.event = proxy  # Powertools assigns it to its base class; this thread keeps its own
        return proxy

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        _request.context = context
        return super().resolve(event, context)
