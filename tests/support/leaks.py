"""Fails any test whose captured output (stdout, stderr, log records) contains a secret used in the suite,
and any API response that does (`check_response`, called by the API client on every answer).

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


def leaked_in(text: str) -> list[str]:
    """The registered secrets in `text`, of those distinctive enough to look for in echoed user input (the
    seed's all-`x` API key would match any long run of x's a test sends as a name or tag)."""
    return sorted(s for s in _SECRETS if len(set(s)) >= 4 and s in text)


def check_response(method: str, path: str, status: int, text: str, allowed: str | None = None) -> None:
    """Fail now if an API answer holds a secret; `allowed` is the one it may hold (a new instance's token)."""
    found = leaked_in(text.replace(allowed, "") if allowed else text)
    if found:
        shown = ", ".join(s[:3] + "…" for s in found)
        raise AssertionError(f"secret(s) leaked into the answer to {method} {path} ({status}): {shown}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.when == "setup" or not report.passed:
        return  # the call report carries the setup's sections too
    sections = report.sections if report.when == "call" else [s for s in report.sections if "teardown" in s[0]]
    captured = "\n".join(text for _, text in sections)
    found = _leaks(captured)
    if found:
        report.outcome = "failed"
        shown = ", ".join(s[:3] + "…" for s in found)
        report.longrepr = f"secret(s) leaked into captured output/logs: {shown}"
