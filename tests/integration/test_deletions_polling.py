"""Deletions by polling (`includeDeleted`): the poller against moto and the simulator's audit log, on a
manual clock; and the creation-time check of the key's audit log access through the API."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from devstack.seed import SEED_BODY
from srevents.domain.resources import default_resource_config
from srevents.services.poll_service import PollService
from tests.support.api_client import ApiClient
from tests.support.leaks import register_secret
from tests.support.poll_harness import API_KEY, PollHarness

NO_AUDIT_KEY = register_secret("sr-key-without-audit-0123")


def poller_configuration(**resources: dict[str, Any]) -> dict[str, Any]:
    return {name: {**default_resource_config(name), **keys} for name, keys in resources.items()}


def with_deletions(harness: PollHarness, *resources: str) -> int:
    names = resources or ("candidates",)
    return harness.create_instance(
        **{"event.poller.configuration": poller_configuration(**{n: {"includeDeleted": True} for n in names})}
    )


def shown(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["eventType"], e["objectId"]) for e in events]


def deleted(harness: PollHarness, notifications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in harness.events(notifications) if e["eventType"] == "DELETED"]


# --- deletions between polls ----------------------------------------------------------------------------
def test_records_deleted_between_polls_become_DELETED_events_with_the_audit_event_as_raw(
    harness: PollHarness,
) -> None:
    # Given an instance reading deletions, and three candidates it has seen created
    instance = with_deletions(harness)
    harness.clock.advance(5)
    candidates = [harness.store.create_candidate() for _ in range(3)]
    harness.clock.advance(60)
    harness.poll(instance)
    assert {e["eventType"] for e in harness.events(harness.drain())} == {"CREATED"}

    # When two of them are deleted and the next poll runs
    harness.clock.advance(30)
    harness.store.delete_candidate(candidates[0]["id"])
    [first] = harness.store.audit_events(candidates[0]["id"])
    harness.clock.advance(2)
    harness.store.delete_candidate(candidates[2]["id"], author_type="SYSTEM")
    [second] = harness.store.audit_events(candidates[2]["id"])
    harness.clock.advance(60)
    outcome = harness.poll(instance)

    # Then each deletion is one DELETED event, oldest first, dated and carrying the audit event
    [notification] = harness.drain()
    events = notification["message"]["events"]
    assert shown(events) == [("DELETED", candidates[0]["id"]), ("DELETED", candidates[2]["id"])]
    assert [e["date"] for e in events] == [first["eventDate"], second["eventDate"]]
    assert notification["message"]["raw"]["candidates"] == [first, second]
    assert outcome.resources[0].deletions_read == 2
    state = harness.state(instance)["candidates"]
    assert (state.deletions_read, state.deletions_emitted) == (2, 2)

    # And the next poll (whose lookback reaches back over them) sends them no more
    harness.clock.advance(60)
    harness.poll(instance)
    assert harness.drain() == []


def test_a_record_created_and_deleted_between_two_polls_yields_only_its_deletion(harness: PollHarness) -> None:
    instance = with_deletions(harness)
    harness.clock.advance(60)
    harness.poll(instance)
    harness.clock.advance(10)
    candidate = harness.store.create_candidate()
    harness.clock.advance(10)
    harness.store.delete_candidate(candidate["id"])
    harness.clock.advance(60)

    harness.poll(instance)

    assert shown(harness.events(harness.drain())) == [("DELETED", candidate["id"])]


def test_changes_and_deletions_of_one_poll_arrive_together_in_date_order(harness: PollHarness) -> None:
    instance = with_deletions(harness)
    harness.clock.advance(5)
    a, b, c, d = (harness.store.create_candidate() for _ in range(4))
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()

    harness.clock.advance(10)
    harness.store.update_candidate(d["id"], firstName="D1")
    harness.clock.advance(1)
    harness.store.delete_candidate(b["id"])
    harness.clock.advance(1)
    harness.store.update_candidate(c["id"], firstName="C1")
    harness.clock.advance(1)
    harness.store.delete_candidate(a["id"])
    harness.clock.advance(60)
    harness.poll(instance)

    events = harness.events(harness.drain())
    assert shown(events) == [("UPDATED", d["id"]), ("DELETED", b["id"]), ("UPDATED", c["id"]), ("DELETED", a["id"])]
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)


def test_deletions_over_several_audit_pages_each_arrive_once(harness: PollHarness) -> None:
    # Given 230 candidates deleted since the last poll: three pages of the audit log
    instance = with_deletions(harness)
    harness.clock.advance(60)
    harness.poll(instance)
    candidates = [harness.store.create_candidate() for _ in range(230)]
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()
    harness.store.reset_counters()
    for candidate in candidates:
        harness.clock.advance(0.05)
        harness.store.delete_candidate(candidate["id"])
    harness.clock.advance(60)

    outcome = harness.poll(instance)

    events = harness.events(harness.drain())
    assert sorted(e["objectId"] for e in events) == sorted(c["id"] for c in candidates)
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    assert outcome.resources[0].deletions_read == 230
    assert harness.store.counters()["requests"]["/audit-events"] == 3


def test_deletions_at_the_window_edges_are_sent_once(harness: PollHarness) -> None:
    # Given three candidates, and the first poll due at t1 = creation + 65 s
    instance = with_deletions(harness)
    created = harness.clock.now()
    harness.clock.advance(2)
    at_start, at_next_lower, after_start = (harness.store.create_candidate() for _ in range(3))
    first_start = created + timedelta(seconds=65)

    # When one is deleted exactly at t1 - 60 s (the next poll's lower bound) and one exactly at t1
    harness.clock.set(first_start - timedelta(seconds=60))
    harness.store.delete_candidate(at_next_lower["id"])
    harness.clock.set(first_start)
    harness.store.delete_candidate(at_start["id"])
    harness.poll(instance)

    # Then the poll starting at t1 sends both (its window includes its start)
    assert shown(deleted(harness, harness.drain())) == [("DELETED", at_next_lower["id"]), ("DELETED", at_start["id"])]

    # When one more is deleted a millisecond after t1, and the next poll runs
    harness.clock.advance(0.001)
    harness.store.delete_candidate(after_start["id"])
    harness.clock.set(first_start + timedelta(seconds=60))
    harness.poll(instance)

    # Then it sends that one only (the one at its lower bound is outside its window, the one at t1 remembered)
    assert shown(deleted(harness, harness.drain())) == [("DELETED", after_start["id"])]
    harness.clock.advance(61)
    harness.poll(instance)
    assert harness.drain() == []


def test_no_deletion_from_before_the_instance_existed(harness: PollHarness) -> None:
    old = harness.store.create_candidate()
    harness.clock.advance(1)
    harness.store.delete_candidate(old["id"])  # the millisecond before the instance
    harness.clock.advance(0.001)
    instance = with_deletions(harness)
    harness.clock.advance(60)

    harness.poll(instance)

    assert harness.drain() == []


def test_a_merged_candidate_is_deleted_naming_the_profile_it_was_merged_into(harness: PollHarness) -> None:
    instance = with_deletions(harness)
    harness.clock.advance(5)
    master, duplicate = harness.store.create_candidate(), harness.store.create_candidate()
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()
    harness.clock.advance(10)

    merge_deleted, _ = harness.store.merge_candidates(duplicate["id"], master["id"])
    harness.clock.advance(60)
    harness.poll(instance)

    events = harness.events(harness.drain())
    kinds = {e["eventType"]: e for e in events}
    assert set(kinds) == {"DELETED", "UPDATED"}  # the duplicate goes, the master profile changes
    assert kinds["DELETED"]["objectId"] == duplicate["id"] and kinds["DELETED"]["mergedInto"] == master["id"]
    assert kinds["DELETED"]["date"] == merge_deleted["eventDate"]
    assert kinds["UPDATED"]["objectId"] == master["id"]


def test_jobs_read_JOB_DELETED_and_candidates_do_not_see_it(harness: PollHarness) -> None:
    instance = with_deletions(harness, "candidates", "jobs")
    harness.clock.advance(5)
    job = harness.store.create_job(title="Welder")
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()
    harness.clock.advance(10)
    harness.store.delete_job(job["id"])
    [audit] = harness.store.audit_events(job["id"])
    harness.clock.advance(60)

    harness.poll(instance)

    [notification] = harness.drain()
    assert notification["message"]["raw"]["objectType"] == "jobs"
    assert shown(notification["message"]["events"]) == [("DELETED", job["id"])]
    assert notification["message"]["raw"]["jobs"][0]["context"] == {
        "jobName": "Welder",
        "jobRefNumber": job["refNumber"],
    }
    assert audit["eventName"] == "JOB_DELETED"


def test_without_includeDeleted_the_audit_log_is_not_read(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(5)
    candidate = harness.store.create_candidate()
    harness.clock.advance(60)
    harness.poll(instance)
    harness.clock.advance(10)
    harness.store.delete_candidate(candidate["id"])
    harness.clock.advance(60)

    harness.poll(instance)

    assert deleted(harness, harness.drain()) == []
    assert "/audit-events" not in harness.store.counters()["requests"]


# --- a crash between plan and commit --------------------------------------------------------------------
class Died(BaseException):
    """The poll's process died here (nothing after it runs, no `except Exception` sees it)."""


def test_a_poll_that_dies_after_enqueuing_re_sends_its_deletions_under_the_same_ids(harness: PollHarness) -> None:
    # Given 25 deletions (three notifications) since the last poll
    instance = with_deletions(harness)
    harness.clock.advance(5)
    candidates = [harness.store.create_candidate() for _ in range(25)]
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()
    for candidate in candidates:
        harness.clock.advance(0.5)
        harness.store.delete_candidate(candidate["id"])
    harness.clock.advance(60)

    # When the poll dies after its plan is saved and its notifications are enqueued, before the commit
    poller: PollService = harness.poller
    store = poller._state
    save = store.save

    def die_at_commit(instance_id: int, owner: str, resource: str, state: Any, *, release: bool) -> None:
        if not state.pending:
            raise Died("before the commit")
        save(instance_id, owner, resource, state, release=release)

    setattr(store, "save", die_at_commit)  # noqa: B010 - an instance attribute, removed below
    try:
        with pytest.raises(Died):
            harness.poll(instance)
    finally:
        delattr(store, "save")
    first = harness.drain()

    # And the next poll runs once the dead poll's lease has expired, after two more deletions
    survivors = [harness.store.create_candidate() for _ in range(2)]
    harness.clock.advance(901)
    for survivor in survivors:
        harness.store.delete_candidate(survivor["id"])
    harness.clock.advance(60)
    harness.poll(instance)
    second = harness.drain()

    # Then the dead poll's notifications come again with the same ids, and every deletion is under one id
    assert len(first) == 3
    assert [n["id"] for n in second[:3]] == [n["id"] for n in first]
    ids_of: dict[str, set[str]] = {}
    for notification in first + second:
        for event in notification["message"]["events"]:
            ids_of.setdefault(event["objectId"], set()).add(notification["id"])
    assert set(ids_of) == {c["id"] for c in candidates + survivors}
    assert all(len(ids) == 1 for ids in ids_of.values())
    harness.clock.advance(120)
    harness.poll(instance)
    assert harness.drain() == []


def test_an_audit_page_that_keeps_failing_fails_the_poll_and_the_next_poll_sends_everything(
    harness: PollHarness,
) -> None:
    instance = with_deletions(harness)
    harness.clock.advance(5)
    candidate = harness.store.create_candidate()
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()
    watermark = harness.state(instance)["candidates"].watermark
    harness.clock.advance(5)
    harness.store.delete_candidate(candidate["id"])
    harness.clock.advance(60)
    harness.store.fail_next(6, status=503, path_prefix="/audit-events")

    failed = harness.poll(instance)

    assert failed.resources[0].result == "error" and "audit-events" in (failed.resources[0].error or "")
    assert harness.drain() == []
    assert harness.state(instance)["candidates"].watermark == watermark
    harness.clock.advance(900)
    harness.poll(instance)
    assert shown(harness.events(harness.drain())) == [("DELETED", candidate["id"])]


# --- the audit access check through the API -------------------------------------------------------------
@pytest.fixture
def api_on_simulator(harness: PollHarness) -> ApiClient:
    """The API function, its environment from the harness (SMARTRECRUITERS_BASE_URL is the simulator)."""
    harness.store.add_api_key(NO_AUDIT_KEY, scopes=["candidates_read", "jobs_read"])  # no audit_events_read
    return ApiClient.load(harness.resources)


def body_with(api_key: str, **resources: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(SEED_BODY)
    body["configuration"]["api.key"] = api_key
    body["configuration"]["event.poller.configuration"] = poller_configuration(**resources)
    return body


def test_a_key_without_audit_access_is_a_400_naming_the_permission_and_nothing_is_stored(
    harness: PollHarness, api_on_simulator: ApiClient
) -> None:
    api = api_on_simulator
    reply = api.post(
        "/instances", auth=harness.credentials, json_body=body_with(NO_AUDIT_KEY, candidates={"includeDeleted": True})
    )

    assert reply.status == 400, reply.text
    assert reply.body["field"] == "configuration.event.poller.configuration.candidates.includeDeleted"
    assert "audit_events_read" in reply.body["message"]
    assert NO_AUDIT_KEY not in reply.text
    assert api.get("/instances", auth=harness.credentials).body == []
    assert harness.store.counters()["responses"].get("403") == 1


def test_a_key_with_audit_access_is_accepted_and_checked_once(
    harness: PollHarness, api_on_simulator: ApiClient
) -> None:
    reply = api_on_simulator.post(
        "/instances", auth=harness.credentials, json_body=body_with(API_KEY, candidates={"includeDeleted": True})
    )

    assert reply.status == 200, reply.text
    assert reply.body["configuration"]["event.poller.configuration"]["candidates"]["includeDeleted"] is True
    assert harness.store.counters()["requests"] == {"/audit-events": 1}


def test_patch_turning_includeDeleted_on_checks_the_key_and_a_403_changes_nothing(
    harness: PollHarness, api_on_simulator: ApiClient
) -> None:
    api = api_on_simulator
    created = api.post("/instances", auth=harness.credentials, json_body=body_with(NO_AUDIT_KEY, candidates={}))
    assert created.status == 200 and harness.store.counters()["requests"] == {}  # nothing to check yet
    instance = created.body["id"]

    reply = api.patch(
        f"/instances/{instance}",
        auth=harness.credentials,
        json_body={
            "configuration": {"event.poller.configuration": poller_configuration(candidates={"includeDeleted": True})}
        },
    )

    assert reply.status == 400 and "audit_events_read" in reply.body["message"], reply.text
    after = api.get(f"/instances/{instance}", auth=harness.credentials).body
    assert "includeDeleted" not in after["configuration"]["event.poller.configuration"]["candidates"]


def test_patch_of_other_keys_does_not_check_again(harness: PollHarness, api_on_simulator: ApiClient) -> None:
    api = api_on_simulator
    created = api.post(
        "/instances", auth=harness.credentials, json_body=body_with(API_KEY, candidates={"includeDeleted": True})
    )
    harness.store.reset_counters()

    reply = api.patch(f"/instances/{created.body['id']}", auth=harness.credentials, json_body={"name": "renamed"})

    assert reply.status == 200 and harness.store.counters()["requests"] == {}


def test_smartrecruiters_failing_at_the_check_is_a_502_and_nothing_is_stored(
    harness: PollHarness, api_on_simulator: ApiClient
) -> None:
    harness.store.fail_next(3, status=500, path_prefix="/audit-events")

    reply = api_on_simulator.post(
        "/instances", auth=harness.credentials, json_body=body_with(API_KEY, candidates={"includeDeleted": True})
    )

    assert reply.status == 502, reply.text
    assert "Nothing was stored" in reply.body["message"]
    assert api_on_simulator.get("/instances", auth=harness.credentials).body == []
    assert Counter(harness.store.counters()["responses"]) == Counter({"500": 3})


def test_the_poller_status_shows_deletions_read(harness: PollHarness, api_on_simulator: ApiClient) -> None:
    instance = with_deletions(harness)
    harness.clock.advance(5)
    candidate = harness.store.create_candidate()
    harness.clock.advance(5)
    harness.store.delete_candidate(candidate["id"])
    harness.clock.advance(60)
    harness.poll(instance)

    status = api_on_simulator.get(f"/instances/{instance}/poller", auth=harness.credentials).body

    [candidates] = [r for r in status["resources"] if r["resource"] == "candidates"]
    assert (candidates["deletionsRead"], candidates["deletionsEmitted"]) == (1, 1)
    assert candidates["lastResult"] == "ok"


# --- what a poll with deletions costs -------------------------------------------------------------------
def _poll_cost(harness: PollHarness, include_deleted: bool, deletions: int) -> tuple[Counter[str], Counter[str], int]:
    """(SmartRecruiters requests by path, AWS calls by operation, notifications) of one poll of the candidates
    resource after 150 new candidates and `deletions` deleted ones."""
    from bench.common import CallCounter
    from srevents.adapters.aws import client as aws_client

    keys = {"includeDeleted": True} if include_deleted else {}
    instance = harness.create_instance(**{"event.poller.configuration": poller_configuration(candidates=keys)})
    harness.clock.advance(5)
    doomed = [harness.store.create_candidate() for _ in range(deletions)]
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()
    for _ in range(150):
        harness.store.create_candidate()
    for candidate in doomed:
        harness.clock.advance(0.01)
        harness.store.delete_candidate(candidate["id"])
    harness.clock.advance(60)
    harness.store.reset_counters()
    counter = CallCounter().attach("dynamodb", "sqs", "kms")
    try:
        outcome = harness.poll(instance)
    finally:
        for service in ("dynamodb", "sqs", "kms"):
            aws_client(service).meta.events.unregister("before-call.*.*", counter)

    return Counter(harness.store.counters()["requests"]), counter.calls, outcome.resources[0].notifications


@pytest.mark.parametrize("deletions", [0, 1, 120, 250])
def test_deletions_cost_one_request_per_100_one_token_take_and_their_notifications(
    harness: PollHarness, deletions: int
) -> None:
    # Given the same poll with and without includeDeleted
    sr_plain, aws_plain, notes_plain = _poll_cost(harness, False, 0)
    sr, aws, notes = _poll_cost(harness, True, deletions)

    # Then the audit log costs one request per page of 100 deletions (one when there are none)
    assert sr["/candidates"] == sr_plain["/candidates"] == 2
    assert sr["/audit-events"] == max(1, -(-deletions // 100))
    # And AWS calls differ by the SendMessageBatch calls their notifications need (10 per call) and by the one
    # UpdateItem that takes the audit listing's tokens from the key's limit shared across containers
    assert notes == notes_plain + -(-deletions // 10)
    batches = -(-notes // 10)
    assert aws - Counter({"sqs.SendMessageBatch": batches}) == aws_plain - Counter(
        {"sqs.SendMessageBatch": -(-notes_plain // 10)}
    ) + Counter({"dynamodb.UpdateItem": 1})
    print(f"deletions={deletions}: SmartRecruiters {dict(sr)}; AWS {dict(aws)}; notifications {notes}")


def test_a_poll_short_of_time_in_the_audit_log_resumes_there_under_the_same_start(harness: PollHarness) -> None:
    # Given 250 deletions (three audit pages) and 30 new candidates since the last poll
    instance = with_deletions(harness)
    harness.clock.advance(5)
    doomed = [harness.store.create_candidate() for _ in range(250)]
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()
    fresh = [harness.store.create_candidate() for _ in range(30)]
    for candidate in doomed:
        harness.clock.advance(0.01)
        harness.store.delete_candidate(candidate["id"])
    harness.clock.advance(60)
    harness.store.reset_counters()
    watermark = harness.state(instance)["candidates"].watermark

    # When the Lambda runs short of time after the second audit page
    def remaining_ms() -> int:
        return 600_000 if harness.store.counters()["requests"].get("/audit-events", 0) < 2 else 10_000

    partial = harness.poller.poll(instance, remaining_ms)
    first = harness.drain()

    # Then the deletions read so far are sent, the records wait, the watermark stays and a cursor is saved
    assert partial.resources[0].result == "partial" and partial.resources[0].deletions_read == 200
    state = harness.state(instance)["candidates"]
    assert state.watermark == watermark and state.cursor is not None
    assert state.cursor.audit_page_id is not None and state.cursor.page_id is None
    assert harness.store.counters()["requests"] == {"/audit-events": 2}

    # When the next run has time: it reads the third audit page, then the records
    harness.clock.advance(60)
    done = harness.poll(instance)
    second = harness.drain()

    # Then every deletion and every new candidate arrives once, deletions of the first run first
    assert done.resources[0].result == "ok" and done.resources[0].deletions_read == 50
    events = harness.events(first) + harness.events(second)
    assert Counter(e["eventType"] for e in events) == Counter({"DELETED": 250, "CREATED": 30})
    assert len({e["objectId"] for e in events}) == 280
    assert {e["objectId"] for e in events if e["eventType"] == "CREATED"} == {c["id"] for c in fresh}
    assert harness.store.counters()["requests"] == {"/audit-events": 3, "/candidates": 1}
    assert harness.state(instance)["candidates"].cursor is None
    harness.clock.advance(120)
    harness.poll(instance)
    assert harness.drain() == []


def test_a_poll_short_of_time_in_the_records_does_not_read_the_audit_log_again(harness: PollHarness) -> None:
    # Given 5 deletions and 250 new candidates read 100 a page
    instance = with_deletions(harness)
    harness.clock.advance(5)
    doomed = [harness.store.create_candidate() for _ in range(5)]
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()
    for _ in range(250):
        harness.store.create_candidate()
    for candidate in doomed:
        harness.store.delete_candidate(candidate["id"])
    harness.clock.advance(60)
    harness.store.reset_counters()

    # When the run is short of time after the first page of records
    def remaining_ms() -> int:
        return 600_000 if harness.store.counters()["requests"].get("/candidates", 0) < 1 else 10_000

    harness.poller.poll(instance, remaining_ms)
    cursor = harness.state(instance)["candidates"].cursor
    harness.clock.advance(60)
    harness.poll(instance)

    # Then the audit log was read once, by the first run, and the second run went on with the records
    assert cursor is not None and cursor.audit_done and cursor.page_id is not None
    assert harness.store.counters()["requests"] == {"/audit-events": 1, "/candidates": 3}
    events = harness.events(harness.drain())
    assert Counter(e["eventType"] for e in events) == Counter({"DELETED": 5, "CREATED": 250})


def test_a_deletion_the_webhook_path_remembered_under_an_earlier_date_is_not_sent_again(harness: PollHarness) -> None:
    import boto3

    from srevents.adapters.poller_state_store import PollerStateStore
    from srevents.domain.deletions import deletion_version

    # Given a polled instance, and a candidate deleted at T whose deletion the webhook path already sent and
    # remembered under its callback's timestamp, whole seconds: T - 0.5 s
    instance = with_deletions(harness)
    harness.clock.advance(5)
    candidate = harness.store.create_candidate()
    harness.clock.advance(60)
    harness.poll(instance)
    harness.drain()
    harness.clock.advance(10.5)
    harness.store.delete_candidate(candidate["id"])
    deleted_at = harness.clock.now()
    store = PollerStateStore(boto3.client("dynamodb", region_name="us-east-1"), harness.settings.poller_state_table)
    state = store.read(instance).resources["candidates"]
    version = deletion_version("candidates", candidate["id"])
    webhook_ms = int(deleted_at.timestamp() * 1000) - 500
    store.replace_resources(
        instance, {"candidates": state.with_changes(remembered={**state.remembered, version: webhook_ms})}, 0
    )

    # When the next poll starts 59.7 s after the deletion: its commit forgets versions dated up to T - 0.3 s,
    # and the poll after it reads the audit log from T - 0.3 s
    harness.clock.set(deleted_at + timedelta(seconds=59.7))
    harness.poll(instance)
    kept = harness.state(instance)["candidates"].remembered.get(version)
    harness.clock.advance(60)
    harness.poll(instance)

    # Then the first keeps it remembered under the audit event's date, and neither sends it again
    assert kept == webhook_ms + 500
    assert deleted(harness, harness.drain()) == []
