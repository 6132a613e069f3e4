"""The simulator over HTTP: the vendor's list endpoints plus `/_simulator/...` control endpoints.

A stdlib ThreadingHTTPServer in a background thread, speaking HTTP/1.1 with keep-alive like the
real API, so the client's session reuse is exercised too. Meant for 127.0.0.1 only: the
control endpoints have no authentication.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from devstack.smartrecruiters.faults import DROP_CONNECTION
from devstack.smartrecruiters.listing import BadRequest, CursorCodec, list_page
from devstack.smartrecruiters.ratelimit import RateLimited, RateLimiter
from devstack.smartrecruiters.store import RESOURCES, SimulatorStore
from devstack.smartrecruiters.subscriptions import WebhookError
from devstack.smartrecruiters.webhooks_api import WEBHOOKS_PREFIX
from devstack.smartrecruiters.webhooks_api import handle as handle_webhooks

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_simulator"
_API_PATHS = {f"/{resource}": resource for resource in RESOURCES}
_BY_ID_RESOURCES = ("candidates", "jobs")


def error_body(code: str, message: str) -> dict[str, Any]:
    """The vendor error shape: `{"message", "errors": [{"code", "message"}]}`."""
    return {"message": message, "errors": [{"code": code, "message": message}]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SmartRecruitersSimulator/1.0"
    timeout = 30  # idle keep-alive connections are closed, so handler threads do not pile up
    disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stalls
    store: SimulatorStore
    codec: CursorCodec

    # --- dispatch -------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        if url.path == CONTROL_PREFIX or url.path.startswith(CONTROL_PREFIX + "/"):
            self._control(method, url.path[len(CONTROL_PREFIX) :].strip("/").split("/"))
        else:
            self._api(method, url.path, parse_qs(url.query, keep_blank_values=True))

    # --- the vendor API -------------------------------------------------------------------------
    def _api(self, method: str, path: str, params: dict[str, list[str]]) -> None:
        """Auth, then rate limits, then injected latency and faults, then the endpoint itself."""
        body = self._read_body()
        key = self.headers.get("X-SmartToken")
        if key is None or not self.store.knows_key(key):
            self._api_error(path, 401, "UNAUTHORIZED", "Missing or invalid X-SmartToken", RateLimiter.idle_headers())
            return
        try:
            with self.store.limits.admit(key, path) as limit_headers:
                self._admitted(key, method, path, params, body, limit_headers)
        except RateLimited as limited:
            self._api_error(path, 429, "TOO_MANY_REQUESTS", f"Rate limit exceeded: {limited.reason}", limited.headers)

    def _admitted(
        self, key: str, method: str, path: str, params: dict[str, list[str]], body: bytes, headers: dict[str, str]
    ) -> None:
        self.store.faults.delay(path)
        fault = self.store.faults.take(path)
        if fault is not None and fault.status == DROP_CONNECTION:
            self.store.count(path, DROP_CONNECTION)
            self.close_connection = True
            return
        if fault is not None:
            if fault.retry_after is not None:
                headers = {**headers, "Retry-After": fault.retry_after}
            self._api_error(path, fault.status, "INJECTED_FAULT", f"Injected failure ({fault.status})", headers)
            return
        if path.startswith(WEBHOOKS_PREFIX + "/"):
            self._webhooks(key, method, path, params, body, headers)
            return
        by_id = path.strip("/").split("/")
        if method == "GET" and len(by_id) == 2 and by_id[0] in _BY_ID_RESOURCES and by_id[1]:
            # GET /candidates/{id}, GET /jobs/{jobId}: the record as the list serves it (the vendor's details
            # shape has more fields; the webhook worker reads what the list has).
            record = self.store.record(by_id[0], by_id[1])
            if record is None:
                self._api_error(path, 404, "NOT_FOUND", f"No such {by_id[0][:-1]}: {by_id[1]}", headers)
                return
            self.store.count(path, 200)
            self._send(200, record, headers)
            return
        resource = _API_PATHS.get(path)
        if resource is None:
            self._api_error(path, 404, "NOT_FOUND", f"No such resource: {path}", headers)
            return
        if method != "GET":
            self._api_error(path, 405, "METHOD_NOT_ALLOWED", f"The simulator serves only GET {path}", headers)
            return
        try:
            page = list_page(self.store, self.codec, resource, params)
        except BadRequest as bad:
            self._api_error(path, 400, bad.code, bad.message, headers)
            return
        if page.next_page_id is not None:
            headers = {**headers, "Link": self._next_link(path, params, page.next_page_id)}
        self.store.count(path, 200)
        self._send(200, page.body, headers)

    def _webhooks(
        self, key: str, method: str, path: str, params: dict[str, list[str]], body: bytes, headers: dict[str, str]
    ) -> None:
        try:
            reply = handle_webhooks(self.store, self.codec, key, method, path, params, body)
        except WebhookError as error:
            self._api_error(path, error.status, error.code, error.message, headers)
            return
        except BadRequest as bad:
            self._api_error(path, 400, bad.code, bad.message, headers)
            return
        self.store.count(path, reply.status)
        self._send(reply.status, reply.body, {**headers, **reply.headers})

    @staticmethod
    def _next_link(path: str, params: dict[str, list[str]], next_page_id: str) -> str:
        """`Link: </candidates?limit=10&pageId=…>; rel="next"`, keeping the query's other parameters."""
        query = [(k, v) for k, values in params.items() if k != "pageId" for v in values]
        return f'<{path}?{urlencode([*query, ("pageId", next_page_id)])}>; rel="next"'

    def _api_error(self, path: str, status: int, code: str, message: str, headers: dict[str, str]) -> None:
        self.store.count(path, status)
        self._send(status, error_body(code, message), headers)

    # --- control endpoints ----------------------------------------------------------------------
    def _control(self, method: str, parts: list[str]) -> None:
        try:
            body = self._json_body()
            status, payload = self._control_route(method, parts, body)
        except (ValueError, TypeError) as bad:  # unknown fields, bad values, malformed JSON
            status, payload = 400, error_body("INVALID_REQUEST", str(bad))
        except KeyError as missing:
            status, payload = 404, error_body("NOT_FOUND", str(missing.args[0]))
        self._send(status, payload)

    def _control_route(self, method: str, parts: list[str], body: dict[str, Any]) -> tuple[int, Any]:
        store = self.store
        match method, parts:
            case "POST", ["api-keys"]:
                store.add_api_key(_required(body, "key", str))
                return 201, {}
            case "GET", [resource] if resource in RESOURCES:
                return 200, {"content": store.records(resource)}
            case "POST", ["candidates"]:
                return 201, store.create_candidate(**_candidate_args(body))
            case "POST", [resource] if resource in RESOURCES:
                return 201, getattr(store, f"create_{resource[:-1]}")(**body)
            case "PATCH", ["candidates", record_id]:
                return 200, store.update_candidate(record_id, **_candidate_args(body))
            case "PATCH", [resource, record_id] if resource in RESOURCES:
                return 200, getattr(store, f"update_{resource[:-1]}")(record_id, **body)
            case "DELETE", [("candidates" | "jobs") as resource, record_id]:
                return 200, getattr(store, f"delete_{resource[:-1]}")(record_id)
            case "GET", ["webhooks", "subscriptions"]:
                return 200, {"content": store.webhooks.overview()}
            case "GET", ["webhooks", "callbacks"]:
                return 200, {"content": store.webhooks.callbacks()}
            case "DELETE", ["webhooks", "callbacks"]:
                store.webhooks.sender.reset_log()
                return 200, {}
            case "POST", ["webhooks", "faults"]:
                store.fail_callbacks(
                    _required(body, "kind", str),
                    count=None if body.get("count") is None else int(body["count"]),
                    fraction=None if body.get("fraction") is None else float(body["fraction"]),
                    seconds=float(body.get("seconds", 0)),
                    event_name=body.get("eventName"),
                )
                return 201, {}
            case "DELETE", ["webhooks", "faults"]:
                store.webhooks.faults.clear()
                return 200, {}
            case "POST", ["faults"]:
                store.fail_next(
                    int(body.get("count", 1)),
                    int(body.get("status", 500)),
                    body.get("pathPrefix"),
                    None if body.get("retryAfter") is None else str(body["retryAfter"]),
                )
                return 201, {}
            case "POST", ["latency"]:
                store.add_latency(float(_required(body, "seconds", (int, float))), body.get("pathPrefix"))
                return 201, {}
            case "DELETE", ["faults"]:
                store.clear_faults()
                return 200, {}
            case "GET", ["rate-limits"]:
                return 200, store.set_rate_limits()
            case "PUT", ["rate-limits"]:
                return 200, store.set_rate_limits(
                    per_second=_optional_bool(body, "perSecond"),
                    concurrency=_optional_bool(body, "concurrency"),
                )
            case "GET", ["counters"]:
                return 200, store.counters()
            case "DELETE", ["counters"]:
                store.reset_counters()
                return 200, {}
        return 404, error_body("NOT_FOUND", f"No control endpoint {method} {CONTROL_PREFIX}/{'/'.join(parts)}")

    # --- plumbing -------------------------------------------------------------------------------
    def _json_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        body = json.loads(self.rfile.read(length))
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """`payload` as JSON; None (a 204) sends no body."""
        data = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("simulator: " + format, *args)


def _required(body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{name} is required")
    return value


def _optional_bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def _candidate_args(body: dict[str, Any]) -> dict[str, Any]:
    """Control bodies name the job `jobId` (as the API's filter does); the Python API says `job_id`."""
    args = dict(body)
    if "jobId" in args:
        args["job_id"] = args.pop("jobId")
    return args


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 delays simultaneous connections by a SYN retry (1 s)


class SimulatorServer:
    """Serves a SimulatorStore on `host:port` (port 0 picks a free one) from a background thread."""

    def __init__(self, store: SimulatorStore, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("SimulatorHandler", (_Handler,), {"store": store, "codec": CursorCodec(os.urandom(32))})
        self._httpd = _HTTPServer((host, port), handler)
        self._thread: threading.Thread | None = None
        self.store = store
        bound_host, bound_port = self._httpd.socket.getsockname()[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"

    def start(self) -> SimulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # how soon stop() is noticed
                name="smartrecruiters-simulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
