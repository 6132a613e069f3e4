"""The session hooks that write docs/RELIABILITY.md from the figures the reliability suite's tests reported,
when, and only when, the suite ran fully: every expected case reported by a passing test, nothing in the
suite failed, was skipped or deselected, under the full Hypothesis profile.

A plugin of the root conftest (not tests/reliability/conftest.py) so that it is loaded in pytest-xdist's
controller too, which collects nothing: the controller sees every worker's test reports (with the rows in
their user properties) and writes the document once; the workers only tell it what they deselected.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

_rows: dict[str, dict[str, Any]] = {}
_troubles: list[str] = []
_DESELECTED = "reliability_deselected"  # a worker's deselected reliability tests, in its `workeroutput`


def ours(nodeid: str) -> bool:
    return nodeid.replace("\\", "/").startswith("tests/reliability/")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not ours(report.nodeid):
        return
    if report.failed or report.skipped:
        _troubles.append(report.nodeid)
    elif report.when == "call":
        for name, value in report.user_properties:
            if name == "reliability":
                row = json.loads(str(value))
                _rows[row["key"]] = row


def pytest_deselected(items: list[pytest.Item]) -> None:
    _troubles.extend(item.nodeid for item in items if ours(item.nodeid))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook, called in the controller as each worker ends
def pytest_testnodedown(node: Any, error: Any) -> None:
    _troubles.extend(getattr(node, "workeroutput", {}).get(_DESELECTED, []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller decides (its reports reach it anyway)
        workeroutput[_DESELECTED] = list(_troubles)
        return
    from tests.reliability import profiles
    from tests.reliability import report as document
    from tests.reliability.cases import expected_keys

    if _troubles or profiles.PROFILE != profiles.FULL or set(expected_keys()) - set(_rows):
        return
    document.write(_rows)
