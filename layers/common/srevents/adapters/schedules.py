"""EventBridge Scheduler: one schedule per instance, targeting the poll function."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from srevents.domain.schedule import ScheduleSpec, schedule_name

RETRY_POLICY = {"MaximumEventAgeInSeconds": 600, "MaximumRetryAttempts": 3}


class ScheduleGateway:
    def __init__(
        self,
        client: Any,
        *,
        group: str,
        target_arn: str,
        role_arn: str,
        dead_letter_arn: str,
        flexible_window_minutes: int = 0,
    ) -> None:
        self._client = client
        self._group = group
        # Scheduler may fire a schedule anywhere within this window after its time: instances created in bulk
        # (a migration) then spread their polls instead of firing together every interval. 0: exactly on time.
        self._window: dict[str, Any] = (
            {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": flexible_window_minutes}
            if flexible_window_minutes
            else {"Mode": "OFF"}
        )
        self._target = {
            "Arn": target_arn,
            "RoleArn": role_arn,
            "RetryPolicy": RETRY_POLICY,
            "DeadLetterConfig": {"Arn": dead_letter_arn},
        }

    def _definition(self, spec: ScheduleSpec) -> dict[str, Any]:
        return {
            "Name": spec.name,
            "GroupName": self._group,
            "ScheduleExpression": spec.expression,
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": self._window,
            "State": "ENABLED" if spec.enabled else "DISABLED",
            "Description": f"Polls SmartRecruiters for instance {spec.instance_id}",
            "Target": {**self._target, "Input": json.dumps({"instanceId": spec.instance_id})},
        }

    def create(self, spec: ScheduleSpec) -> None:
        self._client.create_schedule(**self._definition(spec))

    def update(self, spec: ScheduleSpec) -> None:
        """Update in place (Scheduler replaces the whole definition; we always send all of it)."""
        self._client.update_schedule(**self._definition(spec))

    def delete(self, instance_id: int) -> None:
        try:
            self._client.delete_schedule(Name=schedule_name(instance_id), GroupName=self._group)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise

    def apply(self, before: ScheduleSpec | None, after: ScheduleSpec | None) -> None:
        """Move from one desired schedule to another with the fewest calls.

        A schedule that drifted (deleted by hand, or left over) is repaired rather than reported.
        """
        if before == after:
            return
        if after is None:
            assert before is not None
            self.delete(before.instance_id)
            return
        try:
            self.create(after) if before is None else self.update(after)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "ConflictException":
                self.update(after)
            elif code == "ResourceNotFoundException":
                self.create(after)
            else:
                raise

    def get(self, instance_id: int) -> dict[str, Any] | None:
        try:
            return self._client.get_schedule(Name=schedule_name(instance_id), GroupName=self._group)  # type: ignore[no-any-return]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise
