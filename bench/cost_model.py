"""What srevents costs per month on AWS at 1,000 / 10,000 / 100,000 instances, from measured figures.

    python -m bench.cost_model                         the table (reads bench/results.json: run `make bench` first)
    python -m bench.cost_model --changes-per-day 2400  another workload (see --help)
    python -m bench.cost_model --markdown              the same table as Markdown (docs/SCALING.md quotes it)

What is measured and what is assumed:
- measured by `make bench` (bench/results.json): the DynamoDB, SQS and KMS calls of a poll and of a
  delivery, by operation; whether notifications are enqueued one per SendMessage or ten per
  SendMessageBatch; the size of the items written (instance, poller state, delivery log entry) and of a
  notification body; log bytes per poll and per delivery; the functions' own CPU time per event and per
  notification; peak memory;
- read from template.yaml: each function's MemorySize, the notification TTL, the alarms and dashboards;
- read from the code: how many data keys a container keeps open (SecretBox's bound);
- assumed, and printed with the table (change them with the flags): the workload (interval, changes
  per instance per day), latencies that only production has (SmartRecruiters per page, an AWS call, a
  customer's callback), API use per instance, the share of deliveries that need a retry, and what
  envelope encryption's KMS calls depend on (how often secrets are sealed, how long Lambda keeps an
  execution environment, how many it keeps per concurrent execution).
- prices: PRICES below, us-east-1 list prices, with their sources and the date they were read.

Free tiers that never expire are applied (Lambda, SQS, KMS, Scheduler, X-Ray, CloudWatch); the
12-month ones (API Gateway) are not.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.json"
SCALES = (1_000, 10_000, 100_000)
SECONDS_PER_MONTH = 30 * 24 * 3600
PRICES_READ_ON = "2026-11-29"

# us-east-1 list prices (USD), read on PRICES_READ_ON from the pages named (stored public copies).
PRICES: dict[str, tuple[float, str]] = {
    "lambda_request": (0.20 / 1e6, "aws.amazon.com/lambda/pricing: $0.20 per 1M requests"),
    "lambda_gb_second": (0.0000166667, "aws.amazon.com/lambda/pricing: x86, first 6B GB-s/month"),
    "sqs_fifo_request": (0.50 / 1e6, "aws.amazon.com/sqs/pricing: FIFO $0.50 per 1M requests (64 KB chunks)"),
    "dynamodb_wru": (0.625 / 1e6, "aws.amazon.com/dynamodb/pricing/on-demand: $0.625 per 1M write request units"),
    "dynamodb_rru": (0.125 / 1e6, "aws.amazon.com/dynamodb/pricing/on-demand: $0.125 per 1M read request units"),
    "dynamodb_gb_month": (0.25, "aws.amazon.com/dynamodb/pricing/on-demand: storage, after 25 GB free"),
    "dynamodb_pitr_gb_month": (0.20, "DynamoDB continuous backups (PITR) per GB-month of table size"),
    "scheduler_invocation": (1.00 / 1e6, "aws.amazon.com/eventbridge/pricing: Scheduler $1.00 per 1M after 14M free"),
    "kms_key_month": (1.00, "aws.amazon.com/kms/pricing: $1 per customer managed key per month"),
    "kms_request": (0.03 / 1e4, "aws.amazon.com/kms/pricing: $0.03 per 10,000 requests, 20,000 free"),
    "apigw_rest_request": (3.50 / 1e6, "aws.amazon.com/api-gateway/pricing: REST $3.50 per 1M (first 333M)"),
    "logs_ingested_gb": (0.50, "aws.amazon.com/cloudwatch/pricing: Logs ingestion $0.50 per GB"),
    "logs_stored_gb_month": (0.03, "aws.amazon.com/cloudwatch/pricing: Logs storage $0.03 per GB-month"),
    "metric_month": (0.30, "aws.amazon.com/cloudwatch/pricing: custom metric $0.30/month (first 10k)"),
    "alarm_month": (0.10, "aws.amazon.com/cloudwatch/pricing: standard alarm $0.10/month"),
    "dashboard_month": (3.00, "aws.amazon.com/cloudwatch/pricing: $3.00 per dashboard per month (first 3 free)"),
    "xray_trace": (5.00 / 1e6, "aws.amazon.com/xray/pricing: $5.00 per 1M traces recorded, 100k free"),
}
FREE = {
    "lambda_requests": 1e6,
    "lambda_gb_seconds": 400_000,
    "sqs_requests": 1e6,
    "kms_requests": 20_000,
    "scheduler_invocations": 14e6,
    "xray_traces": 100_000,
    "dynamodb_gb": 25,
    "logs_gb": 5,
    "metrics": 10,
    "alarms": 10,
    "dashboards": 3,
}
HOURS_PER_YEAR = 365 * 24


@dataclass
class Workload:
    interval_minutes: float = 15
    changes_per_day: float = 240  # per instance, one resource (candidates): 2.5 per 15-minute poll
    smartrecruiters_ms_per_page: float = 300  # production latency of one page of 100 (the client keeps to 10/s)
    aws_call_ms: float = 8  # one DynamoDB / SQS / KMS call from Lambda, same Region
    callback_ms: float = 150  # the customer's endpoint answering a POST
    retry_share: float = 0.02  # deliveries that need one more attempt
    api_calls_per_instance_month: float = 20  # console and API use
    log_platform_bytes: float = 350  # Lambda's START / END / REPORT lines per invocation
    access_log_bytes: float = 450  # one API access log line (template.yaml's format)
    custom_metrics: int = 0  # Powertools EMF metric names, one dimension (service); 0: those the dashboard shows
    # Envelope encryption (adapters/secrets.py): a container decrypts each data key it meets once and keeps up to
    # SecretBox's bound of them; the API seals with one data key per container per DATA_KEY_SECONDS (a day).
    seals_per_instance_year: float = 2.0  # the instance's creation and one change of its secrets
    # data keys the instances' secrets are sealed under; 0: one per sealing period with a seal, a year
    data_keys: int = 0
    container_hours: float = 2.0  # how long Lambda keeps an execution environment before replacing it
    containers_per_concurrent: float = 2.0  # environments kept warm per mean concurrent execution (bursts)
    open_data_keys: int = 0  # plaintext data keys a container keeps; 0: SecretBox's bound (max_entries)
    poll_memory_mb: int = 0  # 0: template.yaml's MemorySize
    deliver_memory_mb: int = 0


def _load(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        raise SystemExit(f"{path.relative_to(REPO)} is missing: run `make bench` first")
    return {r["name"]: r for r in json.loads(path.read_text())}


def _find(results: dict[str, dict[str, Any]], prefix: str) -> dict[str, Any]:
    for name, result in results.items():
        if name.startswith(prefix):
            return result
    raise SystemExit(f"bench/results.json has no '{prefix}...' figure: run `make bench` (all of it) first")


def _template() -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from devstack.aws_resources import load_template

    return load_template()


@dataclass
class Measured:
    """The figures the model uses, from bench/results.json."""

    poll_dynamodb_calls: dict[str, int]  # per poll that found changes, by operation
    sqs_sends_per_notification: float  # 1.0 = SendMessage each, 0.1 = SendMessageBatch of 10
    notification_bytes: float  # a notification of 10 events
    log_item_bytes: float  # its delivery log entry (the body is part of it)
    instance_item_bytes: float
    state_item_bytes: float
    poll_log_bytes: float
    deliver_log_bytes: float
    poll_cpu_ms_per_event: float
    deliver_cpu_ms_per_notification: float
    poll_peak_mb: float
    deliver_peak_mb: float

    @classmethod
    def from_results(cls, results: dict[str, dict[str, Any]]) -> Measured:
        calls = _find(results, "poll: DynamoDB+SQS calls per 1,000 events")["details"]
        typical = calls["typical_poll"]  # a few changes: the state holds a few remembered versions, as in steady state
        poll = _find(results, "poll 10,000 changed candidates")["details"]
        deliver = _find(results, "deliver 1,000 notifications")["details"]
        sends = sum(n for op, n in calls["calls"].items() if op.startswith("sqs."))
        return cls(
            poll_dynamodb_calls={op: n for op, n in typical["calls"].items() if op.startswith("dynamodb.")},
            sqs_sends_per_notification=sends / calls["notifications"],
            notification_bytes=deliver["body_bytes_per_notification"],
            log_item_bytes=deliver["log_item_bytes"],
            instance_item_bytes=calls["instance_item_bytes"],
            state_item_bytes=typical["state_item_bytes"],
            poll_log_bytes=typical["log_bytes"],
            deliver_log_bytes=deliver["log_bytes_per_notification"],
            poll_cpu_ms_per_event=max(poll["own_ms_beyond_raw_per_event"], 0.0),
            deliver_cpu_ms_per_notification=deliver["own_ms_per_notification"],
            poll_peak_mb=_find(results, "poll function peak memory")["value"],
            deliver_peak_mb=_find(results, "deliver function peak memory")["value"],
        )


def _poisson_mean(mean: float, f: Any, cap: int = 400) -> float:
    """E[f(X)] for X ~ Poisson(mean)."""
    total, p = 0.0, math.exp(-mean)
    for k in range(cap):
        total += p * f(k)
        p *= mean / (k + 1)
    return total


def _cpu_scale(memory_mb: float) -> float:
    """Lambda gives one vCPU at 1,769 MB and proportionally less below; this machine's core = 1 vCPU."""
    return max(1.0, 1769 / memory_mb)


def _wru(size: float) -> int:
    return max(1, math.ceil(size / 1024))


def _rru(size: float) -> int:  # strongly consistent
    return max(1, math.ceil(size / 4096))


def _x_ray(invocations: float) -> float:
    """Lambda's default sampling: the first request each second, then 5 % of the rest."""
    reservoir = min(invocations, SECONDS_PER_MONTH)
    return reservoir + 0.05 * max(0.0, invocations - reservoir)


def _open_data_keys_bound() -> int:
    """How many plaintext data keys one container keeps (SecretBox's `max_entries`, as the functions build it)."""
    import inspect

    sys.path.insert(0, str(REPO / "layers" / "common"))
    from srevents.adapters.secrets import SecretBox

    bound: int = inspect.signature(SecretBox).parameters["max_entries"].default
    return bound


def data_keys(instances: int, w: Workload) -> float:
    """Data keys the instances' secrets are sealed under: one per sealing period (the code's DATA_KEY_SECONDS) in
    which some instance was sealed (one API container: the API's concurrency is a fraction of one at this use),
    over a year of seals."""
    if w.data_keys:
        return float(w.data_keys)
    from srevents.adapters.secrets import DATA_KEY_SECONDS

    periods = HOURS_PER_YEAR * 3600 / DATA_KEY_SECONDS
    seals = instances * w.seals_per_instance_year
    return periods * (1 - math.exp(-seals / periods))


def kms_decrypts(opens: float, concurrency: float, keys: float, bound: int, w: Workload) -> float:
    """KMS Decrypt calls a month for `opens` secret openings spread over containers with `concurrency`.

    Each container decrypts a data key the first time it meets it. While every data key fits in its bound,
    that is once per key per container; beyond it the LRU holds `bound` of `keys` keys met at random, so a
    share 1 - bound/keys of openings misses (what uniform access to an LRU gives).
    """
    containers = max(1.0, math.ceil(concurrency * w.containers_per_concurrent))
    starts = containers * SECONDS_PER_MONTH / 3600 / w.container_hours
    per_container = opens / starts
    if keys <= bound:
        return min(opens, starts * keys * (1 - math.exp(-per_container / keys)))
    filled = min(per_container, bound)
    return min(opens, starts * (filled + (per_container - filled) * (1 - bound / keys)))


def _custom_metrics(template: dict[str, Any], w: Workload) -> int:
    """The metric names the dashboard shows in the functions' namespace (every one the code emits: the dashboard
    test keeps the two in step), or the workload's override."""
    if w.custom_metrics:
        return w.custom_metrics
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    text = body[0] if isinstance(body, list) else body
    return len(set(re.findall(r'\["SmartRecruitersEvents","(\w+)"', text)))


def function_memory(template: dict[str, Any], w: Workload) -> dict[str, int]:
    """Each function's MemorySize (template.yaml, Globals unless its own), or the workload's override."""
    functions = template["Resources"]
    memory = {
        name: int(
            functions[f"{name.capitalize()}Function"]["Properties"].get(
                "MemorySize", template["Globals"]["Function"]["MemorySize"]
            )
        )
        for name in ("api", "poll", "deliver")
    }
    memory["poll"] = w.poll_memory_mb or memory["poll"]
    memory["deliver"] = w.deliver_memory_mb or memory["deliver"]
    return memory


def model(
    instances: int, w: Workload, m: Measured, template: dict[str, Any]
) -> tuple[dict[str, float], dict[str, float]]:
    """(monthly cost by line item, usage and rates) for `instances`."""
    functions = template["Resources"]
    memory = function_memory(template, w)
    ttl_days = float(template["Parameters"]["NotificationTtlDays"]["Default"])
    log_retention_days = float(template["Parameters"]["LogRetentionDays"]["Default"])
    # An alarm is priced per metric it reads (a metric-math alarm's metrics each count).
    alarms = sum(
        max(1, sum(1 for q in r["Properties"].get("Metrics", []) if "MetricStat" in q))
        for r in functions.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    )
    dashboards = sum(1 for r in functions.values() if r["Type"] == "AWS::CloudWatch::Dashboard")

    polls = instances * SECONDS_PER_MONTH / 60 / w.interval_minutes
    events_per_poll = w.changes_per_day * w.interval_minutes / 1440
    busy = 1 - math.exp(-events_per_poll)  # share of polls that find at least one change
    notifications_per_poll = _poisson_mean(events_per_poll, lambda k: math.ceil(k / 10))
    batches_per_poll = _poisson_mean(events_per_poll, lambda k: math.ceil(math.ceil(k / 10) / 10))
    notifications = polls * notifications_per_poll
    attempts = notifications * (1 + w.retry_share)
    deliver_invocations = polls * batches_per_poll + notifications * w.retry_share
    events = polls * events_per_poll
    # A notification's body grows with its events (the measured one holds 10); its log entry holds the body.
    events_per_notification = events_per_poll / notifications_per_poll if notifications_per_poll else 0.0
    body_bytes = m.notification_bytes * events_per_notification / 10
    log_item_bytes = m.log_item_bytes - m.notification_bytes + body_bytes

    # --- poll function ---------------------------------------------------------------------------------
    gets = m.poll_dynamodb_calls.get("dynamodb.GetItem", 1)
    updates = m.poll_dynamodb_calls.get("dynamodb.UpdateItem", 3)  # lease, plan, commit
    poll_rru = polls * gets * _rru(m.instance_item_bytes)
    poll_wru = polls * (updates - (1 - busy)) * _wru(m.state_item_bytes)  # no plan is written without changes
    sqs_send_calls = notifications * m.sqs_sends_per_notification
    per_call = 1 / m.sqs_sends_per_notification  # notifications per send call
    sqs_send_requests = sqs_send_calls * math.ceil(per_call * body_bytes / 65536)
    pages = max(1.0, math.ceil(events_per_poll * (1 + 60 / (w.interval_minutes * 60)) / 100))
    poll_calls = gets + updates + notifications_per_poll * m.sqs_sends_per_notification  # (KMS: rarely, below)
    poll_ms = (
        pages * w.smartrecruiters_ms_per_page
        + poll_calls * w.aws_call_ms
        + events_per_poll * m.poll_cpu_ms_per_event * _cpu_scale(memory["poll"])
    )
    poll_gbs = polls * poll_ms / 1000 * memory["poll"] / 1024

    # --- deliver function --------------------------------------------------------------------------------
    # the log read (BatchGetItem; an entry not yet written costs 1) + the instance read
    deliver_rru = attempts * 1 + deliver_invocations * _rru(m.instance_item_bytes)
    deliver_rru += notifications * w.retry_share * (_rru(log_item_bytes) - 1)  # a retry reads a full entry
    deliver_wru = attempts * _wru(log_item_bytes)
    receive_requests = deliver_invocations * math.ceil(notifications_per_poll * body_bytes / 65536)
    sqs_consume = receive_requests + deliver_invocations  # ReceiveMessage (by 64 KB) + DeleteMessageBatch
    sqs_idle = 5 * SECONDS_PER_MONTH / 20  # the event source's long-polling receives on an idle queue
    sqs_retry = notifications * w.retry_share  # ChangeMessageVisibility
    # Per invocation: instance read, the batch's log BatchGetItem; per attempt: the log write.
    deliver_ms_per_invocation = 2 * w.aws_call_ms
    deliver_ms = deliver_invocations * deliver_ms_per_invocation + attempts * (
        w.callback_ms + w.aws_call_ms + m.deliver_cpu_ms_per_notification * _cpu_scale(memory["deliver"])
    )
    deliver_gbs = deliver_ms / 1000 * memory["deliver"] / 1024

    # --- API -----------------------------------------------------------------------------------------------
    api_requests = instances * w.api_calls_per_instance_month
    api_gbs = api_requests * 0.1 * memory["api"] / 1024  # 100 ms each

    lambda_requests = polls + deliver_invocations + api_requests
    gb_seconds = poll_gbs + deliver_gbs + api_gbs
    sqs_requests = sqs_send_requests + sqs_consume + sqs_idle + sqs_retry
    # KMS. Before envelope encryption: a Decrypt per poll and per delivery invocation (a cache of 5 minutes
    # and polls 15 minutes apart). Now: per data key per container (kms_decrypts), and the API's
    # GenerateDataKey, at most one per sealing period with a seal.
    kms_before = polls + deliver_invocations
    keys = data_keys(instances, w)
    bound = w.open_data_keys or _open_data_keys_bound()
    poll_concurrency = polls / SECONDS_PER_MONTH * poll_ms / 1000
    deliver_concurrency = deliver_ms / 1000 / SECONDS_PER_MONTH
    seals_per_month = instances * w.seals_per_instance_year / 12
    kms_requests = (
        kms_decrypts(polls, poll_concurrency, keys, bound, w)
        + kms_decrypts(deliver_invocations, deliver_concurrency, keys, bound, w)
        + 720 * (1 - math.exp(-seals_per_month / 720))
    )
    log_gb = (
        polls * (m.poll_log_bytes + w.log_platform_bytes)
        + attempts * m.deliver_log_bytes
        + deliver_invocations * w.log_platform_bytes
        + api_requests * (600 + w.log_platform_bytes + w.access_log_bytes)
    ) / 1e9
    log_entries = notifications * ttl_days / 30  # kept for the TTL
    stored_gb = (log_entries * (log_item_bytes + 100) + instances * (m.instance_item_bytes + m.state_item_bytes)) / 1e9
    traces = _x_ray(polls) + _x_ray(deliver_invocations) + _x_ray(api_requests)

    price = {k: v for k, (v, _) in PRICES.items()}
    cost = {
        "Lambda requests": max(0.0, lambda_requests - FREE["lambda_requests"]) * price["lambda_request"],
        "Lambda compute (poll)": poll_gbs * price["lambda_gb_second"],
        "Lambda compute (deliver)": deliver_gbs * price["lambda_gb_second"],
        "Lambda compute (api)": api_gbs * price["lambda_gb_second"],
        "Lambda free compute": -min(gb_seconds, FREE["lambda_gb_seconds"]) * price["lambda_gb_second"],
        "EventBridge Scheduler": max(0.0, polls - FREE["scheduler_invocations"]) * price["scheduler_invocation"],
        "SQS FIFO requests": max(0.0, sqs_requests - FREE["sqs_requests"]) * price["sqs_fifo_request"],
        "DynamoDB writes": (poll_wru + deliver_wru) * price["dynamodb_wru"],
        "DynamoDB reads": (poll_rru + deliver_rru) * price["dynamodb_rru"],
        "DynamoDB storage + PITR": max(0.0, stored_gb - FREE["dynamodb_gb"]) * price["dynamodb_gb_month"]
        + stored_gb * price["dynamodb_pitr_gb_month"],
        "KMS (key + requests)": _kms_cost(kms_requests, price),
        "API Gateway (REST)": api_requests * price["apigw_rest_request"],
        "CloudWatch Logs": max(0.0, log_gb - FREE["logs_gb"]) * price["logs_ingested_gb"]
        + log_gb * log_retention_days / 30 * price["logs_stored_gb_month"],  # what the retention keeps
        "CloudWatch metrics, alarms, dashboard": max(0, _custom_metrics(template, w) - FREE["metrics"])
        * price["metric_month"]
        + max(0, alarms - FREE["alarms"]) * price["alarm_month"]
        + max(0, dashboards - FREE["dashboards"]) * price["dashboard_month"],
        "X-Ray traces": max(0.0, traces - FREE["xray_traces"]) * price["xray_trace"],
    }
    usage = {
        "polls / month": polls,
        "events / month": events,
        "notifications / month": notifications,
        "polls / s (Scheduler invocations)": polls / SECONDS_PER_MONTH,
        "poll duration (ms, modelled)": poll_ms,
        "concurrent polls (mean)": polls / SECONDS_PER_MONTH * poll_ms / 1000,
        "concurrent deliveries (mean)": deliver_ms / 1000 / SECONDS_PER_MONTH,
        "SQS requests / s": sqs_requests / SECONDS_PER_MONTH,
        "DynamoDB WRU / s": (poll_wru + deliver_wru) / SECONDS_PER_MONTH,
        "KMS requests / s": kms_requests / SECONDS_PER_MONTH,
        "KMS requests / s, before envelope encryption": kms_before / SECONDS_PER_MONTH,
        "KMS $ / month, before envelope encryption": _kms_cost(kms_before, price),
        "data keys in use (modelled)": keys,
        "notification body (KiB, mean)": body_bytes / 1024,
        "delivery log stored (GB)": stored_gb,
        "logs ingested (GB / month)": log_gb,
    }
    return cost, usage


def _kms_cost(requests: float, price: dict[str, float]) -> float:
    return price["kms_key_month"] + max(0.0, requests - FREE["kms_requests"]) * price["kms_request"]


def _money(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}" if abs(value) < 100 else f"{sign}${abs(value):,.0f}"


def _count(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:,.1f} M"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def render(rows: list[tuple[str, ...]], markdown: bool) -> str:
    if markdown:
        head, *body = rows
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for index, row in enumerate(rows):
        out.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost_model", description=__doc__.split("\n\n")[0])
    defaults = Workload()
    for f in fields(Workload):
        parser.add_argument("--" + f.name.replace("_", "-"), type=type(getattr(defaults, f.name)), default=None)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    workload = Workload(
        **{f.name: getattr(args, f.name) for f in fields(Workload) if getattr(args, f.name) is not None}
    )
    results = _load(args.results)
    measured = Measured.from_results(results)
    template = _template()

    models = [model(n, workload, measured, template) for n in SCALES]
    head = ("monthly, us-east-1", *(f"{n:,} instances" for n in SCALES))
    rows: list[tuple[str, ...]] = [head]
    for item in models[0][0]:
        rows.append((item, *(_money(c[item]) for c, _ in models)))
    totals = [sum(c.values()) for c, _ in models]
    rows.append(("total", *(_money(t) for t in totals)))
    rows.append(("per instance", *(f"${t / n:,.3f}" for t, n in zip(totals, SCALES, strict=True))))
    usage_rows: list[tuple[str, ...]] = [("usage", *(f"{n:,}" for n in SCALES))]
    for key in models[0][1]:
        usage_rows.append((key, *((_money if "$" in key else _count)(u[key]) for _, u in models)))

    run = next(iter(results.values())).get("run", {})
    bullet = "- " if args.markdown else ""
    print(render(rows, args.markdown))
    print()
    print(render(usage_rows, args.markdown))
    print()
    print(
        bullet + f"Workload: every {workload.interval_minutes:g} min, "
        f"{workload.changes_per_day:g} changes per instance per day "
        f"({workload.changes_per_day * workload.interval_minutes / 1440:.2f} per poll), one resource; "
        f"SmartRecruiters {workload.smartrecruiters_ms_per_page:g} ms/page, AWS call {workload.aws_call_ms:g} ms, "
        f"callback {workload.callback_ms:g} ms, {workload.retry_share:.0%} of deliveries retried once, "
        f"{workload.api_calls_per_instance_month:g} API calls per instance per month; memory (MB) "
        + ", ".join(f"{name} {mb}" for name, mb in function_memory(template, workload).items())
        + f"; secrets sealed {workload.seals_per_instance_year:g} times per instance per year, "
        + (f"{workload.data_keys:,} data keys" if workload.data_keys else "one data key per sealing period with a seal")
        + f", a container kept {workload.container_hours:g} h, {workload.containers_per_concurrent:g} kept per"
        f" concurrent execution, {workload.open_data_keys or _open_data_keys_bound():,} data keys open per"
        " container."
    )
    print(
        bullet + f"Measured ({run.get('measured_at', '?')}, {run.get('machine', '?')}): "
        f"poll DynamoDB calls {measured.poll_dynamodb_calls}, "
        f"{measured.sqs_sends_per_notification:g} SQS send call(s) per notification, "
        f"a notification of 10 events {measured.notification_bytes / 1024:.1f} KiB and its delivery log entry "
        f"{measured.log_item_bytes / 1024:.1f} KiB (scaled to the events per notification above), "
        f"instance item {measured.instance_item_bytes:.0f} B, poller state {measured.state_item_bytes:.0f} B, "
        f"logs {measured.poll_log_bytes:.0f} B per poll and {measured.deliver_log_bytes:.0f} B per delivery."
    )
    print(
        f"{bullet}Prices: us-east-1 list prices read on {PRICES_READ_ON} (bench/cost_model.py PRICES names each page)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
