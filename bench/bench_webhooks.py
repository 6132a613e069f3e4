"""Real time through the local stack: a change in SmartRecruiters → a verified callback, with no poll at all.

The stack is started as a user starts it (bench_e2e.Stack: `python -m devstack --no-demo`, its own process).
One webhook instance (`event.vendor.type: webhook`, polling once a day so no poll runs during the measure);
for each of 50 changes: create a candidate through the simulator's control endpoint and wait for the
receiver's line naming that candidate with both signatures verified. The path is the whole push path:
the simulator's signed callback → the API's inbound route (signature check) → asynchronous invoke of the poll
function → the record fetched by id → the notification queue → the deliverer → the receiver.

The baseline, measured the same way in the same run: the least any pipeline must do for one change, by hand
from here: create the candidate, GET it from the simulator, and POST a body naming it to the same receiver.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from bench.bench_e2e import API_KEY, Stack
from bench.common import Result, add_paths, emit, log, median, percentile, ratio, repeats_from_argv


def run(changes: int) -> list[Result]:
    import requests

    from devstack.http_client import http_json
    from devstack.seed import SEED_BODY

    log("starting the local stack (python -m devstack --no-demo)")
    stack = Stack()
    try:
        body = copy.deepcopy(SEED_BODY)
        body["configuration"]["event.notification.callback.url"] = stack.receiver_url
        body["configuration"]["api.key"] = API_KEY
        body["configuration"]["event.vendor.type"] = "webhook"
        body["configuration"]["event.poller.refresh_interval"] = "1440"
        status, instance = http_json("POST", f"{stack.api_url}/instances", body, stack.auth)
        assert status == 200, instance
        session = requests.Session()

        def change() -> dict[str, Any]:
            response = session.post(f"{stack.simulator_url}/_simulator/candidates", json={"firstName": "B"}, timeout=30)
            response.raise_for_status()
            result: dict[str, Any] = response.json()
            return result

        def pushed() -> float:
            started = time.perf_counter()
            candidate = change()
            at, line = stack.wait_for_line(candidate["id"][:8], timeout=60)
            assert "signature verified" in line, line
            return at - started

        def by_hand() -> float:
            started = time.perf_counter()
            candidate = change()
            found = session.get(
                f"{stack.simulator_url}/candidates/{candidate['id']}", headers={"X-SmartToken": API_KEY}, timeout=30
            )
            assert found.status_code == 200
            posted = session.post(stack.receiver_url, json={"objectId": candidate["id"]}, timeout=30)
            assert posted.status_code == 200
            return time.perf_counter() - started

        pushed()  # warm-up: the handlers' first invocations create their clients
        by_hand()
        log(f"webhooks: {changes} changes pushed through the stack, {changes} by hand, alternating")
        ours, theirs = [], []
        for _ in range(changes):
            ours.append(pushed())
            theirs.append(by_hand())
    finally:
        stack.stop()

    p50, p95 = median(ours), percentile(ours, 95)
    b50, b95 = median(theirs), percentile(theirs, 95)
    details = {
        "baseline_is": "by hand: create the candidate, GET it by id from the simulator, POST it to the receiver",
        "changes": changes,
        "runs_s": [round(x, 3) for x in ours],
        "baseline_runs_s": [round(x, 4) for x in theirs],
    }
    return [
        Result("webhooks: change -> verified callback, no poll, p50", round(p50, 3), "s", round(b50, 4),
               round(ratio(p50, b50), 1), "value <= 2", details=details),
        Result("webhooks: change -> verified callback, no poll, p95", round(p95, 3), "s", round(b95, 4),
               round(ratio(p95, b95), 1), "value <= 5", details={"changes": changes}),
    ]  # fmt: skip


def main() -> None:
    add_paths()
    emit(run(repeats_from_argv(50)))


if __name__ == "__main__":
    main()
