"""The list endpoints (GET /candidates, /jobs, /users): query parameters, filters and paging.

Paging works like a search-after cursor. Each resource has a fixed order (a salted hash of the
record id, see store.py) and a `pageId` names a position in it: "after order key K, with N
records served so far, for this query". Every page re-runs the query against the current data.
That gives the behaviour a real cursor API plausibly has, and the poller must cope with:
- a record that exists for the whole iteration and keeps matching is served exactly once, with
  its data as of the page that serves it (so possibly updated after the iteration started);
- a record created during the iteration shows up only if its place is after the cursor;
- `totalFound` is the number of matches at the time of each page.
The cursor is HMAC-signed and bound to the query's filters, so a made-up, damaged or borrowed
`pageId` is a 400 `INVALID_PAGE_ID`, as the vendor documents; `limit` may change between pages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devstack.smartrecruiters.records import CANDIDATE_STATUSES, JOB_STATUSES, POSTING_STATUSES, to_datetime
from devstack.smartrecruiters.store import SimulatorStore

# Default page sizes as the vendor documents them (users' differs).
DEFAULT_LIMITS = {"candidates": 10, "jobs": 10, "users": 100}
MAX_LIMIT = 100
_PAGING_PARAMS = ("limit", "pageId")

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


class BadRequest(Exception):
    """A 400 in the vendor error shape."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ListPage:
    body: dict[str, Any]
    next_page_id: str | None


class CursorCodec:
    """Opaque, tamper-evident `pageId`s: base64 of an HMAC tag and the position."""

    _TAG = 16

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, fingerprint: str, after: str, offset: int) -> str:
        payload = f"{fingerprint}:{after}:{offset}".encode()
        return base64.b64encode(self._tag(payload) + payload).decode()

    def decode(self, page_id: str, fingerprint: str) -> tuple[str, int]:
        """The (order key, offset) a `pageId` names; BadRequest unless it was made for this query."""
        try:
            raw = base64.b64decode(page_id, validate=True)
        except (binascii.Error, ValueError):
            raise _invalid_page_id() from None
        tag, payload = raw[: self._TAG], raw[self._TAG :]
        if not hmac.compare_digest(tag, self._tag(payload)):
            raise _invalid_page_id()
        made_for, after, offset = payload.decode().split(":")
        if made_for != fingerprint:
            raise BadRequest("INVALID_PAGE_ID", "pageId belongs to a different query")
        return after, int(offset)

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[: self._TAG]


def list_page(store: SimulatorStore, codec: CursorCodec, resource: str, params: dict[str, list[str]]) -> ListPage:
    """One page of GET /{resource} for the given query parameters."""
    limit = _limit(params, DEFAULT_LIMITS[resource])
    matches = _FILTERS[resource](params)
    fingerprint = _fingerprint(resource, params)
    page_id = _one(params, "pageId")
    after, offset = (None, 0) if page_id is None else codec.decode(page_id, fingerprint)
    result = store.search(resource, matches, after, limit)
    next_page_id = None
    if result.has_more:
        next_page_id = codec.encode(fingerprint, result.records[-1][0], offset + len(result.records))
    body: dict[str, Any] = {"limit": limit, "offset": offset}
    if next_page_id is not None:
        body["nextPageId"] = next_page_id
    body["totalFound"] = result.total
    body["content"] = [record for _, record in result.records]
    return ListPage(body, next_page_id)


# --- parameters ---------------------------------------------------------------------------------
def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _limit(params: dict[str, list[str]], default: int) -> int:
    raw = _one(params, "limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest("INVALID_PARAMETER", f"limit must be an integer from 1 to {MAX_LIMIT}, got {raw!r}")
    return limit


def _fingerprint(resource: str, params: dict[str, list[str]]) -> str:
    filters = sorted((k, tuple(v)) for k, v in params.items() if k not in _PAGING_PARAMS)
    return hashlib.sha256(repr((resource, filters)).encode()).hexdigest()[:24]


def _time(params: dict[str, list[str]], name: str) -> datetime | None:
    raw = _one(params, name)
    if raw is None:
        return None
    try:
        return to_datetime(raw)
    except ValueError:
        raise BadRequest(
            "INVALID_PARAMETER", f"{name} must be an ISO-8601 date-time such as 2026-11-01T10:00:00.000Z"
        ) from None


def _enum(params: dict[str, list[str]], name: str, allowed: tuple[str, ...]) -> set[str]:
    values = set(params.get(name, ()))
    wrong = sorted(values - set(allowed))
    if wrong:
        raise BadRequest("INVALID_PARAMETER", f"{name} must be one of {', '.join(allowed)}, got {wrong[0]!r}")
    return values


def _terms(params: dict[str, list[str]], min_length: int = 1) -> list[str]:
    q = _one(params, "q")
    if q is None:
        return []
    if len(q) < min_length:
        raise BadRequest("INVALID_PARAMETER", f"q must be at least {min_length} characters long")
    return q.lower().split()


# --- filters ------------------------------------------------------------------------------------
def _after(field: str, when: datetime | None) -> Predicate | None:
    """`updatedAfter` and friends are strict: a record stamped exactly `when` is not after it."""
    if when is None:
        return None
    return lambda r: field in r and to_datetime(r[field]) > when


def _text(fields: tuple[str, ...], terms: list[str]) -> Predicate | None:
    if not terms:
        return None
    return lambda r: all(t in " ".join(str(r.get(f) or "") for f in fields).lower() for t in terms)


def _all(*predicates: Predicate | None) -> Predicate:
    active = [p for p in predicates if p is not None]
    return lambda r: all(p(r) for p in active)


def _candidate_filters(params: dict[str, list[str]]) -> Predicate:
    job_ids = set(params.get("jobId", ()))
    statuses = _enum(params, "status", CANDIDATE_STATUSES)
    tags = {t.lower() for t in params.get("tag", ())}

    def applied_to(r: Record) -> set[str]:
        assignments = [r.get("primaryAssignment") or {}, *r.get("secondaryAssignments", ())]
        return {a["job"]["id"] for a in assignments if a.get("job")}

    return _all(
        # Only candidates with at least one job application are listed (vendor).
        lambda r: bool(r.get("primaryAssignment")),
        _text(("firstName", "lastName", "email"), _terms(params)),
        (lambda r: bool(applied_to(r) & job_ids)) if job_ids else None,
        (lambda r: r["primaryAssignment"].get("status") in statuses) if statuses else None,
        (lambda r: any(t.lower() in tags for t in r.get("tags", ()))) if tags else None,
        _after("updatedOn", _time(params, "updatedAfter")),
    )


def _job_filters(params: dict[str, list[str]]) -> Predicate:
    statuses = _enum(params, "status", JOB_STATUSES)
    posting = _enum(params, "postingStatus", POSTING_STATUSES)
    return _all(
        _text(("title",), _terms(params)),
        (lambda r: r.get("status") in statuses) if statuses else None,
        (lambda r: r.get("postingStatus") in posting) if posting else None,
        _after("updatedOn", _time(params, "updatedAfter")),
        _after("lastActivityOn", _time(params, "lastActivityAfter")),
    )


def _user_filters(params: dict[str, list[str]]) -> Predicate:
    return _all(
        _text(("firstName", "lastName", "email"), _terms(params, min_length=3)),
        _after("updatedOn", _time(params, "updatedAfter")),
    )


_FILTERS: dict[str, Callable[[dict[str, list[str]]], Predicate]] = {
    "candidates": _candidate_filters,
    "jobs": _job_filters,
    "users": _user_filters,
}


def _invalid_page_id() -> BadRequest:
    return BadRequest("INVALID_PAGE_ID", "pageId is not a valid page identifier")
