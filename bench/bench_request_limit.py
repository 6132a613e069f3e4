"""What each organization's share of the API costs a request: time and AWS calls, with and without it.

The API handler as Lambda loads it (in process, moto in process with its time measured and subtracted, as
in the other rows) answers `GET /instances` for one organization with 10 instances, 200 times, alternating
runs with the per-organization limit (the rate-limits table; `ApiRequestsPerSecond` set high enough never to
refuse) and without it (the same handler, its app built without the limit). Figures: the handler's own time
per request (moto's subtracted: in AWS that is DynamoDB's time, a few milliseconds for one UpdateItem, and
counted as calls) and the AWS calls per request.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import (
    EMULATOR,
    CallCounter,
    CountingSink,
    Result,
    add_paths,
    alternate,
    emit,
    handler_output,
    log,
    median,
    patch_moto,
    prepare_environment,
    ratio,
    repeats_from_argv,
)

REQUESTS = 200
INSTANCES = 10


def main() -> None:
    prepare_environment("WARNING")
    add_paths()
    patch_moto()
    repeats = repeats_from_argv(5)
    import copy
    import json
    import os

    from moto import mock_aws

    from devstack.apigw_events import proxy_event
    from devstack.aws_resources import create_stack_resources
    from devstack.lambda_runtime import LambdaContext, load_handler_module
    from devstack.seed import SEED_BODY
    from srevents.adapters.accounts_store import AccountsStore
    from srevents.adapters.aws import client, reset_clients, session
    from srevents.api.app import ApiServices, create_app
    from srevents.settings import Settings
    from srevents.wiring import api_services

    calls = CallCounter()
    with mock_aws():
        reset_clients()
        session()._session.register("before-call", calls)  # before any client is made: clients copy the hooks
        resources = create_stack_resources(
            session(),
            parameters={
                "AllowPrivateCallbacks": "true",
                "AllowHttpCallbacks": "true",
                "ApiRequestsPerSecond": "10000",
                "ApiBurst": "10000",
            },
        )
        os.environ.update(resources.function_environment("ApiFunction"))
        accounts = AccountsStore(client("dynamodb"), resources.refs["InstancesTable"])
        organization_id, org_secret = accounts.create_organization("Bench")
        _, user_secret = accounts.create_user(organization_id, "bench@localhost")
        headers = {
            "Authorization": f"User {user_secret}, Organization {org_secret}",
            "Content-Type": "application/json",
        }
        limited = load_handler_module("api")._app()
        without = api_services(Settings.from_env())
        unlimited = create_app(ApiServices(without.instances, without.poller, without.events))
        body = copy.deepcopy(SEED_BODY)
        body["configuration"]["event.notification.callback.url"] = "http://127.0.0.1:9/callback"
        for _ in range(INSTANCES):
            created = proxy_event("POST", "/instances", headers=headers, body=json.dumps(body))
            assert limited.resolve(created, LambdaContext())["statusCode"] == 200
        event = proxy_event("GET", "/instances", headers=headers)
        counted: dict[str, dict[str, int]] = {}

        def run(app: Any, name: str) -> Any:
            def timed() -> float:
                calls.calls.clear()
                EMULATOR.reset()
                started = time.perf_counter()
                with handler_output(CountingSink()):
                    for _ in range(REQUESTS):
                        assert app.resolve(event, LambdaContext())["statusCode"] == 200
                wall = time.perf_counter() - started
                counted[name] = dict(calls.calls)
                return (wall - EMULATOR.total) / REQUESTS * 1000

            return timed

        log(f"request limit: {REQUESTS} GET /instances with and without, {repeats} times each")
        ours, theirs = alternate(run(limited, "with"), run(unlimited, "without"), repeats)
        reset_clients()
    mine, base = median(ours), median(theirs)
    with_calls = sum(counted["with"].values()) / REQUESTS
    without_calls = sum(counted["without"].values()) / REQUESTS
    emit(
        [
            Result(
                name="API request with the organization's share checked",
                value=round(mine, 3),
                unit="ms",
                baseline=round(base, 3),
                ratio=round(ratio(mine, base), 2),
                goal="",
                details={
                    "baseline_is": "the same GET /instances without the per-organization limit",
                    "emulator": "moto's time subtracted: in AWS the UpdateItem is DynamoDB's time (single-digit ms)",
                    "calls_per_request_with": round(with_calls, 2),
                    "calls_per_request_without": round(without_calls, 2),
                    "calls_with": counted["with"],
                    "calls_without": counted["without"],
                    "product_runs_ms": [round(x, 3) for x in ours],
                    "baseline_runs_ms": [round(x, 3) for x in theirs],
                },
            ),
            Result(
                name="API request: AWS calls with the organization's share checked",
                value=round(with_calls, 2),
                unit="calls",
                baseline=round(without_calls, 2),
                ratio=round(ratio(with_calls, without_calls), 2),
                goal="value <= " + str(round(without_calls + 1, 2)),
                details={"baseline_is": "the same request without the limit; the goal: one UpdateItem more at most"},
            ),
        ]
    )


if __name__ == "__main__":
    main()
