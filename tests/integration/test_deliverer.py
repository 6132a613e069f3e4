"""The deliver function through the emulated SQS event source, against a local receiver."""

from __future__ import annotations

import base64
import json
import socket
import time
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from devstack.receiver import Scripted
from srevents.adapters.callback_sender import CallbackSender
from srevents.adapters.notification_message import QueuedNotification
from srevents.clock import iso_millis
from srevents.domain.backoff import MAX_ATTEMPTS, RETRY_DELAYS
from srevents.domain.delivery_status import DELIVERED, FAILED, GONE, RETRYING
from srevents.services.deliver_service import DeliveryDeferred
from srevents.wiring import deliver_service
from tests.support.pipeline import SIGNATURE_KEY, Pipeline


def test_delivers_signed_notification_with_both_signatures(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    [candidate] = pipeline.change_and_poll(instance)

    pipeline.pump.drain()

    [received] = pipeline.receiver.received
    assert received.elements_signature_ok is True
    assert received.standard_signature_ok is True
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"].startswith("srevents/")
    assert received.headers["elements-webhook-id"] == received.json["id"]
    assert received.json["message"]["events"][0]["objectId"] == candidate["id"]
    # The real standardwebhooks library accepts it, given the key the README tells receivers to use.
    secret = "whsec_" + base64.b64encode(SIGNATURE_KEY.encode()).decode()
    headers = {k: received.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    assert Webhook(secret).verify(received.body, headers)["id"] == received.json["id"]
    logged = pipeline.log(instance, received.json["id"])
    assert logged["status"] == DELIVERED and logged["attemptCount"] == 1
    assert logged["attempts"][0]["statusCode"] == 200


def test_whsec_key_verifies_with_standardwebhooks(pipeline: Pipeline) -> None:
    key = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    instance = pipeline.create_instance(**{"event.notification.signature.key": key})
    pipeline.receiver.signature_key = key
    pipeline.change_and_poll(instance)

    pipeline.pump.drain()

    [received] = pipeline.receiver.received
    assert received.standard_signature_ok is True
    headers = {k: received.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    Webhook(key).verify(received.body, headers)


def test_unsigned_instance_sends_only_the_id_header(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance(**{"event.notification.signature.key": None})
    pipeline.change_and_poll(instance)
    pipeline.pump.drain()
    [received] = pipeline.receiver.received
    assert "elements-webhook-signature" not in received.headers
    assert "webhook-signature" not in received.headers
    assert received.headers["elements-webhook-id"]


def test_500_then_200_is_delivered_with_two_attempts(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.script(Scripted(500, body=b"oops"))

    pipeline.pump.drain()

    assert [r.status for r in pipeline.receiver.received] == [500, 200]
    nid = pipeline.receiver.received[0].json["id"]
    logged = pipeline.log(instance, nid)
    assert logged["status"] == DELIVERED
    assert [a["statusCode"] for a in logged["attempts"]] == [500, 200]
    assert logged["attempts"][0]["response"] == "oops"
    assert [a["outcome"] for a in logged["attempts"]] == ["retrying", "delivered"]
    assert 4 <= pipeline.requested_delays[0] <= 6  # 5 s ± jitter


def test_410_switches_notifications_off_and_stops(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance, changes=12)  # two notifications
    pipeline.receiver.script(Scripted(410))

    pipeline.pump.drain()

    assert [r.status for r in pipeline.receiver.received] == [410]
    assert pipeline.log(instance, pipeline.receiver.received[0].json["id"])["status"] == GONE
    stored = pipeline.poll.instances._instances.get(instance)
    assert stored.notifications_suspended and "410" in stored.notifications_suspended
    # the poller stops producing for it, and nothing more is sent
    pipeline.change_and_poll(instance)
    pipeline.pump.drain()
    assert len(pipeline.receiver.received) == 1


def test_302_is_a_failure_and_the_redirect_target_gets_nothing(pipeline: Pipeline) -> None:
    from devstack.receiver import Receiver

    with Receiver() as target:
        instance = pipeline.create_instance()
        pipeline.change_and_poll(instance)
        pipeline.receiver.script(Scripted(302, headers={"Location": target.url}))

        pipeline.pump.drain()

        assert target.received == []
        assert [r.status for r in pipeline.receiver.received] == [302, 200]


def test_slow_receiver_times_out_and_is_retried(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.script(Scripted(200, delay=2.5))  # the test deployment's total timeout is 1 s

    pipeline.pump.drain()

    nid = pipeline.receiver.received[0].json["id"]
    attempts = pipeline.log(instance, nid)["attempts"]
    assert attempts[0]["outcome"] == "retrying" and "time" in attempts[0]["error"].lower()
    assert attempts[-1]["outcome"] == "delivered"


def test_429_retry_after_is_honoured(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.script(Scripted(429, headers={"Retry-After": "120"}))

    pipeline.pump.drain()

    assert pipeline.requested_delays == [120]
    assert [r.status for r in pipeline.receiver.received] == [429, 200]


def test_order_per_instance_kept_while_another_instance_flows(pipeline: Pipeline) -> None:
    slow = pipeline.create_instance()
    other = pipeline.create_instance()
    pipeline.change_and_poll(slow, changes=25)  # three notifications
    pipeline.change_and_poll(other, changes=1)
    failed_once: list[str] = []

    def fail_first_of_slow_instance(headers: dict, body: bytes) -> Scripted | None:
        message = json.loads(body)["message"]
        if message["instanceId"] == slow and not failed_once:
            failed_once.append(message["eventId"])
            return Scripted(503)
        return None

    pipeline.receiver.responder = fail_first_of_slow_instance

    pipeline.pump.drain()

    delivered: dict[int, list[str]] = {}
    for received in pipeline.receiver.delivered():
        message = received.json["message"]
        delivered.setdefault(message["instanceId"], []).append(message["eventId"])
    assert delivered[slow][0] == failed_once[0]  # the failed one came first once it succeeded
    # notification ids start with their newest event's time: sorted ids are production order
    assert len(delivered[slow]) == 3 and delivered[slow] == sorted(delivered[slow])
    # the other instance (which also sees the first instance's 25 candidates) was not held back
    assert len(delivered[other]) == 3 and delivered[other] == sorted(delivered[other])
    first_retry = next(i for i, r in enumerate(pipeline.receiver.received) if r.status == 503)
    others_before_retry = [
        r for r in pipeline.receiver.received[first_retry:] if r.json["message"]["instanceId"] == other
    ]
    assert others_before_retry, "the other instance's notifications flowed while the first one waited"


def test_failing_every_attempt_dead_letters_and_retry_route_delivers(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.default = Scripted(500)

    for _ in range(MAX_ATTEMPTS + 2):
        pipeline.pump.drain()

    assert len(pipeline.receiver.received) == MAX_ATTEMPTS
    nid = pipeline.receiver.received[0].json["id"]
    logged = pipeline.log(instance, nid)
    assert logged["status"] == FAILED and logged["attemptCount"] == MAX_ATTEMPTS
    assert len(pipeline.dead_letters()) == 1
    for delay, base in zip(pipeline.requested_delays, RETRY_DELAYS, strict=False):
        assert 0.8 * base - 1 <= delay <= 1.2 * base + 1

    pipeline.receiver.default = Scripted(200)
    service = pipeline.deliver_module._service()
    stored = pipeline.poll.instances._instances.get(instance)
    result = service._attempts.retry_now(stored, nid)  # what the API's retry route calls

    assert result["status"] == DELIVERED
    assert pipeline.log(instance, nid)["attempts"][-1]["trigger"] == "manual"


def test_a_second_copy_of_a_dead_lettered_notification_is_not_sent_again(pipeline: Pipeline) -> None:
    # Given a notification that failed every attempt and went to the dead-letter queue
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.default = Scripted(500)
    for _ in range(MAX_ATTEMPTS + 2):
        pipeline.pump.drain()
    nid = pipeline.receiver.received[0].json["id"]
    assert pipeline.log(instance, nid)["deadLetteredGeneration"] == 0
    body = pipeline.receiver.received[0].body.decode()
    pipeline.receiver.default = Scripted(200)

    # When another copy of it arrives (a poll that crashed before its commit enqueued its plan again)
    outcome = pipeline.deliver_module._service().deliver(
        QueuedNotification(instance, nid, body, generation=0, attempt=1, receipt_handle="x")
    )

    # Then it is not attempted a twelfth time, after notifications that followed it
    assert outcome == "duplicate"
    assert len(pipeline.receiver.received) == MAX_ATTEMPTS
    assert len(pipeline.dead_letters()) == 1


def test_retrying_status_is_recorded_between_attempts(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.default = Scripted(500)
    pipeline.pump.pump_once()
    nid = pipeline.receiver.received[0].json["id"]
    logged = pipeline.log(instance, nid)
    assert logged["status"] == RETRYING and logged["nextAttemptAt"].endswith("Z")


def test_already_delivered_notification_is_not_sent_again(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.pump.drain()
    [received] = pipeline.receiver.received
    body = received.body.decode()
    service = pipeline.deliver_module._service()

    outcome = service.deliver(
        QueuedNotification(instance, received.json["id"], body, generation=0, attempt=1, receipt_handle="x")
    )

    assert outcome == "duplicate"
    assert len(pipeline.receiver.received) == 1


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fd00::1",
        "::ffff:10.0.0.1",
        "0.0.0.0",
    ],
)
def test_callback_host_resolving_to_a_forbidden_address_is_refused_at_delivery(
    pipeline: Pipeline, address: str
) -> None:
    instance = pipeline.create_instance(**{"event.notification.callback.url": "https://hooks.example.test/in"})
    pipeline.change_and_poll(instance)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def resolver(host, port, *args, **kwargs):
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    settings = pipeline.poll.settings
    service = deliver_service(
        settings.__class__(**{**settings.__dict__, "allow_private_callbacks": False}),
        sender=CallbackSender(allow_private=False, resolver=resolver),
    )
    delays: list[int] = []
    service._visibility = type(
        "Visibility", (), {"delay": lambda self, r, s: delays.append(s), "real_seconds": lambda self, s: s}
    )()
    notification = {k: v for k, v in pipeline.poll.drain()[0].items() if not k.startswith("_")}

    with pytest.raises(DeliveryDeferred, match="attempt 1 failed"):
        service.deliver(
            QueuedNotification(instance, notification["id"], json.dumps(notification), 0, 1, receipt_handle="r")
        )

    assert len(delays) == 1
    logged = service._log.get(instance, notification["id"]).item
    assert logged["status"] == RETRYING
    assert "address" in logged["attempts"][0]["error"] or "resolves" in logged["attempts"][0]["error"]
    assert pipeline.receiver.received == []


def test_enabling_again_resumes_notifications_after_410(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.script(Scripted(410))
    pipeline.pump.drain()
    instances = pipeline.poll.instances
    assert instances._instances.get(instance).notifications_suspended

    shown = instances.set_enabled(pipeline.poll.caller, instance, True)

    assert shown["notificationsSuspended"] is False
    pipeline.change_and_poll(instance)
    pipeline.pump.drain()
    assert [r.status for r in pipeline.receiver.received] == [410, 200]


def test_hanging_callbacks_do_not_delay_a_healthy_instance_in_the_same_batch(pipeline: Pipeline) -> None:
    # Given three instances whose callbacks never answer, each with a notification queued before a
    # healthy instance's notification (the pipeline's callback deadline is 1 s)
    hanging = [
        pipeline.create_instance(**{"event.notification.callback.url": pipeline.receiver.hanging_url}) for _ in range(3)
    ]
    healthy = pipeline.create_instance()
    for instance in [*hanging, healthy]:
        pipeline.change_and_poll(instance)

    # When one invocation gets all four
    started = time.time()
    assert pipeline.pump.pump_once() == 4
    took = time.time() - started

    # Then the healthy one was delivered without waiting out any deadline, the hanging ones were each
    # attempted once, at the same time, and wait for their retry
    [delivered] = pipeline.receiver.delivered()
    assert delivered.at - started < 0.9
    assert pipeline.receiver.hung == 3
    assert took < 2.5  # three 1 s deadlines, side by side rather than one after another
    for instance in hanging:
        [entry] = pipeline.deliver_module._service()._log.page(instance, limit=10, after=None)[0]
        assert entry.status == RETRYING
        assert "deadline" in entry.item["attempts"][0]["error"] or "timed out" in entry.item["attempts"][0]["error"]


def test_a_notification_back_before_its_retry_time_is_not_attempted(pipeline: Pipeline) -> None:
    # Given a notification that failed once and is due again in about 30 s (real time: no scaling here)
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.default = Scripted(500)
    pipeline.pump.pump_once()
    nid = pipeline.receiver.received[0].json["id"]
    logged = pipeline.log(instance, nid)
    service = pipeline.deliver_module._service()
    service._log.record(
        instance,
        nid,
        status=RETRYING,
        now=service._clock.now(),
        body=logged["body"],
        meta={"nextAttemptAt": iso_millis(service._clock.now() + timedelta(seconds=30))},
        attempt=None,
    )
    delays_before = len(pipeline.requested_delays)

    # When the queue offers it again early (say a visibility change was lost)
    pipeline.pump.drain()

    # Then the receiver is not called again; the message is put away until its time instead
    assert len(pipeline.receiver.received) == 1
    assert pipeline.log(instance, nid)["attemptCount"] == 1
    assert pipeline.requested_delays[delays_before:]


def test_a_disabled_instances_notifications_are_held_and_delivered_in_order_once_enabled(
    pipeline: Pipeline,
) -> None:
    # Given two notifications queued for an instance, which is then disabled
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.change_and_poll(instance)
    instances = pipeline.poll.instances
    instances.set_enabled(pipeline.poll.caller, instance, False)

    # When the queue offers them
    pipeline.pump.pump_once()

    # Then nothing is sent; the first is listed PENDING (kept, not attempted) and put away for a while
    assert pipeline.receiver.received == []
    service = pipeline.deliver_module._service()
    [entry] = service._log.page(instance, limit=10, after=None)[0]
    assert entry.status == "PENDING" and "attempts" not in entry.item
    assert pipeline.requested_delays[-1] == 900

    # When the instance is enabled again and the held notification comes back
    instances.set_enabled(pipeline.poll.caller, instance, True)
    pipeline.pump.drain()  # (this test scales the 15 minutes down to nothing)

    # Then both arrive, in order
    received = pipeline.receiver.delivered()
    assert len(received) == 2
    dates = [r.json["message"]["events"][0]["date"] for r in received]
    assert dates == sorted(dates)


def test_a_deleted_instances_queued_notifications_are_never_sent(pipeline: Pipeline) -> None:
    # Given a queued notification whose instance is read by the deliverer, then deleted
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.change_and_poll(instance)
    pipeline.receiver.script(Scripted(500))
    pipeline.pump.pump_once()  # the first attempt fails: both wait in the queue
    pipeline.poll.instances.delete(pipeline.poll.caller, instance)

    # When the queue offers them again (this test scales the retry delay down to nothing)
    pipeline.pump.drain()

    # Then neither is sent again (the deliverer reads the instance per batch, it caches nothing)
    assert len(pipeline.receiver.received) == 1


def test_a_new_callback_url_is_used_from_the_next_attempt(pipeline: Pipeline) -> None:
    # Given a notification that failed at the old callback
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.script(Scripted(500))
    pipeline.pump.pump_once()
    [old] = pipeline.receiver.received

    # When the callback URL changes and the retry comes
    new_url = pipeline.receiver.url.replace("/callback", "/moved")
    pipeline.poll.instances.patch(
        pipeline.poll.caller, instance, {"configuration": {"event.notification.callback.url": new_url}}
    )
    pipeline.pump.drain()

    # Then the retry goes to the new URL
    assert old.path == "/callback"
    assert [r.path for r in pipeline.receiver.delivered()] == ["/moved"]


def test_a_receiver_echoing_the_signature_key_does_not_get_it_stored(pipeline: Pipeline) -> None:
    # Given a receiver that answers with the instance's signature key in its body
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance)
    pipeline.receiver.script(Scripted(500, body=f"bad signature, expected key {SIGNATURE_KEY}".encode()))

    # When the attempt is recorded
    pipeline.pump.pump_once()

    # Then the first KiB of the answer is kept without the key
    nid = pipeline.receiver.received[0].json["id"]
    stored = pipeline.log(instance, nid)["attempts"][0]["response"]
    assert SIGNATURE_KEY not in stored and stored.endswith("expected key ***")


def test_a_failed_release_of_held_back_messages_still_answers_the_partial_batch(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two notifications of one instance whose first attempt fails, and another healthy instance
    failing = pipeline.create_instance()
    pipeline.change_and_poll(failing)
    pipeline.change_and_poll(failing)
    healthy = pipeline.create_instance(**{"event.notification.callback.url": pipeline.receiver.url + "/ok"})
    pipeline.change_and_poll(healthy)

    def answer_for(headers: dict, body: bytes) -> Scripted | None:
        return Scripted(500) if json.loads(body)["message"]["instanceId"] == failing else None

    pipeline.receiver.responder = answer_for
    service = pipeline.deliver_module._service()

    def release(receipt_handles: list[str]) -> None:
        raise RuntimeError("SQS throttled the visibility change")

    monkeypatch.setattr(service._visibility, "release", release)

    # When one invocation gets all three and the release of the held-back one fails
    answer = service.deliver_batch(_records(pipeline), seconds_left=lambda: 60.0)

    # Then the invocation still answers with its partial batch: the failing instance's two, not the healthy one
    assert len(answer["batchItemFailures"]) == 2
    assert [r.path for r in pipeline.receiver.delivered()] == ["/callback/ok"]


def _records(pipeline: Pipeline) -> list[dict]:
    from devstack.sqs_pump import sqs_event

    sqs = pipeline.pump._sqs
    url = pipeline.poll.resources.refs["NotificationQueue"]
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    return sqs_event(messages, pipeline.poll.resources.attrs[("NotificationQueue", "Arn")])["Records"]
