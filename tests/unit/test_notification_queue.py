"""The notification queue adapter: batches of ten, order kept when SQS fails some entries of a batch."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from srevents.adapters.notification_queue import (
    MAX_CALL_BYTES,
    PREVIOUS_IN_BATCH,
    RESEND_ATTEMPTS,
    EnqueueError,
    NotificationQueue,
    QueueMessage,
)


class FakeSqs:
    """Records each SendMessageBatch; `fail` maps a call number (0-based) to the entry ids it refuses."""

    def __init__(
        self, fail: dict[int, set[str]] | None = None, sender_fault: bool = False, sdk_retried: set[int] | None = None
    ) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.fail = fail or {}
        self.sender_fault = sender_fault
        self.sdk_retried = sdk_retried or set()  # calls the SDK answers after retrying them
        self.queue: list[dict[str, Any]] = []  # what SQS would hold, in order

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        refused = self.fail.get(len(self.calls), set()) & {e["Id"] for e in Entries}
        retried = len(self.calls) in self.sdk_retried
        self.calls.append(Entries)
        self.queue.extend(e for e in Entries if e["Id"] not in refused)
        return {
            "ResponseMetadata": {"RetryAttempts": 1 if retried else 0},
            "Successful": [{"Id": e["Id"]} for e in Entries if e["Id"] not in refused],
            "Failed": [
                {"Id": i, "Code": "InternalError", "Message": "injected", "SenderFault": self.sender_fault}
                for i in sorted(refused)
            ],
        }


def _messages(count: int, body: str = "{}") -> list[QueueMessage]:
    return [QueueMessage(body, "7", f"n{i}:0", {"instanceId": "7", "notificationId": f"n{i}"}) for i in range(count)]


def _queue(sqs: FakeSqs) -> NotificationQueue:
    tokens = (f"t{n}" for n in itertools.count())
    return NotificationQueue(sqs, "url", sleep=lambda _: None, token=lambda: next(tokens))


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [e["MessageAttributes"]["notificationId"]["StringValue"] for e in entries]


def _previous(entry: dict[str, Any]) -> str | None:
    attribute = entry["MessageAttributes"].get(PREVIOUS_IN_BATCH)
    return attribute["StringValue"] if attribute else None


def test_sends_ten_per_call_and_links_each_entry_to_the_one_before_it() -> None:
    sqs = FakeSqs()
    _queue(sqs).send(_messages(25))

    assert [len(c) for c in sqs.calls] == [10, 10, 5]
    assert [_ids(c) for c in sqs.calls][1] == [f"n{i}" for i in range(10, 20)]
    for call in sqs.calls:
        assert _previous(call[0]) is None  # a call starts after everything before it is in the queue
        assert [_previous(e) for e in call[1:]] == _ids(call)[:-1]
    tokens = {e["MessageDeduplicationId"].rsplit(":", 1)[1] for c in sqs.calls for e in c}
    assert len(tokens) == 3  # one token per call, appended to the stable prefix
    assert sqs.calls[0][0]["MessageDeduplicationId"] == "n0:0:t0"


def test_a_failed_entry_is_sent_again_with_everything_after_it_under_new_deduplication_ids() -> None:
    sqs = FakeSqs(fail={0: {"3"}})
    _queue(sqs).send(_messages(10))

    first, resend = sqs.calls
    assert _ids(resend) == [f"n{i}" for i in range(3, 10)]
    assert _previous(resend[0]) is None and _previous(resend[1]) == "n3"
    assert {e["MessageDeduplicationId"] for e in resend}.isdisjoint({e["MessageDeduplicationId"] for e in first})
    # What the queue holds: n0–n2, the early copies n4–n9 (each naming a predecessor that is not there
    # before it, or is itself an early copy), then n3–n9 again in order.
    assert _ids(sqs.queue) == ["n0", "n1", "n2", *[f"n{i}" for i in range(4, 10)], *[f"n{i}" for i in range(3, 10)]]


def test_several_failed_entries_resend_from_the_first_of_them() -> None:
    sqs = FakeSqs(fail={0: {"6", "2"}, 1: {"0"}})
    _queue(sqs).send(_messages(8))

    assert [_ids(c) for c in sqs.calls] == [
        [f"n{i}" for i in range(8)],
        [f"n{i}" for i in range(2, 8)],
        [f"n{i}" for i in range(2, 8)],
    ]


def test_a_batch_that_keeps_failing_raises_after_the_last_attempt() -> None:
    sqs = FakeSqs(fail={0: {"4"}, **{n: {"0"} for n in range(1, RESEND_ATTEMPTS)}})
    with pytest.raises(EnqueueError, match="6 message"):
        _queue(sqs).send(_messages(10))
    assert len(sqs.calls) == RESEND_ATTEMPTS


def test_a_refused_message_is_not_sent_again() -> None:
    sqs = FakeSqs(fail={0: {"1"}}, sender_fault=True)
    with pytest.raises(EnqueueError, match="InternalError"):
        _queue(sqs).send(_messages(3))
    assert len(sqs.calls) == 1


def test_large_bodies_split_calls_under_the_size_limit() -> None:
    body = "x" * (MAX_CALL_BYTES // 3)
    sqs = FakeSqs()
    _queue(sqs).send(_messages(5, body))

    assert [len(c) for c in sqs.calls] == [2, 2, 1]
    for call in sqs.calls:
        assert sum(len(e["MessageBody"]) for e in call) < MAX_CALL_BYTES


def test_a_call_the_sdk_had_to_retry_is_sent_again_whole_under_a_new_token() -> None:
    # An earlier attempt may have been applied in part, the retry (same deduplication ids) filling the gaps
    # behind later entries while answering that every entry is in: the queue's order is unknown.
    sqs = FakeSqs(sdk_retried={0})
    _queue(sqs).send(_messages(4))

    first, again = sqs.calls
    assert _ids(again) == _ids(first) and _previous(again[0]) is None
    assert {e["MessageDeduplicationId"] for e in again}.isdisjoint({e["MessageDeduplicationId"] for e in first})


def test_the_unordered_queue_keeps_deduplication_ids_and_names_no_predecessor() -> None:
    sqs = FakeSqs(sdk_retried={0})
    NotificationQueue(sqs, "url", ordered=False).send(_messages(3))

    [call] = sqs.calls
    assert [e["MessageDeduplicationId"] for e in call] == ["n0:0", "n1:0", "n2:0"]
    assert all(_previous(e) is None for e in call)


def test_an_ordered_message_without_a_notification_id_is_refused() -> None:
    message = QueueMessage("{}", "7", "d:0", {"instanceId": "7"})
    with pytest.raises(ValueError, match="notificationId"):
        _queue(FakeSqs()).send([message, _messages(1)[0]])
