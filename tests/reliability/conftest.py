"""The reliability suite's fixtures (a fresh world per fault case, the figures each case reports) and the
session hook that writes docs/RELIABILITY.md from those figures when, and only when, the suite ran fully:
every expected case reported by a passing test, nothing in the suite failed or was skipped, the full
Hypothesis profile, one process (under pytest-xdist the document is left alone)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devstack.aws_resources import StackResources
from tests.reliability import profiles
from tests.reliability import report as document
from tests.reliability.cases import expected_keys
from tests.reliability.world import World, build_world

_worlds = itertools.count(1)
_rows: dict[str, dict[str, Any]] = {}
_troubles: list[str] = []


@pytest.fixture
def world(aws: StackResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from build_world(aws, monkeypatch, next(_worlds))


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Attach one row of figures to the test's report (collected for docs/RELIABILITY.md)."""

    def add(**row: Any) -> None:
        request.node.user_properties.append(("reliability", json.dumps(row, sort_keys=True)))

    return add


def _ours(nodeid: str) -> bool:
    return nodeid.replace("\\", "/").startswith("tests/reliability/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _ours(item.nodeid):
            item.add_marker(pytest.mark.reliability)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _ours(report.nodeid):
        return
    if report.failed or report.skipped:
        _troubles.append(report.nodeid)
    elif report.when == "call":
        for name, value in report.user_properties:
            if name == "reliability":
                row = json.loads(str(value))
                _rows[row["key"]] = row


def pytest_deselected(items: list[pytest.Item]) -> None:
    _troubles.extend(item.nodeid for item in items if _ours(item.nodeid))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput") or session.config.pluginmanager.hasplugin("dsession"):
        return
    if _troubles or profiles.PROFILE != profiles.FULL or set(expected_keys()) - set(_rows):
        return
    document.write(_rows)
