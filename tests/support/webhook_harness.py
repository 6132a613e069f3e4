"""Real time on one manual clock: moto, the SmartRecruiters simulator (Webhooks API and signed callbacks), the
API's inbound route served over HTTP (the simulator's handshake and callbacks reach it), and the webhook
worker run on demand, as the poll function would run each asynchronous invocation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from devstack.aws_resources import StackResources
from devstack.stack import ApiGatewayShim, _serve
from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.secrets import SecretBox
from srevents.adapters.webhook_activations import WebhookActivations
from srevents.api.app import create_app
from srevents.services.webhook_inbound import WebhookInbound
from srevents.services.webhook_worker import Callback, WebhookWorker
from srevents.wiring import api_services, webhook_worker
from tests.support.leaks import register_secret
from tests.support.poll_harness import PollHarness, build_harness


@dataclass
class QueuedTrigger:
    """Stands for Lambda's asynchronous invoke of the poll function: the callbacks handed over, in order."""

    handed: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def webhook(self, instance_id: int, callback: dict[str, Any]) -> None:
        with self.lock:
            self.handed.append((instance_id, callback))

    def take(self) -> list[tuple[int, dict[str, Any]]]:
        with self.lock:
            taken, self.handed = self.handed, []
        return taken


@dataclass
class WebhookHarness:
    poll: PollHarness
    shim: ApiGatewayShim
    trigger: QueuedTrigger
    worker: WebhookWorker
    resolve: Any  # the API's resolver, as the API function calls it: (event, Lambda context) → response

    @property
    def store(self) -> Any:
        return self.poll.store

    @property
    def public_url(self) -> str:
        return self.shim.url

    def body(self, **configuration: Any) -> dict[str, Any]:
        from tests.support.fixtures import seed_body
        from tests.support.poll_harness import API_KEY

        body = seed_body()
        body["configuration"]["api.key"] = API_KEY
        body["configuration"]["event.vendor.type"] = "webhook"
        body["configuration"].update(configuration)
        return body

    def create_instance(self, **configuration: Any) -> int:
        created = self.poll.instances.create(self.poll.caller, self.body(**configuration), self.public_url)
        for subscription in self.store.webhooks.subscriptions.all():  # its secret keys must never leak
            for key in subscription.keys:
                register_secret(key.value)
        return int(created["id"])

    def settle(self) -> list[str]:
        """Wait until the simulator has sent every callback it owes, then run the worker on each one handed
        over (as Lambda would run the invocations); what became of each."""
        assert self.store.webhooks.wait_idle(10.0), "the simulator's callbacks did not settle"
        return [self.worker.handle(i, Callback.from_event(c)) for i, c in self.trigger.take()]

    def subscriptions(self) -> list[dict[str, Any]]:
        overview: list[dict[str, Any]] = self.store.webhooks.overview()
        return overview


def build_webhook_harness(
    aws: StackResources, monkeypatch: pytest.MonkeyPatch, extra_env: dict[str, str] | None = None
) -> Iterator[WebhookHarness]:
    env = {"ALLOW_HTTP_CALLBACKS": "true", "ALLOW_PRIVATE_CALLBACKS": "true", **(extra_env or {})}
    for poll in build_harness(aws, monkeypatch, env):
        trigger = QueuedTrigger()
        settings = poll.settings
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        inbound = WebhookInbound(
            instances=InstancesStore(dynamodb, settings.instances_table),
            activations=WebhookActivations(dynamodb, settings.instances_table),
            secret_box=SecretBox(boto3.client("kms", region_name="us-east-1"), settings.kms_key_id),
            trigger=trigger,  # type: ignore[arg-type]
            clock=poll.clock,
        )
        services = api_services(settings, poll.clock)
        app = create_app(
            type(services)(
                instances=poll.instances,
                poller=services.poller,
                events=services.events,
                webhooks=inbound,
                max_request_bytes=services.max_request_bytes,
            )
        )
        shim = ApiGatewayShim(app.resolve, 0)
        _serve(shim.server, "api")
        try:
            yield WebhookHarness(poll, shim, trigger, webhook_worker(settings, poll.clock), app.resolve)
        finally:
            shim.server.shutdown()
            shim.server.server_close()
            poll.store.webhooks.close()


@pytest.fixture
def webhooks(aws: StackResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookHarness]:
    yield from build_webhook_harness(aws, monkeypatch)
