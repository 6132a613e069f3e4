"""Callbacks whose asynchronous invocations all failed (docs/DESIGN.md, "Real time"): Lambda's `OnFailure`
destination puts a record of each on the webhook retry queue, whose event source runs the poll function on
it, and the worker gets the callback again. A callback that fails again goes back to the queue (retried
after the queue's visibility timeout, dead-lettered after its receive count); a repeat of one sent meanwhile
is dropped by its event-id, as any repeated callback.

The queue also receives the record of a failed scheduled poll or poll-now (they are asynchronous invokes of
the same function): those are dropped, the next firing polls again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from srevents.observability import logger
from srevents.services.webhook_worker import Callback


def _failed_callback(body: str) -> tuple[int, Callback] | None:
    """The instance and callback of one destination record (`requestPayload` is the original event), or None
    for a record that carries none."""
    try:
        record = json.loads(body)
    except ValueError:
        return None
    payload = record.get("requestPayload") if isinstance(record, dict) else None
    if not isinstance(payload, dict) or not isinstance(payload.get("webhook"), dict):
        return None
    instance_id = payload.get("instanceId")
    if isinstance(instance_id, bool) or not isinstance(instance_id, int | str) or not str(instance_id).isdigit():
        return None
    return int(instance_id), Callback.from_event(payload["webhook"])


def retry_failed_callbacks(records: Iterable[dict[str, Any]], handle: Callable[[int, Callback], str]) -> list[str]:
    """Run the worker (`handle`) on each record's callback, in order; the message ids of those that failed."""
    failed: list[str] = []
    for record in records:
        found = _failed_callback(str(record.get("body", "")))
        if found is None:
            logger.info("failed invocation without a callback dropped: the next firing polls again")
            continue
        instance_id, callback = found
        try:
            outcome = handle(instance_id, callback)
        except Exception as error:
            logger.warning(
                "webhook callback failed again; back to the retry queue",
                extra={"instance_id": instance_id, "error": type(error).__name__},
            )
            failed.append(str(record["messageId"]))
            continue
        logger.info("webhook callback retried", extra={"instance_id": instance_id, "outcome": outcome})
    return failed
