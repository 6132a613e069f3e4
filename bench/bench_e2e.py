"""End to end through the local stack: a change in SmartRecruiters → a verified callback, after poll-now.

The stack is started as a user starts it (`python -m devstack --no-demo`, as tests/e2e/conftest.py does):
moto's server, the API Gateway shim, the Lambda invoke shim, the scheduler loop, the SQS pump and the
receiver, all in their own process. For each of 50 changes: create a candidate through the simulator's
control endpoint, ask for a poll now (`POST /instances/{id}/events/poll`), and wait for the receiver's line
naming that candidate with both signatures verified. The latency runs from the change to that line.

The baseline, measured the same way in the same run: the least any pipeline must do for one change, done
by hand from here: create the candidate, GET /candidates?updatedAfter=... from the simulator, and POST a
body naming it to the same receiver.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import REPO, Result, add_paths, emit, log, median, percentile, ratio, repeats_from_argv

ORGANIZATION_SECRET = "bench-organization-secret-0123456789"
USER_SECRET = "bench-user-secret-0123456789abcdef"
API_KEY = "demo-smartrecruiters-key"  # the key the stack's simulator knows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    def __init__(self, *flags: str) -> None:
        self.api_port = _free_port()
        command = [
            sys.executable, "-m", "devstack", "--no-demo",
            "--api-port", str(self.api_port),
            "--organization-secret", ORGANIZATION_SECRET,
            "--user-secret", USER_SECRET,
            *flags,
        ]  # fmt: skip
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
        environment["PYTHONPATH"] = os.pathsep.join([str(REPO / "layers" / "common"), str(REPO)])
        environment["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.tail: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.api_url = self.receiver_url = self.simulator_url = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not self.api_url:
            try:
                _, line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if match := re.search(r"callbacks to (\S+)", line):
                self.receiver_url = match.group(1)
            if match := re.search(r"simulator at (\S+)", line):
                self.simulator_url = match.group(1)
            if line.startswith("ready: "):
                self.api_url = line.split()[1]
        if not self.api_url:
            self.stop()
            raise RuntimeError("the local stack did not start:\n" + "\n".join(self.tail[-30:]))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.tail = [*self.tail[-200:], line.rstrip()]
            self.lines.put((time.perf_counter(), line.rstrip()))

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"User {USER_SECRET}, Organization {ORGANIZATION_SECRET}"}

    def wait_for_line(self, needle: str, timeout: float) -> tuple[float, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                at, line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if needle in line:
                return at, line
        raise TimeoutError(f"no line with {needle!r} within {timeout} s:\n" + "\n".join(self.tail[-20:]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def run(changes: int) -> list[Result]:
    import copy

    import requests

    from devstack.http_client import http_json
    from devstack.seed import SEED_BODY
    from srevents.clock import iso_millis

    log("starting the local stack (python -m devstack --no-demo)")
    stack = Stack()
    try:
        body = copy.deepcopy(SEED_BODY)
        body["configuration"]["event.notification.callback.url"] = stack.receiver_url
        body["configuration"]["api.key"] = API_KEY
        status, instance = http_json("POST", f"{stack.api_url}/instances", body, stack.auth)
        assert status == 200, instance
        poll_now = f"{stack.api_url}/instances/{instance['id']}/events/poll"
        session = requests.Session()

        def change() -> dict[str, Any]:
            url = f"{stack.simulator_url}/_simulator/candidates"
            response = session.post(url, json={"firstName": "Bench"}, timeout=30)
            response.raise_for_status()
            result: dict[str, Any] = response.json()
            return result

        def through_the_stack() -> float:
            started = time.perf_counter()
            candidate = change()
            response = session.post(poll_now, headers=stack.auth, timeout=30)
            assert response.status_code == 202, response.text
            at, line = stack.wait_for_line(candidate["id"][:8], timeout=60)
            assert "signature verified" in line, line
            return at - started

        since = iso_millis(datetime.now(UTC))

        def by_hand() -> float:
            started = time.perf_counter()
            candidate = change()
            page = session.get(
                f"{stack.simulator_url}/candidates",
                params={"updatedAfter": since, "limit": "100"},
                headers={"X-SmartToken": API_KEY},
                timeout=30,
            ).json()
            assert any(c["id"] == candidate["id"] for c in page["content"])
            posted = session.post(stack.receiver_url, json={"objectId": candidate["id"]}, timeout=30)
            assert posted.status_code == 200
            return time.perf_counter() - started

        through_the_stack()  # warm-up: the handlers' first invocations create their clients
        by_hand()
        log(f"end to end: {changes} changes through the stack, {changes} by hand, alternating")
        ours, theirs = [], []
        for _ in range(changes):
            ours.append(through_the_stack())
            theirs.append(by_hand())
    finally:
        stack.stop()

    p50, p95 = median(ours), percentile(ours, 95)
    b50, b95 = median(theirs), percentile(theirs, 95)
    details = {
        "baseline_is": "by hand: create the candidate, GET it from the simulator, POST it to the receiver",
        "changes": changes,
        "runs_s": [round(x, 3) for x in ours],
        "baseline_runs_s": [round(x, 4) for x in theirs],
    }
    return [
        Result("end to end: change -> verified callback, p50", round(p50, 3), "s", round(b50, 4),
               round(ratio(p50, b50), 1), "value <= 2", details=details),
        Result("end to end: change -> verified callback, p95", round(p95, 3), "s", round(b95, 4),
               round(ratio(p95, b95), 1), "", details={"changes": changes}),
    ]  # fmt: skip


def main() -> None:
    add_paths()
    emit(run(repeats_from_argv(50)))


if __name__ == "__main__":
    main()
