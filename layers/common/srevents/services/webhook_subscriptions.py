"""The SmartRecruiters subscription that follows a webhook instance (docs/DESIGN.md, "Real time").

`subscribe` makes a subscription live or leaves nothing behind: create it, open the activation window (so
the inbound route answers the `X-Hook-Secret` handshake although the instance is not stored yet), activate
it, generate its secret key; any failure deletes what was created and becomes a 400 naming the field at
fault (the 20-subscription limit, a key without webhook permission, a failed handshake), or a 502 when
SmartRecruiters could not be reached. The secret key is sealed like the instance's other secrets.

The calls of one API request stay within the time it has (`time_left`, from the Lambda context): the calls
that make the subscription keep `CLEANUP_SECONDS` back for deleting it again, so a request never ends with a
subscription made and no instance, nor reports a failure after it succeeded. A `POST /subscriptions` whose
answer was lost may have made one: the subscriptions posting to this instance's own inbound URL are deleted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from srevents.adapters.secrets import SecretBox
from srevents.adapters.smartrecruiters_webhooks import TimeLeft, WebhooksApi, WebhooksApiError
from srevents.adapters.webhook_activations import WebhookActivations
from srevents.clock import Clock, iso_millis, to_millis
from srevents.domain.instance_config import API_KEY, VENDOR_TYPE
from srevents.domain.webhook_signature import SecretKey
from srevents.errors import UpstreamUnavailable, ValidationError
from srevents.observability import logger

KEYS = "keys"  # the name of the sealed list of secret keys
CLEANUP_SECONDS = 6.0  # kept back from making a subscription, to delete it again (and answer) if that fails


def _less(time_left: TimeLeft | None, seconds: float) -> TimeLeft | None:
    return None if time_left is None else (lambda: time_left() - seconds)


class SubscriptionManager:
    def __init__(
        self,
        *,
        webhooks_api: Callable[[str], WebhooksApi],
        activations: WebhookActivations,
        secret_box: SecretBox,
        clock: Clock,
    ) -> None:
        self._api = webhooks_api
        self._activations = activations
        self._secret_box = secret_box
        self._clock = clock

    def subscribe(
        self,
        instance_id: int,
        api_key: str,
        events: tuple[str, ...],
        callback_url: str,
        time_left: TimeLeft | None = None,
    ) -> tuple[dict[str, Any], bytes]:
        """A live subscription: (its state as the instance stores it, its secret keys sealed)."""
        api = self._api(api_key)
        making = _less(time_left, CLEANUP_SECONDS)
        subscription_id: str | None = None
        try:
            subscription_id = api.create_subscription(callback_url, events, time_left=making)
            self._activations.open(instance_id, to_millis(self._clock.now()) // 1000)
            try:
                api.activate(subscription_id, time_left=making)
            finally:
                self._activations.close(instance_id)
            secret_key = api.generate_secret_key(subscription_id, time_left=making)
        except BaseException as error:
            if subscription_id is not None:
                self._delete_quietly(api, instance_id, [subscription_id], time_left)
            elif isinstance(error, WebhooksApiError) and error.unanswered:
                self._delete_quietly(api, instance_id, None, time_left, callback_url)
            if isinstance(error, WebhooksApiError):
                raise _refusal(error) from None
            raise
        now = self._clock.now()
        state = {
            "subscriptionId": subscription_id,
            "events": list(events),
            "callbackUrl": callback_url,
            "status": "active",
            "activatedDate": iso_millis(now),
        }
        logger.info("webhook subscription active", extra={"instance_id": instance_id, "events": list(events)})
        return state, self.seal_keys(instance_id, [SecretKey(secret_key)])

    def unsubscribe(
        self,
        instance_id: int,
        api_key: str,
        webhook: dict[str, Any] | None,
        *,
        strict: bool,
        time_left: TimeLeft | None = None,
    ) -> None:
        """Delete the subscription. `strict`: a failure other than a refused key raises (502), so the caller's
        request can be retried; otherwise it is logged (SmartRecruiters then posts to a route that refuses it)."""
        if not webhook or not webhook.get("subscriptionId"):
            return
        try:
            self._api(api_key).delete_subscription(webhook["subscriptionId"], time_left=time_left)
        except WebhooksApiError as error:
            refused_key = error.status in (401, 403)
            logger.warning(
                "webhook subscription could not be deleted",
                extra={"instance_id": instance_id, "status": error.status, "error": error.message},
            )
            if strict and not refused_key:
                raise UpstreamUnavailable(
                    f"SmartRecruiters could not delete the webhook subscription ({error.message}); nothing was "
                    "changed: try again"
                ) from None

    def delete_stale(
        self, instance_id: int, api_key: str, subscription_ids: tuple[str, ...], time_left: TimeLeft | None = None
    ) -> tuple[str, ...]:
        """Delete subscriptions no longer used; those still to delete (SmartRecruiters failed: retried later).
        One SmartRecruiters no longer has, or that the key may not delete (made under an earlier key), is done."""
        left: list[str] = []
        api = self._api(api_key)
        for subscription_id in subscription_ids:
            try:
                api.delete_subscription(subscription_id, time_left=time_left)
            except WebhooksApiError as error:
                logger.warning(
                    "a stale webhook subscription could not be deleted",
                    extra={"instance_id": instance_id, "status": error.status, "error": error.message},
                )
                if error.status not in (401, 403):
                    left.append(subscription_id)
        return tuple(left)

    def seal_keys(self, instance_id: int, keys: list[SecretKey]) -> bytes:
        listed = [{"key": k.value, "expiresMs": k.expires_ms} for k in keys]
        return self._secret_box.seal(instance_id, {KEYS: json.dumps(listed)})

    def _delete_quietly(
        self,
        api: WebhooksApi,
        instance_id: int,
        subscription_ids: list[str] | None,
        time_left: TimeLeft | None,
        callback_url: str = "",
    ) -> None:
        """Delete what a failed `subscribe` made: the subscriptions named, or else those posting to
        `callback_url` (this instance's own inbound URL: nothing else posts there)."""
        try:
            for subscription_id in subscription_ids or api.subscription_ids_for(callback_url, time_left=time_left):
                api.delete_subscription(subscription_id, time_left=time_left)
        except Exception as error:  # the first failure is the one to report
            logger.warning(
                "a subscription that failed to activate could not be deleted",
                extra={"instance_id": instance_id, "error_type": type(error).__name__},
            )


def open_keys(secret_box: SecretBox, instance_id: int, sealed: bytes) -> list[SecretKey]:
    """The subscription's secret keys (newest last)."""
    opened = secret_box.open(instance_id, sealed)
    return [SecretKey(str(k["key"]), k.get("expiresMs")) for k in json.loads(opened.get(KEYS, "[]"))]


def _refusal(error: WebhooksApiError) -> Exception:
    """SmartRecruiters' refusal as the error our caller sees."""
    codes = set(error.codes)
    vendor_type = f"configuration.{VENDOR_TYPE}"
    if "SUBSCRIPTIONS_LIMIT_EXCEEDED" in codes:
        return ValidationError(
            vendor_type,
            'is "webhook", but the API key\'s SmartRecruiters user already has its 20 webhook subscriptions '
            '(SUBSCRIPTIONS_LIMIT_EXCEEDED): delete one, or use "polling"',
        )
    if error.status == 401:
        return ValidationError(f"configuration.{API_KEY}", "was refused by SmartRecruiters' Webhooks API (401)")
    if error.status == 403:
        return ValidationError(
            f"configuration.{API_KEY}",
            "has no permission to manage SmartRecruiters webhooks (NO_PERMISSION_TO_MANAGE_WEBHOOKS): grant it, "
            'or use "polling"',
        )
    if error.status == 424:
        return ValidationError(
            vendor_type,
            'is "webhook", but SmartRecruiters could not complete the activation handshake with this service\'s '
            "inbound URL (424)",
        )
    if error.status is not None and 400 <= error.status < 500:
        return ValidationError(
            vendor_type, f'is "webhook", but SmartRecruiters refused the subscription: {error.message}'
        )
    return UpstreamUnavailable(
        f"SmartRecruiters' Webhooks API is not available ({error.message}); nothing was created or changed: try again"
    )
