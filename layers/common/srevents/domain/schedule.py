"""The poller's schedule, as data: one EventBridge Scheduler schedule per instance with events on."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")


def rate_expression(minutes: int) -> str:
    """`rate(1 minute)` / `rate(15 minutes)`; Scheduler insists on the singular for 1."""
    if not 1 <= minutes <= 1440:
        raise ValueError(f"interval must be 1..1440 minutes, got {minutes}")
    return "rate(1 minute)" if minutes == 1 else f"rate({minutes} minutes)"


def rate_seconds(expression: str) -> int:
    """Seconds between firings of a `rate(...)` expression (used by the local scheduler loop)."""
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"not a rate expression: {expression!r}")
    value, unit = int(match.group(1)), match.group(2)
    if value < 1 or (value == 1) != (not unit.endswith("s")):
        raise ValueError(f"not a valid rate expression: {expression!r}")
    return value * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]


def schedule_name(instance_id: int) -> str:
    return f"instance-{instance_id}"


@dataclass(frozen=True)
class ScheduleSpec:
    instance_id: int
    interval_minutes: int
    enabled: bool

    @property
    def name(self) -> str:
        return schedule_name(self.instance_id)

    @property
    def expression(self) -> str:
        return rate_expression(self.interval_minutes)


def schedule_for(instance_id: int, events_enabled: bool, disabled: bool, interval: int) -> ScheduleSpec | None:
    """The schedule an instance should have: none without events; disabled while the instance is."""
    if not events_enabled:
        return None
    return ScheduleSpec(instance_id, interval, enabled=not disabled)
