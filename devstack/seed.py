"""The seed document's `POST /instances` example body (its cURL example), verbatim.

The project's contract says this body must work exactly as written; tests, the sample events and the
local stack's demo all start from this one copy.
"""

from __future__ import annotations

from typing import Any

SEED_BODY: dict[str, Any] = {
    "element": {"key": "smartrecruiters"},
    "configuration": {
        "api.key": "xxxxxxxxxxxxxxxxxxxxxxxxx",
        "event.notification.enabled": True,
        "event.vendor.type": "polling",
        "event.notification.callback.url": "https://api.cloud-elements.com/elements/api-v2/events//",
        "event.notification.signature.key": "asdfo08e$fd",
        "event.poller.refresh_interval": "15",
        "event.poller.configuration": {
            "candidates": {
                "url": "/hubs/humancapital/candidates?where=updatedAfter='${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}'",
                "idField": "id",
                "datesConfiguration": {
                    "updatedDateField": "updatedOn",
                    "updatedDateFormat": "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
                    "updatedDateTimezone": "GMT",
                    "createdDateField": "createdOn",
                    "createdDateFormat": "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
                    "createdDateTimezone": "GMT",
                },
            }
        },
    },
    "tags": ["Docs"],
    "name": "API Instance with Polling",
}
