"""`make run` as a user runs it: the stack's command line, real ports, HTTP all the way."""

from __future__ import annotations

import copy
import os
import socket
import time

import pytest

from devstack.seed import SEED_BODY
from tests.e2e.conftest import request

pytestmark = pytest.mark.e2e

DEMO_API_KEY = "demo-smartrecruiters-key"
SEED_KEY = SEED_BODY["configuration"]["event.notification.signature.key"]


def instance_body(receiver_url: str, interval: str = "15") -> dict:
    body = copy.deepcopy(SEED_BODY)
    body["configuration"]["event.notification.callback.url"] = receiver_url
    body["configuration"]["api.key"] = DEMO_API_KEY
    body["configuration"]["event.poller.refresh_interval"] = interval
    return body


def test_poll_now_delivers_signed_events_end_to_end(stack_factory) -> None:
    stack = stack_factory()

    # Given an instance created over HTTP with the seed's body
    status, instance = request("POST", f"{stack.api_url}/instances", instance_body(stack.receiver_url), stack.auth)
    assert status == 200, instance
    # And changes in SmartRecruiters
    created = [
        request("POST", f"{stack.simulator_url}/_simulator/candidates", {"firstName": f"E2E {i}"})[1] for i in range(3)
    ]
    time.sleep(0.1)

    # When the user asks for a poll now
    status, _ = request("POST", f"{stack.api_url}/v1/instances/{instance['id']}/events/poll", headers=stack.auth)
    assert status == 202

    # Then the receiver gets exactly those changes, signed with both schemes
    received = stack.wait_for(lambda: stack.received(), 30, "a delivered notification")
    events = [e for r in received for e in r["events"]]
    assert sorted(e["objectId"] for e in events) == sorted(c["id"] for c in created)
    assert {e["eventType"] for e in events} == {"CREATED"}
    assert all(r["elementsSignatureOk"] and r["standardSignatureOk"] for r in received)
    assert all(r["instanceId"] == instance["id"] for r in received)

    # And the API shows the delivery
    status, listed = request("GET", f"{stack.api_url}/instances/{instance['id']}/events", headers=stack.auth)
    assert status == 200 and listed[0]["status"] == "DELIVERED"
    assert stack.stop() == 0


def test_scheduler_fires_on_its_own_and_shutdown_leaves_nothing_behind(stack_factory) -> None:
    stack = stack_factory("--time-scale", "300")  # 15 minutes → 3 seconds

    status, instance = request("POST", f"{stack.api_url}/instances", instance_body(stack.receiver_url), stack.auth)
    assert status == 200, instance
    candidate = request("POST", f"{stack.simulator_url}/_simulator/candidates", {"firstName": "Scheduled"})[1]

    received = stack.wait_for(lambda: stack.received(), 45, "a scheduled poll's notification")
    assert candidate["id"] in {e["objectId"] for r in received for e in r["events"]}

    pgid = os.getpgid(stack.process.pid)
    assert stack.stop() == 0
    assert any(line == "stopped" for line in stack.lines)
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)  # no process of the stack's group is left
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as any server would
        sock.bind(("127.0.0.1", stack.api_port))  # the API port is free again
        sock.listen()


def test_a_healthy_instance_is_not_delayed_by_hanging_callbacks(stack_factory) -> None:
    stack = stack_factory()
    hanging_url = stack.receiver_url.rsplit("/", 1)[0] + "/hang"  # the receiver never answers there

    # Given three instances whose callbacks hang (each attempt runs into the 15 s deadline) and a healthy one
    ids = []
    for url in [hanging_url] * 3 + [stack.receiver_url]:
        status, instance = request("POST", f"{stack.api_url}/instances", instance_body(url), stack.auth)
        assert status == 200, instance
        ids.append(instance["id"])
    healthy = ids[-1]
    request("POST", f"{stack.simulator_url}/_simulator/candidates", {"firstName": "Isolation"})
    time.sleep(0.1)

    # When all four are polled now, the hanging ones first
    for instance_id in ids[:-1]:
        assert request("POST", f"{stack.api_url}/instances/{instance_id}/events/poll", headers=stack.auth)[0] == 202
    started = time.monotonic()
    assert request("POST", f"{stack.api_url}/instances/{healthy}/events/poll", headers=stack.auth)[0] == 202

    # Then the healthy instance's change arrives, verified, long before a single hanging attempt could end
    received = stack.wait_for(
        lambda: [r for r in stack.received() if r["instanceId"] == healthy], 30, "the healthy instance's callback"
    )
    latency = time.monotonic() - started
    assert received[0]["elementsSignatureOk"] and received[0]["standardSignatureOk"]
    assert latency < 10, f"the healthy instance waited {latency:.1f} s behind hanging callbacks"
    assert stack.stop() == 0


def test_the_seeds_request_works_at_the_platforms_path(stack_factory) -> None:
    stack = stack_factory()

    # When the seed's cURL is sent with only scheme, host and port changed
    status, instance = request(
        "POST", f"{stack.api_url}/elements/api-v2/instances", instance_body(stack.receiver_url), stack.auth
    )

    # Then the instance exists, and the rest of the API answers under the same prefix
    assert status == 200, instance
    status, listed = request("GET", f"{stack.api_url}/elements/api-v2/instances", headers=stack.auth)
    assert status == 200 and [i["id"] for i in listed] == [instance["id"]]
    assert stack.stop() == 0
