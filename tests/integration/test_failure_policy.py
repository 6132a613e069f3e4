"""The platform's failure policy: after a last retry push pauses and later notifications are QUEUED; a
redelivery sends them in their original order and resumes push; the organization's `queue` policy never pushes."""

from __future__ import annotations

import boto3

from devstack.receiver import Scripted
from srevents.adapters.accounts_store import AccountsStore
from srevents.domain.backoff import MAX_ATTEMPTS
from tests.support.api_client import ApiClient, Reply
from tests.support.pipeline import Pipeline


def _fail_first_notification_for_good(pipeline: Pipeline, instance: int, changes: int = 25) -> str:
    """Three notifications (ten events each); the first fails every attempt. Returns its id."""
    pipeline.change_and_poll(instance, changes=changes)
    pipeline.receiver.default = Scripted(500)
    for _ in range(MAX_ATTEMPTS + 2):
        pipeline.pump.drain()
    pipeline.receiver.default = Scripted(200)
    failed = {r.notification_id for r in pipeline.receiver.received}
    assert len(failed) == 1, "only the first notification was attempted: the others waited behind it"
    return failed.pop()


def _events(api: ApiClient, pipeline: Pipeline, instance: int, status: str | None = None) -> list[dict]:
    query = f"pageSize=100&status={status}" if status else "pageSize=100"
    reply = api.get(f"/instances/{instance}/events", auth=pipeline.poll.credentials, query=query)
    assert reply.status == 200, reply.text
    return reply.body  # type: ignore[no-any-return]


def _redeliver(api: ApiClient, pipeline: Pipeline, instance: int, body: dict | None = None) -> Reply:
    return api.post(f"/instances/{instance}/events/redeliver", auth=pipeline.poll.credentials, json_body=body)


def _delivered_ids(pipeline: Pipeline) -> list[str]:
    return [r.notification_id for r in pipeline.receiver.received if r.status == 200]


def test_after_a_last_retry_push_pauses_and_a_redelivery_sends_everything_in_order(pipeline: Pipeline) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    instance = pipeline.create_instance()

    # Given a notification that failed its last retry, and the two produced after it
    failed_id = _fail_first_notification_for_good(pipeline, instance)

    # Then push is paused: the later ones are QUEUED, kept and listed, never attempted
    shown = api.get(f"/instances/{instance}", auth=pipeline.poll.credentials).body
    assert shown["pushPaused"] is True and failed_id in shown["pushPausedReason"]
    queued = _events(api, pipeline, instance, "QUEUED")
    assert len(queued) == 2 and all(e["attemptCount"] == 0 for e in queued)
    assert [e["id"] for e in _events(api, pipeline, instance, "FAILED")] == [failed_id]
    # and a change made while paused is queued too, behind them
    pipeline.change_and_poll(instance, changes=3)
    pipeline.pump.drain()
    assert len(_events(api, pipeline, instance, "QUEUED")) == 3
    assert _delivered_ids(pipeline) == []

    # When the customer asks for a redelivery of everything parked
    reply = _redeliver(api, pipeline, instance, {"status": ["QUEUED", "FAILED"]})
    assert reply.status == 202, reply.text
    pipeline.pump.drain()

    # Then the failed one goes first, then the queued ones in the order they were produced, each once
    delivered = _delivered_ids(pipeline)
    produced = [failed_id] + [e["id"] for e in reversed(queued)]
    assert delivered[:3] == produced and len(delivered) == len(set(delivered)) == 4
    assert {e["status"] for e in _events(api, pipeline, instance)} == {"DELIVERED"}
    # and push has resumed: a new change is delivered straight away
    assert api.get(f"/instances/{instance}", auth=pipeline.poll.credentials).body["pushPaused"] is False
    pipeline.change_and_poll(instance)
    pipeline.pump.drain()
    assert len(_delivered_ids(pipeline)) == 5
    poller = api.get(f"/instances/{instance}/poller", auth=pipeline.poll.credentials).body
    assert poller["pushPaused"] is False and poller["redelivery"] is None


def test_a_notification_still_in_the_queue_waits_for_the_redelivered_ones(pipeline: Pipeline) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    instance = pipeline.create_instance()
    failed_id = _fail_first_notification_for_good(pipeline, instance)
    queued = [e["id"] for e in reversed(_events(api, pipeline, instance, "QUEUED"))]

    # Given a notification enqueued while push was paused but not yet taken by the deliverer
    pipeline.change_and_poll(instance)
    # When push resumes with a redelivery (its waking message goes in behind that notification)
    assert _redeliver(api, pipeline, instance).status == 202
    pipeline.pump.drain()

    # Then the parked ones go first, and the one from the queue after them
    delivered = _delivered_ids(pipeline)
    assert delivered[:3] == [failed_id, *queued] and len(delivered) == 4


def test_only_the_selected_statuses_are_redelivered(pipeline: Pipeline) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    instance = pipeline.create_instance()
    failed_id = _fail_first_notification_for_good(pipeline, instance)

    assert _redeliver(api, pipeline, instance, {"status": ["FAILED"]}).status == 202
    pipeline.pump.drain()

    assert _delivered_ids(pipeline) == [failed_id]
    assert len(_events(api, pipeline, instance, "QUEUED")) == 2  # kept for another redelivery
    assert _redeliver(api, pipeline, instance, {"status": "QUEUED"}).status == 202
    pipeline.pump.drain()
    assert len(_delivered_ids(pipeline)) == 3 and _events(api, pipeline, instance, "QUEUED") == []


def test_a_redelivery_that_fails_again_pauses_push_again(pipeline: Pipeline) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    instance = pipeline.create_instance()
    failed_id = _fail_first_notification_for_good(pipeline, instance)
    pipeline.receiver.default = Scripted(503)
    received_before = len(pipeline.receiver.received)

    assert _redeliver(api, pipeline, instance).status == 202
    for _ in range(MAX_ATTEMPTS + 2):
        pipeline.pump.drain()

    # The failed notification was tried a whole schedule again, the queued ones never; push is paused again
    again = pipeline.receiver.received[received_before:]
    assert [r.notification_id for r in again] == [failed_id] * MAX_ATTEMPTS
    shown = api.get(f"/instances/{instance}", auth=pipeline.poll.credentials).body
    assert shown["pushPaused"] is True
    assert [e["id"] for e in _events(api, pipeline, instance, "FAILED")] == [failed_id]
    assert len(_events(api, pipeline, instance, "QUEUED")) == 2
    triggers = [
        a["trigger"]
        for a in api.get(f"/instances/{instance}/events/{failed_id}", auth=pipeline.poll.credentials).body["attempts"]
    ]
    assert triggers == ["queue"] * MAX_ATTEMPTS + ["redelivery"] * MAX_ATTEMPTS


def test_enabling_the_instance_resumes_push_and_keeps_the_queued_ones(pipeline: Pipeline) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    auth = pipeline.poll.credentials
    instance = pipeline.create_instance()
    _fail_first_notification_for_good(pipeline, instance)

    assert api.delete(f"/instances/{instance}/enabled", auth=auth).status == 200
    enabled = api.put(f"/instances/{instance}/enabled", auth=auth)
    assert enabled.status == 200 and enabled.body["pushPaused"] is False

    pipeline.change_and_poll(instance)
    pipeline.pump.drain()
    assert len(_delivered_ids(pipeline)) == 1  # the new one; the queued ones wait for a redelivery
    assert len(_events(api, pipeline, instance, "QUEUED")) == 2


def test_the_queue_policy_never_pushes(pipeline: Pipeline) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    accounts = AccountsStore(boto3.client("dynamodb", region_name="us-east-1"), pipeline.poll.settings.instances_table)
    accounts.set_failure_policy(pipeline.poll.credentials.organization_id, "queue")
    instance = pipeline.create_instance()

    pipeline.change_and_poll(instance, changes=15)
    pipeline.pump.drain()

    # Every notification is kept for pull, none attempted
    assert pipeline.receiver.received == []
    queued = _events(api, pipeline, instance, "QUEUED")
    assert len(queued) == 2
    # and a redelivery sends them, in order; the next ones are queued again
    assert _redeliver(api, pipeline, instance, {"status": ["QUEUED"]}).status == 202
    pipeline.pump.drain()
    assert _delivered_ids(pipeline) == [e["id"] for e in reversed(queued)]
    pipeline.change_and_poll(instance)
    pipeline.pump.drain()
    assert len(_delivered_ids(pipeline)) == 2 and len(_events(api, pipeline, instance, "QUEUED")) == 1


def test_redeliver_validates_its_body_and_hides_other_tenants(pipeline: Pipeline) -> None:
    api = ApiClient.load(pipeline.poll.resources)
    instance = pipeline.create_instance()
    other = api.create_organization("Other")

    for body, field in [
        ({"status": ["DELIVERED"]}, "status[0]"),
        ({"status": []}, "status"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2999-01-01T00:00:00Z"}, "since"),
        ({"statuses": ["QUEUED"]}, "statuses"),
    ]:
        reply = _redeliver(api, pipeline, instance, body)
        assert reply.status == 400 and reply.body["field"] == field, (body, reply.text)
    assert api.post(f"/instances/{instance}/events/redeliver", auth=other, json_body={}).status == 404
    # with nothing parked, a redelivery finds nothing to send and ends
    assert _redeliver(api, pipeline, instance).status == 202
    pipeline.pump.drain()
    assert api.get(f"/instances/{instance}/poller", auth=pipeline.poll.credentials).body["redelivery"] is None
