"""Real time under fire: SmartRecruiters' webhook callbacks dropped, duplicated, delayed and reordered by the
simulator while the reconciliation polls also run. Every version must reach the receiver exactly once, and
the versions of each object in the order they were made."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from devstack.aws_resources import StackResources
from devstack.lambda_runtime import LambdaContext
from devstack.smartrecruiters.callbacks import WebhookTimings
from devstack.stack import ApiGatewayShim, _serve
from srevents.adapters.poll_trigger import PollTrigger
from tests.reliability.cases import WEBHOOK_FAULTS, case_key
from tests.reliability.world import World, build_world

_worlds = itertools.count(10_000)
ROUNDS = 6
FRACTION = 0.3


@dataclass
class WebhookWorld:
    world: World
    handed: list[tuple[int, dict[str, Any]]]

    def run_callbacks(self, limit: int | None = None) -> int:
        """Wait for the simulator's callbacks, then run the poll function on (up to `limit` of) those handed
        over, in order, as Lambda runs asynchronous invocations."""
        assert self.world.store.webhooks.wait_idle(10.0)
        count = len(self.handed) if limit is None else min(limit, len(self.handed))
        taken, self.handed[:] = self.handed[:count], self.handed[count:]
        for instance_id, callback in taken:
            context = LambdaContext(function_name="srevents-PollFunction", timeout_seconds=300)
            self.world.poller.lambda_handler({"instanceId": instance_id, "webhook": callback}, context)
        return count


@pytest.fixture
def webhook_world(aws: StackResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookWorld]:
    shim = ApiGatewayShim(None, 0)  # SmartRecruiters' handshake and callbacks reach the API through it
    _serve(shim.server, "api")
    handed: list[tuple[int, dict[str, Any]]] = []
    monkeypatch.setattr(
        PollTrigger, "webhook", lambda self, instance_id, callback: handed.append((instance_id, callback))
    )
    try:
        for world in build_world(aws, monkeypatch, next(_worlds), {"PUBLIC_API_URL": shim.url}):
            shim.use([world._cold_start("api").lambda_handler])
            world.store.webhooks.sender.timings = WebhookTimings(
                callback_timeout=5.0, retry_delays=(0.05, 0.05, 0.05), reorder_wait=0.2
            )
            try:
                yield WebhookWorld(world, handed)
            finally:
                world.store.webhooks.close()
    finally:
        shim.server.shutdown()
        shim.server.server_close()


def per_object_order_violations(world: World) -> int:
    """First deliveries, in arrival order, carrying a version older than one already received for the same
    object (what webhooks with reconciliation promise: a missed callback arrives with the next poll, after
    newer changes of other objects, never after a newer version of its own object)."""
    import json

    newest: dict[tuple[int, str, str], str] = {}
    seen: set[str] = set()
    violations = 0
    for received in world.receiver.received:
        if not 200 <= received.status < 300 or received.notification_id in seen:
            continue
        seen.add(received.notification_id)
        message = json.loads(received.body)["message"]
        for event in message["events"]:
            key = (int(message["instanceId"]), event["objectType"], event["objectId"])
            if event["date"] < newest.get(key, ""):
                violations += 1
            newest[key] = max(newest.get(key, ""), event["date"])
    return violations


@pytest.mark.parametrize("kind", WEBHOOK_FAULTS)
def test_webhook_faults_while_polls_run_lose_and_repeat_nothing(
    webhook_world: WebhookWorld, report: Callable[..., None], kind: str
) -> None:
    world = webhook_world.world
    # Given a webhook instance, and SmartRecruiters misbehaving with a share of its callbacks
    instance = world.create_instance(**{"event.vendor.type": "webhook"})
    faults = world.store.webhooks.faults
    for fault in ("drop", "duplicate", "delay", "reorder") if kind == "all" else (kind,):
        faults.add(fault, fraction=FRACTION, seconds=0.05 if fault == "delay" else 0.0)
    world.clock.advance(61)

    # When rounds of changes come, each round's callbacks and polls interleaved differently
    for round_number in range(ROUNDS):
        touched = world.candidate_ids()[round_number * 2 : round_number * 2 + 3]
        world.change(creates=4, updates=touched)
        assert world.store.webhooks.wait_idle(10.0)
        if round_number % 3 == 0:  # the poll first: the callbacks find their versions sent
            world.tick()
            webhook_world.run_callbacks()
        elif round_number % 3 == 1:  # the callbacks first: the poll finds only what they missed
            webhook_world.run_callbacks()
            world.tick()
        else:  # a poll between the callbacks
            webhook_world.run_callbacks(limit=len(webhook_world.handed) // 2)
            world.tick()
            webhook_world.run_callbacks()
        world.deliver()
    world.settle()
    webhook_world.run_callbacks()
    world.deliver()

    # Then every version arrived exactly once, each object's versions in order
    tally = world.tally()
    out_of_order = per_object_order_violations(world)
    state = world.api.get(f"/instances/{instance}/poller", auth=world.credentials).body["webhook"]
    report(
        section="webhooks",
        key=case_key("webhooks", kind),
        case=f"callbacks {kind if kind != 'all' else 'dropped, duplicated, delayed and reordered'} "
        f"({FRACTION:.0%} each), {ROUNDS} rounds of changes with polls before, between and after them",
        fault=f"simulator callback faults: {kind}",
        notes=f"{state['webhookEvents']} event(s) by webhook, {state['caughtByReconciliation']} by reconciliation; "
        "order counted per object",
        **{**tally.as_row(), "order_violations": out_of_order},
    )
    assert (tally.lost, tally.duplicates, tally.resends, out_of_order) == (0, 0, 0, 0), tally.missing[:5]
    assert tally.phantoms == 0 and tally.bad_signatures == 0
    assert state["webhookEvents"] > 0 and state["status"] == "active"
    if kind in ("drop", "all"):
        assert state["caughtByReconciliation"] > 0
