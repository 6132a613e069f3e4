"""Two and five invocations of the poll function for one instance at the same moment, each in its own
container (its own handler module): one polls, the others find the lease held and exit quietly."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from tests.reliability.cases import CONCURRENT_POLLS, case_key
from tests.reliability.world import Invocation, World


@pytest.mark.parametrize("invocations", CONCURRENT_POLLS)
def test_simultaneous_polls_of_one_instance_emit_each_change_once(
    world: World, report: Callable[..., None], invocations: int
) -> None:
    # Given 25 changes waiting, and SmartRecruiters slow enough that the polls overlap
    instance = world.create_instance()
    world.clock.advance(61)
    world.change(creates=25)
    world.clock.advance(15 * 60)
    world.store.add_latency(0.5, "/candidates")
    containers = [world._cold_start("poll") for _ in range(invocations)]
    start = threading.Barrier(invocations)
    outcomes: list[Invocation] = []

    def invoke(index: int) -> None:
        start.wait()
        outcomes.append(world.poll(instance, poller=containers[index]))

    # When every container is invoked at the same moment
    threads = [threading.Thread(target=invoke, args=(i,)) for i in range(invocations)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    world.store.clear_faults()
    world.deliver()

    # Then exactly one polled and the others saw the lease and stepped aside
    assert all(o.result is not None for o in outcomes), [o.error for o in outcomes]
    statuses = sorted(o.result["status"] for o in outcomes if o.result)
    assert statuses == ["polled"] + ["skipped"] * (invocations - 1)
    assert {o.result["reason"] for o in outcomes if o.result and o.result["status"] == "skipped"} <= {"lease held"}

    world.change(creates=5, updates=world.candidate_ids()[:5])
    world.settle()
    tally = world.tally()
    report(
        section="concurrency",
        key=case_key("concurrency", invocations),
        case=f"{invocations} poll invocations for one instance at the same moment",
        fault=f"{invocations} containers started together, SmartRecruiters answering in 0.5 s",
        notes=f"1 polled, {invocations - 1} skipped (lease held)",
        **tally.as_row(),
    )
    assert (tally.lost, tally.duplicates, tally.resends, tally.order_violations) == (0, 0, 0, 0), tally.missing[:5]
    assert tally.phantoms == 0 and tally.bad_signatures == 0
