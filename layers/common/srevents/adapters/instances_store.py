"""The instances table: instance items, the id counter and the organizations' credentials.

Single-table layout (partition key `pk`):
- `INSTANCE#<id>`          one instance; `organizationId`/`instanceId` feed the `byOrganization` index
- `COUNTER#<kind>`         atomic counters for instance, organization and user ids
- `ORG#<id>`               an organization
- `ORGSECRET#<sha256>`     an organization secret's hash → organization id
- `USERSECRET#<sha256>`    a user secret's hash → user id and organization id
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from srevents.adapters.dynamo import BatchRead, decode, encode, encode_value, is_conditional_failure
from srevents.domain.failure_policy import Redelivery
from srevents.domain.instance import Instance
from srevents.errors import Conflict, NotFound

BY_ORGANIZATION = "byOrganization"


def _key(instance_id: int) -> dict[str, Any]:
    return {"pk": {"S": f"INSTANCE#{instance_id}"}}


def _to_item(instance: Instance) -> dict[str, Any]:
    return encode(
        {
            "pk": f"INSTANCE#{instance.id}",
            "instanceId": instance.id,
            "organizationId": instance.organization_id,
            "createdBy": instance.created_by,
            "name": instance.name,
            "tags": list(instance.tags),
            "configuration": instance.configuration,
            "secretNames": list(instance.secret_names),
            "secrets": instance.secrets_ciphertext,
            "tokenHash": instance.token_hash,
            "createdDate": instance.created_date,
            "updatedDate": instance.updated_date,
            "disabled": instance.disabled,
            "version": instance.version,
            "notificationsSuspended": instance.notifications_suspended,
            "pushPaused": instance.push_paused,
            "redelivery": instance.redelivery.as_item() if instance.redelivery else None,
            "webhook": instance.webhook,
            "webhookSecrets": instance.webhook_secrets,
            "staleSubscriptions": list(instance.stale_subscriptions) or None,
        }
    )


def _from_item(raw: dict[str, Any]) -> Instance:
    item = decode(raw)
    return Instance(
        id=item["instanceId"],
        organization_id=item["organizationId"],
        created_by=item.get("createdBy", 0),
        name=item["name"],
        tags=tuple(item.get("tags", [])),
        configuration=item["configuration"],
        secret_names=tuple(item.get("secretNames", [])),
        secrets_ciphertext=item["secrets"],
        token_hash=item["tokenHash"],
        created_date=item["createdDate"],
        updated_date=item["updatedDate"],
        disabled=item.get("disabled", False),
        version=item.get("version", 1),
        notifications_suspended=item.get("notificationsSuspended"),
        push_paused=item.get("pushPaused"),
        redelivery=Redelivery.from_item(item.get("redelivery")),
        webhook=item.get("webhook"),
        webhook_secrets=item.get("webhookSecrets"),
        stale_subscriptions=tuple(item.get("staleSubscriptions") or ()),
    )


class InstancesStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def next_id(self, kind: str = "instance") -> int:
        response = self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": f"COUNTER#{kind}"}},
            UpdateExpression="ADD #v :one",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["value"]["N"])

    def create(self, instance: Instance) -> None:
        self._client.put_item(
            TableName=self._table, Item=_to_item(instance), ConditionExpression="attribute_not_exists(pk)"
        )

    def get(self, instance_id: int) -> Instance | None:
        response = self._client.get_item(TableName=self._table, Key=_key(instance_id), ConsistentRead=True)
        return _from_item(response["Item"]) if "Item" in response else None

    def read_many(self, instance_ids: list[int]) -> BatchRead[dict[int, Instance | None]]:
        """Several instances (strongly consistent; None for those that do not exist), as a read to send
        together with other tables' (adapters/dynamo.py)."""
        unique = list(dict.fromkeys(instance_ids))

        def parse(items: list[dict[str, Any]]) -> dict[int, Instance | None]:
            found: dict[int, Instance | None] = dict.fromkeys(unique)
            for raw in items:
                instance = _from_item(raw)
                found[instance.id] = instance
            return found

        return BatchRead(self._client, self._table, [_key(i) for i in unique], parse)

    def get_owned(self, organization_id: int, instance_id: int) -> Instance:
        """The instance if it belongs to the organization; another's is indistinguishable from none."""
        instance = self.get(instance_id)
        if instance is None or instance.organization_id != organization_id:
            raise NotFound(f"instance {instance_id} not found")
        return instance

    def list_owned(self, organization_id: int) -> list[Instance]:
        items: list[Instance] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_ORGANIZATION,
            "KeyConditionExpression": "organizationId = :o",
            "ExpressionAttributeValues": {":o": {"N": str(organization_id)}},
        }
        while True:
            response = self._client.query(**kwargs)
            items.extend(_from_item(raw) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def page_owned(
        self, organization_id: int, *, limit: int, after: int | None = None
    ) -> tuple[list[Instance], int | None]:
        """Up to `limit` of the organization's instances in id order, from after instance `after`; and the id
        to continue after when there may be more (None at the end)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_ORGANIZATION,
            "KeyConditionExpression": "organizationId = :o",
            "ExpressionAttributeValues": {":o": {"N": str(organization_id)}},
            "Limit": limit,
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {
                **_key(after),
                "organizationId": {"N": str(organization_id)},
                "instanceId": {"N": str(after)},
            }
        response = self._client.query(**kwargs)
        items = [_from_item(raw) for raw in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return items, int(last["instanceId"]["N"]) if last else None

    def replace(self, instance: Instance, expected_version: int) -> None:
        """Write a changed instance, refusing if someone else changed it since it was read."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_to_item(instance),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        except ClientError as error:
            if is_conditional_failure(error):
                raise Conflict(f"instance {instance.id} was changed concurrently; read it again and retry") from None
            raise

    def delete(self, instance_id: int) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(instance_id))

    def suspend_notifications(self, instance_id: int, reason: str) -> None:
        """Switch delivery off (after a 410 Gone); the API shows the reason."""
        self._update_existing(
            instance_id, "SET notificationsSuspended = :r ADD version :one", {":r": encode_value(reason)}
        )

    def pause_push(self, instance_id: int, reason: str, seen_version: int) -> bool:
        """Pause push (a notification failed its last retry): later notifications are kept QUEUED, and a
        redelivery under way ends. Only if the instance is still as the caller read it (`seen_version`): a
        customer who meanwhile asked for a redelivery, enabled it or changed its callback has resumed push,
        and that stands. False when it was not paused."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(instance_id),
                UpdateExpression="SET pushPaused = :r REMOVE redelivery ADD version :one",
                ConditionExpression="version = :seen",
                ExpressionAttributeValues={
                    ":r": encode_value(reason),
                    ":seen": {"N": str(seen_version)},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def save_redelivery_progress(self, instance_id: int, requested_at: str, after: str) -> None:
        """Remember the last parking mark the redelivery asked for at `requested_at` got past."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(instance_id),
                UpdateExpression="SET redelivery.resumeAfter = :after",
                ConditionExpression="redelivery.requestedAt = :at",
                ExpressionAttributeValues={":after": {"S": after}, ":at": {"S": requested_at}},
            )
        except ClientError as error:
            if not is_conditional_failure(error):
                raise

    def finish_redelivery(self, instance_id: int, requested_at: str) -> None:
        """The redelivery asked for at `requested_at` sent everything it selected (a newer one stays)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(instance_id),
                UpdateExpression="REMOVE redelivery ADD version :one",
                ConditionExpression="redelivery.requestedAt = :at",
                ExpressionAttributeValues={":at": {"S": requested_at}, ":one": {"N": "1"}},
            )
        except ClientError as error:
            if not is_conditional_failure(error):
                raise

    def _update_existing(self, instance_id: int, expression: str, values: dict[str, Any]) -> None:
        """Update the instance if it still exists (a deleted one stays deleted)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(instance_id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={**values, ":one": {"N": "1"}},
            )
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
