"""The sample events in events/ (for `sam local invoke -e`) are real Lambda shapes and work with our handlers."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, SQSEvent

from devstack.lambda_runtime import REPO, LambdaContext
from srevents.domain.instance_config import MASK
from tests.support.api_client import ApiClient, Credentials
from tests.support.fixtures import seed_body
from tests.support.leaks import register_secret

EVENTS = REPO / "events"
SEED = Path(
    os.environ.get("SREVENTS_SEED_FILE")
    or Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_5b7672af8cd396f5.txt"
)
PLACEHOLDERS = "User <USER_SECRET>, Organization <ORGANIZATION_SECRET>"


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def with_secrets(event: dict[str, Any], org: Credentials) -> dict[str, Any]:
    """The sample with its Authorization placeholders replaced by real (test) secrets; nothing else changes."""
    assert event["headers"]["Authorization"] == PLACEHOLDERS
    event["headers"]["Authorization"] = event["multiValueHeaders"]["Authorization"][0] = org.header()
    return event


def invoke_api(api: ApiClient, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = api.module.lambda_handler(event, LambdaContext(function_name="srevents-ApiFunction"))
    body = json.loads(response["body"])
    register_secret(body.get("token", ""))
    return response["statusCode"], body


def test_every_sample_is_listed_in_the_readme_and_parses() -> None:
    readme = (EVENTS / "README.md").read_text(encoding="utf-8")
    samples = sorted(p.name for p in EVENTS.glob("*.json"))
    assert samples == [
        "api_get_instance.json",
        "api_post_instances.json",
        "deliver_sqs.json",
        "poll_scheduled.json",
        "poll_webhook.json",
    ]
    for name in samples:
        assert isinstance(load(name), dict), name
        assert f"-e events/{name}" in readme, name


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [("api_post_instances.json", "POST", "/instances"), ("api_get_instance.json", "GET", "/instances/1")],
)
def test_api_samples_are_rest_proxy_events(name: str, method: str, path: str) -> None:
    event = APIGatewayProxyEvent(load(name))

    assert (event.resource, event.http_method, event.path) == ("/{proxy+}", method, path)
    assert event.path_parameters == {"proxy": path.lstrip("/")}
    assert event.request_context.stage == "v1"
    assert event.request_context.resource_path == "/{proxy+}"
    assert event.request_context.path == f"/v1{path}"
    assert event.headers["authorization"] == PLACEHOLDERS
    assert event.is_base64_encoded is False


def test_post_sample_body_is_the_seed_body_verbatim() -> None:
    body = APIGatewayProxyEvent(load("api_post_instances.json")).json_body
    assert body == seed_body()
    if not SEED.exists():
        pytest.skip(f"seed document not found at {SEED} (set SREVENTS_SEED_FILE)")
    curl_body = re.search(r"-d '(\{.*?\n\})'", SEED.read_text(encoding="utf-8"), re.DOTALL)
    assert curl_body, "the seed's cURL example has no -d '...' body"
    assert body == json.loads(curl_body.group(1))


def test_post_sample_creates_an_instance_and_get_sample_reads_it(api: ApiClient, org: Credentials) -> None:
    status, instance = invoke_api(api, with_secrets(load("api_post_instances.json"), org))

    assert status == 200, instance
    assert isinstance(instance["id"], int) and instance["token"]
    assert instance["name"] == "API Instance with Polling"
    assert instance["tags"] == ["Docs"] and instance["eventsEnabled"] is True
    assert instance["configuration"]["api.key"] == MASK
    assert instance["configuration"]["event.notification.signature.key"] == MASK

    # The GET sample names instance 1: the first instance of a fresh stack.
    assert instance["id"] == 1
    status, fetched = invoke_api(api, with_secrets(load("api_get_instance.json"), org))
    assert status == 200, fetched
    assert (fetched["id"], fetched["name"]) == (1, "API Instance with Polling")


def test_poll_sample_is_the_schedule_input() -> None:
    assert load("poll_scheduled.json") == {"instanceId": 1}


def test_webhook_sample_is_what_the_inbound_route_hands_the_poll_function() -> None:
    from srevents.domain.webhooks import callback_target
    from srevents.services.webhook_worker import Callback

    event = load("poll_webhook.json")
    callback = Callback.from_event(event["webhook"])

    assert event["instanceId"] == 1
    target = callback_target(callback.event_name, callback.body, ["candidates"])
    assert target is not None and target.record_path == f"/candidates/{callback.body['id']}"


def test_deliver_sample_is_one_fifo_record_carrying_a_notification() -> None:
    event = SQSEvent(load("deliver_sqs.json"))
    records = list(event.records)
    assert len(records) == 1
    record = records[0]

    assert record.event_source == "aws:sqs"
    assert record.event_source_arn.endswith(".fifo")
    assert record.attributes.message_group_id == "1"
    assert record.attributes.message_deduplication_id
    assert record.attributes.sequence_number
    assert record.attributes.approximate_receive_count == "1"

    notification = json.loads(record.body)
    notification_id = record.message_attributes["notificationId"]  # as the deliver function reads it
    assert notification_id is not None and notification_id.string_value == notification["id"]
    raw_attributes = record.raw_event["messageAttributes"]
    assert all(a["dataType"] == "String" and a["stringListValues"] == [] for a in raw_attributes.values())
    attributes = {name: attribute["stringValue"] for name, attribute in raw_attributes.items()}
    assert attributes == {
        "instanceId": "1",
        "notificationId": notification["id"],
        "objectType": "candidates",
        "eventCount": str(len(notification["message"]["events"])),
        "generation": "0",
    }
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", notification["id"])
    message = notification["message"]
    assert message["eventId"] == notification["id"] and message["instanceId"] == message["instance_id"] == 1
    assert message["raw"]["objectType"] == "candidates" and len(message["raw"]["candidates"]) == 1
    assert [e["objectId"] for e in message["events"]] == [c["id"] for c in message["raw"]["candidates"]]
