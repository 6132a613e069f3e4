"""A property-based run driven by the API's own OpenAPI document (`GET /openapi.json`), with schemathesis.

Schemathesis reads the document from the running API (in-process, through a WSGI face of the API function)
and generates requests for every operation in it: data that fits the document and data that does not, with
an instance's real id or with generated ids. Every answer must satisfy:
- not a server error;
- a status code the document lists for that operation, with the content type it documents;
- a body that matches the documented schema, and the documented headers;
- authentication enforced where the document requires it (schemathesis sends the request again without
  credentials, then with wrong ones: neither may succeed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.reliability.api_env import ApiEnv, api_env
from tests.reliability.profiles import fuzz_settings
from tests.reliability.wsgi import wsgi_app

EXAMPLES_PER_OPERATION = 50
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,
]


@pytest.fixture(scope="module")
def env() -> Iterator[ApiEnv]:
    with api_env() as environment:
        environment.create("openapi-target")
        yield environment


def test_every_operation_of_the_openapi_document_holds_its_contract(env: ApiEnv, report: Callable[..., None]) -> None:
    # Given the document as the API serves it, and an instance of the caller's
    schema = schemathesis.openapi.from_wsgi("/openapi.json", wsgi_app(env.api.module.lambda_handler))
    results = list(schema.get_all_operations())
    assert all(isinstance(r, Ok) for r in results), [r.err() for r in results if isinstance(r, Err)]
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    auth = {"Authorization": env.org.header()}
    real_id = {"id": env.instances["openapi-target"]}
    statuses: Counter[int] = Counter()
    covered: set[str] = set()

    for operation in operations:  # each operation its share of the examples
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE, headers=auth),
            operation.as_strategy(GenerationMode.NEGATIVE, headers=auth),
        ]
        if "{id}" in operation.path and operation.method.upper() != "DELETE":
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, headers=auth, path_parameters=real_id))

        @fuzz_settings(EXAMPLES_PER_OPERATION)
        @given(case=st.one_of(strategies))
        def run(case: Any) -> None:
            # When schemathesis calls the operation with the generated request
            response = case.call()
            statuses[response.status_code] += 1
            covered.add(case.operation.label)

            # Then the answer holds the document's contract (raises with a curl reproduction otherwise)
            case.validate_response(response, checks=CHECKS, headers=auth)

        run()
    assert covered == {o.label for o in operations}, "every documented operation was exercised"
    report(
        section="fuzz",
        key="fuzz:openapi",
        case=f"OpenAPI document, {len(operations)} operations (schemathesis, valid and invalid data)",
        examples=sum(statuses.values()),
        server_errors=sum(n for status, n in statuses.items() if status >= 500),
        statuses=dict(sorted(statuses.items())),
    )
