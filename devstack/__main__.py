"""`make run`: the whole pipeline on 127.0.0.1, no AWS account. `python -m devstack --help` for flags."""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import signal
import sys
import threading
import time
import warnings
from typing import Any

from devstack.http_client import http_json
from devstack.stack import REGION, configure_aws_environment

SEED_SIGNATURE_KEY = "asdfo08e$fd"  # the seed document's example key; the receiver verifies with it
DEMO_API_KEY = "demo-smartrecruiters-key"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make run ARGS=...",
        description="Run srevents locally: moto for AWS, the SmartRecruiters simulator, the real handlers.",
    )
    parser.add_argument("--api-port", type=int, default=3000, help="port of the instances API (default 3000)")
    parser.add_argument(
        "--smartrecruiters-url",
        help="poll this SmartRecruiters API instead of the built-in simulator (e.g. https://api.smartrecruiters.com)",
    )
    parser.add_argument("--organization-secret", help="the demo organization's secret (generated if not given)")
    parser.add_argument("--user-secret", help="the demo user's secret (generated if not given)")
    parser.add_argument("--no-demo", action="store_true", help="don't create a demo instance or simulated changes")
    parser.add_argument(
        "--organizations",
        type=int,
        default=1,
        help="organizations to create, each with one user, their secrets printed (default 1: the demo's)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        help="run schedules and delivery retries N times faster (default 60 with the demo: 15 min -> 15 s; else 1)",
    )
    parser.add_argument(
        "--receiver-port", type=int, default=0, help="port of the local callback receiver (default: any)"
    )
    parser.add_argument(
        "--simulator-port", type=int, default=0, help="port of the SmartRecruiters simulator (default: any)"
    )
    parser.add_argument("--change-every", type=float, default=2.0, help="seconds between simulated changes in the demo")
    parser.add_argument(
        "--polls-at-once",
        type=int,
        default=4,
        help="polls of different instances running at once, as concurrent Lambda invocations (default 4)",
    )
    parser.add_argument(
        "--delivery-batches",
        type=int,
        default=5,
        help="deliver batches in flight at once, as the SQS event source's maximum concurrency (default 5)",
    )
    parser.add_argument(
        "--api-requests-per-second",
        type=int,
        help="each organization's share of the API, requests/s, bursts of twice as many "
        "(default: the template's ApiRequestsPerSecond and ApiBurst)",
    )
    parser.add_argument("--log-level", default="WARNING", help="the handlers' Powertools log level (default WARNING)")
    args = parser.parse_args(argv)
    if args.time_scale is None:
        args.time_scale = 1.0 if args.no_demo else 60.0
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    if args.delivery_batches < 1 or args.polls_at_once < 1:
        parser.error("--delivery-batches and --polls-at-once must be at least 1")
    if args.api_requests_per_second is not None and args.api_requests_per_second < 1:
        parser.error("--api-requests-per-second must be at least 1")
    if args.organizations < 1:
        parser.error("--organizations must be at least 1")
    return args


def admin_command(aws_url: str, table: str, name: str = "Globex", email: str = "ops@globex.test") -> str:
    """The shell command that creates another organization in the running local stack (moto at `aws_url`)."""
    return (
        f"AWS_ENDPOINT_URL={aws_url} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local "
        f'make admin ARGS="create-organization --name {name} --user-email {email} --table {table} --region {REGION}"'
    )


def say(component: str, text: str) -> None:
    print(f"[{component}] {text}", flush=True)


def seed_body(callback_url: str, api_key: str) -> dict[str, Any]:
    """The seed's `POST /instances` example, with the callback and key pointed at the local stack."""
    from devstack.seed import SEED_BODY

    body = copy.deepcopy(SEED_BODY)
    body["configuration"]["event.notification.callback.url"] = callback_url
    body["configuration"]["api.key"] = api_key
    poller = body["configuration"]["event.poller.configuration"]
    jobs = copy.deepcopy(poller["candidates"])
    jobs["url"] = jobs["url"].replace("/candidates", "/jobs")
    poller["jobs"] = jobs  # the demo changes jobs too
    for block in poller.values():
        block["includeDeleted"] = True  # and deletes some: read from the simulator's audit log
    return body


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["POWERTOOLS_LOG_LEVEL"] = args.log_level.upper()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    cleanups: list[Any] = []

    try:
        # --- AWS: moto's server, resources from template.yaml ---------------------------------
        from moto.server import ThreadedMotoServer

        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        cleanups.append(moto.stop)
        host, port = moto.get_host_and_port()
        aws_url = f"http://{host}:{port}"

        from devstack.receiver import Receiver
        from devstack.smartrecruiters import SimulatorServer, SimulatorStore
        from devstack.stack import (
            ApiGatewayShim,
            DeliveryPump,
            LambdaInvokeShim,
            PollRunner,
            SchedulerLoop,
            _serve,
            failure_destination_record,
            load_handlers,
        )

        # The poll runner needs the handler; the invoke shim must exist before the environment is set.
        runner_box: dict[str, PollRunner] = {}

        class _Deferred:
            def submit(self, event: dict[str, Any]) -> None:
                runner_box["runner"].submit(event)

        invoke = LambdaInvokeShim(_Deferred())  # type: ignore[arg-type]
        _serve(invoke.server, "lambda-invoke")
        cleanups.append(invoke.server.server_close)
        cleanups.append(invoke.server.shutdown)
        configure_aws_environment(aws_url, invoke.url)

        import boto3

        from devstack.aws_resources import create_stack_resources

        session = boto3.Session(region_name=REGION)
        parameters = {"AllowPrivateCallbacks": "true", "AllowHttpCallbacks": "true"}
        if args.api_requests_per_second:
            parameters["ApiRequestsPerSecond"] = str(args.api_requests_per_second)
            parameters["ApiBurst"] = str(2 * args.api_requests_per_second)
        resources = create_stack_resources(session, parameters=parameters)

        # --- SmartRecruiters ------------------------------------------------------------------
        store = None
        if args.smartrecruiters_url:
            sr_url = args.smartrecruiters_url.rstrip("/")
            say("smartrecruiters", f"polling {sr_url}")
        else:
            from devstack.smartrecruiters.callbacks import WebhookTimings

            # Callback retries (1 min, 3 min, ...) run at the stack's time scale, as its schedules do.
            store = SimulatorStore(webhook_timings=WebhookTimings().scaled(args.time_scale))
            cleanups.append(store.webhooks.close)
            store.add_api_key(DEMO_API_KEY)
            simulator = SimulatorServer(store, port=args.simulator_port).start()
            cleanups.append(simulator.stop)
            sr_url = simulator.base_url
            say("smartrecruiters", f"simulator at {sr_url} (API key for instances: {DEMO_API_KEY})")

        # --- the API's address first: SmartRecruiters posts webhook callbacks under it ------------
        api = ApiGatewayShim(None, args.api_port)

        # --- the functions' environment, as template.yaml gives it ------------------------------
        environment: dict[str, str] = {}
        for function in ("ApiFunction", "PollFunction", "DeliverFunction"):
            environment.update(resources.function_environment(function))
        environment.update(
            {
                "SMARTRECRUITERS_BASE_URL": sr_url,
                "PUBLIC_API_URL": api.url,
                "RETRY_DELAY_SCALE": str(args.time_scale),
                "POWERTOOLS_LOG_LEVEL": args.log_level.upper(),
            }
        )
        os.environ.update(environment)
        handlers = load_handlers()

        # --- the receiver ---------------------------------------------------------------------
        from devstack.demo import ChangeMaker, Tallies

        receiver = Receiver(SEED_SIGNATURE_KEY, port=args.receiver_port).start()
        cleanups.append(receiver.stop)
        interval_seconds = 15 * 60 / args.time_scale
        tally = Tallies(grace_seconds=2 * interval_seconds + 30)

        def show(record: Any) -> None:
            summary = record.summary()
            events = summary["events"]
            kinds = ", ".join(f"{e['eventType']} {e['objectType']} {e['objectId'][:8]}" for e in events[:3])
            more = f" +{len(events) - 3} more" if len(events) > 3 else ""
            verified = {True: "verified", False: "INVALID", None: "unsigned or unknown key"}[
                summary["elementsSignatureOk"] and summary["standardSignatureOk"]
                if summary["elementsSignatureOk"] is not None
                else None
            ]
            say(
                "receiver",
                f"instance {summary['instanceId']}: {len(events)} event(s) [{kinds}{more}] signature {verified}",
            )
            tally.received(summary["instanceId"], events)

        receiver.on_receive = show

        # --- the pipeline ---------------------------------------------------------------------
        from devstack.lambda_runtime import load_handler_module
        from devstack.sqs_pump import GroupsInFlight, SqsPump

        sqs = session.client("sqs")
        retry_queue = resources.refs["WebhookRetryQueue"]

        def to_retry_queue(event: dict[str, Any]) -> None:  # the poll function's `OnFailure` destination
            record = failure_destination_record(event, "arn:aws:lambda:us-east-1:000000000000:function:srevents-poll")
            sqs.send_message(QueueUrl=retry_queue, MessageBody=json.dumps(record))

        runner = PollRunner(
            [handlers["poll"].lambda_handler]
            + [load_handler_module("poll").lambda_handler for _ in range(args.polls_at_once - 1)],
            on_start=tally.poll_started,
            on_result=tally.poll_finished,
            on_failure=to_retry_queue,
        )
        runner_box["runner"] = runner
        runner.start()
        cleanups.append(runner.stop)
        scheduler = SchedulerLoop(
            session.client("scheduler"), resources.refs["PollerScheduleGroup"], runner, time_scale=args.time_scale
        )
        scheduler.start()
        cleanups.append(scheduler.stop)

        # The webhook retry queue's event source: the poll function again, one batch at a time.
        retries = DeliveryPump(
            [
                SqsPump(
                    sqs,
                    retry_queue,
                    resources.attrs[("WebhookRetryQueue", "Arn")],
                    handlers["poll"].lambda_handler,
                    function_name="srevents-PollFunction",
                    timeout_seconds=300,
                )
            ]
        )
        retries.start()
        cleanups.append(retries.stop)

        in_flight = GroupsInFlight()
        delivery = DeliveryPump(
            [
                SqsPump(
                    sqs,
                    resources.refs["NotificationQueue"],
                    resources.attrs[("NotificationQueue", "Arn")],
                    # One container per concurrent invocation, as Lambda runs them.
                    (handlers["deliver"] if index == 0 else load_handler_module("deliver")).lambda_handler,
                    in_flight=in_flight,
                )
                for index in range(args.delivery_batches)
            ]
        )
        delivery.start()
        cleanups.append(delivery.stop)

        # Two API containers: a webhook instance's creation waits for SmartRecruiters' handshake with the API.
        api.use([handlers["api"].lambda_handler, load_handler_module("api").lambda_handler])
        _serve(api.server, "api")
        cleanups.append(api.server.server_close)
        cleanups.append(api.server.shutdown)

        # --- the demo organization ------------------------------------------------------------
        from srevents.adapters.accounts_store import AccountsStore

        accounts = AccountsStore(session.client("dynamodb"), resources.refs["InstancesTable"])
        organization_id, organization_secret = accounts.create_organization("Demo", args.organization_secret)
        _, user_secret = accounts.create_user(organization_id, "demo@localhost", args.user_secret)
        authorization = f"User {user_secret}, Organization {organization_secret}"

        others = []
        for number in range(2, args.organizations + 1):
            other_id, other_secret = accounts.create_organization(f"Demo {number}")
            _, other_user = accounts.create_user(other_id, f"demo{number}@localhost")
            others.append(f"User {other_user}, Organization {other_secret}")

        say("aws", f"moto at {aws_url}: tables, queues, KMS key and schedule group from template.yaml")
        say("aws", f"instances table: {resources.refs['InstancesTable']} (organizations, users and instances)")
        say("receiver", f"callbacks to {receiver.url} (verifies signatures made with {SEED_SIGNATURE_KEY!r})")
        say("api", f"instances API at {api.url}  (also under {api.url}/v1)")
        say("auth", f"Authorization: {authorization}")
        for number, other in enumerate(others, start=2):
            say("auth", f"organization {number}: Authorization: {other}")
        say("admin", f"another organization: {admin_command(aws_url, resources.refs['InstancesTable'])}")
        say("time", f"schedules and retries run {args.time_scale:g}x faster than real time")
        say(
            "lambda",
            f"up to {args.polls_at_once} polls and {args.delivery_batches} delivery batches at once "
            f"(a callback URL under {receiver.url.rsplit('/', 1)[0]}/hang never answers: try tenant isolation)",
        )

        demo: ChangeMaker | None = None
        if not args.no_demo:
            if store is None:
                say("demo", "skipped: the demo changes records in the simulator, not in a real SmartRecruiters")
            else:
                status, instance = http_json(
                    "POST",
                    f"{api.url}/instances",
                    seed_body(receiver.url, DEMO_API_KEY),
                    {"Authorization": authorization},
                )
                if status != 200:
                    raise RuntimeError(f"demo instance was refused: {status} {instance}")
                tally.watch(instance["id"], "polling")
                say(
                    "demo",
                    f"created instance {instance['id']} from the seed's POST /instances body "
                    f"(polls every {interval_seconds:g} s at this time scale)",
                )
                body = seed_body(receiver.url, DEMO_API_KEY)
                body["name"] = "API Instance with Webhooks"
                body["configuration"]["event.vendor.type"] = "webhook"
                status, pushed = http_json("POST", f"{api.url}/instances", body, {"Authorization": authorization})
                if status != 200:
                    raise RuntimeError(f"demo webhook instance was refused: {status} {pushed}")
                tally.watch(pushed["id"], "webhook")
                say(
                    "demo",
                    f"created instance {pushed['id']} with event.vendor.type webhook: SmartRecruiters' callbacks "
                    f"bring changes in seconds, polls every {interval_seconds:g} s reconcile",
                )
                demo = ChangeMaker(store, tally, every_seconds=args.change_every)
                demo.start()
                cleanups.append(demo.stop)

        print(f"ready: {api.url}", flush=True)

        last_summary = time.monotonic()
        while not stopping.wait(0.5):
            if demo and time.monotonic() - last_summary >= 5:
                last_summary = time.monotonic()
                for line in tally.lines():
                    say("summary", line)
    except KeyboardInterrupt:
        pass
    except OSError as error:
        print(f"could not start: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("stopping...", flush=True)
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as error:  # keep stopping the rest
                print(f"while stopping: {error}", file=sys.stderr, flush=True)
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is stopped; a delivery thread still waiting on a hanging callback (up to its 15 s deadline)
    # would hold the interpreter's exit, as Lambda's timeout would simply cut it: don't wait for it.
    os._exit(code)
