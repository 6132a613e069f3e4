"""The admin command creates an organization whose printed secrets work against the API."""

from __future__ import annotations

import re

from srevents.admin import main
from tests.support.api_client import ApiClient
from tests.support.leaks import register_secret


def test_create_organization_prints_secrets_that_authenticate(api: ApiClient, capsys) -> None:
    # When
    assert (
        main(
            [
                "create-organization",
                "--name",
                "Acme",
                "--user-email",
                "ops@acme.test",
                "--table",
                api.resources.refs["InstancesTable"],
            ]
        )
        == 0
    )

    # Then
    out = capsys.readouterr().out
    org_secret = re.search(r"Organization secret: (\S+)", out).group(1)
    user_secret = re.search(r"User secret:\s+(\S+)", out).group(1)
    register_secret(org_secret)
    register_secret(user_secret)
    reply = api.get("/instances", auth=f"User {user_secret}, Organization {org_secret}")
    assert reply.status == 200 and reply.body == []


def test_create_user_for_existing_organization(api: ApiClient, capsys) -> None:
    table = api.resources.refs["InstancesTable"]
    main(["create-organization", "--name", "Acme", "--user-email", "ops@acme.test", "--table", table])
    first = capsys.readouterr().out
    org_secret = re.search(r"Organization secret: (\S+)", first).group(1)
    organization_id = re.search(r"organization (\d+)", first).group(1)

    main(["create-user", "--organization-id", organization_id, "--email", "dev@acme.test", "--table", table])

    user_secret = re.search(r"User secret:\s+(\S+)", capsys.readouterr().out).group(1)
    register_secret(org_secret)
    register_secret(user_secret)
    assert api.get("/instances", auth=f"User {user_secret}, Organization {org_secret}").status == 200
