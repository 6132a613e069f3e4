"""The instances use cases: create, read, change, enable/disable and delete an element instance.

Every write that touches both DynamoDB and the Scheduler is ordered so that a failure part-way leaves
nothing half-written: creation makes the schedule first and removes it again if the item cannot be
stored; a change stores the item first and restores it if the schedule cannot follow.

A webhook instance's SmartRecruiters subscription (services/webhook_subscriptions.py) is made live before
the item that names it is stored, and deleted again if that fails; a subscription that a change replaces
or ends is deleted only once the change is stored. The change stores it as stale first
(`stale_subscriptions`): if its deletion fails, the next change or the DELETE retries it. The calls to
SmartRecruiters stay within the request's time (`time_left`, seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from srevents.adapters.accounts_store import AccountsStore
from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.poller_state_store import PollerStateStore
from srevents.adapters.schedules import ScheduleGateway
from srevents.adapters.secrets import SecretBox
from srevents.adapters.smartrecruiters_webhooks import TimeLeft
from srevents.clock import Clock, iso_millis
from srevents.domain.auth import Principal, hash_secret, new_secret, parse_authorization, same_hash
from srevents.domain.instance import Instance, present
from srevents.domain.instance_config import (
    API_KEY,
    CALLBACK_URL,
    KEPT,
    CallbackPolicy,
    InstanceSpec,
    merge_patch,
    validate_instance,
)
from srevents.domain.poller_config import deletion_resources
from srevents.domain.webhooks import inbound_url
from srevents.errors import Conflict, Unauthorized, UpstreamUnavailable, ValidationError
from srevents.observability import logger
from srevents.services.webhook_subscriptions import SubscriptionManager


@dataclass(frozen=True)
class Caller:
    principal: Principal
    element_token: str | None


class InstancesService:
    def __init__(
        self,
        *,
        instances: InstancesStore,
        accounts: AccountsStore,
        schedules: ScheduleGateway,
        secret_box: SecretBox,
        poller_state: PollerStateStore,
        clock: Clock,
        callback_policy: CallbackPolicy,
        smartrecruiters: Callable[[str], Any],
        subscriptions: SubscriptionManager | None = None,
    ) -> None:
        self._instances = instances
        self._accounts = accounts
        self._schedules = schedules
        self._secret_box = secret_box
        self._poller_state = poller_state
        self._clock = clock
        self._policy = callback_policy
        self._sr = smartrecruiters  # api key → SmartRecruiters client: for the includeDeleted check
        self._subscriptions = subscriptions

    # -- who is calling -------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Caller:
        credentials = parse_authorization(authorization)
        return Caller(self._accounts.authenticate(credentials), credentials.element_token)

    def owned(self, caller: Caller, instance_id: int) -> Instance:
        """The caller's instance; an `Element` token, when given, must be this instance's."""
        instance = self._instances.get_owned(caller.principal.organization_id, instance_id)
        if caller.element_token is not None and not same_hash(hash_secret(caller.element_token), instance.token_hash):
            raise Unauthorized("the Element token does not belong to this instance")
        return instance

    def _scoped(self, caller: Caller, instances: list[Instance]) -> list[Instance]:
        """The instances an `Element` token leaves in view: its own instance only, or all without a token.
        A token that matches none of them is refused (401), as on every instance route."""
        if caller.element_token is None:
            return instances
        token_hash = hash_secret(caller.element_token)
        matching = [i for i in instances if same_hash(token_hash, i.token_hash)]
        if not matching:
            raise Unauthorized("the Element token does not belong to any instance of this organization")
        return matching

    # -- use cases ------------------------------------------------------------------------------
    def create(
        self, caller: Caller, body: Any, public_url: str | None = None, time_left: TimeLeft | None = None
    ) -> dict[str, Any]:
        """Creating is an organization-level call: an `Element` token, when given, must be one of the
        organization's instances' (else 401), and does not otherwise limit it. `public_url` is the API's own
        base URL: a webhook instance's subscription posts to its inbound route there."""
        if caller.element_token is not None:
            self._scoped(caller, self._instances.list_owned(caller.principal.organization_id))
        spec = validate_instance(body, self._policy)
        self._check_deletions_access(deletion_resources(spec.configuration), lambda: str(spec.secrets[API_KEY]))
        instance_id = self._instances.next_id()
        token = new_secret()
        now = iso_millis(self._clock.now())
        plaintext = {name: value for name, value in spec.secrets.items() if isinstance(value, str)}
        instance = Instance(
            id=instance_id,
            organization_id=caller.principal.organization_id,
            created_by=caller.principal.user_id,
            name=spec.name,
            tags=spec.tags,
            configuration=spec.configuration,
            secret_names=tuple(plaintext),
            secrets_ciphertext=self._secret_box.seal(instance_id, plaintext),
            token_hash=hash_secret(token),
            created_date=now,
            updated_date=now,
        )
        schedule = instance.schedule
        if schedule is not None:
            self._schedules.create(schedule)
        try:
            instance = self._subscribed(instance, plaintext[API_KEY], public_url, time_left)
        except BaseException:
            if schedule is not None:
                self._schedules.delete(instance_id)
            raise
        try:
            self._instances.create(instance)
        except Exception:
            self._unsubscribe(instance, plaintext[API_KEY], strict=False, time_left=time_left)
            if schedule is not None:
                self._schedules.delete(instance_id)
            raise
        logger.info("instance created", extra={"instance_id": instance_id, "events_enabled": instance.events_enabled})
        return present(instance, token=token)

    def list(
        self, caller: Caller, tag: str | None = None, *, page_size: int = 1000, after: int | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """A page of the caller's instances in id order (with `tag`, those tagged so), and the id the next page
        starts after (None on the last page). With an `Element` token: its own instance, on one page."""
        if caller.element_token is not None:
            instances = self._scoped(caller, self._instances.list_owned(caller.principal.organization_id))
            return [present(i) for i in instances if tag is None or tag in i.tags], None
        found: list[Instance] = []
        more: int | None = after
        while len(found) <= page_size:  # one more than the page: whether another page follows is then known
            read, more = self._instances.page_owned(caller.principal.organization_id, limit=page_size + 1, after=more)
            found.extend(i for i in read if tag is None or tag in i.tags)  # a tag filters after the read
            if more is None:
                break
        page = found[:page_size]
        return [present(i) for i in page], page[-1].id if len(found) > page_size else None

    def get(self, caller: Caller, instance_id: int) -> dict[str, Any]:
        return present(self.owned(caller, instance_id))

    def patch(
        self,
        caller: Caller,
        instance_id: int,
        body: Any,
        public_url: str | None = None,
        time_left: TimeLeft | None = None,
    ) -> dict[str, Any]:
        current = self.owned(caller, instance_id)
        spec = merge_patch(current.spec(), body, self._policy)
        key = spec.secrets.get(API_KEY)
        wanted = deletion_resources(spec.configuration)
        if not isinstance(key, str):  # the same key: only resources turning includeDeleted on are checked
            had = deletion_resources(current.configuration)
            wanted = [resource for resource in wanted if resource not in had]

        self._check_deletions_access(wanted, lambda: key if isinstance(key, str) else self._api_key(current))
        new_callback = spec.configuration.get(CALLBACK_URL) != current.configuration.get(CALLBACK_URL)
        changed = self._change(
            current,
            spec,
            disabled=current.disabled,
            resume_notifications=new_callback,
            public_url=public_url,
            time_left=time_left,
        )
        return present(changed)

    def set_enabled(
        self,
        caller: Caller,
        instance_id: int,
        enabled: bool,
        public_url: str | None = None,
        time_left: TimeLeft | None = None,
    ) -> dict[str, Any]:
        current = self.owned(caller, instance_id)
        changed = self._change(
            current,
            current.spec(),
            disabled=not enabled,
            resume_notifications=enabled,
            public_url=public_url,
            time_left=time_left,
        )
        return present(changed)

    def delete(self, caller: Caller, instance_id: int, time_left: TimeLeft | None = None) -> None:
        current = self.owned(caller, instance_id)
        # Subscriptions first (no more callbacks; a SmartRecruiters that cannot be reached fails the request
        # before anything is deleted), then the schedule (no more polls), instance last: a retried DELETE
        # finishes the job.
        if current.webhook:
            self._unsubscribe(current, self._api_key(current), strict=True, time_left=time_left)
        stale = current.stale_subscriptions
        if stale and self._subscriptions is not None:
            stale = self._subscriptions.delete_stale(instance_id, self._api_key(current), stale, time_left)
        if stale:
            raise UpstreamUnavailable(
                "SmartRecruiters could not delete a webhook subscription; nothing was deleted: try again"
            )
        self._schedules.delete(instance_id)
        self._poller_state.delete(instance_id)
        self._instances.delete(instance_id)
        logger.info("instance deleted", extra={"instance_id": instance_id})

    # -- internals ------------------------------------------------------------------------------
    def _check_deletions_access(self, resources: Sequence[str], api_key: Callable[[], str]) -> None:
        """`includeDeleted` turned on (at creation, or by a PATCH, or with a new API key): the key must be
        able to read SmartRecruiters' audit log (services/audit_access.py). Nothing is stored otherwise."""
        if not resources:
            return
        from srevents.services.audit_access import check_audit_access  # loads the HTTP client: only when needed

        check_audit_access(self._sr(api_key()), resources, self._clock.now())

    def _sealed_secrets(self, current: Instance, spec: InstanceSpec) -> tuple[tuple[str, ...], bytes]:
        changed = any(value is not KEPT for value in spec.secrets.values())
        current_form = self._secret_box.is_current(current.secrets_ciphertext)
        if not changed and set(spec.secrets) == set(current.secret_names) and current_form:
            return current.secret_names, current.secrets_ciphertext
        existing = self._secret_box.open(current.id, current.secrets_ciphertext)
        plaintext: dict[str, str] = {}
        for name, value in spec.secrets.items():
            if isinstance(value, str):
                plaintext[name] = value
            elif name in existing:
                plaintext[name] = existing[name]
        return tuple(plaintext), self._secret_box.seal(current.id, plaintext)

    def _api_key(self, instance: Instance, spec: InstanceSpec | None = None) -> str:
        given = spec.secrets.get(API_KEY) if spec is not None else None
        if isinstance(given, str):
            return given
        return self._secret_box.open(instance.id, instance.secrets_ciphertext)[API_KEY]

    def _subscribed(
        self, instance: Instance, api_key: str, public_url: str | None, time_left: TimeLeft | None
    ) -> Instance:
        """The instance with a live subscription for the events it wants (itself if it wants none)."""
        events = instance.wanted_subscription_events
        if not events:
            return instance.with_changes(webhook=None, webhook_secrets=None)
        if self._subscriptions is None or not public_url:
            raise ValidationError(
                "configuration.event.vendor.type",
                'is "webhook", but this deployment does not know its public URL for SmartRecruiters\' callbacks',
            )
        webhook, sealed = self._subscriptions.subscribe(
            instance.id, api_key, events, inbound_url(public_url, instance.id), time_left
        )
        return instance.with_changes(webhook=webhook, webhook_secrets=sealed)

    def _unsubscribe(
        self, instance: Instance, api_key: str, *, strict: bool, time_left: TimeLeft | None = None
    ) -> None:
        if self._subscriptions is not None:
            self._subscriptions.unsubscribe(instance.id, api_key, instance.webhook, strict=strict, time_left=time_left)

    @staticmethod
    def _same_subscription(current: Instance, updated: Instance, public_url: str | None) -> bool:
        webhook = current.webhook
        if not webhook:
            return not updated.wanted_subscription_events
        same_events = tuple(webhook.get("events") or ()) == updated.wanted_subscription_events
        same_url = public_url is None or webhook.get("callbackUrl") == inbound_url(public_url, current.id)
        return same_events and same_url

    def _change(
        self,
        current: Instance,
        spec: InstanceSpec,
        *,
        disabled: bool,
        resume_notifications: bool = False,
        public_url: str | None = None,
        time_left: TimeLeft | None = None,
    ) -> Instance:
        """Store a changed instance and make its schedule (and its subscription) follow.

        Notifications suspended by a `410 Gone`, and push paused after a last retry, resume when the callback URL
        changes or the instance is enabled again (both are the customer saying "deliver again"). Notifications
        queued while push was paused stay QUEUED: a redelivery sends them.
        """
        secret_names, ciphertext = self._sealed_secrets(current, spec)
        updated = current.with_changes(
            name=spec.name,
            tags=spec.tags,
            configuration=spec.configuration,
            secret_names=secret_names,
            secrets_ciphertext=ciphertext,
            disabled=disabled,
            notifications_suspended=None if resume_notifications else current.notifications_suspended,
            push_paused=None if resume_notifications else current.push_paused,
            updated_date=iso_millis(self._clock.now()),
            version=current.version + 1,
        )
        new_key = isinstance(spec.secrets.get(API_KEY), str)  # a subscription belongs to the key's user
        resubscribe = not self._same_subscription(current, updated, public_url) or (new_key and bool(current.webhook))
        if resubscribe:
            # The new subscription goes live first; the old one (if any) is stored as stale with the change,
            # and deleted once the change is stored.
            old = (current.webhook or {}).get("subscriptionId")
            updated = self._subscribed(updated, self._api_key(current, spec), public_url, time_left)
            if old:
                updated = updated.with_changes(stale_subscriptions=(*current.stale_subscriptions, str(old)))
        try:
            self._instances.replace(updated, expected_version=current.version)
        except BaseException:
            if resubscribe:
                self._unsubscribe(updated, self._api_key(current, spec), strict=False, time_left=time_left)
            raise
        try:
            self._schedules.apply(current.schedule, updated.schedule)
        except Exception:
            self._instances.replace(current.with_changes(version=updated.version + 1), expected_version=updated.version)
            if resubscribe:
                self._unsubscribe(updated, self._api_key(current, spec), strict=False, time_left=time_left)
            raise
        updated = self._without_stale(updated, self._api_key(current), time_left)
        logger.info("instance changed", extra={"instance_id": current.id})
        return updated

    def _without_stale(self, instance: Instance, api_key: str, time_left: TimeLeft | None) -> Instance:
        """The stored instance once its stale subscriptions are deleted (those that could not be stay listed,
        for the next change or the DELETE)."""
        if not instance.stale_subscriptions or self._subscriptions is None:
            return instance
        left = self._subscriptions.delete_stale(instance.id, api_key, instance.stale_subscriptions, time_left)
        if left == instance.stale_subscriptions:
            return instance
        cleaned = instance.with_changes(stale_subscriptions=left, version=instance.version + 1)
        try:
            self._instances.replace(cleaned, expected_version=instance.version)
        except Conflict:  # changed meanwhile: the list is kept, and a deleted one is a 404 next time
            return instance
        return cleaned
