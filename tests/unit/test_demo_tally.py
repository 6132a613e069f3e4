"""The local stack's demo summary counts deletions as versions (devstack/demo.py)."""

from __future__ import annotations

from devstack.demo import Tallies, Tally


def deletion(entity_id: str, date: str) -> dict[str, str]:
    return {"eventName": "CANDIDATE_DELETED", "entityId": entity_id, "eventDate": date}


def test_a_delivered_deletion_is_a_delivered_version_and_a_second_delivery_a_duplicate() -> None:
    # Given a candidate made, then deleted
    tally = Tally(grace_seconds=0)
    tally.changed("candidates", {"id": "c-1", "updatedOn": "2026-11-29T10:00:00.000Z"})
    tally.poll_started()
    tally.deleted("candidates", deletion("c-1", "2026-11-29T10:00:05.000Z"))

    # When its CREATED and its DELETED arrive, the DELETED twice
    tally.received([{"objectType": "candidates", "objectId": "c-1", "date": "2026-11-29T10:00:00.000Z"}])
    deleted = {"objectType": "candidates", "objectId": "c-1", "date": "2026-11-29T10:00:05.000Z"}
    tally.received([deleted])
    tally.received([deleted])

    # Then both versions count as delivered, the repeat as a duplicate, nothing as missing
    assert tally.summary() == {
        "changes": 2,
        "deletions": 1,
        "delivered": 2,
        "duplicates": 1,
        "missing": 0,
        "waiting": 0,
    }


def test_an_undelivered_deletion_is_missing_once_its_grace_is_over() -> None:
    tally = Tally(grace_seconds=0)
    tally.deleted("jobs", deletion("j-1", "2026-11-29T10:00:05.000Z"))

    assert tally.summary()["missing"] == 1


def test_a_version_replaced_by_a_deletion_during_a_poll_is_not_owed() -> None:
    # Given a candidate updated, a poll starting, the candidate deleted before that poll ends
    tally = Tally(grace_seconds=0)
    tally.changed("candidates", {"id": "c-1", "updatedOn": "2026-11-29T10:00:00.000Z"})
    tally.poll_started()
    tally.deleted("candidates", deletion("c-1", "2026-11-29T10:00:05.000Z"))
    tally.poll_finished()

    # When only the deletion arrives
    tally.received([{"objectType": "candidates", "objectId": "c-1", "date": "2026-11-29T10:00:05.000Z"}])

    # Then nothing is missing: the record may have been gone when its page was read
    assert tally.summary()["missing"] == 0


def test_a_version_a_whole_poll_saw_before_the_deletion_is_owed() -> None:
    tally = Tally(grace_seconds=0)
    tally.changed("candidates", {"id": "c-1", "updatedOn": "2026-11-29T10:00:00.000Z"})
    tally.poll_started()
    tally.poll_finished()
    tally.deleted("candidates", deletion("c-1", "2026-11-29T10:00:05.000Z"))
    tally.received([{"objectType": "candidates", "objectId": "c-1", "date": "2026-11-29T10:00:05.000Z"}])

    assert tally.summary()["missing"] == 1


def test_a_webhook_callbacks_invocation_is_no_poll_of_the_polling_instance() -> None:
    # Given a polling and a webhook instance, and a candidate updated twice
    tallies = Tallies(grace_seconds=0)
    tallies.watch(1, "polling")
    tallies.watch(2, "webhook")
    tallies.changed("candidates", {"id": "c-1", "updatedOn": "2026-11-29T10:00:00.000Z"})

    # When only the webhook instance's poll function runs (a callback), then the record changes again
    tallies.poll_started({"instanceId": 2, "webhook": {"eventName": "candidate.updated"}})
    tallies.poll_started({"instanceId": 2})
    tallies.changed("candidates", {"id": "c-1", "updatedOn": "2026-11-29T10:00:09.000Z"})

    # Then the polling instance owes only the latest version (no poll of its own saw the first)
    [polling, webhook] = tallies.lines()
    assert polling.startswith("polling instance 1:") and "missing 1 " in polling
    assert "missing 2 " in webhook  # its poll did see the first version
