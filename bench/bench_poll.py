"""Poll: 10,000 changed candidates (100 pages) vs a raw `requests` loop over the same pages; AWS calls per
1,000 events polled.

The product side is the poll function's handler (functions/poll/app.py, Powertools decorators included),
invoked with a Scheduler event for an instance that has never been polled: it reads every page, detects
10,000 changes, builds 1,000 notifications, writes its plan, enqueues them (SendMessageBatch) and commits.
The baseline fetches exactly those pages with a plain `requests.Session` and decodes their JSON: the
least any poller must do. Both hit the same simulator (in this process, rate limiting off, no added
latency). Time spent inside moto (AWS's side of each call) is subtracted from the product's time and
reported separately.

Calls are counted with botocore's `before-call` event on the product's own clients, on a poll of
1,000 changed candidates (10 pages): the design budget is 4 + ceil(notifications / 10) DynamoDB + SQS
calls per resource (get instance, lease with state, plan, SendMessageBatch x n, commit), plus the
SmartRecruiters key's limit shared across containers: 2 + ceil((pages - 1) / 5) (the first page's token with
the GET /candidates lease, the lease given back, the later pages' tokens 5 at a time).
"""

from __future__ import annotations

import math
import time
from typing import Any

from bench.common import (
    EMULATOR,
    CallCounter,
    CountingSink,
    Result,
    alternate,
    dynamodb_item_bytes,
    emit,
    handler_output,
    log,
    median,
    prepare_environment,
    ratio,
    repeats_from_argv,
)

CANDIDATES = 10_000
SMALL_POLL = 1_000


def _invoke(module: Any, instance_id: int, sink: CountingSink) -> dict[str, Any]:
    from devstack.lambda_runtime import LambdaContext

    context = LambdaContext(function_name="srevents-PollFunction", timeout_seconds=300, memory_limit_in_mb=1024)
    with handler_output(sink):
        result: dict[str, Any] = module.lambda_handler({"instanceId": instance_id}, context)
    return result


def run(repeats: int) -> list[Result]:
    import requests

    from bench.world import API_KEY, load_handler, world
    from srevents.clock import iso_millis
    from srevents.domain.watermark import lower_bound

    results: list[Result] = []
    with world() as w:
        # --- AWS calls per 1,000 events: one poll of 1,000 changed candidates -------------------------
        small = w.create_instance()
        w.clock.advance(1)
        w.add_candidates(SMALL_POLL)
        w.clock.advance(2)
        module = load_handler("poll", w.clock)
        counter = CallCounter().attach("dynamodb", "sqs", "kms")
        sink = CountingSink()
        counter.reset()
        outcome = _invoke(module, small, sink)
        events = sum(r["events"] for r in outcome["resources"])
        notifications = sum(r["notifications"] for r in outcome["resources"])
        small_calls = dict(counter.calls)
        small_log_bytes = sink.chars
        ddb = w.dynamodb()
        instance_item = ddb.get_item(TableName=w.settings.instances_table, Key={"pk": {"S": f"INSTANCE#{small}"}})
        state_item = ddb.get_item(TableName=w.settings.poller_state_table, Key={"instanceId": {"N": str(small)}})
        data_calls = counter.total("dynamodb", "sqs")
        pages = sum(r["pages"] for r in outcome["resources"])
        budget = 4 + math.ceil(notifications / 10) + 2 + math.ceil((pages - 1) / 5)
        results.append(
            Result(
                name="poll: DynamoDB+SQS calls per 1,000 events",
                value=round(data_calls * 1000 / events, 2),
                unit="calls",
                baseline=round(budget * 1000 / events, 2),
                ratio=round(ratio(data_calls, budget), 3),
                goal="ratio <= 1.05",
                details={
                    "events": events,
                    "notifications": notifications,
                    "pages": pages,
                    "calls": small_calls,
                    "baseline_is": "the design budget: get instance, lease+state, plan, ceil(notifications/10) "
                    "SendMessageBatch, commit; the shared SmartRecruiters limit: token+lease, lease back, "
                    "ceil((pages-1)/5) token batches",
                    "log_bytes_per_poll": small_log_bytes,
                    "instance_item_bytes": dynamodb_item_bytes(instance_item["Item"]),
                    "state_item_bytes": dynamodb_item_bytes(state_item["Item"]),
                },
            )
        )
        log(f"poll of {events} events: {data_calls} DynamoDB+SQS calls {small_calls}")
        w.purge_notifications()

        # --- a typical poll: the same instance two minutes later, three changes --------------------------
        w.clock.advance(120)
        w.add_candidates(3)
        w.clock.advance(2)
        counter.reset()
        sink = CountingSink()
        typical_outcome = _invoke(module, small, sink)
        typical = {
            "events": sum(r["events"] for r in typical_outcome["resources"]),
            "notifications": sum(r["notifications"] for r in typical_outcome["resources"]),
            "calls": dict(counter.calls),
            "log_bytes": sink.chars,
            "state_item_bytes": dynamodb_item_bytes(
                ddb.get_item(TableName=w.settings.poller_state_table, Key={"instanceId": {"N": str(small)}})["Item"]
            ),
        }
        results[0].details["typical_poll"] = typical
        w.purge_notifications()

        # --- the 10,000-candidate poll ------------------------------------------------------------------
        w.clock.advance(120)  # the first candidates fall out of every later poll's lookback
        fresh = [w.create_instance() for _ in range(repeats + 1)]
        created = w.clock.now()
        w.clock.advance(1)
        log(f"creating {CANDIDATES} candidates in the simulator")
        w.add_candidates(CANDIDATES)
        w.clock.advance(2)

        seen: list[dict[str, Any]] = []

        def product() -> float:
            instance_id = fresh.pop()
            w.purge_notifications()
            counter.reset()
            EMULATOR.reset()
            sink = CountingSink()
            started = time.perf_counter()
            outcome = _invoke(module, instance_id, sink)
            wall = time.perf_counter() - started
            resources = outcome["resources"]
            assert outcome["status"] == "polled" and resources[0]["events"] == CANDIDATES, outcome
            seen.append(
                {
                    "wall": wall,
                    "emulator": EMULATOR.total,
                    "calls": dict(counter.calls),
                    "log_bytes": sink.chars,
                    "pages": resources[0]["pages"],
                    "notifications": resources[0]["notifications"],
                }
            )
            return wall - EMULATOR.total

        session = requests.Session()
        updated_after = iso_millis(lower_bound(created, 60))
        url = w.simulator.base_url + "/candidates"

        def raw() -> float:
            started = time.perf_counter()
            records: list[dict[str, Any]] = []
            page_id = None
            while True:
                query = {"updatedAfter": updated_after, "limit": "100"}
                if page_id:
                    query["pageId"] = page_id
                response = session.get(url, params=query, headers={"X-SmartToken": API_KEY}, timeout=30)
                response.raise_for_status()
                body = response.json()
                records.extend(body["content"])
                page_id = body.get("nextPageId")
                if not page_id:
                    break
            assert len(records) == CANDIDATES, len(records)
            return time.perf_counter() - started

        log(f"polling {CANDIDATES} changed candidates, {repeats} times each side")
        ours, theirs = alternate(product, raw, repeats)
        timed = seen[1:]  # the first was the warm-up
        ours_median, theirs_median = median(ours), median(theirs)
        wall_median = median([s["wall"] for s in timed])
        last = timed[-1]
        data_calls = sum(n for name, n in last["calls"].items() if name.split(".")[0] in ("dynamodb", "sqs"))
        results.insert(
            0,
            Result(
                name="poll 10,000 changed candidates (100 pages)",
                value=round(ours_median, 3),
                unit="s",
                baseline=round(theirs_median, 3),
                ratio=round(ratio(ours_median, theirs_median), 3),
                goal="ratio <= 1.3",
                details={
                    "baseline_is": "a raw requests loop over the same 100 pages (GET + JSON decode)",
                    "repeats": repeats,
                    "product_runs_s": [round(x, 3) for x in ours],
                    "baseline_runs_s": [round(x, 3) for x in theirs],
                    "wall_with_emulator_s": round(wall_median, 3),
                    "emulator_s": round(median([s["emulator"] for s in timed]), 3),
                    "ratio_with_emulator": round(ratio(wall_median, theirs_median), 3),
                    "pages": last["pages"],
                    "notifications": last["notifications"],
                    "calls": last["calls"],
                    "dynamodb_sqs_calls_per_1000_events": round(data_calls * 1000 / CANDIDATES, 2),
                    "log_bytes_per_poll": last["log_bytes"],
                    "cpu_ms_per_event": round(ours_median * 1000 / CANDIDATES, 4),
                    "own_ms_beyond_raw_per_event": round((ours_median - theirs_median) * 1000 / CANDIDATES, 4),
                },
            ),
        )
    return results


def main() -> None:
    prepare_environment()
    emit(run(repeats_from_argv(5)))


if __name__ == "__main__":
    main()
