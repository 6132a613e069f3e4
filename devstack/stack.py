"""The whole pipeline on one machine: what stands in for each AWS service, and the handlers as in Lambda.

| AWS (deployed)                     | here                                                            |
|------------------------------------|-----------------------------------------------------------------|
| DynamoDB, SQS, KMS, Scheduler      | moto's server, resources created from template.yaml             |
| API Gateway → ApiFunction          | an HTTP server turning requests into API Gateway proxy events  |
| Scheduler firing → PollFunction    | a loop reading the stored schedules and firing `rate(...)`      |
| Lambda Invoke (poll now)           | a Lambda Invoke endpoint that runs the poll handler             |
| SQS event source → DeliverFunction | a pump receiving from the queue and honouring batchItemFailures |
| SmartRecruiters                    | the simulator (or --smartrecruiters-url)                        |
| the customer's callback            | a receiver that verifies both signatures                        |
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from devstack import powertools_threads
from devstack.apigw_events import proxy_event
from devstack.lambda_runtime import LambdaContext, load_handler_module

REGION = "us-east-1"
ASYNC_RETRIES = 2  # Lambda's default for asynchronous invocations (template.yaml: EventInvokeConfig)


def _quiet_server(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    server.daemon_threads = True
    return server


def _serve(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True)
    thread.start()
    return thread


class ApiGatewayShim:
    """Local API Gateway: every request becomes the proxy event Lambda receives (stage `v1` optional).

    Each handler stands for one Lambda container, serving one request at a time; with several (`use`), as
    many requests run at once, as Lambda scales out. A webhook instance's creation needs two: SmartRecruiters
    makes its activation handshake with the API while the creating request waits for it.
    """

    def __init__(self, handler: Any, port: int, host: str = "127.0.0.1") -> None:
        powertools_threads.install()  # containers are threads here: each must see its own request
        self._free: queue.Queue[Any] = queue.Queue()
        if handler is not None:
            self._free.put(handler)
        free = self._free

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _dispatch(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path[3:] if parts.path.startswith("/v1/") else parts.path
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                event = proxy_event(
                    self.command, path or "/", headers=dict(self.headers.items()), query=parts.query, body=body
                )
                container = free.get()
                try:
                    response = container(event, LambdaContext(function_name="srevents-ApiFunction", timeout_seconds=30))
                finally:
                    free.put(container)
                payload = (response.get("body") or "").encode()
                self.send_response(response.get("statusCode", 500))
                for name, value in (response.get("headers") or {}).items():
                    self.send_header(name, value)
                # Powertools answers a REST proxy event with multiValueHeaders (Content-Type included);
                # API Gateway sends both maps, and so must we.
                for name, values in (response.get("multiValueHeaders") or {}).items():
                    for value in values:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _quiet_server(ThreadingHTTPServer((host, port), Handler))

    def use(self, handlers: list[Any]) -> None:
        """Serve with these handlers (containers) as well."""
        for handler in handlers:
            self._free.put(handler)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


class PollRunner:
    """Runs the poll handler for scheduled firings and poll-now requests, several polls at once.

    Each worker stands for one concurrent Lambda invocation (its own container: its own handler), so one
    instance's slow poll (a SmartRecruiters that answers 429 with a long Retry-After, a huge page) does not
    hold up the others' — as in Lambda, where every scheduled poll is its own invocation. A firing for an
    instance that is already waiting is dropped (one more would find nothing new); two polls of one
    instance at once are kept apart by the poller's own lease, as in AWS.
    """

    def __init__(
        self, handlers: list[Any], on_result: Any = None, on_start: Any = None, on_failure: Any = None
    ) -> None:
        self.on_start = on_start
        self.on_result = on_result
        self.on_failure = on_failure  # the `OnFailure` destination: gets an event whose retries are exhausted
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._waiting: set[int] = set()
        self._lock = threading.Lock()
        self.polls = 0
        self._threads = [
            threading.Thread(target=self._run, args=(handler,), name=f"poll-runner-{index}", daemon=True)
            for index, handler in enumerate(handlers)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, event: dict[str, Any]) -> None:
        instance_id = event.get("instanceId")
        if "webhook" in event:  # a callback is its own work: never merged with a waiting poll
            self._queue.put(event)
            return
        with self._lock:
            if isinstance(instance_id, int) and instance_id in self._waiting:
                return  # already queued: one more would find nothing new
            if isinstance(instance_id, int):
                self._waiting.add(instance_id)
        self._queue.put(event)

    def stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + 10
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _run(self, handler: Any) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            with self._lock:
                if "webhook" not in event:
                    self._waiting.discard(event.get("instanceId"))  # type: ignore[arg-type]
            if self.on_start:
                self.on_start(event)
            try:
                result = handler(event, LambdaContext(function_name="srevents-PollFunction", timeout_seconds=300))
                with self._lock:
                    self.polls += 1
                if self.on_result:
                    self.on_result(result)
            except Exception as error:  # the stack must outlive a failing poll, as Lambda does
                print(f"[poll] instance {event.get('instanceId')}: {type(error).__name__}: {error}", flush=True)
                self._retry_later(event)

    def _retry_later(self, event: dict[str, Any]) -> None:
        """Lambda retries a failed asynchronous invocation twice (after about 1 and 2 minutes; here 1 and 2 s).
        Only callbacks are retried: a failed scheduled poll waits for its next firing, as Scheduler's own
        retries are not simulated either. After the last, the event goes to `on_failure`."""
        if "webhook" not in event:
            return
        attempt = int(event.get("_retry", 0)) + 1
        if attempt > ASYNC_RETRIES:
            if self.on_failure:
                self.on_failure({k: v for k, v in event.items() if k != "_retry"})
            return
        timer = threading.Timer(float(attempt), self._queue.put, args=({**event, "_retry": attempt},))
        timer.daemon = True
        timer.start()


def failure_destination_record(event: dict[str, Any], function_arn: str) -> dict[str, Any]:
    """What Lambda sends an `OnFailure` destination for an asynchronous invocation whose retries were
    exhausted (the original event is `requestPayload`)."""
    return {
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "requestContext": {
            "requestId": os.urandom(16).hex(),
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": ASYNC_RETRIES + 1,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "the invocation failed", "errorType": "Exception"},
    }


class LambdaInvokeShim:
    """`lambda:Invoke` for the poll function (the API's poll-now), pointed at by AWS_ENDPOINT_URL_LAMBDA."""

    def __init__(self, runner: PollRunner, host: str = "127.0.0.1") -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                if "/functions/" not in self.path or not self.path.endswith("/invocations"):
                    self.send_error(404)
                    return
                runner.submit(payload)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _quiet_server(ThreadingHTTPServer((host, 0), Handler))

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


@dataclass
class _Firing:
    expression: str
    interval: float
    next_at: float
    input: dict[str, Any]


@dataclass
class SchedulerLoop:
    """Fires the schedules stored in the emulated EventBridge Scheduler (moto stores, never fires)."""

    scheduler: Any
    group: str
    runner: PollRunner
    time_scale: float = 1.0
    tick: float = 0.5
    firings: dict[str, _Firing] = field(default_factory=dict)
    fired: int = 0
    on_fire: Any = None  # called with (input, the monotonic time the firing was due) as it is handed over

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._modified: dict[str, Any] = {}  # each firing's schedule's LastModificationDate when it was read

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def refresh(self, now: float) -> None:
        from srevents.domain.schedule import rate_seconds

        seen: set[str] = set()
        for page in self.scheduler.get_paginator("list_schedules").paginate(GroupName=self.group):
            for summary in page.get("Schedules", []):
                name = summary["Name"]
                seen.add(name)
                if summary.get("State") != "ENABLED":
                    self.firings.pop(name, None)
                    continue
                modified = summary.get("LastModificationDate")
                if name in self.firings and modified is not None and self._modified.get(name) == modified:
                    continue  # unchanged since it was read: no GetSchedule (a thousand schedules, every second)
                self._modified[name] = modified
                detail = self.scheduler.get_schedule(Name=name, GroupName=self.group)
                expression = detail["ScheduleExpression"]
                interval = rate_seconds(expression) / self.time_scale
                current = self.firings.get(name)
                if current is None or current.expression != expression:
                    # Like Scheduler: a (re)configured rate schedule first fires one interval from now.
                    self.firings[name] = _Firing(
                        expression, interval, now + interval, json.loads(detail["Target"]["Input"])
                    )
        for name in set(self.firings) - seen:
            del self.firings[name]
        for name in set(self._modified) - set(self.firings):
            del self._modified[name]

    def _run(self) -> None:
        last_refresh = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now - last_refresh >= 1.0:
                try:
                    self.refresh(now)
                except Exception as error:
                    print(f"[scheduler] could not read schedules: {error}", flush=True)
                last_refresh = now
            for firing in self.firings.values():
                if now >= firing.next_at:
                    due, firing.next_at = firing.next_at, now + firing.interval
                    self.fired += 1
                    if self.on_fire:
                        self.on_fire(firing.input, due)
                    self.runner.submit(dict(firing.input))
            self._stop.wait(self.tick)


class DeliveryPump:
    """The SQS event source for the deliver function: one thread per batch that may be in flight at once.

    Each pump stands for one concurrent Lambda invocation (its own container: its own handler module), as
    the event source mapping runs up to `ScalingConfig.MaximumConcurrency` invocations at once.
    """

    def __init__(self, pumps: list[Any]) -> None:
        self._pumps = pumps
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(pump,), name=f"sqs-pump-{index}", daemon=True)
            for index, pump in enumerate(pumps)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop receiving; wait a little for batches in flight (a hanging callback is abandoned, as a Lambda
        timeout would abandon it, and the queue offers its message again next time)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    @property
    def invocations(self) -> int:
        return sum(pump.invocations for pump in self._pumps)

    def _run(self, pump: Any) -> None:
        while not self._stop.is_set():
            try:
                if not pump.pump_once():
                    self._stop.wait(0.2)
            except Exception as error:  # keep pumping, as the event source mapping does
                print(f"[deliver] {type(error).__name__}: {error}", flush=True)
                self._stop.wait(1.0)


def configure_aws_environment(endpoint: str, lambda_endpoint: str) -> None:
    """Point every boto3 client of this process at moto, and Lambda Invoke at our shim."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ENDPOINT_URL_LAMBDA": lambda_endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_PROFILE", None)


def load_handlers() -> dict[str, Any]:
    return {name: load_handler_module(name) for name in ("api", "poll", "deliver")}
