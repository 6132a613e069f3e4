"""The one settings object, read from the environment once per container.

Each field is one environment variable, its name upper-cased (`instances_table` ← `INSTANCES_TABLE`), parsed
by the field's type; an unset or empty variable keeps the default. Handlers call `Settings.from_env()` at
cold start and `require(...)` the names they use, so a missing or unreadable variable fails loudly at the
first invocation instead of half-way through a request. Nothing else in the package reads `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any


class SettingsError(RuntimeError):
    pass


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Field type (as written in the class: annotations are strings here) → parser of the variable's text.
_PARSERS: dict[str, Callable[[str], Any]] = {"str": str, "bool": _flag, "int": int, "float": float}
_KINDS = {"str": "text", "bool": "boolean", "int": "whole number", "float": "number"}


@dataclass(frozen=True)
class Settings:
    instances_table: str = ""
    poller_state_table: str = ""
    notifications_table: str = ""
    notification_queue_url: str = ""
    notification_dlq_url: str = ""
    kms_key_id: str = ""
    schedule_group: str = ""
    poll_function_arn: str = ""
    scheduler_role_arn: str = ""
    scheduler_dlq_arn: str = ""
    smartrecruiters_base_url: str = "https://api.smartrecruiters.com"
    allow_http_callbacks: bool = False
    allow_private_callbacks: bool = False
    notification_ttl_days: int = 30
    max_request_bytes: int = 64 * 1024
    callback_total_timeout: float = 15.0
    # EventBridge Scheduler's flexible time window for the poll schedules, minutes (0: off).
    schedule_flexible_window_minutes: int = 0
    # Instances (message groups) of one SQS batch delivered at once; a FIFO batch holds at most 10.
    delivery_workers: int = 10
    # Shared rate limits (docs/DESIGN.md §14): the table, each organization's API share, SmartRecruiters' per-key
    # rate across containers and how many of its tokens a container takes at once.
    rate_limits_table: str = ""
    api_requests_per_second: float = 10.0
    api_burst: int = 20
    smartrecruiters_requests_per_second: float = 10.0
    smartrecruiters_token_batch: int = 5
    # false: each container keeps SmartRecruiters' limits on its own (saves the table's calls where no two
    # instances share a key)
    smartrecruiters_shared_limit: bool = True
    # The delivery retry schedule: `day` (ten retries over ~28 h) or `platform` (nine, 4^n s, ~97 h).
    retry_schedule: str = "day"
    # Local stack and tests only: divides delivery retry delays so a day of retries takes seconds.
    retry_delay_scale: float = 1.0
    # The API's public base URL (SmartRecruiters posts webhook callbacks under it). Empty: the URL the request
    # came in on (API Gateway's domain name and stage); set it behind a custom domain, and for the local stack.
    public_api_url: str = ""
    # How long a webhook callback waits for a poll of its instance to finish before Lambda retries it.
    webhook_lease_wait_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.delivery_workers < 1:
            raise SettingsError(f"DELIVERY_WORKERS must be at least 1, got {self.delivery_workers}")
        if not 0 <= self.schedule_flexible_window_minutes <= 1440:
            raise SettingsError("SCHEDULE_FLEXIBLE_WINDOW_MINUTES must be from 0 to 1440")
        if self.api_requests_per_second <= 0 or self.api_burst < 1:
            raise SettingsError("API_REQUESTS_PER_SECOND must be positive and API_BURST at least 1")
        if self.smartrecruiters_requests_per_second <= 0 or not 1 <= self.smartrecruiters_token_batch <= 9:
            raise SettingsError(
                "SMARTRECRUITERS_REQUESTS_PER_SECOND must be positive and SMARTRECRUITERS_TOKEN_BATCH from 1 to 9"
            )
        if self.retry_schedule not in ("day", "platform"):
            raise SettingsError(f"RETRY_SCHEDULE must be day or platform, got {self.retry_schedule[:20]!r}")
        if self.callback_total_timeout <= 0 or self.retry_delay_scale <= 0:
            raise SettingsError("CALLBACK_TOTAL_TIMEOUT and RETRY_DELAY_SCALE must be positive")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for field in fields(cls):
            variable = field.name.upper()
            text = env.get(variable)
            if not text:
                continue
            try:
                values[field.name] = _PARSERS[str(field.type)](text)
            except ValueError:
                raise SettingsError(f"{variable} must be a {_KINDS[str(field.type)]}, got {text[:40]!r}") from None
        return cls(**values)

    def require(self, *names: str) -> Settings:
        """Fail at cold start, naming every missing environment variable."""
        known = {f.name for f in fields(self)}
        missing = [n.upper() for n in names if n in known and not getattr(self, n)]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(unknown)}")
        if missing:
            raise SettingsError(f"missing environment variables: {', '.join(missing)}")
        return self
