"""PollService._read: the pages of a poll go through change detection as they arrive, one page of parsed
records at a time, with the same paging and early-stop rules as when every page was collected first."""

from __future__ import annotations

import weakref
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from srevents.adapters.smartrecruiters import Page, SmartRecruitersClient
from srevents.clock import ManualClock
from srevents.domain.instance_config import POLLER_CONFIGURATION
from srevents.domain.poller_config import resource_configs
from srevents.domain.poller_state import Cursor
from srevents.domain.records import compact
from srevents.domain.resources import default_resource_config
from srevents.domain.watermark import lower_bound
from srevents.services.poll_service import PollLimits, PollService

CONFIG = resource_configs({POLLER_CONFIGURATION: {"candidates": default_resource_config("candidates")}})[0]
WATERMARK = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
POLL_START = WATERMARK + timedelta(hours=1)


class Records(list):  # a list that can be watched with a weak reference
    pass


def record(n: int) -> dict[str, Any]:
    stamp = (WATERMARK + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"id": f"c-{n}", "name": "Zoë", "nested": {"score": 0.1}, "createdOn": stamp, "updatedOn": stamp}


class FakeClient:
    """`pages` pages of `size` records; notes how many earlier pages' records are still alive at each fetch."""

    def __init__(self, pages: int, size: int = 3) -> None:
        self.pages = pages
        self.size = size
        self.requested: list[str | None] = []
        self.alive_at_fetch: list[int] = []
        self._served: list[weakref.ref[Records]] = []

    iter_pages = SmartRecruitersClient.iter_pages  # the real paging (and its looping-cursor guard)

    def listing(self, path: str) -> AbstractContextManager[None]:
        return nullcontext()  # no limits shared across containers here

    def get_page(
        self, path: str, params: dict[str, str], page_id: str | None = None, limit: int = 100, **_: Any
    ) -> Page:
        assert path == CONFIG.template.path
        self.requested.append(page_id)
        self.alive_at_fetch.append(sum(ref() is not None for ref in self._served))
        index = 0 if page_id is None else int(page_id.removeprefix("p"))
        records = Records(record(index * self.size + i) for i in range(self.size))
        self._served.append(weakref.ref(records))
        following = f"p{index + 1}" if index + 1 < self.pages else None
        return Page(records, following, self.pages * self.size)


def service(min_remaining_ms: int = 30_000) -> PollService:
    unused: Any = None
    return PollService(
        instances=unused,
        poller_state=unused,
        secret_box=unused,
        queue=unused,
        smartrecruiters=unused,
        clock=ManualClock(),
        limits=PollLimits(min_remaining_ms_for_page=min_remaining_ms),
    )


def read(client: FakeClient, remaining_ms: Any = lambda: 600_000, cursor: Cursor | None = None) -> Any:
    lower = lower_bound(WATERMARK, CONFIG.poll_delay_seconds)
    changes, pages, next_page, _stopped = service()._read(
        CONFIG, WATERMARK, lower, cursor, client, remaining_ms, POLL_START, frozenset()
    )
    return changes, pages, next_page


def test_every_page_is_read_and_turned_into_events_in_order() -> None:
    client = FakeClient(pages=4)
    changes, pages, next_page = read(client)
    assert (pages, next_page) == (4, None)
    assert client.requested == [None, "p1", "p2", "p3"]
    assert changes.records_read == 12
    assert [e.object_id for e in changes.events] == [f"c-{n}" for n in range(12)]
    assert [e.raw for e in changes.events] == [compact(record(n)) for n in range(12)]


def test_no_more_than_the_previous_page_of_records_is_held_while_the_next_is_fetched() -> None:
    client = FakeClient(pages=6)
    read(client)
    assert client.alive_at_fetch == [0, 1, 1, 1, 1, 1]  # collecting every page first would hold 0, 1, 2, ...


def test_reading_stops_with_a_cursor_when_time_runs_short() -> None:
    client = FakeClient(pages=5)
    calls = iter([600_000, 10_000])  # enough for the second page, not for the third
    changes, pages, next_page = read(client, remaining_ms=lambda: next(calls))
    assert (pages, next_page) == (2, "p2")
    assert client.requested == [None, "p1"]
    assert changes.records_read == 6


def test_reading_resumes_from_the_cursor() -> None:
    client = FakeClient(pages=3)
    changes, pages, next_page = read(client, cursor=Cursor("p1", POLL_START))
    assert (pages, next_page) == (2, None)
    assert client.requested == ["p1", "p2"]
    assert [e.object_id for e in changes.events] == [f"c-{n}" for n in range(3, 9)]


def test_the_last_page_asks_nothing_of_the_clock() -> None:
    client = FakeClient(pages=1)

    def never() -> int:
        raise AssertionError("remaining_ms is only asked before fetching another page")

    changes, pages, next_page = read(client, remaining_ms=never)
    assert (pages, next_page, changes.records_read) == (1, None, 3)
