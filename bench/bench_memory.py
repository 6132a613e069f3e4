"""Peak memory of the poll function at 10,000 records, and of the deliver function per batch.

Each function runs alone in a child process (bench/memory_child.py) against moto's server and the
simulator served from this process, so the figure is the function's own process, as Lambda's
"Max Memory Used" is. The baseline is the same process's resting footprint right after importing the
handler (what a cold start costs before any work); the ratio says how much the work adds on top.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any

from bench.common import REGION, REPO, Result, emit, log, patch_moto, prepare_environment

RECORDS = 10_000
DELIVER_BATCHES = 20
GOAL_MB = 128


def _child(*arguments: str) -> dict[str, Any]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO / "layers" / "common"), str(REPO)])
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory_child", *arguments],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child {arguments[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run() -> list[Result]:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    from bench.world import API_KEY, LOCAL_PARAMETERS, SIGNATURE_KEY
    from devstack.aws_resources import create_stack_resources
    from devstack.receiver import Receiver
    from devstack.seed import SEED_BODY
    from devstack.smartrecruiters import SimulatorServer, SimulatorStore
    from devstack.sqs_pump import sqs_event
    from srevents.adapters.accounts_store import AccountsStore
    from srevents.adapters.aws import reset_clients, session
    from srevents.clock import ManualClock
    from srevents.domain.auth import Principal
    from srevents.services.instances_service import Caller
    from srevents.settings import Settings
    from srevents.wiring import instances_service, poll_service

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
    patch_moto()  # the server's SQS backend lives in this process
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    reset_clients()
    try:
        resources = create_stack_resources(session(), parameters=LOCAL_PARAMETERS)
        clock = ManualClock()
        store = SimulatorStore(clock, rate_limit_per_second=False)
        store.add_api_key(API_KEY)
        with (
            SimulatorServer(store) as simulator,
            Receiver(SIGNATURE_KEY) as receiver,
            tempfile.TemporaryDirectory() as tmp,
        ):
            for function in ("ApiFunction", "PollFunction", "DeliverFunction"):
                os.environ.update(resources.function_environment(function))
            os.environ["SMARTRECRUITERS_BASE_URL"] = simulator.base_url
            settings = Settings.from_env()
            accounts = AccountsStore(boto3.client("dynamodb", region_name=REGION), settings.instances_table)
            organization_id, _ = accounts.create_organization("Bench")
            user_id, _ = accounts.create_user(organization_id, "bench@example.test")
            caller = Caller(Principal(organization_id, user_id), None)

            def instance(callback: str | None = None) -> int:
                import copy

                body = copy.deepcopy(SEED_BODY)
                body["configuration"]["api.key"] = API_KEY
                body["configuration"]["event.notification.signature.key"] = SIGNATURE_KEY
                if callback:
                    body["configuration"]["event.notification.callback.url"] = callback
                return int(instances_service(settings, clock).create(caller, body)["id"])

            polled = instance()
            delivered_to = instance(receiver.url)
            clock.advance(1)
            log(f"memory: creating {RECORDS} candidates")
            for _ in range(RECORDS):
                clock.advance(0.001)
                store.create_candidate()
            clock.advance(2)

            log("memory: the poll function alone, polling 10,000 records")
            poll = _child("poll", str(polled), clock.now().isoformat())
            assert poll["records"] == RECORDS, poll

            # The deliver function's input: this process polls for the second instance and hands the
            # notifications over as SQS events of 10 (the template's BatchSize).
            sqs = boto3.client("sqs", region_name=REGION)
            queue = resources.refs["NotificationQueue"]

            def drain() -> list[dict[str, Any]]:
                received: list[dict[str, Any]] = []
                while True:
                    batch = sqs.receive_message(
                        QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
                    ).get("Messages", [])
                    if not batch:
                        return received
                    received.extend(batch)
                    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
                    sqs.delete_message_batch(QueueUrl=queue, Entries=entries)

            drain()  # the poll child's notifications
            poll_service(settings, clock).poll(delivered_to, lambda: 600_000)
            messages = drain()[: DELIVER_BATCHES * 10]
            arn = resources.attrs[("NotificationQueue", "Arn")]
            events = [sqs_event(messages[i : i + 10], arn) for i in range(0, len(messages), 10)]
            path = os.path.join(tmp, "events.json")
            with open(path, "w") as handle:
                json.dump(events, handle)
            log(f"memory: the deliver function alone, {len(events)} batches of 10")
            deliver = _child("deliver", path)
            assert deliver["delivered"] == len(messages), deliver
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)
        moto.stop()

    body_kb = sum(len(m["Body"]) for m in messages) / len(messages) / 1024
    return [
        Result(
            name="poll function peak memory, 10,000 records",
            value=poll["peak_mb"],
            unit="MB",
            baseline=poll["resting_mb"],
            ratio=round(poll["peak_mb"] / poll["resting_mb"], 3),
            goal=f"value <= {GOAL_MB}",
            details={"baseline_is": "the same process right after importing the handler", **poll},
        ),
        Result(
            name="deliver function peak memory, batches of 10",
            value=deliver["peak_mb"],
            unit="MB",
            baseline=deliver["resting_mb"],
            ratio=round(deliver["peak_mb"] / deliver["resting_mb"], 3),
            goal=f"value <= {GOAL_MB}",
            details={
                "baseline_is": "the same process right after importing the handler",
                "body_kb_per_notification": round(body_kb, 1),
                **deliver,
            },
        ),
    ]


def main() -> None:
    prepare_environment()
    emit(run())


if __name__ == "__main__":
    main()
