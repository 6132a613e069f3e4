"""Real time (docs/DESIGN.md, "Real time"): a webhook instance against the simulator's Webhooks API, its signed
callbacks reaching the API's inbound route over HTTP, the worker and the reconciliation polls on one clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from srevents.domain.webhook_signature import sign
from srevents.errors import ValidationError
from tests.support.aws_state import schedule, snapshot
from tests.support.poll_harness import API_KEY
from tests.support.webhook_harness import WebhookHarness

CANDIDATE_EVENTS = ["candidate.created", "candidate.updated", "candidate.deleted"]


def events(harness: WebhookHarness) -> list[dict[str, Any]]:
    return harness.poll.events(harness.poll.drain())


def versions(found: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(e["eventType"], e["objectId"], e["date"]) for e in found]


def test_create_makes_an_active_subscription(webhooks: WebhookHarness) -> None:
    # When a webhook instance is created
    instance_id = webhooks.create_instance()

    # Then SmartRecruiters has one active subscription for the candidates' events, posting to the inbound route
    [subscription] = webhooks.subscriptions()
    assert subscription["status"] == "active"
    assert subscription["events"] == CANDIDATE_EVENTS
    assert subscription["callbackUrl"] == f"{webhooks.public_url}/events/smartrecruiters/{instance_id}"
    assert subscription["validSecretKeys"] == 1
    # and the poller shows it, beside the schedule that still reconciles
    status = webhooks.poll.instances.owned(webhooks.poll.caller, instance_id)
    assert status.webhook is not None and status.webhook["status"] == "active"
    assert schedule(webhooks.poll.resources, instance_id) is not None


def test_changes_arrive_without_a_poll(webhooks: WebhookHarness) -> None:
    instance_id = webhooks.create_instance()
    webhooks.poll.clock.advance(5)

    # When a candidate is created, then updated, in SmartRecruiters
    candidate = webhooks.store.create_candidate(firstName="Ada")
    assert webhooks.settle() == ["sent"]
    webhooks.poll.clock.advance(5)
    updated = webhooks.store.update_candidate(candidate["id"], firstName="Grace")
    assert webhooks.settle() == ["sent"]

    # Then both versions are in the queue, in order, as a poll would have sent them, raw record included
    notifications = webhooks.poll.drain()
    found = webhooks.poll.events(notifications)
    assert versions(found) == [
        ("CREATED", candidate["id"], candidate["updatedOn"]),
        ("UPDATED", candidate["id"], updated["updatedOn"]),
    ]
    assert notifications[1]["message"]["raw"]["candidates"][0]["firstName"] == "Grace"
    assert {n["_sqs"]["MessageGroupId"] for n in notifications} == {str(instance_id)}
    # and a poll afterwards sends neither again
    webhooks.poll.clock.advance(120)
    webhooks.poll.poll(instance_id)
    assert events(webhooks) == []


def test_a_duplicate_callback_is_sent_once(webhooks: WebhookHarness) -> None:
    webhooks.create_instance()
    webhooks.poll.clock.advance(5)
    webhooks.store.webhooks.faults.add("duplicate", count=1)

    candidate = webhooks.store.create_candidate(firstName="Ada")

    assert sorted(webhooks.settle()) == ["duplicate", "sent"]
    assert [e["objectId"] for e in events(webhooks)] == [candidate["id"]]


def test_a_dropped_callback_is_caught_by_the_next_poll_exactly_once(webhooks: WebhookHarness) -> None:
    instance_id = webhooks.create_instance()
    webhooks.poll.clock.advance(5)
    webhooks.store.webhooks.faults.add("drop", count=1)

    # Given two new candidates, the first one's callback never sent
    missed = webhooks.store.create_candidate(firstName="Missed")
    webhooks.poll.clock.advance(1)
    pushed = webhooks.store.create_candidate(firstName="Pushed")
    assert webhooks.settle() == ["sent"]
    assert [e["objectId"] for e in events(webhooks)] == [pushed["id"]]

    # When the reconciliation polls run
    webhooks.poll.clock.advance(120)
    webhooks.poll.poll(instance_id)
    caught = events(webhooks)
    webhooks.poll.clock.advance(120)
    webhooks.poll.poll(instance_id)

    # Then the missed one is sent once, the pushed one not again, and the poller counts it
    assert [e["objectId"] for e in caught] == [missed["id"]]
    assert events(webhooks) == []
    state = webhooks.poll.state(instance_id)["candidates"]
    assert (state.caught_by_reconciliation, state.webhook_events) == (1, 1)


def test_a_version_a_poll_sent_is_not_sent_again_by_a_late_callback(webhooks: WebhookHarness) -> None:
    instance_id = webhooks.create_instance()
    webhooks.poll.clock.advance(5)
    candidate = webhooks.store.create_candidate(firstName="Ada")
    webhooks.poll.clock.advance(60)

    # Given a poll that ran before the callback was processed
    webhooks.poll.poll(instance_id)
    assert [e["objectId"] for e in events(webhooks)] == [candidate["id"]]

    # Then the callback finds the version already sent
    assert webhooks.settle() == ["already sent"]
    assert events(webhooks) == []


def test_a_deleted_candidate_becomes_a_deleted_event(webhooks: WebhookHarness) -> None:
    webhooks.create_instance()
    webhooks.poll.clock.advance(5)
    candidate = webhooks.store.create_candidate(firstName="Ada")
    webhooks.settle()
    events(webhooks)

    webhooks.poll.clock.advance(5)
    webhooks.store.delete_candidate(candidate["id"])

    assert webhooks.settle() == ["sent"]
    notifications = webhooks.poll.drain()
    [event] = webhooks.poll.events(notifications)
    assert (event["eventType"], event["objectId"], event["objectType"]) == ("DELETED", candidate["id"], "candidates")
    assert notifications[0]["message"]["raw"]["candidates"] == [{"id": candidate["id"]}]


def _post(
    harness: WebhookHarness, instance_id: int, headers: dict[str, str], body: bytes, prefix: str = ""
) -> requests.Response:
    url = f"{harness.public_url}{prefix}/events/smartrecruiters/{instance_id}"
    return requests.post(url, data=body, headers=headers, timeout=10)


def _signed(harness: WebhookHarness, secret: str, body: bytes, *, skew: int = 0) -> dict[str, str]:
    headers = {
        "smartrecruiters-timestamp": str(int(harness.poll.clock.now().timestamp()) + skew),
        "event-id": "forged-1",
        "event-name": "candidate.created",
        "event-version": "v201910",
        "link": "",
    }
    headers["smartrecruiters-signature"] = sign(secret, headers, body)
    return headers


def test_forged_callbacks_are_refused_without_touching_state(webhooks: WebhookHarness) -> None:
    instance_id = webhooks.create_instance()
    webhooks.poll.clock.advance(5)
    candidate = webhooks.store.create_candidate(firstName="Ada")
    webhooks.settle()
    webhooks.poll.drain()
    body = json.dumps({"id": candidate["id"]}).encode()
    before = snapshot(webhooks.poll.resources)

    answers = [
        _post(webhooks, instance_id, _signed(webhooks, "not-the-key", body), body),  # a key of our own
        _post(webhooks, instance_id, {"content-type": "application/json"}, body),  # unsigned
        _post(webhooks, instance_id, {"X-Hook-Secret": "abc"}, b""),  # a handshake nobody asked for
        _post(webhooks, instance_id + 1, _signed(webhooks, "not-the-key", body), body),  # no such instance
        _post(webhooks, 0, {}, body),
    ]

    assert [a.status_code for a in answers] == [401] * 5
    assert {a.json()["message"] for a in answers} == {"callback refused"}  # no reason given away
    assert webhooks.trigger.take() == []
    assert snapshot(webhooks.poll.resources) == before


def test_callbacks_refused_on_their_headers_alone_read_nothing(
    webhooks: WebhookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from srevents.adapters.instances_store import InstancesStore
    from srevents.adapters.secrets import SecretBox

    instance_id = webhooks.create_instance()
    body = b'{"id":"c-1"}'
    # Given every instance read and key opening counted
    reads: list[str] = []
    real_get, real_open = InstancesStore.get, SecretBox.open

    def get(self: Any, *args: Any) -> Any:
        reads.append("instance")
        return real_get(self, *args)

    def open_(self: Any, *args: Any) -> Any:
        reads.append("keys")
        return real_open(self, *args)

    monkeypatch.setattr(InstancesStore, "get", get)
    monkeypatch.setattr(SecretBox, "open", open_)

    # When callbacks come without a timestamp, stale, or with a malformed signature
    unsigned = {"content-type": "application/json"}
    stale = _signed(webhooks, "any", body, skew=-301)
    malformed = {**_signed(webhooks, "any", body), "smartrecruiters-signature": "v1=zz"}
    answers = [_post(webhooks, instance_id, headers, body) for headers in (unsigned, stale, malformed)]

    # Then they are refused before the instance is read or its keys opened
    assert [a.status_code for a in answers] == [401] * 3
    assert reads == []
    # while a well-formed one (here with a wrong key) is checked against the keys
    assert _post(webhooks, instance_id, _signed(webhooks, "not-the-key", body), body).status_code == 401
    assert reads == ["instance", "keys"]


def test_a_correctly_signed_but_stale_callback_is_refused(webhooks: WebhookHarness) -> None:
    # Given the subscription's real key (read the way the inbound route reads it)
    from srevents.services.webhook_subscriptions import open_keys

    instance_id = webhooks.create_instance()
    instance = webhooks.poll.instances.owned(webhooks.poll.caller, instance_id)
    assert instance.webhook_secrets is not None
    box = webhooks.poll.instances._secret_box
    [key] = open_keys(box, instance_id, instance.webhook_secrets)
    body = b'{"id":"c-1"}'

    fresh = _post(webhooks, instance_id, _signed(webhooks, key.value, body), body)
    stale = _post(webhooks, instance_id, _signed(webhooks, key.value, body, skew=-301), body)

    at_platform_path = _post(webhooks, instance_id, _signed(webhooks, key.value, body), body, "/elements/api-v2")

    assert (fresh.status_code, stale.status_code, at_platform_path.status_code) == (202, 401, 202)
    assert len(webhooks.trigger.take()) == 2


def test_deleting_the_instance_deletes_the_subscription(webhooks: WebhookHarness) -> None:
    instance_id = webhooks.create_instance()
    assert len(webhooks.subscriptions()) == 1

    webhooks.poll.instances.delete(webhooks.poll.caller, instance_id)

    assert webhooks.subscriptions() == []
    assert schedule(webhooks.poll.resources, instance_id) is None


def test_disabling_deletes_the_subscription_and_enabling_makes_a_new_one(webhooks: WebhookHarness) -> None:
    instance_id = webhooks.create_instance()
    caller, instances = webhooks.poll.caller, webhooks.poll.instances

    instances.set_enabled(caller, instance_id, False, webhooks.public_url)
    assert webhooks.subscriptions() == []

    instances.set_enabled(caller, instance_id, True, webhooks.public_url)
    [subscription] = webhooks.subscriptions()
    assert subscription["status"] == "active"


def test_new_resources_change_the_subscriptions_events(webhooks: WebhookHarness) -> None:
    instance_id = webhooks.create_instance()
    poller = webhooks.body()["configuration"]["event.poller.configuration"]
    jobs = json.loads(json.dumps(poller["candidates"]).replace("/candidates", "/jobs"))

    webhooks.poll.instances.patch(
        webhooks.poll.caller,
        instance_id,
        {"configuration": {"event.poller.configuration": {**poller, "jobs": jobs}}},
        webhooks.public_url,
    )

    [subscription] = webhooks.subscriptions()
    assert subscription["events"] == [*CANDIDATE_EVENTS, "job.created", "job.updated"]
    assert subscription["status"] == "active"


def test_the_subscription_limit_is_a_clear_400_that_leaves_nothing(webhooks: WebhookHarness) -> None:
    for number in range(20):
        webhooks.store.webhooks.subscribe(
            API_KEY, {"callbackUrl": f"https://x.test/{number}", "events": ["job.created"]}
        )
    existing = webhooks.subscriptions()

    error = _refused_creation_keeping(webhooks, existing)

    assert error.field == "configuration.event.vendor.type"
    assert "SUBSCRIPTIONS_LIMIT_EXCEEDED" in error.problem


def _refused_creation_keeping(harness: WebhookHarness, existing: list[dict[str, Any]]) -> ValidationError:
    before = snapshot(harness.poll.resources)
    with pytest.raises(ValidationError) as refused:
        harness.create_instance()
    assert harness.subscriptions() == existing
    after = snapshot(harness.poll.resources)
    for state in (before, after):
        state["tables"]["InstancesTable"] = [
            i for i in state["tables"]["InstancesTable"] if i["pk"]["S"] != "COUNTER#instance"
        ]
    assert after == before
    return refused.value


def test_a_key_without_webhook_permission_is_a_clear_400_that_leaves_nothing(webhooks: WebhookHarness) -> None:
    webhooks.store.add_api_key(API_KEY, scopes=["candidates_read"])

    error = _refused_creation_keeping(webhooks, [])

    assert error.field == "configuration.api.key"
    assert "permission" in error.problem


def test_a_failed_handshake_is_a_clear_400_that_leaves_nothing(webhooks: WebhookHarness) -> None:
    # Given a public URL where nothing answers the handshake
    webhooks.shim.server.shutdown()
    webhooks.shim.server.server_close()

    error = _refused_creation_keeping(webhooks, [])

    assert error.field == "configuration.event.vendor.type"
    assert "handshake" in error.problem


def test_a_worker_that_dies_after_its_plan_sends_the_same_notification_when_retried(
    webhooks: WebhookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from srevents.services.webhook_worker import Callback

    instance_id = webhooks.create_instance()
    webhooks.poll.clock.advance(5)
    candidate = webhooks.store.create_candidate(firstName="Ada")
    assert webhooks.store.webhooks.wait_idle(10.0)
    [(handed_to, callback)] = webhooks.trigger.take()

    # Given a worker whose enqueue fails after it saved its plan
    queue = webhooks.worker._queue
    real_send = queue.send

    def failing(messages: Any) -> None:
        raise RuntimeError("SQS unavailable")

    monkeypatch.setattr(queue, "send", failing)
    with pytest.raises(RuntimeError):
        webhooks.worker.handle(handed_to, Callback.from_event(callback))
    assert len(webhooks.poll.state(instance_id)["candidates"].pending) == 1

    # When Lambda retries the invocation, and a poll runs afterwards
    monkeypatch.setattr(queue, "send", real_send)
    assert webhooks.worker.handle(handed_to, Callback.from_event(callback)) == "sent"
    webhooks.poll.clock.advance(120)
    webhooks.poll.poll(instance_id)

    # Then the version was sent once, under the planned id, and the plan is done
    notifications = webhooks.poll.drain()
    assert [e["objectId"] for e in webhooks.poll.events(notifications)] == [candidate["id"]]
    state = webhooks.poll.state(instance_id)["candidates"]
    assert state.pending == () and state.webhook_failures == 0


def test_a_callback_waits_for_a_running_poll_and_then_lets_lambda_retry(webhooks: WebhookHarness) -> None:
    from srevents.services.webhook_worker import Callback, LeaseBusy

    instance_id = webhooks.create_instance()
    webhooks.poll.clock.advance(5)
    webhooks.store.create_candidate(firstName="Ada")
    assert webhooks.store.webhooks.wait_idle(10.0)
    [(handed_to, callback)] = webhooks.trigger.take()
    # Given a poll holding the instance's lease for the next 10 minutes
    store = webhooks.worker._state
    now_ms = int(webhooks.poll.clock.now().timestamp() * 1000)
    assert store.acquire(instance_id, "a-poll", now_ms, now_ms + 600_000) is not None

    # Then the callback waits its time, touches nothing, and fails for Lambda to retry it
    with pytest.raises(LeaseBusy):
        webhooks.worker.handle(handed_to, Callback.from_event(callback))
    assert webhooks.poll.drain() == []
    store.release(instance_id, "a-poll")
    assert webhooks.worker.handle(handed_to, Callback.from_event(callback)) == "sent"


def test_callbacks_beyond_the_remembered_bound_are_left_to_the_poll(
    webhooks: WebhookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from srevents.services import webhook_worker

    # Given a bound of one remembered version per resource
    monkeypatch.setattr(webhook_worker, "MAX_REMEMBERED", 1)
    instance_id = webhooks.create_instance()
    webhooks.poll.clock.advance(5)
    first = webhooks.store.create_candidate(firstName="First")
    webhooks.poll.clock.advance(1)
    second = webhooks.store.create_candidate(firstName="Second")

    # When both callbacks are processed, then the poll runs
    assert webhooks.settle() == ["sent", "deferred"]
    webhooks.poll.clock.advance(120)
    webhooks.poll.poll(instance_id)

    # Then each version was sent once: the first by webhook, the second by the poll
    assert [e["objectId"] for e in events(webhooks)] == [first["id"], second["id"]]
    state = webhooks.poll.state(instance_id)["candidates"]
    assert (state.webhook_events, state.caught_by_reconciliation, state.deferred_to_poll) == (1, 1, 1)


def test_a_poll_waits_for_a_webhook_worker_instead_of_skipping(webhooks: WebhookHarness) -> None:
    from srevents.services.poll_service import WEBHOOK_LEASE_PREFIX

    instance_id = webhooks.create_instance()
    webhooks.poll.clock.advance(65)
    store = webhooks.worker._state
    now_ms = int(webhooks.poll.clock.now().timestamp() * 1000)
    # Given a webhook worker holding the lease for a moment (expiring within the poll's wait)
    assert store.acquire(instance_id, WEBHOOK_LEASE_PREFIX + "w", now_ms, now_ms + 2_000) is not None

    outcome = webhooks.poll.poll(instance_id)

    assert outcome.status == "polled"
