"""Token buckets and short leases shared by every container, in the rate-limits table (docs/DESIGN.md §14).

One item per bucket, partition key `pk`:
- `API#ORG#<id>`                    an organization's request bucket for the instances API
- `SMARTRECRUITERS#<sha256 of key>` a SmartRecruiters API key's request bucket, and its `GET /candidates`
                                    lease (`leaseHolder`, `leaseUntil`); never the key itself
Attributes: `tat` (the bucket, integer microseconds: domain/token_bucket.py), `expiresAt` (epoch seconds,
the table's TTL: an idle bucket is full anyway, so DynamoDB may delete it).

A take is **one conditional UpdateItem** when the store guesses the bucket's state right: it remembers the
last value it saw of each bucket (in this container) and picks the idle or busy form from it. A wrong guess
(another container moved the bucket) is refused by the condition, which returns the stored item
(`ReturnValuesOnConditionCheckFailure`), and the take is planned again from what is really there: a
second call, never a lost or doubled token.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from srevents.adapters.dynamo import is_conditional_failure
from srevents.domain.token_bucket import MICROS, BucketPolicy, Busy, Denied, Idle, plan

IDLE_BUCKET_TTL_SECONDS = 3600
_ATTEMPTS = 4  # plans per take: each refused write tells the next one the stored value


@dataclass(frozen=True)
class Lease:
    """Hold the item's lease as `holder` until `until` (microseconds) — taken together with the tokens."""

    holder: str
    until: int


@dataclass(frozen=True)
class Taken:
    """The outcome of a take. `wait` (microseconds) is how long until it could succeed when not `allowed`;
    `lease_until` is the other holder's lease end when a lease, not the bucket, refused it."""

    allowed: bool
    tokens: int = 0  # how many were taken
    wait: int = 0
    lease_until: int | None = None
    calls: int = 0


class RateLimitsStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        self.calls = 0  # UpdateItem calls made, for the benchmarks

    def take(
        self,
        key: str,
        policy: BucketPolicy,
        now: int,
        tokens: int = 1,
        lease: Lease | None = None,
        at_least: int | None = None,
    ) -> Taken:
        """Take `tokens` (or as many as there are, if at least `at_least`) from bucket `key` at `now`
        (microseconds), and `lease` with them when given."""
        with self._lock:
            tat = self._seen.get(key)
        calls = 0
        for _ in range(_ATTEMPTS):
            step = plan(policy, tat, now, tokens, at_least)
            if isinstance(step, Denied):
                self._remember(key, tat)
                return Taken(False, wait=step.wait, calls=calls)
            calls += 1
            try:
                response = self._client.update_item(**self._update(key, step, lease))
            except ClientError as error:
                if not is_conditional_failure(error):
                    raise
                stored = error.response.get("Item") or {}
                tat = int(stored["tat"]["N"]) if "tat" in stored else None
                held_until = _lease_held(stored, lease, now)
                if held_until is not None:
                    self._remember(key, tat)
                    return Taken(False, wait=held_until - now, lease_until=held_until, calls=calls)
                continue
            finally:
                with self._lock:
                    self.calls += 1
            self._remember(key, int(response["Attributes"]["tat"]["N"]))
            return Taken(True, tokens=step.tokens, calls=calls)
        # Other containers moved the bucket at every try: let the caller wait one token's time.
        return Taken(False, wait=policy.interval, calls=calls)

    def release(self, key: str, holder: str) -> None:
        """Give the lease back (if `holder` still has it): one UpdateItem."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": key}},
                UpdateExpression="REMOVE leaseHolder, leaseUntil",
                ConditionExpression="leaseHolder = :me",
                ExpressionAttributeValues={":me": {"S": holder}},
            )
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
        finally:
            with self._lock:
                self.calls += 1

    def _remember(self, key: str, tat: int | None) -> None:
        with self._lock:
            if tat is None:
                self._seen.pop(key, None)
            else:
                self._seen[key] = tat

    def _update(self, key: str, step: Idle | Busy, lease: Lease | None) -> dict[str, Any]:
        values: dict[str, Any] = {":now": {"N": str(step.now)}}
        if isinstance(step, Idle):
            expires = step.new_tat // MICROS + IDLE_BUCKET_TTL_SECONDS
            sets = ["tat = :tat", "expiresAt = :expires"]
            condition = "(attribute_not_exists(tat) OR tat <= :now)"
            values[":tat"] = {"N": str(step.new_tat)}
        else:
            # The bucket is less than `burst` tokens ahead of now: the TTL set by the idle write still holds.
            expires = (step.highest + step.cost) // MICROS + IDLE_BUCKET_TTL_SECONDS
            sets = ["tat = tat + :cost", "expiresAt = :expires"]
            condition = "(tat > :now AND tat <= :highest)"
            values[":cost"] = {"N": str(step.cost)}
            values[":highest"] = {"N": str(step.highest)}
        values[":expires"] = {"N": str(expires)}
        if lease is not None:
            sets += ["leaseHolder = :me", "leaseUntil = :until"]
            condition += " AND (attribute_not_exists(leaseHolder) OR leaseUntil <= :now OR leaseHolder = :me)"
            values[":me"] = {"S": lease.holder}
            values[":until"] = {"N": str(lease.until)}
        return {
            "TableName": self._table,
            "Key": {"pk": {"S": key}},
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ReturnValues": "UPDATED_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }


def _lease_held(stored: dict[str, Any], lease: Lease | None, now: int) -> int | None:
    """When another holder's lease refused the write: until when it is held."""
    if lease is None or "leaseHolder" not in stored:
        return None
    if stored["leaseHolder"].get("S") == lease.holder:
        return None
    until = int(stored.get("leaseUntil", {}).get("N", "0"))
    return until if until > now else None
