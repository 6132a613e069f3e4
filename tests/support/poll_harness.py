"""The poll pipeline on one manual clock: moto, the SmartRecruiters simulator, the real services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from devstack.aws_resources import StackResources
from devstack.smartrecruiters import SimulatorServer, SimulatorStore
from srevents.clock import ManualClock
from srevents.domain.auth import Principal
from srevents.services.instances_service import Caller, InstancesService
from srevents.services.poll_service import PollOutcome, PollService
from srevents.settings import Settings
from srevents.wiring import instances_service, poll_service
from tests.support.api_client import Credentials
from tests.support.fixtures import seed_body
from tests.support.leaks import register_secret

API_KEY = "sr-test-key-0123456789"


@dataclass
class PollHarness:
    resources: StackResources
    clock: ManualClock
    store: SimulatorStore
    server: SimulatorServer
    settings: Settings
    instances: InstancesService
    poller: PollService
    caller: Caller
    credentials: Credentials

    def create_instance(self, **configuration: Any) -> int:
        body = seed_body()
        body["configuration"]["api.key"] = API_KEY
        body["configuration"].update(configuration)
        return int(self.instances.create(self.caller, body)["id"])

    def poll(self, instance_id: int, remaining_ms: int = 600_000) -> PollOutcome:
        return self.poller.poll(instance_id, lambda: remaining_ms)

    def drain(self) -> list[dict[str, Any]]:
        """Every notification in the queue, in queue order (deleted as read)."""
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = self.resources.refs["NotificationQueue"]
        out: list[dict[str, Any]] = []
        while True:
            response = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
            )
            messages = response.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                body = json.loads(message["Body"])
                body["_attributes"] = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
                body["_sqs"] = message["Attributes"]
                out.append(body)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def events(self, notifications: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [event for n in notifications for event in n["message"]["events"]]

    def state(self, instance_id: int) -> dict[str, Any]:
        from srevents.adapters.poller_state_store import PollerStateStore

        store = PollerStateStore(boto3.client("dynamodb", region_name="us-east-1"), self.settings.poller_state_table)
        return store.read(instance_id).resources


def build_harness(
    aws: StackResources, monkeypatch: pytest.MonkeyPatch, extra_env: dict[str, str] | None = None
) -> Iterator[PollHarness]:
    clock = ManualClock()
    store = SimulatorStore(clock, rate_limit_per_second=False)
    store.add_api_key(API_KEY)
    register_secret(API_KEY)
    with SimulatorServer(store) as server:
        env = aws.function_environment("PollFunction") | aws.function_environment("ApiFunction")
        env["SMARTRECRUITERS_BASE_URL"] = server.base_url
        env.update(extra_env or {})
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = Settings.from_env()
        from srevents.adapters.accounts_store import AccountsStore

        accounts = AccountsStore(boto3.client("dynamodb", region_name="us-east-1"), settings.instances_table)
        organization_id, org_secret = accounts.create_organization("Acme")
        user_id, user_secret = accounts.create_user(organization_id, "a@acme.test")
        register_secret(org_secret)
        register_secret(user_secret)
        yield PollHarness(
            aws,
            clock,
            store,
            server,
            settings,
            instances_service(settings, clock),
            poll_service(settings, clock),
            Caller(Principal(organization_id, user_id), None),
            Credentials(organization_id, org_secret, user_secret),
        )


@pytest.fixture
def harness(aws: StackResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[PollHarness]:
    yield from build_harness(aws, monkeypatch)
