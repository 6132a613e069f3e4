"""Logger, Tracer and Metrics, created once; every handler wears the same decorators."""

from __future__ import annotations

import threading

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "srevents"
NAMESPACE = "SmartRecruitersEvents"

logger = Logger(service=SERVICE)
# Not Powertools' default auto_patch, which is X-Ray's patch_all(): that imports every library X-Ray can
# trace in order to patch it (requests with charset_normalizer, idna and http.cookiejar; sqlite3), in every
# function, ~15 ms of each cold start, though only the poll function calls requests and none calls sqlite3.
# Each handler names what it calls instead (`trace_calls`).
tracer = Tracer(service=SERVICE, auto_patch=False)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def trace_calls(*libraries: str) -> None:
    """Record the calls of `libraries` ("botocore", "requests") as X-Ray subsegments, as patch_all() would.

    Does nothing where tracing is off (POWERTOOLS_TRACE_DISABLED, or outside Lambda). The callback sender's
    urllib3 calls are not traced, as with patch_all(), which leaves httplib alone.
    """
    tracer.patch(libraries)


_metrics_lock = threading.Lock()


def add_metric(name: str, unit: MetricUnit, value: float) -> None:
    """Add a metric from any thread: Powertools' metric set is a plain dict, and the deliverer's workers
    add to it at once (a read-modify-write that would otherwise lose values)."""
    with _metrics_lock:
        metrics.add_metric(name=name, unit=unit, value=value)
