"""SmartRecruiters' per-key limits across containers (adapters/shared_key_limit.py), on moto and the simulator.

Each "container" is what one poll function container has: its own first gate (KeyGates), its own memory of
the rate-limits table (RateLimitsStore) and its own client. The simulator's per-second limit runs on the
same manual clock the clients sleep on, so the outcome depends on the order of requests, never on timing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from devstack.aws_resources import StackResources
from devstack.smartrecruiters import SimulatorServer, SimulatorStore
from srevents.adapters.rate_limits_store import RateLimitsStore
from srevents.adapters.shared_key_limit import SharedKeyLimit
from srevents.adapters.smartrecruiters import KeyGates, SmartRecruitersClient, SmartRecruitersOutOfTime
from srevents.clock import ManualClock
from tests.support.leaks import register_secret

KEY = register_secret("shared-key-test-0001")
DIGEST = hashlib.sha256(KEY.encode()).hexdigest()


@dataclass
class Simulated:
    clock: ManualClock
    store: SimulatorStore
    server: SimulatorServer
    table: str


@pytest.fixture
def simulated(aws: StackResources) -> Iterator[Simulated]:
    clock = ManualClock()
    store = SimulatorStore(ManualClock(), rate_clock=clock)  # strict limits: 10/s, 1 concurrent GET /candidates
    store.add_api_key(KEY)
    for _ in range(30):
        store.create_job()
        store.create_candidate()
    with SimulatorServer(store) as server:
        yield Simulated(clock, store, server, aws.refs["RateLimitsTable"])


def container(simulated: Simulated, shared: bool) -> tuple[SmartRecruitersClient, RateLimitsStore]:
    """One container's client for the key: its own gates and its own view of the shared table."""
    store = RateLimitsStore(boto3.client("dynamodb"), simulated.table)
    limit = SharedKeyLimit(store, DIGEST, simulated.clock, batch=5) if shared else None
    client = SmartRecruitersClient(
        KEY, simulated.server.base_url, clock=simulated.clock, gates=KeyGates(), shared=limit, max_attempts=20
    )
    return client, store


def interleaved_listings(simulated: Simulated, shared: bool) -> tuple[int, int, int]:
    """Two containers page through `/jobs` (5 per page) in turn: (200s, 429s, DynamoDB calls)."""
    (first, first_store), (second, second_store) = container(simulated, shared), container(simulated, shared)
    listings = [c.iter_pages("/jobs", {}, limit=5) for c in (first, second, first, second)]
    while listings:
        for pages in list(listings):
            if next(pages, None) is None:
                listings.remove(pages)
    responses = simulated.store.counters()["responses"]
    return responses.get("200", 0), responses.get("429", 0), first_store.calls + second_store.calls


def test_without_the_shared_limit_two_containers_exceed_the_key_rate(simulated: Simulated) -> None:
    # When two containers page through listings with the same key, each keeping 10 requests/s
    ok, refused, _ = interleaved_listings(simulated, shared=False)

    # Then together they go over SmartRecruiters' limit (the client retries, so every page still arrives)
    assert ok == 4 * 6
    assert refused > 0


def test_with_the_shared_limit_they_keep_to_it_together(simulated: Simulated) -> None:
    # When the same listings run with the key's bucket in the rate-limits table
    ok, refused, calls = interleaved_listings(simulated, shared=True)

    # Then no request is refused (the key is saturated: each container's view of the bucket is often stale,
    # which costs a refused write and a second one, at most 2 calls per request)
    assert (ok, refused) == (4 * 6, 0)
    assert calls <= 2 * ok


def test_a_long_listing_takes_its_tokens_in_batches(simulated: Simulated) -> None:
    # Given one container alone on the key
    client, store = container(simulated, True)

    # When it pages through 30 jobs, 5 a page
    pages = list(client.iter_pages("/jobs", {}, limit=5))

    # Then one UpdateItem took the first page's token, one the next five pages' (a batch of 5)
    assert len(pages) == 6
    assert store.calls == 2


def test_one_candidates_listing_per_key_across_containers(simulated: Simulated) -> None:
    # Given a container in the middle of a GET /candidates listing (it holds the key's lease)
    (first, _), (second, _) = container(simulated, True), container(simulated, True)
    listing = first.iter_pages("/candidates", {}, limit=10)
    next(listing)
    before = simulated.store.counters()["requests"].get("/candidates", 0)

    # When another container starts one, with a little time to wait
    with pytest.raises(SmartRecruitersOutOfTime, match="GET /candidates lease"):
        next(second.iter_pages("/candidates", {}, limit=10, time_left=lambda: 0.5))

    # Then it sent nothing; once the first listing ends, the second runs in full
    assert simulated.store.counters()["requests"].get("/candidates", 0) == before
    assert sum(1 for _ in listing) == 2
    assert sum(len(page.records) for page in second.iter_pages("/candidates", {}, limit=10)) == 30
    assert simulated.store.counters()["responses"].get("429", 0) == 0


def test_a_lease_left_by_a_dead_container_expires(simulated: Simulated) -> None:
    # Given a container that took the lease and never gave it back
    (first, _), (second, _) = container(simulated, True), container(simulated, True)
    abandoned = first.iter_pages("/candidates", {}, limit=10)
    next(abandoned)

    # When another container lists candidates (its waits move the manual clock past the lease's end)
    pages = list(second.iter_pages("/candidates", {}, limit=10))

    # Then it got them all, and no request was refused
    assert sum(len(page.records) for page in pages) == 30
    assert simulated.store.counters()["responses"].get("429", 0) == 0


def test_the_table_holds_the_keys_hash_never_the_key(simulated: Simulated) -> None:
    # When
    client, _ = container(simulated, True)
    list(client.iter_pages("/candidates", {}, limit=10))

    # Then
    items = boto3.client("dynamodb").scan(TableName=simulated.table)["Items"]
    assert [item["pk"]["S"] for item in items] == [f"SMARTRECRUITERS#{DIGEST}"]
    assert KEY not in repr(items)
    assert "leaseHolder" not in items[0]  # given back at the end of the listing


def test_tokens_held_by_a_container_expire_before_they_could_crowd_a_second(simulated: Simulated) -> None:
    # Given a container that took a batch of 5 tokens for a listing's later pages
    store = RateLimitsStore(boto3.client("dynamodb"), simulated.table)
    limit = SharedKeyLimit(store, DIGEST, simulated.clock, batch=5)
    with limit.listing("/jobs") as listing:
        listing.acquire()  # the first page: one token
        listing.acquire()  # the second: a batch of up to 5, one spent
    assert store.calls == 2

    # When the held tokens are used within (10 - 5) / 10 s, and then later
    simulated.clock.advance(0.4)
    limit.acquire()
    simulated.clock.advance(0.2)
    limit.acquire()

    # Then the first came from the batch, the second needed the table again
    assert store.calls == 3
