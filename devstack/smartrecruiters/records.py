"""Realistic SmartRecruiters records, shaped like the vendor's list schemas.

Each factory fills every field the vendor's list item carries (`Candidate`, `JobSummary`,
`UserListItem` in the OpenAPI document) with plausible values from a seeded RNG, then applies
the caller's overrides. Only documented fields may be overridden: the conformance test
validates served records with no undocumented properties allowed, and rejecting unknown
fields here tells a test author at once instead of there.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from srevents.clock import iso_millis

CANDIDATE_FIELDS = frozenset(
    {
        "id", "internal", "firstName", "lastName", "email", "applicationLanguage", "createdOn",
        "updatedOn", "location", "averageRating", "tags", "consent", "primaryAssignment",
        "secondaryAssignments", "actions",
    }
)  # fmt: skip
JOB_FIELDS = frozenset(
    {
        "id", "title", "refNumber", "createdOn", "updatedOn", "lastActivityOn", "department", "location",
        "status", "postingStatus", "language", "actions",
    }
)  # fmt: skip
USER_FIELDS = frozenset(
    {
        "id", "email", "firstName", "lastName", "role", "systemRole", "externalData", "ssoIdentifier",
        "ssoLoginMode", "language", "active", "updatedOn",
    }
)  # fmt: skip
FIELDS = {"candidates": CANDIDATE_FIELDS, "jobs": JOB_FIELDS, "users": USER_FIELDS}
TIMESTAMP_FIELDS = ("createdOn", "updatedOn", "lastActivityOn")

CANDIDATE_STATUSES = (
    "LEAD", "NEW", "IN_REVIEW", "INTERVIEW", "OFFERED", "HIRED", "REJECTED", "WITHDRAWN", "TRANSFERRED",
)  # fmt: skip
JOB_STATUSES = ("CREATED", "SOURCING", "FILLED", "INTERVIEW", "OFFER", "CANCELLED", "ON_HOLD")
POSTING_STATUSES = ("PUBLIC", "INTERNAL", "NOT_PUBLISHED", "PRIVATE")

_FIRST_NAMES = ("Anna", "Piotr", "Maria", "John", "Aisha", "Wei", "Lucas", "Sofia", "Kenji", "Olga", "Diego")
_LAST_NAMES = (
    "Nowak",
    "Smith",
    "Kowalska",
    "Garcia",
    "Chen",
    "Müller",
    "Okafor",
    "Rossi",
    "Tanaka",
    "Dubois",
)
_PLACES = (
    {"country": "Poland", "countryCode": "pl", "regionCode": "12", "region": "Lesser Poland",
     "city": "Kraków", "lat": 50.0647, "lng": 19.945},
    {"country": "United States", "countryCode": "us", "regionCode": "CA", "region": "California",
     "city": "San Francisco", "lat": 37.7749, "lng": -122.4194},
    {"country": "Germany", "countryCode": "de", "regionCode": "BE", "region": "Berlin",
     "city": "Berlin", "lat": 52.52, "lng": 13.405},
)  # fmt: skip
_JOB_TITLES = ("Backend Engineer", "Recruiter", "Data Analyst", "Sales Manager", "Product Designer")
_DEPARTMENTS = ("Engineering", "People", "Finance", "Sales", "Design")


class UnknownFieldError(ValueError):
    """A field the vendor's list schema does not have."""


def check_fields(resource: str, fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - FIELDS[resource])
    if unknown:
        raise UnknownFieldError(f"{resource} have no field(s) {', '.join(unknown)}")


def normalise_timestamps(fields: dict[str, Any]) -> dict[str, Any]:
    """Timestamps as SmartRecruiters writes them (`2021-10-16T21:13:09.300Z`); datetimes or ISO strings in."""
    out = dict(fields)
    for name in TIMESTAMP_FIELDS:
        if name in out:
            out[name] = iso_millis(to_datetime(out[name]))
    return out


def to_datetime(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime or an ISO-8601 string; naive values are taken as UTC."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def action(url: str) -> dict[str, str]:
    return {"url": url, "method": "GET"}


def job_reference(base_url: str, job_id: str, title: str) -> dict[str, Any]:
    """The `job` of a candidate's assignment."""
    return {"id": job_id, "title": title, "actions": {"details": action(f"{base_url}/jobs/{job_id}")}}


class RecordFactory:
    """Builds records; one per store, seeded, so a store's data is the same on every run."""

    def __init__(self, rng: random.Random, base_url: str) -> None:
        self._rng = rng
        self._base_url = base_url
        self._serial = 0

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _person(self) -> tuple[str, str, str]:
        self._serial += 1
        first, last = self._rng.choice(_FIRST_NAMES), self._rng.choice(_LAST_NAMES)
        local = unicodedata.normalize("NFKD", f"{first}.{last}.{self._serial}").encode("ascii", "ignore").decode()
        email = f"{local.lower()}@example.com"
        return first, last, email

    def candidate(self, now: str, job: dict[str, Any], status: str) -> dict[str, Any]:
        cid = self.uuid()
        first, last, email = self._person()
        return {
            "id": cid,
            "internal": self._rng.random() < 0.1,
            "firstName": first,
            "lastName": last,
            "email": email,
            "applicationLanguage": "en",
            "createdOn": now,
            "updatedOn": now,
            "location": dict(self._rng.choice(_PLACES)),
            "averageRating": round(self._rng.uniform(0, 5), 1),
            "tags": [],
            "consent": {"status": self._rng.choice(("ACQUIRED", "PENDING", "REQUIRED"))},
            "primaryAssignment": {"job": job, "status": status},
            "secondaryAssignments": [],
            "actions": {
                "details": action(f"{self._base_url}/candidates/{cid}"),
                "properties": action(f"{self._base_url}/candidates/{cid}/properties"),
            },
        }

    def job(self, now: str) -> dict[str, Any]:
        jid = self.uuid()
        self._serial += 1
        place = {k: v for k, v in self._rng.choice(_PLACES).items() if k not in ("lat", "lng")}
        department = self._rng.choice(_DEPARTMENTS)
        return {
            "id": jid,
            "title": self._rng.choice(_JOB_TITLES),
            "refNumber": f"REF{self._serial:05d}",
            "createdOn": now,
            "updatedOn": now,
            "lastActivityOn": now,
            "department": {"id": str(self._rng.randrange(10**5, 10**6)), "label": department},
            # The list endpoint leaves out latitude and longitude (vendor note on GET /jobs).
            "location": {**place, "remote": False, "manual": False},
            "status": "SOURCING",
            "postingStatus": "PUBLIC",
            "language": {"code": "en", "label": "English", "labelNative": "English (US)"},
            "actions": {"details": action(f"{self._base_url}/jobs/{jid}")},
        }

    def user(self, now: str) -> dict[str, Any]:
        first, last, email = self._person()
        return {
            "id": f"{self._rng.getrandbits(96):024x}",
            "email": email,
            "firstName": first,
            "lastName": last,
            "role": "EMPLOYEE",
            "systemRole": {"id": "EMPLOYEE", "name": "Employee"},
            "externalData": None,
            "ssoIdentifier": None,
            "language": {"code": "en"},
            "active": True,
            "updatedOn": now,
        }


@dataclass(frozen=True)
class RecordChange:
    """A record created, updated or deleted in the store, as its on-change listeners see it (copies)."""

    resource: str  # "candidates", "jobs" or "users"
    action: str  # "created", "updated" or "deleted"
    record_id: str
    before: dict[str, Any] | None  # None when created
    after: dict[str, Any] | None  # None when deleted
