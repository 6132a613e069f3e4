"""Real time in the local stack as a user runs it: a webhook instance over HTTP, SmartRecruiters' callbacks
reaching the API, changes delivered without a poll."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import request
from tests.e2e.test_local_stack import instance_body

pytestmark = pytest.mark.e2e


def test_a_webhook_instance_delivers_changes_without_a_poll(stack_factory) -> None:
    stack = stack_factory()
    body = instance_body(stack.receiver_url, interval="1440")  # no reconciliation poll during the test
    body["configuration"]["event.vendor.type"] = "webhook"

    # Given a webhook instance created over HTTP
    status, instance = request("POST", f"{stack.api_url}/instances", body, stack.auth)
    assert status == 200, instance
    status, poller = request("GET", f"{stack.api_url}/instances/{instance['id']}/poller", headers=stack.auth)
    assert status == 200 and poller["webhook"]["status"] == "active"
    subscriptions = request("GET", f"{stack.simulator_url}/_simulator/webhooks/subscriptions")[1]["content"]
    assert [s["status"] for s in subscriptions] == ["active"]

    # When a candidate is created, then deleted, in SmartRecruiters (nobody asks for a poll)
    candidate = request("POST", f"{stack.simulator_url}/_simulator/candidates", {"firstName": "Pushed"})[1]
    stack.wait_for(lambda: stack.received(), 30, "the candidate's CREATED event")
    status, _ = request("DELETE", f"{stack.simulator_url}/_simulator/candidates/{candidate['id']}")
    assert status == 200

    # Then the receiver gets CREATED then DELETED, signed, once each
    received = stack.wait_for(lambda: len(stack.received()) >= 2 and stack.received(), 30, "the DELETED event")
    events = [(e["eventType"], e["objectId"]) for r in received for e in r["events"]]
    assert events == [("CREATED", candidate["id"]), ("DELETED", candidate["id"])]
    assert all(r["elementsSignatureOk"] and r["standardSignatureOk"] for r in received)
    # and the poller counts the callbacks
    poller = request("GET", f"{stack.api_url}/instances/{instance['id']}/poller", headers=stack.auth)[1]
    assert poller["webhook"]["webhookEvents"] == 2 and poller["webhook"]["lastCallback"]

    # When the instance is deleted, its subscription goes too
    status, _ = request("DELETE", f"{stack.api_url}/instances/{instance['id']}", headers=stack.auth)
    assert status == 200
    assert request("GET", f"{stack.simulator_url}/_simulator/webhooks/subscriptions")[1]["content"] == []
    assert stack.stop() == 0
