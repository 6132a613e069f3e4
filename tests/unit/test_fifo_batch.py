"""The FIFO batch processor: groups at once, each group in order, failures held to their own group."""

from __future__ import annotations

import threading
import time

import pytest

from srevents.services.fifo_batch import FifoGroupProcessor, Outcome

# Items are (group, name) pairs; the handler sees them in the order it is called.
Item = tuple[str, str]


def _group(item: Item) -> str:
    return item[0]


class Recorder:
    """A handler that records calls (per thread-safe list) and fails the names it is told to."""

    def __init__(self, fail: set[str] = frozenset(), crash: set[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()
        self._fail = fail
        self._crash = crash

    def __call__(self, item: Item) -> None:
        with self._lock:
            self.calls.append(item[1])
        if item[1] in self._fail:
            raise RuntimeError(f"{item[1]} failed")
        if item[1] in self._crash:
            raise KeyError("an unexpected bug in the handler")


BATCH: list[Item] = [("a", "a1"), ("b", "b1"), ("a", "a2"), ("c", "c1"), ("b", "b2"), ("a", "a3")]


def test_every_item_is_handled_once_and_each_group_in_batch_order() -> None:
    # Given a batch mixing three groups
    recorder = Recorder()

    # When it is processed on a pool
    result = FifoGroupProcessor(workers=3).process(BATCH, group=_group, handle=recorder)

    # Then every item was handled once, each group in its batch order, nothing failed
    assert sorted(recorder.calls) == sorted(name for _, name in BATCH)
    assert [c for c in recorder.calls if c.startswith("a")] == ["a1", "a2", "a3"]
    assert [c for c in recorder.calls if c.startswith("b")] == ["b1", "b2"]
    assert result.failed == [] and result.held_back == []
    assert list(result.outcomes) == [Outcome.DONE] * len(BATCH)


def test_groups_run_at_the_same_time() -> None:
    # Given a handler that only returns once three groups are inside it together
    barrier = threading.Barrier(3, timeout=5)

    def handle(item: Item) -> None:
        if item[1].endswith("1"):
            barrier.wait()  # raises BrokenBarrierError if the groups ran one after another

    # When the batch is processed with a pool of three
    result = FifoGroupProcessor(workers=3).process(BATCH, group=_group, handle=handle)

    # Then no group waited for another
    assert result.failed == []


def test_a_slow_group_does_not_delay_the_others() -> None:
    # Given group "a" hangs until released, the other groups are quick
    release, b_done = threading.Event(), threading.Event()
    finished: dict[str, float] = {}

    def handle(item: Item) -> None:
        if item[1] == "a1":
            assert release.wait(5)
        if item[1] == "c1":
            assert b_done.wait(5)
        finished[item[1]] = time.monotonic()
        if item[1] == "b2":
            b_done.set()
        if item[1] == "c1":
            release.set()  # "a" goes on only once "b" and "c" are done: they ran while it hung

    # When
    result = FifoGroupProcessor(workers=3).process(BATCH, group=_group, handle=handle)

    # Then "b" and "c" finished before "a" got going again
    assert result.failed == []
    assert finished["b2"] < finished["a1"] and finished["c1"] <= finished["a1"]


def test_a_failure_holds_back_the_rest_of_its_group_only() -> None:
    # Given a2 fails
    recorder = Recorder(fail={"a2"})

    # When
    result = FifoGroupProcessor(workers=3).process(BATCH, group=_group, handle=recorder)

    # Then a3 is never attempted; b and c are untouched by it
    assert "a3" not in recorder.calls
    assert {"b1", "b2", "c1"} <= set(recorder.calls)
    assert [name for _, name in result.failed] == ["a2", "a3"]
    assert [name for _, name in result.held_back] == ["a3"]


def test_every_group_failing_fails_the_whole_batch_without_raising() -> None:
    # Given the first item of every group fails
    recorder = Recorder(fail={"a1", "b1", "c1"})

    # When
    result = FifoGroupProcessor(workers=2).process(BATCH, group=_group, handle=recorder)

    # Then every item is reported, only the first of each group was attempted
    assert sorted(recorder.calls) == ["a1", "b1", "c1"]
    assert [name for _, name in result.failed] == [name for _, name in BATCH]
    assert sorted(name for _, name in result.held_back) == ["a2", "a3", "b2"]


def test_a_crash_in_one_worker_is_that_items_failure() -> None:
    # Given the handler has a bug that shows on b1
    recorder = Recorder(crash={"b1"})

    # When
    result = FifoGroupProcessor(workers=3).process(BATCH, group=_group, handle=recorder)

    # Then b1 failed, b2 was held back, a and c were delivered
    outcomes = {name: outcome for (_, name), outcome in zip(BATCH, result.outcomes, strict=True)}
    assert outcomes == {
        "a1": Outcome.DONE,
        "a2": Outcome.DONE,
        "a3": Outcome.DONE,
        "b1": Outcome.FAILED,
        "b2": Outcome.HELD_BACK,
        "c1": Outcome.DONE,
    }


def test_something_worse_than_an_exception_is_not_swallowed() -> None:
    # Given a handler whose process is being killed (the reliability suite's crashes are BaseExceptions)
    class Killed(BaseException):
        pass

    def handle(item: Item) -> None:
        if item[1] == "c1":
            raise Killed

    # When / Then: the invocation dies, as it would in Lambda
    with pytest.raises(Killed):
        FifoGroupProcessor(workers=3).process(BATCH, group=_group, handle=handle)


def test_no_item_starts_once_time_has_run_out() -> None:
    # Given time for three starts only
    starts = iter([True, True, True])
    recorder = Recorder()

    # When processed one group after another (a pool of one keeps the count deterministic)
    result = FifoGroupProcessor(workers=1).process(
        BATCH, group=_group, handle=recorder, may_start=lambda: next(starts, False)
    )

    # Then group "a" (first in the batch) got its three, everything else is held back, not failed
    assert recorder.calls == ["a1", "a2", "a3"]
    assert sorted(name for _, name in result.held_back) == ["b1", "b2", "c1"]
    assert not any(outcome is Outcome.FAILED for outcome in result.outcomes)


def test_time_running_out_mid_group_holds_back_the_rest_of_that_group() -> None:
    # Given time for one start only, then none
    starts = iter([True])
    recorder = Recorder()

    # When
    result = FifoGroupProcessor(workers=1).process(
        [("a", "a1"), ("a", "a2")], group=_group, handle=recorder, may_start=lambda: next(starts, False)
    )

    # Then a2 is left for the queue, behind nothing that was skipped
    assert recorder.calls == ["a1"]
    assert [name for _, name in result.held_back] == ["a2"]


def test_the_pool_never_runs_more_groups_at_once_than_its_workers() -> None:
    # Given ten groups that each take a moment
    running = 0
    most = 0
    lock = threading.Lock()

    def handle(item: Item) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    # When processed with three workers
    FifoGroupProcessor(workers=3).process([(str(g), f"{g}") for g in range(10)], group=_group, handle=handle)

    # Then at most three ran together, and more than one did
    assert 1 < most <= 3


def test_a_processor_needs_a_worker() -> None:
    with pytest.raises(ValueError):
        FifoGroupProcessor(workers=0)
