"""The poller against moto and the SmartRecruiters simulator, on a manual clock."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import boto3
import pytest

from srevents.adapters.smartrecruiters import SmartRecruitersClient
from srevents.clock import iso_millis
from tests.support.fixtures import seed_body
from tests.support.poll_harness import PollHarness


def keys(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["objectId"], e["date"]) for e in events]


def test_no_changes_no_notification(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(60)

    outcome = harness.poll(instance)

    assert outcome.resources[0].result == "ok"
    assert harness.drain() == []


def test_new_records_are_created_events(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(5)
    created = [harness.store.create_candidate(firstName=f"C{i}") for i in range(3)]
    harness.clock.advance(60)

    harness.poll(instance)

    events = harness.events(harness.drain())
    assert sorted(e["objectId"] for e in events) == sorted(c["id"] for c in created)
    assert {e["eventType"] for e in events} == {"CREATED"}


def test_updated_records_are_updated_events(harness: PollHarness) -> None:
    harness.clock.advance(-3600)
    old = harness.store.create_candidate(firstName="Old")
    harness.clock.advance(3600)
    instance = harness.create_instance()
    harness.clock.advance(10)
    harness.store.update_candidate(old["id"], firstName="Renamed")
    harness.clock.advance(60)

    harness.poll(instance)

    events = harness.events(harness.drain())
    assert [(e["objectId"], e["eventType"]) for e in events] == [(old["id"], "UPDATED")]


def test_created_then_updated_since_last_poll_is_created(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(60)
    harness.poll(instance)
    harness.clock.advance(10)
    candidate = harness.store.create_candidate(firstName="New")
    harness.clock.advance(30)
    harness.store.update_candidate(candidate["id"], firstName="Newer")
    harness.clock.advance(60)

    harness.poll(instance)

    events = harness.events(harness.drain())
    assert [(e["objectId"], e["eventType"]) for e in events] == [(candidate["id"], "CREATED")]


def test_many_records_over_unsorted_pages_each_exactly_once_in_order(harness: PollHarness) -> None:
    instance = harness.create_instance()
    created = []
    for i in range(260):
        harness.clock.advance(0.25)
        created.append(harness.store.create_candidate(firstName=f"C{i}"))
    harness.clock.advance(60)

    outcome = harness.poll(instance)

    assert outcome.resources[0].pages == 3
    notifications = harness.drain()
    events = harness.events(notifications)
    assert Counter(e["objectId"] for e in events) == Counter(c["id"] for c in created)
    assert all(len(n["message"]["events"]) <= 10 for n in notifications)
    dates = [e["date"] for e in events]
    assert dates == sorted(dates)
    assert len({n["id"] for n in notifications}) == len(notifications)


def test_record_updated_after_poll_start_waits_for_the_next_poll(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(30)
    early = harness.store.create_candidate(firstName="Early")
    late = harness.store.create_candidate(firstName="Late")
    harness.clock.advance(30)
    poll_start = harness.clock.now()
    # SmartRecruiters shows a change stamped just after this poll began (it raced the poll).
    harness.store.update_candidate(late["id"], updatedOn=iso_millis(poll_start + timedelta(seconds=1)))

    harness.poll(instance)
    first = harness.events(harness.drain())
    harness.clock.advance(120)
    harness.poll(instance)
    second = harness.events(harness.drain())

    assert [e["objectId"] for e in first] == [early["id"]]
    assert [e["objectId"] for e in second] == [late["id"]]


def test_overlapping_lookback_over_three_polls_emits_no_duplicate(harness: PollHarness) -> None:
    instance = harness.create_instance()
    changes = []
    for _ in range(3):
        harness.clock.advance(20)
        changes.append(harness.store.create_candidate())
        harness.clock.advance(20)
        harness.store.update_candidate(changes[-1]["id"], firstName="x")
        harness.poll(instance)  # lookback (60 s) is longer than the gap between polls (40 s)

    events = harness.events(harness.drain())
    assert Counter(keys(events)).most_common(1)[0][1] == 1
    assert {e["objectId"] for e in events} == {c["id"] for c in changes}


def test_failure_on_page_two_keeps_watermark_and_retry_emits_each_change_once(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(60)
    harness.poll(instance)
    before = harness.state(instance)["candidates"].watermark
    created = []
    for _ in range(150):
        harness.clock.advance(0.2)
        created.append(harness.store.create_candidate())
    harness.clock.advance(60)

    original = harness.poller._sr

    def failing_on_page_two(api_key: str):
        client = original(api_key)

        class FailSecondPage:
            calls = 0
            iter_pages = SmartRecruitersClient.iter_pages  # the poller pages through iter_pages → get_page

            def listing(self, path):
                return client.listing(path)

            def get_page(self, *args, **kwargs):
                FailSecondPage.calls += 1
                if FailSecondPage.calls == 2:
                    harness.store.fail_next(20, status=500)
                return client.get_page(*args, **kwargs)

        return FailSecondPage()

    harness.poller._sr = failing_on_page_two
    outcome = harness.poll(instance)
    harness.store.clear_faults()
    harness.poller._sr = original

    assert outcome.resources[0].result == "error"
    state = harness.state(instance)["candidates"]
    assert state.watermark == before
    assert state.last_result == "error" and state.consecutive_failures == 1
    assert harness.drain() == []

    harness.clock.advance(60)
    harness.poll(instance)
    events = harness.events(harness.drain())
    assert Counter(e["objectId"] for e in events) == Counter(c["id"] for c in created)
    assert harness.state(instance)["candidates"].consecutive_failures == 0


def test_burst_of_429_backs_off_then_succeeds(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(10)
    candidate = harness.store.create_candidate()
    harness.clock.advance(60)
    harness.store.fail_next(3, status=429)
    before = harness.clock.now()

    outcome = harness.poll(instance)

    assert outcome.resources[0].result == "ok"
    assert harness.clock.now() > before  # the client slept (on the manual clock) between attempts
    assert [e["objectId"] for e in harness.events(harness.drain())] == [candidate["id"]]


def test_bad_api_key_marks_poller_error_and_keeps_watermark(harness: PollHarness) -> None:
    instance = harness.create_instance(**{"api.key": "revoked-key-000"})
    harness.clock.advance(60)

    outcome = harness.poll(instance)

    assert outcome.resources[0].result == "error"
    state = harness.state(instance)["candidates"]
    assert state.watermark is None
    assert "401" in state.last_error and "API key" in state.last_error
    assert "revoked-key-000" not in state.last_error


def test_two_simultaneous_polls_only_one_runs(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(10)
    harness.store.create_candidate()
    harness.clock.advance(60)
    harness.store.add_latency(0.3)
    outcomes = []

    def run() -> None:
        outcomes.append(harness.poll(instance))

    # The second starts once the first holds the lease (it then spends 0.3 s reading). Started together, both
    # could pass the lease's condition: moto, unlike DynamoDB, does not apply conditional writes atomically.
    threads = [threading.Thread(target=run) for _ in range(2)]
    threads[0].start()
    _wait_for_lease(harness, instance)
    threads[1].start()
    for thread in threads:
        thread.join()

    assert sorted(o.status for o in outcomes) == ["polled", "skipped"]
    assert len(harness.events(harness.drain())) == 1


def _wait_for_lease(harness: PollHarness, instance: int, seconds: float = 5.0) -> None:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        item = dynamodb.get_item(
            TableName=harness.settings.poller_state_table, Key={"instanceId": {"N": str(instance)}}
        ).get("Item", {})
        if "leaseOwner" in item:
            return
        time.sleep(0.01)
    raise AssertionError("the first poll never took the lease")


def test_jobs_and_users_resources(harness: PollHarness) -> None:
    from srevents.domain.resources import default_resource_config

    instance = harness.create_instance(
        **{
            "event.poller.configuration": {
                "jobs": default_resource_config("jobs"),
                "users": default_resource_config("users"),
            }
        }
    )
    harness.clock.advance(10)
    job = harness.store.create_job(title="Engineer")
    user = harness.store.create_user(firstName="Uma")
    harness.clock.advance(60)

    outcome = harness.poll(instance)

    assert [r.result for r in outcome.resources] == ["ok", "ok"]
    events = harness.events(harness.drain())
    assert {(e["objectType"], e["objectId"], e["eventType"]) for e in events} == {
        ("jobs", job["id"], "CREATED"),
        ("users", user["id"], "UPDATED"),  # users carry no creation date
    }


def test_notification_body_matches_the_contract(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(10)
    candidate = harness.store.create_candidate(firstName="Ann")
    harness.clock.advance(60)
    poll_start = harness.clock.now()

    harness.poll(instance)

    [notification] = harness.drain()
    assert notification["_attributes"]["instanceId"] == str(instance)
    assert notification["_attributes"]["notificationId"] == notification["id"]
    assert notification["topic"] == f"instance-{instance}-smartrecruiters-events"
    assert notification["action"] == "create"
    assert notification["severity"] == "medium"
    assert notification["createdDate"] == iso_millis(poll_start)
    message = notification["message"]
    assert message["elementKey"] == "smartrecruiters"
    assert message["eventId"] == notification["id"]
    assert message["instanceId"] == instance and message["instance_id"] == instance
    assert message["accountId"] == message["companyId"] == harness.caller.principal.organization_id
    assert message["userId"] == harness.caller.principal.user_id
    assert message["instanceName"] == "API Instance with Polling"
    assert message["instanceTags"] == ["Docs"]
    assert message["raw"]["objectType"] == "candidates"
    assert message["raw"]["pollDate"] == int(poll_start.timestamp() * 1000)
    assert [r["id"] for r in message["raw"]["candidates"]] == [candidate["id"]]
    assert message["raw"]["candidates"][0] == harness.store.records("candidates")[0]
    [event] = message["events"]
    assert event == {
        "eventType": "CREATED",
        "objectId": candidate["id"],
        "objectType": "candidates",
        "elementKey": "smartrecruiters",
        "hubKey": "humancapital",
        "date": candidate["updatedOn"],
        "pollDate": iso_millis(poll_start),
    }


def test_crash_after_plan_resends_same_ids_and_nothing_new_under_other_ids(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(10)
    for _ in range(25):
        harness.store.create_candidate()
    harness.clock.advance(60)
    queue = harness.poller._queue
    original_send = queue.send

    def crash_after_first_batch(messages):
        original_send(messages[:1])
        raise RuntimeError("Lambda timed out")

    queue.send = crash_after_first_batch
    with pytest.raises(RuntimeError):
        harness.poll(instance)
    queue.send = original_send
    first = harness.drain()
    harness.clock.advance(30)
    late = harness.store.create_candidate()  # a new change before the retry
    harness.clock.advance(60)

    harness.poll(instance)

    second = harness.drain()
    assert len(first) == 1
    resent = [n for n in second if n["id"] == first[0]["id"]]
    assert resent == [] or keys(resent[0]["message"]["events"]) == keys(first[0]["message"]["events"])
    every_version = keys(harness.events(first + [n for n in second if n["id"] != first[0]["id"]]))
    assert Counter(every_version).most_common(1)[0][1] == 1
    assert len(every_version) == 26
    assert late["id"] in {e["objectId"] for e in harness.events(second)}


def test_time_budget_stops_between_pages_and_next_run_resumes(harness: PollHarness) -> None:
    instance = harness.create_instance()
    created = []
    for _ in range(230):
        harness.clock.advance(0.1)
        created.append(harness.store.create_candidate())
    harness.clock.advance(60)

    first = harness.poll(instance, remaining_ms=10_000)  # below the 30 s needed to start another page
    state = harness.state(instance)["candidates"]
    assert first.resources[0].result == "partial" and first.resources[0].pages == 1
    # not moved yet: a first poll that stopped early leaves no watermark (the next run still starts at creation)
    assert state.cursor is not None and state.watermark is None

    harness.clock.advance(60)
    second = harness.poll(instance)
    assert second.resources[0].result == "ok"
    events = harness.events(harness.drain())
    assert Counter(e["objectId"] for e in events) == Counter(c["id"] for c in created)


def test_unreadable_dates_are_skipped_and_counted(harness: PollHarness) -> None:
    instance = harness.create_instance()
    harness.clock.advance(10)
    harness.store.create_candidate()
    original = harness.poller._sr

    class NoDates:
        iter_pages = SmartRecruitersClient.iter_pages

        def __init__(self, client):
            self.client = client

        def listing(self, path):
            return self.client.listing(path)

        def get_page(self, *args, **kwargs):
            page = self.client.get_page(*args, **kwargs)
            for record in page.records:
                record["updatedOn"] = "not a date"
            return page

    harness.poller._sr = lambda key: NoDates(original(key))
    harness.clock.advance(60)
    outcome = harness.poll(instance)
    assert outcome.resources[0].result == "ok"
    assert harness.state(instance)["candidates"].skipped_unreadable == 1
    assert harness.drain() == []


def test_enqueue_failure_keeps_the_plan_so_the_retry_reuses_its_ids(harness: PollHarness) -> None:
    # Given a poll whose enqueue fails after the first notification went out
    instance = harness.create_instance()
    harness.clock.advance(10)
    for _ in range(15):
        harness.clock.advance(1)
        harness.store.create_candidate()
    harness.clock.advance(60)
    queue = harness.poller._queue
    original_send = queue.send

    def fail_after_first(messages):
        original_send(messages[:1])
        raise RuntimeError("SQS unavailable")

    queue.send = fail_after_first
    with pytest.raises(RuntimeError):
        harness.poll(instance)
    queue.send = original_send
    planned = harness.state(instance)["candidates"].pending
    first = harness.drain()

    # When the poll runs again
    harness.clock.advance(60)
    harness.poll(instance)
    second = harness.drain()

    # Then the plan survived the failure and the retry sends the planned notifications under their ids
    planned_ids = [p.id for p in planned]
    assert len(planned_ids) == 2 and [n["id"] for n in first] == planned_ids[:1]
    assert {n["id"] for n in second} == set(planned_ids)  # the first may come again: same id, a re-send
    ids_per_version: dict[tuple[str, str], set[str]] = {}
    for notification in first + second:
        for event in notification["message"]["events"]:
            ids_per_version.setdefault((event["objectId"], event["date"]), set()).add(notification["id"])
    assert len(ids_per_version) == 15
    assert all(len(ids) == 1 for ids in ids_per_version.values())


def test_the_first_poll_never_emits_a_version_from_before_the_instance_existed(harness: PollHarness) -> None:
    # Given a candidate changed 30 s before the instance was created (inside the 60 s lookback)
    before = harness.store.create_candidate(firstName="Before")
    harness.clock.advance(30)
    instance = harness.create_instance()
    harness.clock.advance(5)
    after = harness.store.create_candidate(firstName="After")
    harness.clock.advance(60)

    # When the instance's first poll runs
    harness.poll(instance)

    # Then only the change made after its creation is emitted
    events = harness.events(harness.drain())
    assert [e["objectId"] for e in events] == [after["id"]]
    assert before["id"] not in {e["objectId"] for e in events}


def test_from_the_second_poll_on_the_lookback_applies(harness: PollHarness) -> None:
    # Given an instance whose first poll has run
    instance = harness.create_instance()
    harness.clock.advance(60)
    harness.poll(instance)
    # And a change that SmartRecruiters makes visible only after that poll, dated 20 s before it
    harness.clock.advance(-20)
    late = harness.store.create_candidate(firstName="Late")
    harness.clock.advance(80)

    # When the next poll runs
    harness.poll(instance)

    # Then the lookback catches it
    assert [e["objectId"] for e in harness.events(harness.drain())] == [late["id"]]


# -- the platform's poller keys (docs/DESIGN.md §3) --------------------------------------------------------


def candidates_block(**keys: object) -> dict[str, object]:
    block = seed_body()["configuration"]["event.poller.configuration"]["candidates"]
    return {**block, **keys}


def with_candidates(**keys: object) -> dict[str, object]:
    return {"event.poller.configuration": {"candidates": candidates_block(**keys)}}


def test_page_size_is_the_limit_of_every_page(harness: PollHarness) -> None:
    # Given 25 new candidates and a resource paging by 10
    instance = harness.create_instance(**with_candidates(pageSize=10))
    for _ in range(25):
        harness.clock.advance(0.5)
        harness.store.create_candidate()
    harness.clock.advance(60)
    original = harness.poller._sr
    limits: list[int] = []

    class RecordLimits:
        iter_pages = SmartRecruitersClient.iter_pages

        def __init__(self, client: SmartRecruitersClient) -> None:
            self.client = client

        def listing(self, path):
            return self.client.listing(path)

        def get_page(self, path, params, page_id=None, limit=100, **kwargs):
            limits.append(limit)
            return self.client.get_page(path, params, page_id, limit, **kwargs)

    harness.poller._sr = lambda key: RecordLimits(original(key))

    # When
    outcome = harness.poll(instance)

    # Then three pages were asked for, each with limit=10, and every record became one event
    assert limits == [10, 10, 10]
    assert outcome.resources[0].pages == 3
    assert len(harness.events(harness.drain())) == 25


def test_filter_by_current_date_false_emits_a_record_updated_after_the_start_once(harness: PollHarness) -> None:
    # Given a change stamped just after the poll's start, and filterByCurrentDate false
    instance = harness.create_instance(**with_candidates(filterByCurrentDate=False))
    harness.clock.advance(30)
    early = harness.store.create_candidate(firstName="Early")
    late = harness.store.create_candidate(firstName="Late")
    harness.clock.advance(30)
    poll_start = harness.clock.now()
    harness.store.update_candidate(late["id"], updatedOn=iso_millis(poll_start + timedelta(seconds=1)))

    # When two polls run, the second reading it again within its lookback
    harness.poll(instance)
    first = harness.events(harness.drain())
    harness.clock.advance(30)
    second_outcome = harness.poll(instance)
    second = harness.events(harness.drain())

    # Then the first poll emits it, and the remembered version keeps the second from sending it again
    assert sorted(e["objectId"] for e in first) == sorted([early["id"], late["id"]])
    assert second_outcome.resources[0].records_read >= 1
    assert second == []


def test_filter_by_updated_date_false_emits_what_the_url_returns_below_the_bound(harness: PollHarness) -> None:
    # Given a record last updated long before, and URLs that do not filter by date
    harness.clock.advance(-7200)
    old = harness.store.create_candidate(firstName="Old")
    harness.clock.advance(7200)
    unfiltered = "/hubs/humancapital/candidates"
    default = harness.create_instance(**with_candidates(url=unfiltered))
    no_filter = harness.create_instance(**with_candidates(url=unfiltered, filterByUpdateDate=False))

    # When each polls twice
    events = {}
    for instance in (default, no_filter):
        harness.clock.advance(60)
        harness.poll(instance)
        first = harness.events(harness.drain())
        harness.clock.advance(60)
        harness.poll(instance)
        events[instance] = (first, harness.events(harness.drain()))

    # Then the default drops it; without the filter the first poll still starts at the instance's creation,
    # and from the second poll on what the URL returns is emitted
    assert events[default] == ([], [])
    first, second = events[no_filter]
    assert first == []
    assert [e["objectId"] for e in second] == [old["id"]]


def test_filter_by_updated_date_false_with_a_dated_url_emits_each_version_once(harness: PollHarness) -> None:
    instance = harness.create_instance(**with_candidates(filterByUpdatedDate=False))
    changes = []
    for _ in range(3):
        harness.clock.advance(20)
        changes.append(harness.store.create_candidate())
        harness.clock.advance(20)
        harness.store.update_candidate(changes[-1]["id"], firstName="x")
        harness.poll(instance)  # the lookback (60 s) overlaps the previous poll's window

    events = harness.events(harness.drain())
    assert Counter(keys(events)).most_common(1)[0][1] == 1
    assert {e["objectId"] for e in events} == {c["id"] for c in changes}
