"""The simulator's state: API keys, records, faults, rate limits and request counters.

One lock guards the records; readers get deep copies, so neither the HTTP threads nor a test
can see or cause a half-applied change. Records keep a fixed place in a per-resource order (a
salted hash of the id): list endpoints serve that order, which is unrelated to update time,
just as SmartRecruiters does not sort by update time.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from devstack.smartrecruiters.callbacks import WebhookTimings
from devstack.smartrecruiters.faults import Faults
from devstack.smartrecruiters.ratelimit import RateLimiter
from devstack.smartrecruiters.records import (
    CANDIDATE_STATUSES,
    RecordChange,
    RecordFactory,
    check_fields,
    job_reference,
    normalise_timestamps,
)
from devstack.smartrecruiters.webhooks import Webhooks
from srevents.clock import Clock, SystemClock, iso_millis

RESOURCES = ("candidates", "jobs", "users")
PUBLIC_BASE_URL = "https://api.smartrecruiters.com"
# Candidates need an application to be listed (vendor: "having at least one job application");
# this stands in for the job when a test does not care which one.
GENERAL_APPLICATION = ("0c7c43a5-7b3e-4e31-9d54-4b4f2f9c1d00", "General Application")
ChangeListener = Callable[[RecordChange], None]


@dataclass(frozen=True)
class SearchResult:
    records: list[tuple[str, dict[str, Any]]]  # (order key, record) in served order
    total: int
    has_more: bool


class SimulatorStore:
    """Everything the simulated SmartRecruiters knows. Thread-safe.

    `clock` stamps `createdOn`/`updatedOn`; `rate_clock` drives the per-second rate limit (a
    separate clock, so a test can freeze record time without tripping the rate limit, or the
    other way round). `base_url` is what records' `actions` links point at. `webhook_timings`
    paces webhook callbacks (`WebhookTimings().scaled(n)`: n times faster).
    """

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        seed: int = 0,
        base_url: str = PUBLIC_BASE_URL,
        rate_clock: Clock | None = None,
        rate_limit_per_second: bool = True,
        concurrency_limits: bool = True,
        webhook_timings: WebhookTimings | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        rng = random.Random(seed)
        self._salt = rng.getrandbits(64).to_bytes(8, "big")
        self._base_url = base_url.rstrip("/")
        self._factory = RecordFactory(rng, self._base_url)
        self._lock = threading.RLock()
        self._api_keys: dict[str, frozenset[str] | None] = {}
        self._listeners: list[ChangeListener] = []
        self._records: dict[str, dict[str, dict[str, Any]]] = {r: {} for r in RESOURCES}
        self._order: dict[str, list[tuple[str, str]]] = {r: [] for r in RESOURCES}
        self._requests: Counter[str] = Counter()
        self._responses: Counter[int] = Counter()
        self.faults = Faults()
        self.limits = RateLimiter(
            rate_clock or SystemClock(),
            enforce_rate=rate_limit_per_second,
            enforce_concurrency=concurrency_limits,
        )
        self.webhooks = Webhooks(self.clock, self._base_url, random.Random(rng.getrandbits(64)), webhook_timings)
        self.on_change(self.webhooks.record_changed)

    # --- API keys -------------------------------------------------------------------------------
    def add_api_key(self, key: str, scopes: Iterable[str] | None = None) -> None:
        """A key for the API; `scopes` (the vendor's OAuth scope names, e.g. `webhooks_manage`) limits
        what it may do where the simulator checks permissions (the Webhooks API); None: everything."""
        if not key:
            raise ValueError("an API key cannot be empty")
        with self._lock:
            self._api_keys[key] = None if scopes is None else frozenset(scopes)

    def knows_key(self, key: str) -> bool:
        with self._lock:
            return key in self._api_keys

    def key_allows(self, key: str, *scopes: str) -> bool:
        """Whether `key` has any of `scopes`."""
        with self._lock:
            granted = self._api_keys.get(key)
            return key in self._api_keys and (granted is None or bool(granted & set(scopes)))

    # --- change listeners -----------------------------------------------------------------------
    def on_change(self, listener: ChangeListener) -> None:
        """Calls `listener` with every record created, updated or deleted, in the order they happen.

        Listeners run under the store's lock, in the thread that made the change: they must be quick
        (queue the work, as the webhooks do) and must not wait for other threads that use the store.
        """
        with self._lock:
            self._listeners.append(listener)

    # --- records --------------------------------------------------------------------------------
    def create_candidate(self, *, job_id: str | None = None, status: str = "NEW", **fields: Any) -> dict[str, Any]:
        """A new candidate with an application: to stored job `job_id`, else to a stand-in job.

        Applying to a stored job moves that job's `lastActivityOn` (vendor: it changes "when new
        candidates apply").
        """
        _check_status(status)
        check_fields("candidates", fields)
        with self._lock:
            now = self._now()
            if job_id is None:
                job = job_reference(self._base_url, *GENERAL_APPLICATION)
            else:
                stored = self._get("jobs", job_id)
                stored["lastActivityOn"] = now
                job = job_reference(self._base_url, job_id, stored["title"])
            record = self._factory.candidate(now, job, status)
            return self._insert("candidates", record, fields)

    def update_candidate(self, candidate_id: str, *, status: str | None = None, **fields: Any) -> dict[str, Any]:
        """Changes fields (and `status`, the primary application's) and moves `updatedOn` to now."""
        check_fields("candidates", fields)
        with self._lock:
            if status is not None:
                _check_status(status)
                assignment = copy.deepcopy(self._get("candidates", candidate_id).get("primaryAssignment"))
                if not assignment:
                    raise ValueError(f"candidate {candidate_id} has no application to set a status on")
                fields = {"primaryAssignment": {**assignment, "status": status}, **fields}
            return self._update("candidates", candidate_id, fields)

    def create_job(self, **fields: Any) -> dict[str, Any]:
        check_fields("jobs", fields)
        with self._lock:
            return self._insert("jobs", self._factory.job(self._now()), fields)

    def update_job(self, job_id: str, **fields: Any) -> dict[str, Any]:
        """Editing a job moves both `updatedOn` and `lastActivityOn` (vendor: "when job is edited")."""
        check_fields("jobs", fields)
        with self._lock:
            fields = {"lastActivityOn": fields.get("updatedOn", self._now()), **fields}
            return self._update("jobs", job_id, fields)

    def create_user(self, **fields: Any) -> dict[str, Any]:
        check_fields("users", fields)
        with self._lock:
            return self._insert("users", self._factory.user(self._now()), fields)

    def update_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        check_fields("users", fields)
        with self._lock:
            return self._update("users", user_id, fields)

    def delete_candidate(self, candidate_id: str) -> dict[str, Any]:
        """Removes a candidate (and its applications); returns the record as it was."""
        with self._lock:
            return self._delete("candidates", candidate_id)

    def delete_job(self, job_id: str) -> dict[str, Any]:
        """Removes a job; candidates who applied to it keep their assignment (as a job reference)."""
        with self._lock:
            return self._delete("jobs", job_id)

    def record(self, resource: str, record_id: str) -> dict[str, Any] | None:
        """One record by id (a copy), or None."""
        with self._lock:
            found = self._records[resource].get(record_id)
            return copy.deepcopy(found) if found is not None else None

    def records(self, resource: str) -> list[dict[str, Any]]:
        """Every record of a resource, in creation order (not the order the API serves)."""
        with self._lock:
            return copy.deepcopy(list(self._records[resource].values()))

    def search(
        self, resource: str, matches: Callable[[dict[str, Any]], bool], after: str | None, limit: int
    ) -> SearchResult:
        """Up to `limit` matching records placed after order key `after`, the total number of
        matches, and whether more follow the page. One consistent view: taken under the lock."""
        page: list[tuple[str, dict[str, Any]]] = []
        total, has_more = 0, False
        with self._lock:
            records = self._records[resource]
            for key, record_id in self._order[resource]:
                record = records[record_id]
                if not matches(record):
                    continue
                total += 1
                if after is not None and key <= after:
                    continue
                if len(page) < limit:
                    page.append((key, copy.deepcopy(record)))
                else:
                    has_more = True
        return SearchResult(page, total, has_more)

    # --- faults, limits and counters -----------------------------------------------------------
    def fail_next(
        self, n: int = 1, status: int = 500, path_prefix: str | None = None, retry_after: str | None = None
    ) -> None:
        """The next `n` API requests (under `path_prefix`) get `status`; 0 drops the connection."""
        self.faults.fail_next(n, status, path_prefix, retry_after)

    def add_latency(self, seconds: float, path_prefix: str | None = None) -> None:
        """From now on API requests (under `path_prefix`) take `seconds` longer, in real time."""
        self.faults.add_latency(seconds, path_prefix)

    def fail_callbacks(
        self,
        kind: str,
        *,
        count: int | None = None,
        fraction: float | None = None,
        seconds: float = 0.0,
        event_name: str | None = None,
    ) -> None:
        """Webhook callbacks go wrong: `kind` drop, duplicate, delay (`seconds`) or reorder, for the next
        `count` callbacks or each with probability `fraction` (of `event_name` only, if given)."""
        self.webhooks.faults.add(kind, count=count, fraction=fraction, seconds=seconds, event_name=event_name)

    def clear_faults(self) -> None:
        """Drops faults, latency and callback faults; requests waiting out latency right now are answered at once."""
        self.faults.clear()
        self.webhooks.faults.clear()

    def set_rate_limits(self, *, per_second: bool | None = None, concurrency: bool | None = None) -> dict[str, bool]:
        return self.limits.configure(per_second=per_second, concurrency=concurrency)

    def count(self, path: str, status: int) -> None:
        with self._lock:
            self._requests[path] += 1
            self._responses[status] += 1

    def counters(self) -> dict[str, dict[str, int]]:
        """API requests by path and responses by status (as strings, so the dict is JSON as is)."""
        with self._lock:
            return {
                "requests": dict(self._requests),
                "responses": {str(status): n for status, n in self._responses.items()},
            }

    def reset_counters(self) -> None:
        with self._lock:
            self._requests.clear()
            self._responses.clear()

    # --- internals ------------------------------------------------------------------------------
    def _now(self) -> str:
        return iso_millis(self.clock.now())

    def _get(self, resource: str, record_id: str) -> dict[str, Any]:
        try:
            return self._records[resource][record_id]
        except KeyError:
            raise KeyError(f"no {resource[:-1]} with id {record_id}") from None

    def _insert(self, resource: str, record: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        record.update(normalise_timestamps(copy.deepcopy(fields)))
        record_id = record["id"]
        if record_id in self._records[resource]:
            raise ValueError(f"a {resource[:-1]} with id {record_id} exists already")
        self._records[resource][record_id] = record
        bisect.insort(self._order[resource], (self._order_key(record_id), record_id))
        self._changed(RecordChange(resource, "created", record_id, None, copy.deepcopy(record)))
        return copy.deepcopy(record)

    def _update(self, resource: str, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        if "id" in fields and fields["id"] != record_id:
            raise ValueError("a record's id cannot change")
        record = self._get(resource, record_id)
        before = copy.deepcopy(record)
        record.update(normalise_timestamps({"updatedOn": self._now(), **copy.deepcopy(fields)}))
        self._changed(RecordChange(resource, "updated", record_id, before, copy.deepcopy(record)))
        return copy.deepcopy(record)

    def _delete(self, resource: str, record_id: str) -> dict[str, Any]:
        record = self._get(resource, record_id)
        del self._records[resource][record_id]
        self._order[resource].remove((self._order_key(record_id), record_id))
        self._changed(RecordChange(resource, "deleted", record_id, copy.deepcopy(record), None))
        return copy.deepcopy(record)

    def _order_key(self, record_id: str) -> str:
        return hashlib.sha256(self._salt + record_id.encode()).hexdigest()

    def _changed(self, change: RecordChange) -> None:
        for listener in self._listeners:
            listener(change)


def _check_status(status: str) -> None:
    if status not in CANDIDATE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(CANDIDATE_STATUSES)}")
