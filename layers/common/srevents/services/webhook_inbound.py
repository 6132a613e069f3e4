"""The inbound route for SmartRecruiters' callbacks: `POST /events/smartrecruiters/{instanceId}`.

It is public, so it trusts nothing it is sent: a callback is accepted only when its signature matches one of
the instance's live subscription keys and its timestamp is fresh (domain/webhook_signature.py). Everything
else is a 401 that says no more than "refused" (the reason goes to the log), and touches no state. An
accepted callback is handed to the poll function (asynchronous invoke) and answered 202 at once: the worker
(services/webhook_worker.py) fetches the record and enqueues the notification.

The `X-Hook-Secret` handshake is answered (200, the header echoed) only while the instance's subscription is
being activated (adapters/webhook_activations.py): the instance is not stored yet at that point.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.poll_trigger import PollTrigger
from srevents.adapters.secrets import SecretBox
from srevents.adapters.webhook_activations import WebhookActivations
from srevents.clock import Clock, to_millis
from srevents.domain.poller_config import POLLER_CONFIGURATION
from srevents.domain.webhook_signature import (
    EVENT_ID_HEADER,
    EVENT_NAME_HEADER,
    EVENT_VERSION_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    lower_headers,
    precheck,
    verify,
)
from srevents.domain.webhooks import callback_target
from srevents.observability import logger
from srevents.services.webhook_subscriptions import open_keys

HOOK_SECRET_HEADER = "x-hook-secret"  # noqa: S105 - a header name, not a secret
MAX_HOOK_SECRET = 512


@dataclass(frozen=True)
class InboundAnswer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


REFUSED = InboundAnswer(401, {"message": "callback refused"})


class WebhookInbound:
    def __init__(
        self,
        *,
        instances: InstancesStore,
        activations: WebhookActivations,
        secret_box: SecretBox,
        trigger: PollTrigger,
        clock: Clock,
    ) -> None:
        self._instances = instances
        self._activations = activations
        self._secret_box = secret_box
        self._trigger = trigger
        self._clock = clock

    def receive(self, instance_id: int, headers: Mapping[str, str] | None, body: bytes) -> InboundAnswer:
        lowered = lower_headers(headers)
        now_ms = to_millis(self._clock.now())
        if HOOK_SECRET_HEADER in lowered:
            return self._handshake(instance_id, lowered[HOOK_SECRET_HEADER], now_ms)
        early = precheck(lowered, now_ms)
        if not early.ok:  # before any read or decryption: junk costs nothing
            return _refuse(instance_id, early.reason)
        instance = self._instances.get(instance_id)
        if instance is None or not instance.webhook or not instance.webhook_secrets:
            return _refuse(instance_id, "no webhook subscription for this instance")
        try:
            keys = open_keys(self._secret_box, instance.id, instance.webhook_secrets)
        except Exception as error:  # a blob that does not open: refused like any other failure, and logged
            return _refuse(instance_id, f"secret keys could not be opened ({type(error).__name__})")
        verdict = verify(lowered, body, keys, now_ms)
        if not verdict.ok:
            return _refuse(instance_id, verdict.reason)
        event_name = lowered.get(EVENT_NAME_HEADER, "")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        resources = list(instance.configuration.get(POLLER_CONFIGURATION) or ())
        target = callback_target(event_name, payload, resources)
        log = {"instance_id": instance_id, "event_name": event_name[:100]}
        if target is None:
            logger.info("webhook callback ignored: no configured resource or no usable id", extra=log)
            return InboundAnswer(202, {"accepted": True})
        # SmartRecruiters repeats an event-id when it sends a callback again; without one, the signed content
        # names the callback.
        event_id = lowered.get(EVENT_ID_HEADER) or hashlib.sha256(lowered[SIGNATURE_HEADER].encode()).hexdigest()
        self._trigger.webhook(
            instance_id,
            {
                "eventId": event_id[:200],
                "eventName": event_name,
                "eventVersion": lowered.get(EVENT_VERSION_HEADER, "")[:50],
                "timestamp": int(lowered[TIMESTAMP_HEADER]),
                "receivedMs": now_ms,
                "body": payload,
            },
        )
        logger.info("webhook callback accepted", extra={**log, "object_id": target.object_id})
        return InboundAnswer(202, {"accepted": True})

    def _handshake(self, instance_id: int, secret: str, now_ms: int) -> InboundAnswer:
        if not secret or len(secret) > MAX_HOOK_SECRET or not secret.isprintable():
            return _refuse(instance_id, "malformed X-Hook-Secret")
        if not self._activations.is_open(instance_id, now_ms // 1000):
            return _refuse(instance_id, "X-Hook-Secret handshake while no activation is under way")
        logger.info("webhook activation handshake answered", extra={"instance_id": instance_id})
        return InboundAnswer(200, {"activated": True}, {"X-Hook-Secret": secret})


def _refuse(instance_id: int, reason: str) -> InboundAnswer:
    logger.warning("webhook callback refused", extra={"instance_id": instance_id, "reason": reason})
    return REFUSED
