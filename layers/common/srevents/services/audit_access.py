"""Whether an API key may read SmartRecruiters' audit log: checked when `includeDeleted` is turned on.

One `GET /audit-events?limit=1` for the resources' deletion events in the last minute. SmartRecruiters'
answers become the API's:
- 403 (the key lacks `audit_events_read`; the vendor: "ADMINISTRATOR role is required") → 400 naming the
  resource's `includeDeleted` and the missing permission;
- 401 (or a key that is not a valid header value) → 400 naming `configuration.api.key`;
- anything else that fails after the client's retries (5xx, 429, a timeout, no connection) → 502: nothing
  is stored and the request can be sent again. The retries stop when another would not end within
  CHECK_SECONDS of the first try, so the API answers inside API Gateway's 29 s. Accepting the instance
  unchecked would let a key without the permission through, to fail at every poll instead.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from srevents.adapters.smartrecruiters import SmartRecruitersAuthError, SmartRecruitersError
from srevents.domain.deletions import AUDIT_PERMISSION, audit_query
from srevents.domain.instance_config import API_KEY
from srevents.domain.poller_config import INCLUDE_DELETED, POLLER_CONFIGURATION
from srevents.errors import UpstreamUnavailable, ValidationError

CHECK_SECONDS = 20.0


def check_audit_access(client: Any, resources: Sequence[str], now: datetime) -> None:
    """Raise ValidationError (400) or UpstreamUnavailable (502) unless the client's key may read the audit log."""
    query = audit_query(resources[0], now - timedelta(minutes=1), now)
    query["eventName"] = [name for resource in resources for name in audit_query(resource, now, now)["eventName"]]
    deadline = time.monotonic() + CHECK_SECONDS
    try:
        client.check_audit_access(query, time_left=lambda: deadline - time.monotonic())
    except SmartRecruitersAuthError as error:
        if error.status == 403:
            raise ValidationError(
                f"configuration.{POLLER_CONFIGURATION}.{resources[0]}.{INCLUDE_DELETED}",
                f"needs the API key's SmartRecruiters permission {AUDIT_PERMISSION} (Access Audit Events; "
                f"SmartRecruiters gives it to ADMINISTRATOR users' keys) to read deletions from the audit log: "
                f"{error.message}",
            ) from None
        raise ValidationError(
            f"configuration.{API_KEY}",
            f"was refused by SmartRecruiters when checking its audit log access for {INCLUDE_DELETED}: {error.message}",
        ) from None
    except SmartRecruitersError as error:
        raise UpstreamUnavailable(
            f"SmartRecruiters could not be asked whether the API key may read the audit log ({INCLUDE_DELETED}): "
            f"{error.message}. Nothing was stored; send the request again."
        ) from None
