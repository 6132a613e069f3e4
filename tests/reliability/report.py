"""docs/RELIABILITY.md, written from the figures the reliability suite's tests reported during the run.

report_hooks.py collects each passing test's rows (`report` fixture → the test report's user properties)
and calls `write()` at the end of the session only if every expected case reported and nothing in the suite
failed or was skipped, under the full Hypothesis profile (with or without pytest-xdist). The prose here is
the document's frame; every number in it comes from the run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from srevents.domain.backoff import JITTER, MAX_ATTEMPTS, RETRY_DELAYS
from tests.reliability.cases import expected_keys

DOC = Path(__file__).resolve().parents[2] / "docs" / "RELIABILITY.md"

FAULT_SECTIONS = [
    ("smartrecruiters", "SmartRecruiters failing at every page position"),
    ("receiver", "The callback receiver down"),
    ("poll-crash", "The poll function killed at each step"),
    ("deliver-crash", "The deliver function killed"),
    ("concurrency", "Simultaneous polls of one instance"),
    ("aws", "AWS calls failing: DynamoDB throttling, SQS errors"),
    ("webhooks", "SmartRecruiters' webhook callbacks dropped, duplicated, delayed, reordered while polls run"),
]


FAULT_HEADERS = [
    "#",
    "Case",
    "Fault injected",
    "Changes made",
    "Events delivered",
    "Lost",
    "Duplicates",
    "Re-sends (same id)",
    "Order violations",
    "Notes",
]


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def _schedule() -> str:
    steps = []
    for delay in RETRY_DELAYS:
        steps.append(f"{delay} s" if delay < 120 else f"{delay // 60} min" if delay < 3600 else f"{delay // 3600} h")
    return ", ".join(steps)


GUARANTEES = f"""\
## What the service guarantees

- **At-least-once delivery, with stable ids.** Every change a poll sees is delivered to the callback URL at
  least once. A notification's id (`Elements-Webhook-Id`, the body's `id`) is fixed by its content: when
  something fails after a notification was sent and before that was recorded, the same notification is sent
  again *with the same id*, never the same change under a new id. Deduplicate by the id and you get every
  change exactly once.
- **Per-instance order.** An instance's notifications arrive in the order they were produced (oldest change
  first). A notification waiting for a retry holds back the later ones of its instance, and no other
  instance's.
- **Retries for about a day.** A delivery that fails (no `2xx` within 15 s, a redirect, a connection error)
  is tried {MAX_ATTEMPTS} times in all, the retries after {_schedule()} (±{JITTER:.0%} jitter;
  `Retry-After` honoured on 429 and 503). Whatever the jitter, a receiver that is back within
  {_hours((1 - JITTER) * sum(RETRY_DELAYS))} of the first failure gets everything, in order, with nobody doing
  anything; the last try comes at most {_hours((1 + JITTER) * sum(RETRY_DELAYS))} after the first.
- **After the last retry.** The notification is marked `FAILED`, moved to the dead-letter queue (an alarm
  watches it) and kept in the delivery log with every attempt. The instance's later notifications then go
  on. The failed one is delivered, same id, when it is re-sent with
  `POST /instances/{{id}}/events/{{eventId}}/retry` — whenever that is, so it arrives out of order with the
  ones that went on meanwhile. Nothing is dropped: `GET /instances/{{id}}/events?status=FAILED` lists what
  waits for a re-send.
- **Crashes.** A poll that dies (timeout, out of memory) at any step loses nothing: the watermark only moves
  after every notification is in the queue, and the next poll re-sends the dead poll's plan under the same
  ids. A deliver function that dies after the receiver's `2xx` and before the delivery log records it sends
  that notification once more, same id (the only case of a repeat, with failing log writes after a `2xx`).
- **SmartRecruiters failing.** 429s, 5xx and timeouts are retried with back-off within a poll; a poll that
  still fails reports the error in `GET /instances/{{id}}/poller`, keeps its watermark, and the next
  scheduled poll reads everything again.
- **One poll per instance at a time.** Simultaneous invocations for one instance: one polls, the others
  find its lease and exit; a poll that dies keeps the lease until it expires, then the next one takes over.
- **Webhooks, with polling as reconciliation.** A change SmartRecruiters pushes is delivered within seconds;
  one whose callback is dropped, delayed past a poll or refused is delivered by the next poll; a repeated
  callback, or a version both paths see, is sent once (the two paths share the instance's lease and its
  remembered versions). Each object's versions arrive in order; a change a webhook missed arrives after newer
  changes of *other* objects (the order column of the webhook cases counts per object).
- **AWS failing.** Throttling and errors are retried by the SDK; what still fails fails the invocation
  without moving any watermark, and the next invocation (schedule or queue) picks up where it was.
- **A batch the queue takes in part.** Notifications are enqueued ten to a call. When SQS refuses some
  entries of a call (or the SDK had to send a call twice), the call is sent again from its first refused
  entry (or whole) under new deduplication ids, and the deliverer drops the copies that got into the queue
  ahead of a missing predecessor, so order holds. A copy of a notification already delivered, refused with
  `410` or dead-lettered is not sent again.

Not promised: exactly-once delivery (deduplicate by id); intermediate versions of a record that changed
twice between two polls (SmartRecruiters lists a record's current state only, so one notification carries
its latest version); delivery to a callback that answered `410 Gone` (the instance's notifications are
suspended, and those queued meanwhile are logged `GONE`, until the instance is enabled again or its
callback URL changes; they can be re-sent with the retry route).
"""

METHOD = """\
## How the figures are made

Each case runs the three real Lambda handlers (API, poll, deliver) on moto, against the SmartRecruiters
simulator and a local callback receiver that verifies both signatures, on one simulated clock: a day of
retries takes a second. EventBridge Scheduler's ticks, the SQS event source (with `batchItemFailures`,
visibility timeouts and redrive) and Lambda process deaths are emulated around the handlers; faults are
injected where they happen (SmartRecruiters' answers, botocore's requests, the process). Every change made
in the simulator is a version `(type, id, updatedOn)`; every event the receiver accepts names one.

- **Changes made**: versions each instance should receive (a change counts once per instance polling it).
- **Events delivered**: of those, how many reached the receiver (in a `2xx`). **Lost** = made − delivered.
- **Duplicates**: a version received under two notification ids, or a notification id received twice where
  nothing crashed.
- **Re-sends (same id)**: a notification id received again after a crash (the receiver deduplicates them).
- **Order violations**: notifications of an instance received after a newer one of the same instance (the
  retry route's manual re-sends aside).
"""


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render(rows: dict[str, dict[str, Any]]) -> str:
    position = {key: index for index, key in enumerate(expected_keys())}

    def ordered(section: str | tuple[str, ...]) -> list[dict[str, Any]]:
        sections = (section,) if isinstance(section, str) else section
        return sorted((r for r in rows.values() if r["section"] in sections), key=lambda r: position[r["key"]])

    faults = [r for r in rows.values() if r["section"] not in ("fuzz", "security", "hostile")]
    totals = {k: sum(r[k] for r in faults) for k in ("changes", "delivered", "lost", "duplicates", "resends")}
    totals["order_violations"] = sum(r["order_violations"] for r in faults)
    lines = [
        "# Reliability: nothing lost, nothing duplicated, nobody let in",
        "",
        "<!-- Generated by the reliability suite (tests/reliability/report.py) after a full, green run: do not",
        "     edit by hand. `make test` or `.venv/bin/python -m pytest tests/reliability` writes it again. -->",
        "",
        f"Last full run: {len(faults)} fault cases, {totals['changes']} changes made, {totals['delivered']} "
        f"delivered, **{totals['lost']} lost, {totals['duplicates']} duplicated, {totals['order_violations']} "
        f"out of order**; {totals['resends']} re-send(s) of the same notification id, all after a crash or a "
        "failed log write.",
        "",
        GUARANTEES,
        "## Fault cases",
        "",
    ]
    number = 0
    for section, title in FAULT_SECTIONS:
        section_rows = ordered(section)
        lines += [f"### {title}", ""]
        table = []
        for row in section_rows:
            number += 1
            table.append(
                [
                    number,
                    row["case"],
                    row["fault"],
                    row["changes"],
                    row["delivered"],
                    row["lost"],
                    row["duplicates"],
                    row["resends"],
                    row["order_violations"],
                    row.get("notes", ""),
                ]
            )
        lines += _table(FAULT_HEADERS, table)
        lines.append("")
    lines += ["## Generated requests (property-based)", ""]
    lines += [
        "Every answer must be a non-5xx JSON answer; every refused request must leave the tables, the schedules,",
        "the queues and the poll function's invocations exactly as they were; every accepted one must leave a",
        "consistent instance (secrets masked, schedule as configured). Hypothesis profile `reliability`.",
        "",
    ]
    fuzz = ordered("fuzz")
    lines += _table(
        ["Target", "Requests", "5xx", "Statuses answered"],
        [[r["case"], r["examples"], r["server_errors"], ", ".join(map(str, r["statuses"]))] for r in fuzz],
    )
    lines += [
        "",
        f"{sum(r['examples'] for r in fuzz)} generated requests in all.",
        "",
        "## Security",
        "",
        "Every answer of the whole test suite is checked for every secret the suite used (API keys, signature",
        "keys, organization and user secrets, instance tokens), and so is every captured log line",
        "(tests/support/leaks.py): a leak fails the test that caused it.",
        "",
    ]
    security = ordered("security")
    lines += _table(
        ["Check", "Requests", "Refused", "Answered with the caller's own data", "Secrets or data leaked"],
        [[r["case"], r["checks"], r["refused"], r.get("own_data_only", 0), r["leaked"]] for r in security],
    )
    lines += [
        "",
        "## A hostile SmartRecruiters and a careless client",
        "",
        "Each case ends in a 400 naming the field with nothing stored, or in a poll that ends within its time",
        "budget with its error saved and shown by `GET /instances/{id}/poller`, the instance's other resources",
        "and good records still polled. No 5xx, and no secret (nor a piece of one) in any answer, stored error",
        "or log line.",
        "",
    ]
    lines += _table(["Case", "Input", "Outcome"], [[r["case"], r["fault"], r["outcome"]] for r in ordered("hostile")])
    lines += ["", METHOD]
    return "\n".join(lines).rstrip() + "\n"


def write(rows: dict[str, dict[str, Any]]) -> None:
    text = render(rows)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    if not DOC.exists() or DOC.read_text() != text:
        DOC.write_text(text)
        print(f"\nreliability suite: wrote {DOC.relative_to(DOC.parents[1])}", file=sys.stderr)
