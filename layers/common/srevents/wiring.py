"""The composition root: builds services from settings and AWS clients. Only handlers call it.

Each builder imports the adapters and services it wires when it is called, so a function's cold start
loads only its own graph: the poll function never loads the instances API (Powertools' event handler,
the OpenAPI document), the callback sender or the deliverer; the deliver function never loads the API or
the SmartRecruiters client.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from srevents.adapters.aws import client
from srevents.clock import Clock, SystemClock
from srevents.settings import Settings

if TYPE_CHECKING:
    from srevents.adapters.callback_sender import CallbackSender
    from srevents.adapters.smartrecruiters import SmartRecruitersClient
    from srevents.api.app import ApiServices
    from srevents.domain.delivery_status import DeliveryResult
    from srevents.domain.instance_config import CallbackPolicy
    from srevents.services.callback_attempts import CallbackAttempts
    from srevents.services.deliver_service import DeliverService
    from srevents.services.events_service import EventsService
    from srevents.services.instances_service import InstancesService
    from srevents.services.poll_service import PollService
    from srevents.services.poller_control import PollerControl
    from srevents.services.request_limit import OrganizationRequestLimit
    from srevents.services.webhook_inbound import WebhookInbound
    from srevents.services.webhook_subscriptions import SubscriptionManager
    from srevents.services.webhook_worker import WebhookWorker

# What each function cannot run without (checked at cold start). The API sends nothing to the queue: its
# retry route posts to the callback directly (services/callback_attempts.py).
API_SETTINGS = (
    "instances_table",
    "rate_limits_table",
    "poller_state_table",
    "notifications_table",
    "kms_key_id",
    "schedule_group",
    "poll_function_arn",
    "scheduler_role_arn",
    "scheduler_dlq_arn",
    "notification_queue_url",
)


def callback_policy(settings: Settings) -> CallbackPolicy:
    from srevents.domain.instance_config import CallbackPolicy

    return CallbackPolicy(
        allow_http=settings.allow_http_callbacks,
        allow_private=settings.allow_private_callbacks,
        resolver=socket.getaddrinfo,
    )


def instances_service(settings: Settings, clock: Clock | None = None) -> InstancesService:
    from srevents.adapters.accounts_store import AccountsStore
    from srevents.adapters.instances_store import InstancesStore
    from srevents.adapters.poller_state_store import PollerStateStore
    from srevents.adapters.schedules import ScheduleGateway
    from srevents.adapters.secrets import SecretBox
    from srevents.services.instances_service import InstancesService

    dynamodb = client("dynamodb")
    return InstancesService(
        instances=InstancesStore(dynamodb, settings.instances_table),
        accounts=AccountsStore(dynamodb, settings.instances_table),
        schedules=ScheduleGateway(
            client("scheduler"),
            group=settings.schedule_group,
            target_arn=settings.poll_function_arn,
            role_arn=settings.scheduler_role_arn,
            dead_letter_arn=settings.scheduler_dlq_arn,
            flexible_window_minutes=settings.schedule_flexible_window_minutes,
        ),
        secret_box=SecretBox(client("kms"), settings.kms_key_id),
        poller_state=PollerStateStore(dynamodb, settings.poller_state_table),
        # includeDeleted's check answers within the API's time: fewer retries and a shorter read than a poll's.
        smartrecruiters=smartrecruiters_clients(settings, clock, max_attempts=3, read_timeout=8),
        clock=clock or SystemClock(),
        callback_policy=callback_policy(settings),
        subscriptions=subscription_manager(settings, clock),
    )


def subscription_manager(settings: Settings, clock: Clock | None = None) -> SubscriptionManager:
    from srevents.adapters.secrets import SecretBox
    from srevents.adapters.smartrecruiters_webhooks import WebhooksApi
    from srevents.adapters.webhook_activations import WebhookActivations
    from srevents.services.webhook_subscriptions import SubscriptionManager

    return SubscriptionManager(
        webhooks_api=lambda api_key: WebhooksApi(api_key, settings.smartrecruiters_base_url, clock=clock),
        activations=WebhookActivations(client("dynamodb"), settings.instances_table),
        secret_box=SecretBox(client("kms"), settings.kms_key_id),
        clock=clock or SystemClock(),
    )


def webhook_inbound(settings: Settings, clock: Clock | None = None) -> WebhookInbound:
    """The public route SmartRecruiters' callbacks arrive at: verify, then hand over to the poll function."""
    from srevents.adapters.instances_store import InstancesStore
    from srevents.adapters.poll_trigger import PollTrigger
    from srevents.adapters.secrets import SecretBox
    from srevents.adapters.webhook_activations import WebhookActivations
    from srevents.services.webhook_inbound import WebhookInbound

    dynamodb = client("dynamodb")
    return WebhookInbound(
        instances=InstancesStore(dynamodb, settings.instances_table),
        activations=WebhookActivations(dynamodb, settings.instances_table),
        secret_box=SecretBox(client("kms"), settings.kms_key_id),
        trigger=PollTrigger(client("lambda"), settings.poll_function_arn),
        clock=clock or SystemClock(),
    )


def poller_control(settings: Settings, clock: Clock | None = None) -> PollerControl:
    from srevents.adapters.poll_trigger import PollTrigger
    from srevents.adapters.poller_state_store import PollerStateStore
    from srevents.services.poller_control import PollerControl

    return PollerControl(
        poller_state=PollerStateStore(client("dynamodb"), settings.poller_state_table),
        trigger=PollTrigger(client("lambda"), settings.poll_function_arn),
        clock=clock or SystemClock(),
    )


def callback_sender(settings: Settings) -> CallbackSender:
    from srevents.adapters.callback_sender import CallbackSender

    return CallbackSender(
        allow_private=settings.allow_private_callbacks,
        allow_http=settings.allow_http_callbacks,
        total_timeout=settings.callback_total_timeout,
    )


class _SenderAtFirstUse:
    """The API's callback sender, made at the API's first retry rather than at each cold start.

    The retry route is the only API request that posts a callback; every other one would pay for a sender it
    never uses (urllib3's connection classes and the TLS trust store: ~25 ms of the API's first build). The
    deliver function makes its sender up front: every one of its invocations posts.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._sender: CallbackSender | None = None
        self._lock = threading.Lock()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:
        with self._lock:
            if self._sender is None:
                self._sender = callback_sender(self._settings)
        return self._sender.post(url, body, headers)


def callback_attempts(settings: Settings, clock: Clock | None = None, sender: Any = None) -> CallbackAttempts:
    """Sign, post and record one attempt: what the deliverer and the API's retry route share."""
    from srevents.adapters.delivery_log import DeliveryLog
    from srevents.adapters.instances_store import InstancesStore
    from srevents.adapters.secrets import SecretBox
    from srevents.services.callback_attempts import CallbackAttempts

    dynamodb = client("dynamodb")
    return CallbackAttempts(
        instances=InstancesStore(dynamodb, settings.instances_table),
        log=DeliveryLog(dynamodb, settings.notifications_table, settings.notification_ttl_days),
        secret_box=SecretBox(client("kms"), settings.kms_key_id),
        sender=sender or callback_sender(settings),
        clock=clock or SystemClock(),
    )


def events_service(settings: Settings, clock: Clock | None = None) -> EventsService:
    """The API's view of the delivery log, its retry route and redeliveries."""
    from srevents.adapters.delivery_log import DeliveryLog
    from srevents.adapters.instances_store import InstancesStore
    from srevents.adapters.notification_queue import NotificationQueue
    from srevents.services.events_service import EventsService

    dynamodb = client("dynamodb")
    return EventsService(
        log=DeliveryLog(dynamodb, settings.notifications_table, settings.notification_ttl_days),
        attempts=callback_attempts(settings, clock, sender=_SenderAtFirstUse(settings)),
        instances=InstancesStore(dynamodb, settings.instances_table),
        queue=NotificationQueue(client("sqs"), settings.notification_queue_url),
        clock=clock or SystemClock(),
    )


def request_limit(settings: Settings, clock: Clock | None = None) -> OrganizationRequestLimit:
    """Each organization's share of the API: its bucket in the rate-limits table."""
    from srevents.adapters.rate_limits_store import RateLimitsStore
    from srevents.domain.token_bucket import BucketPolicy
    from srevents.services.request_limit import OrganizationRequestLimit

    return OrganizationRequestLimit(
        RateLimitsStore(client("dynamodb"), settings.rate_limits_table),
        BucketPolicy(settings.api_requests_per_second, settings.api_burst),
        clock or SystemClock(),
    )


def api_services(settings: Settings, clock: Clock | None = None) -> ApiServices:
    from srevents.api.app import ApiServices

    return ApiServices(
        instances=instances_service(settings, clock),
        poller=poller_control(settings, clock),
        events=events_service(settings, clock),
        webhooks=webhook_inbound(settings, clock),
        max_request_bytes=settings.max_request_bytes,
        request_limit=request_limit(settings, clock),
        public_api_url=settings.public_api_url,
    )


POLL_SETTINGS = ("instances_table", "poller_state_table", "kms_key_id", "notification_queue_url", "rate_limits_table")


def smartrecruiters_clients(
    settings: Settings, clock: Clock | None = None, **options: Any
) -> Callable[[str], SmartRecruitersClient]:
    """One client per API key per container: keep-alive connections, the container's rate limiter, and the
    key's limits shared with every other container (in the rate-limits table, by the key's hash). `options`
    go to each client (the API's includeDeleted check: fewer retries, shorter reads)."""
    from srevents.adapters.rate_limits_store import RateLimitsStore
    from srevents.adapters.shared_key_limit import SharedKeyLimit
    from srevents.adapters.smartrecruiters import SmartRecruitersClient

    clients: dict[str, SmartRecruitersClient] = {}
    store = RateLimitsStore(client("dynamodb"), settings.rate_limits_table)
    clock = clock or SystemClock()

    def for_key(api_key: str) -> SmartRecruitersClient:
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        if digest not in clients:
            shared = (
                SharedKeyLimit(
                    store,
                    digest,
                    clock,
                    rate=settings.smartrecruiters_requests_per_second,
                    batch=settings.smartrecruiters_token_batch,
                )
                if settings.smartrecruiters_shared_limit
                else None
            )
            clients[digest] = SmartRecruitersClient(
                api_key,
                settings.smartrecruiters_base_url,
                clock=clock,
                requests_per_second=settings.smartrecruiters_requests_per_second,
                shared=shared,  # the first gate is the process's own, shared by its polls and webhook callbacks
                **options,
            )
        return clients[digest]

    return for_key


def _polling_parts(settings: Settings, clock: Clock | None) -> dict[str, Any]:
    """What a poll and a webhook worker both need: instances, poller state, secrets, the queue, SmartRecruiters."""
    from srevents.adapters.instances_store import InstancesStore
    from srevents.adapters.notification_queue import NotificationQueue
    from srevents.adapters.poller_state_store import PollerStateStore
    from srevents.adapters.secrets import SecretBox

    dynamodb = client("dynamodb")
    return {
        "instances": InstancesStore(dynamodb, settings.instances_table),
        "poller_state": PollerStateStore(dynamodb, settings.poller_state_table),
        "secret_box": SecretBox(client("kms"), settings.kms_key_id),
        "queue": NotificationQueue(client("sqs"), settings.notification_queue_url),
        "smartrecruiters": smartrecruiters_clients(settings, clock),
        "clock": clock or SystemClock(),
    }


def poll_service(settings: Settings, clock: Clock | None = None) -> PollService:
    from srevents.services.poll_service import PollService

    return PollService(**_polling_parts(settings, clock))


DELIVER_SETTINGS = (
    "instances_table",
    "notifications_table",
    "kms_key_id",
    "notification_queue_url",
    "notification_dlq_url",
)


def deliver_service(settings: Settings, clock: Clock | None = None, sender: Any = None) -> DeliverService:
    from srevents.adapters.accounts_store import AccountsStore
    from srevents.adapters.delivery_log import DeliveryLog
    from srevents.adapters.instances_store import InstancesStore
    from srevents.adapters.notification_queue import NotificationQueue
    from srevents.adapters.queue_visibility import QueueVisibility
    from srevents.domain.backoff import SCHEDULES
    from srevents.services.deliver_service import ATTEMPT_MARGIN_SECONDS, DeliverService
    from srevents.services.fifo_batch import FifoGroupProcessor

    dynamodb = client("dynamodb")
    return DeliverService(
        instances=InstancesStore(dynamodb, settings.instances_table),
        accounts=AccountsStore(dynamodb, settings.instances_table),
        log=DeliveryLog(dynamodb, settings.notifications_table, settings.notification_ttl_days),
        attempts=callback_attempts(settings, clock, sender),
        visibility=QueueVisibility(client("sqs"), settings.notification_queue_url, settings.retry_delay_scale),
        dead_letters=NotificationQueue(client("sqs"), settings.notification_dlq_url, ordered=False),
        clock=clock or SystemClock(),
        processor=FifoGroupProcessor(workers=settings.delivery_workers),
        attempt_seconds=settings.callback_total_timeout + ATTEMPT_MARGIN_SECONDS,
        schedule=SCHEDULES[settings.retry_schedule],
    )


def webhook_worker(settings: Settings, clock: Clock | None = None) -> WebhookWorker:
    """The poll function's other job: one verified webhook callback → its notification."""
    from srevents.services.webhook_worker import WebhookLimits, WebhookWorker

    limits = WebhookLimits(lease_wait_seconds=settings.webhook_lease_wait_seconds)
    return WebhookWorker(**_polling_parts(settings, clock), limits=limits)
