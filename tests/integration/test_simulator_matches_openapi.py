"""The simulator's responses validate against SmartRecruiters' own OpenAPI document.

This is what keeps the simulator from drifting away from the real API. The document's schemas
are turned into JSON Schema 2020-12 and made strict where the document is silent: an object
may carry only the properties the document lists (`unevaluatedProperties: false`, which sees
through `allOf`), unless the document itself says what else is allowed (`additionalProperties`).
Timestamps must be ISO-8601 UTC with milliseconds, ids documented as UUIDs must be UUIDs.
"""

from __future__ import annotations

import copy
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
from devstack.smartrecruiters.listing import DEFAULT_LIMITS, MAX_LIMIT
from devstack.smartrecruiters.records import CANDIDATE_STATUSES, JOB_STATUSES, POSTING_STATUSES
from srevents.clock import ManualClock
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
    is_object = out.get("type") == "object" or "properties" in out or any(k in out for k in _COMPOSITIONS)
    if is_object and not composed and "additionalProperties" not in out:
        out["unevaluatedProperties"] = False
    return out


def operation(doc: dict[str, Any], path: str) -> dict[str, Any]:
    return doc["paths"][path]["get"]


def response_schema(doc: dict[str, Any], path: str, status: str) -> dict[str, Any]:
    schema = operation(doc, path)["responses"][status]["content"]["application/json"]["schema"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **to_json_schema(doc, schema)}


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


# --- the audit log --------------------------------------------------------------------------------
AUDIT = "/audit-events"
AUDIT_CONTENT = "application/json; charset=utf-8"
NO_AUDIT_KEY = register_secret("openapi-test-key-no-audit")
# The document's EventContext schema lists only the authentication and role fields, while its description of
# GET /audit-events gives the context each deletion carries; the simulator sends what the description says.
DESCRIBED_CONTEXT = {
    "masterProfileId": {"type": "string"},  # CANDIDATE_DELETED_DUE_TO_MERGE
    "mergedProfileId": {"type": "string"},  # CANDIDATE_PROFILE_UPDATED_DUE_TO_MERGE
    "jobName": {"type": "string"},  # JOB_DELETED
    "jobRefNumber": {"type": "string"},
}


def audit_schema(doc: dict[str, Any], status: str) -> dict[str, Any]:
    described = copy.deepcopy(doc)
    described["components"]["schemas"]["EventContext"]["properties"].update(DESCRIBED_CONTEXT)
    schema = operation(described, AUDIT)["responses"][status]["content"][AUDIT_CONTENT]["schema"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **to_json_schema(described, schema)}


def test_the_described_context_is_in_the_documents_description(doc: dict[str, Any]) -> None:
    description = operation(doc, AUDIT)["description"]
    for name in DESCRIBED_CONTEXT:
        assert f"{name}:" in description, name


@pytest.fixture(scope="module")
def audit_server() -> Iterator[SimulatorServer]:
    clock = ManualClock()
    store = SimulatorStore(clock, rate_limit_per_second=False, seed=11)
    store.add_api_key(KEY)
    store.add_api_key(NO_AUDIT_KEY, audit_events_read=False)
    candidates = [store.create_candidate() for _ in range(12)]
    jobs = [store.create_job() for _ in range(3)]
    for index, candidate in enumerate(candidates[:8]):
        clock.advance(0.7)
        store.delete_candidate(candidate["id"], author_type="SYSTEM" if index % 3 == 0 else "USER")
    clock.advance(1)
    store.merge_candidates(candidates[8]["id"], candidates[9]["id"])
    for job in jobs:
        clock.advance(0.3)
        store.delete_job(job["id"])
    clock.advance(60)
    with SimulatorServer(store) as running:
        yield running


def audit_pages(server: SimulatorServer, **params: Any) -> list[requests.Response]:
    responses, page_id = [], None
    with requests.Session() as http:
        while True:
            query = {**params, **({"nextPageId": page_id} if page_id else {})}
            response = http.get(server.base_url + AUDIT, params=query, headers={"X-SmartToken": KEY}, timeout=10)
            assert response.status_code == 200, response.text
            responses.append(response)
            page_id = response.json().get("nextPageId")
            if not page_id:
                return responses


def test_audit_event_pages_match_the_vendor_schema(doc: dict[str, Any], audit_server: SimulatorServer) -> None:
    schema = audit_schema(doc, "200")

    responses = audit_pages(audit_server, limit=3)

    assert len(responses) == 5  # 13 events, three a page
    names = set()
    for response in responses:
        validate(response.json(), schema)
        names |= {event["eventName"] for event in response.json()["content"]}
    assert names == {
        "CANDIDATE_DELETED",
        "CANDIDATE_DELETED_DUE_TO_MERGE",
        "CANDIDATE_PROFILE_UPDATED_DUE_TO_MERGE",
        "JOB_DELETED",
    }


def test_audit_events_are_filtered_by_repeated_eventName_and_strict_dates(audit_server: SimulatorServer) -> None:
    everything = [e for r in audit_pages(audit_server, limit=100) for e in r.json()["content"]]
    dates = sorted(e["eventDate"] for e in everything)

    jobs = [e for r in audit_pages(audit_server, eventName="JOB_DELETED") for e in r.json()["content"]]
    both = [
        e
        for r in audit_pages(audit_server, eventName=["CANDIDATE_DELETED", "CANDIDATE_DELETED_DUE_TO_MERGE"], limit=4)
        for e in r.json()["content"]
    ]
    inside = [
        e
        for r in audit_pages(audit_server, eventDateAfter=dates[0], eventDateBefore=dates[-1])
        for e in r.json()["content"]
    ]

    assert len(jobs) == 3 and {e["entityType"] for e in jobs} == {"JOB"}
    assert len(both) == 9 and len({e["id"] for e in both}) == 9
    assert len(inside) == len(everything) - 2  # both bounds are excluded


def test_a_key_without_audit_access_gets_the_documented_403(doc: dict[str, Any], audit_server: SimulatorServer) -> None:
    response = requests.get(audit_server.base_url + AUDIT, headers={"X-SmartToken": NO_AUDIT_KEY}, timeout=10)

    assert response.status_code == 403
    assert response.json()["message"] == operation(doc, AUDIT)["responses"]["403"]["description"]
    validate(response.json(), audit_schema(doc, "403"))


def test_the_audit_filters_and_page_size_the_simulator_serves_are_documented(doc: dict[str, Any]) -> None:
    from devstack.smartrecruiters.audit import AUTHOR_TYPES, DEFAULT_LIMIT, ENTITY_TYPES

    for name in ("eventDateAfter", "eventDateBefore", "eventName", "entityType", "entityId", "authorId", "nextPageId"):
        parameter(doc, AUDIT, name)
    assert parameter(doc, AUDIT, "eventName")["explode"] is True
    assert list(ENTITY_TYPES) == parameter(doc, AUDIT, "entityType")["schema"]["items"]["enum"]
    assert list(AUTHOR_TYPES) == parameter(doc, AUDIT, "authorType")["schema"]["items"]["enum"]
    limit = parameter(doc, AUDIT, "limit")["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, MAX_LIMIT, DEFAULT_LIMIT)


def test_the_audit_schema_rejects_undocumented_fields(doc: dict[str, Any], audit_server: SimulatorServer) -> None:
    # The widened context still leaves the check strict: show that it fails where it should
    body = audit_pages(audit_server, limit=20)[0].json()
    extra, context_extra, wrong_time = copy.deepcopy(body), copy.deepcopy(body), copy.deepcopy(body)
    extra["content"][0]["severity"] = "high"
    merge = next(e for e in context_extra["content"] if "context" in e)
    merge["context"]["reason"] = "undocumented"
    wrong_time["content"][0]["eventDate"] = "2026-11-29T10:00:00Z"

    for broken in (extra, context_extra, wrong_time):
        with pytest.raises(AssertionError):
            validate(broken, audit_schema(doc, "200"))
