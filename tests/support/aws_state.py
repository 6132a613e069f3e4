"""Everything the stack holds, as plain data, so a test can assert that a request changed nothing."""

from __future__ import annotations

from typing import Any

import boto3

from devstack.aws_resources import StackResources


def snapshot(resources: StackResources) -> dict[str, Any]:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    scheduler = boto3.client("scheduler", region_name="us-east-1")
    tables = {}
    for logical in ("InstancesTable", "PollerStateTable", "NotificationsTable"):
        name = resources.refs[logical]
        items = dynamodb.scan(TableName=name)["Items"]
        tables[logical] = sorted(items, key=repr)
    group = resources.refs["PollerScheduleGroup"]
    schedules = sorted(s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"])
    return {"tables": tables, "schedules": schedules}


def schedule(resources: StackResources, instance_id: int) -> dict[str, Any] | None:
    scheduler = boto3.client("scheduler", region_name="us-east-1")
    try:
        return scheduler.get_schedule(Name=f"instance-{instance_id}", GroupName=resources.refs["PollerScheduleGroup"])
    except scheduler.exceptions.ResourceNotFoundException:
        return None


def instance_item(resources: StackResources, instance_id: int) -> dict[str, Any] | None:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    response = dynamodb.get_item(
        TableName=resources.refs["InstancesTable"], Key={"pk": {"S": f"INSTANCE#{instance_id}"}}
    )
    return response.get("Item")
