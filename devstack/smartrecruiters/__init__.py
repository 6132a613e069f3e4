"""A local stand-in for the SmartRecruiters API (api.smartrecruiters.com), for tests and the local stack.

It follows docs/DESIGN.md §4 and the vendor's OpenAPI document (tests/integration/test_simulator_matches_openapi.py
checks served responses against the document's schemas), so code that works against it should
work against the real API, including what the real API does not promise: records come in no
particular order, cursors are opaque, and limits are enforced.

Python API::

    store = SimulatorStore(clock=ManualClock())          # clock stamps createdOn/updatedOn
    store.add_api_key("key-1")
    job = store.create_job(title="Backend Engineer")
    cand = store.create_candidate(job_id=job["id"], firstName="Anna")
    store.update_candidate(cand["id"], tags=["python"])  # moves updatedOn to clock.now()
    store.fail_next(2, status=503, path_prefix="/candidates", retry_after="1")
    with SimulatorServer(store) as server:               # 127.0.0.1, free port
        requests.get(server.base_url + "/candidates", headers={"X-SmartToken": "key-1"})

`create_*`/`update_*` take the vendor's field names (`firstName`, `updatedOn`, ...; datetimes or
ISO strings for timestamps) and reject fields the vendor's list schema does not have. Candidates
also take `status` (of their primary application) and, on creation, `job_id`: a stored job to
apply to, whose `lastActivityOn` moves; without one they apply to a stand-in job, because GET
/candidates lists only candidates with an application. Updating a job moves its `lastActivityOn`
too. Users have no `createdOn`: the vendor's user list item has none.

The vendor API served (auth: `X-SmartToken` of a key added with `add_api_key`, else 401):

    GET /candidates  q, jobId*, status*, tag*, updatedAfter          limit 1-100, default 10
    GET /jobs        q, status, postingStatus, updatedAfter, lastActivityAfter   default 10
    GET /users       q (3+ characters), updatedAfter                             default 100
    all: limit, pageId; * = may repeat (any value matches); date filters are strictly-after.

The Webhooks API (webhooks_api.py; vendor tag `subscriptions`) under /webhooks-api/v201907:
POST/GET /subscriptions, GET/DELETE /subscriptions/{id}, PUT .../activation (handshake: POST to the
callbackUrl with X-Hook-Secret, 200 echoing it within 20 s, else 424), POST/GET .../secret-key
(rotating: the previous key stays valid 24 h, at most 16), GET .../callbacks-log. At most 20
subscriptions per key; keys added with `scopes` lacking webhooks_read/_write/_delete/_manage get a
403. Every record change (`on_change` listeners; `delete_candidate`/`delete_job` too) raises the
vendor's events (webhook_events.py), sent signed from background threads with the vendor's retries
(callbacks.py); `store.webhooks.wait_idle()` waits until they are all out.

Responses are `{limit, offset, nextPageId, totalFound, content}`; `nextPageId` (and a
`Link: <...>; rel="next"` header) only when another page follows. Paging is a search-after cursor
over a fixed per-record order (a salted hash of the id); see listing.py for what that means for
records created or updated mid-iteration. Errors are `{"message", "errors": [{"code", "message"}]}`:
400 `INVALID_PARAMETER` / `INVALID_PAGE_ID`, 401 `UNAUTHORIZED`, 429 `TOO_MANY_REQUESTS`.

Rate limits per key (ratelimit.py): 10 requests/s (token bucket), 8 concurrent, 1 concurrent
GET /candidates; every API response carries X-RateLimit-Limit, X-RateLimit-Remaining,
X-RateLimit-Concurrent-Limit and X-RateLimit-Concurrent-Remaining. Each limit can be switched
off: `SimulatorStore(rate_limit_per_second=False)` or `store.set_rate_limits(per_second=False)`.

Control endpoints (unauthenticated; JSON bodies; errors in the vendor shape, 400 or 404):

    POST   /_simulator/api-keys                {"key": "..."}                               201
    GET    /_simulator/{candidates|jobs|users} every record, creation order: {"content": [...]}
    POST   /_simulator/{candidates|jobs|users} vendor fields (+ "jobId", "status" for candidates) 201 record
    PATCH  /_simulator/{resource}/{id}         fields to change; moves updatedOn               200 record
    DELETE /_simulator/{candidates|jobs}/{id}  deletes it (candidate.deleted)                  200 record
    GET    /_simulator/webhooks/subscriptions  every subscription + validSecretKeys (no secrets)
    GET    /_simulator/webhooks/callbacks      every callback attempt, oldest first: subscriptionId, eventId,
                                                eventName, url, attempt, duplicate, headers, body, status,
                                                outcome (successful|failed|dropped), error, sentAt
    DELETE /_simulator/webhooks/callbacks      forgets them                                     200
    POST   /_simulator/webhooks/faults         {"kind": "drop|duplicate|delay|reorder", "count": N or
                                                "fraction": 0.1, "seconds": (delay), "eventName": null}  201
    DELETE /_simulator/webhooks/faults         clears the callback faults                       200
    POST   /_simulator/faults                  {"count": 1, "status": 500, "pathPrefix": null,
                                                "retryAfter": null}; status 0 drops the connection  201
    POST   /_simulator/latency                 {"seconds": 0.5, "pathPrefix": null}             201
    DELETE /_simulator/faults                  clears faults, latency (cutting it short), callback faults 200
    GET    /_simulator/rate-limits             {"perSecond": true, "concurrency": true}
    PUT    /_simulator/rate-limits             same body, either key optional                  200 settings
    GET    /_simulator/counters                {"requests": {path: n}, "responses": {status: n}}
    DELETE /_simulator/counters                resets them                                      200

Faults hit API requests that passed auth and the rate limits, after any latency; they are
consumed in the order they were added. Latency is real time, spent while holding the request's
concurrency slot: a test adds a long latency, waits for `store.limits.in_flight(key)` to show
its requests held, provokes the concurrent-request 429, then `clear_faults()` lets them finish.
"""

from __future__ import annotations

from devstack.smartrecruiters.server import SimulatorServer
from devstack.smartrecruiters.store import SimulatorStore

__all__ = ["SimulatorServer", "SimulatorStore"]
