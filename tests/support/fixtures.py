"""moto-backed fixtures: the template's resources, the handlers loaded as Lambda loads them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from devstack.aws_resources import StackResources, create_stack_resources
from devstack.seed import SEED_BODY
from srevents.adapters.aws import reset_clients, session
from tests.support.api_client import ApiClient, Credentials

# Each organization's share of the API is far above what a test sends: the suites call the API faster than
# any tenant would, and the limit itself has its own tests (tests/integration/test_request_limit.py).
LOCAL_PARAMETERS = {
    "AllowPrivateCallbacks": "false",
    "AllowHttpCallbacks": "false",
    "ApiRequestsPerSecond": "10000",
    "ApiBurst": "10000",
}
# By default moto gives boto3 a new default session at every mock, so the tests' own `boto3.client(...)`
# calls would load botocore's models again in every test. Keeping the one session is safe here: it is made
# after moto is imported (tests/conftest.py loads this module first), so every mock intercepts it.
MOTO_CONFIG: Any = {"core": {"reset_boto3_session": False}}


@pytest.fixture
def aws() -> Iterator[StackResources]:
    """A fresh moto account holding every stateful resource of template.yaml."""
    with mock_aws(config=MOTO_CONFIG):
        reset_clients()
        # The adapters' own Session: its service models are loaded once per process, not once per test.
        yield create_stack_resources(session(), parameters=LOCAL_PARAMETERS)
    reset_clients()


@pytest.fixture
def api(aws: StackResources, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    """The API function as deployed: its environment from the template, called with API Gateway events."""
    for key, value in aws.function_environment("ApiFunction").items():
        monkeypatch.setenv(key, value)
    return ApiClient.load(aws)


@pytest.fixture
def org(api: ApiClient) -> Credentials:
    return api.create_organization("Acme")


@pytest.fixture
def other_org(api: ApiClient) -> Credentials:
    return api.create_organization("Globex")


def seed_body(**overrides: Any) -> dict[str, Any]:
    """The seed document's `POST /instances` example body, verbatim (callback and all)."""
    body = copy.deepcopy(SEED_BODY)
    body.update(overrides)
    return body
