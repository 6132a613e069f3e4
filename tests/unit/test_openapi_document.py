"""The served OpenAPI document and the resolver's routes describe the same API."""

from __future__ import annotations

import re
from unittest.mock import MagicMock

from srevents.api.app import ApiServices, create_app
from srevents.api.openapi import openapi_document


def _served_routes() -> set[tuple[str, str]]:
    app = create_app(ApiServices(instances=MagicMock(), poller=MagicMock(), events=MagicMock()))
    routes = set()
    for route in app._static_routes + app._dynamic_routes:  # the resolver keeps no public list
        for method in route.method.split(","):
            routes.add((method.strip().lower(), re.sub(r"<(\w+)>", r"{\1}", route.path)))
    return routes


def _documented_routes() -> set[tuple[str, str]]:
    return {(method, path) for path, ops in openapi_document()["paths"].items() for method in ops}


def _normalized(routes: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Path parameters are named differently in code and document ({instance_id} vs {id})."""
    return {(method, re.sub(r"\{\w+\}", "{}", path)) for method, path in routes}


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    assert _normalized(_served_routes()) == _normalized(_documented_routes())


def test_document_is_openapi_3_with_security_and_error_shapes() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.")
    assert "ElementsAuthorization" in document["components"]["securitySchemes"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"], (method, path)
            assert operation.get("summary"), (method, path)


def test_every_authenticated_operation_documents_429_with_retry_after() -> None:
    # Given
    document = openapi_document()

    # Then every operation that takes credentials can answer 429, and the answer names its header
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                assert operation["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}, (
                    method,
                    path,
                )
    assert "Retry-After" in document["components"]["responses"]["TooManyRequests"]["headers"]
