"""What every benchmark shares: the result record, timing, the process environment, AWS call counting,
and the two corrections the AWS emulator (moto) needs before its time can be compared with anything.

Rules the benchmarks follow (docs/SCALING.md explains the figures):
- every figure is a ratio against a baseline measured in the same run, on the same machine;
- product and baseline runs alternate (A, B, A, B, ...) so that a noisy neighbour slows both, and each
  side's median is quoted;
- nothing here is a timed assertion: `make bench` reports, the test suite asserts behaviour.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.json"
REGION = "us-east-1"


@dataclass
class Result:
    """One line of the table and of bench/results.json."""

    name: str
    value: float
    unit: str
    baseline: float
    ratio: float
    goal: str  # e.g. "ratio <= 1.3" or "value <= 15"; "" when the figure is informational
    met: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.met is None and self.goal:
            self.met = goal_met(self.goal, self.value, self.ratio)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def goal_met(goal: str, value: float, ratio: float) -> bool:
    subject, operator, bound = goal.split()
    number = ratio if subject == "ratio" else value
    limit = float(bound)
    return number <= limit if operator == "<=" else number >= limit


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("inf")


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0-100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def log(text: str) -> None:
    """Progress goes to stderr; stdout carries the results."""
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def alternate(
    product: Callable[[], float], baseline: Callable[[], float], repeats: int
) -> tuple[list[float], list[float]]:
    """Run both `repeats` times, alternating, after one untimed warm-up each. Each returns its own figure."""
    product()
    baseline()
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(product())
        theirs.append(baseline())
    return ours, theirs


# --- the process environment ---------------------------------------------------------------------------
def prepare_environment(log_level: str = "INFO") -> None:
    """Fake credentials and no real AWS, before anything imports boto3 or Powertools (as tests/conftest does).

    The log level is the template's default (`LogLevel: INFO`): the handlers log what they would log in
    production, into a sink that counts the bytes (CloudWatch Logs ingestion is priced per GB).
    """
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        os.environ.pop(name)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "srevents",
            "POWERTOOLS_METRICS_NAMESPACE": "SmartRecruitersEvents",
            "POWERTOOLS_LOG_LEVEL": log_level,
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        }
    )
    add_paths()


def add_paths() -> None:
    """The layer and the repository on sys.path, as PYTHONPATH gives them to `make run` and `make test`."""
    for path in (str(REPO), str(REPO / "layers" / "common")):
        if path not in sys.path:
            sys.path.insert(0, path)


class CountingSink(io.TextIOBase):
    """A text stream that keeps nothing and counts what was written (log lines, EMF metric documents)."""

    def __init__(self) -> None:
        self.chars = 0
        self.lines = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        self.lines += text.count("\n")
        return len(text)

    def writable(self) -> bool:
        return True


@contextlib.contextmanager
def handler_output(sink: CountingSink) -> Iterator[None]:
    """Send the handlers' logs (Powertools Logger) and EMF metrics (printed) to `sink`."""
    from srevents.observability import logger

    handler: Any = logger.registered_handler
    previous = handler.setStream(sink)
    try:
        with contextlib.redirect_stdout(sink):
            yield
    finally:
        handler.setStream(previous)


# --- the AWS emulator --------------------------------------------------------------------------------
class EmulatorClock:
    """Time spent inside moto, per thread that called it.

    moto answers a boto3 call synchronously inside the caller's thread (a botocore `before-send` hook);
    that time is AWS's service time in production, spent on AWS's machines. The benchmarks report it and
    subtract it, so a figure says what the product's own code costs.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cpu = 0.0

    def add(self, seconds: float, cpu_seconds: float = 0.0) -> None:
        self._local.total = self.total + seconds
        with self._lock:
            self._cpu += cpu_seconds

    @property
    def cpu(self) -> float:
        """moto's CPU time in every thread. Where threads call moto at once, their wall times overlap (each
        waits for the interpreter lock while another runs), their CPU times do not: this is what moto took
        from the process."""
        with self._lock:
            return self._cpu

    @property
    def total(self) -> float:
        return float(getattr(self._local, "total", 0.0))

    def reset(self) -> None:
        self._local.total = 0.0
        with self._lock:
            self._cpu = 0.0


EMULATOR = EmulatorClock()


def patch_moto() -> None:
    """Make moto's own cost linear, and measurable.

    1. moto's SQS computes every queue attribute, scanning every message in the queue, several times per
       message sent (ContentBasedDeduplication is read through `Queue.attributes`), which makes a
       1,000-message poll quadratic: 50 s instead of 0.2 s. The three approximate counters become O(1).
    2. `camelcase_to_underscores`, a pure function moto calls tens of thousands of times per call, is memoised.
    3. The time moto spends answering each call is added to EMULATOR (see EmulatorClock).
    None of this touches the product, boto3 or the requests and responses.
    """
    import functools

    import moto.core.utils as moto_utils
    import moto.sqs.models as sqs_models
    from moto.core import botocore_stubber

    queue: Any = sqs_models.Queue
    queue.approximate_number_of_messages_delayed = property(lambda self: 0)
    queue.approximate_number_of_messages_not_visible = property(lambda self: 0)
    queue.approximate_number_of_messages = property(lambda self: len(self._messages))

    original = moto_utils.camelcase_to_underscores
    if not hasattr(original, "cache_info"):
        cached = functools.lru_cache(maxsize=None)(original)
        for module in list(sys.modules.values()):
            if module is not None and getattr(module, "camelcase_to_underscores", None) is original:
                module.camelcase_to_underscores = cached  # type: ignore[attr-defined]

    stubber: Any = botocore_stubber.BotocoreStubber
    if not getattr(stubber, "_bench_timed", False):
        answer = stubber.__call__

        def timed(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            started, cpu_started = time.perf_counter(), time.thread_time()
            try:
                return answer(self, event_name, request, **kwargs)
            finally:
                EMULATOR.add(time.perf_counter() - started, time.thread_time() - cpu_started)

        stubber.__call__ = timed
        stubber._bench_timed = True


class CallCounter:
    """Counts the AWS calls the product's own boto3 clients make (botocore's `before-call` event)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, event_name: str, **kwargs: Any) -> None:
        # before-call.<service>.<Operation>
        service, operation = event_name.split(".", 2)[1:]
        self.calls[f"{service}.{operation}"] += 1

    def attach(self, *services: str) -> CallCounter:
        from srevents.adapters.aws import client

        for service in services:
            client(service).meta.events.register("before-call.*.*", self)
        return self

    def reset(self) -> None:
        self.calls.clear()

    def total(self, *services: str) -> int:
        return sum(n for name, n in self.calls.items() if name.split(".")[0] in services)


def dynamodb_item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB sizes it for capacity units (attribute names plus values; numbers are
    approximated as DynamoDB stores them: about one byte per two digits, plus one)."""

    def value(v: dict[str, Any]) -> int:
        ((kind, content),) = v.items()
        if kind == "S":
            return len(content.encode("utf-8"))
        if kind == "N":
            return len(content.lstrip("-").replace(".", "")) // 2 + 1
        if kind == "B":
            return len(content)
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "L":
            return 3 + sum(1 + value(x) for x in content)
        if kind == "M":
            return 3 + sum(1 + len(k.encode("utf-8")) + value(x) for k, x in content.items())
        if kind in ("SS", "NS", "BS"):
            return sum(value({kind[0]: x}) for x in content)
        raise ValueError(f"unknown DynamoDB type {kind}")

    return sum(len(name.encode("utf-8")) + value(v) for name, v in item.items())


# --- subprocess plumbing -------------------------------------------------------------------------------
def emit(results: list[Result]) -> None:
    """A benchmark module's last stdout line: its results as JSON (read by bench/__main__.py)."""
    sys.stdout.flush()
    print(json.dumps([r.as_json() for r in results]), file=sys.__stdout__, flush=True)


def repeats_from_argv(default: int) -> int:
    if "--repeats" in sys.argv:
        return max(1, int(sys.argv[sys.argv.index("--repeats") + 1]))
    return default
