"""Organizations and users, found by the hash of their secret (stored in the instances table)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from srevents.adapters.dynamo import BatchRead, decode, encode, is_conditional_failure
from srevents.adapters.instances_store import InstancesStore
from srevents.domain.auth import Credentials, Principal, hash_secret, new_secret, same_hash
from srevents.domain.failure_policy import RETRY, checked_policy
from srevents.errors import NotFound, Unauthorized

_WRONG = "wrong User or Organization secret"


class AccountsStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table
        self._counters = InstancesStore(client, table)

    def create_organization(self, name: str, secret: str | None = None) -> tuple[int, str]:
        """A new organization and its secret (returned once; only its hash is kept)."""
        organization_id = self._counters.next_id("organization")
        secret = secret or new_secret()
        digest = hash_secret(secret)
        self._client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self._table, "Item": encode({"pk": f"ORG#{organization_id}", "name": name})}},
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": encode(
                            {"pk": f"ORGSECRET#{digest}", "organizationId": organization_id, "hash": digest}
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
        return organization_id, secret

    def create_user(self, organization_id: int, email: str, secret: str | None = None) -> tuple[int, str]:
        user_id = self._counters.next_id("user")
        secret = secret or new_secret()
        digest = hash_secret(secret)
        self._client.put_item(
            TableName=self._table,
            Item=encode(
                {
                    "pk": f"USERSECRET#{digest}",
                    "userId": user_id,
                    "organizationId": organization_id,
                    "email": email,
                    "hash": digest,
                }
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )
        return user_id, secret

    def authenticate(self, credentials: Credentials) -> Principal:
        """One BatchGetItem finds both secrets' holders; the user must belong to the organization."""
        org_hash = hash_secret(credentials.organization_secret)
        user_hash = hash_secret(credentials.user_secret)
        keys = [{"pk": {"S": f"ORGSECRET#{org_hash}"}}, {"pk": {"S": f"USERSECRET#{user_hash}"}}]
        response = self._client.batch_get_item(RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}})
        found = {item["pk"]: item for item in map(decode, response.get("Responses", {}).get(self._table, []))}
        org = found.get(f"ORGSECRET#{org_hash}")
        user = found.get(f"USERSECRET#{user_hash}")
        if not org or not user:
            raise Unauthorized(_WRONG)
        matches = same_hash(org["hash"], org_hash) & same_hash(user["hash"], user_hash)
        if not matches or user["organizationId"] != org["organizationId"]:
            raise Unauthorized(_WRONG)
        return Principal(organization_id=int(org["organizationId"]), user_id=int(user["userId"]))

    def set_failure_policy(self, organization_id: int, policy: str) -> None:
        """Store the organization's `notification.webhook.failure.policy` (`retry` or `queue`)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"ORG#{organization_id}"}},
                UpdateExpression="SET failurePolicy = :p",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":p": {"S": checked_policy(policy)}},
            )
        except ClientError as error:
            if is_conditional_failure(error):
                raise NotFound(f"organization {organization_id} not found") from None
            raise

    def failure_policies(self, organization_ids: list[int]) -> BatchRead[dict[int, str]]:
        """Each organization's failure policy (`retry` when unset), as a read to send together with others."""
        unique = list(dict.fromkeys(organization_ids))

        def parse(items: list[dict[str, Any]]) -> dict[int, str]:
            found = dict.fromkeys(unique, RETRY)
            for raw in items:
                item = decode(raw)
                found[int(str(item["pk"]).removeprefix("ORG#"))] = str(item.get("failurePolicy") or RETRY)
            return found

        options = {"ProjectionExpression": "pk, failurePolicy"}
        return BatchRead(self._client, self._table, [{"pk": {"S": f"ORG#{o}"}} for o in unique], parse, options)
