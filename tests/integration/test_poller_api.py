"""The poller's routes: status, poll now, replay."""

from __future__ import annotations

import pytest

from srevents.adapters.poll_trigger import PollTrigger
from srevents.clock import iso_millis
from srevents.errors import ValidationError
from srevents.services.poller_control import PollerControl
from srevents.wiring import poller_control
from tests.support.api_client import ApiClient, Credentials
from tests.support.fixtures import seed_body
from tests.support.poll_harness import PollHarness


@pytest.fixture
def control(harness: PollHarness) -> PollerControl:
    return poller_control(harness.settings, harness.clock)


def test_status_before_the_first_poll_starts_at_creation(api: ApiClient, org: Credentials) -> None:
    instance = api.post("/instances", auth=org, json_body=seed_body()).body

    reply = api.get(f"/instances/{instance['id']}/poller", auth=org)

    assert reply.status == 200
    assert reply.body["pollInProgress"] is False
    [resource] = reply.body["resources"]
    assert resource["resource"] == "candidates"
    assert resource["watermark"] == instance["createdDate"]
    assert resource["lastResult"] is None


def test_poll_now_invokes_the_poll_function_asynchronously(
    api: ApiClient, org: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    monkeypatch.setattr(PollTrigger, "trigger", lambda self, instance_id: calls.append((self._function, instance_id)))
    instance = api.post("/instances", auth=org, json_body=seed_body()).body

    reply = api.post(f"/instances/{instance['id']}/events/poll", auth=org)

    assert reply.status == 202
    assert calls == [(api.resources.attrs[("PollFunction", "Arn")], instance["id"])]


def test_poll_now_on_disabled_instance_is_409(api: ApiClient, org: Credentials) -> None:
    instance = api.post("/instances", auth=org, json_body=seed_body()).body
    api.delete(f"/instances/{instance['id']}/enabled", auth=org)
    assert api.post(f"/instances/{instance['id']}/events/poll", auth=org).status == 409


def test_poller_routes_hide_other_organizations(api: ApiClient, org: Credentials, other_org: Credentials) -> None:
    instance = api.post("/instances", auth=org, json_body=seed_body()).body
    path = f"/instances/{instance['id']}"
    assert api.get(f"{path}/poller", auth=other_org).status == 404
    assert api.post(f"{path}/events/poll", auth=other_org).status == 404
    assert api.post(f"{path}/poller/replay", auth=other_org, json_body={"since": "2026-01-01T00:00:00Z"}).status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
        ({"since": "2999-01-01T00:00:00Z"}, "since"),
        ({"since": "2026-01-01T00:00:00Z", "resources": ["jobs"]}, "resources[0]"),
        ({"since": "2026-01-01T00:00:00Z", "resources": []}, "resources"),
        ({"since": "2026-01-01T00:00:00Z", "from": 1}, "from"),
    ],
)
def test_replay_validation(api: ApiClient, org: Credentials, body: dict, field: str) -> None:
    instance = api.post("/instances", auth=org, json_body=seed_body()).body
    reply = api.post(f"/instances/{instance['id']}/poller/replay", auth=org, json_body=body)
    assert reply.status == 400
    assert reply.body["field"] == field


def test_status_after_polls_shows_counts_and_errors(harness: PollHarness, control: PollerControl) -> None:
    instance_id = harness.create_instance()
    harness.clock.advance(10)
    harness.store.create_candidate()
    harness.clock.advance(60)
    poll_start = harness.clock.now()
    harness.poll(instance_id)

    status = control.status(harness.instances._instances.get(instance_id))

    [resource] = status["resources"]
    assert resource["lastResult"] == "ok"
    assert resource["recordsRead"] == 1 and resource["eventsEmitted"] == 1
    assert resource["watermark"] == iso_millis(poll_start)
    assert resource["consecutiveFailures"] == 0


def test_replay_re_emits_the_same_versions_with_the_same_notification_ids(
    harness: PollHarness, control: PollerControl
) -> None:
    # Given a first poll that emitted 12 changes in two notifications
    instance_id = harness.create_instance()
    created_at = harness.clock.now()
    harness.clock.advance(10)
    for _ in range(12):
        harness.clock.advance(1)
        harness.store.create_candidate()
    harness.clock.advance(60)
    harness.poll(instance_id)
    first = harness.drain()
    assert len(first) == 2

    # When the watermark is moved back to the instance's creation and the poller runs again
    harness.clock.advance(120)
    instance = harness.instances._instances.get(instance_id)
    control.replay(instance, {"since": iso_millis(created_at)})
    harness.poll(instance_id)
    second = harness.drain()

    # Then the same versions come again under the same ids (not swallowed by SQS deduplication)
    assert [n["id"] for n in second] == [n["id"] for n in first]
    assert [n["message"]["events"][0]["date"] for n in second] == [n["message"]["events"][0]["date"] for n in first]
    assert second[0]["_attributes"]["generation"] == "1"


def test_replay_while_a_poll_holds_the_lease_is_refused(harness: PollHarness, control: PollerControl) -> None:
    instance_id = harness.create_instance()
    harness.poller._state.acquire(instance_id, "someone", 0, 2**62)
    instance = harness.instances._instances.get(instance_id)
    with pytest.raises(Exception, match="poll is running"):
        control.replay(instance, {"since": iso_millis(harness.clock.now())})


def test_replay_since_must_parse(harness: PollHarness, control: PollerControl) -> None:
    instance = harness.instances._instances.get(harness.create_instance())
    with pytest.raises(ValidationError):
        control.replay(instance, {"since": 5})
