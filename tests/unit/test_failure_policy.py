"""The failure policy's pure rules: the redeliver body, which parked notifications a redelivery selects, and the
two retry schedules."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from srevents.domain.backoff import DAY, PLATFORM, SCHEDULES
from srevents.domain.failure_policy import Redelivery, checked_policy, redelivery_request
from srevents.errors import ValidationError

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_an_empty_body_redelivers_queued_and_failed() -> None:
    redelivery = redelivery_request({}, NOW)
    assert redelivery == Redelivery(("QUEUED", "FAILED"), None, "2026-12-06T12:00:00.000Z")
    assert redelivery_request(None, NOW).statuses == ("QUEUED", "FAILED")


def test_status_and_since_are_read_and_normalised() -> None:
    redelivery = redelivery_request({"status": ["FAILED", "FAILED"], "since": "2026-12-06T13:00:00+02:00"}, NOW)
    assert redelivery.statuses == ("FAILED",) and redelivery.since == "2026-12-06T11:00:00.000Z"
    assert redelivery_request({"status": "QUEUED"}, NOW).statuses == ("QUEUED",)  # one word, as the platform


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ({"status": []}, "status"),
        ({"status": ["DELIVERED"]}, "status[0]"),
        ({"status": [1]}, "status[0]"),
        ({"status": {"QUEUED": True}}, "status"),
        ({"since": 5}, "since"),
        ({"since": "2026-12-06T10:00:00"}, "since"),  # no zone
        ({"since": "2026-12-07T00:00:00Z"}, "since"),  # in the future
        ({"since": "0001-01-01T00:00:00Z"}, "since"),
        ({"statuses": ["QUEUED"]}, "statuses"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(body: object, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        redelivery_request(body, NOW)
    assert raised.value.field == field


def test_a_redelivery_selects_by_status_and_since() -> None:
    redelivery = Redelivery(("QUEUED",), "2026-12-06T11:00:00.000Z", "2026-12-06T12:00:00.000Z")
    assert redelivery.selects("QUEUED", "2026-12-06T11:00:00.000Z")
    assert not redelivery.selects("QUEUED", "2026-12-06T10:59:59.999Z")
    assert not redelivery.selects("FAILED", "2026-12-06T11:30:00.000Z")
    assert not redelivery.selects("QUEUED", None)
    assert Redelivery.from_item(redelivery.as_item()) == redelivery
    assert Redelivery.from_item(None) is None


def test_the_policy_is_retry_or_queue() -> None:
    assert checked_policy("queue") == "queue"
    with pytest.raises(ValidationError):
        checked_policy("drop")


def test_the_day_schedule_is_ten_retries_over_about_a_day() -> None:
    assert DAY.max_attempts == 11 and round(sum(DAY.delays) / 3600) == 28


def test_the_platform_schedule_is_nine_retries_at_four_to_the_n_seconds() -> None:
    assert PLATFORM.delays == (4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144)
    assert PLATFORM.max_attempts == 10 and PLATFORM.is_last_attempt(10) and not PLATFORM.is_last_attempt(9)
    assert round(PLATFORM.delays[-1] / 3600) == 73  # the last wait
    assert SCHEDULES == {"day": DAY, "platform": PLATFORM}


@pytest.mark.parametrize("schedule", [DAY, PLATFORM])
def test_delays_are_jittered_within_a_fifth_and_retry_after_is_bounded(schedule: object) -> None:
    rng = random.Random(7)
    for attempt, base in enumerate(schedule.delays, start=1):  # type: ignore[attr-defined]
        delay = schedule.delay(attempt, rng=rng)  # type: ignore[attr-defined]
        assert 0.8 * base - 1 <= delay <= 1.2 * base + 1
    assert schedule.delay(1, retry_after=0) == 1  # type: ignore[attr-defined]
    assert schedule.delay(1, retry_after=10**9) == 43_200  # type: ignore[attr-defined]
