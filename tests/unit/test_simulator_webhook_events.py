"""The simulator's webhook signing (the vendor's vector), the events record changes raise, and callback faults."""

from __future__ import annotations

import json
import random

import pytest

from devstack.smartrecruiters.callbacks import WebhookTimings
from devstack.smartrecruiters.faults import CallbackFaults
from devstack.smartrecruiters.records import RecordChange
from devstack.smartrecruiters.webhook_events import application_id, events_for
from devstack.smartrecruiters.webhook_signing import signature, signature_header, signed_content

BASE = "https://api.smartrecruiters.com"


# --- signing --------------------------------------------------------------------------------------
def test_the_vendor_vector() -> None:
    content = signed_content(
        "1574080897",
        '{"job_id":"jid","candidate_id":"cid"}',
        "123",
        "application.created",
        "v201910",
        "<http://smartrecruiters.com/endpoint>; rel=self",
    )

    assert content == (
        '1574080897.{"job_id":"jid","candidate_id":"cid"}.123.application.created.v201910.'
        "<http://smartrecruiters.com/endpoint>; rel=self"
    )
    assert signature("HeBVky2bccvvkcXPimH8c", content) == (
        "v1=2e9291f10d44ca10204a4cd81b05d73b6a316b2b605d4e2e0e0b37b40198ce1f"
    )


def test_several_keys_give_several_signatures_in_the_order_given() -> None:
    content = signed_content("1", "{}", "e", "candidate.deleted", "v201910", "")

    header = signature_header(["new-key", "old-key"], content)

    assert header.split(";") == [signature("new-key", content), signature("old-key", content)]
    assert signature("new-key", content) != signature("old-key", content)


# --- events ---------------------------------------------------------------------------------------
def candidate(**fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": "c1",
        "firstName": "Anna",
        "tags": [],
        "updatedOn": "2026-12-01T10:00:00.000Z",
        "primaryAssignment": {"job": {"id": "j1"}, "status": "NEW"},
        "secondaryAssignments": [],
    }
    return {**record, **fields}


def names(change: RecordChange) -> list[str]:
    return [e.name for e in events_for(change, BASE)]


def test_a_new_candidate_is_created_and_applies() -> None:
    events = events_for(RecordChange("candidates", "created", "c1", None, candidate()), BASE)

    assert [e.name for e in events] == ["candidate.created", "application.created"]
    assert json.loads(events[0].body) == {"id": "c1"}
    assert events[0].link == f"<{BASE}/candidates/c1>; rel=self"
    assert json.loads(events[1].body) == {
        "job_id": "j1",
        "candidate_id": "c1",
        "application_id": application_id("c1", "j1"),
    }
    assert events[1].link == f"<{BASE}/candidates/c1/jobs/j1>; rel=self"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (candidate(tags=["python"]), ["candidate.updated"]),
        (candidate(firstName="Anne"), ["candidate.updated"]),
        (candidate(updatedOn="2026-12-02T10:00:00.000Z"), []),  # not a property the vendor lists
        (candidate(primaryAssignment={"job": {"id": "j1"}, "status": "HIRED"}), ["application.status.updated"]),
        (candidate(secondaryAssignments=[{"job": {"id": "j2"}}]), ["application.created"]),
    ],
)
def test_candidate_updates_raise_what_the_vendor_lists(after: dict[str, object], expected: list[str]) -> None:
    assert names(RecordChange("candidates", "updated", "c1", candidate(), after)) == expected


def test_a_deleted_candidate_has_no_link() -> None:
    (event,) = events_for(RecordChange("candidates", "deleted", "c1", candidate(), None), BASE)

    assert (event.name, json.loads(event.body), event.link) == ("candidate.deleted", {"id": "c1"}, None)


def test_jobs_raise_created_updated_and_status_updated_but_nothing_on_deletion() -> None:
    job = {"id": "j1", "title": "Nurse", "status": "SOURCING", "lastActivityOn": "x"}

    assert names(RecordChange("jobs", "created", "j1", None, job)) == ["job.created"]
    assert names(RecordChange("jobs", "updated", "j1", job, {**job, "title": "Doctor"})) == ["job.updated"]
    assert names(RecordChange("jobs", "updated", "j1", job, {**job, "status": "FILLED"})) == ["job.status.updated"]
    assert names(RecordChange("jobs", "updated", "j1", job, {**job, "lastActivityOn": "y"})) == []
    assert names(RecordChange("jobs", "deleted", "j1", job, None)) == []
    assert names(RecordChange("users", "created", "u1", None, {"id": "u1"})) == []


# --- callback faults ------------------------------------------------------------------------------
def test_counted_faults_are_used_up_and_kinds_combine() -> None:
    faults = CallbackFaults(random.Random(0))
    faults.add("drop", count=1, event_name="job.created")
    faults.add("duplicate", count=2)

    assert set(faults.take("candidate.created")) == {"duplicate"}
    assert set(faults.take("job.created")) == {"drop", "duplicate"}
    assert faults.take("job.created") == {}


def test_a_fraction_hits_about_that_share_until_cleared() -> None:
    faults = CallbackFaults(random.Random(1))
    faults.add("reorder", fraction=0.25)

    hits = sum("reorder" in faults.take("job.updated") for _ in range(2000))
    faults.clear()

    assert 400 < hits < 600
    assert faults.take("job.updated") == {}


@pytest.mark.parametrize(
    ("kind", "arguments"),
    [
        ("lose", {"count": 1}),
        ("drop", {}),
        ("drop", {"count": 1, "fraction": 0.5}),
        ("drop", {"count": 0}),
        ("drop", {"fraction": 1.5}),
        ("delay", {"count": 1}),
    ],
)
def test_bad_faults_are_refused(kind: str, arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CallbackFaults(random.Random(0)).add(kind, **arguments)  # type: ignore[arg-type]


def test_scaling_shortens_the_waits_but_not_the_answer_timeouts() -> None:
    timings = WebhookTimings()

    fast = timings.scaled(60)

    assert fast.retry_delays[:3] == (1.0, 3.0, 10.0)  # the vendor's 1, 3, 10 minutes, 60 times faster
    assert len(fast.retry_delays) == 10  # the vendor's "up to 10 times"
    assert (fast.callback_timeout, fast.handshake_timeout) == (5.0, 20.0)
    with pytest.raises(ValueError):
        timings.scaled(0)
