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


def test_the_local_stacks_admin_hint_creates_a_second_organization(monkeypatch, capsys) -> None:
    """`make run` prints how to create another organization in its moto; that command works as printed."""
    import shlex

    import boto3
    from moto.server import ThreadedMotoServer

    from devstack.__main__ import admin_command, parse_args
    from devstack.aws_resources import create_stack_resources
    from tests.support.fixtures import LOCAL_PARAMETERS

    assert parse_args(["--organizations", "3"]).organizations == 3
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        aws_url = f"http://{host}:{port}"
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws_url)
        resources = create_stack_resources(boto3.Session(region_name="us-east-1"), parameters=LOCAL_PARAMETERS)
        table = resources.refs["InstancesTable"]

        # Given the command the ready block prints, with its environment
        words = shlex.split(admin_command(aws_url, table))
        env = dict(word.split("=", 1) for word in words if "=" in word and not word.startswith("ARGS"))
        args = shlex.split(next(word for word in words if word.startswith("ARGS=")).removeprefix("ARGS="))
        for key, value in env.items():
            monkeypatch.setenv(key, value)

        # When it is run (make admin runs `python -m srevents.admin $(ARGS)`)
        assert main(args) == 0

        # Then the moto of the local stack holds a second organization
        out = capsys.readouterr().out
        register_secret(re.search(r"Organization secret: (\S+)", out).group(1))
        register_secret(re.search(r"User secret:\s+(\S+)", out).group(1))
        assert re.search(r"organization \d+ \(Globex\)", out)
        items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=table)["Items"]
        assert any(item.get("name", {}).get("S") == "Globex" for item in items)
    finally:
        server.stop()
