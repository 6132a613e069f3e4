"""Poll → queue → deliver → receiver: the whole pipeline with the real handlers (moto, simulator)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from devstack.aws_resources import StackResources
from devstack.lambda_runtime import load_handler_module
from devstack.receiver import Receiver
from devstack.sqs_pump import SqsPump
from tests.support.leaks import register_secret
from tests.support.poll_harness import PollHarness, build_harness

SIGNATURE_KEY = "MySecretEventSignatureKey"
PIPELINE_ENV = {
    "ALLOW_PRIVATE_CALLBACKS": "true",
    "ALLOW_HTTP_CALLBACKS": "true",
    "RETRY_DELAY_SCALE": "1000000",  # retry delays become 0 s; the delays asked for are still recorded
    "CALLBACK_TOTAL_TIMEOUT": "1",
}


@dataclass
class Pipeline:
    poll: PollHarness
    receiver: Receiver
    pump: SqsPump
    deliver_module: Any

    def create_instance(self, **configuration: Any) -> int:
        configuration.setdefault("event.notification.callback.url", self.receiver.url)
        configuration.setdefault("event.notification.signature.key", SIGNATURE_KEY)
        return self.poll.create_instance(**configuration)

    def change_and_poll(self, instance_id: int, changes: int = 1) -> list[dict[str, Any]]:
        created = []
        for _ in range(changes):
            self.poll.clock.advance(1)
            created.append(self.poll.store.create_candidate())
        self.poll.clock.advance(60)
        self.poll.poll(instance_id)
        return created

    @property
    def requested_delays(self) -> list[int]:
        return self.deliver_module._service()._visibility.requested

    def log(self, instance_id: int, notification_id: str) -> dict[str, Any] | None:
        logged = self.deliver_module._service()._log.get(instance_id, notification_id)
        return logged.item if logged else None

    def dead_letters(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = self.poll.resources.refs["NotificationDeadLetterQueue"]
        return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
            "Messages", []
        )


@pytest.fixture
def pipeline(aws: StackResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    register_secret(SIGNATURE_KEY)
    for harness in build_harness(aws, monkeypatch, PIPELINE_ENV):
        module = load_handler_module("deliver")
        sqs = boto3.client("sqs", region_name="us-east-1")
        pump = SqsPump(
            sqs, aws.refs["NotificationQueue"], aws.attrs[("NotificationQueue", "Arn")], module.lambda_handler
        )
        with Receiver(SIGNATURE_KEY) as receiver:
            yield Pipeline(harness, receiver, pump, module)
