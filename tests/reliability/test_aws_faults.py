"""DynamoDB throttling and SQS failures on the functions' own AWS calls.

A throttle is an HTTP error answer that botocore parses and retries as it would a real one: a single
throttle disappears into the SDK's retries; `SDK_ATTEMPTS` in a row reach the product as a ClientError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.receiver import Scripted
from srevents.adapters import aws as aws_clients
from srevents.domain.backoff import JITTER, MAX_ATTEMPTS, RETRY_DELAYS
from srevents.domain.delivery_status import DELIVERED, FAILED
from tests.reliability.cases import AWS_FAULTS, case_key
from tests.reliability.ledger import Tally
from tests.reliability.world import World

# What "persistent" means to the adapters: botocore makes the first attempt plus `max_attempts` retries.
SDK_ATTEMPTS = aws_clients._CONFIG.retries["max_attempts"] + 1
PAST_THE_LAST_RETRY = timedelta(seconds=(1 + JITTER) * sum(RETRY_DELAYS) + 3600)


def _poller_state(world: World, expression: str) -> Callable[[dict[str, Any]], bool]:
    table = world.resources.refs["PollerStateTable"]
    return lambda body: body.get("TableName") == table and body.get("UpdateExpression") == expression


def _notifications_table(world: World, status: str | None = None) -> Callable[[dict[str, Any]], bool]:
    table = world.resources.refs["NotificationsTable"]

    def match(body: dict[str, Any]) -> bool:
        written = body.get("ExpressionAttributeValues", {}).get(":status", {}).get("S")
        return body.get("TableName") == table and (status is None or written == status)

    return match


def _batch_read(world: World) -> Callable[[dict[str, Any]], bool]:
    table = world.resources.refs["NotificationsTable"]
    return lambda body: table in body.get("RequestItems", {})


def _queue(url: str) -> Callable[[dict[str, Any]], bool]:
    return lambda body: body.get("QueueUrl") == url


ACQUIRE = "SET leaseOwner = :me, leaseExpires = :exp, resources = if_not_exists(resources, :empty)"
PLAN = "SET resources.#r = :s"
COMMIT = "SET resources.#r = :s REMOVE leaseOwner, leaseExpires"


@dataclass
class Case:
    title: str
    fault: str
    crash_like: bool = False  # a side effect happened and its record failed: a re-send of the same id is allowed


CASES = {
    "dynamodb-throttle-transient": Case(
        "DynamoDB throttling every third call, all run long",
        "ProvisionedThroughputExceeded on every 3rd DynamoDB call of every function (absorbed by SDK retries)",
    ),
    "dynamodb-throttle-lease": Case(
        "DynamoDB throttling the poll's lease",
        f"lease UpdateItem throttled {SDK_ATTEMPTS}× in a row: the invocation fails before reading",
    ),
    "dynamodb-throttle-plan": Case(
        "DynamoDB throttling the poll's plan write",
        f"plan UpdateItem throttled {SDK_ATTEMPTS}× in a row: the invocation fails before enqueuing",
    ),
    "dynamodb-throttle-commit": Case(
        "DynamoDB throttling the poll's commit",
        f"commit UpdateItem throttled {SDK_ATTEMPTS}× in a row: everything enqueued, watermark not moved",
    ),
    "dynamodb-throttle-log-read": Case(
        "DynamoDB throttling the delivery log read",
        f"the batch's log BatchGetItem throttled {SDK_ATTEMPTS}× in a row before a delivery (read per message)",
    ),
    "dynamodb-throttle-log-write": Case(
        "DynamoDB throttling the delivery log write after a 2xx",
        f"log UpdateItem (DELIVERED) throttled {SDK_ATTEMPTS}× in a row after the receiver's 2xx",
        crash_like=True,
    ),
    "sqs-throttle-send-transient": Case(
        "SQS throttling every other SendMessageBatch",
        "RequestThrottled on every 2nd SendMessageBatch of the poll (absorbed by SDK retries)",
    ),
    "sqs-throttle-send": Case(
        "SQS throttling the poll's first SendMessageBatch",
        f"SendMessageBatch throttled {SDK_ATTEMPTS}× in a row: the invocation fails after saving its plan",
    ),
    "sqs-send-refused-mid-poll": Case(
        "SQS refusing the 2nd batch of 11 notifications",
        f"the 2nd SendMessageBatch answers 500 on all {SDK_ATTEMPTS} SDK attempts: 10 enqueued, the invocation fails",
    ),
    "sqs-batch-partly-enqueued": Case(
        "SQS enqueuing a batch only in part",
        "the 4th and 7th entries of the poll's first SendMessageBatch fail while the others are enqueued, "
        "then the first entry of the re-send fails too: early copies sit in the queue ahead of the re-sends",
    ),
    "sqs-visibility-failure": Case(
        "SQS failing the retry delay (ChangeMessageVisibility)",
        f"receiver 503 once, then ChangeMessageVisibility throttled {SDK_ATTEMPTS}× in a row",
    ),
    "sqs-dead-letter-failure": Case(
        "SQS failing the move to the dead-letter queue",
        f"receiver down past the last retry; the dead-letter SendMessageBatch throttled {SDK_ATTEMPTS}× in a row",
    ),
}
assert set(CASES) == set(AWS_FAULTS)


def _arm(world: World, name: str) -> None:
    faults = world.faults
    if name == "dynamodb-throttle-transient":
        faults.throttle("dynamodb.*", times=10_000, every=3)
    elif name == "dynamodb-throttle-lease":
        faults.throttle("dynamodb.UpdateItem", SDK_ATTEMPTS, when=_poller_state(world, ACQUIRE))
    elif name == "dynamodb-throttle-plan":
        faults.throttle("dynamodb.UpdateItem", SDK_ATTEMPTS, when=_poller_state(world, PLAN))
    elif name == "dynamodb-throttle-commit":
        faults.throttle("dynamodb.UpdateItem", SDK_ATTEMPTS, when=_poller_state(world, COMMIT))
    elif name == "dynamodb-throttle-log-read":
        faults.throttle("dynamodb.BatchGetItem", SDK_ATTEMPTS, when=_batch_read(world))
    elif name == "dynamodb-throttle-log-write":
        faults.throttle("dynamodb.UpdateItem", SDK_ATTEMPTS, when=_notifications_table(world, DELIVERED))
    elif name == "sqs-throttle-send-transient":
        faults.throttle("sqs.SendMessageBatch", times=10_000, every=2, when=_queue(world.queue_url))
    elif name == "sqs-throttle-send":
        faults.throttle("sqs.SendMessageBatch", SDK_ATTEMPTS, when=_queue(world.queue_url))
    elif name == "sqs-send-refused-mid-poll":
        faults.fail("sqs.SendMessageBatch", "InternalError", 500, SDK_ATTEMPTS, skip=1, when=_queue(world.queue_url))
    elif name == "sqs-batch-partly-enqueued":
        faults.refuse_entries({3, 6}, times=1, when=_queue(world.queue_url))
        faults.refuse_entries({0}, times=2, when=_queue(world.queue_url))
    elif name == "sqs-visibility-failure":
        world.receiver.script(Scripted(503))
        faults.throttle("sqs.ChangeMessageVisibility", SDK_ATTEMPTS)
    elif name == "sqs-dead-letter-failure":
        dead_letters = world.resources.refs["NotificationDeadLetterQueue"]
        faults.throttle("sqs.SendMessageBatch", SDK_ATTEMPTS, when=_queue(dead_letters))


@pytest.mark.parametrize("name", AWS_FAULTS)
def test_aws_faults_lose_and_duplicate_nothing(world: World, report: Callable[..., None], name: str) -> None:
    case = CASES[name]
    # Given an instance and 25 changes waiting (three notifications), or 105 (eleven)
    instance = world.create_instance()
    world.clock.advance(61)
    world.change(creates=105 if name in ("sqs-send-refused-mid-poll", "sqs-batch-partly-enqueued") else 25, gap=0.2)
    if name == "sqs-dead-letter-failure":
        world.down_until(world.clock.now() + PAST_THE_LAST_RETRY, instance_id=instance)

    # When the fault hits the run: a scheduled poll, the deliveries, more changes and quiet schedules after
    _arm(world, name)
    [first] = world.tick()
    world.deliver()
    world.settle(polls=1)  # the next schedule (a failed poll is retried by the next one)
    world.change(creates=5, updates=world.candidate_ids()[:5])
    world.settle()

    # Then the fault happened as intended, and every change arrived once and in order
    assert world.faults.injected >= 1
    _check_case(world, name, instance, first)
    tally = world.tally(crashed=case.crash_like)
    report(
        section="aws",
        key=case_key("aws", name),
        case=case.title,
        fault=case.fault,
        notes=_notes(world, name, first),
        **tally.as_row(),
    )
    _assert_clean(tally, resends_allowed=1 if case.crash_like else 0)


def _check_case(world: World, name: str, instance: int, first: Any) -> None:
    if name in ("dynamodb-throttle-lease", "dynamodb-throttle-plan", "dynamodb-throttle-commit", "sqs-throttle-send"):
        assert isinstance(first.error, ClientError), first
        assert first.error.response["Error"]["Code"] in ("ProvisionedThroughputExceededException", "RequestThrottled")
    if name == "sqs-send-refused-mid-poll":
        assert isinstance(first.error, ClientError), first
        assert first.error.response["Error"]["Code"] == "InternalError"
    if name == "dynamodb-throttle-log-write":
        ids = [r.notification_id for r in world.receiver.delivered()]
        assert len(ids) - len(set(ids)) == 1  # the 2xx whose log write failed was sent again, same id
    if name == "sqs-dead-letter-failure":
        listed = world.api.get(f"/instances/{instance}/events", auth=world.credentials, query="status=FAILED").body
        [failed] = listed
        # the last attempt's move to the dead-letter queue failed; the message came back and only the move was
        # made again (no twelfth attempt)
        assert failed["attemptCount"] == MAX_ATTEMPTS
        world.ledger.manual_ids.add(failed["id"])
        world.clock.advance(PAST_THE_LAST_RETRY.total_seconds())  # the receiver is back
        retried = world.api.post(f"/instances/{instance}/events/{failed['id']}/retry", auth=world.credentials)
        assert retried.status == 200 and retried.body["status"] == DELIVERED
        # push paused after the last retry: the notifications behind it were QUEUED; a redelivery resumes push
        resumed = world.api.post(
            f"/instances/{instance}/events/redeliver", auth=world.credentials, json_body={"status": ["QUEUED"]}
        )
        assert resumed.status == 202, resumed.text
        world.settle()
        assert (
            world.api.get(f"/instances/{instance}/events/{failed['id']}", auth=world.credentials).body["status"]
            != FAILED
        )


def _notes(world: World, name: str, first: Any) -> str:
    parts = [f"{world.faults.injected} fault(s) injected"]
    if first.error is not None:
        parts.append("first poll invocation failed (" + type(first.error).__name__ + ")")
    if name == "dynamodb-throttle-log-write":
        parts.append("the notification whose log write failed was re-sent once with the same id")
    if name == "sqs-dead-letter-failure":
        parts.append(
            "FAILED, moved on the next receive (no twelfth attempt); push paused, the later notifications QUEUED; "
            "the failed one re-sent by the retry route, the queued ones by a redelivery, in order"
        )
    return "; ".join(parts)


def _assert_clean(tally: Tally, resends_allowed: int) -> None:
    assert tally.lost == 0, tally.missing[:5]
    assert tally.duplicates == 0
    assert tally.resends <= resends_allowed
    assert tally.order_violations == 0
    assert tally.phantoms == 0 and tally.bad_signatures == 0
