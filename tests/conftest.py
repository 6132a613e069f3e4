"""Fixtures shared by every layer of tests: fake AWS credentials, moto, the handlers, an API client."""

from __future__ import annotations

import os

# Before anything imports boto3 or Powertools: no real AWS, no X-Ray, quiet metrics.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "SmartRecruitersEvents",
        "POWERTOOLS_SERVICE_NAME": "srevents",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

from hypothesis import settings  # after the environment above, like every other import here

# No per-example deadline anywhere: on a loaded 2-core machine (CI, xdist) a property's slowest example says
# nothing about correctness, and a deadline failure there is noise. Speed is measured in bench/, not here.
settings.register_profile("srevents", deadline=None)
settings.load_profile("srevents")

pytest_plugins = [
    "tests.support.leaks",
    "tests.support.fixtures",
    "tests.support.poll_harness",
    "tests.support.pipeline",
    "tests.support.webhook_harness",
    "tests.reliability.report_hooks",  # here, not in tests/reliability/: pytest-xdist's controller loads it too
]
