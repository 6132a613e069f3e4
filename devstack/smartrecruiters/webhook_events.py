"""Which webhook events a change to a simulated record raises, with the vendor's bodies and `link`s.

Pure: a `RecordChange` in, `WebhookEvent`s out. The vendor document (tag `subscriptions`, the
`on...` callbacks of `POST /subscriptions`) names the events and their bodies:
- `candidate.created` / `candidate.updated` / `candidate.deleted`: `{"id"}`; `candidate.updated` only
  when one of the properties the vendor lists changes (of those the simulator's records have:
  firstName, lastName, email, location, internal, tags); `candidate.deleted` carries no `link`.
- `application.created` (a candidate applies: on creation, or a new secondary assignment) and
  `application.status.updated` (the primary assignment's status): `{"job_id", "candidate_id",
  "application_id"}`.
- `job.created` / `job.updated` (title, refNumber, department, location change) / `job.status.updated`:
  `{"id"}`. The vendor has no `job.deleted`: deleting a job raises nothing.
Users raise no events (the vendor has none for them).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from devstack.smartrecruiters.records import RecordChange

EVENT_VERSION = "v201910"  # the vendor's example; every event the simulator sends has this version
# Every event name the vendor's `EventName` lists (a subscription may name any of them).
EVENT_NAMES = (
    "job.created", "job.updated", "job.status.updated", "job.hiring-team.updated", "job.ad.created",
    "job.ad.updated", "job.ad.postings.updated", "position.created", "position.updated", "position.deleted",
    "application.created", "application.status.updated", "application.fields.updated",
    "application.onboarding-status.updated", "application.attachment.created", "application.source.updated",
    "candidate.created", "candidate.updated", "candidate.deleted", "offer.created", "offer.updated",
    "offer.approval.created", "offer.approval.approved", "offer.approval.rejected", "offer.approval.abandoned",
    "offer.approval.step.approved", "offer.approval.step.rejected", "offer.approver.skipped",
    "offer.approver.delegated", "offer.approval.comment.created", "job.approval.created",
    "job.approval.approved", "job.approval.rejected", "job.approval.abandoned", "job.approval.step.approved",
    "job.approval.step.rejected", "job.approver.skipped", "job.approver.delegated",
    "job.approval.comment.created", "review.created", "review.updated", "review.deleted",
    "application.screening-answers.created", "application.screening-answers.updated",
    "onboarding.process.started", "onboarding.assignments.high-priority.completed",
    "onboarding.assignments.completed",
)  # fmt: skip
# The events the simulator raises (the rest are accepted in subscriptions but never happen here).
RAISED_EVENTS = (
    "candidate.created", "candidate.updated", "candidate.deleted", "application.created",
    "application.status.updated", "job.created", "job.updated", "job.status.updated",
)  # fmt: skip
CANDIDATE_UPDATE_FIELDS = ("firstName", "lastName", "email", "location", "internal", "tags")
JOB_UPDATE_FIELDS = ("title", "refNumber", "department", "location")


@dataclass(frozen=True)
class WebhookEvent:
    name: str
    body: str  # the exact JSON text sent (and signed)
    link: str | None  # the `link` header, `<url>; rel=self`; None when the vendor sends none


def events_for(change: RecordChange, base_url: str) -> list[WebhookEvent]:
    """The events `change` raises, in the order SmartRecruiters would plausibly send them."""
    if change.resource == "candidates":
        return _candidate_events(change, base_url)
    if change.resource == "jobs":
        return _job_events(change, base_url)
    return []


def application_id(candidate_id: str, job_id: str) -> str:
    """A stable id for the application of a candidate to a job (the simulator stores none)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"smartrecruiters-simulator:{candidate_id}/{job_id}"))


def _body(payload: dict[str, str]) -> str:
    return json.dumps(payload, separators=(",", ":"))


def _link(url: str) -> str:
    return f"<{url}>; rel=self"


def _changed(before: dict[str, Any], after: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return any(before.get(name) != after.get(name) for name in fields)


def _applications(record: dict[str, Any] | None) -> dict[str, str | None]:
    """{job id: status} of a candidate's assignments, primary first."""
    if not record:
        return {}
    assignments = [record.get("primaryAssignment") or {}, *(record.get("secondaryAssignments") or ())]
    return {a["job"]["id"]: a.get("status") for a in assignments if a.get("job")}


def _application_event(name: str, candidate_id: str, job_id: str, base_url: str) -> WebhookEvent:
    body = {"job_id": job_id, "candidate_id": candidate_id, "application_id": application_id(candidate_id, job_id)}
    return WebhookEvent(name, _body(body), _link(f"{base_url}/candidates/{candidate_id}/jobs/{job_id}"))


def _candidate_events(change: RecordChange, base_url: str) -> list[WebhookEvent]:
    cid = change.record_id
    link = _link(f"{base_url}/candidates/{cid}")
    body = _body({"id": cid})
    if change.action == "deleted":
        return [WebhookEvent("candidate.deleted", body, None)]
    before, after = _applications(change.before), _applications(change.after)
    events = []
    if change.action == "created":
        events.append(WebhookEvent("candidate.created", body, link))
    elif change.before is not None and change.after is not None:
        if _changed(change.before, change.after, CANDIDATE_UPDATE_FIELDS):
            events.append(WebhookEvent("candidate.updated", body, link))
        primary = (change.after.get("primaryAssignment") or {}).get("job", {}).get("id")
        if primary in before and before[primary] != after.get(primary):
            events.append(_application_event("application.status.updated", cid, primary, base_url))
    events.extend(
        _application_event("application.created", cid, job_id, base_url) for job_id in after if job_id not in before
    )
    return events


def _job_events(change: RecordChange, base_url: str) -> list[WebhookEvent]:
    jid = change.record_id
    link = _link(f"{base_url}/jobs/{jid}")
    body = _body({"id": jid})
    if change.action == "created":
        return [WebhookEvent("job.created", body, link)]
    if change.action != "updated" or change.before is None or change.after is None:
        return []  # the vendor has no job.deleted
    events = []
    if _changed(change.before, change.after, JOB_UPDATE_FIELDS):
        events.append(WebhookEvent("job.updated", body, link))
    if change.before.get("status") != change.after.get("status"):
        events.append(WebhookEvent("job.status.updated", body, link))
    return events
