"""The in-process world the poll and deliver benchmarks run in, as tests/support/poll_harness.py builds it.

moto (in-process) holds the template's tables, queues and key; the SmartRecruiters simulator serves on
127.0.0.1 with its per-second rate limit off; the handlers are loaded from functions/*/app.py as Lambda
loads them, with the environment the template gives them. The one substitution: the services run on a
ManualClock, so the SmartRecruiters client's own 10 requests/s throttle (the vendor's limit, honoured on
our side of the wire) sleeps on that clock instead of the wall clock: "rate limiting off" on both sides.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.common import REGION, patch_moto

API_KEY = "sr-bench-key-0123456789"
SIGNATURE_KEY = "MySecretEventSignatureKey"
LOCAL_PARAMETERS = {"AllowPrivateCallbacks": "true", "AllowHttpCallbacks": "true"}


@dataclass
class World:
    resources: Any  # devstack.aws_resources.StackResources
    clock: Any  # srevents.clock.ManualClock
    store: Any  # SimulatorStore
    simulator: Any  # SimulatorServer
    settings: Any  # srevents.settings.Settings
    caller: Any  # Caller of the benchmark organization

    def create_instance(self, callback_url: str | None = None) -> int:
        from devstack.seed import SEED_BODY
        from srevents.wiring import instances_service

        body = copy.deepcopy(SEED_BODY)
        body["configuration"]["api.key"] = API_KEY
        body["configuration"]["event.notification.signature.key"] = SIGNATURE_KEY
        if callback_url:
            body["configuration"]["event.notification.callback.url"] = callback_url
        return int(instances_service(self.settings, self.clock).create(self.caller, body)["id"])

    def add_candidates(self, count: int, step_seconds: float = 0.001) -> None:
        """`count` new candidates, one `step_seconds` apart on the world's clock."""
        for _ in range(count):
            self.clock.advance(step_seconds)
            self.store.create_candidate()

    def sqs(self) -> Any:
        import boto3

        return boto3.client("sqs", region_name=REGION)

    def dynamodb(self) -> Any:
        import boto3

        return boto3.client("dynamodb", region_name=REGION)

    def purge_notifications(self) -> None:
        self.receive_all()  # PurgeQueue is allowed once a minute

    def receive_all(self) -> list[dict[str, Any]]:
        """Every message of the notification queue, in order, with attributes (deleted as read)."""
        sqs, url = self.sqs(), self.resources.refs["NotificationQueue"]
        messages: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
            )

    def clear_delivery_log(self) -> None:
        ddb, table = self.dynamodb(), self.settings.notifications_table
        while True:
            keys = ddb.scan(TableName=table, ProjectionExpression="instanceId, notificationId").get("Items", [])
            if not keys:
                return
            for start in range(0, len(keys), 25):
                chunk = keys[start : start + 25]
                ddb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": key}} for key in chunk]})


@contextmanager
def world() -> Iterator[World]:
    import boto3
    from moto import mock_aws

    from devstack.aws_resources import create_stack_resources
    from devstack.smartrecruiters import SimulatorServer, SimulatorStore
    from srevents.adapters.accounts_store import AccountsStore
    from srevents.adapters.aws import reset_clients, session
    from srevents.clock import ManualClock
    from srevents.domain.auth import Principal
    from srevents.services.instances_service import Caller
    from srevents.settings import Settings

    patch_moto()
    with mock_aws():
        reset_clients()
        resources = create_stack_resources(session(), parameters=LOCAL_PARAMETERS)
        clock = ManualClock()
        store = SimulatorStore(clock, rate_limit_per_second=False)
        store.add_api_key(API_KEY)
        with SimulatorServer(store) as simulator:
            environment: dict[str, str] = {}
            for function in ("ApiFunction", "PollFunction", "DeliverFunction"):
                environment.update(resources.function_environment(function))
            environment["SMARTRECRUITERS_BASE_URL"] = simulator.base_url
            os.environ.update(environment)
            settings = Settings.from_env()
            accounts = AccountsStore(boto3.client("dynamodb", region_name=REGION), settings.instances_table)
            organization_id, _ = accounts.create_organization("Bench")
            user_id, _ = accounts.create_user(organization_id, "bench@example.test")
            yield World(resources, clock, store, simulator, settings, Caller(Principal(organization_id, user_id), None))
        reset_clients()


def load_handler(function: str, clock: Any = None) -> Any:
    """functions/<function>/app.py, loaded afresh; with `clock`, its service runs on that clock."""
    from devstack.lambda_runtime import load_handler_module

    module = load_handler_module(function)
    if clock is not None:
        from srevents import wiring

        build: Any = {"poll": wiring.poll_service, "deliver": wiring.deliver_service}[function]
        service = build(module.SETTINGS, clock)
        setattr(module, "_service", lambda: service)  # noqa: B010 - the handler's cached service, on this clock
    return module
