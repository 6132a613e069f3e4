"""Each organization's share of the API (docs/DESIGN.md §14): the API function on moto, a manual clock."""

from __future__ import annotations

import boto3
import pytest

from devstack.aws_resources import StackResources
from srevents.api.app import create_app
from srevents.clock import ManualClock
from srevents.settings import Settings
from srevents.wiring import api_services
from tests.support.api_client import ApiClient, Credentials
from tests.support.aws_state import snapshot
from tests.support.fixtures import seed_body

BURST = 3
RATE = 2  # a token every 0.5 s


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def limited_api(aws: StackResources, monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> ApiClient:
    """The API function as deployed, with a small per-organization limit and time that moves when told."""
    for key, value in aws.function_environment("ApiFunction").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("API_REQUESTS_PER_SECOND", str(RATE))
    monkeypatch.setenv("API_BURST", str(BURST))
    client = ApiClient.load(aws)
    app = create_app(api_services(Settings.from_env(), clock))
    monkeypatch.setattr(client.module, "_app", lambda: app)
    return client


def test_an_organization_over_its_limit_gets_429_with_retry_after(limited_api: ApiClient) -> None:
    # Given
    org = limited_api.create_organization("Acme")

    # When the burst is spent at one moment
    statuses = [limited_api.get("/instances", auth=org).status for _ in range(BURST)]
    refused = limited_api.get("/instances", auth=org)

    # Then the next request is refused with the usual error body and a whole-second Retry-After
    assert statuses == [200] * BURST
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "1"
    assert set(refused.body) == {"message", "requestId"}
    assert "2 requests per second" in refused.body["message"]


def test_a_refused_request_changes_nothing(limited_api: ApiClient, aws: StackResources) -> None:
    # Given an organization that has spent its burst
    org = limited_api.create_organization("Acme")
    for _ in range(BURST):
        assert limited_api.get("/instances", auth=org).status == 200
    before = snapshot(aws)

    # When it tries to create an instance
    reply = limited_api.post("/instances", auth=org, json_body=seed_body())

    # Then it is refused and no instance, schedule or state was written
    assert reply.status == 429
    assert snapshot(aws) == before


def test_other_organizations_are_not_affected(limited_api: ApiClient) -> None:
    # Given one organization over its limit
    noisy = limited_api.create_organization("Acme")
    quiet = limited_api.create_organization("Globex")
    for _ in range(BURST + 2):
        limited_api.get("/instances", auth=noisy)

    # When another organization calls at the same moment
    statuses = [limited_api.get("/instances", auth=quiet).status for _ in range(BURST)]

    # Then it has its whole burst
    assert statuses == [200] * BURST
    assert limited_api.get("/instances", auth=noisy).status == 429


def test_tokens_come_back_at_the_configured_rate(limited_api: ApiClient, clock: ManualClock) -> None:
    # Given an organization that has spent its burst
    org = limited_api.create_organization("Acme")
    for _ in range(BURST):
        limited_api.get("/instances", auth=org)
    assert limited_api.get("/instances", auth=org).status == 429

    # When one token's time passes, then the whole burst's
    clock.advance(1 / RATE)
    one = [limited_api.get("/instances", auth=org).status for _ in range(2)]
    clock.advance(BURST / RATE)
    full = [limited_api.get("/instances", auth=org).status for _ in range(BURST + 1)]

    # Then one request passes, then a whole burst again
    assert one == [200, 429]
    assert full == [200] * BURST + [429]


def test_the_bucket_is_shared_by_containers(limited_api: ApiClient, aws: StackResources, clock: ManualClock) -> None:
    # Given a second container of the API function (its own memory of the buckets), same table
    org = limited_api.create_organization("Acme")
    second = ApiClient.load(aws)
    second_app = create_app(api_services(Settings.from_env(), clock))
    second.module._app = lambda: second_app

    # When both take from the organization's bucket at one moment
    statuses = [(limited_api if i % 2 else second).get("/instances", auth=org).status for i in range(BURST + 1)]

    # Then together they get the burst, not one burst each
    assert statuses == [200] * BURST + [429]


def test_bad_credentials_are_401_whatever_the_limit(limited_api: ApiClient, org: Credentials) -> None:
    # Given wrong credentials (no organization is known: nothing to charge)
    wrong = Credentials(org.organization_id, "nope" * 8, "nope" * 8)

    # Then
    assert {limited_api.get("/instances", auth=wrong).status for _ in range(BURST + 2)} == {401}


def test_the_bucket_item_names_the_organization_and_expires(limited_api: ApiClient, aws: StackResources) -> None:
    # When
    org = limited_api.create_organization("Acme")
    limited_api.get("/instances", auth=org)

    # Then the rate-limits table holds one bucket for it, with a TTL
    items = boto3.client("dynamodb").scan(TableName=aws.refs["RateLimitsTable"])["Items"]
    assert [item["pk"]["S"] for item in items] == [f"API#ORG#{org.organization_id}"]
    assert int(items[0]["expiresAt"]["N"]) > int(items[0]["tat"]["N"]) // 1_000_000
