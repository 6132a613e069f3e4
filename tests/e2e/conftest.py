"""Start the local stack as a user would: its command line, real ports, a separate process."""

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devstack.http_client import http_json

REPO = Path(__file__).resolve().parents[2]
ORG_SECRET = "e2e-organization-secret-0123456789"
USER_SECRET = "e2e-user-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


request = http_json  # the stack's own client: JSON in, (status, JSON) out


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    api_url: str
    receiver_url: str
    simulator_url: str
    api_port: int
    lines: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"User {USER_SECRET}, Organization {ORG_SECRET}"}

    def received(self) -> list[dict[str, Any]]:
        base = self.receiver_url.rsplit("/", 1)[0]
        return request("GET", f"{base}/_received")[1]

    def wait_for(self, predicate: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError(
            f"timed out after {timeout:g} s waiting for {what}; stack said:\n" + "\n".join(self.lines[-40:])
        )

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        return self.process.wait(timeout=timeout)


def start_stack(*flags: str, timeout: float = 60) -> RunningStack:
    api_port = free_port()
    command = [
        sys.executable, "-m", "devstack", "--no-demo",
        "--api-port", str(api_port),
        "--organization-secret", ORG_SECRET,
        "--user-secret", USER_SECRET,
        # The tests call the API faster than a tenant would; the share itself is tested in integration.
        "--api-requests-per-second", "1000",
        *flags,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'layers' / 'common'}{os.pathsep}{REPO}", "PYTHONUNBUFFERED": "1"}
    for name in [k for k in env if k.startswith("AWS_")]:
        env.pop(name)
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines: list[str] = []
    seen: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            seen.put(line)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    urls: dict[str, str] = {}
    while time.monotonic() < deadline:
        try:
            line = seen.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if match := re.search(r"callbacks to (\S+)", line):
            urls["receiver"] = match.group(1)
        if match := re.search(r"simulator at (\S+)", line):
            urls["simulator"] = match.group(1)
        if line.startswith("ready: "):
            return RunningStack(process, line.split()[1], urls["receiver"], urls["simulator"], api_port, lines)
    process.kill()
    raise AssertionError("the stack did not print 'ready':\n" + "\n".join(lines[-40:]))


@pytest.fixture
def stack_factory() -> Iterator[Any]:
    started: list[RunningStack] = []

    def start(*flags: str) -> RunningStack:
        stack = start_stack(*flags)
        started.append(stack)
        return stack

    yield start
    for stack in started:
        if stack.process.poll() is None:
            stack.process.kill()
            stack.process.wait(timeout=10)
