"""The poll schedules' flexible time window: a deployment setting that spreads bulk-created instances' polls."""

from __future__ import annotations

from typing import Any

from srevents.adapters.schedules import ScheduleGateway
from srevents.domain.schedule import schedule_for


class Recording:
    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []

    def create_schedule(self, **definition: Any) -> None:
        self.created.append(definition)


def gateway(client: Recording, minutes: int) -> ScheduleGateway:
    return ScheduleGateway(
        client,
        group="g",
        target_arn="arn:f",
        role_arn="arn:r",
        dead_letter_arn="arn:q",
        flexible_window_minutes=minutes,
    )


def test_no_window_by_default_polls_fire_on_time() -> None:
    client = Recording()
    spec = schedule_for(7, True, False, 15)
    assert spec is not None
    gateway(client, 0).create(spec)
    assert client.created[0]["FlexibleTimeWindow"] == {"Mode": "OFF"}


def test_a_window_lets_scheduler_spread_the_polls() -> None:
    client = Recording()
    spec = schedule_for(7, True, False, 15)
    assert spec is not None
    gateway(client, 5).create(spec)
    assert client.created[0]["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}
