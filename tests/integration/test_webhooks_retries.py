"""Real time: a callback whose asynchronous invocations all failed is not lost (docs/DESIGN.md, "Real time"):
Lambda's `OnFailure` destination puts it on the webhook retry queue, read by the poll function again."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from devstack import stack
from devstack.stack import PollRunner, failure_destination_record
from srevents.services.webhook_retries import retry_failed_callbacks
from srevents.services.webhook_worker import Callback, LeaseBusy
from tests.support.webhook_harness import WebhookHarness

FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:srevents-poll"


def _message(message_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """One SQS record of the retry queue, as its event source hands it to the poll function."""
    return {"messageId": message_id, "body": json.dumps(failure_destination_record(event, FUNCTION_ARN))}


def test_a_deletion_whose_invocations_all_failed_is_sent_from_the_retry_queue(webhooks: WebhookHarness) -> None:
    h = webhooks
    instance_id = h.create_instance()
    h.poll.clock.advance(5)
    x = h.store.create_candidate(firstName="X")
    assert h.settle() == ["sent"]
    h.poll.drain()
    h.poll.clock.advance(5)
    h.store.delete_candidate(x["id"])
    assert h.store.webhooks.wait_idle(10.0)
    [(handed_to, callback)] = h.trigger.take()

    # Given a poll holding the instance's lease through the worker's wait and Lambda's two retries
    store = h.worker._state
    now_ms = int(h.poll.clock.now().timestamp() * 1000)
    assert store.acquire(instance_id, "a-poll", now_ms, now_ms + 600_000) is not None
    for _ in range(3):
        with pytest.raises(LeaseBusy):
            h.worker.handle(handed_to, Callback.from_event(callback))
    event = {"instanceId": handed_to, "webhook": callback}

    # When the retry queue hands it back while the poll still runs, it goes back to the queue
    assert retry_failed_callbacks([_message("m1", event)], h.worker.handle) == ["m1"]
    # and once the poll is done, it is sent
    store.release(instance_id, "a-poll")
    assert retry_failed_callbacks([_message("m1", event)], h.worker.handle) == []
    assert [(e["eventType"], e["objectId"]) for e in h.poll.events(h.poll.drain())] == [("DELETED", x["id"])]
    # and a repeat of the message is a repeated callback: nothing more is sent
    assert retry_failed_callbacks([_message("m1", event)], h.worker.handle) == []
    assert h.poll.drain() == []


def test_the_retry_queue_drops_failed_polls_and_unreadable_records() -> None:
    handled: list[int] = []

    def handle(instance_id: int, callback: Callback) -> str:
        handled.append(instance_id)
        return "sent"

    records = [
        _message("poll", {"instanceId": 7}),  # a scheduled poll that failed: its next firing polls again
        {"messageId": "junk", "body": "not json"},
        _message("hook", {"instanceId": 8, "webhook": {"eventId": "e", "eventName": "candidate.updated"}}),
    ]
    assert retry_failed_callbacks(records, handle) == []
    assert handled == [8]


def test_the_local_stack_hands_an_exhausted_callback_to_the_failure_destination(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a poll function that fails every invocation, and no retries left
    monkeypatch.setattr(stack, "ASYNC_RETRIES", 0)
    failed = threading.Event()
    given: list[dict[str, Any]] = []

    def on_failure(event: dict[str, Any]) -> None:
        given.append(event)
        failed.set()

    def handler(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("lease busy")

    runner = PollRunner([handler], on_failure=on_failure)
    runner.start()
    try:
        # When a callback's invocation fails
        runner.submit({"instanceId": 3, "webhook": {"eventId": "e1"}})
        # Then it goes to the destination as it was invoked
        assert failed.wait(10.0)
    finally:
        runner.stop()
    assert given == [{"instanceId": 3, "webhook": {"eventId": "e1"}}]


def test_a_worker_waiting_for_a_busy_lease_backs_off(webhooks: WebhookHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = webhooks
    instance_id = h.create_instance()
    h.poll.clock.advance(5)
    h.store.create_candidate(firstName="Ada")
    assert h.store.webhooks.wait_idle(10.0)
    [(handed_to, callback)] = h.trigger.take()
    store = h.worker._state
    now_ms = int(h.poll.clock.now().timestamp() * 1000)
    assert store.acquire(instance_id, "a-poll", now_ms, now_ms + 600_000) is not None
    # Given every try for the lease counted
    tries: list[int] = []
    real_acquire = type(store).acquire

    def acquire(self: Any, *args: Any) -> Any:
        tries.append(1)
        return real_acquire(self, *args)

    monkeypatch.setattr(type(store), "acquire", acquire)

    # When the worker waits its 30 s for a poll that keeps the lease
    with pytest.raises(LeaseBusy):
        h.worker.handle(handed_to, Callback.from_event(callback))

    # Then it tried a few dozen times at most, not every 0.1 s (300 conditional writes)
    assert 5 < len(tries) <= 30


def test_a_worker_stops_retrying_a_fetch_that_would_outlast_its_lease(webhooks: WebhookHarness) -> None:
    from srevents.adapters.smartrecruiters import SmartRecruitersOutOfTime

    h = webhooks
    instance_id = h.create_instance()
    h.poll.clock.advance(5)
    x = h.store.create_candidate(firstName="Ada")
    assert h.store.webhooks.wait_idle(10.0)
    [(handed_to, callback)] = h.trigger.take()

    # Given SmartRecruiters asking again and again to come back later for the record (a minute each time, as
    # the client caps it): the retries would outlast the worker's 120 s lease
    h.store.faults.fail_next(3, status=429, path_prefix=f"/candidates/{x['id']}", retry_after="150")

    # Then the worker stops while it can still commit (Lambda retries it), instead of writing after its lease
    with pytest.raises(SmartRecruitersOutOfTime):
        h.worker.handle(handed_to, Callback.from_event(callback))
    assert h.poll.state(instance_id)["candidates"].webhook_failures == 1
    assert h.worker.handle(handed_to, Callback.from_event(callback)) == "sent"
