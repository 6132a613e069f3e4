"""The composition root: builds services from settings and AWS clients. Only handlers call it."""

from __future__ import annotations

import socket

from srevents.adapters.accounts_store import AccountsStore
from srevents.adapters.aws import client
from srevents.adapters.instances_store import InstancesStore
from srevents.adapters.poller_state_store import PollerStateStore
from srevents.adapters.schedules import ScheduleGateway
from srevents.adapters.secrets import SecretBox
from srevents.api.app import ApiServices
from srevents.clock import Clock, SystemClock
from srevents.domain.instance_config import CallbackPolicy
from srevents.services.instances_service import InstancesService
from srevents.settings import Settings

API_SETTINGS = (
    "instances_table",
    "poller_state_table",
    "kms_key_id",
    "schedule_group",
    "poll_function_arn",
    "scheduler_role_arn",
    "scheduler_dlq_arn",
)


def callback_policy(settings: Settings) -> CallbackPolicy:
    return CallbackPolicy(
        allow_http=settings.allow_http_callbacks,
        allow_private=settings.allow_private_callbacks,
        resolver=socket.getaddrinfo,
    )


def instances_service(settings: Settings, clock: Clock | None = None) -> InstancesService:
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
        ),
        secret_box=SecretBox(client("kms"), settings.kms_key_id),
        poller_state=PollerStateStore(dynamodb, settings.poller_state_table),
        clock=clock or SystemClock(),
        callback_policy=callback_policy(settings),
    )


def api_services(settings: Settings, clock: Clock | None = None) -> ApiServices:
    return ApiServices(instances=instances_service(settings, clock), max_request_bytes=settings.max_request_bytes)
