"""One attempt to deliver a notification: sign it, POST it to the instance's callback, record what happened.

Shared by the queue's deliverer (services/deliver_service.py) and the API's retry route, which needs nothing
else: no queue, no batch processor.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from srevents.adapters.delivery_log import Attempt, DeliveryLog
from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.secrets import SecretBox
from srevents.clock import Clock, iso_millis
from srevents.domain.delivery_status import DELIVERED, GONE, NO_CALLBACK, DeliveryResult
from srevents.domain.instance import Instance
from srevents.domain.instance_config import CALLBACK_URL, SIGNATURE_KEY
from srevents.domain.redaction import redact
from srevents.domain.signing import signature_headers
from srevents.errors import NotFound


class Sender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryResult: ...


class CallbackAttempts:
    def __init__(
        self, *, instances: InstancesStore, log: DeliveryLog, secret_box: SecretBox, sender: Sender, clock: Clock
    ) -> None:
        self._instances = instances
        self._log = log
        self._secrets = secret_box
        self._sender = sender
        self._clock = clock

    def retry_now(self, instance: Instance, notification_id: str) -> dict[str, Any]:
        """Deliver a logged notification again right now (the API's retry route), also from FAILED."""
        logged = self._log.get(instance.id, notification_id)
        if logged is None:
            raise NotFound(f"notification {notification_id[:64]} not found")
        result, headers = self.post(instance, notification_id, logged.body)
        generation = int(logged.item.get("generation", 0))
        if result.ok:
            status, outcome = DELIVERED, "delivered"
        elif result.status_code == 410:
            status, outcome = GONE, "gone"
            self.suspend(instance, notification_id)
        else:  # a failed manual retry leaves the status as it was (FAILED stays FAILED)
            status, outcome = logged.status, "failed"
        attempt_no = int(logged.item.get("attemptCount", 0)) + 1
        attempt = self.attempt(result, attempt_no, outcome, generation, trigger="manual")
        self.record(
            instance.id,
            notification_id,
            logged.body,
            status,
            {},
            attempt,
            headers,
            delivered_generation=generation if result.ok else None,
        )
        return {"notificationId": notification_id, "status": status, "attempt": attempt.as_item()}

    def post(self, instance: Instance, notification_id: str, body: str) -> tuple[DeliveryResult, dict[str, str]]:
        """Sign and POST the body to the instance's callback URL; the result and the headers sent."""
        url = instance.configuration.get(CALLBACK_URL)
        key = None
        if SIGNATURE_KEY in instance.secret_names:
            key = self._secrets.open(instance.id, instance.secrets_ciphertext).get(SIGNATURE_KEY)
        payload = body.encode("utf-8")
        headers = signature_headers(key, notification_id, int(self._clock.now().timestamp()), payload)
        if not url:
            return NO_CALLBACK, headers
        result = self._sender.post(url, payload, headers)
        if key and (result.response_excerpt or result.error):  # a receiver echoing the shared key: not stored
            result = replace(
                result,
                response_excerpt=redact(result.response_excerpt, [key]),
                error=redact(result.error, [key]) if result.error else None,
            )
        return result, headers

    def attempt(
        self, result: DeliveryResult, attempt_no: int, outcome: str, generation: int, trigger: str = "queue"
    ) -> Attempt:
        return Attempt(
            at=iso_millis(self._clock.now()),
            attempt=attempt_no,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=result.error,
            response=result.response_excerpt,
            outcome=outcome,
            trigger=trigger,
            generation=generation,
        )

    def record(
        self,
        instance_id: int,
        notification_id: str,
        body: str,
        status: str,
        meta: dict[str, Any],
        attempt: Attempt | None,
        headers: dict[str, str] | None = None,
        delivered_generation: int | None = None,
    ) -> None:
        """Write the notification's status (and the attempt, if any) to the delivery log."""
        self._log.record(
            instance_id,
            notification_id,
            status=status,
            now=self._clock.now(),
            body=body,
            meta=meta,
            attempt=attempt,
            headers=headers,
            delivered_generation=delivered_generation,
        )

    def suspend(self, instance: Instance, notification_id: str) -> None:
        """Suspend the instance's notifications: its callback answered 410 Gone."""
        reason = f"the callback answered 410 Gone to notification {notification_id} at {iso_millis(self._clock.now())}"
        self._instances.suspend_notifications(instance.id, reason)
