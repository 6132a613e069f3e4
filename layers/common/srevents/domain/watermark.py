"""The watermark: the poll start up to which a resource's changes are all in the queue (docs/DESIGN.md §3).

A poll reads what was updated after the watermark minus the lookback (`pollDelay`, 60 s by default:
SmartRecruiters makes some records visible late) and up to the poll's start. Only once every page is read
and every notification enqueued does the watermark move to that start (the commit, in
services/poll_service.py); a poll that stops early keeps it where it was.

Before the first commit a resource has no watermark: its first poll starts at the instance's creation,
**without** the lookback, so it never emits a version updated before the instance existed (history is
replayed only on request, with `poller/replay`, which sets a watermark and so gets the lookback).
"""

from __future__ import annotations

from datetime import datetime, timedelta


def lower_bound(watermark: datetime, lookback_seconds: int) -> datetime:
    """Records updated after this are candidates: the watermark minus the lookback."""
    return watermark - timedelta(seconds=lookback_seconds)


def read_from(watermark: datetime | None, created: datetime, lookback_seconds: int) -> datetime:
    """Where a poll reads from: the lookback before the watermark, or the creation time before the first."""
    return created if watermark is None else lower_bound(watermark, lookback_seconds)


def after_poll(watermark: datetime | None, poll_start: datetime, *, complete: bool) -> datetime | None:
    """The watermark once a poll is committed: its start if it read every page, else unchanged."""
    return poll_start if complete else watermark
