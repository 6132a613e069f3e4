"""boto3 clients, made once per container from one boto3 Session and shared by every adapter.

One Session per process, not one per client: a botocore session caches what it loads (the endpoint
rules, the partitions, each service's model), so every further client of the process costs a few
milliseconds instead of re-reading and re-parsing those JSON files (tens of milliseconds per client, the
larger part of a function's first build). Neither creating a Session nor creating a client from a shared
Session is thread-safe, so both happen under one lock; the clients themselves are thread-safe.

boto3 honours `AWS_ENDPOINT_URL`, which is how the local stack points every client at moto's server; it is
read when a client is created, so it must be set before the first one (as the local stack does).
Tests that start a new moto mock call `reset_clients()` so no client outlives its mock. The Session is kept:
moto intercepts requests through a `before-send` handler that botocore installs in every Session created
after `moto` is imported (the test fixtures import it first), and it holds nothing a mock owns.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)
_clients: dict[str, Any] = {}
_session: boto3.session.Session | None = None
_lock = threading.Lock()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while a client is made (the first one of a process above all).

    Making a client parses large JSON documents (the endpoint rules, the service model): tens of thousands of
    new objects, which set off full collections that walk every object of the process, the more modules
    imported (Powertools, the X-Ray SDK) the longer each. Nothing a client is made of is garbage yet, so the
    collector (process-wide) waits the few milliseconds until it is made: 35-45 ms of each function's first
    build in `make bench`'s Lambda environment.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _shared_session() -> boto3.session.Session:
    """The process's Session; call with `_lock` held."""
    global _session
    if _session is None:
        _session = boto3.session.Session()
    return _session


def session() -> boto3.session.Session:
    """The Session every adapter's client comes from, for code that makes its own clients (test fixtures, benchmarks).

    Its own `.client()` calls are not serialised by this module: call it from one thread, or use `client()`.
    """
    with _lock:
        return _shared_session()


def client(service: str) -> Any:
    with _lock:
        found = _clients.get(service)
        if found is None:
            with _collector_paused():
                found = _clients[service] = _shared_session().client(service, config=_CONFIG)
        return found


def reset_clients() -> None:
    """Forget the clients (the next `client()` makes new ones); the Session and its loaded models stay."""
    with _lock:
        _clients.clear()
