"""Each organization's share of the API: a token bucket per organization, checked once the caller is known
(docs/DESIGN.md §14). The stage's throttle protects the service; this keeps one tenant from using all of it."""

from __future__ import annotations

from srevents.adapters.rate_limits_store import RateLimitsStore
from srevents.clock import Clock
from srevents.domain.token_bucket import BucketPolicy, Denied, to_micros
from srevents.errors import TooManyRequests
from srevents.observability import logger


class OrganizationRequestLimit:
    def __init__(self, store: RateLimitsStore, policy: BucketPolicy, clock: Clock) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock

    def admit(self, organization_id: int) -> None:
        """Take one request from the organization's bucket, or refuse with 429 and a `Retry-After`.

        If the rate-limits table cannot be reached (throttled, down), the request goes through: the limit is
        each tenant's fair share, the stage's throttle still protects the service, and a broken limiter must
        not turn every request into a 5xx (docs/DESIGN.md §14)."""
        try:
            taken = self._store.take(
                f"API#ORG#{organization_id}", self._policy, to_micros(self._clock.now().timestamp())
            )
        except Exception:
            logger.warning("rate-limits table unavailable: request admitted unchecked", exc_info=True)
            return
        if not taken.allowed:
            retry_after = Denied(taken.wait).retry_after_seconds
            raise TooManyRequests(
                f"this organization is over its limit of {self._policy.rate:g} requests per second "
                f"(bursts of {self._policy.burst}): retry in {retry_after} s",
                retry_after,
            )
