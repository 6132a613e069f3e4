"""One world per case: the three real Lambda handlers on moto, the SmartRecruiters simulator, a receiver, and
one manual clock that every part reads, so a simulated day of retries takes a fraction of a second.

What stands in for AWS's own machinery:
- EventBridge Scheduler: `tick()` moves the clock one refresh interval and invokes the poll handler with the
  schedule's input (`{"instanceId": N}`) for every instance;
- the SQS event source mapping: `deliver()` receives from the FIFO queue, invokes the deliver handler with a
  real SQS event, deletes what succeeded and leaves `batchItemFailures` to the queue. Retry delays are asked
  for in seconds and scaled to 0 (`RETRY_DELAY_SCALE`), and the clock jumps by the delay asked for instead,
  so the next receive is the next attempt, at the simulated time it would happen;
- a Lambda process dying: a `Killed` invocation leaves its lease and in-flight messages behind; the next
  invocation is a cold start (the handler module loaded afresh), and a dead deliver invocation's batch comes
  back after the queue's visibility timeout (the clock jumps by it);
- atomic requests: moto evaluates a conditional write in several steps that threads can interleave, where
  DynamoDB applies each request to an item atomically; moto's request handling is serialized, so concurrent
  invocations race the way they would against the real services. Requests answered with an injected fault
  (see faults.AwsFaults) never reach moto.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import pytest
from moto.core.botocore_stubber import BotocoreStubber

from devstack.aws_resources import StackResources
from devstack.lambda_runtime import LambdaContext, load_handler_module
from devstack.receiver import Receiver, Scripted
from devstack.smartrecruiters import SimulatorServer, SimulatorStore
from devstack.sqs_pump import sqs_event
from srevents import wiring
from srevents.adapters import aws as aws_clients
from srevents.adapters import smartrecruiters
from srevents.adapters.smartrecruiters import SmartRecruitersClient
from srevents.clock import ManualClock
from tests.reliability.faults import FAULT_HEADER, AwsFaults, Crash, Killed, SmartRecruitersSession
from tests.reliability.ledger import Ledger, Tally
from tests.support.api_client import ApiClient, Credentials
from tests.support.fixtures import seed_body
from tests.support.leaks import register_secret

SIGNATURE_KEY = "reliability-signature-key-5f2c"
REFRESH_MINUTES = 15
WORLD_ENV = {
    "ALLOW_PRIVATE_CALLBACKS": "true",  # the receiver listens on 127.0.0.1
    "ALLOW_HTTP_CALLBACKS": "true",
    "RETRY_DELAY_SCALE": "1000000000",  # visibility timeouts of 0 s; the delays asked for are recorded
    "CALLBACK_TOTAL_TIMEOUT": "2",
}


@dataclass
class Invocation:
    result: dict[str, Any] | None
    error: BaseException | None = None

    @property
    def killed(self) -> bool:
        return isinstance(self.error, Killed)


class World:
    def __init__(
        self,
        resources: StackResources,
        monkeypatch: pytest.MonkeyPatch,
        clock: ManualClock,
        store: SimulatorStore,
        receiver: Receiver,
        api_key: str,
    ) -> None:
        self.resources = resources
        self.clock = clock
        self.started = clock.now()
        self.store = store
        self.receiver = receiver
        self.api_key = api_key
        self.crash = Crash()
        self.ledger = Ledger(SIGNATURE_KEY)
        self.instances: list[int] = []
        self.tokens: dict[int, str] = {}
        self.sr_session = SmartRecruitersSession(store, self.crash, api_key)
        # The client is built with the world's session (where the composition root finds the class).
        monkeypatch.setattr(smartrecruiters, "SmartRecruitersClient", self._smartrecruiters_client)
        monkeypatch.setattr(wiring, "SmartRecruitersClient", self._smartrecruiters_client, raising=False)
        # botocore's retry back-off sleeps on the simulated clock, like everything else.
        monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=clock.sleep))
        clients = {name: aws_clients.client(name) for name in ("dynamodb", "sqs", "kms", "scheduler")}
        self.faults = AwsFaults(clients, self.crash)
        self.sqs = boto3.client("sqs", region_name="us-east-1")  # the event source mapping's, not the functions'
        self.queue_url = resources.refs["NotificationQueue"]
        self.queue_arn = resources.attrs[("NotificationQueue", "Arn")]
        queue = resources.template["Resources"]["NotificationQueue"]["Properties"]
        self.visibility_timeout = int(queue["VisibilityTimeout"])
        self.api = ApiClient(self._cold_start("api"), resources)
        self.credentials: Credentials = self.api.create_organization("Acme")
        self.poller = self._cold_start("poll")
        self.deliverer = self._cold_start("deliver")
        self.invocations = {"poll": 0, "deliver": 0}
        self.deliver_crashes = 0

    # -- the functions ------------------------------------------------------------------------
    def _smartrecruiters_client(self, api_key: str, base_url: str, **kwargs: Any) -> SmartRecruitersClient:
        return SmartRecruitersClient(api_key, base_url, session=self.sr_session, **kwargs)  # the real class

    def _cold_start(self, function: str) -> ModuleType:
        """A new container: the handler module imported afresh, its services built on the world's clock."""
        module = load_handler_module(function)
        factory = {"api": "api_services", "poll": "poll_service", "deliver": "deliver_service"}[function]
        assert hasattr(module, factory), f"functions/{function}/app.py no longer builds its services with {factory}"
        setattr(module, factory, functools.partial(getattr(wiring, factory), clock=self.clock))
        if function == "poll":  # its other job, webhook callbacks, on the same clock
            module.webhook_worker = functools.partial(wiring.webhook_worker, clock=self.clock)
        return module

    def _died(self, function: str) -> None:
        self.crash.revive()
        self.crash.disarm()
        setattr(self, {"poll": "poller", "deliver": "deliverer"}[function], self._cold_start(function))

    def poll(self, instance_id: int, poller: ModuleType | None = None) -> Invocation:
        """One scheduled invocation of the poll function (the schedule's input is `{"instanceId": N}`)."""
        self.invocations["poll"] += 1
        module = poller or self.poller
        context = LambdaContext(function_name="srevents-PollFunction", timeout_seconds=300)
        try:
            return Invocation(module.lambda_handler({"instanceId": instance_id}, context))
        except Killed as killed:
            self._died("poll")
            return Invocation(None, killed)
        except Exception as error:  # a function error: Scheduler's retry policy and the next schedule cover it
            return Invocation(None, error)

    def tick(self, minutes: int = REFRESH_MINUTES) -> list[Invocation]:
        """The schedules fire: the clock moves one interval and every instance is polled."""
        self.clock.advance(minutes * 60)
        return [self.poll(instance) for instance in self.instances]

    def deliver(self, max_invocations: int = 500) -> int:
        """The event source mapping, until the queue is empty. Returns the number of invocations."""
        for count in range(max_invocations):
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return count
            self._invoke_deliver(messages)
        raise AssertionError(f"the queue did not drain in {max_invocations} invocations")

    def _invoke_deliver(self, messages: list[dict[str, Any]]) -> None:
        self.invocations["deliver"] += 1
        module = self.deliverer
        visibility = module._service()._visibility
        requested = visibility.requested
        asked_before = len(requested)
        released_before = len(visibility.released)
        context = LambdaContext(function_name="srevents-DeliverFunction", timeout_seconds=60)
        try:
            result = module.lambda_handler(sqs_event(messages, self.queue_arn), context)
        except Killed:
            # Nothing of the batch was deleted: it comes back once the queue's visibility timeout is over.
            self.deliver_crashes += 1
            self._died("deliver")
            self.clock.advance(self.visibility_timeout)
            self._make_visible(messages)
            return
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:  # a receive returns at most 10 messages: one DeleteMessageBatch
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        delays = requested[asked_before:]
        released = set(visibility.released[released_before:])  # held back: never attempted
        attempted_and_failed = {m["MessageId"] for m in messages if m["ReceiptHandle"] not in released} & failed
        if delays:
            self.clock.advance(max(delays))
        elif attempted_and_failed:  # a record crashed without asking for a delay: the queue's own timeout
            self.clock.advance(self.visibility_timeout)
        self._make_visible([m for m in messages if m["MessageId"] in failed])

    def _make_visible(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )

    @property
    def requested_delays(self) -> list[int]:
        return list(self.deliverer._service()._visibility.requested)

    # -- instances and changes -----------------------------------------------------------------
    def create_instance(self, name: str = "reliability", **configuration: Any) -> int:
        body = seed_body(name=name)
        settings = body["configuration"]
        settings["api.key"] = self.api_key
        settings["event.notification.callback.url"] = self.receiver.url
        settings["event.notification.signature.key"] = SIGNATURE_KEY
        settings.update(configuration)
        reply = self.api.post("/instances", auth=self.credentials, json_body=body)
        assert reply.status == 200, reply.text
        instance_id = int(reply.body["id"])
        self.tokens[instance_id] = reply.body["token"]
        self.instances.append(instance_id)
        self.ledger.subscribe(instance_id)
        return instance_id

    def change(self, creates: int = 0, updates: list[str] | None = None, gap: float = 0.5) -> list[dict[str, Any]]:
        """New candidates and updates of existing ones, `gap` simulated seconds apart; each is a version."""
        records = []
        for _ in range(creates):
            self.clock.advance(gap)
            records.append(self.store.create_candidate())
        for candidate_id in updates or []:
            self.clock.advance(gap)
            records.append(self.store.update_candidate(candidate_id, tags=[f"v{len(self.ledger.made)}"]))
        for record in records:
            self.ledger.record("candidates", record)
        return records

    def candidate_ids(self) -> list[str]:
        return [r["id"] for r in self.store.records("candidates")]

    def settle(self, polls: int = 2) -> None:
        """Quiet schedules until everything is polled and delivered (the tail a real system would run)."""
        for _ in range(polls):
            self.tick()
            self.deliver()

    def tally(self, *, crashed: bool = False) -> Tally:
        return self.ledger.tally(list(self.receiver.received), crashed=crashed)

    @property
    def simulated(self) -> timedelta:
        return self.clock.now() - self.started

    def down_until(self, until: datetime, instance_id: int | None = None, status: int = 503) -> None:
        """The receiver answers `status` (to one instance's notifications, or all) until the simulated `until`."""

        def responder(headers: dict[str, str], body: bytes) -> Scripted | None:
            if self.clock.now() >= until:
                return None
            if instance_id is not None and f'"instanceId":{instance_id},' not in body.decode():
                return None
            return Scripted(status, body=b'{"down":true}')

        self.receiver.responder = responder


def serialize_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """One AWS request at a time, as DynamoDB applies a conditional write to an item (see the docstring)."""
    lock = threading.Lock()
    process = BotocoreStubber.process_request

    def atomic(self: BotocoreStubber, request: Any) -> Any:
        if FAULT_HEADER in request.headers:
            return None  # answered with an injected error: AWS never applied it
        with lock:
            return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", atomic)


def build_world(
    aws: StackResources, monkeypatch: pytest.MonkeyPatch, index: int, extra_env: dict[str, str] | None = None
) -> Iterator[World]:
    serialize_moto(monkeypatch)
    clock = ManualClock()
    # A key per world: the client's per-key rate limiter is process-wide and keeps the last world's time.
    api_key = register_secret(f"sr-reliability-key-{index:04d}-{id(clock):x}")
    store = SimulatorStore(clock, rate_limit_per_second=False)
    store.add_api_key(api_key)
    register_secret(SIGNATURE_KEY)
    with SimulatorServer(store) as server, Receiver(SIGNATURE_KEY) as receiver:
        env = (
            aws.function_environment("ApiFunction")
            | aws.function_environment("PollFunction")
            | aws.function_environment("DeliverFunction")
        )
        env["SMARTRECRUITERS_BASE_URL"] = server.base_url
        env.update(WORLD_ENV)
        env.update(extra_env or {})
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield World(aws, monkeypatch, clock, store, receiver, api_key)
