"""Real time, the pure part (docs/DESIGN.md, "Real time"): the vendor type, the events a subscription names,
what a callback is about, the versions both paths share, and the poller state that carries them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from srevents.domain.changes import CREATED, UPDATED, Event, detect_changes, version_key
from srevents.domain.deletions import deletion_version
from srevents.domain.instance_config import (
    API_KEY,
    CALLBACK_URL,
    ENABLED,
    POLLER_CONFIGURATION,
    VENDOR_TYPE,
    CallbackPolicy,
    validate_configuration,
)
from srevents.domain.poller_config import resource_configs
from srevents.domain.poller_state import PendingDeletion, ResourceState, decode_state, encode_state, present_state
from srevents.domain.resources import default_resource_config
from srevents.domain.webhooks import (
    DELETED,
    callback_target,
    event_id_key,
    events_to_send,
    in_object_order,
    inbound_url,
    object_marker,
    sent_markers,
    subscription_events,
    unsent_deletions,
)
from srevents.errors import ValidationError

POLICY = CallbackPolicy()
CALLBACK = "https://93.184.216.34/hook"  # a public IP literal: no DNS asked
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def configuration(**keys: Any) -> dict[str, Any]:
    return {API_KEY: "k", ENABLED: True, CALLBACK_URL: CALLBACK, **keys}


def test_webhook_is_a_vendor_type_and_keeps_the_poller_settings() -> None:
    normalized, _ = validate_configuration(configuration(**{VENDOR_TYPE: "webhook"}), POLICY)

    assert normalized[VENDOR_TYPE] == "webhook"
    assert list(normalized[POLLER_CONFIGURATION]) == ["candidates"]
    assert normalized["event.poller.refresh_interval"] == 15


@pytest.mark.parametrize("value", ["push", "Webhook", "webhooks", 1, True])
def test_other_vendor_types_are_refused_naming_both(value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_configuration(configuration(**{VENDOR_TYPE: value}), POLICY)

    assert refused.value.field == f"configuration.{VENDOR_TYPE}"
    assert '"polling" or "webhook"' in refused.value.problem


def test_webhooks_for_resources_without_any_are_refused() -> None:
    # Given an instance polling only users (SmartRecruiters has no user webhooks)
    users_only = {"users": default_resource_config("users")}

    with pytest.raises(ValidationError) as refused:
        validate_configuration(configuration(**{VENDOR_TYPE: "webhook", POLLER_CONFIGURATION: users_only}), POLICY)

    assert refused.value.field == f"configuration.{VENDOR_TYPE}"
    assert "users" in refused.value.problem


def test_the_subscription_names_the_events_of_the_resources_that_have_them() -> None:
    assert subscription_events(["candidates"]) == ("candidate.created", "candidate.updated", "candidate.deleted")
    assert subscription_events(["users", "jobs"]) == ("job.created", "job.updated")
    assert subscription_events(["users"]) == ()


def test_the_inbound_url_is_under_the_apis_base() -> None:
    assert inbound_url("https://api.example.test/v1/", 42) == "https://api.example.test/v1/events/smartrecruiters/42"


@pytest.mark.parametrize(
    ("event", "body", "resources", "expected"),
    [
        ("candidate.updated", {"id": "c1"}, ["candidates"], ("candidates", "c1", False, "/candidates/c1")),
        ("candidate.deleted", {"id": "c1"}, ["candidates"], ("candidates", "c1", True, "/candidates/c1")),
        ("job.created", {"id": "j1"}, ["candidates", "jobs"], ("jobs", "j1", False, "/jobs/j1")),
    ],
)
def test_a_callback_names_one_object_of_a_configured_resource(
    event: str, body: Any, resources: list[str], expected: tuple[Any, ...]
) -> None:
    target = callback_target(event, body, resources)

    assert target is not None
    assert (target.resource, target.object_id, target.deleted, target.record_path) == expected


@pytest.mark.parametrize(
    ("event", "body", "resources"),
    [
        ("job.created", {"id": "j1"}, ["candidates"]),  # not a configured resource
        ("application.created", {"job_id": "j", "candidate_id": "c"}, ["candidates"]),  # no resource of ours
        ("candidate.created", {"id": ""}, ["candidates"]),
        ("candidate.created", {"id": 7}, ["candidates"]),
        ("candidate.created", {"id": "../users"}, ["candidates"]),  # it becomes part of a path
        ("candidate.created", {"id": "a?b"}, ["candidates"]),
        ("candidate.created", {"id": "x" * 201}, ["candidates"]),
        ("candidate.created", ["c1"], ["candidates"]),
        ("candidate.created", None, ["candidates"]),
    ],
)
def test_a_callback_about_nothing_usable_names_no_object(event: str, body: Any, resources: list[str]) -> None:
    assert callback_target(event, body, resources) is None


def test_versions_and_event_ids_are_8_byte_names_stable_across_paths() -> None:
    assert deletion_version("candidates", "c1") == deletion_version("candidates", "c1")
    assert deletion_version("candidates", "c1") != deletion_version("jobs", "c1")
    assert deletion_version("candidates", "c1") != version_key("candidates", "c1", T0)
    assert len(event_id_key("123")) == 8 and event_id_key("123") != event_id_key("124")


def _event(kind: str, object_id: str = "c1", seconds: int = 0) -> Event:
    when = T0.replace(second=seconds)
    return Event(kind, object_id, "candidates", when, b"{}", version_key("candidates", object_id, when))


def test_an_objects_creation_is_announced_once() -> None:
    # Given a CREATED already sent for c1 (its marker remembered)
    remembered = sent_markers([_event(CREATED)], {})
    assert remembered == {object_marker("candidates", "c1"): _event(CREATED).updated_ms}

    # Then a later CREATED of c1 is an UPDATED; another object's CREATED stays
    later = in_object_order([_event(CREATED), _event(CREATED, "c2"), _event(UPDATED)], remembered)
    assert [(e.object_id, e.event_type) for e in later] == [("c1", UPDATED), ("c2", CREATED), ("c1", UPDATED)]


def test_no_older_version_follows_a_newer_one_nor_anything_a_deletion() -> None:
    # Given c1's version at :20 sent, and c2's deletion sent
    remembered = {**sent_markers([_event(UPDATED, "c1", 20)], {}), deletion_version("candidates", "c2"): 1}

    # Then c1 at :10 (a lagging search) is dropped, c1 at :30 goes, and nothing of c2 goes but its deletion
    kept = in_object_order(
        [_event(UPDATED, "c1", 10), _event(UPDATED, "c2", 15), _event(UPDATED, "c1", 30)], remembered
    )
    assert [(e.object_id, e.updated.second) for e in kept] == [("c1", 30)]
    # and the marker never goes back
    assert sent_markers([_event(UPDATED, "c1", 5)], remembered)[object_marker("candidates", "c1")] == (
        _event(UPDATED, "c1", 20).updated_ms
    )


def test_pending_deletions_join_the_events_in_date_order_until_sent() -> None:
    # Given c9's deletion pending (at :15), and an update of c1 at :10 and :20
    gone = PendingDeletion("c9", _event(UPDATED, "c9", 15).updated_ms, b'{"id":"c9"}')
    state = ResourceState(pending_deletions=(gone,))

    # Then the deletion is sent between them, and once sent it is no longer pending
    events = events_to_send([_event(UPDATED, "c1", 10), _event(UPDATED, "c1", 20)], "candidates", state)
    assert [(e.event_type, e.object_id) for e in events] == [(UPDATED, "c1"), (DELETED, "c9"), (UPDATED, "c1")]
    assert unsent_deletions("candidates", state, [events[1].version]) == ()
    assert unsent_deletions("candidates", state, [events[0].version]) == (gone,)
    # and the poller state keeps it across a save
    assert decode_state(encode_state(state)).pending_deletions == (gone,)


def test_a_version_either_path_remembers_is_not_an_event_again() -> None:
    # Given the version a webhook sent, remembered in the shared state
    config = resource_configs({POLLER_CONFIGURATION: {"candidates": default_resource_config("candidates")}})[0]
    record = {"id": "c1", "createdOn": "2026-11-29T10:00:05.000Z", "updatedOn": "2026-11-29T10:00:09.000Z"}
    first = detect_changes([record], config, watermark=T0, lower=T0, poll_start=T0.replace(minute=5), remembered=set())
    [sent] = first.events
    state = ResourceState(remembered={sent.version: sent.updated_ms})

    # When a poll reads the same record
    again = detect_changes(
        [record], config, watermark=T0, lower=T0, poll_start=T0.replace(minute=15), remembered=set(state.remembered)
    )

    # Then it is not an event again
    assert again.events == [] and again.already_emitted == 1


def test_the_webhook_fields_survive_the_stored_form() -> None:
    state = ResourceState(
        webhook_events=5,
        caught_by_reconciliation=2,
        callbacks=9,
        duplicate_callbacks=1,
        deferred_to_poll=3,
        webhook_failures=1,
        last_callback="2026-11-29T10:00:00.000Z",
        last_webhook_error="SmartRecruitersError: 503",
        recent_event_ids={event_id_key("a"): 1, event_id_key("b"): 2},
    )

    assert decode_state(encode_state(state)) == state
    shown = present_state("candidates", state)
    assert (shown["webhookEvents"], shown["caughtByReconciliation"], shown["lastCallback"]) == (
        5,
        2,
        "2026-11-29T10:00:00.000Z",
    )
    assert "recentEventIds" not in shown  # bookkeeping, not status
