"""The callback receiver down: for a simulated day (every retry step fails, then it is back), and past the
last retry (dead-letter queue, FAILED, then the retry route)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from srevents.domain.backoff import JITTER, MAX_ATTEMPTS, RETRY_DELAYS
from srevents.domain.delivery_status import DELIVERED, FAILED
from tests.reliability.cases import case_key
from tests.reliability.world import World

# Attempts 1–10 happen within 1.2 × (the first nine delays) of the first try, attempt 11 no earlier than
# 0.8 × (all ten delays): an outage of this length fails every retry step but the last, whatever the jitter.
EVERY_STEP_BUT_THE_LAST = timedelta(seconds=(1 - JITTER) * sum(RETRY_DELAYS) - 300)
PAST_THE_LAST_RETRY = timedelta(seconds=(1 + JITTER) * sum(RETRY_DELAYS) + 1800)


def test_receiver_down_for_a_day_every_retry_step_then_back(world: World, report: Callable[..., None]) -> None:
    # Given two instances with three notifications each; the first one's receiver is down
    down = world.create_instance(name="down")
    healthy = world.create_instance(name="healthy")
    world.clock.advance(61)
    world.change(creates=25)
    world.tick()
    outage_ends = world.clock.now() + EVERY_STEP_BUT_THE_LAST
    world.down_until(outage_ends, instance_id=down)

    # When the deliverer works through the outage
    world.deliver()

    # Then the first notification was tried at every step of the schedule and delivered at the last
    received = [r for r in world.receiver.received if r.json["message"]["instanceId"] == down]
    first_id = received[0].notification_id
    assert [r.status for r in received[:MAX_ATTEMPTS]] == [503] * (MAX_ATTEMPTS - 1) + [200]
    assert {r.notification_id for r in received[:MAX_ATTEMPTS]} == {first_id}  # the later ones held back
    assert world.clock.now() >= outage_ends
    delays = world.requested_delays
    assert len(delays) == len(RETRY_DELAYS)
    for delay, base in zip(delays, RETRY_DELAYS, strict=True):
        assert (1 - JITTER) * base - 1 <= delay <= (1 + JITTER) * base + 1
    shown = world.api.get(f"/instances/{down}/events/{first_id}", auth=world.credentials)
    assert shown.status == 200 and shown.body["status"] == DELIVERED
    assert [a["statusCode"] for a in shown.body["attempts"]] == [503] * (MAX_ATTEMPTS - 1) + [200]
    # and the healthy instance was not held back by the other's outage
    arrivals = [(r.json["message"]["instanceId"], r.status) for r in world.receiver.received]
    healthy_delivered = [i for i, arrival in enumerate(arrivals) if arrival == (healthy, 200)]
    assert len(healthy_delivered) == 3 and max(healthy_delivered) < arrivals.index((down, 200))

    world.change(creates=5, updates=world.candidate_ids()[:5])
    world.settle()
    tally = world.tally()
    report(
        section="receiver",
        key=case_key("receiver", "outage-one-day"),
        case="Receiver down for a simulated day (every retry step), then back",
        fault=f"503 for {EVERY_STEP_BUT_THE_LAST.total_seconds() / 3600:.1f} h of simulated time, one of two instances",
        notes=f"first notification: {MAX_ATTEMPTS} attempts, delivered at the last; the other instance not held back",
        **tally.as_row(),
    )
    assert (tally.lost, tally.duplicates, tally.resends, tally.order_violations) == (0, 0, 0, 0), tally.missing[:5]
    assert tally.phantoms == 0 and tally.bad_signatures == 0


def test_receiver_down_past_the_last_retry_pauses_push_then_retry_and_redelivery_deliver(
    world: World, report: Callable[..., None]
) -> None:
    # Given an instance with two notifications, and its receiver down for longer than the whole schedule
    instance = world.create_instance()
    world.clock.advance(61)
    world.change(creates=15)  # 10 + 5 events
    world.tick()
    back = world.clock.now() + PAST_THE_LAST_RETRY
    world.down_until(back, instance_id=instance)

    # When the deliverer works through the outage
    world.deliver()

    # Then the first notification failed for good: FAILED, in the dead-letter queue, every attempt logged
    listed = world.api.get(f"/instances/{instance}/events", auth=world.credentials, query="status=FAILED")
    assert listed.status == 200
    [failed] = listed.body
    assert failed["attemptCount"] == MAX_ATTEMPTS
    dead = world.sqs.receive_message(
        QueueUrl=world.resources.refs["NotificationDeadLetterQueue"], MessageAttributeNames=["All"]
    )["Messages"]
    assert [m["MessageAttributes"]["notificationId"]["StringValue"] for m in dead] == [failed["id"]]
    # and push paused: the one behind it is QUEUED, never attempted (the platform's failure policy)
    assert world.api.get(f"/instances/{instance}", auth=world.credentials).body["pushPaused"] is True
    [queued] = world.api.get(f"/instances/{instance}/events", auth=world.credentials, query="status=QUEUED").body
    assert queued["attemptCount"] == 0 and world.receiver.delivered() == []

    # When the receiver is back and the operator re-sends it with the retry route
    world.clock.advance(max(0.0, (back - world.clock.now()).total_seconds()) + 1)
    world.ledger.manual_ids.add(failed["id"])
    retried = world.api.post(f"/instances/{instance}/events/{failed['id']}/retry", auth=world.credentials)

    # Then it is delivered (same id), and the log shows the manual attempt after the eleven
    assert retried.status == 200 and retried.body["status"] == DELIVERED
    shown = world.api.get(f"/instances/{instance}/events/{failed['id']}", auth=world.credentials).body
    assert shown["status"] == DELIVERED
    assert [a["trigger"] for a in shown["attempts"]] == ["queue"] * MAX_ATTEMPTS + ["manual"]
    assert [a["outcome"] for a in shown["attempts"]][-2:] == ["failed", "delivered"]
    assert shown["body"]["id"] == failed["id"]

    # When the queued one is redelivered (push resumes), and more changes follow
    resumed = world.api.post(
        f"/instances/{instance}/events/redeliver", auth=world.credentials, json_body={"status": ["QUEUED"]}
    )
    assert resumed.status == 202, resumed.text
    world.deliver()
    assert [r.notification_id for r in world.receiver.delivered()] == [failed["id"], queued["id"]]
    world.change(creates=3)
    world.settle()
    tally = world.tally()
    assert FAILED not in {
        e["status"] for e in world.api.get(f"/instances/{instance}/events", auth=world.credentials).body
    }
    report(
        section="receiver",
        key=case_key("receiver", "outage-past-last-retry"),
        case="Receiver down past the last retry, then the retry route and a redelivery",
        fault=f"503 for {PAST_THE_LAST_RETRY.total_seconds() / 3600:.1f} h of simulated time",
        notes=(
            f"first notification: {MAX_ATTEMPTS} attempts, FAILED, dead-letter queue; push paused, the next one "
            "QUEUED; the failed one re-sent by the retry route (same id, outside the ordered stream), the queued "
            "one by a redelivery, then push as before"
        ),
        **tally.as_row(),
    )
    assert (tally.lost, tally.duplicates, tally.resends, tally.order_violations) == (0, 0, 0, 0), tally.missing[:5]
    assert tally.phantoms == 0 and tally.bad_signatures == 0
