"""The poll function dying at each step of a poll, and the deliver function dying between the receiver's 2xx
and the delivery log. A dead invocation keeps its lease until it expires and leaves its messages in flight;
the next invocation is a cold start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.reliability.cases import POLL_CRASHES, case_key
from tests.reliability.faults import PageFault
from tests.reliability.world import World

CREATES = 150  # two pages, fifteen notifications

STEPS = {
    "mid-page": "while reading page 2 of 2",
    "after-plan": "after the plan was saved, before any notification was enqueued",
    "after-some-enqueued": "after 10 of its 15 notifications were enqueued",
    "after-all-enqueued": "after every notification was enqueued, before the watermark moved",
}
# (where the process died, notifications that had reached the queue)
DIED = {
    "mid-page": ("reading page 2", 0),
    "after-plan": ("before sqs.SendMessageBatch", 0),
    "after-some-enqueued": ("after 10 notifications were enqueued", 10),
    "after-all-enqueued": ("before dynamodb.UpdateItem", 15),
}


def _arm(world: World, step: str) -> None:
    if step == "mid-page":
        world.sr_session.faults = [PageFault(2, "kill", 1)]
    elif step == "after-plan":
        world.crash.arm("sqs.SendMessageBatch")
    elif step == "after-some-enqueued":
        world.faults.after_call.append(_kill_after_send(world, 10))
    elif step == "after-all-enqueued":
        world.faults.after_call.append(_kill_after_send(world, 15, then_at="dynamodb.UpdateItem"))


def _kill_after_send(world: World, nth: int, then_at: str | None = None) -> Callable[[str, dict[str, Any]], None]:
    """Die once the `nth` notification is in the queue, or (`then_at`) at the next such AWS call after it."""
    sent = []

    def hook(operation: str, parsed: dict[str, Any]) -> None:
        if operation != "sqs.SendMessageBatch" or world.crash.dead:
            return
        sent.extend(parsed.get("Successful", []))
        if len(sent) < nth:
            return
        world.faults.after_call.remove(hook)
        if then_at is None:
            world.crash.kill(f"after {nth} notifications were enqueued")
        world.crash.arm(then_at)  # the commit: the next write of the poller state

    return hook


@pytest.mark.parametrize("step", POLL_CRASHES)
def test_poll_crash_at_each_step_loses_and_duplicates_nothing(
    world: World, report: Callable[..., None], step: str
) -> None:
    # Given 150 new candidates (fifteen notifications over two pages)
    instance = world.create_instance()
    world.clock.advance(61)
    world.change(creates=CREATES, gap=0.2)

    # When the poll function dies at this step, and the deliverer sends whatever reached the queue
    _arm(world, step)
    [crashed] = world.tick()
    world.deliver()
    delivered_before_retry = len(world.receiver.delivered())

    # Then the invocation died there, leaving its lease held
    assert crashed.killed, crashed
    where, enqueued = DIED[step]
    assert world.crash.kills == [where]
    assert delivered_before_retry == enqueued
    status = world.api.get(f"/instances/{instance}/poller", auth=world.credentials).body
    assert status["pollInProgress"] is True

    # When the schedule fires again (the lease has expired), with new changes meanwhile
    world.change(creates=5)
    [retried] = world.tick()
    world.deliver()
    world.change(updates=world.candidate_ids()[:10])
    world.settle()

    # Then everything arrived once, in order, and the retry re-sent the dead poll's plan under its ids
    assert retried.result is not None and retried.result["status"] == "polled", retried
    tally = world.tally()
    report(
        section="poll-crash",
        key=case_key("poll-crash", step),
        case=f"Poll function killed {STEPS[step]}",
        fault="process killed (no handler code or AWS call runs after it); lease left to expire",
        notes=f"{delivered_before_retry} notification(s) delivered before the next poll; next poll: "
        f"{retried.result['resources'][0]['notifications']} notification(s) enqueued (plan re-sent under its ids)",
        **tally.as_row(),
    )
    assert (tally.lost, tally.duplicates, tally.resends, tally.order_violations) == (0, 0, 0, 0), tally.missing[:5]
    assert tally.phantoms == 0 and tally.bad_signatures == 0


def test_deliver_crash_after_2xx_before_the_log_resends_the_same_id_only(
    world: World, report: Callable[..., None]
) -> None:
    # Given four notifications for one instance, received by the deliverer in one batch
    instance = world.create_instance()
    world.clock.advance(61)
    world.change(creates=35)
    world.tick()
    table = world.resources.refs["NotificationsTable"]
    delivered_writes = []

    def second_delivered_write(body: dict[str, Any]) -> bool:
        status = body.get("ExpressionAttributeValues", {}).get(":status", {}).get("S")
        if body.get("TableName") == table and status == "DELIVERED":
            delivered_writes.append(body)
        return len(delivered_writes) == 2

    # When the function dies after the receiver answered 2xx to the second, before its log entry is written
    world.crash.arm("dynamodb.UpdateItem", second_delivered_write)
    world.deliver()

    # Then the batch came back after the visibility timeout: only that notification was sent again, same id
    assert world.deliver_crashes == 1
    ids = [r.notification_id for r in world.receiver.delivered()]
    assert len(ids) == 5 and len(set(ids)) == 4
    assert ids[1] == ids[2]  # the re-send follows the original, before the later ones
    world.change(creates=3)
    world.settle()
    tally = world.tally(crashed=True)
    report(
        section="deliver-crash",
        key=case_key("deliver-crash", "after-2xx-before-log"),
        case="Deliver function killed after the receiver's 2xx, before the delivery log was written",
        fault="process killed at the log write of the 2nd notification of a batch of 4",
        notes="batch back after the queue's visibility timeout; the 1st not re-sent (logged), the 2nd re-sent "
        "with the same id",
        instance=instance,
        **tally.as_row(),
    )
    assert tally.resends == 1
    assert (tally.lost, tally.duplicates, tally.order_violations) == (0, 0, 0), tally.missing[:5]
    assert tally.phantoms == 0 and tally.bad_signatures == 0
