"""The simulator's responses validate against SmartRecruiters' own OpenAPI document.

This is what keeps the simulator from drifting away from the real API. The document's schemas
are turned into JSON Schema 2020-12 and made strict where the document is silent: an object
may carry only the properties the document lists (`unevaluatedProperties: false`, which sees
through `allOf`), unless the document itself says what else is allowed (`additionalProperties`).
Timestamps must be ISO-8601 UTC with milliseconds, ids documented as UUIDs must be UUIDs.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml

from devstack.smartrecruiters import SimulatorServer, SimulatorStore
from devstack.smartrecruiters.callbacks import WebhookTimings
from devstack.smartrecruiters.listing import DEFAULT_LIMITS, MAX_LIMIT
from devstack.smartrecruiters.records import CANDIDATE_STATUSES, JOB_STATUSES, POSTING_STATUSES
from devstack.smartrecruiters.webhook_events import EVENT_NAMES, RAISED_EVENTS
from srevents.clock import ManualClock
from tests.support.hook_receiver import HookReceiver
from tests.support.leaks import register_secret

OPENAPI = Path(__file__).resolve().parents[1] / "vendor" / "smartrecruiters-openapi.yaml"
KEY = register_secret("openapi-test-key-1")
RESOURCES = ("candidates", "jobs", "users")

# OpenAPI keywords with no JSON Schema meaning (or none we check).
_DROPPED = {
    "description",
    "example",
    "deprecated",
    "nullable",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
}
_COMPOSITIONS = ("allOf", "anyOf", "oneOf")
_SR_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    if not OPENAPI.exists():
        pytest.fail(f"the vendor OpenAPI document is not at {OPENAPI}")
    with OPENAPI.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are expected, got {ref}"
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def to_json_schema(doc: dict[str, Any], node: Any, *, composed: bool = False, seen: tuple[str, ...] = ()) -> Any:
    """An OpenAPI 3.0 schema as strict JSON Schema 2020-12, with every `$ref` inlined.

    Inlining (rather than keeping `$ref`s) lets strictness depend on where a schema is used:
    a part of an `allOf` must not forbid the properties its siblings add, so only the schema
    that composes them gets `unevaluatedProperties: false`.
    """
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        assert ref not in seen, f"recursive schema {ref}: inline it differently"
        return to_json_schema(doc, resolve(doc, ref), composed=composed, seen=(*seen, ref))
    out: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword in _DROPPED or keyword.startswith("x-"):
            continue
        if keyword == "properties":
            out[keyword] = {name: to_json_schema(doc, s, seen=seen) for name, s in value.items()}
        elif keyword in ("items", "not") or (keyword == "additionalProperties" and isinstance(value, dict)):
            out[keyword] = to_json_schema(doc, value, seen=seen)
        elif keyword in _COMPOSITIONS:
            out[keyword] = [to_json_schema(doc, s, composed=True, seen=seen) for s in value]
        else:
            out[keyword] = copy.deepcopy(value)
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"].append(None)
    # An object with no properties listed is free-form (e.g. a callback log entry's `headers`)
    is_object = "properties" in out or any(k in out for k in _COMPOSITIONS)
    if is_object and not composed and "additionalProperties" not in out:
        out["unevaluatedProperties"] = False
    return out


def operation(doc: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    return doc["paths"][path][method]


def as_schema(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **to_json_schema(doc, schema)}


def response_schema(doc: dict[str, Any], path: str, status: str, method: str = "get") -> dict[str, Any]:
    response = operation(doc, path, method)["responses"][status]
    response = resolve(doc, response["$ref"]) if "$ref" in response else response
    return as_schema(doc, response["content"]["application/json"]["schema"])


def parameter(doc: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    for p in operation(doc, path)["parameters"]:
        p = resolve(doc, p["$ref"]) if "$ref" in p else p
        if p["name"] == name:
            return p
    raise KeyError(f"GET {path} has no parameter {name}")


def format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def sr_timestamp(value: object) -> bool:
        """Stricter than RFC 3339: the one form SmartRecruiters writes (`2021-10-16T21:13:09.300Z`)."""
        if not isinstance(value, str):
            return True
        return bool(_SR_TIMESTAMP.fullmatch(value)) and bool(datetime.fromisoformat(value))

    return checker


def validate(instance: Any, schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=format_checker())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


# --- a simulator with varied data -----------------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    clock = ManualClock()
    store = SimulatorStore(clock, rate_limit_per_second=False, seed=7)
    store.add_api_key(KEY)
    jobs = [store.create_job() for _ in range(12)]
    store.update_job(jobs[0]["id"], status="ON_HOLD", postingStatus="INTERNAL")
    store.create_job(status="FILLED", postingStatus="NOT_PUBLISHED", title="Nurse")
    for i in range(30):
        clock.advance(1.234)
        job = jobs[i % len(jobs)]
        store.create_candidate(
            job_id=job["id"] if i % 3 else None,
            status=CANDIDATE_STATUSES[i % len(CANDIDATE_STATUSES)],
            tags=["python", "remote"][: i % 3],
            internal=bool(i % 2),
        )
    candidate = store.records("candidates")[0]
    store.update_candidate(
        candidate["id"],
        secondaryAssignments=[{"job": {"id": jobs[1]["id"], "actions": jobs[1]["actions"]}}],
        consent={"status": "PENDING"},
    )
    for i in range(25):
        user = store.create_user(role=("EMPLOYEE", "ADMINISTRATOR")[i % 2])
        if i % 4 == 0:
            clock.advance(0.5)
            store.update_user(user["id"], active=False, ssoLoginMode="SSO", externalData="ext-1")
    with SimulatorServer(store) as running:
        yield running


def pages(server: SimulatorServer, path: str, **params: Any) -> list[requests.Response]:
    """Every page of a query, as raw responses."""
    responses, page_id = [], None
    with requests.Session() as http:
        while True:
            query = {**params, **({"pageId": page_id} if page_id else {})}
            response = http.get(server.base_url + path, params=query, headers={"X-SmartToken": KEY}, timeout=10)
            assert response.status_code == 200, response.text
            responses.append(response)
            page_id = response.json().get("nextPageId")
            if not page_id:
                return responses


# --- the tests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", RESOURCES)
def test_list_responses_match_the_vendor_schema(doc: dict[str, Any], server: SimulatorServer, resource: str) -> None:
    schema = response_schema(doc, f"/{resource}", "200")

    responses = pages(server, f"/{resource}", limit=4)

    assert len(responses) >= 4  # several pages, first, middle and last
    for response in responses:
        validate(response.json(), schema)
        # docs/DESIGN.md §4 promises the envelope even where the document marks nothing required (jobs, users)
        assert {"limit", "offset", "totalFound", "content"} <= response.json().keys()
    assert sum(len(r.json()["content"]) for r in responses) == responses[0].json()["totalFound"]


def test_filtered_and_single_record_pages_match_the_vendor_schema(doc: dict[str, Any], server: SimulatorServer) -> None:
    schema = response_schema(doc, "/candidates", "200")
    for response in pages(server, "/candidates", limit=1, tag="remote") + pages(server, "/candidates", q="zzz"):
        validate(response.json(), schema)


@pytest.mark.parametrize(
    ("resource", "required", "nested"),
    [
        ("candidates", "createdOn", ("primaryAssignment", "job")),
        ("jobs", "id", ("department",)),
        ("users", "language", ("language",)),
    ],
)
def test_the_strict_schema_rejects_undocumented_and_missing_fields(
    doc: dict[str, Any], server: SimulatorServer, resource: str, required: str, nested: tuple[str, ...]
) -> None:
    # A check that can never fail proves nothing: show that this one does
    schema = response_schema(doc, f"/{resource}", "200")
    body = pages(server, f"/{resource}", limit=2)[0].json()

    extra = copy.deepcopy(body)
    extra["content"][0]["nickname"] = "undocumented"
    nested_extra = copy.deepcopy(body)
    inner = nested_extra["content"][0]
    for name in nested:
        inner = inner[name]
    inner["salary"] = 1
    missing = copy.deepcopy(body)
    del missing["content"][0][required]
    wrong_time = copy.deepcopy(body)
    wrong_time["content"][0]["updatedOn"] = "2026-11-29T10:00:00Z"

    for broken in (extra, nested_extra, missing, wrong_time):
        with pytest.raises(AssertionError):
            validate(broken, schema)


@pytest.mark.parametrize(
    ("path", "params", "headers"),
    [
        ("/candidates", {}, {}),
        ("/jobs", {}, {"X-SmartToken": "wrong"}),
        ("/candidates", {"limit": "500"}, {"X-SmartToken": KEY}),
        ("/jobs", {"pageId": "forged"}, {"X-SmartToken": KEY}),
        ("/users", {"updatedAfter": "soon"}, {"X-SmartToken": KEY}),
    ],
)
def test_errors_match_the_vendor_error_schema(
    doc: dict[str, Any], server: SimulatorServer, path: str, params: dict[str, str], headers: dict[str, str]
) -> None:
    # The document gives no schema for these endpoints' 401s; its 400 schema is the one error shape.
    schema = response_schema(doc, path, "400")
    response = requests.get(server.base_url + path, params=params, headers=headers, timeout=10)
    assert response.status_code in (400, 401)
    validate(response.json(), schema)


@pytest.mark.parametrize("resource", RESOURCES)
def test_page_sizes_match_the_documented_limit_parameter(doc: dict[str, Any], resource: str) -> None:
    limit = parameter(doc, f"/{resource}", "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, MAX_LIMIT)
    assert DEFAULT_LIMITS[resource] == limit["default"]


def test_status_filters_accept_the_documented_values(doc: dict[str, Any]) -> None:
    assert list(CANDIDATE_STATUSES) == parameter(doc, "/candidates", "status")["schema"]["items"]["enum"]
    assert list(JOB_STATUSES) == parameter(doc, "/jobs", "status")["schema"]["enum"]
    assert list(POSTING_STATUSES) == parameter(doc, "/jobs", "postingStatus")["schema"]["enum"]


@pytest.mark.parametrize(
    ("resource", "filters"),
    [
        ("candidates", ("q", "jobId", "status", "tag", "updatedAfter")),
        ("jobs", ("q", "status", "postingStatus", "updatedAfter", "lastActivityAfter")),
        ("users", ("q", "updatedAfter")),
    ],
)
def test_the_filters_the_simulator_serves_are_documented(
    doc: dict[str, Any], resource: str, filters: tuple[str, ...]
) -> None:
    for name in filters:
        parameter(doc, f"/{resource}", name)


def test_the_list_responses_document_a_link_header(doc: dict[str, Any], server: SimulatorServer) -> None:
    for resource in ("candidates", "jobs"):
        assert "Link" in operation(doc, f"/{resource}")["responses"]["200"]["headers"]
        first = pages(server, f"/{resource}", limit=5)[0]
        assert first.links["next"]["url"].startswith(f"/{resource}?")


# --- the Webhooks API (tag `subscriptions`) and its callbacks --------------------------------------
WEBHOOKS = "/webhooks-api/v201907"


@pytest.fixture
def hooks() -> Iterator[HookReceiver]:
    receiver = HookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def webhook_store() -> Iterator[SimulatorStore]:
    store = SimulatorStore(ManualClock(), rate_limit_per_second=False, webhook_timings=FAST_WEBHOOKS)
    store.add_api_key(KEY)
    yield store
    store.webhooks.close()


@pytest.fixture
def webhook_server(webhook_store: SimulatorStore) -> Iterator[SimulatorServer]:
    with SimulatorServer(webhook_store) as running:
        yield running


@pytest.fixture(scope="module")
def webhooks_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with its one known slip in this tag fixed: `Subscription.events` refers to `Event` (the audit
    log's event object, which shares the name) where the subscription request, the prose and the API use
    event names (`["job.created"]`)."""
    fixed = copy.deepcopy(doc)
    events = fixed["components"]["schemas"]["Subscription"]["properties"]["events"]
    assert events["items"] == {"$ref": "#/components/schemas/Event"}, "the document changed: drop this fix"
    events["items"] = {"$ref": "#/components/schemas/EventName"}
    return fixed


FAST_WEBHOOKS = WebhookTimings(callback_timeout=5.0, handshake_timeout=5.0, retry_delays=(0.01,), reorder_wait=1.0)


class Exchange:
    """Calls the Webhooks API and checks every request body and answer against the vendor document."""

    def __init__(self, doc: dict[str, Any], server: SimulatorServer) -> None:
        self.doc = doc
        self.base = server.base_url + WEBHOOKS
        self.statuses: set[tuple[str, str, int]] = set()

    def __call__(
        self, method: str, path: str, template: str, body: Any = None, *, invalid: bool = False, **params: Any
    ) -> requests.Response:
        """`invalid`: the body breaks the request schema on purpose (checked), to see the simulator refuse it."""
        op = operation(self.doc, template, method.lower())
        if body is not None:
            request_schema = as_schema(self.doc, op["requestBody"]["content"]["application/json"]["schema"])
            if invalid:
                with pytest.raises(AssertionError):
                    validate(body, request_schema)
            else:
                validate(body, request_schema)
        response = requests.request(
            method, self.base + path, json=body, params=params, headers={"X-SmartToken": KEY}, timeout=30
        )
        status = str(response.status_code)
        assert status in op["responses"], f"{method} {template} answered {status}, not documented"
        documented = op["responses"][status]
        documented = resolve(self.doc, documented["$ref"]) if "$ref" in documented else documented
        if "content" in documented:
            validate(response.json(), response_schema(self.doc, template, status, method.lower()))
        else:
            assert response.content == b""
        self.statuses.add((method, template, response.status_code))
        return response


def callback_operation(doc: dict[str, Any], event_name: str) -> dict[str, Any]:
    """The `on...` callback of POST /subscriptions for `event_name` (job.status.updated: onJobStatusUpdated)."""
    name = "on" + "".join(word.capitalize() for word in re.split(r"[.-]", event_name))
    callback = operation(doc, "/subscriptions", "post")["callbacks"][name]
    callback = resolve(doc, callback["$ref"]) if "$ref" in callback else callback
    return dict(callback["{$request.body#/callbackUrl}"]["post"])


def test_the_webhooks_api_matches_the_vendor_document(
    webhooks_doc: dict[str, Any], webhook_server: SimulatorServer, webhook_store: SimulatorStore, hooks: HookReceiver
) -> None:
    call = Exchange(webhooks_doc, webhook_server)
    one, log, key = "/subscriptions/{id}", "/subscriptions/{id}/callbacks-log", "/subscriptions/{id}/secret-key"
    activation = "/subscriptions/{id}/activation"
    request = {
        "callbackUrl": hooks.url,
        "events": ["job.created", "job.updated"],
        "alertingEmailAddress": "alerts@example.org",
        "callbackAuthentication": {"type": "basic", "username": "u", "password": register_secret("hook-basic-pw")},
    }
    sid = call("POST", "/subscriptions", "/subscriptions", request).json()["id"]
    call("POST", "/subscriptions", "/subscriptions", {"callbackUrl": hooks.url, "events": []}, invalid=True)
    call("POST", "/subscriptions", "/subscriptions", {"callbackUrl": hooks.url, "events": ["job.created"]})
    call("POST", "/subscriptions", "/subscriptions", {"callbackUrl": "https:", "events": ["job.created"]})
    for _ in range(19):
        call("POST", "/subscriptions", "/subscriptions", {"callbackUrl": hooks.url, "events": ["job.created"]})
    call("GET", "/subscriptions", "/subscriptions", limit=5)
    call("GET", f"/subscriptions/{sid}", one)
    call("GET", "/subscriptions/none", one)
    call("GET", f"/subscriptions/{sid}/secret-key", key)
    call("POST", f"/subscriptions/{sid}/secret-key", key)
    call("GET", f"/subscriptions/{sid}/secret-key", key)
    hooks.handshake(500)
    call("PUT", f"/subscriptions/{sid}/activation", activation)
    hooks.handshake()
    call("PUT", f"/subscriptions/{sid}/activation", activation)
    call("PUT", f"/subscriptions/{sid}/activation", activation)
    call("PUT", "/subscriptions/none/activation", activation)
    hooks.script((500, 0.0))
    webhook_store.create_job()
    assert webhook_store.webhooks.wait_idle(30)
    call("GET", f"/subscriptions/{sid}/callbacks-log", log)
    call("GET", f"/subscriptions/{sid}/callbacks-log", log, callbackStatus="failed", after="2020-01-01T00:00:00.000Z")
    for _ in range(16):  # one key exists: the 16th more is one too many
        call("POST", f"/subscriptions/{sid}/secret-key", key)
    call("DELETE", f"/subscriptions/{sid}", one)
    call("DELETE", f"/subscriptions/{sid}", one)

    # Every documented outcome was seen, and validated above
    assert {(m, t, s) for m, t, s in call.statuses} >= {
        ("POST", "/subscriptions", 201), ("POST", "/subscriptions", 400), ("POST", "/subscriptions", 422),
        ("POST", "/subscriptions", 403), ("GET", "/subscriptions", 200), ("GET", one, 200), ("GET", one, 404),
        ("GET", key, 404), ("POST", key, 201), ("GET", key, 200), ("POST", key, 403), ("PUT", activation, 424),
        ("PUT", activation, 204), ("PUT", activation, 409), ("PUT", activation, 404), ("GET", log, 200),
        ("DELETE", one, 204), ("DELETE", one, 404),
    }  # fmt: skip


def test_callbacks_match_the_vendor_callback_operations(
    doc: dict[str, Any], webhook_server: SimulatorServer, webhook_store: SimulatorStore, hooks: HookReceiver
) -> None:
    # Given a subscription to every event the simulator raises
    events = list(RAISED_EVENTS)
    headers = {"X-SmartToken": KEY}
    base = webhook_server.base_url + WEBHOOKS
    sid = requests.post(base + "/subscriptions", json={"callbackUrl": hooks.url, "events": events}, headers=headers)
    sid.raise_for_status()
    requests.put(base + f"/subscriptions/{sid.json()['id']}/activation", headers=headers).raise_for_status()
    requests.post(base + f"/subscriptions/{sid.json()['id']}/secret-key", headers=headers).raise_for_status()
    # When records go through every change that raises one
    store = webhook_store
    job = store.create_job()
    store.update_job(job["id"], title="Welder", status="FILLED")
    other = store.create_job()
    candidate = store.create_candidate(job_id=job["id"])
    store.update_candidate(
        candidate["id"],
        status="IN_REVIEW",
        email="new@example.org",
        secondaryAssignments=[{"job": {"id": other["id"]}}],
    )
    store.delete_candidate(candidate["id"])
    assert store.webhooks.wait_idle(30)
    # Then each callback is one the document describes: its headers, and a body of its schema
    received = hooks.callbacks()
    assert {h.event_name for h in received} == set(events)
    event_names = resolve(doc, "#/components/schemas/EventName")["enum"]
    for hit in received:
        op = callback_operation(doc, hit.event_name)
        body_schema = resolve(doc, op["requestBody"]["$ref"])["content"]["application/json"]["schema"]
        validate(json.loads(hit.body), as_schema(doc, body_schema))
        documented_headers = {
            p["name"].lower(): p for p in (resolve(doc, p["$ref"]) for p in op["parameters"]) if p["in"] == "header"
        }
        for name, parameter_doc in documented_headers.items():
            if parameter_doc.get("required"):
                assert name in hit.headers, f"{hit.event_name} lacks {name}"
        sent = {n for n in hit.headers if n.startswith(("event-", "smartrecruiters-")) or n == "link"}
        assert sent <= documented_headers.keys(), (
            f"{hit.event_name} sends undocumented {sent - documented_headers.keys()}"
        )
        assert hit.headers["event-name"] in event_names
        float(hit.headers["smartrecruiters-timestamp"])  # documented as a number


def test_the_event_names_are_the_documented_ones(doc: dict[str, Any]) -> None:
    assert list(EVENT_NAMES) == resolve(doc, "#/components/schemas/EventName")["enum"]
    assert set(RAISED_EVENTS) <= set(EVENT_NAMES)
