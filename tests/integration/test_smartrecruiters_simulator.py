"""The SmartRecruiters simulator over HTTP: auth, paging, filters, rate limits, faults, control endpoints."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import requests

from devstack.smartrecruiters import SimulatorServer, SimulatorStore
from srevents.adapters.smartrecruiters import SmartRecruitersClient
from srevents.clock import ManualClock, iso_millis
from tests.support.leaks import register_secret

KEY = register_secret("sim-test-key-0001")


@pytest.fixture
def sr_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sr_store(sr_clock: ManualClock) -> SimulatorStore:
    # The per-second limit has its own tests; elsewhere it would only make tests depend on timing.
    store = SimulatorStore(sr_clock, rate_limit_per_second=False)
    store.add_api_key(KEY)
    return store


@pytest.fixture
def sr_server(sr_store: SimulatorStore) -> Iterator[SimulatorServer]:
    with SimulatorServer(sr_store) as server:
        yield server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def get(
    http: requests.Session, server: SimulatorServer, path: str, key: str | None = KEY, **params: Any
) -> requests.Response:
    headers = {} if key is None else {"X-SmartToken": key}
    return http.get(server.base_url + path, params=params, headers=headers, timeout=10)


def all_pages(
    http: requests.Session, server: SimulatorServer, path: str, page_id: str | None = None, **params: Any
) -> list[dict[str, Any]]:
    bodies = []
    while True:
        body = get(http, server, path, **params, **({"pageId": page_id} if page_id else {})).json()
        bodies.append(body)
        page_id = body.get("nextPageId")
        if page_id is None:
            return bodies


def assert_vendor_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"message", "errors"} and body["message"]
    assert [e["code"] for e in body["errors"]] == [code]


# --- auth and parameters --------------------------------------------------------------------------
@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_a_missing_or_unknown_key_is_401(http: requests.Session, sr_server: SimulatorServer, key: str | None) -> None:
    for path in ("/candidates", "/jobs", "/users"):
        response = get(http, sr_server, path, key=key)
        assert_vendor_error(response, 401, "UNAUTHORIZED")
        assert response.headers["X-RateLimit-Limit"] == "10"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", ""])
def test_limit_out_of_bounds_is_400(http: requests.Session, sr_server: SimulatorServer, limit: str) -> None:
    assert_vendor_error(get(http, sr_server, "/candidates", limit=limit), 400, "INVALID_PARAMETER")


def test_limit_bounds_and_defaults(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    for _ in range(120):
        sr_store.create_candidate()
        sr_store.create_user()

    assert len(get(http, sr_server, "/candidates", limit=1).json()["content"]) == 1
    assert len(get(http, sr_server, "/candidates", limit=100).json()["content"]) == 100
    assert get(http, sr_server, "/candidates").json()["limit"] == 10
    assert get(http, sr_server, "/jobs").json()["limit"] == 10
    assert get(http, sr_server, "/users").json()["limit"] == 100  # the vendor's default for users


def test_updated_after_is_strictly_after(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer, sr_clock: ManualClock
) -> None:
    # Given candidates stamped at t0, t0 + 1 ms and t0 + 1 s
    t0 = sr_clock.now()
    at_t0 = sr_store.create_candidate()
    sr_clock.advance(0.001)
    one_ms_later = sr_store.create_candidate()
    sr_clock.advance(1)
    one_s_later = sr_store.create_candidate()

    def ids(after: str) -> set[str]:
        return {r["id"] for r in get(http, sr_server, "/candidates", updatedAfter=after, limit=100).json()["content"]}

    # Then a record stamped exactly at the boundary is left out, any later one is in
    assert ids(iso_millis(t0)) == {one_ms_later["id"], one_s_later["id"]}
    assert ids("2026-11-29T10:00:00.001+00:00") == {one_s_later["id"]}
    assert ids(iso_millis(t0 - timedelta(seconds=1))) == {at_t0["id"], one_ms_later["id"], one_s_later["id"]}
    assert_vendor_error(get(http, sr_server, "/candidates", updatedAfter="yesterday"), 400, "INVALID_PARAMETER")


def test_results_are_not_ordered_by_update_time(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer, sr_clock: ManualClock
) -> None:
    for _ in range(30):
        sr_store.create_candidate()
        sr_clock.advance(1)

    served = get(http, sr_server, "/candidates", limit=100).json()["content"]
    stamps = [r["updatedOn"] for r in served]

    assert len(served) == 30
    assert stamps not in (sorted(stamps), sorted(stamps, reverse=True))
    assert served == get(http, sr_server, "/candidates", limit=100).json()["content"]  # stable order


# --- paging ---------------------------------------------------------------------------------------
def test_pages_cover_every_record_exactly_once(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    created = {sr_store.create_job()["id"] for _ in range(57)}

    bodies = all_pages(http, sr_server, "/jobs", limit=10)

    served = [r["id"] for body in bodies for r in body["content"]]
    assert len(served) == len(set(served)) == 57 and set(served) == created
    assert [len(b["content"]) for b in bodies] == [10, 10, 10, 10, 10, 7]
    assert [b["offset"] for b in bodies] == [0, 10, 20, 30, 40, 50]
    assert {b["totalFound"] for b in bodies} == {57}


def test_next_page_id_and_link_header_only_when_more_pages_follow(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    for _ in range(15):
        sr_store.create_candidate(tags=["python"])

    first = get(http, sr_server, "/candidates", limit=10, tag="python")
    assert "nextPageId" in first.json()
    assert first.links["next"]["url"].startswith("/candidates?")

    # Following the Link header gives the same page as following nextPageId
    via_link = http.get(sr_server.base_url + first.links["next"]["url"], headers={"X-SmartToken": KEY})
    via_page_id = get(http, sr_server, "/candidates", limit=10, tag="python", pageId=first.json()["nextPageId"])
    assert via_link.json() == via_page_id.json()

    last = via_page_id.json()
    assert len(last["content"]) == 5
    assert "nextPageId" not in last and "Link" not in via_page_id.headers


def test_an_exactly_full_last_page_has_no_next_page(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    for _ in range(20):
        sr_store.create_user()
    bodies = all_pages(http, sr_server, "/users", limit=10)
    assert [len(b["content"]) for b in bodies] == [10, 10]


def test_paging_stays_consistent_while_records_change(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer, sr_clock: ManualClock
) -> None:
    # Given 40 candidates and an iteration that has read its first page
    original = {sr_store.create_candidate()["id"] for _ in range(40)}
    first = get(http, sr_server, "/candidates", limit=10).json()

    # When every candidate is updated and new ones are created before the next pages are read
    sr_clock.advance(5)
    for candidate_id in original:
        sr_store.update_candidate(candidate_id, tags=["moved"])
    created_mid_way = {sr_store.create_candidate()["id"] for _ in range(10)}
    rest = all_pages(http, sr_server, "/candidates", first["nextPageId"], limit=10)

    # Then each original record is served exactly once, later pages with their new data,
    # and new records appear at most once
    served = [r for body in [first, *rest] for r in body["content"]]
    served_ids = [r["id"] for r in served]
    assert len(served_ids) == len(set(served_ids))
    assert original <= set(served_ids) <= original | created_mid_way
    assert all(r["tags"] == ["moved"] for body in rest for r in body["content"] if r["id"] in original)


@pytest.mark.parametrize("page_id", ["not base64!", "AAAA", "c29tZXRoaW5nIGVsc2U="])
def test_an_invalid_page_id_is_400(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer, page_id: str
) -> None:
    assert_vendor_error(get(http, sr_server, "/jobs", pageId=page_id), 400, "INVALID_PAGE_ID")


def test_a_page_id_is_bound_to_its_query(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    for _ in range(5):
        sr_store.create_job()
    page_id = get(http, sr_server, "/jobs", limit=2).json()["nextPageId"]

    # A damaged cursor, or one used for another query, is refused; another limit is fine
    damaged = page_id[:-6] + ("AAAA" if page_id[-6:-2] != "AAAA" else "BBBB") + page_id[-2:]
    assert_vendor_error(get(http, sr_server, "/jobs", limit=2, pageId=damaged), 400, "INVALID_PAGE_ID")
    assert_vendor_error(get(http, sr_server, "/users", limit=2, pageId=page_id), 400, "INVALID_PAGE_ID")
    assert_vendor_error(get(http, sr_server, "/jobs", q="x", pageId=page_id), 400, "INVALID_PAGE_ID")
    assert get(http, sr_server, "/jobs", limit=3, pageId=page_id).json()["offset"] == 2


# --- filters --------------------------------------------------------------------------------------
def test_candidate_filters(http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer) -> None:
    job = sr_store.create_job(title="Backend Engineer")
    anna = sr_store.create_candidate(firstName="Anna", lastName="Nowak", tags=["Python"], job_id=job["id"])
    bob = sr_store.create_candidate(firstName="Bob", lastName="Smith", status="IN_REVIEW")
    sr_store.create_candidate(primaryAssignment=None)  # no application: never listed

    def ids(**params: Any) -> set[str]:
        return {r["id"] for r in get(http, sr_server, "/candidates", limit=100, **params).json()["content"]}

    assert ids() == {anna["id"], bob["id"]}
    assert ids(q="anna nowak") == ids(q="NOWAK") == {anna["id"]}
    assert ids(tag="python") == {anna["id"]}
    assert ids(jobId=[job["id"], "other"]) == {anna["id"]}
    assert ids(status=["IN_REVIEW", "HIRED"]) == {bob["id"]}
    assert_vendor_error(get(http, sr_server, "/candidates", status="NOPE"), 400, "INVALID_PARAMETER")


def test_job_filters(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer, sr_clock: ManualClock
) -> None:
    old = sr_store.create_job(title="Data Analyst", status="FILLED")
    busy = sr_store.create_job(title="Recruiter")
    boundary = iso_millis(sr_clock.now())
    sr_clock.advance(60)
    sr_store.create_candidate(job_id=busy["id"])  # an application moves lastActivityOn, not updatedOn

    def ids(**params: Any) -> set[str]:
        return {r["id"] for r in get(http, sr_server, "/jobs", **params).json()["content"]}

    assert ids(lastActivityAfter=boundary) == {busy["id"]}
    assert ids(updatedAfter=boundary) == set()
    assert ids(q="analyst") == ids(status="FILLED") == {old["id"]}
    assert ids(postingStatus="PUBLIC") == {old["id"], busy["id"]}


def test_user_filters(http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer) -> None:
    olga = sr_store.create_user(firstName="Olga", lastName="Tanaka")
    sr_store.create_user(firstName="Wei", lastName="Chen")

    assert [u["id"] for u in get(http, sr_server, "/users", q="olga").json()["content"]] == [olga["id"]]
    assert_vendor_error(get(http, sr_server, "/users", q="ol"), 400, "INVALID_PARAMETER")


# --- rate limits ----------------------------------------------------------------------------------
@pytest.fixture
def limited() -> tuple[SimulatorStore, ManualClock]:
    """A store whose per-second limit runs on a frozen clock: timing of the test cannot matter."""
    rate_clock = ManualClock()
    store = SimulatorStore(ManualClock(), rate_clock=rate_clock)
    store.add_api_key(KEY)
    return store, rate_clock


def test_every_response_carries_the_rate_limit_headers(
    http: requests.Session, limited: tuple[SimulatorStore, ManualClock]
) -> None:
    store, _ = limited
    with SimulatorServer(store) as server:
        first, second = get(http, server, "/jobs"), get(http, server, "/jobs")
        bad = get(http, server, "/jobs", limit=0)

    assert first.headers["X-RateLimit-Limit"] == "10" and first.headers["X-RateLimit-Concurrent-Limit"] == "8"
    assert first.headers["X-RateLimit-Remaining"] == "9" and second.headers["X-RateLimit-Remaining"] == "8"
    assert first.headers["X-RateLimit-Concurrent-Remaining"] == "7"
    assert bad.headers["X-RateLimit-Remaining"] == "7"


def test_the_eleventh_request_in_one_second_is_429(
    http: requests.Session, limited: tuple[SimulatorStore, ManualClock]
) -> None:
    store, rate_clock = limited
    with SimulatorServer(store) as server:
        # When 11 requests arrive within one second
        statuses = [get(http, server, "/jobs").status_code for _ in range(11)]
        refused = get(http, server, "/users")
        # Then the 11th is refused until a tenth of a second has refilled the bucket
        rate_clock.advance(0.1)
        after_refill = [get(http, server, "/jobs").status_code for _ in range(2)]
        # And with the limit switched off, nothing is refused
        store.set_rate_limits(per_second=False)
        unlimited = [get(http, server, "/jobs").status_code for _ in range(20)]

    assert statuses == [200] * 10 + [429]
    assert_vendor_error(refused, 429, "TOO_MANY_REQUESTS")
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert after_refill == [200, 429]
    assert set(unlimited) == {200}


def test_a_second_concurrent_candidates_request_is_429(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    # Given a /candidates request held in flight by injected latency
    sr_store.add_latency(30, path_prefix="/candidates")
    with _in_flight(sr_store, sr_server, ["/candidates"]) as held:
        # When a second /candidates request arrives, and a /jobs one
        second = get(http, sr_server, "/candidates")
        jobs = get(http, sr_server, "/jobs")

    # Then the second /candidates request is refused, /jobs is not, and the held one completes
    assert_vendor_error(second, 429, "TOO_MANY_REQUESTS")
    assert "concurrent GET /candidates" in second.json()["message"]
    assert second.headers["X-RateLimit-Concurrent-Remaining"] == "7"
    assert jobs.status_code == 200
    assert held == [200]


def test_a_ninth_concurrent_request_is_429(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    sr_store.add_latency(30, path_prefix="/jobs")
    with _in_flight(sr_store, sr_server, ["/jobs"] * 8) as held:
        ninth = get(http, sr_server, "/users")
    assert_vendor_error(ninth, 429, "TOO_MANY_REQUESTS")
    assert ninth.headers["X-RateLimit-Concurrent-Remaining"] == "0"
    assert held == [200] * 8


def test_concurrency_limits_can_be_switched_off(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    sr_store.set_rate_limits(concurrency=False)
    sr_store.add_latency(30, path_prefix="/candidates")
    with _in_flight(sr_store, sr_server, ["/candidates"] * 9) as held:
        assert get(http, sr_server, "/jobs").status_code == 200
    assert held == [200] * 9


@contextmanager
def _in_flight(store: SimulatorStore, server: SimulatorServer, paths: list[str]) -> Iterator[list[int]]:
    """Sends the requests from threads and returns once the simulator holds all of them in injected
    latency. On exit the latency is cleared; the yielded list then holds the requests' statuses."""
    statuses: list[int] = []

    def send(path: str) -> None:
        response = requests.get(server.base_url + path, headers={"X-SmartToken": KEY}, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=(path,)) for path in paths]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while store.limits.in_flight(KEY) < len(paths):
        assert time.monotonic() < deadline, "the requests never arrived"
        time.sleep(0.005)
    try:
        yield statuses
    finally:
        store.clear_faults()
        for t in threads:
            t.join()


# --- faults ---------------------------------------------------------------------------------------
def test_injected_faults_hit_the_next_matching_requests(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    sr_store.fail_next(2, status=503, path_prefix="/jobs", retry_after="2")

    assert get(http, sr_server, "/candidates").status_code == 200  # another path is not affected
    failed = [get(http, sr_server, "/jobs") for _ in range(2)]
    assert get(http, sr_server, "/jobs").status_code == 200

    for response in failed:
        assert_vendor_error(response, 503, "INJECTED_FAULT")
        assert response.headers["Retry-After"] == "2"
    assert sr_store.counters() == {
        "requests": {"/candidates": 1, "/jobs": 3},
        "responses": {"200": 2, "503": 2},
    }


def test_a_dropped_connection_fault(
    http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer
) -> None:
    sr_store.fail_next(1, status=0)
    with pytest.raises(requests.ConnectionError):
        get(http, sr_server, "/users")
    assert get(http, sr_server, "/users").status_code == 200


def test_faults_can_be_cleared(http: requests.Session, sr_store: SimulatorStore, sr_server: SimulatorServer) -> None:
    sr_store.fail_next(5)
    sr_store.add_latency(5)
    sr_store.clear_faults()
    assert get(http, sr_server, "/users").status_code == 200


def test_the_client_reads_every_record_through_faults(sr_store: SimulatorStore, sr_server: SimulatorServer) -> None:
    # Given 250 candidates and a simulator that fails in the ways SmartRecruiters does
    created = {sr_store.create_candidate()["id"] for _ in range(250)}
    sr_store.fail_next(1, status=503)
    sr_store.fail_next(1, status=429, retry_after="3")
    sr_store.fail_next(1, status=0)
    key = register_secret(f"client-{uuid.uuid4()}")
    sr_store.add_api_key(key)
    clock = ManualClock()
    client = SmartRecruitersClient(key, sr_server.base_url, clock=clock)

    # When the client reads every page
    pages = list(client.iter_pages("/candidates", {"updatedAfter": "2026-01-01T00:00:00.000Z"}))

    # Then it recovered from each fault and saw each record once
    served = [r["id"] for p in pages for r in p.records]
    assert len(served) == 250 and set(served) == created
    assert client.retries == 3 and client.requests_made == 6
    assert clock.now() - ManualClock().now() >= timedelta(seconds=3)  # the Retry-After was slept on the clock


# --- the Python API -------------------------------------------------------------------------------
def test_updates_move_updated_on_and_unknown_fields_are_refused(
    sr_store: SimulatorStore, sr_clock: ManualClock
) -> None:
    job = sr_store.create_job()
    candidate = sr_store.create_candidate(job_id=job["id"])
    sr_clock.advance(2.5)

    updated = sr_store.update_candidate(candidate["id"], status="INTERVIEW")
    edited = sr_store.update_job(job["id"], title="Staff Engineer")

    assert updated["createdOn"] == candidate["createdOn"] != updated["updatedOn"] == iso_millis(sr_clock.now())
    assert updated["primaryAssignment"]["status"] == "INTERVIEW"
    assert edited["updatedOn"] == edited["lastActivityOn"] == iso_millis(sr_clock.now())
    assert sr_store.records("candidates") == [updated]
    with pytest.raises(ValueError, match="no field"):
        sr_store.create_user(favouriteColour="blue")
    with pytest.raises(KeyError):
        sr_store.update_job("missing", title="x")


def test_explicit_timestamps_are_normalised(sr_store: SimulatorStore) -> None:
    user = sr_store.update_user(sr_store.create_user()["id"], updatedOn="2026-01-02T03:04:05+00:00")
    assert user["updatedOn"] == "2026-01-02T03:04:05.000Z"


# --- control endpoints ----------------------------------------------------------------------------
def test_control_endpoints(http: requests.Session, sr_server: SimulatorServer, sr_clock: ManualClock) -> None:
    control = sr_server.base_url + "/_simulator"
    new_key = register_secret("control-made-key-1")

    # API keys
    assert http.post(f"{control}/api-keys", json={"key": new_key}).status_code == 201
    assert get(http, sr_server, "/jobs", key=new_key).status_code == 200

    # Records: create, update, list
    job = http.post(f"{control}/jobs", json={"title": "Recruiter"}).json()
    created = http.post(f"{control}/candidates", json={"firstName": "Ada", "jobId": job["id"]})
    assert created.status_code == 201
    candidate = created.json()
    assert candidate["primaryAssignment"]["job"]["id"] == job["id"]
    sr_clock.advance(10)
    patched = http.patch(f"{control}/candidates/{candidate['id']}", json={"status": "HIRED", "tags": ["x"]})
    assert patched.status_code == 200
    assert patched.json()["updatedOn"] == iso_millis(sr_clock.now()) != candidate["updatedOn"]
    assert patched.json()["primaryAssignment"]["status"] == "HIRED"
    user = http.post(f"{control}/users", json={"firstName": "Kenji"}).json()
    assert http.patch(f"{control}/users/{user['id']}", json={"active": False}).json()["active"] is False
    assert [c["id"] for c in http.get(f"{control}/candidates").json()["content"]] == [candidate["id"]]

    # Faults and latency
    assert http.post(f"{control}/faults", json={"count": 1, "status": 502, "pathPrefix": "/users"}).status_code == 201
    assert get(http, sr_server, "/users").status_code == 502
    assert http.post(f"{control}/latency", json={"seconds": 0.01}).status_code == 201
    assert http.delete(f"{control}/faults").status_code == 200

    # Rate limits
    assert http.get(f"{control}/rate-limits").json() == {"perSecond": False, "concurrency": True}
    assert http.put(f"{control}/rate-limits", json={"concurrency": False}).json() == {
        "perSecond": False,
        "concurrency": False,
    }

    # Counters
    assert http.get(f"{control}/counters").json() == {
        "requests": {"/jobs": 1, "/users": 1},
        "responses": {"200": 1, "502": 1},
    }
    assert http.delete(f"{control}/counters").status_code == 200
    assert http.get(f"{control}/counters").json() == {"requests": {}, "responses": {}}

    # Mistakes are reported in the vendor error shape
    assert_vendor_error(http.post(f"{control}/jobs", json={"salary": 1}), 400, "INVALID_REQUEST")
    assert_vendor_error(http.post(f"{control}/faults", json={"status": 200}), 400, "INVALID_REQUEST")
    assert_vendor_error(http.post(f"{control}/api-keys", data=b"{not json"), 400, "INVALID_REQUEST")
    assert_vendor_error(http.patch(f"{control}/jobs/nope", json={}), 404, "NOT_FOUND")
    assert_vendor_error(http.get(f"{control}/nothing-here"), 404, "NOT_FOUND")


def test_unknown_api_paths_and_methods(http: requests.Session, sr_server: SimulatorServer) -> None:
    assert_vendor_error(get(http, sr_server, "/offers"), 404, "NOT_FOUND")
    response = http.post(sr_server.base_url + "/candidates", json={}, headers={"X-SmartToken": KEY})
    assert_vendor_error(response, 405, "METHOD_NOT_ALLOWED")


def test_the_server_stops_and_frees_its_port(sr_store: SimulatorStore) -> None:
    server = SimulatorServer(sr_store).start()
    url = server.base_url
    assert requests.get(url + "/jobs", headers={"X-SmartToken": KEY}, timeout=5).status_code == 200
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/jobs", headers={"X-SmartToken": KEY}, timeout=5)
