"""Retry-After: one reading for the callback sender and the SmartRecruiters client (RFC 9110 §10.2.3)."""

from __future__ import annotations

import datetime as dt

import pytest

from srevents.domain.retry_after import parse_retry_after

NOW = dt.datetime(2026, 11, 29, 10, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30.0),
        (" 30 ", 30.0),
        ("0", 0.0),
        ("86400", 86400.0),  # bounds are the caller's
        ("Sun, 29 Nov 2026 10:02:00 GMT", 120.0),
        ("Sun, 29 Nov 2026 09:00:00 GMT", 0.0),  # in the past: now
    ],
)
def test_delay_seconds_and_http_dates_are_read(header: str, seconds: float) -> None:
    assert parse_retry_after(header, NOW) == seconds


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "1.5",  # delay-seconds is digits only (the two clients used to disagree here)
        "-3",
        "inf",
        "nan",
        "1e3",
        "٣٠",  # digits, but not ASCII ones
        "tomorrow",
        "Sun, 29 Nov 2026 10:02:00 -0000",  # a date that names no zone is no HTTP date (they disagreed here too)
        "99999999999999999999",
    ],
)
def test_anything_else_is_ignored_not_guessed(header: str | None) -> None:
    assert parse_retry_after(header, NOW) is None
