"""Domain errors. The API maps each to one HTTP status in one place (srevents.api.errors)."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a request the service understood but will not carry out."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Bad input. `field` is the dotted path of what is wrong (e.g. `configuration.api.key`)."""

    status = 400

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


class Unauthorized(DomainError):
    status = 401


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class PayloadTooLarge(DomainError):
    status = 413


class TooManyRequests(DomainError):
    """Over a rate limit; `retry_after` is whole seconds until a retry can succeed (the `Retry-After` header)."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamUnavailable(DomainError):
    """SmartRecruiters did not answer (or failed) a call the request depends on; nothing was changed."""

    status = 502
