"""Calls the API function the way API Gateway does, and reads its answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from devstack.apigw_events import proxy_event
from devstack.aws_resources import StackResources
from devstack.lambda_runtime import LambdaContext, load_handler_module
from srevents.adapters.accounts_store import AccountsStore
from tests.support.leaks import check_response, register_secret


@dataclass(frozen=True)
class Credentials:
    organization_id: int
    organization_secret: str
    user_secret: str

    def header(self, element_token: str | None = None) -> str:
        value = f"User {self.user_secret}, Organization {self.organization_secret}"
        return value + (f", Element {element_token}" if element_token else "")


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    text: str


class ApiClient:
    def __init__(self, module: Any, resources: StackResources) -> None:
        self.module = module
        self.resources = resources

    @classmethod
    def load(cls, resources: StackResources) -> ApiClient:
        return cls(load_handler_module("api"), resources)

    def create_organization(self, name: str) -> Credentials:
        accounts = AccountsStore(boto3.client("dynamodb"), self.resources.refs["InstancesTable"])
        organization_id, org_secret = accounts.create_organization(name)
        _, user_secret = accounts.create_user(organization_id, f"admin@{name.lower()}.test")
        register_secret(org_secret)
        register_secret(user_secret)
        return Credentials(organization_id, org_secret, user_secret)

    def call(
        self,
        method: str,
        path: str,
        *,
        auth: Credentials | str | None = None,
        json_body: Any = None,
        raw_body: str | bytes | None = None,
        query: str = "",
        headers: dict[str, str] | None = None,
        element_token: str | None = None,
    ) -> Reply:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if isinstance(auth, Credentials):
            all_headers["Authorization"] = auth.header(element_token)
        elif isinstance(auth, str):
            all_headers["Authorization"] = auth
        body = raw_body if raw_body is not None else (json.dumps(json_body) if json_body is not None else None)
        event = proxy_event(method, path, headers=all_headers, query=query, body=body)
        response = self.module.lambda_handler(event, LambdaContext(function_name="srevents-ApiFunction"))
        text = response.get("body") or ""
        token = None
        if response["statusCode"] == 200 and '"token"' in text:
            token = register_secret(json.loads(text).get("token", ""))
        check_response(method, path, response["statusCode"], text, allowed=token)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        # Powertools answers a REST proxy event with multiValueHeaders; API Gateway sends both maps.
        headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items() if values}
        headers.update(response.get("headers") or {})
        return Reply(response["statusCode"], parsed, headers, text)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Reply:
        return self.call("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Reply:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.call("DELETE", path, **kwargs)
