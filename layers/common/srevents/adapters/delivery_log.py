"""The delivery log: each notification's status, body and every attempt, kept for a while (TTL).

Beside an instance's entries (sort key: the notification id) live its **parking marks** (sort key
`~parked#<order>#<notification id>`, after every id): one per notification parked for redelivery (`QUEUED`, or
`FAILED` after its last retry), in the order they were parked, which is the order they were produced. A
redelivery reads them in that order with a strongly consistent query; listings leave them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from srevents.adapters.dynamo import BatchRead, decode, encode_value, read_together
from srevents.clock import iso_millis
from srevents.domain.delivery_status import DELIVERED, FAILED, GONE, PENDING, QUEUED


@dataclass(frozen=True)
class Attempt:
    at: str
    attempt: int
    status_code: int | None
    latency_ms: float
    error: str | None
    response: str
    outcome: str  # delivered | retrying | failed | gone
    trigger: str = "queue"  # queue | manual
    generation: int = 0

    def as_item(self) -> dict[str, Any]:
        item = {
            "at": self.at,
            "attempt": self.attempt,
            "latencyMs": round(self.latency_ms),
            "response": self.response,
            "outcome": self.outcome,
            "trigger": self.trigger,
            "generation": self.generation,
        }
        if self.status_code is not None:
            item["statusCode"] = self.status_code
        if self.error:
            item["error"] = self.error
        return item


@dataclass(frozen=True)
class LoggedNotification:
    instance_id: int
    notification_id: str
    status: str
    body: str
    item: dict[str, Any]

    @property
    def delivered_generation(self) -> int:
        return int(self.item.get("deliveredGeneration", -1))

    @property
    def dead_lettered_generation(self) -> int:
        return int(self.item.get("deadLetteredGeneration", -1))

    def finished(self, generation: int) -> bool:
        """Whether the queue needs to do nothing more with this notification at `generation`: delivered,
        refused for good (410), or moved to the dead-letter queue at that generation or a later one."""
        if self.status == DELIVERED:
            return self.delivered_generation >= generation
        if self.status == GONE:
            return self.generation >= generation
        if self.status == FAILED:
            return self.dead_lettered_generation >= generation
        if self.status == QUEUED:  # parked: a redelivery sends it
            return self.generation >= generation
        return False

    @property
    def next_attempt_at(self) -> str | None:
        """When the queue tries it again (ISO-8601), while it is RETRYING."""
        value = self.item.get("nextAttemptAt")
        return value if isinstance(value, str) else None

    @property
    def generation(self) -> int:
        """The replay generation of the queue's last attempt (or skip) of this notification."""
        return int(self.item.get("generation", 0))


# What the deliverer needs to decide on a message: not the body (the message carries it).
_SUMMARY = (
    "instanceId, notificationId, #s, generation, deliveredGeneration, deadLetteredGeneration, attempts, nextAttemptAt"
)


PARKED = "~parked#"
"""Sort-key prefix of the parking marks: `~` sorts after every notification id (lower-case hex and dashes)."""


@dataclass(frozen=True)
class ParkingMark:
    instance_id: int
    notification_id: str
    sort_key: str


MAX_PAGE_READS = 10
"""Queries one page of a filtered listing may take (each reads up to limit + 1 entries, or 1 MB)."""


def _key(instance_id: int, notification_id: str) -> dict[str, Any]:
    return {"instanceId": {"N": str(instance_id)}, "notificationId": {"S": notification_id}}


def _from_item(raw: dict[str, Any]) -> LoggedNotification:
    item = decode(raw)
    return LoggedNotification(
        item["instanceId"], item["notificationId"], item.get("status", PENDING), item.get("body", ""), item
    )


class DeliveryLog:
    def __init__(self, client: Any, table: str, ttl_days: int = 30) -> None:
        self._client = client
        self._table = table
        self._ttl_seconds = ttl_days * 86_400

    def get(self, instance_id: int, notification_id: str) -> LoggedNotification | None:
        response = self._client.get_item(
            TableName=self._table, Key=_key(instance_id, notification_id), ConsistentRead=True
        )
        return _from_item(response["Item"]) if "Item" in response else None

    def read_many(self, keys: list[tuple[int, str]]) -> BatchRead[dict[tuple[int, str], LoggedNotification | None]]:
        """The status, generations and attempts (not the body) of several notifications, as a read to send
        together with other tables' (adapters/dynamo.py). Every key asked for is in the answer; None where
        the notification is not logged."""
        unique = list(dict.fromkeys(keys))

        def parse(items: list[dict[str, Any]]) -> dict[tuple[int, str], LoggedNotification | None]:
            found: dict[tuple[int, str], LoggedNotification | None] = dict.fromkeys(unique)
            for raw in items:
                logged = _from_item(raw)
                found[(logged.instance_id, logged.notification_id)] = logged
            return found

        options = {"ProjectionExpression": _SUMMARY, "ExpressionAttributeNames": {"#s": "status"}}
        return BatchRead(self._client, self._table, [_key(i, n) for i, n in unique], parse, options)

    def record(
        self,
        instance_id: int,
        notification_id: str,
        *,
        status: str,
        now: datetime,
        body: str,
        meta: dict[str, Any],
        attempt: Attempt | None,
        headers: dict[str, str] | None = None,
        delivered_generation: int | None = None,
    ) -> None:
        """Write the notification's status and append one attempt, in one call."""
        sets = [
            "#s = :status",
            "updatedDate = :now",
            "expiresAt = :ttl",
            "body = if_not_exists(body, :body)",
            "createdDate = if_not_exists(createdDate, :now)",
        ]
        values: dict[str, Any] = {
            ":status": encode_value(status),
            ":now": encode_value(iso_millis(now)),
            ":ttl": encode_value(int(now.timestamp()) + self._ttl_seconds),
            ":body": encode_value(body),
        }
        for index, (name, value) in enumerate(meta.items()):
            sets.append(f"{name} = :m{index}")
            values[f":m{index}"] = encode_value(value)
        if attempt is not None:
            sets.append("attempts = list_append(if_not_exists(attempts, :none), :attempt)")
            sets.append("attemptCount = if_not_exists(attemptCount, :zero) + :one")
            values.update(
                {
                    ":none": {"L": []},
                    ":attempt": {"L": [encode_value(attempt.as_item())]},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                }
            )
            if attempt.status_code is not None:
                sets.append("lastStatusCode = :code")
                values[":code"] = {"N": str(attempt.status_code)}
        if headers is not None:
            sets.append("headersSent = :headers")
            values[":headers"] = encode_value(headers)
        if delivered_generation is not None:
            sets.append("deliveredGeneration = :gen")
            values[":gen"] = {"N": str(delivered_generation)}
        self._client.update_item(
            TableName=self._table,
            Key=_key(instance_id, notification_id),
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    def mark_dead_lettered(self, instance_id: int, notification_id: str, generation: int) -> None:
        """Record that the notification's message is in the dead-letter queue (after the move succeeded)."""
        self._client.update_item(
            TableName=self._table,
            Key=_key(instance_id, notification_id),
            UpdateExpression="SET deadLetteredGeneration = :gen",
            ExpressionAttributeValues={":gen": {"N": str(generation)}},
        )

    def page(
        self, instance_id: int, *, limit: int, after: str | None, status: str | None = None
    ) -> tuple[list[LoggedNotification], str | None]:
        """Newest first (ids start with the newest event's time): up to `limit` notifications after the one
        named `after`, and the id the next page starts after (None on the last page). With `status`, the query
        reads on until the page is full, at most MAX_PAGE_READS queries: a page may then be short (even
        empty) with a next page to read."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "instanceId = :i AND notificationId < :marks",
            "ExpressionAttributeValues": {":i": {"N": str(instance_id)}, ":marks": {"S": PARKED}},
            "ScanIndexForward": False,
            "Limit": limit + 1,  # one more than the page: whether another page follows is then known
        }
        if status:
            kwargs["FilterExpression"] = "#s = :status"
            kwargs["ExpressionAttributeNames"] = {"#s": "status"}
            kwargs["ExpressionAttributeValues"][":status"] = {"S": status}
        start = _key(instance_id, after) if after else None
        found: list[LoggedNotification] = []
        for _ in range(MAX_PAGE_READS):
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self._client.query(**kwargs)
            found.extend(_from_item(raw) for raw in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if len(found) > limit or not start:
                break
        if len(found) > limit:
            return found[:limit], found[limit - 1].notification_id
        if start and found:  # the reads ran out before the page filled: go on from the last one read
            return found, found[-1].notification_id
        if start:  # nothing matched in MAX_PAGE_READS reads: go on from where the reads stopped
            return found, start["notificationId"]["S"]
        return found, None

    # -- parking marks ----------------------------------------------------------------------------
    def park(self, instance_id: int, notification_id: str, order_ms: int, now: datetime) -> None:
        """Mark a notification parked for redelivery, at `order_ms` in its instance's order (written before its
        status, so no parked notification lacks a mark). A notification marked twice (parked again after a
        crash, or a replayed copy) is sent once: a redelivery sends at its first mark and drops the others."""
        self._client.put_item(
            TableName=self._table,
            Item={
                **_key(instance_id, f"{PARKED}{order_ms:015d}#{notification_id}"),
                "parkedId": {"S": notification_id},
                # Twice the entry's time: a redelivery's writes keep the entry longer than it was parked, and a
                # mark that outlives its entry is removed when a redelivery reaches it.
                "expiresAt": {"N": str(int(now.timestamp()) + 2 * self._ttl_seconds)},
            },
        )

    def parked(self, instance_id: int, *, after: str | None = None, limit: int = 25) -> list[ParkingMark]:
        """The instance's parking marks in order (strongly consistent), from after the mark `after`."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "instanceId = :i AND begins_with(notificationId, :marks)",
            "ExpressionAttributeValues": {":i": {"N": str(instance_id)}, ":marks": {"S": PARKED}},
            "ConsistentRead": True,
            "Limit": limit,
        }
        if after:
            kwargs["ExclusiveStartKey"] = _key(instance_id, after)
        items = self._client.query(**kwargs).get("Items", [])
        return [ParkingMark(instance_id, i["parkedId"]["S"], i["notificationId"]["S"]) for i in items]

    def unpark(self, mark: ParkingMark) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(mark.instance_id, mark.sort_key))

    def read_parked(self, marks: list[ParkingMark]) -> dict[str, LoggedNotification]:
        """The marked notifications' entries with their bodies (strongly consistent), by notification id."""
        if not marks:
            return {}
        keys = [(m.instance_id, m.notification_id) for m in marks]

        def parse(items: list[dict[str, Any]]) -> dict[str, LoggedNotification]:
            return {logged.notification_id: logged for logged in map(_from_item, items)}

        unique = [_key(i, n) for i, n in dict.fromkeys(keys)]
        [found] = read_together(BatchRead(self._client, self._table, unique, parse))
        return found  # type: ignore[no-any-return]
