"""When the rate-limits table cannot be reached, both limits let the work through (docs/DESIGN.md §14): a
tenant's fair share and a key's shared pace are protections, not the service; a broken limiter must not turn
every API request into a 5xx or fail every poll. The container's own SmartRecruiters limiter still applies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from srevents.adapters.shared_key_limit import SharedKeyLimit
from srevents.clock import ManualClock
from srevents.domain.token_bucket import BucketPolicy
from srevents.services.request_limit import OrganizationRequestLimit


class _DownTable:
    """A rate-limits store whose every call is refused, as a throttled or unreachable table answers."""

    def __init__(self) -> None:
        self.calls = 0

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "UpdateItem")

    take = release = _refuse


def test_an_unreachable_table_admits_the_request() -> None:
    table: Any = _DownTable()
    limit = OrganizationRequestLimit(
        table, BucketPolicy(rate=1.0, burst=1), ManualClock(datetime(2026, 12, 7, tzinfo=UTC))
    )

    for _ in range(5):  # more than the bucket would allow: all admitted, none raises
        limit.admit(7)
    assert table.calls == 5


def test_an_unreachable_table_leaves_the_key_to_the_containers_own_limiter() -> None:
    table: Any = _DownTable()
    shared = SharedKeyLimit(table, "digest", ManualClock(datetime(2026, 12, 7, tzinfo=UTC)))

    with shared.listing("/candidates") as listing:  # the lease cannot be given back either: no error
        for _ in range(3):
            listing.acquire()
    shared.acquire()
    assert table.calls >= 4
