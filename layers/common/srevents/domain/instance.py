"""An element instance as stored, and as the API shows it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from srevents.domain.failure_policy import Redelivery
from srevents.domain.instance_config import (
    ENABLED,
    KEPT,
    REFRESH_INTERVAL,
    VENDOR_TYPE,
    InstanceSpec,
    masked_configuration,
)
from srevents.domain.poller_config import POLLER_CONFIGURATION
from srevents.domain.resources import ELEMENT_KEY, ELEMENT_NAME, HUB
from srevents.domain.schedule import ScheduleSpec, schedule_for
from srevents.domain.webhooks import WEBHOOK, subscription_events


@dataclass(frozen=True)
class Instance:
    id: int
    organization_id: int
    created_by: int
    name: str
    tags: tuple[str, ...]
    configuration: dict[str, Any]
    secret_names: tuple[str, ...]
    secrets_ciphertext: bytes
    token_hash: str
    created_date: str
    updated_date: str
    disabled: bool = False
    version: int = 1
    notifications_suspended: str | None = None  # why notifications are suspended (a 410 Gone)
    push_paused: str | None = None  # why push is paused (a notification failed its last retry): QUEUED
    redelivery: Redelivery | None = None  # a redelivery of parked notifications under way
    extra: dict[str, Any] = field(default_factory=dict)
    # Real time: the SmartRecruiters subscription (`subscriptionId`, `events`, `callbackUrl`, `status`,
    # `activatedDate`), and its secret keys sealed as the other secrets are (adapters/secrets.py).
    webhook: dict[str, Any] | None = None
    webhook_secrets: bytes | None = None
    # Subscriptions this instance no longer uses whose deletion failed: retried at its next change or DELETE.
    stale_subscriptions: tuple[str, ...] = ()

    @property
    def events_enabled(self) -> bool:
        return bool(self.configuration.get(ENABLED))

    @property
    def refresh_interval(self) -> int:
        return int(self.configuration[REFRESH_INTERVAL])

    @property
    def is_webhook(self) -> bool:
        return self.configuration.get(VENDOR_TYPE) == WEBHOOK

    @property
    def wanted_subscription_events(self) -> tuple[str, ...]:
        """The webhook events this instance should be subscribed to now (none: no subscription)."""
        if not self.is_webhook or not self.events_enabled or self.disabled:
            return ()
        return subscription_events(list(self.configuration.get(POLLER_CONFIGURATION) or ()))

    @property
    def schedule(self) -> ScheduleSpec | None:
        return schedule_for(self.id, self.events_enabled, self.disabled, self.refresh_interval)

    def spec(self) -> InstanceSpec:
        """The instance as a validatable spec, its secrets KEPT (no decryption needed to patch)."""
        return InstanceSpec(self.name, self.tags, dict(self.configuration), {n: KEPT for n in self.secret_names})

    def with_changes(self, **changes: Any) -> Instance:
        return replace(self, **changes)


def present(instance: Instance, *, token: str | None = None) -> dict[str, Any]:
    """The vendor-shaped instance for API responses: every secret masked, the token only at creation."""
    body: dict[str, Any] = {
        "id": instance.id,
        "name": instance.name,
        "createdDate": instance.created_date,
        "updatedDate": instance.updated_date,
        "element": {"key": ELEMENT_KEY, "name": ELEMENT_NAME, "hub": HUB},
        "tags": list(instance.tags),
        "eventsEnabled": instance.events_enabled,
        "disabled": instance.disabled,
        "valid": True,
        "notificationsSuspended": instance.notifications_suspended is not None,
        "configuration": masked_configuration(instance.configuration, instance.secret_names),
    }
    if instance.notifications_suspended:
        body["notificationsSuspendedReason"] = instance.notifications_suspended
    body["pushPaused"] = instance.push_paused is not None
    if instance.push_paused:
        body["pushPausedReason"] = instance.push_paused
    if token is not None:
        body["token"] = token
    return body
