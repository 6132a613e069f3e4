"""The poller as the API shows and steers it: status, poll now, replay."""

from __future__ import annotations

from typing import Any

from srevents.adapters.poll_trigger import PollTrigger
from srevents.adapters.poller_state_store import PollerStateStore
from srevents.clock import Clock, iso_millis, to_millis
from srevents.domain.instance import Instance
from srevents.domain.poller_config import resource_configs
from srevents.domain.poller_state import ResourceState, present_state
from srevents.domain.since import parse_since
from srevents.errors import Conflict, ValidationError


class PollerControl:
    def __init__(self, *, poller_state: PollerStateStore, trigger: PollTrigger, clock: Clock) -> None:
        self._state = poller_state
        self._trigger = trigger
        self._clock = clock

    def status(self, instance: Instance) -> dict[str, Any]:
        snapshot = self._state.read(instance.id)
        lease_held = bool(snapshot.lease_expires_ms and snapshot.lease_expires_ms > to_millis(self._clock.now()))
        resources = []
        for config in resource_configs(instance.configuration):
            shown = present_state(config.name, snapshot.resources.get(config.name, ResourceState()))
            if shown["watermark"] is None:
                shown["watermark"] = instance.created_date  # the first poll starts from the creation time
            resources.append(shown)
        return {
            "instanceId": instance.id,
            "eventsEnabled": instance.events_enabled,
            "disabled": instance.disabled,
            "notificationsSuspended": instance.notifications_suspended is not None,
            "notificationsSuspendedReason": instance.notifications_suspended,
            "pushPaused": instance.push_paused is not None,
            "pushPausedReason": instance.push_paused,
            "redelivery": (
                {
                    "status": list(instance.redelivery.statuses),
                    "since": instance.redelivery.since,
                    "requestedAt": instance.redelivery.requested_at,
                }
                if instance.redelivery
                else None
            ),
            "refreshInterval": instance.refresh_interval,
            "pollInProgress": lease_held,
            "resources": resources,
            "webhook": _subscription(instance, resources),
        }

    def poll_now(self, instance: Instance) -> dict[str, Any]:
        if not instance.events_enabled:
            raise Conflict("events are not enabled for this instance: set event.notification.enabled first")
        if instance.disabled:
            raise Conflict("the instance is disabled: enable it first")
        self._trigger.trigger(instance.id)
        return {"instanceId": instance.id, "status": "poll requested"}

    def replay(self, instance: Instance, body: Any) -> dict[str, Any]:
        """Move watermarks back so changes since `since` are emitted again (same ids for same versions)."""
        if not isinstance(body, dict):
            raise ValidationError("body", "must be a JSON object with since and, optionally, resources")
        unknown = set(body) - {"since", "resources"}
        if unknown:
            raise ValidationError(sorted(unknown)[0], "is not a replay field (known: since, resources)")
        now = self._clock.now()
        if "since" not in body:
            raise ValidationError("since", "is required: an ISO-8601 date-time such as 2026-11-01T00:00:00Z")
        since = parse_since(body["since"], now)
        configured = [c.name for c in resource_configs(instance.configuration)]
        wanted = body.get("resources", configured)
        if not isinstance(wanted, list) or not wanted or not all(isinstance(r, str) for r in wanted):
            raise ValidationError("resources", "must be a non-empty list of resource names")
        for index, name in enumerate(wanted):
            if name not in configured:
                raise ValidationError(
                    f"resources[{index}]", f"is not polled by this instance (polled: {', '.join(configured)})"
                )
        snapshot = self._state.read(instance.id)
        if not snapshot.resources and snapshot.lease_owner is None:
            self._state.ensure_item(instance.id)
        changed = {}
        for name in dict.fromkeys(wanted):
            state = snapshot.resources.get(name, ResourceState())
            changed[name] = state.with_changes(
                watermark=since, remembered={}, cursor=None, replay_generation=state.replay_generation + 1
            )
        if not self._state.replace_resources(instance.id, changed, to_millis(now)):
            raise Conflict("a poll is running for this instance; replay again in a moment")
        return {"instanceId": instance.id, "since": iso_millis(since), "resources": list(changed)}


def _subscription(instance: Instance, resources: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A webhook instance's subscription and its callbacks (None for a polling instance)."""
    if not instance.is_webhook:
        return None
    webhook = instance.webhook or {}
    last = [r["lastCallback"] for r in resources if r.get("lastCallback")]
    errors = [r["lastWebhookError"] for r in resources if r.get("lastWebhookError")]
    return {
        "status": webhook.get("status", "inactive"),
        "subscriptionId": webhook.get("subscriptionId"),
        "events": webhook.get("events", []),
        "callbackUrl": webhook.get("callbackUrl"),
        "activatedDate": webhook.get("activatedDate"),
        "lastCallback": max(last) if last else None,
        "callbacks": sum(r.get("callbacks", 0) for r in resources),
        "webhookEvents": sum(r.get("webhookEvents", 0) for r in resources),
        "caughtByReconciliation": sum(r.get("caughtByReconciliation", 0) for r in resources),
        "consecutiveFailures": sum(r.get("webhookFailures", 0) for r in resources),
        "lastError": errors[0] if errors else None,
    }
