"""The local stack's scheduler loop (devstack/stack.py) against moto's Scheduler: what it reads, what it fires."""

from __future__ import annotations

import json
from typing import Any

import boto3

from devstack.aws_resources import StackResources
from devstack.stack import SchedulerLoop


class CountingScheduler:
    """moto's Scheduler client, counting GetSchedule calls."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.gets = 0

    def get_paginator(self, name: str) -> Any:
        return self._client.get_paginator(name)

    def get_schedule(self, **kwargs: Any) -> Any:
        self.gets += 1
        return self._client.get_schedule(**kwargs)


class Collect:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def submit(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def create(client: Any, group: str, name: str, minutes: int) -> None:
    client.create_schedule(
        Name=name,
        GroupName=group,
        ScheduleExpression=f"rate({minutes} minutes)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:lambda:us-east-1:123456789012:function:poll",
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": json.dumps({"instanceId": int(name.rsplit("-", 1)[1])}),
        },
    )


def test_a_schedule_is_read_again_only_when_it_changed(aws: StackResources) -> None:
    # Given two stored schedules
    client = boto3.client("scheduler", region_name="us-east-1")
    group = aws.refs["PollerScheduleGroup"]
    create(client, group, "instance-1", 15)
    create(client, group, "instance-2", 15)
    counting = CountingScheduler(client)
    loop = SchedulerLoop(counting, group, Collect(), time_scale=60)  # type: ignore[arg-type]

    # When the loop refreshes twice, then once more after one schedule changed
    loop.refresh(0.0)
    loop.refresh(1.0)
    unchanged = counting.gets
    client.update_schedule(
        Name="instance-2",
        GroupName=group,
        ScheduleExpression="rate(30 minutes)",
        State="ENABLED",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=client.get_schedule(Name="instance-2", GroupName=group)["Target"],
    )
    loop.refresh(2.0)

    # Then each schedule was read once, and the changed one again, with its new rate
    assert unchanged == 2
    assert counting.gets == 3
    assert loop.firings["instance-2"].interval == 30 * 60 / 60
    assert loop.firings["instance-1"].interval == 15 * 60 / 60
