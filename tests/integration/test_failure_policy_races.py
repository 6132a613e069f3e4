"""The failure policy under races and crashes: a waking message taken early, a notification parked twice, a
crash between a last attempt and the pause, a redelivery replaced or interrupted by the customer, a redelivery
asked for while a last attempt is in flight. Each was a defect found by review; each test failed before the fix."""

from __future__ import annotations

from collections import Counter

import pytest

from devstack.receiver import Scripted
from srevents.adapters import notification_queue as nq_mod
from srevents.adapters.instances_store import InstancesStore
from srevents.services.callback_attempts import CallbackAttempts
from tests.integration.test_failure_policy import (
    _delivered_ids,
    _events,
    _fail_first_notification_for_good,
    _redeliver,
)
from tests.support.api_client import ApiClient
from tests.support.pipeline import Pipeline


def _visible_after_crash(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate the queue's visibility timeout passing at once for messages the handler reported failed."""
    pump = pipeline.pump
    original = pump._invoke

    def invoke(messages):
        handled = original(messages)
        return handled

    # messages that failed: make them visible again (their visibility timeout has 'passed')
    def handler_wrap(event, context, _h=pump._handler):
        result = _h(event, context)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        crashed = [r for r in event["Records"] if r["messageId"] in failed and r["messageId"] in crashed_ids]
        if crashed:
            pump._sqs.change_message_visibility_batch(
                QueueUrl=pump._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"], "VisibilityTimeout": 0}
                    for i, r in enumerate(crashed)
                ],
            )
        return result

    crashed_ids: set[str] = set()
    pipeline.crashed_ids = crashed_ids  # type: ignore[attr-defined]
    monkeypatch.setattr(pump, "_handler", handler_wrap)


def test_wake_message_consumed_before_the_redelivery_is_recorded(pipeline: Pipeline, monkeypatch) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    instance = pipeline.create_instance()
    failed_id = _fail_first_notification_for_good(pipeline, instance)
    queued = _events(api, pipeline, instance, "QUEUED")
    assert len(queued) == 2

    original_send = nq_mod.NotificationQueue.send

    def send(self, messages):
        original_send(self, messages)
        if any(m.attributes.get("kind") == "redelivery" for m in messages):
            pipeline.pump.drain()  # the deliverer takes the waking message before the API records the redelivery

    monkeypatch.setattr(nq_mod.NotificationQueue, "send", send)
    assert _redeliver(api, pipeline, instance).status == 202
    monkeypatch.setattr(nq_mod.NotificationQueue, "send", original_send)
    pipeline.pump.drain()

    assert _delivered_ids(pipeline)[:1] == [failed_id], "nothing redelivered: the redelivery waits for a message"


def test_a_replay_while_paused_marks_twice_and_the_redelivery_sends_twice(pipeline: Pipeline) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    auth = pipeline.poll.credentials
    instance = pipeline.create_instance()
    _fail_first_notification_for_good(pipeline, instance)
    reply = api.post(f"/instances/{instance}/poller/replay", auth=auth, json_body={"since": "2000-01-01T00:00:00Z"})
    assert reply.status == 200, reply.text
    pipeline.poll.clock.advance(60)
    pipeline.poll.poll(instance)
    pipeline.pump.drain()
    log = pipeline.deliver_module._service()._log
    log.parked(instance, limit=100)

    assert _redeliver(api, pipeline, instance).status == 202
    pipeline.pump.drain()
    counts = Counter(_delivered_ids(pipeline))
    assert all(c == 1 for c in counts.values()), counts


def test_a_transient_error_after_parking_sends_twice(pipeline: Pipeline, monkeypatch) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    instance = pipeline.create_instance()
    _visible_after_crash(pipeline, monkeypatch)
    _fail_first_notification_for_good(pipeline, instance, changes=5)  # one notification, FAILED
    pipeline.change_and_poll(instance, changes=3)

    original = CallbackAttempts.record
    failures = {"left": 1}

    def record(self, instance_id, notification_id, body, status, *args, **kwargs):
        if status == "QUEUED" and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("ProvisionedThroughputExceeded (simulated)")
        return original(self, instance_id, notification_id, body, status, *args, **kwargs)

    monkeypatch.setattr(CallbackAttempts, "record", record)
    # the first drain: the QUEUED write fails after the mark; the message 'comes back' at once
    handler = pipeline.pump._handler

    def mark_all_failed_as_crashed(event, context):
        pipeline.crashed_ids.update(r["messageId"] for r in event["Records"])
        return handler(event, context)

    pipeline.pump._handler = mark_all_failed_as_crashed
    for _ in range(3):
        pipeline.pump.drain()

    assert _redeliver(api, pipeline, instance).status == 202
    pipeline.pump.drain()
    counts = Counter(_delivered_ids(pipeline))
    assert all(c == 1 for c in counts.values()), counts


def test_a_failed_pause_is_never_made_again(pipeline: Pipeline, monkeypatch) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    instance = pipeline.create_instance()
    _visible_after_crash(pipeline, monkeypatch)
    handler = pipeline.pump._handler

    def mark(event, context):
        pipeline.crashed_ids.update(r["messageId"] for r in event["Records"])
        return handler(event, context)

    pipeline.pump._handler = mark
    original = InstancesStore.pause_push
    failures = {"left": 1}

    def pause_push(self, instance_id, reason, seen_version):
        if failures["left"]:
            failures["left"] -= 1
            pipeline.receiver.default = Scripted(200)  # the receiver is back right after
            raise RuntimeError("throttled (simulated) / Lambda timed out here")
        return original(self, instance_id, reason, seen_version)

    monkeypatch.setattr(InstancesStore, "pause_push", pause_push)
    pipeline.change_and_poll(instance, changes=25)
    pipeline.receiver.default = Scripted(500)
    first = None
    for _ in range(40):
        pipeline.pump.drain()
        first = pipeline.receiver.received[0].notification_id
        item = pipeline.log(instance, first)
        if item and item.get("status") == "FAILED" and item.get("deadLetteredGeneration") is not None:
            break
    pipeline.receiver.default = Scripted(200)
    pipeline.pump.drain()
    shown = api.get(f"/instances/{instance}", auth=pipeline.poll.credentials).body
    assert shown["pushPaused"] is True, "a notification FAILED its last retry and push was never paused"
    assert _delivered_ids(pipeline) == [], "later notifications pushed while an older one is FAILED"


@pytest.mark.parametrize("action", ["disable", "delete"])
def test_a_redelivery_goes_on_after_the_instance_is_disabled_or_deleted(
    pipeline: Pipeline, monkeypatch, action
) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    auth = pipeline.poll.credentials
    instance = pipeline.create_instance()
    _fail_first_notification_for_good(pipeline, instance)
    pipeline.change_and_poll(instance, changes=25)  # more parked ones
    pipeline.pump.drain()
    original = CallbackAttempts.post
    calls = {"n": 0}

    def post(self, inst, notification_id, body):
        result = original(self, inst, notification_id, body)
        calls["n"] += 1
        if calls["n"] == 1:  # the customer disables/deletes the instance right after the first redelivered one
            if action == "disable":
                assert api.delete(f"/instances/{instance}/enabled", auth=auth).status == 200
            else:
                assert api.delete(f"/instances/{instance}", auth=auth).status in (200, 204)
        return result

    monkeypatch.setattr(CallbackAttempts, "post", post)
    assert _redeliver(api, pipeline, instance).status == 202
    pipeline.pump.drain()
    assert len(_delivered_ids(pipeline)) == 1, f"sent {len(_delivered_ids(pipeline)) - 1} more after {action}"


def test_a_redelivery_requested_during_another_lets_a_newer_notification_pass(pipeline: Pipeline, monkeypatch) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    instance = pipeline.create_instance()
    failed_id = _fail_first_notification_for_good(pipeline, instance)
    queued = [e["id"] for e in reversed(_events(api, pipeline, instance, "QUEUED"))]
    pipeline.change_and_poll(instance)  # N, still in the queue
    original = CallbackAttempts.post
    calls = {"n": 0}

    def post(self, inst, notification_id, body):
        result = original(self, inst, notification_id, body)
        calls["n"] += 1
        if calls["n"] == 1:  # while R1 sends the FAILED one, the customer asks for the QUEUED ones too
            assert _redeliver(api, pipeline, instance, {"status": ["QUEUED"]}).status == 202
        return result

    monkeypatch.setattr(CallbackAttempts, "post", post)
    assert _redeliver(api, pipeline, instance, {"status": ["FAILED"]}).status == 202
    pipeline.pump.drain()
    delivered = _delivered_ids(pipeline)
    assert delivered[:3] == [failed_id, *queued], "a newer notification went out before the QUEUED ones R2 selects"


def test_a_redelivery_requested_during_a_last_attempt_is_not_undone_by_the_pause(
    pipeline: Pipeline, monkeypatch
) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    auth = pipeline.poll.credentials
    instance = pipeline.create_instance()
    first_failed = _fail_first_notification_for_good(pipeline, instance)
    assert api.put(f"/instances/{instance}/enabled", auth=auth).status == 200  # push resumed; 2 QUEUED kept
    queued = [e["id"] for e in reversed(_events(api, pipeline, instance, "QUEUED"))]
    original = InstancesStore.pause_push
    state: dict = {"reply": None}

    def pause_push(self, instance_id, reason, seen_version):
        if state["reply"] is None:  # the customer fixes the receiver and redelivers while the last attempt ends
            pipeline.receiver.default = Scripted(200)
            state["reply"] = _redeliver(api, pipeline, instance, {"status": ["QUEUED"]})
        return original(self, instance_id, reason, seen_version)

    monkeypatch.setattr(InstancesStore, "pause_push", pause_push)
    pipeline.change_and_poll(instance, changes=12)  # a new one fails its whole schedule
    pipeline.receiver.default = Scripted(500)
    for _ in range(14):
        pipeline.pump.drain()

    # The redelivery asked for meanwhile stands (push is not paused by the older failure) and sends the queued
    # ones in order, then push goes on; the new failure stays FAILED beside the first, for the retry route or
    # another redelivery
    assert state["reply"].status == 202
    poller = api.get(f"/instances/{instance}/poller", auth=auth).body
    assert poller["pushPaused"] is False and poller["redelivery"] is None
    delivered = _delivered_ids(pipeline)
    assert delivered[:2] == queued and len(delivered) == 3
    assert len(_events(api, pipeline, instance, "FAILED")) == 2 and first_failed
    assert _events(api, pipeline, instance, "QUEUED") == []
