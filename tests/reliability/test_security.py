"""Nobody let in: every route against every kind of wrong caller, every SSRF address class at creation and
at delivery, oversized bodies, and no secret in any answer.

The API runs as deployed: private and plain-http callbacks refused. Secrets in answers are checked on every
call of the whole test suite by the API client (tests/support/leaks.py) and in captured output by the leaks
plugin; here they are also looked for in the answers a wrong caller gets.
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import urllib3.util.connection

from devstack.lambda_runtime import LambdaContext, load_handler_module
from devstack.sqs_pump import sqs_event
from srevents import wiring
from srevents.adapters.callback_sender import CallbackSender
from srevents.adapters.delivery_log import DeliveryLog
from srevents.adapters.notification_message import QueueMessage
from srevents.adapters.notification_queue import NotificationQueue
from srevents.api.openapi import ROUTES
from srevents.domain.delivery_status import DELIVERED, RETRYING
from tests.reliability.api_env import PUBLIC_ADDRESS, ApiEnv, api_env
from tests.support.api_client import Credentials
from tests.support.leaks import check_response, register_secret

EVENT_ID = "01a226c0-3f18-8316-ab79-8a581f2692f1"
MARKER = "acme-private-candidate-data-7f3a"  # in the target instance's logged notification
PROTECTED = [
    (method.upper(), path)
    for path, methods in ROUTES.items()
    for method, operation in methods.items()
    if operation.get("security") != []
]
CALLERS = ("no credentials", "wrong credentials", "mixed organizations", "another organization", "another element")


@pytest.fixture(scope="module")
def env() -> Iterator[ApiEnv]:
    with api_env() as environment:
        target = environment.create("acme-target")
        environment.create("acme-sibling")
        environment.create("globex-own", owner=environment.other_org)
        # Given a notification of the target instance in its delivery log
        log = DeliveryLog(boto3.client("dynamodb"), environment.resources.refs["NotificationsTable"])
        body = json.dumps({"id": EVENT_ID, "message": {"instanceId": target, "raw": {"note": MARKER}}})
        log.record(target, EVENT_ID, status=DELIVERED, now=datetime.now(UTC), body=body, meta={}, attempt=None)
        yield environment


def _header(env: ApiEnv, caller: str) -> str | None:
    org, other = env.org, env.other_org
    return {
        "no credentials": None,
        "wrong credentials": Credentials(
            org.organization_id, "wrong-org-secret-000000", "wrong-user-secret-0000"
        ).header(),
        "mixed organizations": f"User {org.user_secret}, Organization {other.organization_secret}",
        "another organization": other.header(),
        "another element": org.header(env.tokens[env.instances["acme-sibling"]]),
    }[caller]


def _expected(caller: str, path: str) -> set[int] | None:
    """None: not applicable (an Element token names an instance; the collection routes name none)."""
    instance_route = "{id}" in path
    if caller in ("no credentials", "wrong credentials", "mixed organizations"):
        return {401}
    if caller == "another organization":
        return {404} if instance_route else {200}
    return {401} if instance_route else None


def test_every_route_refuses_every_wrong_caller_and_tells_nothing(env: ApiEnv, report: Callable[..., None]) -> None:
    target = env.instances["acme-target"]
    acme_names = ("acme-target", "acme-sibling")
    counts: Counter[str] = Counter()
    for method, path in PROTECTED:
        for caller in CALLERS:
            expected = _expected(caller, path)
            if expected is None:
                counts["not applicable"] += 1
                continue
            before = env.probe.snapshot()

            # When the route is called by this caller, about the target instance
            reply = env.call(
                method,
                path.format(id=target, eventId=EVENT_ID),
                auth=_header(env, caller),
                json_body={"since": "2026-01-01T00:00:00Z"} if method != "POST" or path != "/instances" else _body(),
            )

            # Then it is refused (or, for collection routes, answered with the caller's own data only)
            assert reply.status in expected, (method, path, caller, reply.status, reply.text[:200])
            counts["refused" if reply.status in (401, 404) else "own data only"] += 1
            assert MARKER not in reply.text and not any(name in reply.text for name in acme_names), (method, path)
            assert not any(token in reply.text for token in env.tokens.values() if token), (method, path)
            if reply.status in (401, 404):
                assert set(reply.body) <= {"message", "requestId"}, reply.body
            if reply.status == 200 and method == "POST":  # another organization created its own instance
                env.call("DELETE", f"/instances/{reply.body['id']}", auth=env.other_org)
            elif method != "GET":
                assert env.probe.snapshot() == before, f"{method} {path} refused for {caller} but changed the stack"
    report(
        section="security",
        key="security:routes",
        case=f"{len(PROTECTED)} routes × {len(CALLERS)} kinds of wrong caller",
        checks=sum(counts.values()) - counts["not applicable"],
        refused=counts["refused"],
        own_data_only=counts["own data only"],
        leaked=0,
    )


def _body(**configuration: Any) -> dict[str, Any]:
    from tests.support.fixtures import seed_body

    body = seed_body(name="globex-new")
    body["configuration"].update(configuration)
    return body


def test_another_organizations_instance_is_indistinguishable_from_a_missing_one(env: ApiEnv) -> None:
    target = env.instances["acme-target"]
    missing = 987654321
    for method, path in [op for op in PROTECTED if "{id}" in op[1]]:
        # When another organization asks for the target, and for an instance that does not exist
        theirs = env.call(method, path.format(id=target, eventId=EVENT_ID), auth=env.other_org, json_body={})
        nobody = env.call(method, path.format(id=missing, eventId=EVENT_ID), auth=env.other_org, json_body={})

        # Then both answers are the same but for the id
        assert theirs.status == nobody.status == 404
        assert theirs.body["message"].replace(str(target), "N") == nobody.body["message"].replace(str(missing), "N")


# -- SSRF ---------------------------------------------------------------------------------------

ADDRESS_CLASSES = {
    "loopback": "127.0.0.1",
    "loopback (IPv6)": "::1",
    "private 10/8": "10.0.0.5",
    "private 172.16/12": "172.16.3.4",
    "private 192.168/16": "192.168.1.1",
    "link-local": "169.254.10.10",
    "link-local (IPv6)": "fe80::1",
    "cloud metadata": "169.254.169.254",
    "cloud metadata (ECS)": "169.254.170.2",
    "cloud metadata (IPv6)": "fd00:ec2::254",
    "carrier-grade NAT": "100.64.0.1",
    "unspecified": "0.0.0.0",
    "unspecified (IPv6)": "::",
    "unique local (IPv6)": "fd12:3456::1",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "NAT64 of a private address": "64:ff9b::a00:5",
    "6to4 of loopback": "2002:7f00:1::1",
    "multicast": "224.0.0.1",
    "multicast (IPv6)": "ff02::1",
    "broadcast": "255.255.255.255",
    "reserved 240/4": "240.0.0.1",
    "documentation": "192.0.2.10",
    "benchmarking": "198.18.0.1",
}
LITERAL_FORMS = {
    "decimal loopback": "2130706433",
    "hex loopback": "0x7f.0.0.1",
    "octal loopback": "0177.0.0.1",
    "short loopback": "127.1",
    "localhost": "localhost",
    "a .localhost name": "app.localhost",
    "metadata name": "metadata.google.internal",
    "an .internal name": "db.internal",
}


def _literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.mark.parametrize("form", ["literal", "resolved"])
def test_every_forbidden_address_class_is_refused_at_creation(
    env: ApiEnv, report: Callable[..., None], form: str
) -> None:
    refused = 0
    cases = {**ADDRESS_CLASSES, **(LITERAL_FORMS if form == "literal" else {})}
    target = env.instances["acme-target"]
    for problem, address in cases.items():
        host = _literal(address) if form == "literal" or problem in LITERAL_FORMS else f"ssrf-{refused}.example.com"
        if form == "resolved":
            env.dns.names[host] = [address]
        url = f"https://{host}/hook"
        before = env.probe.snapshot()

        # When an instance is created, or changed, with a callback there
        created = env.call(
            "POST", "/instances", auth=env.org, json_body=_body(**{"event.notification.callback.url": url})
        )
        patched = env.call(
            "PATCH",
            f"/instances/{target}",
            auth=env.org,
            json_body={"configuration": {"event.notification.callback.url": url}},
        )

        # Then both are refused, naming the field, and nothing is stored
        for reply in (created, patched):
            assert reply.status == 400, (problem, address, reply.status, reply.text[:200])
            assert reply.body["field"] == "configuration.event.notification.callback.url", reply.body
        assert env.probe.snapshot() == before, problem
        refused += 1
    report(
        section="security",
        key=f"security:ssrf-creation-{form}",
        case="SSRF at creation and change: "
        + ("address literals and local names of" if form == "literal" else "names resolving to")
        + " every forbidden address class",
        checks=2 * len(cases),
        refused=2 * refused,
        leaked=0,
    )


def test_every_forbidden_address_class_is_refused_at_delivery(
    env: ApiEnv, report: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an instance whose callback name resolved to a public address when it was created
    host = "rebinding.example.com"
    env.dns.names[host] = [PUBLIC_ADDRESS]
    instance = env.create("rebinding", settings={"event.notification.callback.url": f"https://{host}/hook"})
    connections: list[Any] = []

    def no_network(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        connections.append(address)
        raise ConnectionRefusedError(f"test network: nothing listens at {address}")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", no_network)
    refs = env.resources.refs
    deliverer = load_handler_module("deliver")
    sender = CallbackSender(allow_private=False, resolver=env.dns)
    monkeypatch.setattr(deliverer, "deliver_service", lambda settings: wiring.deliver_service(settings, sender=sender))
    log = DeliveryLog(boto3.client("dynamodb"), refs["NotificationsTable"])

    def deliver_once(notification_id: str) -> dict[str, Any]:
        body = json.dumps({"id": notification_id, "message": {"instanceId": instance}})
        attributes = {"instanceId": str(instance), "notificationId": notification_id, "generation": "0"}
        NotificationQueue(boto3.client("sqs"), refs["NotificationQueue"]).send(
            [QueueMessage(body, str(instance), notification_id, attributes)]
        )
        sqs = boto3.client("sqs")
        received = sqs.receive_message(
            QueueUrl=refs["NotificationQueue"], MessageAttributeNames=["All"], AttributeNames=["All"]
        )
        result = deliverer.lambda_handler(
            sqs_event(received["Messages"], "arn:aws:sqs:us-east-1:123456789012:q"), LambdaContext()
        )
        for message in received["Messages"]:
            sqs.delete_message(QueueUrl=refs["NotificationQueue"], ReceiptHandle=message["ReceiptHandle"])
        assert len(result["batchItemFailures"]) == 1
        logged = log.get(instance, notification_id)
        assert logged is not None
        return logged.item

    # When the name now resolves to a public address (the control: a connection is attempted)
    control = deliver_once("01a226c0-0000-8000-8000-000000000000")
    assert connections and control["status"] == RETRYING

    refused = 0
    for index, (problem, address) in enumerate(ADDRESS_CLASSES.items(), start=1):
        connections.clear()
        # When the name resolves to a forbidden address at delivery time (DNS rebinding)
        env.dns.names[host] = [PUBLIC_ADDRESS, address] if index % 2 else [address]
        item = deliver_once(f"01a226c0-0000-8000-8000-{index:012d}")

        # Then nothing connects anywhere, and the attempt is logged as refused, to be retried
        assert connections == [], (problem, connections)
        assert item["status"] == RETRYING
        assert address.split("%")[0] in item["attempts"][-1]["error"] or "address" in item["attempts"][-1]["error"]
        refused += 1
    report(
        section="security",
        key="security:ssrf-delivery",
        case="SSRF at delivery: the callback's name re-resolving to every forbidden address class",
        checks=len(ADDRESS_CLASSES),
        refused=refused,
        leaked=0,
    )


# -- sizes and secrets ----------------------------------------------------------------------------

LIMIT = 64 * 1024


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/instances"), ("PATCH", "/instances/{id}"), ("POST", "/instances/{id}/poller/replay")],
)
def test_bodies_over_64_kib_are_refused_with_413(env: ApiEnv, method: str, path: str) -> None:
    target = env.instances["acme-target"]
    url = path.format(id=target)
    before = env.probe.snapshot()
    padding = LIMIT - len(json.dumps({"name": ""}))
    at_limit = json.dumps({"name": "n" * padding})
    over_by_one = json.dumps({"name": "n" * (padding + 1)})
    multibyte = json.dumps({"name": "é" * (LIMIT // 2)}, ensure_ascii=False)  # fewer characters than bytes

    # When the body is one byte over the limit (or over it in bytes, not in characters)
    over = env.call(method, url, auth=env.org, raw_body=over_by_one)
    wide = env.call(method, url, auth=env.org, raw_body=multibyte)
    # and when it is exactly at the limit
    at = env.call(method, url, auth=env.org, raw_body=at_limit)

    # Then the first two are 413 and nothing changed; the one at the limit is read (and judged on its content)
    assert len(at_limit.encode()) == LIMIT and len(over_by_one.encode()) == LIMIT + 1
    assert over.status == 413 and wide.status == 413, (over.text, wide.text)
    assert at.status == 400
    assert env.probe.snapshot() == before


def test_check_response_fails_on_a_leaked_secret() -> None:
    # Given a registered secret (the check every API answer of the suite goes through)
    secret = register_secret("reliability-canary-secret-8c1d")

    # Then an answer holding it fails, and the one answer allowed to hold it (a new token) passes
    with pytest.raises(AssertionError, match="leaked"):
        check_response("GET", "/instances", 200, json.dumps({"name": secret}))
    check_response("POST", "/instances", 200, json.dumps({"token": secret}), allowed=secret)
