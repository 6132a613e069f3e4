"""HTTP client for SmartRecruiters' Webhooks API (`{base URL}/webhooks-api/v201907`, OpenAPI tag `subscriptions`).

Create a subscription, activate it (SmartRecruiters then makes the `X-Hook-Secret` handshake with our inbound
route and answers 204 once it succeeded, 424 if it failed), generate its secret key, list and delete them.
The API key travels as `X-SmartToken`, only to `base_url`, and never into an error or a log line. 429 and
5xx are retried a few times with backoff; every other failure is a `WebhooksApiError` carrying the status and
the vendor's error codes (`SUBSCRIPTIONS_LIMIT_EXCEEDED`, `NO_PERMISSION_TO_MANAGE_WEBHOOKS`, ...).

Every call takes an optional `time_left` (seconds, a callable): its timeouts and retries stay within it, and a
call with less than `MIN_CALL_SECONDS` left is not made (an API request must answer before API Gateway's 29 s).
`POST /subscriptions` is not idempotent: it is retried only when SmartRecruiters cannot have created anything
(no connection, or 429); a lost answer or a 5xx is an error marked `unanswered` (a subscription may exist).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import requests

from srevents import __version__
from srevents.clock import Clock, SystemClock
from srevents.domain.redaction import redact

PREFIX = "/webhooks-api/v201907"
ATTEMPTS = 3
# SmartRecruiters waits up to 20 s for our handshake answer before it answers the activation call.
ACTIVATION_READ_TIMEOUT = 40.0
MIN_CALL_SECONDS = 1.0
TimeLeft = Callable[[], float]  # seconds left for the calls of one request


class WebhooksApiError(Exception):
    def __init__(
        self, status: int | None, message: str, codes: tuple[str, ...] = (), *, unanswered: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.codes = codes
        self.unanswered = unanswered  # the request may have been carried out: its answer was lost


class WebhooksApi:
    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        timeout: tuple[float, float] = (5.0, 15.0),
        rng: random.Random | None = None,
    ) -> None:
        self._api_key = api_key
        self._base = base_url.rstrip("/") + PREFIX
        self._session = session or requests.Session()
        self._clock = clock or SystemClock()
        self._timeout = timeout
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"WebhooksApi(base_url={self._base!r})"

    def create_subscription(
        self, callback_url: str, events: tuple[str, ...], *, time_left: TimeLeft | None = None
    ) -> str:
        request = {"callbackUrl": callback_url, "events": list(events)}
        body = self._call("POST", "/subscriptions", request, time_left=time_left, idempotent=False)
        subscription_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(subscription_id, str) or not subscription_id:
            raise WebhooksApiError(201, "SmartRecruiters created a subscription but returned no id", unanswered=True)
        return subscription_id

    def activate(self, subscription_id: str, *, time_left: TimeLeft | None = None) -> None:
        path = f"/subscriptions/{subscription_id}/activation"
        self._call("PUT", path, read_timeout=ACTIVATION_READ_TIMEOUT, time_left=time_left)

    def generate_secret_key(self, subscription_id: str, *, time_left: TimeLeft | None = None) -> str:
        body = self._call("POST", f"/subscriptions/{subscription_id}/secret-key", time_left=time_left)
        key = body.get("secretKey") if isinstance(body, dict) else None
        if not isinstance(key, str) or not key:
            raise WebhooksApiError(201, "SmartRecruiters generated a secret key but returned none")
        return key

    def get_subscription(self, subscription_id: str) -> dict[str, Any]:
        body = self._call("GET", f"/subscriptions/{subscription_id}")
        return body if isinstance(body, dict) else {}

    def subscription_ids_for(self, callback_url: str, *, time_left: TimeLeft | None = None) -> list[str]:
        """The key's subscriptions posting to `callback_url` (a user has at most 20: one page of 100)."""
        body = self._call("GET", "/subscriptions?limit=100", time_left=time_left)
        listed = body if isinstance(body, list) else []
        return [
            str(s["id"]) for s in listed if isinstance(s, dict) and s.get("callbackUrl") == callback_url and s.get("id")
        ]

    def delete_subscription(self, subscription_id: str, *, time_left: TimeLeft | None = None) -> bool:
        """Delete it; False when SmartRecruiters no longer has it (404), which is the same outcome."""
        try:
            self._call("DELETE", f"/subscriptions/{subscription_id}", time_left=time_left)
        except WebhooksApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        read_timeout: float | None = None,
        time_left: TimeLeft | None = None,
        idempotent: bool = True,
    ) -> Any:
        headers = {"X-SmartToken": self._api_key, "Accept": "application/json", "User-Agent": f"srevents/{__version__}"}
        for attempt in range(1, ATTEMPTS + 1):
            timeout = self._timeout_within(method, path, read_timeout or self._timeout[1], time_left)
            try:
                response = self._session.request(
                    method, self._base + path, json=body, headers=headers, timeout=timeout, allow_redirects=False
                )
            except (requests.exceptions.InvalidHeader, UnicodeEncodeError):
                raise WebhooksApiError(None, "the API key is not a valid HTTP header value") from None
            except requests.exceptions.ConnectTimeout as exc:  # never reached SmartRecruiters
                error = WebhooksApiError(None, self._redact(f"{method} {path}: {type(exc).__name__}"))
            except (requests.ConnectionError, requests.Timeout) as exc:
                lost = not idempotent and not _never_sent(exc)
                error = WebhooksApiError(None, self._redact(f"{method} {path}: {type(exc).__name__}"), unanswered=lost)
                if lost:
                    raise error from None
            else:
                if 200 <= response.status_code < 300:
                    if response.status_code == 204 or not response.content:
                        return None
                    try:
                        return response.json()
                    except ValueError:
                        raise WebhooksApiError(response.status_code, f"{method} {path} returned non-JSON") from None
                error = self._error(method, path, response)
                if response.status_code != 429 and response.status_code < 500:
                    raise error
                if response.status_code >= 500 and not idempotent:
                    error.unanswered = True  # it may have been carried out before failing
                    raise error
            pause = self._rng.uniform(0, 0.5 * 2**attempt)
            if attempt == ATTEMPTS or (time_left is not None and time_left() < pause + MIN_CALL_SECONDS):
                raise error
            self._clock.sleep(pause)
        raise AssertionError("unreachable")

    def _timeout_within(
        self, method: str, path: str, read_timeout: float, time_left: TimeLeft | None
    ) -> tuple[float, float]:
        if time_left is None:
            return self._timeout[0], read_timeout
        left = time_left()
        if left < MIN_CALL_SECONDS:
            raise WebhooksApiError(None, f"{method} {path}: no time left for SmartRecruiters in this request")
        return min(self._timeout[0], left), min(read_timeout, left)

    def _error(self, method: str, path: str, response: requests.Response) -> WebhooksApiError:
        message: str = ""
        codes: list[str] = []
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            found = parsed.get("message")
            message = found if isinstance(found, str) else ""
            for entry in parsed.get("errors") or []:
                if isinstance(entry, dict) and isinstance(entry.get("code"), str):
                    codes.append(entry["code"][:100])
                    message = message or str(entry.get("message") or "")
        text = self._redact(f"{method} {path} returned {response.status_code}: {message or response.reason}"[:500])
        return WebhooksApiError(response.status_code, text, tuple(codes))

    def _redact(self, text: str) -> str:
        return redact(text, [self._api_key])


def _never_sent(error: Exception) -> bool:
    """A connection refused or never made: SmartRecruiters cannot have seen the request."""
    text = str(error)
    return "Connection refused" in text or "Failed to establish a new connection" in text
