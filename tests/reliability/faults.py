"""Faults injected into what the real handlers depend on: AWS calls, the process itself, SmartRecruiters.

- `AwsFaults` answers chosen AWS calls with an error *instead of* moto, from a `before-send` hook on the
  adapters' own boto3 clients (`srevents.adapters.aws.client`). The error comes back as an HTTP response,
  so botocore parses it and applies its retry policy exactly as it would to a real throttle: one injected
  throttle is absorbed by the SDK's retries, four in a row reach the product as a `ClientError`.
- `Crash` is a Lambda process dying (timeout, out of memory) at a chosen point: `kill()` raises `Killed`, a
  `BaseException` no `except Exception` catches, and until `revive()` every AWS call of the process raises
  it too, so no `except`/`finally` block of the product can reach AWS after the kill, as in a dead process.
- `SmartRecruitersSession` is the `requests.Session` the SmartRecruiters client is built with: it knows which
  page a request is for and makes the simulator answer chosen attempts with a 5xx, a 429 or a read timeout
  (real latency on the simulator, a short client timeout), or kills the process at a page.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import requests
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from moto.core.botocore_stubber import MockRawResponse

from devstack.smartrecruiters import SimulatorStore


class Killed(BaseException):
    """The simulated Lambda process died here; nothing after this point of the invocation runs."""


class Crash:
    """A kill switch for one simulated Lambda process (see the module docstring)."""

    def __init__(self) -> None:
        self.dead = False
        self.kills: list[str] = []
        self._armed: dict[str, Callable[[dict[str, Any]], bool]] = {}

    def kill(self, where: str) -> NoReturn:
        self.dead = True
        self.kills.append(where)
        raise Killed(where)

    def revive(self) -> None:
        self.dead = False

    def arm(self, operation: str, when: Callable[[dict[str, Any]], bool] = lambda _: True) -> None:
        """Die at the next AWS call `operation` (e.g. "dynamodb.UpdateItem") whose request matches `when`."""
        self._armed[operation] = when

    def disarm(self) -> None:
        self._armed.clear()

    def before_send(self, operation: str, body: dict[str, Any]) -> None:
        if self.dead:
            raise Killed(f"{operation} from a dead process")
        when = self._armed.get(operation)
        if when is not None and when(body):
            del self._armed[operation]
            self.kill(f"before {operation}")


@dataclass
class AwsRule:
    operation: str  # "dynamodb.UpdateItem", "sqs.SendMessageBatch", ...
    code: str
    status: int
    times: int  # calls (botocore attempts) to fail
    skip: int = 0  # matching calls to let through first
    when: Callable[[dict[str, Any]], bool] | None = None
    every: int = 1  # fail only every n-th matching call (n > 1: a retry of a failed call goes through)
    seen: int = 0
    injected: int = 0


FAULT_HEADER = "x-reliability-injected-fault"
_THROTTLES = {
    "dynamodb": ("ProvisionedThroughputExceededException", 400),
    "sqs": ("RequestThrottled", 400),
    "kms": ("ThrottlingException", 400),
    "scheduler": ("ThrottlingException", 429),
}


@dataclass
class EntryRule:
    """Refuse chosen entries (0-based positions) of `times` SendMessageBatch calls; SQS applies the others."""

    positions: frozenset[int]
    times: int
    when: Callable[[dict[str, Any]], bool] | None = None
    injected: int = 0


class AwsFaults:
    """Error answers and deaths for the adapters' boto3 clients, and counts of what was injected."""

    def __init__(self, clients: dict[str, Any], crash: Crash) -> None:
        self.crash = crash
        self.rules: list[AwsRule] = []
        self.entry_rules: list[EntryRule] = []
        self._refused: list[dict[str, Any]] = []  # failed entries to add to the answer of the call in progress
        self.calls: dict[str, int] = {}
        self.after_call: list[Callable[[str, dict[str, Any]], None]] = []
        self._lock = threading.Lock()
        for service, boto_client in clients.items():
            events = boto_client.meta.events
            events.register_first(f"before-send.{service}", self._before_send)
            events.register(f"after-call.{service}", self._after_call)

    # -- configuration --------------------------------------------------------------------------
    def throttle(
        self,
        operation: str,
        times: int,
        *,
        skip: int = 0,
        every: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> AwsRule:
        """Throttle `times` calls of `operation` ("dynamodb.UpdateItem"; "dynamodb.*" for any)."""
        code, status = _THROTTLES[operation.split(".")[0]]
        return self.fail(operation, code, status, times, skip=skip, every=every, when=when)

    def fail(
        self,
        operation: str,
        code: str,
        status: int,
        times: int,
        *,
        skip: int = 0,
        every: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> AwsRule:
        """Answer `times` calls of `operation` with the error `code` (HTTP `status`), after `skip` matching ones."""
        rule = AwsRule(operation, code, status, times, skip, when, every)
        self.rules.append(rule)
        return rule

    def refuse_entries(
        self, positions: set[int], times: int, when: Callable[[dict[str, Any]], bool] | None = None
    ) -> EntryRule:
        """Answer entries at `positions` of `times` SendMessageBatch calls as failed (InternalError), while
        the other entries of those calls are enqueued: SQS's partial batch failure."""
        rule = EntryRule(frozenset(positions), times, when)
        self.entry_rules.append(rule)
        return rule

    @property
    def injected(self) -> int:
        return sum(r.injected for r in self.rules) + sum(r.injected for r in self.entry_rules)

    # -- botocore hooks -------------------------------------------------------------------------
    def _before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        service, operation = event_name.split(".")[1:3]
        name = f"{service}.{operation}"
        body = _json_body(request)
        with self._lock:
            self.calls[name] = self.calls.get(name, 0) + 1
        self.crash.before_send(name, body)
        for rule in self.rules:
            if rule.operation not in (name, f"{service}.*") or rule.injected >= rule.times:
                continue
            if rule.when and not rule.when(body):
                continue
            rule.seen += 1
            if rule.seen <= rule.skip or rule.seen % rule.every:
                continue
            rule.injected += 1
            # botocore calls every before-send handler and uses the first answer: mark the request so moto,
            # called after us, leaves it alone (a throttled request is not applied).
            request.headers[FAULT_HEADER] = rule.code
            return _error_response(request.url, service, rule.code, rule.status)
        if name == "sqs.SendMessageBatch":
            self._refuse_entries(request, body)
        return None

    def _refuse_entries(self, request: Any, body: dict[str, Any]) -> None:
        """Take refused entries out of the request moto applies; `_after_call` reports them as failed."""
        for rule in self.entry_rules:
            if rule.injected >= rule.times or (rule.when and not rule.when(body)):
                continue
            entries = body.get("Entries", [])
            refused = [e for i, e in enumerate(entries) if i in rule.positions]
            if not refused:
                continue
            rule.injected += 1
            body["Entries"] = [e for i, e in enumerate(entries) if i not in rule.positions]
            request.body = json.dumps(body).encode()
            request.headers["Content-Length"] = str(len(request.body))
            self._refused = [
                {"Id": e["Id"], "Code": "InternalError", "Message": "injected", "SenderFault": False} for e in refused
            ]
            return

    def _after_call(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        service, operation = event_name.split(".")[1:3]
        if self._refused and operation == "SendMessageBatch":
            parsed.setdefault("Failed", []).extend(self._refused)
            self._refused = []
        for hook in list(self.after_call):
            hook(f"{service}.{operation}", parsed)


def _json_body(request: Any) -> dict[str, Any]:
    body = request.body
    if not body:
        return {}
    try:
        loaded = json.loads(body if isinstance(body, str | bytes) else body.read())
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _error_response(url: str, service: str, code: str, status: int) -> AWSResponse:
    prefix = {"dynamodb": "com.amazonaws.dynamodb.v20120810", "sqs": "com.amazonaws.sqs"}.get(service, service)
    body = json.dumps({"__type": f"{prefix}#{code}", "message": f"injected {code}"})
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/x-amz-json-1.0"
    headers["x-amzn-RequestId"] = "injected"
    return AWSResponse(url, status, headers, MockRawResponse(body))


# --- SmartRecruiters ---------------------------------------------------------------------------

TIMEOUT = "timeout"


AUDIT_EVENTS = "/audit-events"


@dataclass
class PageFault:
    page: int  # 1-based position of the page within one poll
    kind: int | str  # an HTTP status (500, 429), TIMEOUT, or "kill"
    attempts: int  # how many attempts at that page suffer it
    path: str | None = None  # AUDIT_EVENTS: a page of the audit log (includeDeleted); None: of the records


class SmartRecruitersSession(requests.Session):
    """The SmartRecruiters client's session, with faults at chosen page positions of a poll.

    A request without `pageId` starts a poll (or retries its first page): position 1. A request with a
    `pageId` is at 2 + the index of that id among those this poll asked for, so retries keep their position.
    The audit log's pages (`GET /audit-events`, cursor `nextPageId`) are counted apart, for faults whose
    `path` is AUDIT_EVENTS.
    """

    read_timeout = 0.15

    def __init__(self, store: SimulatorStore, crash: Crash, api_key: str) -> None:
        super().__init__()
        self.store = store
        self.crash = crash
        self.api_key = api_key
        self.faults: list[PageFault] = []
        self.injected = 0
        self.requests = 0
        self._page_ids: dict[str | None, list[str]] = {None: [], AUDIT_EVENTS: []}

    def position(self, page_id: str | None, path: str | None = None) -> int:
        if page_id is None:
            self._page_ids[path] = []
            return 1
        seen = self._page_ids[path]
        if page_id not in seen:
            seen.append(page_id)
        return 2 + seen.index(page_id)

    def get(self, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.requests += 1
        path = AUDIT_EVENTS if str(url).split("?")[0].endswith(AUDIT_EVENTS) else None
        params = kwargs.get("params") or {}
        page = self.position(params.get("nextPageId" if path else "pageId"), path)
        fault = next((f for f in self.faults if f.page == page and f.path == path and f.attempts > 0), None)
        if fault is None:
            return super().get(url, **kwargs)
        fault.attempts -= 1
        self.injected += 1
        if fault.kind == "kill":
            self.crash.kill(f"reading page {page}")
        if fault.kind == TIMEOUT:
            self.store.add_latency(5.0, path or "/candidates")
            try:
                connect = kwargs.get("timeout", (5, 30))[0]
                return super().get(url, **{**kwargs, "timeout": (connect, self.read_timeout)})
            finally:
                self.store.clear_faults()  # also cuts the simulator's wait short
                self._until_simulator_idle()
        assert isinstance(fault.kind, int)
        self.store.fail_next(1, status=fault.kind, retry_after="1" if fault.kind == 429 else None)
        return super().get(url, **kwargs)

    def _until_simulator_idle(self) -> None:
        """The timed-out request still holds its concurrency slot until the simulator answers into the void."""
        deadline = time.monotonic() + 2
        while self.store.limits.in_flight(self.api_key) and time.monotonic() < deadline:
            time.sleep(0.005)
