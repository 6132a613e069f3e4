"""A webhook instance with `includeDeleted`: a deletion kept pending by the webhook path (notifications were
suspended when its callback came) and read again from the audit log by the next poll is sent once."""

from __future__ import annotations

import boto3

from srevents.adapters.instances_store import InstancesStore
from tests.integration.test_poller import with_candidates
from tests.support.webhook_harness import WebhookHarness


def _sent(h: WebhookHarness) -> list[tuple[str, str]]:
    return [(e["eventType"], e["objectId"]) for e in h.poll.events(h.poll.drain())]


def test_a_deletion_pending_from_a_callback_and_read_in_the_audit_log_is_sent_once(webhooks: WebhookHarness) -> None:
    # Given a webhook instance that also reads the audit log, and two candidates delivered
    h = webhooks
    instance_id = h.create_instance(**with_candidates(includeDeleted=True))
    h.poll.clock.advance(5)
    x = h.store.create_candidate(firstName="X")
    h.store.create_candidate(firstName="Y")
    h.settle()
    h.poll.drain()

    # When one is deleted while the instance's notifications are suspended (the callback's deletion is kept
    # pending), then a new callback URL resumes them and the next poll reads the same deletion in the audit log
    store = InstancesStore(boto3.client("dynamodb", region_name="us-east-1"), h.poll.settings.instances_table)
    store.suspend_notifications(instance_id, "410 Gone")
    h.poll.clock.advance(5)
    h.store.delete_candidate(x["id"])
    h.settle()
    assert h.poll.state(instance_id)["candidates"].pending_deletions
    configuration = {"event.notification.callback.url": "http://127.0.0.1:9/other"}
    h.poll.instances.patch(h.poll.caller, instance_id, {"configuration": configuration}, h.public_url)
    h.poll.clock.advance(120)
    h.poll.poll(instance_id)

    # Then its DELETED goes out once
    assert _sent(h).count(("DELETED", x["id"])) == 1
