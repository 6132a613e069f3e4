"""The instances use cases: create, read, change, enable/disable and delete an element instance.

Every write that touches both DynamoDB and the Scheduler is ordered so that a failure part-way leaves
nothing half-written: creation makes the schedule first and removes it again if the item cannot be
stored; a change stores the item first and restores it if the schedule cannot follow.
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
from srevents.errors import Unauthorized
from srevents.observability import logger


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
    ) -> None:
        self._instances = instances
        self._accounts = accounts
        self._schedules = schedules
        self._secret_box = secret_box
        self._poller_state = poller_state
        self._clock = clock
        self._policy = callback_policy
        self._sr = smartrecruiters  # api key → SmartRecruiters client: for the includeDeleted check

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
    def create(self, caller: Caller, body: Any) -> dict[str, Any]:
        """Creating is an organization-level call: an `Element` token, when given, must be one of the
        organization's instances' (else 401), and does not otherwise limit it."""
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
            self._instances.create(instance)
        except Exception:
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

    def patch(self, caller: Caller, instance_id: int, body: Any) -> dict[str, Any]:
        current = self.owned(caller, instance_id)
        spec = merge_patch(current.spec(), body, self._policy)
        key = spec.secrets.get(API_KEY)
        wanted = deletion_resources(spec.configuration)
        if not isinstance(key, str):  # the same key: only resources turning includeDeleted on are checked
            had = deletion_resources(current.configuration)
            wanted = [resource for resource in wanted if resource not in had]

        def api_key() -> str:
            return (
                key if isinstance(key, str) else self._secret_box.open(current.id, current.secrets_ciphertext)[API_KEY]
            )

        self._check_deletions_access(wanted, api_key)
        new_callback = spec.configuration.get(CALLBACK_URL) != current.configuration.get(CALLBACK_URL)
        return present(self._change(current, spec, disabled=current.disabled, resume_notifications=new_callback))

    def set_enabled(self, caller: Caller, instance_id: int, enabled: bool) -> dict[str, Any]:
        current = self.owned(caller, instance_id)
        return present(self._change(current, current.spec(), disabled=not enabled, resume_notifications=enabled))

    def delete(self, caller: Caller, instance_id: int) -> None:
        self.owned(caller, instance_id)
        # Schedule first (no more polls), instance last: a retried DELETE finishes the job.
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

    def _change(
        self, current: Instance, spec: InstanceSpec, *, disabled: bool, resume_notifications: bool = False
    ) -> Instance:
        """Store a changed instance and make its schedule follow.

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
        self._instances.replace(updated, expected_version=current.version)
        try:
            self._schedules.apply(current.schedule, updated.schedule)
        except Exception:
            self._instances.replace(current.with_changes(version=updated.version + 1), expected_version=updated.version)
            raise
        logger.info("instance changed", extra={"instance_id": current.id})
        return updated
