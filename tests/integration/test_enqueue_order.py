"""Order and completeness when SQS enqueues a batch only in part (poll → queue → deliver → receiver).

SQS answers each entry of a SendMessageBatch on its own; entries after a failed one may be in the queue.
These tests make the real queue do exactly that and check the receiver still gets every notification
once, in order.
"""

from __future__ import annotations

from typing import Any

import pytest

from srevents.adapters.notification_queue import RESEND_ATTEMPTS, EnqueueError
from tests.support.pipeline import Pipeline


class PartlyFailingSqs:
    """The poller's SQS client, refusing chosen entries of chosen SendMessageBatch calls (the others are sent)."""

    def __init__(self, real: Any, refuse: dict[int, set[int]], lost_answer: set[int] | None = None) -> None:
        self._real = real
        self._refuse = refuse  # call number (0-based) -> entry positions to refuse
        self._lost_answer = lost_answer or set()  # calls whose first answer is lost and that the SDK retries
        self.calls = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        refused = {i for i in self._refuse.get(self.calls, set()) if i < len(Entries)}
        if self.calls in self._lost_answer:
            return self._applied_in_part_then_retried(QueueUrl, Entries, refused)
        self.calls += 1
        accepted = [e for i, e in enumerate(Entries) if i not in refused]
        response: dict[str, Any] = {"Successful": [], "Failed": []}
        if accepted:
            response = self._real.send_message_batch(QueueUrl=QueueUrl, Entries=accepted)
        response.setdefault("Failed", [])
        response["Failed"] += [
            {"Id": Entries[i]["Id"], "Code": "InternalError", "Message": "injected", "SenderFault": False}
            for i in sorted(refused)
        ]
        return response

    def _applied_in_part_then_retried(self, url: str, entries: list[dict[str, Any]], refused: set[int]) -> Any:
        """The first attempt enqueues all but `refused` and its answer is lost; the SDK sends the same request
        again: SQS drops what it has (same deduplication ids), enqueues the rest, and answers all successful."""
        self.calls += 1
        self._real.send_message_batch(QueueUrl=url, Entries=[e for i, e in enumerate(entries) if i not in refused])
        response = self._real.send_message_batch(QueueUrl=url, Entries=entries)
        response["ResponseMetadata"]["RetryAttempts"] = 1
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _fail_enqueue(
    pipeline: Pipeline, refuse: dict[int, set[int]], lost_answer: set[int] | None = None
) -> PartlyFailingSqs:
    queue = pipeline.poll.poller._queue
    fake = PartlyFailingSqs(queue._client, refuse, lost_answer)
    queue._client = fake
    queue._sleep = lambda _: None
    return fake


def _delivered_events(pipeline: Pipeline) -> list[str]:
    return [e["objectId"] for r in pipeline.receiver.delivered() for e in r.json["message"]["events"]]


def _delivered_ids(pipeline: Pipeline) -> list[str]:
    return [r.json["id"] for r in pipeline.receiver.delivered()]


def test_entries_after_a_failed_one_are_delivered_once_and_in_order(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    # 95 changes: ten notifications, one SendMessageBatch; the 4th and 7th entries refused the first time
    fake = _fail_enqueue(pipeline, {0: {3, 6}})
    created = pipeline.change_and_poll(instance, changes=95)

    handled = pipeline.pump.drain()

    assert fake.calls == 2
    assert handled == 10 + 7 - 2  # the early copies reached the deliverer and were dropped
    ids = _delivered_ids(pipeline)
    assert len(ids) == 10 and len(set(ids)) == 10
    assert ids == sorted(ids)  # ids start with the newest event's time: production order
    assert _delivered_events(pipeline) == [c["id"] for c in created]


def test_a_poll_that_gives_up_enqueuing_is_completed_in_order_by_the_next_poll(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    # The 3rd entry of the first call, then the first entry of every re-send, refused: the poll fails
    refuse = {0: {2}, **{n: {0} for n in range(1, RESEND_ATTEMPTS)}}
    fake = _fail_enqueue(pipeline, refuse)
    with pytest.raises(EnqueueError):
        pipeline.change_and_poll(instance, changes=30)
    assert fake.calls == RESEND_ATTEMPTS
    pipeline.pump.drain()
    assert len(pipeline.receiver.delivered()) == 2  # the two before the refused one; early copies dropped

    pipeline.poll.clock.advance(60)
    pipeline.poll.poll(instance)  # the plan is re-sent whole, under new deduplication ids
    pipeline.pump.drain()

    ids = _delivered_ids(pipeline)
    assert len(ids) == 3 and ids == sorted(ids) and len(set(ids)) == 3
    assert len(_delivered_events(pipeline)) == 30 == len(set(_delivered_events(pipeline)))


def test_a_batch_applied_in_part_whose_answer_was_lost_is_delivered_in_order(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    # The 4th entry of the first call fails, its answer is lost, and the SDK's retry puts it behind the rest
    fake = _fail_enqueue(pipeline, {0: {3}}, lost_answer={0})
    created = pipeline.change_and_poll(instance, changes=95)

    pipeline.pump.drain()

    assert fake.calls == 2  # the retried call was sent again whole
    ids = _delivered_ids(pipeline)
    assert len(ids) == 10 and len(set(ids)) == 10 and ids == sorted(ids)
    assert _delivered_events(pipeline) == [c["id"] for c in created]
