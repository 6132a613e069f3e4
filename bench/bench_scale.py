"""The scale run: the local stack with 1,000 instances on a short interval, changes at a steady rate.

    make bench ARGS="--only scale"                     # defaults below (about 6 minutes in all)
    python -m bench.bench_scale --instances 1000 --interval 60 --changes-per-second 5 --seconds 240

What runs: moto's server in a process of its own (so AWS's emulation has the second core), and in this
process the stack of `python -m devstack`: the SmartRecruiters simulator with its strict per-key limits, the
scheduler loop firing the stored schedules, `--polls-at-once` poll handler containers, the SQS pumps with
their deliver handler containers, and the verifying receiver. Instances are created through the instances
service (the API's per-organization limit is not what is measured here), each with its own SmartRecruiters
key and polling only its own candidates (`tag='i<n>'` in its URL), on the seed's 15-minute interval run
`900 / interval` times faster.

What it measures, over `--seconds` after one interval of warm-up:
- **correctness**: every change (a new candidate, or a new version of one whose last version was already
  delivered, so that no version is ever replaced before a poll could see it) delivered exactly once, and
  in order per instance (each instance's event dates never go back, in the order the receiver got them);
- **poll lateness**: when a poll started minus when its schedule was due (the scheduler loop's own tick
  included), p50 and p99, and in the first and the last minute, which shows whether a backlog grows;
- **throughput**: polls and deliveries per second; **AWS calls per poll**, by operation, counted on the poll
  containers' threads; **CPU**: the machine's busy share (both cores, /proc/stat) and each process's.

Figures, not assertions: a run that does not keep up says so in its figures (lateness growing, changes
missing at the end).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench.common import REGION, CountingSink, Result, add_paths, emit, handler_output, log, percentile

SIGNATURE_KEY = "asdfo08e$fd"
BASE_INTERVAL_SECONDS = 15 * 60  # the seed's refresh_interval


# --- the ledger: what was changed, what arrived --------------------------------------------------------
@dataclass
class Ledger:
    """Versions made and delivered, per instance. A version is (candidate id, updatedOn)."""

    made: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)  # version → (instance, when)
    delivered: Counter[tuple[str, str]] = field(default_factory=Counter)
    arrived_at: dict[tuple[str, str], float] = field(default_factory=dict)
    last_date: dict[int, str] = field(default_factory=dict)  # instance → newest event date received
    out_of_order: int = 0
    notifications: list[float] = field(default_factory=list)  # arrival times
    events: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def changed(self, instance: int, record: dict[str, Any]) -> None:
        with self.lock:
            self.made[(record["id"], record["updatedOn"])] = (instance, time.monotonic())

    def received(self, summary: dict[str, Any]) -> None:
        now = time.monotonic()
        with self.lock:
            self.notifications.append(now)
            instance = int(summary["instanceId"])
            for event in summary["events"]:
                version = (event["objectId"], event["date"])
                self.delivered[version] += 1
                self.arrived_at.setdefault(version, now)
                self.events += 1
                if event["date"] < self.last_date.get(instance, ""):
                    self.out_of_order += 1
                self.last_date[instance] = max(event["date"], self.last_date.get(instance, ""))

    def is_delivered(self, version: tuple[str, str]) -> bool:
        with self.lock:
            return version in self.delivered

    def outstanding(self) -> int:
        with self.lock:
            return sum(1 for version in self.made if version not in self.delivered)

    def summary(self) -> dict[str, Any]:
        with self.lock:
            latencies = [self.arrived_at[v] - made for v, (_, made) in self.made.items() if v in self.arrived_at]
            return {
                "changes": len(self.made),
                "delivered": sum(1 for v in self.made if v in self.delivered),
                "missing": sum(1 for v in self.made if v not in self.delivered),
                "duplicates": sum(n - 1 for n in self.delivered.values() if n > 1),
                "unexpected": sum(1 for v in self.delivered if v not in self.made),
                "out_of_order": self.out_of_order,
                "missing_sample": [
                    {"instance": self.made[v][0], "candidate": v[0], "updatedOn": v[1]}
                    for v in list(self.made)
                    if v not in self.delivered
                ][:5],
                "change_to_callback_p50_s": round(percentile(latencies, 50), 2) if latencies else None,
                "change_to_callback_p99_s": round(percentile(latencies, 99), 2) if latencies else None,
            }


class Changes:
    """Creates candidates for random instances, and new versions of those whose last version arrived."""

    def __init__(
        self, store: Any, ledger: Ledger, instances: list[tuple[int, str]], per_second: float, seed: int = 11
    ) -> None:
        self._store = store
        self._ledger = ledger
        self._instances = instances
        self._every = 1 / per_second
        self._rng = random.Random(seed)
        self._current: dict[str, tuple[int, tuple[str, str]]] = {}  # candidate → (instance, its latest version)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scale-changes", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def step(self) -> None:
        updatable = [c for c, (_, v) in self._current.items() if self._ledger.is_delivered(v)] if self._current else []
        if updatable and self._rng.random() < 0.5:
            candidate = self._rng.choice(updatable)
            instance = self._current[candidate][0]
            record = self._store.update_candidate(candidate, firstName=self._rng.choice(["Ada", "Grace", "Ken"]))
        else:
            instance, tag = self._rng.choice(self._instances)
            record = self._store.create_candidate(firstName="Scale", tags=[tag])  # what its URL asks for
        version = (record["id"], record["updatedOn"])
        self._current[record["id"]] = (instance, version)
        self._ledger.changed(instance, record)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            next_at += self._every
            try:
                self.step()
            except Exception as error:  # keep the rate; a failed change is simply not in the ledger
                log(f"scale: change failed: {error}")
            self._stop.wait(max(0.0, next_at - time.monotonic()))


# --- lateness, AWS calls, CPU ----------------------------------------------------------------------------
@dataclass
class Lateness:
    """When each instance's firing was due, and how late its poll started."""

    due: dict[int, float] = field(default_factory=dict)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (started, late by)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fired(self, event: dict[str, Any], due: float) -> None:
        with self.lock:
            self.due.setdefault(int(event["instanceId"]), due)  # a firing dropped behind a waiting one keeps its due

    def started(self, event: dict[str, Any]) -> None:
        now = time.monotonic()
        with self.lock:
            due = self.due.pop(int(event["instanceId"]), None)
            if due is not None:
                self.samples.append((now, now - due))

    def between(self, start: float, end: float) -> list[float]:
        with self.lock:
            return [late for at, late in self.samples if start <= at < end]


class CallCounter:
    """AWS calls made on the poll containers' threads (botocore's before-call event on the one Session)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.counting = False
        self._lock = threading.Lock()

    def __call__(self, model: Any = None, **_: Any) -> None:
        if self.counting and threading.current_thread().name.startswith("poll-runner"):
            with self._lock:
                self.calls[f"{model.service_model.service_name}.{model.name}"] += 1


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [float(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def process_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (float(fields[11]) + float(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the stack ------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return child, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    child.kill()
    raise RuntimeError("moto's server did not start")


def candidate_url(instance_tag: str) -> str:
    return (
        "/hubs/humancapital/candidates?where=updatedAfter='${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}' "
        f"and tag='{instance_tag}'"
    )


def run(args: argparse.Namespace) -> list[Result]:
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    moto, aws_url = start_moto()
    try:
        return _measure(args, moto, aws_url)
    finally:
        moto.terminate()
        moto.wait(timeout=10)


def _measure(args: argparse.Namespace, moto: subprocess.Popen[bytes], aws_url: str) -> list[Result]:
    from devstack.stack import configure_aws_environment

    configure_aws_environment(aws_url, "http://127.0.0.1:9")  # no poll-now here: Lambda is never invoked
    import copy

    import boto3

    from devstack.aws_resources import create_stack_resources
    from devstack.lambda_runtime import load_handler_module
    from devstack.receiver import Receiver
    from devstack.seed import SEED_BODY
    from devstack.smartrecruiters import SimulatorServer, SimulatorStore
    from devstack.sqs_pump import GroupsInFlight, SqsPump
    from devstack.stack import DeliveryPump, PollRunner, SchedulerLoop
    from srevents.adapters.accounts_store import AccountsStore
    from srevents.adapters.aws import session as adapters_session
    from srevents.domain.auth import Principal
    from srevents.services.instances_service import Caller
    from srevents.settings import Settings
    from srevents.wiring import instances_service

    time_scale = BASE_INTERVAL_SECONDS / args.interval
    session = boto3.Session(region_name=REGION)
    resources = create_stack_resources(
        session, parameters={"AllowPrivateCallbacks": "true", "AllowHttpCallbacks": "true"}
    )
    store = SimulatorStore()  # strict limits: 10 requests/s and one GET /candidates per key
    simulator = SimulatorServer(store).start()
    receiver = Receiver(SIGNATURE_KEY).start()
    ledger = Ledger()
    receiver.on_receive = lambda record: ledger.received(record.summary())

    environment: dict[str, str] = {}
    for function in ("ApiFunction", "PollFunction", "DeliverFunction"):
        environment.update(resources.function_environment(function))
    environment.update(
        {
            "SMARTRECRUITERS_BASE_URL": simulator.base_url,
            "RETRY_DELAY_SCALE": str(time_scale),
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.update(environment)
    settings = Settings.from_env()
    calls = CallCounter()
    # Before any client is made: a client copies the Session's event hooks when it is created.
    adapters_session()._session.register("before-call", calls)

    # --- 1,000 instances, each with its own key, polling its own candidates -----------------------------
    accounts = AccountsStore(session.client("dynamodb"), resources.refs["InstancesTable"])
    organization_id, _ = accounts.create_organization("Scale")
    user_id, _ = accounts.create_user(organization_id, "scale@localhost")
    caller = Caller(Principal(organization_id, user_id), None)
    service = instances_service(settings)

    def create(number: int) -> int:
        key = f"scale-key-{number:05d}"
        store.add_api_key(key)
        body = copy.deepcopy(SEED_BODY)
        configuration = body["configuration"]
        configuration["api.key"] = key
        configuration["event.notification.callback.url"] = receiver.url
        configuration["event.poller.configuration"]["candidates"]["url"] = candidate_url(f"i{number}")
        return int(service.create(caller, body)["id"])

    # --- the pipeline -----------------------------------------------------------------------------------
    lateness = Lateness()
    poll_errors: Counter[str] = Counter()

    def poll_result(result: dict[str, Any]) -> None:
        for resource in result.get("resources", []):
            if resource.get("result") == "error":
                poll_errors[str(resource.get("error"))[:160]] += 1

    runner = PollRunner(
        [load_handler_module("poll").lambda_handler for _ in range(args.polls_at_once)],
        on_start=lateness.started,
        on_result=poll_result,
    )
    runner.start()
    scheduler = SchedulerLoop(
        session.client("scheduler"),
        resources.refs["PollerScheduleGroup"],
        runner,
        time_scale=time_scale,
        on_fire=lateness.fired,
    )
    in_flight = GroupsInFlight()
    sqs = session.client("sqs")
    delivery = DeliveryPump(
        [
            SqsPump(
                sqs,
                resources.refs["NotificationQueue"],
                resources.attrs[("NotificationQueue", "Arn")],
                load_handler_module("deliver").lambda_handler,
                in_flight=in_flight,
            )
            for _ in range(args.delivery_batches)
        ]
    )
    delivery.start()
    scheduler.start()
    changes: Changes | None = None
    sink = CountingSink()
    output = handler_output(sink)
    output.__enter__()  # the handlers' logs and metrics: counted, not printed
    try:
        # Created one after another over one interval, as instances made over months are spread over it: a
        # rate schedule fires one interval after it is created (an aligned burst is another matter).
        log(f"scale: creating {args.instances} instances over one interval ({args.interval:g} s)")
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = []
            for number in range(args.instances):
                time.sleep(max(0.0, started + number * args.interval / args.instances - time.monotonic()))
                futures.append(pool.submit(create, number))
            numbers = [(future.result(), f"i{number}") for number, future in enumerate(futures)]
        created_in = time.monotonic() - started
        log(f"scale: {args.instances} instances created in {created_in:.0f} s; changes start")
        changes = Changes(store, ledger, numbers, args.changes_per_second)
        changes.start()
        time.sleep(min(args.interval, 20))
        polls_before, notifications_before = runner.polls, len(ledger.notifications)
        busy_before, total_before = cpu_times()
        own_before, moto_before = sum(os.times()[:2]), process_cpu_seconds(moto.pid)
        calls.counting = True
        window_start = time.monotonic()
        log(f"scale: measuring for {args.seconds:g} s")
        time.sleep(args.seconds)
        window_end = time.monotonic()
        calls.counting = False
        busy_after, total_after = cpu_times()
        own_after, moto_after = sum(os.times()[:2]), process_cpu_seconds(moto.pid)
        polls = runner.polls - polls_before
        notifications = len(ledger.notifications) - notifications_before
        changes.stop()
        drain_limit = 3 * args.interval + 30
        log(f"scale: changes stopped; waiting up to {drain_limit:g} s for the last ones to arrive")
        drain_start = time.monotonic()
        while ledger.outstanding() and time.monotonic() - drain_start < drain_limit:
            time.sleep(1)
        drained_in = time.monotonic() - drain_start
    finally:
        if changes is not None:
            changes.stop()
        scheduler.stop()
        runner.stop()
        delivery.stop()
        receiver.stop()
        simulator.stop()
        output.__exit__(None, None, None)

    seconds = window_end - window_start
    late = lateness.between(window_start, window_end)
    first_minute = lateness.between(window_start, window_start + min(60, seconds / 2))
    last_minute = lateness.between(window_end - min(60, seconds / 2), window_end)
    outcome = ledger.summary()
    per_poll = {op: round(n / polls, 2) for op, n in sorted(calls.calls.items())} if polls else {}
    calls_per_poll = sum(calls.calls.values()) / polls if polls else float("inf")
    busy = (busy_after - busy_before) / (total_after - total_before)
    expected_polls_per_s = args.instances / args.interval
    machine = f"{os.cpu_count()} cores"
    common = {
        "instances": args.instances,
        "interval_s": args.interval,
        "time_scale": round(time_scale, 2),
        "changes_per_s": args.changes_per_second,
        "measured_s": round(seconds, 1),
        "polls_at_once": args.polls_at_once,
        "delivery_batches": args.delivery_batches,
        "instances_created_in_s": round(created_in, 1),
    }
    p50, p99 = (percentile(late, 50), percentile(late, 99)) if late else (float("inf"), float("inf"))
    lost_or_twice = outcome["missing"] + outcome["duplicates"] + outcome["out_of_order"] + outcome["unexpected"]
    return [
        Result(
            name=f"scale: {args.instances:,} instances, changes lost+duplicated+out of order",
            value=lost_or_twice,
            unit="versions",
            baseline=outcome["changes"],
            ratio=round(lost_or_twice / outcome["changes"], 4) if outcome["changes"] else 0.0,
            goal="value <= 0",
            details={
                **common,
                **outcome,
                "drained_in_s": round(drained_in, 1),
                "poll_errors": dict(poll_errors.most_common(5)),
                "baseline_is": "changes made",
            },
        ),
        Result(
            name=f"scale: {args.instances:,} instances, poll lateness p50",
            value=round(p50, 2),
            unit="s",
            baseline=args.interval,
            ratio=round(p50 / args.interval, 3),
            goal="",
            details={**common, "baseline_is": "the polling interval at this time scale", "polls": len(late)},
        ),
        Result(
            name=f"scale: {args.instances:,} instances, poll lateness p99",
            value=round(p99, 2),
            unit="s",
            baseline=args.interval,
            ratio=round(p99 / args.interval, 3),
            goal="ratio <= 0.1",
            details={
                **common,
                "baseline_is": "the polling interval at this time scale",
                "first_minute_p50_p99_s": [round(percentile(first_minute, p), 2) for p in (50, 99)]
                if first_minute
                else None,
                "last_minute_p50_p99_s": [round(percentile(last_minute, p), 2) for p in (50, 99)]
                if last_minute
                else None,
                "max_s": round(max(late), 2) if late else None,
            },
        ),
        Result(
            name=f"scale: {args.instances:,} instances, polls per second",
            value=round(polls / seconds, 2),
            unit="polls/s",
            baseline=round(expected_polls_per_s, 2),
            ratio=round(polls / seconds / expected_polls_per_s, 3),
            goal="ratio >= 0.95",
            details={**common, "baseline_is": "instances / interval: the rate the schedules ask for"},
        ),
        Result(
            name=f"scale: {args.instances:,} instances, deliveries per second",
            value=round(notifications / seconds, 2),
            unit="notifications/s",
            baseline=args.changes_per_second,
            ratio=round(notifications / seconds / args.changes_per_second, 3),
            goal="",
            details={
                **common,
                "baseline_is": "changes made per second (a notification carries up to 10 of one instance's)",
                "events_received": ledger.events,
            },
        ),
        Result(
            name="scale: AWS calls per poll",
            value=round(calls_per_poll, 2),
            unit="calls",
            baseline=round(calls_per_poll, 2),
            ratio=1.0,
            goal="",
            details={**common, "per_poll_by_operation": per_poll, "polls_counted": polls},
        ),
        Result(
            name=f"scale: machine CPU busy ({machine})",
            value=round(100 * busy, 1),
            unit="%",
            baseline=100.0,
            ratio=round(busy, 3),
            goal="",
            details={
                **common,
                "baseline_is": "all cores busy",
                "stack_process_cpu_s_per_s": round((own_after - own_before) / seconds, 2),
                "moto_process_cpu_s_per_s": round((moto_after - moto_before) / seconds, 2),
                "load_average": os.getloadavg(),
            },
        ),
    ]


def main() -> None:
    add_paths()
    parser = argparse.ArgumentParser(prog="python -m bench.bench_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=int(os.environ.get("SCALE_INSTANCES", 1000)))
    parser.add_argument(
        "--interval", type=float, default=float(os.environ.get("SCALE_INTERVAL", 60)), help="seconds between polls"
    )
    parser.add_argument(
        "--changes-per-second", type=float, default=float(os.environ.get("SCALE_CHANGES_PER_SECOND", 5))
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("SCALE_SECONDS", 180)),
        help="measured window after one interval of warm-up (default 180; SCALE_SECONDS)",
    )
    parser.add_argument("--polls-at-once", type=int, default=8)
    parser.add_argument("--delivery-batches", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1, help="ignored: one run (bench/__main__ passes it)")
    emit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
