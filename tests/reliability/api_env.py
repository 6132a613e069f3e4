"""The API function as deployed (private and plain-http callbacks refused), on moto, for fuzzing and the
security matrix; one environment per test module, so thousands of generated requests share its setup. The
environment has the deliver function's variables too, for the tests that run it.

- `FakeDns` stands in for the resolver the callback policy uses at creation (and the sender at delivery):
  names resolve to the addresses a test gives them, anything else does not resolve. No real DNS is asked.
- `StateProbe.snapshot()` is everything the stack holds that a request could change: every item of the
  three tables, every schedule as Scheduler returns it, the notification queues' message counts, and the
  poll function's invocations ("poll now" invokes it; the environment has no Lambda service, so the
  invocations are recorded instead).
- `ApiEnv.call` checks every response for the request's own secrets (the API client checks every known one).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.aws_resources import StackResources, create_stack_resources
from srevents import wiring
from srevents.adapters.aws import reset_clients, session
from srevents.adapters.poll_trigger import PollTrigger
from srevents.domain.instance_config import CallbackPolicy
from srevents.settings import Settings
from tests.support.api_client import ApiClient, Credentials, Reply
from tests.support.fixtures import LOCAL_PARAMETERS, MOTO_CONFIG, seed_body

PUBLIC_ADDRESS = "93.184.216.34"


class FakeDns:
    """`socket.getaddrinfo`'s shape, answering from a table."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {"hooks.example.com": [PUBLIC_ADDRESS]}
        self.asked: list[str] = []

    def __call__(self, host: str, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        self.asked.append(host)
        addresses = self.names.get(str(host).lower().rstrip("."))
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port or 443)))
            for a in addresses
        ]


class AcceptingWebhooksApi:
    """SmartRecruiters' Webhooks API as the fuzzed API needs it: every subscription made, activated, keyed."""

    def create_subscription(self, callback_url: str, events: tuple[str, ...]) -> str:
        return "subscription-" + callback_url.rsplit("/", 1)[-1]

    def activate(self, subscription_id: str) -> None:
        return None

    def generate_secret_key(self, subscription_id: str) -> str:
        return "fuzz-webhook-secret-key"

    def delete_subscription(self, subscription_id: str) -> bool:
        return True


class StateProbe:
    def __init__(self, resources: StackResources) -> None:
        self.resources = resources
        self.polls_requested: list[int] = []
        self._dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        self._scheduler = boto3.client("scheduler", region_name="us-east-1")
        self._sqs = boto3.client("sqs", region_name="us-east-1")

    def snapshot(self) -> dict[str, Any]:
        refs = self.resources.refs
        tables = {}
        for logical in ("InstancesTable", "PollerStateTable", "NotificationsTable"):
            items = []
            kwargs: dict[str, Any] = {"TableName": refs[logical], "ConsistentRead": True}
            while True:
                page = self._dynamodb.scan(**kwargs)
                items.extend(page["Items"])
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            tables[logical] = sorted(items, key=repr)
        group = refs["PollerScheduleGroup"]
        schedules = {}
        for listed in self._scheduler.list_schedules(GroupName=group)["Schedules"]:
            found = self._scheduler.get_schedule(Name=listed["Name"], GroupName=group)
            found.pop("ResponseMetadata", None)
            schedules[listed["Name"]] = found
        queues = {}
        for logical in ("NotificationQueue", "NotificationDeadLetterQueue"):
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=refs[logical],
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            queues[logical] = attributes
        return {"tables": tables, "schedules": schedules, "queues": queues, "polls": list(self.polls_requested)}


@dataclass
class ApiEnv:
    resources: StackResources
    api: ApiClient
    dns: FakeDns
    probe: StateProbe
    org: Credentials
    other_org: Credentials
    instances: dict[str, int] = field(default_factory=dict)  # name → id, created through the API
    tokens: dict[int, str] = field(default_factory=dict)
    responses_checked: int = 0

    def call(self, method: str, path: str, *, also_secret: tuple[str, ...] = (), **kwargs: Any) -> Reply:
        """The API function's answer. The client checks it for every registered secret (the token of an
        instance `POST /instances` creates aside); this checks `also_secret` too (a request's own secrets)."""
        reply = self.api.call(method, path, **kwargs)
        self.responses_checked += 1
        found = [s for s in also_secret if len(s) >= 8 and len(set(s)) >= 4 and s in reply.text]
        assert not found, f"{method} {path} answered {reply.status} with a secret of the request in it"
        return reply

    def create(self, name: str, owner: Credentials | None = None, settings: dict[str, Any] | None = None) -> int:
        body = seed_body(name=name)
        body["configuration"].update(settings or {})
        reply = self.call("POST", "/instances", auth=owner or self.org, json_body=body)
        assert reply.status == 200, reply.text
        instance_id = int(reply.body["id"])
        self.instances[name] = instance_id
        self.tokens[instance_id] = reply.body["token"]
        return instance_id


@contextmanager
def api_env(extra_env: dict[str, str] | None = None) -> Iterator[ApiEnv]:
    with pytest.MonkeyPatch.context() as patch, mock_aws(config=MOTO_CONFIG):
        reset_clients()
        resources = create_stack_resources(session(), parameters=LOCAL_PARAMETERS)
        environment = resources.function_environment("ApiFunction") | resources.function_environment("DeliverFunction")
        for key, value in {**environment, **(extra_env or {})}.items():
            patch.setenv(key, value)
        dns = FakeDns()

        def policy(settings: Settings) -> CallbackPolicy:
            return CallbackPolicy(settings.allow_http_callbacks, settings.allow_private_callbacks, resolver=dns)

        patch.setattr(wiring, "callback_policy", policy)
        # No SmartRecruiters here: webhook instances subscribe to a Webhooks API that accepts every request.
        real_manager = wiring.subscription_manager

        def subscriptions(settings: Settings, clock: Any = None) -> Any:
            manager = real_manager(settings, clock)
            manager._api = lambda api_key: AcceptingWebhooksApi()
            return manager

        patch.setattr(wiring, "subscription_manager", subscriptions)
        probe = StateProbe(resources)
        patch.setattr(PollTrigger, "trigger", lambda _, instance_id: probe.polls_requested.append(instance_id))
        api = ApiClient.load(resources)
        env = ApiEnv(resources, api, dns, probe, api.create_organization("Acme"), api.create_organization("Globex"))
        try:
            yield env
        finally:
            reset_clients()
