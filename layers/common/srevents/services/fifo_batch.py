"""One SQS FIFO batch, processed the way tenant isolation needs: message groups at once, each in order.

A batch from a FIFO queue mixes message groups (here: instances). Processed one record at a time, as
Powertools' `SqsFifoPartialProcessor` does, a callback that hangs until its 15 s deadline delays every
other instance behind it in the batch. Powertools' `AsyncBatchProcessor` runs records concurrently but
knows nothing of groups (it would break the order within one) and needs an async record handler. So this
is the smallest processor that keeps their contract:

- the answer is Lambda's partial batch response, `{"batchItemFailures": [{"itemIdentifier": ...}]}`;
- a record that fails fails every later record of its own group (they are *held back*, not attempted),
  and no record of another group;
- groups run concurrently on a bounded pool of threads, each group strictly in batch order on one thread.

One thing more than Powertools: a record is only started while `may_start()` says there is time to finish
it before the function's deadline. A record not started is held back with the rest of its group: the
queue offers it again, and the invocation never runs into its timeout with work half done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

T = TypeVar("T")


class Outcome(Enum):
    DONE = "done"
    FAILED = "failed"  # attempted and failed (the handler raised)
    HELD_BACK = "held back"  # not attempted: an earlier record of its group failed, or time ran out


@dataclass(frozen=True)
class BatchResult(Generic[T]):
    items: Sequence[T]
    outcomes: Sequence[Outcome]  # one per item, in batch order

    def _with(self, *outcomes: Outcome) -> list[T]:
        return [item for item, outcome in zip(self.items, self.outcomes, strict=True) if outcome in outcomes]

    @property
    def failed(self) -> list[T]:
        """Every record to report as a batch item failure (attempted or not), in batch order."""
        return self._with(Outcome.FAILED, Outcome.HELD_BACK)

    @property
    def held_back(self) -> list[T]:
        """The records that were never attempted: the queue may offer them again at once."""
        return self._with(Outcome.HELD_BACK)


class FifoGroupProcessor:
    """Runs a batch's groups concurrently on at most `workers` threads (1: one group after another)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("a processor needs at least one worker")
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None  # made at the first batch of several groups, then kept
        self._lock = threading.Lock()

    def _threads(self) -> ThreadPoolExecutor:
        """The pool, kept for the container's life: starting ten threads per batch costs more than a fast POST."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="deliver")
            return self._pool

    def process(
        self,
        items: Sequence[T],
        *,
        group: Callable[[T], str],
        handle: Callable[[T], object],
        may_start: Callable[[], bool] = lambda: True,
    ) -> BatchResult[T]:
        """Handle every item; `handle` raising any Exception is a failure of that item."""
        groups: dict[str, list[int]] = {}
        for index, item in enumerate(items):
            groups.setdefault(group(item), []).append(index)
        outcomes = [Outcome.HELD_BACK] * len(items)

        def run(indices: list[int]) -> None:
            for index in indices:
                if not may_start():
                    return  # this one and the rest of the group stay held back
                try:
                    handle(items[index])
                except Exception:
                    outcomes[index] = Outcome.FAILED
                    return
                outcomes[index] = Outcome.DONE

        if self.workers == 1 or len(groups) <= 1:
            for indices in groups.values():
                run(indices)
        else:
            pool = self._threads()
            futures = [pool.submit(run, indices) for indices in groups.values()]
            wait(futures)  # every group ends, whatever happens to one
            for future in futures:
                future.result()  # something worse than an exception in a worker (a crash) goes on up
        return BatchResult(items, outcomes)
