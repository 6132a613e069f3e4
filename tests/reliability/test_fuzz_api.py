"""Property-based fuzzing of the instances API (Hypothesis): generated bodies for `POST /instances` and
`PATCH /instances/{id}`, malformed Authorization headers on every route, odd path ids and query strings.

Properties, for every generated request:
- the answer is never a 5xx, and is JSON (errors carry a `message`);
- a refused request changes nothing: every table item, every schedule and the queues are as before;
- an accepted one leaves a consistent instance: secrets masked, its schedule present exactly when its events
  are on (with its interval), and no secret of the request in the answer.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from srevents.api.openapi import ROUTES
from srevents.domain.instance_config import MASK
from tests.reliability.api_env import ApiEnv, api_env
from tests.reliability.profiles import fuzz_settings
from tests.reliability.strategies import (
    PATH_IDS,
    QUERIES,
    authorization_templates,
    instance_bodies,
    patch_bodies,
)
from tests.support.fixtures import seed_body
from tests.support.leaks import register_secret

FUZZ_SECRET = register_secret("sr-fuzz-key-7Hq2LmP9xZ")
EVENT_ID = "01a226c0-3f18-8316-ab79-8a581f2692f1"
# Every operation the OpenAPI document declares with credentials (the document and the console's static
# files say `security: []`: they serve no one's data).
PROTECTED = [
    (method.upper(), path)
    for path, methods in ROUTES.items()
    for method, operation in methods.items()
    if operation.get("security") != []
]
INSTANCE_ROUTES = [op for op in PROTECTED if "{id}" in op[1]]


def _seed_with(**settings: Any) -> str:
    body = seed_body()
    body["configuration"].update(settings)
    return json.dumps(body)


# Bodies that once got a 500 (and, for the float, changed the stack although refused), kept as examples.
FOUND_POST = [
    "[" * 5000,  # RecursionError in the JSON parser
    '{"name": ' + "9" * 5000 + "}",  # more digits than int() converts
    '{"element": {"key": "smartrecruiters"}, "name": "\\ud800", "configuration": {"api.key": "k"}}',
    _seed_with(ratio=1.5),  # a client's own float setting: boto3 refuses floats
    _seed_with(big=10**40),  # more digits than DynamoDB holds
    _seed_with(huge=1e300),
]
FOUND_PATCH = [
    '{"name": "\\ud800"}',  # a lone surrogate, escaped: valid JSON, not storable text
    '{"configuration": {"ratio": 2.5}}',
    '{"configuration": {"tiny": 1e-200}}',
    '{"configuration": {"large": 5.764540664222333e+84}}',  # came back as an 85-digit integer
]


def _without_token(shown: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in shown.items() if k != "token"}


def _examples(*bodies: str) -> Callable[[Any], Any]:
    def decorate(test: Any) -> Any:
        for body in reversed(bodies):
            test = example(body=body)(test)
        return test

    return decorate


class Baseline:
    """The stack's state as last seen; re-read only after a request that was allowed to change it."""

    def __init__(self, env: ApiEnv) -> None:
        self.env = env
        self.state = env.probe.snapshot()

    def assert_unchanged(self, what: str) -> None:
        assert self.env.probe.snapshot() == self.state, f"{what} was refused but changed the stack"

    def refresh(self) -> None:
        self.state = self.env.probe.snapshot()


@pytest.fixture(scope="module")
def env() -> Iterator[ApiEnv]:
    with api_env() as environment:
        environment.create("patch-target", settings={"api.key": FUZZ_SECRET})
        environment.create("sibling")
        environment.create("other-org", owner=environment.other_org)
        yield environment


def _body_fields(reply_body: Any) -> set[str]:
    return set(reply_body) if isinstance(reply_body, dict) else set()


def _assert_error_shape(reply: Any) -> None:
    assert isinstance(reply.body, dict), reply.text[:200]
    assert isinstance(reply.body.get("message"), str) and reply.body["message"]
    assert _body_fields(reply.body) <= {"message", "field", "requestId"}


def _assert_consistent_instance(env: ApiEnv, shown: dict[str, Any]) -> None:
    configuration = shown["configuration"]
    assert configuration["api.key"] == MASK
    if "event.notification.signature.key" in configuration:
        assert configuration["event.notification.signature.key"] == MASK
    from tests.support.aws_state import schedule

    found = schedule(env.resources, shown["id"])
    if shown["eventsEnabled"] and not shown["disabled"]:
        assert found is not None and found["State"] == "ENABLED"
        minutes = int(configuration["event.poller.refresh_interval"])
        assert found["ScheduleExpression"] == f"rate({minutes} minute{'s' if minutes != 1 else ''})"
    else:
        assert found is None or found["State"] == "DISABLED"


def test_generated_post_instances_bodies(env: ApiEnv, report: Callable[..., None]) -> None:
    baseline = Baseline(env)
    statuses: Counter[int] = Counter()

    @fuzz_settings(900)
    @given(body=instance_bodies())
    @_examples(*FOUND_POST)
    def run(body: str) -> None:
        # When a generated body is posted
        reply = env.call("POST", "/instances", auth=env.org, raw_body=body, also_secret=(FUZZ_SECRET,))
        statuses[reply.status] += 1

        # Then it is created, refused as invalid, or refused as too large; never a server error
        assert reply.status in (200, 400, 413), (reply.status, reply.text[:300])
        if reply.status != 200:
            _assert_error_shape(reply)
            baseline.assert_unchanged("POST /instances")
            return
        _assert_consistent_instance(env, reply.body)
        assert env.call("GET", f"/instances/{reply.body['id']}", auth=env.org).body == _without_token(reply.body)
        assert env.call("DELETE", f"/instances/{reply.body['id']}", auth=env.org).status == 200
        baseline.refresh()

    run()
    _report_fuzz(report, "post-bodies", "POST /instances: generated bodies", statuses)


def test_generated_patch_bodies(env: ApiEnv, report: Callable[..., None]) -> None:
    target = env.instances["patch-target"]
    baseline = Baseline(env)
    statuses: Counter[int] = Counter()

    @fuzz_settings(600)
    @given(body=patch_bodies())
    @_examples(*FOUND_PATCH)
    def run(body: str) -> None:
        # When a generated body patches the instance
        reply = env.call("PATCH", f"/instances/{target}", auth=env.org, raw_body=body, also_secret=(FUZZ_SECRET,))
        statuses[reply.status] += 1

        # Then it is applied or refused (nothing changed); never a server error
        assert reply.status in (200, 400, 413), (reply.status, reply.text[:300])
        if reply.status != 200:
            _assert_error_shape(reply)
            baseline.assert_unchanged(f"PATCH /instances/{target}")
            return
        baseline.refresh()
        _assert_consistent_instance(env, reply.body)
        assert env.call("GET", f"/instances/{target}", auth=env.org).body == reply.body  # kept as answered

    run()
    _report_fuzz(report, "patch-bodies", "PATCH /instances/{id}: generated bodies", statuses)


def _render(template: str, env: ApiEnv) -> str:
    own, sibling = env.instances["patch-target"], env.instances["sibling"]
    values = {
        "{U2}": env.other_org.user_secret,
        "{O2}": env.other_org.organization_secret,
        "{T2}": env.tokens[sibling],
        "{U}": env.org.user_secret,
        "{O}": env.org.organization_secret,
        "{T}": env.tokens[own],
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


def _authenticates(header: str, env: ApiEnv, path: str) -> bool:
    """An oracle written apart from the product's parser: comma-separated `Kind secret` parts, each kind at
    most once, the caller's User and Organization secrets, and no Element token but this instance's (on the
    collection routes, which name no instance: one of the organization's instances')."""
    found: dict[str, str] = {}
    for part in header.split(","):
        words = part.split()
        if len(words) != 2 or words[0].lower() not in ("user", "organization", "element") or words[0].lower() in found:
            return False
        found[words[0].lower()] = words[1]
    own = env.tokens[env.instances["patch-target"]]
    tokens = {own} if "{id}" in path else {own, env.tokens[env.instances["sibling"]]}
    return (
        found.get("user") == env.org.user_secret
        and found.get("organization") == env.org.organization_secret
        and found.get("element", own) in tokens
    )


def test_malformed_authorization_on_every_route(env: ApiEnv, report: Callable[..., None]) -> None:
    baseline = Baseline(env)
    statuses: Counter[int] = Counter()
    target = env.instances["patch-target"]

    @fuzz_settings(300)
    @given(operation=st.sampled_from(PROTECTED), template=authorization_templates())
    def run(operation: tuple[str, str], template: str) -> None:
        header = _render(template, env)
        method, path = operation
        assume(not _authenticates(header, env, path) and "\r" not in header and "\n" not in header)

        # When any route is called with it
        reply = env.call(
            method, path.format(id=target, eventId=EVENT_ID), auth=header, json_body={"since": "2026-01-01T00:00:00Z"}
        )
        statuses[reply.status] += 1

        # Then the caller is refused, told nothing, and nothing changed
        assert reply.status == 401, (method, path, reply.status, reply.text[:200])
        _assert_error_shape(reply)
        assert "field" not in reply.body
        if method != "GET":
            baseline.assert_unchanged(f"{method} {path} with a bad Authorization header")

    run()
    _report_fuzz(report, "authorization", "Malformed Authorization headers × every route", statuses)


def test_odd_path_ids_on_every_instance_route(env: ApiEnv, report: Callable[..., None]) -> None:
    baseline = Baseline(env)
    statuses: Counter[int] = Counter()
    own = {str(env.instances["patch-target"]), str(env.instances["sibling"])}

    @fuzz_settings(200)
    @given(operation=st.sampled_from(INSTANCE_ROUTES), raw_id=PATH_IDS, raw_event=PATH_IDS, pick=st.booleans())
    @example(operation=("GET", "/instances/{id}"), raw_id="²", raw_event="0", pick=False)  # found: a 500
    def run(operation: tuple[str, str], raw_id: str, raw_event: str, pick: bool) -> None:
        method, path = operation
        # an odd instance id, or (for event routes) this organization's instance with an odd event id
        instance = str(env.instances["patch-target"]) if pick and "{eventId}" in path else raw_id
        assume(instance.lstrip("0") not in own or instance == str(env.instances["patch-target"]))
        assume(instance != str(env.instances["patch-target"]) or "{eventId}" in path)

        # When the route is called with it (the body would otherwise be valid)
        reply = env.call(
            method,
            path.format(id=instance, eventId=raw_event),
            auth=env.org,
            json_body={"since": "2026-01-01T00:00:00Z"},
        )
        statuses[reply.status] += 1

        # Then it names nothing: 404, and nothing changed
        assert reply.status == 404, (method, path, instance, raw_event, reply.status, reply.text[:200])
        _assert_error_shape(reply)
        if method != "GET":
            baseline.assert_unchanged(f"{method} {path} with id {instance!r}")

    run()
    _report_fuzz(report, "path-ids", "Odd path ids × every instance route", statuses)


def test_odd_query_strings_on_every_route(env: ApiEnv, report: Callable[..., None]) -> None:
    baseline = Baseline(env)
    statuses: Counter[int] = Counter()
    target = env.instances["patch-target"]
    missing = 987654321

    @fuzz_settings(250)
    @given(operation=st.sampled_from(PROTECTED), query=QUERIES)
    @example(operation=("GET", "/instances/{id}/events"), query="limit=%C2%B2")  # found: a 500 ("²")
    def run(operation: tuple[str, str], query: str) -> None:
        method, path = operation
        # When a route is called with a generated query string: a read about the instance, or a write that
        # is refused whatever the query says (an empty body, or an instance that does not exist)
        instance = target if method == "GET" else missing
        url = path.format(id=instance, eventId=EVENT_ID)
        reply = env.call(method, url, auth=env.org, query=query, json_body={} if method != "GET" else None)
        statuses[reply.status] += 1

        # Then it is answered or refused (a bad request, a missing instance or event), never a server error
        assert reply.status in (200, 400, 404), (method, path, query, reply.status, reply.text[:200])
        if reply.status == 200:
            assert method == "GET"
            json.dumps(reply.body)
        else:
            _assert_error_shape(reply)
            baseline.assert_unchanged(f"{method} {path}?{query}")

    run()
    _report_fuzz(report, "queries", "Generated query strings × every route", statuses)


def _report_fuzz(report: Callable[..., None], key: str, case: str, statuses: Counter[int]) -> None:
    report(
        section="fuzz",
        key=f"fuzz:{key}",
        case=case,
        examples=sum(statuses.values()),
        server_errors=sum(n for status, n in statuses.items() if status >= 500),
        statuses=dict(sorted(statuses.items())),
    )


@pytest.mark.parametrize(
    "since", ["0387-04-07T20:24:28.500Z", "0001-01-01T00:00:00+23:59", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z"]
)
def test_replay_from_before_1970_is_refused_and_the_poller_stays_readable(env: ApiEnv, since: str) -> None:
    # (found by the OpenAPI run: a replay from year 387 stored a watermark nothing could read back, and every
    # later poll, replay and status call of the instance failed)
    target = env.instances["sibling"]

    # When a replay asks for changes since a date before 1970 (or at it)
    reply = env.call("POST", f"/instances/{target}/poller/replay", auth=env.org, json_body={"since": since})

    # Then it is refused unless at 1970 or later, and the instance's poller still answers
    if since.startswith("1970"):
        assert reply.status == 200, reply.text
    else:
        assert reply.status == 400 and reply.body["field"] == "since", reply.text
    status = env.call("GET", f"/instances/{target}/poller", auth=env.org)
    assert status.status == 200, status.text
