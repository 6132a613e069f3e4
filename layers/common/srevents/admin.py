"""Admin command: create organizations and users, printing their secrets once (only hashes are stored); set an
organization's `notification.webhook.failure.policy` (`retry`, the default, or `queue`).

    python -m srevents.admin create-organization --name Acme --user-email ops@acme.example --stack-name srevents
    python -m srevents.admin create-user --organization-id 1 --email dev@acme.example --stack-name srevents
    python -m srevents.admin set-failure-policy --organization-id 1 --policy queue --stack-name srevents

`--stack-name` finds the instances table in the stack's outputs (AWS credentials from the usual
places); `--table` names it directly.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3

from srevents.adapters.accounts_store import AccountsStore
from srevents.domain.failure_policy import POLICIES, POLICY_SETTING
from srevents.errors import NotFound


def _table(args: argparse.Namespace, session: Any) -> str:
    if args.table:
        return str(args.table)
    outputs = (
        session.client("cloudformation").describe_stacks(StackName=args.stack_name)["Stacks"][0].get("Outputs", [])
    )
    for output in outputs:
        if output["OutputKey"] == "InstancesTableName":
            return str(output["OutputValue"])
    raise SystemExit(f"stack {args.stack_name} has no InstancesTableName output")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m srevents.admin", description=__doc__.split("\n\n")[0])
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--stack-name", default="srevents", help="the deployed stack (default: srevents)")
    where.add_argument("--table", help="the instances table, instead of looking it up in the stack")
    where.add_argument("--region", help="AWS region (default: from your AWS configuration)")
    commands = parser.add_subparsers(dest="command", required=True)
    org = commands.add_parser("create-organization", parents=[where], help="a new organization and its first user")
    org.add_argument("--name", required=True)
    org.add_argument("--user-email", required=True)
    user = commands.add_parser("create-user", parents=[where], help="another user of an existing organization")
    user.add_argument("--organization-id", type=int, required=True)
    user.add_argument("--email", required=True)
    policy = commands.add_parser(
        "set-failure-policy",
        parents=[where],
        help="an organization's notification.webhook.failure.policy: retry (push; pause after the last retry) "
        "or queue (never push: keep every notification QUEUED for pull and redelivery)",
    )
    policy.add_argument("--organization-id", type=int, required=True)
    policy.add_argument("--policy", choices=POLICIES, required=True)
    args = parser.parse_args(argv)

    session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    accounts = AccountsStore(session.client("dynamodb"), _table(args, session))
    if args.command == "set-failure-policy":
        try:
            accounts.set_failure_policy(args.organization_id, args.policy)
        except NotFound as error:
            raise SystemExit(str(error)) from None
        print(f"organization {args.organization_id}: {POLICY_SETTING} = {args.policy}")
        print("Deliverers apply it within a minute.")
        return 0
    if args.command == "create-organization":
        organization_id, organization_secret = accounts.create_organization(args.name)
        user_id, user_secret = accounts.create_user(organization_id, args.user_email)
        print(f"organization {organization_id} ({args.name}), user {user_id} ({args.user_email})")
        print(f"Organization secret: {organization_secret}")
    else:
        user_id, user_secret = accounts.create_user(args.organization_id, args.email)
        print(f"user {user_id} ({args.email}) of organization {args.organization_id}")
        print("Organization secret: (unchanged; ask the organization's admin)")
    print(f"User secret:         {user_secret}")
    print("These secrets are shown once and stored only as hashes. Send them as:")
    print("  Authorization: User <user secret>, Organization <organization secret>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
