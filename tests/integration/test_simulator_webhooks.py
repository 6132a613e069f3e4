"""The simulator's Webhooks API and callbacks: lifecycle, handshake, limits, permissions, signatures,
key rotation, retries, and the callback faults (docs/DESIGN.md §4)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from devstack.smartrecruiters import SimulatorServer, SimulatorStore
from devstack.smartrecruiters.callbacks import WebhookTimings
from srevents.clock import ManualClock
from tests.support.hook_receiver import Hit, HookReceiver
from tests.support.leaks import register_secret

KEY = register_secret("sim-webhooks-key-01")
OTHER_KEY = register_secret("sim-webhooks-key-02")
API = "/webhooks-api/v201907"
# Fast, but with answer timeouts generous enough for a loaded machine; tests that need a timeout to
# expire make their receiver wait longer than it.
TIMINGS = WebhookTimings(callback_timeout=5.0, handshake_timeout=5.0, retry_delays=(0.01, 0.01, 0.01), reorder_wait=5.0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(clock: ManualClock) -> Iterator[SimulatorStore]:
    store = SimulatorStore(clock, rate_limit_per_second=False, webhook_timings=TIMINGS)
    store.add_api_key(KEY)
    store.add_api_key(OTHER_KEY)
    yield store
    store.webhooks.close()


@pytest.fixture
def server(store: SimulatorStore) -> Iterator[SimulatorServer]:
    with SimulatorServer(store) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    hooks = HookReceiver().start()
    yield hooks
    hooks.stop()


class Api:
    def __init__(self, server: SimulatorServer, key: str = KEY) -> None:
        self.base = server.base_url + API
        self.key = key

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return requests.request(
            method, self.base + path, json=body, params=params, headers={"X-SmartToken": self.key}, timeout=30
        )

    def subscribe(self, url: str, *events: str) -> str:
        response = self.call("POST", "/subscriptions", {"callbackUrl": url, "events": list(events)})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def active(self, url: str, *events: str) -> str:
        subscription_id = self.subscribe(url, *events)
        response = self.call("PUT", f"/subscriptions/{subscription_id}/activation")
        assert response.status_code == 204, response.text
        return subscription_id

    def new_key(self, subscription_id: str) -> str:
        response = self.call("POST", f"/subscriptions/{subscription_id}/secret-key")
        assert response.status_code == 201, response.text
        return register_secret(response.json()["secretKey"])


@pytest.fixture
def api(server: SimulatorServer) -> Api:
    return Api(server)


def assert_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert [e["code"] for e in response.json()["errors"]] == [code]


def verify(hit: Hit, secret: str) -> bool:
    """The vendor's `v1` check, written from its description: any of the `;`-separated signatures."""
    h = hit.headers
    content = ".".join(
        [
            h.get("smartrecruiters-timestamp", ""),
            hit.body.decode(),
            h.get("event-id", ""),
            h.get("event-name", ""),
            h.get("event-version", ""),
            h.get("link", ""),
        ]
    )
    expected = "v1=" + hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in h.get("smartrecruiters-signature", "").split(";"))


def settle(store: SimulatorStore) -> None:
    assert store.webhooks.wait_idle(30), "callbacks still queued"


# --- the subscription lifecycle -------------------------------------------------------------------
def test_subscribe_activate_read_and_delete(api: Api, receiver: HookReceiver, store: SimulatorStore) -> None:
    # Given a new subscription
    created = api.call("POST", "/subscriptions", {"callbackUrl": receiver.url, "events": ["candidate.created"]})
    assert created.status_code == 201
    subscription = created.json()
    assert subscription == {
        "id": subscription["id"],
        "callbackUrl": receiver.url,
        "events": ["candidate.created"],
        "status": "inactive",
    }
    sid = subscription["id"]
    # When it is activated
    activated = api.call("PUT", f"/subscriptions/{sid}/activation")
    # Then the handshake was made and it is active
    assert activated.status_code == 204 and activated.content == b""
    (handshake,) = receiver.handshakes()
    assert len(handshake.headers["x-hook-secret"]) >= 16
    assert api.call("GET", f"/subscriptions/{sid}").json()["status"] == "active"
    assert [s["id"] for s in api.call("GET", "/subscriptions").json()] == [sid]
    assert_error(api.call("PUT", f"/subscriptions/{sid}/activation"), 409, "SUBSCRIPTION_ALREADY_ACTIVE")
    # When it is deleted, it is gone and gets nothing more
    assert api.call("DELETE", f"/subscriptions/{sid}").status_code == 204
    assert_error(api.call("GET", f"/subscriptions/{sid}"), 404, "SUBSCRIPTION_NOT_FOUND")
    assert_error(api.call("DELETE", f"/subscriptions/{sid}"), 404, "SUBSCRIPTION_NOT_FOUND")
    store.create_candidate()
    settle(store)
    assert receiver.callbacks() == []


def test_an_inactive_subscription_gets_no_callbacks(api: Api, receiver: HookReceiver, store: SimulatorStore) -> None:
    api.subscribe(receiver.url, "candidate.created")
    store.create_candidate()
    settle(store)
    assert receiver.callbacks() == []


@pytest.mark.parametrize(
    ("status", "echo", "delay"),
    [(200, False, 0.0), (202, True, 0.0), (500, True, 0.0), (200, True, 2.0)],
    ids=["no-echo", "not-200", "error", "too-slow"],
)
def test_a_failed_handshake_leaves_the_subscription_inactive(
    store: SimulatorStore, server: SimulatorServer, receiver: HookReceiver, status: int, echo: bool, delay: float
) -> None:
    store.webhooks.sender.timings = WebhookTimings(handshake_timeout=0.5)
    api = Api(server)
    receiver.handshake(status, echo=echo, delay=delay)
    sid = api.subscribe(receiver.url, "candidate.created")

    response = api.call("PUT", f"/subscriptions/{sid}/activation")

    assert_error(response, 424, "HANDSHAKE_FAILED")
    assert api.call("GET", f"/subscriptions/{sid}").json()["status"] == "inactive"
    # Once the callback URL answers properly, activation works
    receiver.handshake()
    assert api.call("PUT", f"/subscriptions/{sid}/activation").status_code == 204


def test_a_callback_url_that_refuses_connections_fails_the_handshake(api: Api) -> None:
    sid = api.subscribe("http://127.0.0.1:9/nobody-listens", "job.created")
    assert_error(api.call("PUT", f"/subscriptions/{sid}/activation"), 424, "HANDSHAKE_FAILED")


def test_twenty_subscriptions_per_api_user(api: Api, server: SimulatorServer, receiver: HookReceiver) -> None:
    ids = [api.subscribe(receiver.url, "job.created") for _ in range(20)]

    assert_error(
        api.call("POST", "/subscriptions", {"callbackUrl": receiver.url, "events": ["job.created"]}),
        403,
        "SUBSCRIPTIONS_LIMIT_EXCEEDED",
    )
    # Another API user has a limit of its own and sees none of the first one's subscriptions
    other = Api(server, OTHER_KEY)
    other_id = other.subscribe(receiver.url, "job.created")
    assert [s["id"] for s in other.call("GET", "/subscriptions").json()] == [other_id]
    assert_error(other.call("GET", f"/subscriptions/{ids[0]}"), 404, "SUBSCRIPTION_NOT_FOUND")
    # Deleting one makes room
    assert api.call("DELETE", f"/subscriptions/{ids[0]}").status_code == 204
    api.subscribe(receiver.url, "job.created")


def test_the_subscription_list_pages_with_page_id_and_a_link(api: Api, receiver: HookReceiver) -> None:
    ids = [api.subscribe(receiver.url, "job.created") for _ in range(5)]

    first = api.call("GET", "/subscriptions", limit=2)
    seen, response = [], first
    while True:
        assert response.status_code == 200
        seen += [s["id"] for s in response.json()]
        if "next" not in response.links:
            break
        response = requests.get(
            api.base.rsplit(API, 1)[0] + response.links["next"]["url"], headers={"X-SmartToken": KEY}
        )

    assert seen == ids
    assert_error(api.call("GET", "/subscriptions", page_id="forged"), 400, "INVALID_PAGE_ID")
    assert_error(api.call("GET", "/subscriptions", limit=0), 400, "INVALID_PARAMETER")


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        ((), set()),
        (("candidates_read",), set()),
        (("webhooks_read",), {"list"}),
        (("webhooks_write",), {"create"}),
        (("webhooks_read", "webhooks_delete"), {"list", "delete"}),
        (("webhooks_manage",), {"list", "create", "delete"}),
    ],
)
def test_the_webhook_scopes_are_needed(
    store: SimulatorStore, server: SimulatorServer, receiver: HookReceiver, scopes: tuple[str, ...], allowed: set[str]
) -> None:
    limited = register_secret("sim-webhooks-limited-" + "-".join(scopes))
    store.add_api_key(limited, scopes=scopes)
    api = Api(server, limited)
    own = Api(server, KEY).subscribe(receiver.url, "job.created")  # someone else's: 404 once allowed

    outcomes = {
        "list": api.call("GET", "/subscriptions"),
        "create": api.call("POST", "/subscriptions", {"callbackUrl": receiver.url, "events": ["job.created"]}),
        "delete": api.call("DELETE", f"/subscriptions/{own}"),
    }

    for name, response in outcomes.items():
        if name in allowed:
            assert response.status_code in (200, 201, 404), response.text
        else:
            assert_error(response, 403, "NO_PERMISSION_TO_MANAGE_WEBHOOKS")


def test_a_missing_or_unknown_key_is_401(server: SimulatorServer) -> None:
    for headers in ({}, {"X-SmartToken": "wrong-key-123"}):
        response = requests.get(server.base_url + API + "/subscriptions", headers=headers, timeout=10)
        assert_error(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"events": ["job.created"]}, 400),
        ({"callbackUrl": "https://example.org/hook", "events": []}, 400),
        ({"callbackUrl": "https://example.org/hook", "events": ["job.created", "job.created"]}, 400),
        ({"callbackUrl": "https://example.org/hook", "events": ["job.created"], "extra": 1}, 400),
        ({"callbackUrl": "https://example.org/hook", "events": ["job.created"], "alertingEmailAddress": "x"}, 400),
        (
            {
                "callbackUrl": "https://example.org/hook",
                "events": ["job.created"],
                "callbackAuthentication": {"type": "header", "headerName": "Token", "headerValue": "v"},
            },
            400,
        ),
        ({"callbackUrl": "not a url", "events": ["job.created"]}, 422),
        ({"callbackUrl": "ftp://example.org/hook", "events": ["job.created"]}, 422),
        ({"callbackUrl": "https://example.org/hook", "events": ["job.deleted"]}, 422),
    ],
)
def test_bad_subscription_requests(api: Api, body: dict[str, Any], status: int) -> None:
    response = api.call("POST", "/subscriptions", body)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["message"]


def test_unknown_webhook_paths_are_404(api: Api) -> None:
    assert_error(api.call("GET", "/nothing"), 404, "NOT_FOUND")


# --- callbacks ------------------------------------------------------------------------------------
def test_record_changes_become_signed_callbacks(
    api: Api, receiver: HookReceiver, store: SimulatorStore, clock: ManualClock
) -> None:
    # Given an active subscription with a secret key
    sid = api.active(receiver.url, "candidate.created", "candidate.updated", "candidate.deleted", "job.created")
    secret = api.new_key(sid)
    # When records change
    job = store.create_job()
    candidate = store.create_candidate(job_id=job["id"])
    store.update_candidate(candidate["id"], updatedOn=clock.now())  # nothing the vendor announces
    store.update_candidate(candidate["id"], tags=["python"])
    store.delete_candidate(candidate["id"])
    settle(store)
    # Then each named event came once, in order, signed, with the vendor's headers and body
    hits = receiver.callbacks()
    assert [h.event_name for h in hits] == [
        "job.created",
        "candidate.created",
        "candidate.updated",
        "candidate.deleted",
    ]
    assert [json.loads(h.body) for h in hits] == [{"id": job["id"]}] + [{"id": candidate["id"]}] * 3
    for hit in hits:
        assert hit.path == "/hook"
        assert verify(hit, secret)
        assert not verify(hit, "another-secret")
        assert hit.headers["event-version"] == "v201910"
        assert hit.headers["content-type"] == "application/json"
        assert hit.headers["smartrecruiters-timestamp"] == str(int(clock.now().timestamp()))
    assert len({h.event_id for h in hits}) == 4
    assert hits[0].headers["link"] == f"<https://api.smartrecruiters.com/jobs/{job['id']}>; rel=self"
    assert hits[1].headers["link"] == f"<https://api.smartrecruiters.com/candidates/{candidate['id']}>; rel=self"
    assert "link" not in hits[3].headers  # the vendor's candidate.deleted has none


def test_without_a_secret_key_callbacks_are_unsigned(api: Api, receiver: HookReceiver, store: SimulatorStore) -> None:
    api.active(receiver.url, "job.created")
    store.create_job()
    (hit,) = receiver.wait_for_callbacks(1)
    assert "smartrecruiters-signature" not in hit.headers
    assert "smartrecruiters-timestamp" not in hit.headers


def test_every_subscription_naming_the_event_gets_it(
    api: Api, server: SimulatorServer, receiver: HookReceiver, store: SimulatorStore
) -> None:
    first = api.active(receiver.url + "?first", "job.created")
    api.active(receiver.url + "?other", "candidate.created")
    second = Api(server, OTHER_KEY).active(receiver.url + "?second", "job.created", "job.updated")

    store.create_job()
    settle(store)

    hits = receiver.callbacks()
    assert sorted(h.path for h in hits) == ["/hook?first", "/hook?second"]
    assert len({h.event_id for h in hits}) == 1  # one event, sent to each subscription
    log = store.webhooks.callbacks()
    assert sorted(e["subscriptionId"] for e in log) == sorted([first, second])


def test_secret_keys_rotate_and_old_ones_expire_after_24_hours(
    api: Api, receiver: HookReceiver, store: SimulatorStore, clock: ManualClock
) -> None:
    sid = api.active(receiver.url, "job.created")
    old = api.new_key(sid)
    new = api.new_key(sid)
    assert api.call("GET", f"/subscriptions/{sid}/secret-key").json() == {"secretKey": new}

    store.create_job()
    (during,) = receiver.wait_for_callbacks(1)
    clock.advance(timedelta(hours=24, seconds=1).total_seconds())
    store.create_job()
    after = receiver.wait_for_callbacks(2)[1]

    assert len(during.headers["smartrecruiters-signature"].split(";")) == 2
    assert verify(during, new) and verify(during, old)
    assert after.headers["smartrecruiters-signature"].count("v1=") == 1
    assert verify(after, new) and not verify(after, old)


def test_at_most_sixteen_unexpired_secret_keys(api: Api, receiver: HookReceiver, clock: ManualClock) -> None:
    sid = api.subscribe(receiver.url, "job.created")
    assert_error(api.call("GET", f"/subscriptions/{sid}/secret-key"), 404, "SECRET_KEY_NOT_FOUND")
    for _ in range(16):
        api.new_key(sid)

    assert_error(api.call("POST", f"/subscriptions/{sid}/secret-key"), 403, "SECRET_KEYS_LIMIT_EXCEEDED")
    clock.advance(timedelta(hours=25).total_seconds())  # the 15 deprecated keys expire
    api.new_key(sid)


def test_failed_callbacks_are_retried_with_the_same_event_id_and_in_order(
    api: Api, receiver: HookReceiver, store: SimulatorStore
) -> None:
    # Given a callback URL that fails twice, then recovers
    api.active(receiver.url, "job.created")
    receiver.script((500, 0.0), (503, 0.0))
    # When two events happen
    first, second = store.create_job(), store.create_job()
    settle(store)
    # Then the first is retried until it succeeds, before the second is sent
    hits = receiver.callbacks()
    assert [json.loads(h.body)["id"] for h in hits] == [first["id"]] * 3 + [second["id"]]
    assert len({h.event_id for h in hits[:3]}) == 1
    log = [(e["attempt"], e["status"], e["outcome"]) for e in store.webhooks.callbacks()]
    assert log == [(1, 500, "failed"), (2, 503, "failed"), (3, 202, "successful"), (1, 202, "successful")]


def test_a_slow_answer_is_a_failure_and_retried(
    store: SimulatorStore, server: SimulatorServer, receiver: HookReceiver
) -> None:
    store.webhooks.sender.timings = WebhookTimings(callback_timeout=0.5, retry_delays=(0.01, 0.01, 0.01))
    Api(server).active(receiver.url, "job.created")
    receiver.script((202, 3.0))

    store.create_job()
    settle(store)

    log = store.webhooks.callbacks()
    assert (log[0]["attempt"], log[0]["status"], log[0]["error"]) == (1, None, "TimeoutError")
    assert log[-1]["outcome"] == "successful" and log[-1]["attempt"] >= 2


def test_a_callback_is_given_up_after_its_retries(api: Api, receiver: HookReceiver, store: SimulatorStore) -> None:
    api.active(receiver.url, "job.created")
    receiver.script(*[(500, 0.0)] * 10)

    store.create_job()
    settle(store)

    attempts = store.webhooks.callbacks()
    assert [e["attempt"] for e in attempts] == [1, 2, 3, 4]  # the first try and len(retry_delays) retries
    assert {e["outcome"] for e in attempts} == {"failed"}
    assert len(receiver.callbacks()) == 4


def test_callback_authentication_is_sent_but_never_shown(
    api: Api, receiver: HookReceiver, store: SimulatorStore
) -> None:
    token = register_secret("hook-header-token-42")
    body = {
        "callbackUrl": receiver.url,
        "events": ["job.created"],
        "callbackAuthentication": {"type": "header", "headerName": "X-Token", "headerValue": token},
    }
    created = api.call("POST", "/subscriptions", body)
    assert token not in created.text
    sid = created.json()["id"]
    assert api.call("PUT", f"/subscriptions/{sid}/activation").status_code == 204

    store.create_job()
    (hit,) = receiver.wait_for_callbacks(1)
    settle(store)

    assert receiver.handshakes()[0].headers["x-token"] == token
    assert hit.headers["x-token"] == token
    assert token not in json.dumps(store.webhooks.callbacks())
    assert token not in api.call("GET", f"/subscriptions/{sid}/callbacks-log").text


def test_the_callbacks_log_newest_first_filtered_and_paged(
    api: Api, receiver: HookReceiver, store: SimulatorStore
) -> None:
    sid = api.active(receiver.url, "job.created")
    receiver.script((500, 0.0))
    jobs = [store.create_job() for _ in range(3)]
    settle(store)

    log = api.call("GET", f"/subscriptions/{sid}/callbacks-log").json()
    failed = api.call("GET", f"/subscriptions/{sid}/callbacks-log", callbackStatus="failed").json()
    page = api.call("GET", f"/subscriptions/{sid}/callbacks-log", limit=3)

    assert [json.loads(e["requestDetails"]["body"])["id"] for e in log] == [j["id"] for j in reversed(jobs)] + [
        jobs[0]["id"]
    ]
    assert [e["status"] for e in log] == ["successful"] * 3 + ["failed"]
    assert [e["status"] for e in failed] == ["failed"]
    assert log[0]["requestDetails"]["url"] == receiver.url
    assert log[0]["requestDetails"]["headers"]["event-name"] == "job.created"
    assert len(page.json()) == 3 and "page_id=" in page.links["next"]["url"]
    assert_error(api.call("GET", f"/subscriptions/{sid}/callbacks-log", callbackStatus="x"), 400, "INVALID_PARAMETER")
    assert_error(api.call("GET", "/subscriptions/nope/callbacks-log"), 404, "SUBSCRIPTION_NOT_FOUND")


# --- faults ---------------------------------------------------------------------------------------
def test_dropped_callbacks_are_never_sent(api: Api, receiver: HookReceiver, store: SimulatorStore) -> None:
    api.active(receiver.url, "job.created")
    store.fail_callbacks("drop", count=1)

    lost, kept = store.create_job(), store.create_job()
    settle(store)

    assert [json.loads(h.body)["id"] for h in receiver.callbacks()] == [kept["id"]]
    assert [e["outcome"] for e in store.webhooks.callbacks()] == ["dropped", "successful"]
    assert json.loads(store.webhooks.callbacks()[0]["body"]) == {"id": lost["id"]}


def test_duplicated_callbacks_come_twice_with_one_event_id(
    api: Api, receiver: HookReceiver, store: SimulatorStore
) -> None:
    api.active(receiver.url, "job.created", "job.updated")
    store.fail_callbacks("duplicate", fraction=1.0, event_name="job.updated")

    job = store.create_job()
    store.update_job(job["id"], title="Chef")
    settle(store)

    hits = receiver.callbacks()
    assert [h.event_name for h in hits] == ["job.created", "job.updated", "job.updated"]
    assert hits[1].event_id == hits[2].event_id
    assert [e["duplicate"] for e in store.webhooks.callbacks()] == [False, False, True]


def test_reordered_and_delayed_callbacks(api: Api, receiver: HookReceiver, store: SimulatorStore) -> None:
    api.active(receiver.url, "job.created")
    store.fail_callbacks("reorder", count=1)
    store.fail_callbacks("delay", count=1, seconds=0.05)

    first, second, third = store.create_job(), store.create_job(), store.create_job()
    settle(store)

    # the first waits for the second to go ahead of it; the delay hits the first only, and order otherwise holds
    assert [json.loads(h.body)["id"] for h in receiver.callbacks()] == [second["id"], first["id"], third["id"]]


def test_faults_and_inspection_over_the_control_endpoints(
    server: SimulatorServer, api: Api, receiver: HookReceiver, store: SimulatorStore
) -> None:
    control = server.base_url + "/_simulator"
    sid = api.active(receiver.url, "candidate.created", "candidate.deleted")
    api.new_key(sid)
    assert requests.post(control + "/webhooks/faults", json={"kind": "drop", "count": 1}, timeout=10).status_code == 201
    bad = requests.post(control + "/webhooks/faults", json={"kind": "drop"}, timeout=10)
    assert bad.status_code == 400

    candidate = requests.post(control + "/candidates", json={}, timeout=10).json()
    assert requests.delete(control + f"/candidates/{candidate['id']}", timeout=10).status_code == 200
    settle(store)

    subscriptions = requests.get(control + "/webhooks/subscriptions", timeout=10).json()["content"]
    callbacks = requests.get(control + "/webhooks/callbacks", timeout=10).json()["content"]
    assert subscriptions == [
        {
            "id": sid,
            "callbackUrl": receiver.url,
            "events": ["candidate.created", "candidate.deleted"],
            "status": "active",
            "validSecretKeys": 1,
        }
    ]
    assert [(c["eventName"], c["outcome"]) for c in callbacks] == [
        ("candidate.created", "dropped"),
        ("candidate.deleted", "successful"),
    ]
    assert requests.delete(control + f"/candidates/{candidate['id']}", timeout=10).status_code == 404
    assert requests.delete(control + "/webhooks/faults", timeout=10).status_code == 200
    assert requests.delete(control + "/webhooks/callbacks", timeout=10).status_code == 200
    assert requests.get(control + "/webhooks/callbacks", timeout=10).json() == {"content": []}
