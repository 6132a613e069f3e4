"""Counting what a case did: changes made at SmartRecruiters, and what reached the receiver.

A *version* is one state of one record: (object type, id, updatedOn). Every change a test makes in the
simulator is a new version; every event the receiver gets (in a 2xx answer) names one. Per instance:

- lost: versions made after the instance was created that never reached the receiver;
- duplicates: a version that reached the receiver under two different notification ids, or a notification
  id that reached it twice in a case with no crash (a re-send of the same id after a crash is counted
  apart, as a re-send: receivers deduplicate by id, README "Verifying our callbacks");
- order violations: first deliveries, in arrival order, carrying an event older than one the same instance
  already received for the same object type (a poll emits oldest first, and each poll's changes are newer
  than the last one's, so the received dates of one instance and type must never go back);
- phantoms: events naming a version nobody made (must be none);
- bad signatures: notifications whose `Elements-Webhook-Signature` or Standard Webhooks signature does not
  verify with the instance's key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from devstack.receiver import Received, verify_elements

Version = tuple[str, str, str]  # (object type, object id, updatedOn)


@dataclass
class Delivery:
    instance_id: int
    notification_id: str
    versions: list[Version]
    manual: bool = False


@dataclass
class Tally:
    changes: int = 0  # (instance, version) pairs that should arrive
    delivered: int = 0  # distinct (instance, version) pairs that arrived
    notifications: int = 0  # distinct notification ids that arrived
    lost: int = 0
    duplicates: int = 0
    resends: int = 0
    order_violations: int = 0
    phantoms: int = 0
    bad_signatures: int = 0
    missing: list[tuple[int, Version]] = field(default_factory=list)

    def as_row(self) -> dict[str, int]:
        return {
            "changes": self.changes,
            "delivered": self.delivered,
            "notifications": self.notifications,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "resends": self.resends,
            "order_violations": self.order_violations,
        }


class Ledger:
    def __init__(self, signature_key: str) -> None:
        self.signature_key = signature_key
        self.made: list[Version] = []
        self.subscribed: dict[int, int] = {}  # instance id → index into `made` from which it should see changes
        self.manual_ids: set[str] = set()

    def subscribe(self, instance_id: int) -> None:
        self.subscribed[instance_id] = len(self.made)

    def record(self, object_type: str, record: dict[str, Any]) -> Version:
        version = (object_type, str(record["id"]), str(record["updatedOn"]))
        self.made.append(version)
        return version

    def tally(self, received: list[Received], *, crashed: bool = False) -> Tally:
        deliveries = [d for d in map(self._delivery, received) if d is not None]
        made = set(self.made)
        tally = Tally()
        tally.bad_signatures = sum(1 for r in received if 200 <= r.status < 300 and not self._signed(r))
        ids_of: dict[tuple[int, Version], set[str]] = defaultdict(set)
        seen_ids: Counter[tuple[int, str]] = Counter()
        newest: dict[tuple[int, str], str] = {}
        for delivery in deliveries:
            key = (delivery.instance_id, delivery.notification_id)
            seen_ids[key] += 1
            first = seen_ids[key] == 1
            for version in delivery.versions:
                ids_of[(delivery.instance_id, version)].add(delivery.notification_id)
                if version not in made:
                    tally.phantoms += 1
                if not first or delivery.manual:
                    continue
                stream = (delivery.instance_id, version[0])
                if version[2] < newest.get(stream, ""):
                    tally.order_violations += 1
                newest[stream] = max(newest.get(stream, ""), version[2])
        tally.resends = sum(n - 1 for n in seen_ids.values())
        tally.notifications = len(seen_ids)
        tally.duplicates = sum(len(ids) - 1 for ids in ids_of.values()) + (0 if crashed else tally.resends)
        expected = [(i, v) for i, start in self.subscribed.items() for v in self.made[start:]]
        tally.changes = len(expected)
        tally.delivered = sum(1 for pair in set(expected) if pair in ids_of)
        tally.missing = [pair for pair in expected if pair not in ids_of]
        tally.lost = len(tally.missing)
        return tally

    def _delivery(self, received: Received) -> Delivery | None:
        if not 200 <= received.status < 300:
            return None
        body = json.loads(received.body)
        message = body["message"]
        versions = [(e["objectType"], e["objectId"], e["date"]) for e in message["events"]]
        nid = received.notification_id
        return Delivery(int(message["instanceId"]), nid, versions, manual=nid in self.manual_ids)

    def _signed(self, received: Received) -> bool:
        headers = received.headers
        if not verify_elements(self.signature_key, received.body, headers.get("elements-webhook-signature")):
            return False
        # The Standard Webhooks signature, checked without the receiver's wall-clock tolerance: the
        # deliverer stamps it with the simulated clock.
        signed = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + received.body
        digest = hmac.new(self.signature_key.encode(), signed, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        return any(hmac.compare_digest(expected, s) for s in headers.get("webhook-signature", "").split())
