"""The resources the SmartRecruiters element can poll, and the element's default configuration."""

from __future__ import annotations

import copy
from typing import Any

ELEMENT_KEY = "smartrecruiters"
ELEMENT_NAME = "SmartRecruiters"
HUB = "humancapital"

_ISO_MILLIS = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"


def _default(resource: str) -> dict[str, Any]:
    return {
        "url": f"/hubs/{HUB}/{resource}?where=updatedAfter='${{gmtDate:{_ISO_MILLIS}}}'",
        "idField": "id",
        "datesConfiguration": {
            "updatedDateField": "updatedOn",
            "updatedDateFormat": _ISO_MILLIS,
            "updatedDateTimezone": "GMT",
            "createdDateField": "createdOn",
            "createdDateFormat": _ISO_MILLIS,
            "createdDateTimezone": "GMT",
        },
    }


# Users carry no creation date in SmartRecruiters' list response, so every user change is classified
# by the "created after the watermark" rule only when a created date exists; otherwise UPDATED.
_USERS = _default("users")
del _USERS["datesConfiguration"]["createdDateField"]
del _USERS["datesConfiguration"]["createdDateFormat"]
del _USERS["datesConfiguration"]["createdDateTimezone"]

DEFAULT_RESOURCE_CONFIGS: dict[str, dict[str, Any]] = {
    "candidates": _default("candidates"),
    "jobs": _default("jobs"),
    "users": _USERS,
}

# With no `event.poller.configuration`, the seed's `candidates` block applies (docs/DESIGN.md §2).
DEFAULT_POLLER_CONFIGURATION = ("candidates",)


def default_resource_config(resource: str) -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_RESOURCE_CONFIGS[resource])
