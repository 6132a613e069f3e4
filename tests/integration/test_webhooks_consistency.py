"""Real time, what the webhook worker and the polls must agree on (docs/DESIGN.md, "Real time"): a plan sent
under one id only, no older version after a newer one, no deletion lost, an object announced CREATED once."""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3
import pytest

from srevents.adapters.instances_store import InstancesStore
from srevents.services import poll_service, webhook_worker
from srevents.services.webhook_worker import Callback
from tests.integration.test_poller import with_candidates
from tests.support.webhook_harness import WebhookHarness


def _callback(h: WebhookHarness, event_id: str, name: str, object_id: str) -> Callback:
    """A callback as SmartRecruiters would (re)send it now."""
    now_ms = int(h.poll.clock.now().timestamp() * 1000)
    return Callback(event_id, name, now_ms // 1000, now_ms, {"id": object_id})


def _sent(h: WebhookHarness) -> list[tuple[str, str]]:
    return [(e["eventType"], e["objectId"]) for e in h.poll.events(h.poll.drain())]


def test_a_late_callback_leaves_a_polls_unfinished_plan_whole(
    webhooks: WebhookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = webhooks
    instance_id = h.create_instance()
    h.poll.clock.advance(5)
    h.store.webhooks.faults.add("drop", count=2)  # neither callback arrives
    a = h.store.create_candidate(firstName="A")
    h.poll.clock.advance(1)
    b = h.store.create_candidate(firstName="B")
    assert h.settle() == []
    h.poll.clock.advance(120)

    # Given a poll that enqueued its one notification (A, B) and died before its commit
    real_save = poll_service.PollerStateStore.save

    def save(self: Any, instance: int, owner: str, resource: str, state: Any, *, release: bool) -> None:
        if state.pending == () and state.watermark is not None:
            raise RuntimeError("Lambda stopped before the commit")
        real_save(self, instance, owner, resource, state, release=release)

    monkeypatch.setattr(poll_service.PollerStateStore, "save", save)
    with pytest.raises(RuntimeError):
        h.poll.poll(instance_id)
    monkeypatch.setattr(poll_service.PollerStateStore, "save", real_save)
    assert len(h.poll.state(instance_id)["candidates"].pending) == 1

    # When SmartRecruiters' late callback for A runs before the poll is retried
    h.poll.clock.advance(1)
    outcome = h.worker.handle(instance_id, _callback(h, "late-a", "candidate.updated", a["id"]))
    h.poll.clock.advance(120)
    h.poll.poll(instance_id)

    # Then the plan goes whole, under its id, by the poll's retry: B is never under a second id
    assert outcome == "already sent"
    carrying: dict[str, set[str]] = {}
    for notification in h.poll.drain():
        carrying.setdefault(notification["id"], set()).update(e["objectId"] for e in notification["message"]["events"])
    assert list(carrying.values()) == [{a["id"], b["id"]}]


def test_a_lagging_search_never_sends_an_older_version_after_a_newer_one(
    webhooks: WebhookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = webhooks
    instance_id = h.create_instance()
    h.poll.clock.advance(5)
    x = h.store.create_candidate(firstName="v0")
    assert h.settle() == ["sent"]
    h.poll.clock.advance(120)
    h.poll.poll(instance_id)
    h.poll.drain()
    h.store.webhooks.faults.add("drop", count=2)
    h.poll.clock.advance(5)
    h.store.update_candidate(x["id"], firstName="v1")
    stale = h.store.record("candidates", x["id"])
    h.poll.clock.advance(2)
    v2 = h.store.update_candidate(x["id"], firstName="v2")
    h.settle()

    # Given the worker fetched x by id (v2) and sent it
    h.poll.clock.advance(1)
    assert h.worker.handle(instance_id, _callback(h, "v1-late", "candidate.updated", x["id"])) == "sent"
    # and the search index still serves v1
    real_search = type(h.store).search

    def search(self: Any, resource: str, matches: Any, after: Any, limit: int) -> Any:
        found = real_search(self, resource, matches, after, limit)
        records = [(k, dict(stale) if r["id"] == x["id"] else r) for k, r in found.records]
        return dataclasses.replace(found, records=records)

    monkeypatch.setattr(type(h.store), "search", search)

    # When the next poll reads it
    h.poll.clock.advance(20)
    h.poll.poll(instance_id)

    # Then only v2 was sent: v1 is older than what x's subscriber has
    assert [(e["eventType"], e["date"]) for e in h.poll.events(h.poll.drain())] == [("UPDATED", v2["updatedOn"])]


def test_a_deletion_is_sent_even_with_the_remembered_versions_at_their_bound(
    webhooks: WebhookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a resource whose remembered versions are at their bound
    monkeypatch.setattr(webhook_worker, "MAX_REMEMBERED", 2)
    h = webhooks
    h.create_instance()
    h.poll.clock.advance(5)
    a = h.store.create_candidate(firstName="A")
    h.poll.clock.advance(1)
    h.store.create_candidate(firstName="B")
    h.poll.clock.advance(1)
    h.settle()
    h.poll.drain()

    # When a candidate is deleted
    h.poll.clock.advance(1)
    h.store.delete_candidate(a["id"])

    # Then its deletion is sent at once (polls could never find it)
    assert h.settle() == ["sent"]
    assert _sent(h) == [("DELETED", a["id"])]


def test_a_deletion_while_notifications_are_suspended_is_sent_on_resumption(webhooks: WebhookHarness) -> None:
    h = webhooks
    instance_id = h.create_instance()
    h.poll.clock.advance(5)
    x = h.store.create_candidate(firstName="X")
    y = h.store.create_candidate(firstName="Y")
    assert h.settle() == ["sent", "sent"]
    h.poll.drain()

    # Given notifications suspended (the callback answered 410 Gone)
    store = InstancesStore(boto3.client("dynamodb", region_name="us-east-1"), h.poll.settings.instances_table)
    store.suspend_notifications(instance_id, "410 Gone")
    # When x is deleted and y updated meanwhile
    h.poll.clock.advance(5)
    h.store.delete_candidate(x["id"])
    h.store.update_candidate(y["id"], firstName="Y2")
    assert sorted(h.settle()) == ["kept", "skipped"]
    assert h.poll.drain() == []
    assert h.poll.state(instance_id)["candidates"].pending_deletions != ()

    # and the subscriber fixes its callback (which resumes notifications), and the next poll runs
    configuration = {"event.notification.callback.url": "http://127.0.0.1:9/other"}
    h.poll.instances.patch(h.poll.caller, instance_id, {"configuration": configuration}, h.public_url)
    h.poll.clock.advance(120)
    h.poll.poll(instance_id)

    # Then both are sent, the deletion once
    assert sorted(_sent(h)) == sorted([("DELETED", x["id"]), ("UPDATED", y["id"])])
    assert h.poll.state(instance_id)["candidates"].pending_deletions == ()
    h.poll.clock.advance(120)
    h.poll.poll(instance_id)
    assert _sent(h) == []


def test_a_deletion_whose_worker_never_finishes_is_sent_by_the_next_poll(
    webhooks: WebhookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = webhooks
    instance_id = h.create_instance()
    h.poll.clock.advance(5)
    x = h.store.create_candidate(firstName="X")
    assert h.settle() == ["sent"]
    h.poll.drain()

    # Given a worker for x's deletion that fails to enqueue, every time Lambda retries it
    h.poll.clock.advance(5)
    h.store.delete_candidate(x["id"])
    real_send = type(h.worker._queue).send

    def failing(self: Any, messages: Any) -> None:
        raise RuntimeError("SQS unavailable")

    monkeypatch.setattr(type(h.worker._queue), "send", failing)
    with pytest.raises(RuntimeError):
        h.settle()
    monkeypatch.setattr(type(h.worker._queue), "send", real_send)

    # When the next poll runs
    h.poll.clock.advance(120)
    h.poll.poll(instance_id)

    # Then it sends the deletion
    assert _sent(h) == [("DELETED", x["id"])]


def test_a_creation_a_partial_poll_announced_is_not_announced_again_by_a_callback(webhooks: WebhookHarness) -> None:
    h = webhooks
    instance_id = h.create_instance(**with_candidates(pageSize=10))
    h.poll.clock.advance(5)
    h.store.webhooks.faults.add("drop", count=15)
    for _ in range(15):
        h.poll.clock.advance(0.5)
        h.store.create_candidate()
    h.settle()
    h.poll.clock.advance(120)
    # Given a poll that stopped after its first page (time running short): partial, no watermark yet
    h.poll.poll(instance_id, remaining_ms=20_000)
    first = h.poll.events(h.poll.drain())
    assert first and all(e["eventType"] == "CREATED" for e in first)
    x = first[0]["objectId"]

    # When one of the objects it announced is updated, and its callback arrives
    h.poll.clock.advance(5)
    h.store.update_candidate(x, firstName="changed")
    assert h.settle() == ["sent"]

    # Then it is an UPDATED
    assert _sent(h) == [("UPDATED", x)]
