"""The one settings object, read from the environment once per container.

Handlers call `Settings.from_env()` at cold start and `require(...)` the names they use, so a missing
variable fails loudly at the first invocation instead of half-way through a request. Nothing else in
the package reads `os.environ`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


class SettingsError(RuntimeError):
    pass


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


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
    # Instances (message groups) of one SQS batch delivered at once; a FIFO batch holds at most 10.
    delivery_workers: int = 10
    # Local stack and tests only: divides delivery retry delays so a day of retries takes seconds.
    retry_delay_scale: float = 1.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            instances_table=env.get("INSTANCES_TABLE", ""),
            poller_state_table=env.get("POLLER_STATE_TABLE", ""),
            notifications_table=env.get("NOTIFICATIONS_TABLE", ""),
            notification_queue_url=env.get("NOTIFICATION_QUEUE_URL", ""),
            notification_dlq_url=env.get("NOTIFICATION_DLQ_URL", ""),
            kms_key_id=env.get("KMS_KEY_ID", ""),
            schedule_group=env.get("SCHEDULE_GROUP", ""),
            poll_function_arn=env.get("POLL_FUNCTION_ARN", ""),
            scheduler_role_arn=env.get("SCHEDULER_ROLE_ARN", ""),
            scheduler_dlq_arn=env.get("SCHEDULER_DLQ_ARN", ""),
            smartrecruiters_base_url=env.get("SMARTRECRUITERS_BASE_URL") or cls.smartrecruiters_base_url,
            allow_http_callbacks=_flag(env.get("ALLOW_HTTP_CALLBACKS")),
            allow_private_callbacks=_flag(env.get("ALLOW_PRIVATE_CALLBACKS")),
            notification_ttl_days=int(env.get("NOTIFICATION_TTL_DAYS") or cls.notification_ttl_days),
            max_request_bytes=int(env.get("MAX_REQUEST_BYTES") or cls.max_request_bytes),
            callback_total_timeout=float(env.get("CALLBACK_TOTAL_TIMEOUT") or cls.callback_total_timeout),
            delivery_workers=max(1, int(env.get("DELIVERY_WORKERS") or cls.delivery_workers)),
            retry_delay_scale=float(env.get("RETRY_DELAY_SCALE") or cls.retry_delay_scale),
        )

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
