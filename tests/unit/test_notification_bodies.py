"""Notification bodies (docs/DESIGN.md §5) are put together around each record's compact JSON bytes: pinned to be
byte for byte what dumping the whole body in one piece writes (how they were built before), with the
same ids, order and grouping."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srevents.domain import notifications
from srevents.domain.changes import Event, detect_changes
from srevents.domain.instance_config import POLLER_CONFIGURATION
from srevents.domain.notifications import InstanceContext, topic
from srevents.domain.poller_config import resource_configs
from srevents.domain.records import compact
from srevents.domain.resources import ELEMENT_KEY, HUB, default_resource_config

CONFIG = resource_configs({POLLER_CONFIGURATION: {"candidates": default_resource_config("candidates")}})[0]
CTX = InstanceContext(42, 7, 9, "Recrutement — équipe 東京 🚀", ("prod", "ünï", 'quote"d'))
WATERMARK = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
POLL_START = WATERMARK + timedelta(hours=1)
POLL_DATE = POLL_START + timedelta(seconds=5)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sample_records(count: int) -> list[dict[str, Any]]:
    """Records with unicode, escapes, nested objects, floats and every JSON type; deterministic."""
    records = []
    for i in range(count):
        updated = WATERMARK + timedelta(seconds=10 + i)
        records.append(
            {
                "id": f"c-{i:04d}",
                "firstName": ["Zoë", "José", "Ngọc", "李", "Ωmega", "😀 emoji", 'Quo"te\\'][i % 7],
                "lastName": "Line\nbreak\ttab\u2028sep\x01ctl",
                "email": f"user{i}@example.test",
                "score": [0.1, 1e-7, 1e300, -0.0, 3.0, 123456789.125, 2.5e-308][i % 7],
                "big": 2**70 + i,
                "flags": {"active": i % 2 == 0, "tags": [], "none": None, "empty": {}},
                "location": {"city": "Kraków", "geo": {"lat": 50.06143, "lng": 19.93658}, "list": [1, "two", 3.5]},
                "createdOn": iso(updated if i % 3 else updated - timedelta(days=3)),
                "updatedOn": iso(updated),
            }
        )
    return records


def events_of(records: list[dict[str, Any]]) -> list[Event]:
    return detect_changes(records, CONFIG, watermark=WATERMARK, poll_start=POLL_START, remembered=frozenset()).events


def reference_body(
    ctx: InstanceContext,
    object_type: str,
    events: list[Event],
    records: dict[str, dict[str, Any]],
    poll_date: datetime,
    nid: str,
    omit_raw: frozenset[str] = frozenset(),
) -> bytes:
    """The body as it was built before: the whole dict, records included, dumped in one piece."""
    poll_iso = notifications.iso_millis(poll_date)
    shown = []
    for e in events:
        event: dict[str, Any] = {
            "eventType": e.event_type,
            "objectId": e.object_id,
            "objectType": e.object_type,
            "elementKey": ELEMENT_KEY,
            "hubKey": HUB,
            "date": notifications.iso_millis(e.updated),
            "pollDate": poll_iso,
        }
        if e.object_id in omit_raw:
            event["rawOmitted"] = True
        shown.append(event)
    body = {
        "id": nid,
        "topic": topic(ctx.instance_id),
        "action": "create",
        "severity": "medium",
        "createdDate": poll_iso,
        "message": {
            "elementKey": ELEMENT_KEY,
            "eventId": nid,
            "accountId": ctx.organization_id,
            "companyId": ctx.organization_id,
            "userId": ctx.user_id,
            "instanceId": ctx.instance_id,
            "instance_id": ctx.instance_id,
            "instanceName": ctx.name,
            "instanceTags": list(ctx.tags),
            "raw": {
                object_type: [records[e.object_id] for e in events if e.object_id not in omit_raw],
                "pollDate": notifications.to_millis(poll_date),
                "objectType": object_type,
            },
            "events": shown,
        },
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_an_event_keeps_its_record_as_compact_json() -> None:
    records = sample_records(7)
    events = events_of(records)
    by_id = {r["id"]: r for r in records}
    for event in events:
        assert event.raw == json.dumps(by_id[event.object_id], separators=(",", ":"), ensure_ascii=False).encode()
        parsed = event.record
        assert json.dumps(parsed) == json.dumps(by_id[event.object_id])  # -0.0, 1e300 and big ints survive


def test_detection_keeps_no_reference_to_the_parsed_records() -> None:
    records = sample_records(3)
    before = [compact(r) for r in records]
    events = events_of(records)
    for record in records:  # whatever happens to the dicts afterwards, the events do not see it
        record["firstName"] = "changed"
        record["location"]["city"] = "changed"
    assert sorted(e.raw for e in events) == sorted(before)


def test_detection_reads_records_one_at_a_time_from_a_generator() -> None:
    records = sample_records(5)
    consumed: list[int] = []

    def stream():
        for i, record in enumerate(records):
            consumed.append(i)
            yield record

    result = detect_changes(stream(), CONFIG, watermark=WATERMARK, poll_start=POLL_START, remembered=frozenset())
    assert consumed == [0, 1, 2, 3, 4] and result.records_read == 5 and len(result.events) == 5


def test_render_matches_the_body_dumped_in_one_piece() -> None:
    records = sample_records(10)
    events = events_of(records)
    by_id = {r["id"]: r for r in records}
    nid = notifications.notification_id(CTX.instance_id, "candidates", events)
    for omit in (frozenset(), frozenset({"c-0003"}), frozenset(r["id"] for r in records)):
        body = notifications.render(CTX, "candidates", events, POLL_DATE, nid, omit)
        assert body == reference_body(CTX, "candidates", events, by_id, POLL_DATE, nid, omit)
        json.loads(body)  # and it is JSON


def test_build_groups_ids_and_bodies_are_unchanged() -> None:
    records = sample_records(25)
    events = events_of(records)
    by_id = {r["id"]: r for r in records}
    built = notifications.build(CTX, "candidates", events, POLL_DATE)
    assert [len(n.events) for n in built] == [10, 10, 5]
    assert [e.object_id for n in built for e in n.events] == [r["id"] for r in records]  # updated-date order
    for n in built:
        assert n.id == notifications.notification_id(CTX.instance_id, "candidates", n.events)
        assert n.body == reference_body(CTX, "candidates", list(n.events), by_id, POLL_DATE, n.id)
    # Pinned from the implementation that dumped every body in one piece (before records were kept as
    # compact JSON): ids and bodies must not move.
    assert [n.id for n in built] == GOLDEN_IDS
    assert hashlib.sha256(b"\n".join(n.body for n in built)).hexdigest() == GOLDEN_BODIES_SHA256


def test_oversized_groups_are_halved_and_oversized_records_omitted_as_before() -> None:
    records = sample_records(10)
    records[4]["resume"] = "é" * 5_000  # larger than a notification may be on its own
    events = events_of(records)
    by_id = {r["id"]: r for r in records}
    built = notifications.build(CTX, "candidates", events, POLL_DATE, max_bytes=4_500)
    assert [e.object_id for n in built for e in n.events] == [r["id"] for r in records]
    omitted = [n for n in built if n.raw_omitted]
    assert [n.raw_omitted for n in omitted] == [("c-0004",)]
    for n in built:
        assert len(n.events) < 10
        assert n.body == reference_body(
            CTX, "candidates", list(n.events), by_id, POLL_DATE, n.id, frozenset(n.raw_omitted)
        )


def test_fit_drops_the_largest_records_first_as_json_dumps_sizes_them() -> None:
    # ASCII-escaped ("\\u00e9", 6 characters) the first record is the larger; compact (2 bytes) it is not.
    records = sample_records(2)
    records[0]["note"] = "é" * 300
    records[1]["note"] = "e" * 1_000
    events = events_of(records)
    assert len(events[0].raw) < len(events[1].raw) and len(json.dumps(records[0])) > len(json.dumps(records[1]))
    nid = "00000000-0000-8000-8000-000000000000"
    whole = notifications.render(CTX, "candidates", events, POLL_DATE, nid)
    limit = len(whole) - len(events[0].raw) + 100  # fits without either record (and its rawOmitted flag)
    fitted = notifications.rebuild(CTX, "candidates", nid, events, POLL_DATE, max_bytes=limit)
    assert fitted.id == nid and fitted.raw_omitted == ("c-0000",)
    assert fitted.body == reference_body(
        CTX, "candidates", events, {r["id"]: r for r in records}, POLL_DATE, nid, frozenset({"c-0000"})
    )


def test_a_rebuilt_notification_keeps_its_id_and_body() -> None:
    records = sample_records(12)
    events = events_of(records)
    by_id = {r["id"]: r for r in records}
    first = notifications.build(CTX, "candidates", events, POLL_DATE)[0]
    again = notifications.rebuild(CTX, "candidates", first.id, list(first.events), POLL_DATE)
    assert again.id == first.id and again.body == first.body
    assert again.body == reference_body(CTX, "candidates", list(first.events), by_id, POLL_DATE, first.id)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(extra=st.lists(st.dictionaries(st.text(max_size=8), _json, max_size=5), min_size=1, max_size=4))
def test_any_json_record_renders_as_in_one_piece(extra: list[dict[str, Any]]) -> None:
    records = sample_records(len(extra))
    for record, fields in zip(records, extra, strict=True):
        record["extra"] = fields
    events = events_of(records)
    by_id = {r["id"]: r for r in records}
    nid = notifications.notification_id(CTX.instance_id, "candidates", events)
    body = notifications.render(CTX, "candidates", events, POLL_DATE, nid)
    assert body == reference_body(CTX, "candidates", events, by_id, POLL_DATE, nid)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_render_as_before(value: float) -> None:
    records = sample_records(1)
    records[0]["score"] = value
    events = events_of(records)
    body = notifications.render(CTX, "candidates", events, POLL_DATE, "n")
    assert body == reference_body(CTX, "candidates", events, {records[0]["id"]: records[0]}, POLL_DATE, "n")


# Computed with the implementation that held records as dicts and dumped each body in one piece.
GOLDEN_IDS = [
    "01a1968d-8338-8a04-85bc-db99a3eeb55e",
    "01a1968d-aa48-8b13-bfca-c0310e65b44b",
    "01a1968d-bdd0-86e8-85d3-639492417ef3",
]
GOLDEN_BODIES_SHA256 = "71c949c82569d5060b0bf53a35d89f58184aa17e4c538f74302c1ef222e8ffc5"
