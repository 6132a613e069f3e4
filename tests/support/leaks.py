"""Fails any test whose captured output (stdout, stderr, log records) contains a secret used in the suite.

Secrets are registered as the tests create them (API keys, signature keys, organization and user
secrets, instance tokens); the check runs on every test's report, so a leak names the test that logged it.
"""

from __future__ import annotations

from typing import Any

import pytest

_SECRETS: set[str] = {
    "xxxxxxxxxxxxxxxxxxxxxxxxx",  # the seed's api.key
    "asdfo08e$fd",  # the seed's signature key
}


def register_secret(value: str) -> str:
    if value and len(value) >= 6:
        _SECRETS.add(value)
    return value


def _leaks(text: str) -> list[str]:
    return sorted(s for s in _SECRETS if s in text)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.passed:
        return
    captured = "\n".join(text for _, text in report.sections)
    found = _leaks(captured)
    if found:
        report.outcome = "failed"
        shown = ", ".join(s[:3] + "…" for s in found)
        report.longrepr = f"secret(s) leaked into captured output/logs: {shown}"
