"""Deliver: 1,000 notifications through the deliver function vs a raw keep-alive POST loop to the same receiver.

The notifications are real: a poll of 10,000 changed candidates enqueues 1,000 notifications of 10 events
each (~12 KB bodies), received from the queue once and replayed as the SQS events Lambda would hand the
deliver function, 10 records each (the template's BatchSize). The product side is the deliver handler
(Powertools' SqsFifoPartialProcessor, the delivery log, signing, the address check, the pinned urllib3
connection); between runs the delivery log is emptied, so every run delivers all 1,000 for the first time.
The baseline POSTs the same 1,000 bodies, with the same signature headers (computed beforehand), over one
keep-alive http.client connection to the same receiver (devstack/receiver.py, which verifies both
signatures of every request either way).

The figure is a rate: notifications per second of the product's own time (moto's time answering the
DynamoDB calls is subtracted, as everywhere in the benchmarks; the rate with it is in the details).

A second, informational row repeats the comparison for 200 of the notifications with the receiver answering
after 10 ms, as a callback endpoint in the same region might (over the internet, 50–500 ms is usual): what
the deliverer's own cost means once the receiver is not on loopback in the same interpreter.
"""

from __future__ import annotations

import http.client
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

NOTIFICATIONS = 1_000
BATCH = 10  # template.yaml: DeliverFunction's SQS event BatchSize
SLOW_NOTIFICATIONS = 200
SLOW_RECEIVER_SECONDS = 0.010


def run(repeats: int) -> list[Result]:
    from bench.world import SIGNATURE_KEY, load_handler, world
    from devstack.lambda_runtime import LambdaContext
    from devstack.receiver import Receiver, Scripted
    from devstack.sqs_pump import sqs_event
    from srevents.domain.signing import signature_headers

    with world() as w, Receiver(SIGNATURE_KEY) as receiver:
        instance_id = w.create_instance(callback_url=receiver.url)
        w.clock.advance(1)
        log(f"creating {NOTIFICATIONS * 10} candidates and polling them into {NOTIFICATIONS} notifications")
        w.add_candidates(NOTIFICATIONS * 10)
        w.clock.advance(2)
        poller = load_handler("poll", w.clock)
        poller._service().poll(instance_id, lambda: 600_000)
        messages = w.receive_all()
        assert len(messages) == NOTIFICATIONS, len(messages)
        arn = w.resources.attrs[("NotificationQueue", "Arn")]
        events = [sqs_event(messages[i : i + BATCH], arn) for i in range(0, len(messages), BATCH)]
        body_bytes = sum(len(m["Body"].encode()) for m in messages)

        deliver = load_handler("deliver")
        counter = CallCounter().attach("dynamodb", "sqs", "kms")
        seen: list[dict[str, Any]] = []

        def product(count: int = NOTIFICATIONS) -> float:
            w.clear_delivery_log()
            receiver.received.clear()
            counter.reset()
            EMULATOR.reset()
            sink = CountingSink()
            started = time.perf_counter()
            with handler_output(sink):
                for event in events[: count // BATCH]:
                    context = LambdaContext(function_name="srevents-DeliverFunction", timeout_seconds=60)
                    response = deliver.lambda_handler(event, context)
                    assert not response.get("batchItemFailures"), response
            wall = time.perf_counter() - started
            delivered = receiver.delivered()
            assert len(delivered) == count, len(delivered)
            assert all(r.elements_signature_ok and r.standard_signature_ok for r in delivered)
            if count == NOTIFICATIONS:
                seen.append({"wall": wall, "emulator": EMULATOR.total, "calls": dict(counter.calls), "log": sink.chars})
            return count / (wall - EMULATOR.total)

        host, port = receiver.url.split("//", 1)[1].split("/", 1)[0].split(":")
        requests_: list[tuple[bytes, dict[str, str]]] = []
        for message in messages:
            body = message["Body"].encode("utf-8")
            notification_id = message["MessageAttributes"]["notificationId"]["StringValue"]
            headers = signature_headers(SIGNATURE_KEY, notification_id, int(time.time()), body)
            headers.update({"Content-Type": "application/json", "User-Agent": "bench-raw/1"})
            requests_.append((body, headers))

        def raw(count: int = NOTIFICATIONS) -> float:
            receiver.received.clear()
            started = time.perf_counter()
            connection = http.client.HTTPConnection(host, int(port), timeout=15)
            for body, headers in requests_[:count]:
                connection.request("POST", "/callback", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                assert response.status == 200, response.status
            connection.close()
            elapsed = time.perf_counter() - started
            assert len(receiver.delivered()) == count
            return count / elapsed

        log(f"delivering {NOTIFICATIONS} notifications, {repeats} times each side")
        ours, theirs = alternate(product, raw, repeats)
        log(f"again, {SLOW_NOTIFICATIONS} of them to a receiver answering after {SLOW_RECEIVER_SECONDS * 1000:g} ms")
        receiver.default = Scripted(200, delay=SLOW_RECEIVER_SECONDS)
        slow_ours, slow_theirs = alternate(
            lambda: product(SLOW_NOTIFICATIONS), lambda: raw(SLOW_NOTIFICATIONS), max(2, repeats // 2)
        )
        receiver.default = Scripted(200)
        timed = seen[1:]
        ours_median, theirs_median = median(ours), median(theirs)
        with_emulator = median([NOTIFICATIONS / s["wall"] for s in timed])
        calls = timed[-1]["calls"]
        logged = w.dynamodb().scan(TableName=w.settings.notifications_table, Limit=20)["Items"]
        log_item_bytes = median([float(dynamodb_item_bytes(item)) for item in logged])
        data_calls = sum(n for name, n in calls.items() if name.split(".")[0] in ("dynamodb", "sqs"))
        return [
            Result(
                name="deliver 1,000 notifications",
                value=round(ours_median, 1),
                unit="notifications/s",
                baseline=round(theirs_median, 1),
                ratio=round(ratio(ours_median, theirs_median), 3),
                goal="ratio >= 0.8",
                details={
                    "baseline_is": "a raw keep-alive http.client POST loop of the same signed bodies, same receiver",
                    "repeats": repeats,
                    "product_runs_per_s": [round(x, 1) for x in ours],
                    "baseline_runs_per_s": [round(x, 1) for x in theirs],
                    "rate_with_emulator_per_s": round(with_emulator, 1),
                    "ratio_with_emulator": round(ratio(with_emulator, theirs_median), 3),
                    "emulator_s": round(median([s["emulator"] for s in timed]), 3),
                    "calls": calls,
                    "dynamodb_sqs_calls_per_notification": round(data_calls / NOTIFICATIONS, 3),
                    "log_bytes_per_notification": round(timed[-1]["log"] / NOTIFICATIONS, 1),
                    "body_bytes_per_notification": round(body_bytes / NOTIFICATIONS, 1),
                    "log_item_bytes": log_item_bytes,
                    "own_ms_per_notification": round(1000 / ours_median, 3),
                    "raw_ms_per_notification": round(1000 / theirs_median, 3),
                },
            ),
            Result(
                name="deliver, receiver answering in 10 ms",
                value=round(median(slow_ours), 1),
                unit="notifications/s",
                baseline=round(median(slow_theirs), 1),
                ratio=round(ratio(median(slow_ours), median(slow_theirs)), 3),
                goal="",
                details={
                    "baseline_is": "the same raw loop, same receiver, which sleeps 10 ms before answering",
                    "notifications": SLOW_NOTIFICATIONS,
                    "product_runs_per_s": [round(x, 1) for x in slow_ours],
                    "baseline_runs_per_s": [round(x, 1) for x in slow_theirs],
                },
            ),
        ]


def main() -> None:
    prepare_environment()
    emit(run(repeats_from_argv(5)))


if __name__ == "__main__":
    main()
