"""One SmartRecruiters key, several containers: 429s without and with the limit shared across containers.

Three "containers" (threads, each with its own first gate, its own view of the rate-limits table and its
own client, as three poll function containers have) page through the same key's `/candidates` and `/jobs`
at the same moments, against the simulator with SmartRecruiters' strict limits on the wall clock (10
requests/s per key, one `GET /candidates` at a time). Baseline: the same without the shared limit (each
container keeps to 10 requests/s on its own, as before). Figures: the simulator's 429 answers, the wall
time, and the DynamoDB calls per SmartRecruiters request the shared limit costs.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from bench.common import REGION, Result, add_paths, emit, log, median, prepare_environment, repeats_from_argv

CONTAINERS = 3
ROUNDS = 3
RECORDS = 50  # 5 pages of 10 for each listing
KEY = "sr-bench-shared-key-0001"


def scenario(shared: bool) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from devstack.aws_resources import create_stack_resources
    from devstack.smartrecruiters import SimulatorServer, SimulatorStore
    from srevents.adapters.aws import reset_clients, session
    from srevents.adapters.rate_limits_store import RateLimitsStore
    from srevents.adapters.shared_key_limit import SharedKeyLimit
    from srevents.adapters.smartrecruiters import KeyGates, SmartRecruitersClient
    from srevents.clock import SystemClock

    with mock_aws():
        reset_clients()
        resources = create_stack_resources(session())
        store = SimulatorStore()  # strict limits on the wall clock
        store.add_api_key(KEY)
        for _ in range(RECORDS):
            store.create_candidate()
            store.create_job()
        with SimulatorServer(store) as server:
            stores = [
                RateLimitsStore(boto3.client("dynamodb", region_name=REGION), resources.refs["RateLimitsTable"])
                for _ in range(CONTAINERS)
            ]
            clients = [
                SmartRecruitersClient(
                    KEY,
                    server.base_url,
                    gates=KeyGates(),
                    max_attempts=30,
                    shared=SharedKeyLimit(s, hashlib.sha256(KEY.encode()).hexdigest(), SystemClock())
                    if shared
                    else None,
                )
                for s in stores
            ]
            pages: list[int] = []
            lock = threading.Lock()
            go = threading.Barrier(CONTAINERS)

            def work(client: SmartRecruitersClient) -> None:
                go.wait()
                for _ in range(ROUNDS):
                    for path in ("/candidates", "/jobs"):
                        count = sum(1 for _ in client.iter_pages(path, {}, limit=10))
                        with lock:
                            pages.append(count)

            threads = [threading.Thread(target=work, args=(c,)) for c in clients]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            counters = store.counters()
        reset_clients()
    requests = sum(counters["requests"].values())
    return {
        "429": counters["responses"].get("429", 0),
        "requests": requests,
        "pages": sum(pages),
        "wall_s": round(wall, 2),
        "dynamodb_calls": sum(s.calls for s in stores),
        "dynamodb_calls_per_request": round(sum(s.calls for s in stores) / requests, 2),
    }


def main() -> None:
    prepare_environment("WARNING")
    add_paths()
    repeats = repeats_from_argv(3)
    before, after = [], []
    for run in range(repeats):
        log(f"shared key: run {run + 1} of {repeats}, {CONTAINERS} containers, without then with the shared limit")
        before.append(scenario(shared=False))
        after.append(scenario(shared=True))
    refused_before = median([b["429"] for b in before])
    refused_after = median([a["429"] for a in after])
    details = {
        "baseline_is": f"the same {CONTAINERS} containers, each keeping to 10 requests/s on its own",
        "containers": CONTAINERS,
        "listings_per_container": ROUNDS * 2,
        "pages_per_listing": RECORDS // 10,
        "simulator": "strict: 10 requests/s per key (a bucket of 10), one GET /candidates at a time",
        "without_runs": before,
        "with_runs": after,
    }
    emit(
        [
            Result(
                name=f"one key, {CONTAINERS} containers: SmartRecruiters 429s",
                value=refused_after,
                unit="429s",
                baseline=refused_before,
                ratio=round(refused_after / refused_before, 3) if refused_before else 0.0,
                goal="value <= 0",
                details=details,
            ),
            Result(
                name=f"one key, {CONTAINERS} containers: wall time",
                value=median([a["wall_s"] for a in after]),
                unit="s",
                baseline=median([b["wall_s"] for b in before]),
                ratio=round(median([a["wall_s"] for a in after]) / median([b["wall_s"] for b in before]), 2),
                goal="",
                details={
                    "baseline_is": "the same without the shared limit (its 429s cost backoff waits)",
                    "dynamodb_calls_per_smartrecruiters_request": median(
                        [a["dynamodb_calls_per_request"] for a in after]
                    ),
                },
            ),
        ]
    )


if __name__ == "__main__":
    main()
