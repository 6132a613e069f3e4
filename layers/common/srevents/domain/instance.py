"""An element instance as stored, and as the API shows it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from srevents.domain.failure_policy import Redelivery
from srevents.domain.instance_config import (
    ENABLED,
    KEPT,
    REFRESH_INTERVAL,
    InstanceSpec,
    masked_configuration,
)
from srevents.domain.resources import ELEMENT_KEY, ELEMENT_NAME, HUB
from srevents.domain.schedule import ScheduleSpec, schedule_for


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

    @property
    def events_enabled(self) -> bool:
        return bool(self.configuration.get(ENABLED))

    @property
    def refresh_interval(self) -> int:
        return int(self.configuration[REFRESH_INTERVAL])

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
