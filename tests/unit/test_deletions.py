"""Deletions from the audit log (domain/deletions.py): the window, classification, merges, order with changes,
the version key, and how a DELETED event is written into a notification."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from srevents.clock import iso_millis, to_millis
from srevents.domain import notifications
from srevents.domain.changes import UPDATED, Event, version_key
from srevents.domain.deletions import (
    DELETED,
    audit_query,
    deletion_version,
    detect_deletions,
    in_date_order,
    merged_into,
)
from srevents.domain.notifications import InstanceContext
from srevents.domain.poller_state import Cursor, ResourceState, decode_state, encode_state

LOWER = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)
UPPER = LOWER + timedelta(minutes=15)


def audit(entity_id: str, when: datetime, name: str = "CANDIDATE_DELETED", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"audit-{entity_id}-{name}",
        "eventName": name,
        "eventDate": iso_millis(when),
        "authorType": "USER",
        "entityType": "JOB" if name.startswith("JOB") else "CANDIDATE",
        "entityId": entity_id,
        **extra,
    }


def detect(events: list[dict[str, Any]], resource: str = "candidates", remembered: frozenset[bytes] = frozenset()):
    return detect_deletions(events, resource, lower=LOWER, upper=UPPER, remembered=remembered)


# --- the version key --------------------------------------------------------------------------------------
def test_a_deletion_version_names_the_record_not_the_date_so_both_paths_agree() -> None:
    # Given the same record deleted, as the audit log and a webhook would date it
    # When its deletion versions are computed
    # Then they are equal, 8 bytes, and differ per resource and record
    assert deletion_version("candidates", "c-1") == deletion_version("candidates", "c-1")
    assert len(deletion_version("candidates", "c-1")) == 8
    assert deletion_version("candidates", "c-1") != deletion_version("candidates", "c-2")
    assert deletion_version("candidates", "c-1") != deletion_version("jobs", "c-1")


def test_a_deletion_version_never_equals_an_update_version_of_the_same_record() -> None:
    versions = {version_key("candidates", "c-1", LOWER + timedelta(milliseconds=ms)) for ms in range(2000)}
    assert deletion_version("candidates", "c-1") not in versions


# --- the window -------------------------------------------------------------------------------------------
def test_the_audit_query_asks_for_a_millisecond_more_on_each_side_and_repeats_eventName() -> None:
    query = audit_query("candidates", LOWER, UPPER)

    assert query == {
        "eventName": ["CANDIDATE_DELETED", "CANDIDATE_DELETED_DUE_TO_MERGE"],
        "eventDateAfter": "2026-11-29T09:59:59.999Z",
        "eventDateBefore": "2026-11-29T10:15:00.001Z",
    }
    assert audit_query("jobs", LOWER, UPPER)["eventName"] == ["JOB_DELETED"]


def test_the_window_excludes_its_lower_bound_and_includes_the_poll_start() -> None:
    # Given deletions dated exactly at both bounds and a millisecond beyond each
    found = detect(
        [
            audit("at-lower", LOWER),
            audit("after-lower", LOWER + timedelta(milliseconds=1)),
            audit("at-upper", UPPER),
            audit("after-upper", UPPER + timedelta(milliseconds=1)),
        ]
    )

    # Then only (lower, upper] is emitted; the rest is counted as another poll's
    assert [e.object_id for e in found.events] == ["after-lower", "at-upper"]
    assert (found.read, found.outside) == (4, 2)


# --- classification ---------------------------------------------------------------------------------------
def test_each_deletion_becomes_a_DELETED_event_with_the_audit_event_as_raw() -> None:
    event = audit("c-1", LOWER + timedelta(seconds=5))

    [deleted] = detect([event]).events

    assert deleted.event_type == DELETED
    assert (deleted.object_id, deleted.object_type) == ("c-1", "candidates")
    assert deleted.updated == LOWER + timedelta(seconds=5)
    assert json.loads(deleted.raw) == event
    assert deleted.version == deletion_version("candidates", "c-1")
    assert deleted.merged_into is None


def test_a_candidate_deleted_by_a_merge_names_the_profile_it_was_merged_into() -> None:
    event = audit(
        "dup", LOWER + timedelta(seconds=1), "CANDIDATE_DELETED_DUE_TO_MERGE", context={"masterProfileId": "master"}
    )

    [deleted] = detect([event]).events

    assert deleted.merged_into == "master"
    assert merged_into({**event, "context": {}}) is None
    assert merged_into({**event, "eventName": "CANDIDATE_DELETED"}) is None


def test_unreadable_and_foreign_audit_events_are_counted_not_emitted() -> None:
    when = LOWER + timedelta(seconds=1)
    found = detect(
        [
            audit("", when),
            {**audit("no-date", when), "eventDate": "yesterday"},
            {**audit("naive", when), "eventDate": "2026-11-29T10:00:01"},
            audit("job", when, "JOB_DELETED"),  # not a candidates' deletion
            audit("opened", when, "CANDIDATE_PROFILE_OPENED"),
            audit("ok", when),
        ]
    )

    assert [e.object_id for e in found.events] == ["ok"]
    assert (found.read, found.unreadable) == (6, 5)


def test_remembered_deletions_are_not_emitted_again() -> None:
    found = detect(
        [audit("c-1", LOWER + timedelta(seconds=1)), audit("c-2", LOWER + timedelta(seconds=2))],
        remembered=frozenset({deletion_version("candidates", "c-1")}),
    )

    assert [e.object_id for e in found.events] == ["c-2"]
    assert found.already_emitted == 1


def test_a_record_logged_as_deleted_twice_is_emitted_once_with_the_earliest_date() -> None:
    later = audit("c-1", LOWER + timedelta(seconds=9))
    earlier = audit("c-1", LOWER + timedelta(seconds=3), "CANDIDATE_DELETED_DUE_TO_MERGE")

    [deleted] = detect([later, earlier]).events

    assert deleted.updated == LOWER + timedelta(seconds=3)


def test_deletions_come_out_oldest_first_whatever_order_the_pages_had() -> None:
    events = [audit(f"c-{i}", LOWER + timedelta(seconds=60 - i)) for i in range(5)]

    found = detect(events)

    assert [e.object_id for e in found.events] == ["c-4", "c-3", "c-2", "c-1", "c-0"]


# --- order with changes -----------------------------------------------------------------------------------
def _change(object_id: str, seconds: float) -> Event:
    when = LOWER + timedelta(seconds=seconds)
    return Event(UPDATED, object_id, "candidates", when, b"{}", version_key("candidates", object_id, when))


def test_changes_and_deletions_are_merged_by_date_a_change_first_at_the_same_millisecond() -> None:
    deletions = detect([audit("a", LOWER + timedelta(seconds=2)), audit("b", LOWER + timedelta(seconds=5))]).events
    changes = [_change("a", 2), _change("c", 1), _change("d", 7)]

    merged = in_date_order(changes, deletions)

    assert [(e.object_id, e.event_type) for e in merged] == [
        ("c", UPDATED),
        ("a", UPDATED),
        ("a", DELETED),
        ("b", DELETED),
        ("d", UPDATED),
    ]


# --- the notification -------------------------------------------------------------------------------------
def test_a_DELETED_event_in_a_notification_carries_the_audit_event_and_mergedInto() -> None:
    ctx = InstanceContext(7, 1, 1, "demo", ())
    merge = audit(
        "dup", LOWER + timedelta(seconds=1), "CANDIDATE_DELETED_DUE_TO_MERGE", context={"masterProfileId": "m"}
    )
    events = in_date_order([_change("m", 0.5)], detect([merge, audit("c-9", LOWER + timedelta(seconds=3))]).events)

    [notification] = notifications.build(ctx, "candidates", events, UPPER)
    body = json.loads(notification.body)

    shown = body["message"]["events"]
    assert [(e["eventType"], e["objectId"]) for e in shown] == [
        ("UPDATED", "m"),
        ("DELETED", "dup"),
        ("DELETED", "c-9"),
    ]
    assert shown[1]["mergedInto"] == "m" and "mergedInto" not in shown[2]
    assert shown[1]["date"] == "2026-11-29T10:00:01.000Z"
    assert body["message"]["raw"]["candidates"][1] == merge
    # the same events make the same notification id: a re-sent deletion keeps its id
    assert notifications.build(ctx, "candidates", events, UPPER)[0].id == notification.id


@pytest.mark.parametrize("resource", ["candidates", "jobs"])
def test_deletion_names_per_resource(resource: str) -> None:
    name = "JOB_DELETED" if resource == "jobs" else "CANDIDATE_DELETED"
    [deleted] = detect([audit("x", LOWER + timedelta(seconds=1), name)], resource=resource).events
    assert deleted.object_type == resource


# --- the cursor a poll short of time saves ------------------------------------------------------------------
@pytest.mark.parametrize(
    "cursor",
    [
        Cursor("p-7", UPPER),
        Cursor(None, UPPER, "audit-3"),
        Cursor("p-2", UPPER, None, audit_done=True),
    ],
)
def test_a_cursor_with_its_audit_position_survives_storage(cursor: Cursor) -> None:
    state = ResourceState(watermark=LOWER, cursor=cursor)

    assert decode_state(encode_state(state)).cursor == cursor


def test_a_cursor_stored_before_the_audit_position_existed_reads_the_audit_log_again() -> None:
    stored = {"cursor": {"pageId": "p-7", "runStart": 1_796_601_856_175}}

    cursor = decode_state(stored).cursor

    assert cursor is not None and (cursor.page_id, cursor.audit_page_id, cursor.audit_done) == ("p-7", None, False)


def test_a_remembered_deletion_read_again_reports_its_audit_date_to_keep_it_remembered() -> None:
    version = deletion_version("candidates", "c-1")

    found = detect([audit("c-1", LOWER + timedelta(seconds=7))], remembered=frozenset({version}))

    assert found.events == []
    assert found.still_remembered == {version: to_millis(LOWER + timedelta(seconds=7))}
