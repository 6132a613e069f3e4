"""boto3 clients, made once per container and shared by every adapter.

boto3 honours `AWS_ENDPOINT_URL`, which is how the local stack points every client at moto's server.
Tests that start a new moto mock call `reset_clients()` so no client outlives its mock.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)
_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    with _lock:
        if service not in _clients:
            _clients[service] = boto3.session.Session().client(service, config=_CONFIG)
        return _clients[service]


def reset_clients() -> None:
    with _lock:
        _clients.clear()
