"""Every case the suite reports, named once: the tests parametrize from here, and docs/RELIABILITY.md is
written only when each of these keys was reported by a passing test (the suite ran fully)."""

from __future__ import annotations

from tests.reliability.faults import TIMEOUT

SR_FAULTS: tuple[int | str, ...] = (500, 429, TIMEOUT)
SR_PAGES = (1, 2, 3, 4)

RECEIVER_CASES = ("outage-one-day", "outage-past-last-retry")
POLL_CRASHES = ("mid-page", "after-plan", "after-some-enqueued", "after-all-enqueued")
DELIVER_CRASHES = ("after-2xx-before-log",)
CONCURRENT_POLLS = (2, 5)
WEBHOOK_FAULTS = ("drop", "duplicate", "delay", "reorder", "all")
AWS_FAULTS = (
    "dynamodb-throttle-transient",
    "dynamodb-throttle-lease",
    "dynamodb-throttle-plan",
    "dynamodb-throttle-commit",
    "dynamodb-throttle-log-read",
    "dynamodb-throttle-log-write",
    "sqs-throttle-send-transient",
    "sqs-throttle-send",
    "sqs-send-refused-mid-poll",
    "sqs-batch-partly-enqueued",
    "sqs-visibility-failure",
    "sqs-dead-letter-failure",
)


FUZZ = ("post-bodies", "patch-bodies", "authorization", "path-ids", "queries", "openapi")
SECURITY = ("routes", "ssrf-creation-literal", "ssrf-creation-resolved", "ssrf-delivery")
HOSTILE = (
    "echoed-key",
    "looping-cursor",
    "unencodable-records",
    "retry-after-a-day",
    "future-dated-record",
    "api-key-not-a-header",
    "large-secrets",
    "deep-configuration-string",
    "near-miss-keys",
    "duplicate-keys",
    "non-ascii-digits",
)


def case_key(section: str, *parts: object) -> str:
    return ":".join([section, *map(str, parts)])


def expected_keys() -> list[str]:
    """Every case's key, in the order the document lists them."""
    keys = [case_key("smartrecruiters", kind, page) for kind in SR_FAULTS for page in SR_PAGES]
    keys += [case_key("receiver", name) for name in RECEIVER_CASES]
    keys += [case_key("poll-crash", name) for name in POLL_CRASHES]
    keys += [case_key("deliver-crash", name) for name in DELIVER_CRASHES]
    keys += [case_key("concurrency", n) for n in CONCURRENT_POLLS]
    keys += [case_key("aws", name) for name in AWS_FAULTS]
    keys += [case_key("webhooks", name) for name in WEBHOOK_FAULTS]
    keys += [case_key("fuzz", name) for name in FUZZ]
    keys += [case_key("security", name) for name in SECURITY]
    keys += [case_key("hostile", name) for name in HOSTILE]
    return keys
