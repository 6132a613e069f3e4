"""The reliability suite's fixtures (a fresh world per fault case, the figures each case reports).

docs/RELIABILITY.md is written from those figures by tests/reliability/report_hooks.py, a plugin of the root
conftest so that it also runs in pytest-xdist's controller."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devstack.aws_resources import StackResources
from tests.reliability.report_hooks import ours
from tests.reliability.world import World, build_world

_worlds = itertools.count(1)


@pytest.fixture
def world(aws: StackResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from build_world(aws, monkeypatch, next(_worlds))


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Attach one row of figures to the test's report (collected for docs/RELIABILITY.md)."""

    def add(**row: Any) -> None:
        request.node.user_properties.append(("reliability", json.dumps(row, sort_keys=True)))

    return add


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if ours(item.nodeid):
            item.add_marker(pytest.mark.reliability)
