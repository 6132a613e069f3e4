"""The instances API against moto: the seed body, secrets at rest, schedules, validation, tenancy."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from cryptography.exceptions import InvalidTag

from srevents.adapters.secrets import SecretBox
from srevents.domain.instance_config import MASK
from tests.support.api_client import ApiClient, Credentials
from tests.support.aws_state import instance_item, schedule, snapshot
from tests.support.fixtures import seed_body

SEED_API_KEY = "xxxxxxxxxxxxxxxxxxxxxxxxx"
SEED_SIGNATURE_KEY = "asdfo08e$fd"


def create(api: ApiClient, org: Credentials, body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = api.post("/instances", auth=org, json_body=body or seed_body())
    assert reply.status == 200, reply.text
    return reply.body


# -- POST /instances with the seed body ---------------------------------------------------------


def test_seed_body_creates_instance_with_vendor_shape(api: ApiClient, org: Credentials) -> None:
    # When
    reply = api.post("/instances", auth=org, json_body=seed_body())

    # Then
    assert reply.status == 200, reply.text
    instance = reply.body
    assert isinstance(instance["id"], int)
    assert isinstance(instance["token"], str) and len(instance["token"]) >= 32
    assert instance["name"] == "API Instance with Polling"
    assert instance["tags"] == ["Docs"]
    assert instance["element"] == {"key": "smartrecruiters", "name": "SmartRecruiters", "hub": "humancapital"}
    assert instance["eventsEnabled"] is True
    assert instance["disabled"] is False
    assert instance["valid"] is True
    assert instance["createdDate"].endswith("Z")
    configuration = instance["configuration"]
    assert configuration["api.key"] == MASK
    assert configuration["event.notification.signature.key"] == MASK
    assert configuration["event.poller.refresh_interval"] == 15
    assert "candidates" in configuration["event.poller.configuration"]
    assert SEED_API_KEY not in reply.text and SEED_SIGNATURE_KEY not in reply.text


def _box(aws) -> SecretBox:
    return SecretBox(boto3.client("kms", region_name="us-east-1"), aws.refs["SecretsKey"])


def test_secrets_are_stored_encrypted_and_bound_to_the_instance(api: ApiClient, org: Credentials, aws) -> None:
    instance = create(api, org)

    item = instance_item(aws, instance["id"])
    assert item is not None
    raw = json.dumps(item, default=str)
    assert SEED_API_KEY not in raw and SEED_SIGNATURE_KEY not in raw
    assert instance["token"] not in raw
    ciphertext = item["secrets"]["B"]
    plaintext = _box(aws).open(instance["id"], ciphertext)
    assert plaintext == {"api.key": SEED_API_KEY, "event.notification.signature.key": SEED_SIGNATURE_KEY}
    with pytest.raises(InvalidTag):  # the instance id is the AES-GCM associated data
        _box(aws).open(999, ciphertext)


def test_secrets_sealed_the_old_way_are_sealed_again_at_the_next_change(api: ApiClient, org: Credentials, aws) -> None:
    # Given an instance whose secrets were sealed before envelope encryption (KMS Encrypt, id in the context)
    instance = create(api, org)
    kms = boto3.client("kms", region_name="us-east-1")
    context = {"instanceId": str(instance["id"]), "purpose": "srevents-instance-secrets"}
    secrets = {"api.key": SEED_API_KEY, "event.notification.signature.key": SEED_SIGNATURE_KEY}
    legacy = kms.encrypt(
        KeyId=aws.refs["SecretsKey"], Plaintext=json.dumps(secrets).encode(), EncryptionContext=context
    )["CiphertextBlob"]
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=aws.refs["InstancesTable"],
        Key={"pk": {"S": f"INSTANCE#{instance['id']}"}},
        UpdateExpression="SET secrets = :s",
        ExpressionAttributeValues={":s": {"B": legacy}},
    )

    # When it is changed without touching a secret
    reply = api.patch(f"/instances/{instance['id']}", auth=org, json_body={"name": "renamed"})

    # Then its secrets are kept, now sealed in the current form
    assert reply.status == 200, reply.text
    stored = instance_item(aws, instance["id"])["secrets"]["B"]
    assert SecretBox.is_current(stored) and _box(aws).open(instance["id"], stored) == secrets


def test_schedule_is_created_with_expression_input_target_role_and_dlq(api: ApiClient, org: Credentials, aws) -> None:
    instance = create(api, org)

    found = schedule(aws, instance["id"])
    assert found is not None
    assert found["ScheduleExpression"] == "rate(15 minutes)"
    assert found["State"] == "ENABLED"
    target = found["Target"]
    assert target["Arn"] == aws.attrs[("PollFunction", "Arn")]
    assert target["RoleArn"] == aws.attrs[("SchedulerRole", "Arn")]
    assert json.loads(target["Input"]) == {"instanceId": instance["id"]}
    assert target["DeadLetterConfig"]["Arn"] == aws.attrs[("SchedulerDeadLetterQueue", "Arn")]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1


def test_poller_configuration_as_json_string_is_accepted(api: ApiClient, org: Credentials) -> None:
    body = seed_body()
    body["configuration"]["event.poller.configuration"] = json.dumps(
        body["configuration"]["event.poller.configuration"]
    )

    instance = create(api, org, body)

    assert instance["configuration"]["event.poller.configuration"]["candidates"]["idField"] == "id"


@pytest.mark.parametrize("interval", ["15", 15, 15.0])
def test_refresh_interval_as_string_or_number(api: ApiClient, org: Credentials, interval: Any) -> None:
    body = seed_body()
    body["configuration"]["event.poller.refresh_interval"] = interval
    assert create(api, org, body)["configuration"]["event.poller.refresh_interval"] == 15


def test_one_minute_interval_uses_singular_rate(api: ApiClient, org: Credentials, aws) -> None:
    body = seed_body()
    body["configuration"]["event.poller.refresh_interval"] = 1
    instance = create(api, org, body)
    assert schedule(aws, instance["id"])["ScheduleExpression"] == "rate(1 minute)"


def test_default_poller_configuration_applies_when_absent(api: ApiClient, org: Credentials) -> None:
    body = seed_body()
    del body["configuration"]["event.poller.configuration"]
    config = create(api, org, body)["configuration"]["event.poller.configuration"]
    assert list(config) == ["candidates"]
    assert config["candidates"]["datesConfiguration"]["updatedDateField"] == "updatedOn"


LEGACY_URLS = (
    "candidates|/hubs/humancapital/candidates?where=updatedAfter='${gmtDate}'||updatedOn|yyyy-MM-dd'T'HH:mm:ss.SSS'Z'|GMT"
    "|createdOn|yyyy-MM-dd'T'HH:mm:ss.SSS'Z'|GMT\r\n"
    "jobs|/hubs/humancapital/jobs?where=updatedAfter='${gmtDate}'||updatedOn\r\n"
)


def test_the_platforms_poller_keys_are_accepted_and_echoed(api: ApiClient, org: Credentials) -> None:
    # Given the seed's block with the platform's keys, filterByUpdatedDate in its other spelling
    body = seed_body()
    block = body["configuration"]["event.poller.configuration"]["candidates"]
    block.update(pageSize="10", filterByCurrentDate=False, filterByUpdateDate="false", updatedDateTimezone="UTC")
    block.update(pollDelay="30", createdCheckTolerance=5)

    # When
    instance = create(api, org, body)

    # Then GET shows them normalized
    shown = api.get(f"/instances/{instance['id']}", auth=org).body["configuration"]["event.poller.configuration"]
    candidates = shown["candidates"]
    assert (candidates["pageSize"], candidates["pollDelay"], candidates["createdCheckTolerance"]) == (10, 30, 5)
    assert (candidates["filterByCurrentDate"], candidates["filterByUpdatedDate"]) == (False, False)
    assert "filterByUpdateDate" not in candidates
    assert candidates["updatedDateTimezone"] == "UTC"


def test_legacy_poller_urls_are_converted_and_shown_in_the_json_form(api: ApiClient, org: Credentials) -> None:
    # Given the legacy form instead of the JSON one
    body = seed_body()
    del body["configuration"]["event.poller.configuration"]
    body["configuration"]["event.poller.urls"] = LEGACY_URLS

    # When
    instance = create(api, org, body)

    # Then the instance shows only the JSON form
    shown = api.get(f"/instances/{instance['id']}", auth=org).body["configuration"]
    assert "event.poller.urls" not in shown
    poller = shown["event.poller.configuration"]
    assert list(poller) == ["candidates", "jobs"]
    assert poller["jobs"]["url"] == "/hubs/humancapital/jobs?where=updatedAfter='${gmtDate}'"
    assert poller["jobs"]["datesConfiguration"] == {"updatedDateField": "updatedOn"}
    assert poller["candidates"]["datesConfiguration"]["createdDateField"] == "createdOn"


def test_legacy_poller_urls_with_the_json_form_is_400(api: ApiClient, org: Credentials, aws) -> None:
    body = seed_body()
    body["configuration"]["event.poller.urls"] = LEGACY_URLS
    before = snapshot(aws)
    reply = api.post("/instances", auth=org, json_body=body)
    assert reply.status == 400
    assert reply.body["field"] == "configuration.event.poller.urls"
    assert snapshot(aws) == before


@pytest.mark.parametrize(
    ("urls", "field"),
    [
        ("candidates|/hubs/humancapital/candidates", "configuration.event.poller.urls[1]"),
        (
            "candidates|/hubs/humancapital/candidates||updatedOn\r\njobs|/hubs/humancapital/jobs||updatedOn|yyyy-qq",
            "configuration.event.poller.urls[2].updatedDateFormat",
        ),
        ("candidates|/hubs/humancapital/candidates|/a/b|updatedOn", "configuration.event.poller.urls[1].xPathFilter"),
    ],
)
def test_a_bad_legacy_line_is_400_naming_the_line(api: ApiClient, org: Credentials, urls: str, field: str) -> None:
    body = seed_body()
    del body["configuration"]["event.poller.configuration"]
    body["configuration"]["event.poller.urls"] = urls
    reply = api.post("/instances", auth=org, json_body=body)
    assert reply.status == 400
    assert reply.body["field"] == field
    assert reply.body["message"].startswith(field + " ")


def test_a_patch_with_legacy_poller_urls_replaces_the_json_form(api: ApiClient, org: Credentials) -> None:
    instance = create(api, org)
    reply = api.patch(
        f"/instances/{instance['id']}",
        auth=org,
        json_body={"configuration": {"event.poller.urls": "jobs|/hubs/humancapital/jobs||updatedOn"}},
    )
    assert reply.status == 200, reply.text
    assert list(reply.body["configuration"]["event.poller.configuration"]) == ["jobs"]
    assert "event.poller.urls" not in reply.body["configuration"]


def test_vendor_type_may_be_omitted_and_is_echoed_as_polling(api: ApiClient, org: Credentials, aws) -> None:
    body = seed_body()
    del body["configuration"]["event.vendor.type"]
    instance = create(api, org, body)
    assert instance["configuration"]["event.vendor.type"] == "polling"
    assert schedule(aws, instance["id"]) is not None


def test_events_disabled_instance_has_no_schedule(api: ApiClient, org: Credentials, aws) -> None:
    body = {"element": {"key": "smartrecruiters"}, "name": "no events", "configuration": {"api.key": "k"}}
    instance = create(api, org, body)
    assert instance["eventsEnabled"] is False
    assert schedule(aws, instance["id"]) is None


def test_ids_are_distinct_integers(api: ApiClient, org: Credentials) -> None:
    ids = [create(api, org)["id"] for _ in range(3)]
    assert len(set(ids)) == 3


# -- validation ---------------------------------------------------------------------------------


def _with(path: str, value: Any) -> dict[str, Any]:
    """The seed body with one configuration key (or top-level field) replaced; `...` deletes it."""
    body = copy.deepcopy(seed_body())
    target = body
    parts = path.split("/")
    for part in parts[:-1]:
        target = target[part]
    if value is ...:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return body


C = "configuration"
P = "configuration/event.poller.configuration"
CAND = f"{P}/candidates"
DATES = f"{CAND}/datesConfiguration"

INVALID_BODIES: list[tuple[str, Any, str]] = [
    ("element", {"key": "salesforce"}, "element.key"),
    ("element", ..., "element.key"),
    ("element", "smartrecruiters", "element"),
    ("name", ..., "name"),
    ("name", "", "name"),
    ("name", 42, "name"),
    ("tags", "Docs", "tags"),
    ("tags", ["ok", 3], "tags[1]"),
    ("tagz", ["Docs"], "tagz"),
    (C, ..., "configuration"),
    (C, "api.key=abc", "configuration"),
    (f"{C}/api.key", ..., "configuration.api.key"),
    (f"{C}/api.key", "", "configuration.api.key"),
    (f"{C}/api.key", 12345, "configuration.api.key"),
    (f"{C}/event.notification.enabled", "yes", "configuration.event.notification.enabled"),
    (f"{C}/event.vendor.type", "webhooks", "configuration.event.vendor.type"),
    (f"{C}/event.vendor.type", "", "configuration.event.vendor.type"),
    (f"{C}/event.notification.callback.url", ..., "configuration.event.notification.callback.url"),
    (f"{C}/event.notification.callback.url", "ftp://example.com/x", "configuration.event.notification.callback.url"),
    (f"{C}/event.notification.callback.url", "http://example.com/x", "configuration.event.notification.callback.url"),
    (f"{C}/event.notification.callback.url", "https://127.0.0.1/x", "configuration.event.notification.callback.url"),
    (f"{C}/event.notification.callback.url", "https://10.1.2.3/x", "configuration.event.notification.callback.url"),
    (
        f"{C}/event.notification.callback.url",
        "https://169.254.169.254/latest",
        "configuration.event.notification.callback.url",
    ),
    (f"{C}/event.notification.callback.url", "https://localhost/x", "configuration.event.notification.callback.url"),
    (f"{C}/event.notification.callback.url", "/relative/path", "configuration.event.notification.callback.url"),
    (f"{C}/event.poller.refresh_interval", "abc", "configuration.event.poller.refresh_interval"),
    (f"{C}/event.poller.refresh_interval", 0, "configuration.event.poller.refresh_interval"),
    (f"{C}/event.poller.refresh_interval", 1441, "configuration.event.poller.refresh_interval"),
    (f"{C}/event.poller.refresh_interval", 2.5, "configuration.event.poller.refresh_interval"),
    (f"{C}/event.poller.refresh_interval", True, "configuration.event.poller.refresh_interval"),
    (f"{C}/event.poller.refresh_interval", "-5", "configuration.event.poller.refresh_interval"),
    (f"{C}/event.poller.refreshinterval", "15", "configuration.event.poller.refreshinterval"),
    (f"{C}/event.notification.callback", "https://x.test", "configuration.event.notification.callback"),
    (P, "{not json", "configuration.event.poller.configuration"),
    (P, [], "configuration.event.poller.configuration"),
    (P, {}, "configuration.event.poller.configuration"),
    (
        f"{P}/widgets",
        {"url": "/hubs/humancapital/widgets", "idField": "id"},
        "configuration.event.poller.configuration.widgets",
    ),
    (f"{CAND}/url", "https://evil.test/candidates", "configuration.event.poller.configuration.candidates.url"),
    (f"{CAND}/url", "/hubs/humancapital/jobs", "configuration.event.poller.configuration.candidates.url"),
    (
        f"{CAND}/url",
        "/hubs/humancapital/candidates?where=updatedAfter>'x'",
        "configuration.event.poller.configuration.candidates.url",
    ),
    (
        f"{CAND}/url",
        "/hubs/humancapital/candidates?where=updatedAfter='${nope}'",
        "configuration.event.poller.configuration.candidates.url",
    ),
    (f"{CAND}/url", ..., "configuration.event.poller.configuration.candidates.url"),
    (f"{CAND}/idField", "", "configuration.event.poller.configuration.candidates.idField"),
    (f"{CAND}/idfield", "id", "configuration.event.poller.configuration.candidates.idfield"),
    (
        f"{DATES}/updatedDateFormat",
        "yyyy-qq-dd",
        "configuration.event.poller.configuration.candidates.datesConfiguration.updatedDateFormat",
    ),
    (
        f"{DATES}/updatedDateTimezone",
        "Mars/Olympus",
        "configuration.event.poller.configuration.candidates.datesConfiguration.updatedDateTimezone",
    ),
    (
        f"{DATES}/updatedDateField",
        ...,
        "configuration.event.poller.configuration.candidates.datesConfiguration.updatedDateField",
    ),
    (f"{CAND}/pollDelay", -1, "configuration.event.poller.configuration.candidates.pollDelay"),
    (f"{CAND}/pageSize", 0, "configuration.event.poller.configuration.candidates.pageSize"),
    (f"{CAND}/pageSize", 101, "configuration.event.poller.configuration.candidates.pageSize"),
    (f"{CAND}/pageSize", "abc", "configuration.event.poller.configuration.candidates.pageSize"),
    (f"{CAND}/filterByCurrentDate", "no", "configuration.event.poller.configuration.candidates.filterByCurrentDate"),
    (f"{CAND}/filterByUpdateDate", 0, "configuration.event.poller.configuration.candidates.filterByUpdateDate"),
    (f"{CAND}/pageSzie", 10, "configuration.event.poller.configuration.candidates.pageSzie"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"), INVALID_BODIES, ids=[f"{p}={v!r}"[:70] for p, v, _ in INVALID_BODIES]
)
def test_invalid_body_is_400_naming_the_field_and_changes_nothing(
    api: ApiClient, org: Credentials, aws, path: str, value: Any, field: str
) -> None:
    # Given
    create(api, org)
    before = snapshot(aws)

    # When
    reply = api.post("/instances", auth=org, json_body=_with(path, value))

    # Then
    assert reply.status == 400, reply.text
    assert reply.body["field"] == field
    assert reply.body["message"].startswith(field + " ")
    assert snapshot(aws) == before


def test_interval_message_says_what_is_wrong(api: ApiClient, org: Credentials) -> None:
    reply = api.post("/instances", auth=org, json_body=_with(f"{C}/event.poller.refresh_interval", "abc"))
    assert reply.body["message"] == (
        'configuration.event.poller.refresh_interval must be a whole number of minutes between 1 and 1440, got "abc"'
    )


def test_unknown_event_key_suggests_the_closest(api: ApiClient, org: Credentials) -> None:
    reply = api.post("/instances", auth=org, json_body=_with(f"{C}/event.poller.refresh_intervall", "15"))
    assert reply.status == 400
    assert "did you mean 'event.poller.refresh_interval'" in reply.body["message"]


def test_body_that_is_not_json_is_400(api: ApiClient, org: Credentials) -> None:
    reply = api.post("/instances", auth=org, raw_body="{nope")
    assert reply.status == 400
    assert "not valid JSON" in reply.body["message"]


def test_oversized_body_is_413(api: ApiClient, org: Credentials, aws) -> None:
    before = snapshot(aws)
    body = seed_body(tags=["x" * 90] * 40)
    body["name"] = "n" * 100_000
    reply = api.post("/instances", auth=org, json_body=body)
    assert reply.status == 413
    assert snapshot(aws) == before


# -- the rest of the API ------------------------------------------------------------------------


def test_get_and_list_mask_secrets_and_filter_by_tag(api: ApiClient, org: Credentials) -> None:
    first = create(api, org)
    create(api, org, seed_body(tags=["Other"], name="second"))

    got = api.get(f"/instances/{first['id']}", auth=org)
    assert got.status == 200
    assert "token" not in got.body
    assert got.body["configuration"]["api.key"] == MASK
    assert SEED_API_KEY not in got.text

    listed = api.get("/instances", auth=org)
    assert [i["name"] for i in listed.body] == ["API Instance with Polling", "second"]
    tagged = api.get("/instances", auth=org, query="tag=Docs")
    assert [i["id"] for i in tagged.body] == [first["id"]]


def test_patch_interval_updates_schedule_in_place(api: ApiClient, org: Credentials, aws) -> None:
    instance = create(api, org)
    before = schedule(aws, instance["id"])

    reply = api.patch(
        f"/instances/{instance['id']}", auth=org, json_body={"configuration": {"event.poller.refresh_interval": "5"}}
    )

    assert reply.status == 200, reply.text
    assert reply.body["configuration"]["event.poller.refresh_interval"] == 5
    after = schedule(aws, instance["id"])
    assert after["ScheduleExpression"] == "rate(5 minutes)"
    assert after["Arn"] == before["Arn"]
    assert json.loads(after["Target"]["Input"]) == {"instanceId": instance["id"]}


def test_patch_validates_with_the_same_rules(api: ApiClient, org: Credentials, aws) -> None:
    instance = create(api, org)
    before = snapshot(aws)
    reply = api.patch(
        f"/instances/{instance['id']}", auth=org, json_body={"configuration": {"event.poller.refresh_interval": "abc"}}
    )
    assert reply.status == 400
    assert reply.body["field"] == "configuration.event.poller.refresh_interval"
    assert snapshot(aws) == before


def test_patch_name_tags_and_secret(api: ApiClient, org: Credentials, aws) -> None:
    instance = create(api, org)
    reply = api.patch(
        f"/instances/{instance['id']}",
        auth=org,
        json_body={"name": "renamed", "tags": ["a", "b"], "configuration": {"api.key": "new-key-123"}},
    )
    assert reply.status == 200, reply.text
    assert reply.body["name"] == "renamed" and reply.body["tags"] == ["a", "b"]
    assert "new-key-123" not in reply.text
    item = instance_item(aws, instance["id"])
    plaintext = _box(aws).open(instance["id"], item["secrets"]["B"])
    assert plaintext == {"api.key": "new-key-123", "event.notification.signature.key": SEED_SIGNATURE_KEY}


def test_patch_turning_events_off_removes_schedule_and_on_restores_it(api: ApiClient, org: Credentials, aws) -> None:
    instance = create(api, org)
    path = f"/instances/{instance['id']}"
    assert api.patch(path, auth=org, json_body={"configuration": {"event.notification.enabled": False}}).status == 200
    assert schedule(aws, instance["id"]) is None
    assert api.patch(path, auth=org, json_body={"configuration": {"event.notification.enabled": "true"}}).status == 200
    assert schedule(aws, instance["id"])["State"] == "ENABLED"


def test_disable_and_enable_flip_the_schedule_state(api: ApiClient, org: Credentials, aws) -> None:
    instance = create(api, org)
    path = f"/instances/{instance['id']}/enabled"

    disabled = api.delete(path, auth=org)
    assert disabled.status == 200 and disabled.body["disabled"] is True
    assert schedule(aws, instance["id"])["State"] == "DISABLED"

    enabled = api.put(path, auth=org)
    assert enabled.status == 200 and enabled.body["disabled"] is False
    assert schedule(aws, instance["id"])["State"] == "ENABLED"


def test_delete_removes_schedule_instance_and_poller_state(api: ApiClient, org: Credentials, aws) -> None:
    instance = create(api, org)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.put_item(
        TableName=aws.refs["PollerStateTable"], Item={"instanceId": {"N": str(instance["id"])}, "x": {"S": "y"}}
    )

    reply = api.delete(f"/instances/{instance['id']}", auth=org)

    assert reply.status == 200
    assert schedule(aws, instance["id"]) is None
    assert instance_item(aws, instance["id"]) is None
    state = dynamodb.get_item(TableName=aws.refs["PollerStateTable"], Key={"instanceId": {"N": str(instance["id"])}})
    assert "Item" not in state
    assert api.get(f"/instances/{instance['id']}", auth=org).status == 404


def test_schedule_creation_failure_leaves_no_instance(api: ApiClient, org: Credentials, aws, monkeypatch) -> None:
    before = snapshot(aws)
    from srevents.adapters.schedules import ScheduleGateway

    def refuse(self, spec):
        raise RuntimeError("scheduler unavailable")

    monkeypatch.setattr(ScheduleGateway, "create", refuse)

    reply = api.post("/instances", auth=org, json_body=seed_body())

    assert reply.status == 500
    after = snapshot(aws)
    instance_items = [i for i in after["tables"]["InstancesTable"] if i["pk"]["S"].startswith("INSTANCE#")]
    assert instance_items == []
    assert after["schedules"] == before["schedules"]


def test_item_write_failure_removes_the_schedule_again(api: ApiClient, org: Credentials, aws, monkeypatch) -> None:
    from srevents.adapters.instances_store import InstancesStore

    def refuse(self, instance):
        raise RuntimeError("dynamodb unavailable")

    monkeypatch.setattr(InstancesStore, "create", refuse)
    reply = api.post("/instances", auth=org, json_body=seed_body())
    assert reply.status == 500
    assert snapshot(aws)["schedules"] == []


def test_schedule_update_failure_restores_the_instance(api: ApiClient, org: Credentials, aws, monkeypatch) -> None:
    instance = create(api, org)
    from srevents.adapters.schedules import ScheduleGateway

    monkeypatch.setattr(ScheduleGateway, "update", lambda self, spec: (_ for _ in ()).throw(RuntimeError("down")))
    reply = api.patch(
        f"/instances/{instance['id']}", auth=org, json_body={"configuration": {"event.poller.refresh_interval": 5}}
    )
    assert reply.status == 500
    monkeypatch.undo()
    got = api.get(f"/instances/{instance['id']}", auth=org).body
    assert got["configuration"]["event.poller.refresh_interval"] == 15
    assert schedule(aws, instance["id"])["ScheduleExpression"] == "rate(15 minutes)"


# -- authentication and tenancy -----------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer abc",
        "User only",
        "User a, Organization",
        "User a, User b, Organization c",
        "Organization abc",
        "User wrong, Organization wrong",
    ],
)
def test_missing_or_malformed_credentials_are_401(api: ApiClient, org: Credentials, header: str | None) -> None:
    reply = api.get("/instances", auth=header)
    assert reply.status == 401
    assert "message" in reply.body


def test_wrong_user_secret_with_right_organization_is_401(api: ApiClient, org: Credentials) -> None:
    reply = api.get("/instances", auth=f"User nope, Organization {org.organization_secret}")
    assert reply.status == 401


def test_user_of_another_organization_is_401(api: ApiClient, org: Credentials, other_org: Credentials) -> None:
    reply = api.get("/instances", auth=f"User {other_org.user_secret}, Organization {org.organization_secret}")
    assert reply.status == 401


def test_another_organizations_instance_is_404_for_every_call(
    api: ApiClient, org: Credentials, other_org: Credentials, aws
) -> None:
    instance = create(api, org)
    path = f"/instances/{instance['id']}"
    before = snapshot(aws)

    assert api.get(path, auth=other_org).status == 404
    assert api.patch(path, auth=other_org, json_body={"name": "stolen"}).status == 404
    assert api.delete(path, auth=other_org).status == 404
    assert api.put(f"{path}/enabled", auth=other_org).status == 404
    assert api.delete(f"{path}/enabled", auth=other_org).status == 404
    assert api.get("/instances", auth=other_org).body == []
    assert snapshot(aws) == before


def test_element_token_must_match_the_instance(api: ApiClient, org: Credentials) -> None:
    first = create(api, org)
    second = create(api, org)
    path = f"/instances/{first['id']}"
    assert api.get(path, auth=org, element_token=first["token"]).status == 200
    assert api.get(path, auth=org, element_token=second["token"]).status == 401


@pytest.mark.parametrize("raw_id", ["abc", "0x10", "-1", "1.5", "99999999999999999999999"])
def test_non_numeric_ids_are_404(api: ApiClient, org: Credentials, raw_id: str) -> None:
    assert api.get(f"/instances/{raw_id}", auth=org).status == 404


def test_openapi_document_is_served_and_lists_routes(api: ApiClient) -> None:
    reply = api.get("/openapi.json")
    assert reply.status == 200
    assert reply.body["openapi"].startswith("3.")
    assert {"/instances", "/instances/{id}", "/instances/{id}/enabled"} <= set(reply.body["paths"])


def test_unknown_route_is_404(api: ApiClient, org: Credentials) -> None:
    assert api.get("/nothing-here", auth=org).status == 404


# --- the Element token on the collection routes -------------------------------------------------------------


def test_an_element_token_scopes_the_list_to_its_instance(api: ApiClient, org: Credentials, aws) -> None:
    # Given two instances of one organization
    first, second = create(api, org), create(api, org)

    # When the list is asked for with the first one's Element token, or with a token of no instance
    scoped = api.get("/instances", auth=org, element_token=first["token"])
    garbage = api.get("/instances", auth=org, element_token="not-a-token-of-any-instance")

    # Then only the first is listed, and the garbage token is refused
    assert scoped.status == 200 and [i["id"] for i in scoped.body] == [first["id"]]
    assert second["id"] != first["id"]
    assert garbage.status == 401, garbage.text


def test_creation_refuses_an_element_token_of_no_instance_and_accepts_a_valid_one(
    api: ApiClient, org: Credentials, aws
) -> None:
    existing = create(api, org)
    before = snapshot(aws)

    garbage = api.post("/instances", auth=org, element_token="not-a-token-of-any-instance", json_body=seed_body())
    assert garbage.status == 401, garbage.text
    assert snapshot(aws) == before  # nothing created

    valid = api.post("/instances", auth=org, element_token=existing["token"], json_body=seed_body())
    assert valid.status == 200, valid.text


def test_the_platforms_path_prefix_serves_every_route(api: ApiClient, org: Credentials) -> None:
    # Given the seed's request, sent to the platform's path (only the host changed)
    body = seed_body()

    # When it is posted to /elements/api-v2/instances, and the instance read back there
    created = api.post("/elements/api-v2/instances", auth=org, json_body=body)
    read = api.get(f"/elements/api-v2/instances/{created.body['id']}", auth=org)

    # Then both work as without the prefix
    assert created.status == 200, created.text
    assert read.status == 200 and read.body["id"] == created.body["id"]
    assert api.get("/elements/api-v2/instances", auth=org).body[0]["id"] == created.body["id"]


def test_instances_page_the_platforms_way(api: ApiClient, org: Credentials) -> None:
    # Given 45 instances
    created = [create(api, org)["id"] for _ in range(45)]

    # When the list is walked ten at a time, following Elements-Next-Page-Token
    seen: list[int] = []
    pages = 0
    query = "pageSize=10"
    while True:
        reply = api.get("/elements/api-v2/instances", auth=org, query=query)
        assert reply.status == 200, reply.text
        assert isinstance(reply.body, list) and len(reply.body) <= 10
        seen += [i["id"] for i in reply.body]
        pages += 1
        token = reply.headers.get("Elements-Next-Page-Token")
        if token is None:
            break
        query = f"pageSize=10&nextPage={token}"

    # Then every instance came exactly once, in order, in five pages, and the last one named no next page
    assert seen == sorted(created) and pages == 5


def test_a_full_last_page_names_no_next_page_and_the_old_names_still_work(api: ApiClient, org: Credentials) -> None:
    # Given exactly two pages' worth
    created = [create(api, org)["id"] for _ in range(6)]

    # When they are read with `limit` and `cursor` (the names this API had)
    first = api.get("/instances", auth=org, query="limit=3")
    token = first.headers["Elements-Next-Page-Token"]
    second = api.get("/instances", auth=org, query=f"limit=3&cursor={token}")

    # Then the second page is the last and says so
    assert [i["id"] for i in first.body + second.body] == created
    assert "Elements-Next-Page-Token" not in second.headers


def _token(after: int) -> str:
    from srevents.api.request import instances_page_token

    return instances_page_token(after)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("pageSize=0", "pageSize"),
        ("pageSize=1001", "pageSize"),
        ("limit=abc", "limit"),
        ("nextPage=nope", "nextPage"),
        (f"nextPage={_token(10**30)}", "nextPage"),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter(api: ApiClient, org: Credentials, query: str, field: str) -> None:
    reply = api.get("/instances", auth=org, query=query)
    assert reply.status == 400 and reply.body["message"].startswith(field), reply.body
