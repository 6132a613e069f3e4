"""Hypothesis settings profiles for the reliability suite's property-based tests.

`reliability` (the default, what CI runs) gives each property the number of examples its test asks for:
over 2,000 generated requests in all, plus the OpenAPI-driven run. `reliability-quick` (set
SREVENTS_FUZZ_PROFILE=reliability-quick) runs a twentieth of them while working on the suite; a quick run
never rewrites docs/RELIABILITY.md. No example database is kept: every run draws afresh, and a failure
prints the blob that reproduces it (`@reproduce_failure`).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

FULL, QUICK = "reliability", "reliability-quick"
settings.register_profile(
    FULL,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile(QUICK, parent=settings.get_profile(FULL))
PROFILE = os.environ.get("SREVENTS_FUZZ_PROFILE", FULL)
if PROFILE not in (FULL, QUICK):
    raise ValueError(f"SREVENTS_FUZZ_PROFILE must be {FULL} or {QUICK}, not {PROFILE!r}")


def examples(wanted: int) -> int:
    return wanted if PROFILE == FULL else max(10, wanted // 20)


def fuzz_settings(wanted: int) -> Any:
    """The profile's settings with `wanted` examples (a twentieth of them under the quick profile)."""
    return settings(settings.get_profile(PROFILE), max_examples=examples(wanted))
