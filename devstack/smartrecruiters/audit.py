"""The audit log: `GET /audit-events` as the vendor's OpenAPI document describes it (tag `audit`).

Deleting a candidate or a job, or merging a candidate into another, appends audit events (store.py); this
module serves them:

    GET /audit-events  eventDateAfter, eventDateBefore (both strict), eventName*, entityType*, entityId,
                       authorId, authorType*; limit 1-100 (default 10), nextPageId.   * = may repeat
                       With neither date, the last 7 days (vendor).

Responses are `{limit, nextPageId?, content}` (the vendor's `Events`), newest first. SmartRecruiters does not
document an order or whether the date bounds are inclusive; serving newest first and excluding both bounds
makes a client that relies on neither pass. `nextPageId` is a search-after cursor over (eventDate, id),
HMAC-signed and bound to the query like the list endpoints' `pageId`. A key added without audit access gets
`403` ("ADMINISTRATOR role is required", as the vendor documents).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from devstack.smartrecruiters.listing import BadRequest, CursorCodec, ListPage, _fingerprint, _limit, _one, _time
from devstack.smartrecruiters.records import to_datetime

DEFAULT_LIMIT = 10
DEFAULT_RANGE = timedelta(days=7)
ENTITY_TYPES = (
    "USER", "CANDIDATE", "APPLICATION", "OFFER", "JOB", "COMPANY", "JOB_PROPERTY", "JOB_AD", "CREDENTIAL",
    "REPORT_FILE", "ONBOARDING_PROCESS",
)  # fmt: skip
AUTHOR_TYPES = ("USER", "SUPPORT_USER", "SYSTEM", "CANDIDATE")
_EVENT_NAME = re.compile(r"^[A-Z][A-Z_]*$")
_PAGING = ("limit", "nextPageId")


def _names(params: dict[str, list[str]], name: str, allowed: tuple[str, ...] | None = None) -> set[str]:
    values = set(params.get(name, ()))
    for value in sorted(values):
        if (allowed is not None and value not in allowed) or (allowed is None and not _EVENT_NAME.match(value)):
            raise BadRequest("INVALID_PARAMETER", f"{name} has an unknown value {value!r}")
    return values


def _position(event: dict[str, Any]) -> tuple[int, str]:
    """Where an event stands in the served order: (eventDate in milliseconds, id), served descending."""
    return int(to_datetime(event["eventDate"]).timestamp() * 1000), event["id"]


def audit_page(
    events: list[dict[str, Any]], codec: CursorCodec, params: dict[str, list[str]], now: datetime
) -> ListPage:
    """One page of GET /audit-events over `events` (the whole log, any order) for the query `params`."""
    limit = _limit(params, DEFAULT_LIMIT)
    after, before = _time(params, "eventDateAfter"), _time(params, "eventDateBefore")
    if after is None and before is None:
        after = now - DEFAULT_RANGE
    names = _names(params, "eventName")
    entity_types = _names(params, "entityType", ENTITY_TYPES)
    author_types = _names(params, "authorType", AUTHOR_TYPES)
    entity_id, author_id = _one(params, "entityId"), _one(params, "authorId")

    def matches(event: dict[str, Any]) -> bool:
        when = to_datetime(event["eventDate"])
        return (
            (after is None or when > after)
            and (before is None or when < before)
            and (not names or event["eventName"] in names)
            and (not entity_types or event.get("entityType") in entity_types)
            and (not author_types or event.get("authorType") in author_types)
            and (entity_id is None or event.get("entityId") == entity_id)
            and (author_id is None or event.get("authorId") == author_id)
        )

    fingerprint = _fingerprint("audit-events", {k: v for k, v in params.items() if k not in _PAGING})
    page_id = _one(params, "nextPageId")
    start, offset = (None, 0) if page_id is None else codec.decode(page_id, fingerprint)
    ordered = sorted(filter(matches, events), key=_position, reverse=True)  # newest first
    if start is not None:
        millis, event_id = start.split(".", 1)
        ordered = [e for e in ordered if _position(e) < (int(millis), event_id)]
    page, more = ordered[:limit], len(ordered) > limit
    body: dict[str, Any] = {"limit": limit}
    next_page_id = None
    if more:
        millis_last, id_last = _position(page[-1])
        next_page_id = codec.encode(fingerprint, f"{millis_last}.{id_last}", offset + len(page))
        body["nextPageId"] = next_page_id
    body["content"] = page
    return ListPage(body, next_page_id)


def forbidden_message() -> str:
    return "Audit events access forbidden. ADMINISTRATOR role is required."


__all__ = ["BadRequest", "audit_page", "forbidden_message"]
