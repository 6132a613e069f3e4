"""The simulated SmartRecruiters Webhooks API: subscriptions, activation, secret keys, callbacks.

`SimulatorStore.webhooks` is one of these, listening to the store's changes: every record change
becomes the vendor's events (webhook_events.py), and each event is queued for every active
subscription that names it (callbacks.py sends them from background threads, never inside the
request or call that made the change). The HTTP side is webhooks_api.py.
"""

from __future__ import annotations

import random
from typing import Any

from devstack.smartrecruiters.callbacks import CallbackSender, WebhookTimings, handshake
from devstack.smartrecruiters.faults import CallbackFaults
from devstack.smartrecruiters.records import RecordChange
from devstack.smartrecruiters.subscriptions import Subscription, Subscriptions, WebhookError
from devstack.smartrecruiters.webhook_events import events_for
from srevents.clock import Clock


class Webhooks:
    """Subscriptions, their callbacks and the callback faults of one simulated company. Thread-safe."""

    def __init__(self, clock: Clock, base_url: str, rng: random.Random, timings: WebhookTimings | None = None) -> None:
        self._clock = clock
        self._base_url = base_url
        self.subscriptions = Subscriptions()
        self.faults = CallbackFaults(rng)
        self.sender = CallbackSender(self.subscriptions, clock, timings or WebhookTimings(), self.faults)

    @property
    def timings(self) -> WebhookTimings:
        return self.sender.timings

    # --- the store's on-change listener ---------------------------------------------------------
    def record_changed(self, change: RecordChange) -> None:
        """Queues the change's events for the subscriptions that want them. Fast: runs under the store's lock."""
        for event in events_for(change, self._base_url):
            targets = [s.id for s in self.subscriptions.active_for(event.name)]
            if targets:
                self.sender.enqueue(event, targets)

    # --- the API's operations -------------------------------------------------------------------
    def subscribe(self, owner: str, request: dict[str, Any]) -> Subscription:
        return self.subscriptions.create(owner, request)

    def activate(self, owner: str, subscription_id: str) -> None:
        """The vendor's handshake, in the caller's thread (the activation request waits for it): 409 when
        active already, 424 when the callback URL does not answer 200 with the same X-Hook-Secret."""
        subscription = self.subscriptions.check_inactive(owner, subscription_id)
        reason = handshake(subscription, self.timings.handshake_timeout)
        if reason is not None:
            raise WebhookError(424, "HANDSHAKE_FAILED", f"Webhook activation handshake failed: {reason}")
        self.subscriptions.activate(owner, subscription_id)

    def delete(self, owner: str, subscription_id: str) -> None:
        self.subscriptions.delete(owner, subscription_id)
        self.sender.forget(subscription_id)

    def new_secret_key(self, owner: str, subscription_id: str) -> str:
        return self.subscriptions.new_secret_key(owner, subscription_id, self._clock.now())

    # --- for tests and the control endpoints ----------------------------------------------------
    def overview(self) -> list[dict[str, Any]]:
        """Every subscription as the vendor shows it, plus how many secret keys are valid now (no secrets)."""
        now = self._clock.now()
        return [{**s.public(), "validSecretKeys": len(s.valid_keys(now))} for s in self.subscriptions.all()]

    def callbacks(self) -> list[dict[str, Any]]:
        """Every callback attempt (and dropped callback), oldest first; see CallbackSender.log."""
        return self.sender.log()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self.sender.wait_idle(timeout)

    def close(self) -> None:
        self.sender.close()
