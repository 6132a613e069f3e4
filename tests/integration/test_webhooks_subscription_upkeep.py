"""Real time: a webhook instance's SmartRecruiters subscriptions are never left behind (docs/DESIGN.md, "Real
time"): within the request's time, after a lost answer, and when a deletion fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

from devstack.apigw_events import proxy_event
from devstack.lambda_runtime import LambdaContext
from srevents.errors import UpstreamUnavailable
from tests.support.aws_state import snapshot
from tests.support.webhook_harness import WebhookHarness

SUBSCRIPTIONS = "/webhooks-api/v201907/subscriptions"


def _seconds_left(*values: float) -> Callable[[], float]:
    """The time left at each look, then the last value again."""
    remaining = list(values)

    def left() -> float:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return left


def test_a_create_whose_time_runs_out_before_activation_leaves_nothing(webhooks: WebhookHarness) -> None:
    h = webhooks
    before = snapshot(h.poll.resources)

    # Given a request with 30 s left when it subscribes, and 6.5 s when it would activate
    with pytest.raises(UpstreamUnavailable):
        h.poll.instances.create(h.poll.caller, h.body(), h.public_url, _seconds_left(30.0, 6.5, 6.4))

    # Then it did not start the activation, and deleted the subscription in the time it kept back; only the
    # id counter moved
    assert h.subscriptions() == []
    after = snapshot(h.poll.resources)
    for state in (before, after):
        state["tables"]["InstancesTable"] = [
            i for i in state["tables"]["InstancesTable"] if i["pk"]["S"] != "COUNTER#instance"
        ]
    assert after == before


def test_the_api_gives_smartrecruiters_only_the_time_its_function_has_left(webhooks: WebhookHarness) -> None:
    h = webhooks
    # Given an API function with 7.5 s left: 2 to answer, 6 kept back to clean up, too little to subscribe
    body = json.dumps(h.body())
    event = proxy_event("POST", "/instances", headers={"Authorization": h.poll.credentials.header()}, body=body)

    response = h.resolve(event, LambdaContext(function_name="srevents-ApiFunction", timeout_seconds=7.5))

    # Then it answers in time that nothing was created, and SmartRecruiters was not asked
    assert response["statusCode"] == 502
    assert h.subscriptions() == []
    assert SUBSCRIPTIONS not in h.store.counters()["requests"]
    # (as it is asked when there is time)
    h.create_instance()
    assert SUBSCRIPTIONS in h.store.counters()["requests"]


def test_a_subscription_whose_creation_answer_was_lost_is_found_and_deleted(
    webhooks: WebhookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = webhooks
    real_request = requests.Session.request

    # Given SmartRecruiters that creates the subscription, but whose answer is lost
    def request(self: Any, method: str, url: str, **kwargs: Any) -> Any:
        response = real_request(self, method, url, **kwargs)
        if method == "POST" and url.endswith(SUBSCRIPTIONS):
            raise requests.ReadTimeout("read timed out")
        return response

    monkeypatch.setattr(requests.Session, "request", request)

    # Then the create fails (try again), and the subscription it made is gone
    with pytest.raises(UpstreamUnavailable):
        h.poll.instances.create(h.poll.caller, h.body(), h.public_url)
    assert h.subscriptions() == []


def test_the_activation_window_item_expires_by_itself_and_nothing_else_in_its_table_can() -> None:
    from devstack.aws_resources import load_template

    table = load_template()["Resources"]["InstancesTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


def test_after_a_webhook_instance_is_made_only_activation_items_may_carry_an_expiry(webhooks: WebhookHarness) -> None:
    h = webhooks
    instance_id = h.create_instance()
    h.poll.instances.set_enabled(h.poll.caller, instance_id, False, h.public_url)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    items = dynamodb.scan(TableName=h.poll.settings.instances_table)["Items"]
    assert items  # instances, counters and accounts live here
    assert [i["pk"]["S"] for i in items if "expiresAt" in i and not i["pk"]["S"].startswith("WEBHOOKACTIVATION#")] == []


def _fail_deleting(h: WebhookHarness, subscription_id: str) -> None:
    """SmartRecruiters failing every try of one subscription's DELETE."""
    h.store.faults.fail_next(3, status=503, path_prefix=f"{SUBSCRIPTIONS}/{subscription_id}")


def test_a_replaced_subscription_whose_deletion_failed_is_deleted_at_the_next_change(webhooks: WebhookHarness) -> None:
    h = webhooks
    instance_id = h.create_instance()
    caller, instances = h.poll.caller, h.poll.instances
    [old] = h.subscriptions()

    # Given a change that replaces the subscription while SmartRecruiters fails to delete the old one
    _fail_deleting(h, old["id"])
    instances.set_enabled(caller, instance_id, False, h.public_url)
    assert [s["id"] for s in h.subscriptions()] == [old["id"]]
    assert instances.owned(caller, instance_id).stale_subscriptions == (old["id"],)

    # When the instance changes again
    instances.set_enabled(caller, instance_id, True, h.public_url)

    # Then the old one is gone, only the new one is left, and nothing is still to delete
    [new] = h.subscriptions()
    assert new["id"] != old["id"]
    assert instances.owned(caller, instance_id).stale_subscriptions == ()


def test_a_delete_finishes_the_stale_subscriptions_or_deletes_nothing(webhooks: WebhookHarness) -> None:
    h = webhooks
    instance_id = h.create_instance()
    caller, instances = h.poll.caller, h.poll.instances
    [old] = h.subscriptions()
    _fail_deleting(h, old["id"])
    instances.set_enabled(caller, instance_id, False, h.public_url)

    # When the DELETE cannot delete the stale subscription either, nothing is deleted (try again)
    _fail_deleting(h, old["id"])
    with pytest.raises(UpstreamUnavailable):
        instances.delete(caller, instance_id)
    assert instances.owned(caller, instance_id).stale_subscriptions == (old["id"],)

    # and the retried DELETE finishes
    instances.delete(caller, instance_id)
    assert h.subscriptions() == []
