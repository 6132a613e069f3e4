"""HTTP client for SmartRecruiters' Webhooks API (`{base URL}/webhooks-api/v201907`, OpenAPI tag `subscriptions`).

Create a subscription, activate it (SmartRecruiters then makes the `X-Hook-Secret` handshake with our inbound
route and answers 204 once it succeeded, 424 if it failed), generate its secret key, delete it. The API key
travels as `X-SmartToken`, only to `base_url`, and never into an error or a log line. 429 and 5xx are
retried a few times with backoff; every other failure is a `WebhooksApiError` carrying the status and the
vendor's error codes (`SUBSCRIPTIONS_LIMIT_EXCEEDED`, `NO_PERMISSION_TO_MANAGE_WEBHOOKS`, ...).
"""

from __future__ import annotations

import random
from typing import Any

import requests

from srevents import __version__
from srevents.clock import Clock, SystemClock
from srevents.domain.redaction import redact

PREFIX = "/webhooks-api/v201907"
ATTEMPTS = 3
# SmartRecruiters waits up to 20 s for our handshake answer before it answers the activation call.
ACTIVATION_READ_TIMEOUT = 40.0


class WebhooksApiError(Exception):
    def __init__(self, status: int | None, message: str, codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.codes = codes


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

    def create_subscription(self, callback_url: str, events: tuple[str, ...]) -> str:
        body = self._call("POST", "/subscriptions", {"callbackUrl": callback_url, "events": list(events)})
        subscription_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(subscription_id, str) or not subscription_id:
            raise WebhooksApiError(201, "SmartRecruiters created a subscription but returned no id")
        return subscription_id

    def activate(self, subscription_id: str) -> None:
        self._call("PUT", f"/subscriptions/{subscription_id}/activation", read_timeout=ACTIVATION_READ_TIMEOUT)

    def generate_secret_key(self, subscription_id: str) -> str:
        body = self._call("POST", f"/subscriptions/{subscription_id}/secret-key")
        key = body.get("secretKey") if isinstance(body, dict) else None
        if not isinstance(key, str) or not key:
            raise WebhooksApiError(201, "SmartRecruiters generated a secret key but returned none")
        return key

    def get_subscription(self, subscription_id: str) -> dict[str, Any]:
        body = self._call("GET", f"/subscriptions/{subscription_id}")
        return body if isinstance(body, dict) else {}

    def delete_subscription(self, subscription_id: str) -> bool:
        """Delete it; False when SmartRecruiters no longer has it (404), which is the same outcome."""
        try:
            self._call("DELETE", f"/subscriptions/{subscription_id}")
        except WebhooksApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    def _call(self, method: str, path: str, body: Any = None, *, read_timeout: float | None = None) -> Any:
        headers = {"X-SmartToken": self._api_key, "Accept": "application/json", "User-Agent": f"srevents/{__version__}"}
        timeout = (self._timeout[0], read_timeout or self._timeout[1])
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._session.request(
                    method, self._base + path, json=body, headers=headers, timeout=timeout, allow_redirects=False
                )
            except (requests.exceptions.InvalidHeader, UnicodeEncodeError):
                raise WebhooksApiError(None, "the API key is not a valid HTTP header value") from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = WebhooksApiError(None, self._redact(f"{method} {path}: {type(exc).__name__}"))
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
            if attempt == ATTEMPTS:
                raise error
            self._clock.sleep(self._rng.uniform(0, 0.5 * 2**attempt))
        raise AssertionError("unreachable")

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
