"""The instances API: routes wired to the use cases. Authentication (a middleware: every route is protected
unless marked `open_to_all`), request reading (api/request.py) and errors (api/errors.py) are handled once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from srevents.api import console, request
from srevents.api.errors import json_response, register_error_handlers
from srevents.api.openapi import openapi_document
from srevents.errors import NotFound
from srevents.services.events_service import EventsService
from srevents.services.instances_service import Caller, InstancesService
from srevents.services.poller_control import PollerControl
from srevents.services.request_limit import OrganizationRequestLimit
from srevents.services.webhook_inbound import WebhookInbound

PLATFORM_PREFIX = "/elements/api-v2"
"""Every route is also served under the hosted platform's prefix: its users' scripts work unchanged."""
ANSWER_SECONDS = 2.0
"""Kept back from the function's remaining time to answer: API Gateway gives up at 29 s, the function at 30."""


@dataclass(frozen=True)
class ApiServices:
    instances: InstancesService
    poller: PollerControl
    events: EventsService
    webhooks: WebhookInbound | None = None
    max_request_bytes: int = 64 * 1024
    request_limit: OrganizationRequestLimit | None = None  # None: no per-organization limit (the stage's only)
    public_api_url: str = ""  # empty: the URL each request came in on


def create_app(services: ApiServices) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(strip_prefixes=[PLATFORM_PREFIX])
    register_error_handlers(app)
    public: set[Callable[..., Any]] = set()

    def open_to_all(route: Callable[..., Response]) -> Callable[..., Response]:
        """Mark a route as needing no credentials (every other route does)."""
        public.add(route)
        return route

    def authenticate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
        """Every route is protected unless marked `open_to_all`: a new route cannot forget authentication.
        Once the organization is known, its request rate is checked (429 before the route runs: no change)."""
        route = app.context.get("_route")  # the matched route, which Powertools puts in the context
        if route is None or route.func not in public:
            authorization = app.current_event.headers.get("Authorization")
            caller = services.instances.authenticate(authorization)
            if services.request_limit is not None:
                services.request_limit.admit(caller.principal.organization_id)
            app.append_context(caller=caller)
        return next_middleware(app)

    app.use(middlewares=[authenticate])

    def caller() -> Caller:
        return app.context["caller"]  # type: ignore[no-any-return]

    def body() -> Any:
        return request.json_body(app.current_event, services.max_request_bytes)

    def query(name: str) -> str | None:
        return request.query(app.current_event, name)

    def public_url() -> str:
        return services.public_api_url or request.public_base_url(app.current_event)

    def time_left() -> Callable[[], float] | None:
        """Seconds this request may still spend on SmartRecruiters (None outside Lambda: unbounded)."""
        remaining = getattr(app.lambda_context, "get_remaining_time_in_millis", None)
        if remaining is None:
            return None
        return lambda: remaining() / 1000 - ANSWER_SECONDS

    @app.get("/openapi.json")
    @open_to_all
    def get_openapi() -> Response:
        return json_response(200, openapi_document())

    # -- the web console: static files, no credentials (the API calls the page makes carry them) ----
    @app.get("/console")
    @open_to_all
    def console_page() -> Response:
        if app.current_event.path.endswith("/"):
            # `/console/` would resolve the page's relative links one level too deep.
            return Response(308, "text/plain; charset=utf-8", "", headers={"Location": "../console"})
        found = console.page()
        return Response(200, found.content_type, found.body, headers=console.SECURITY_HEADERS)

    @app.get("/console/defaults.json")
    @open_to_all
    def console_defaults() -> Response:
        return json_response(200, console.defaults(), console.SECURITY_HEADERS)

    @app.get("/console/<asset>")
    @open_to_all
    def console_asset(asset: str) -> Response:
        found = console.asset(asset)
        if found is None:
            raise NotFound(f"console asset {asset[:64]!r} not found")
        return Response(200, found.content_type, found.body, headers=console.SECURITY_HEADERS)

    @app.post("/instances")
    def create_instance() -> Response:
        return json_response(200, services.instances.create(caller(), body(), public_url(), time_left()))

    @app.get("/instances")
    def list_instances() -> Response:
        """The platform's paging: `pageSize` and `nextPage` (or `limit` and `cursor`), the body a JSON array, the
        next page's token in `Elements-Next-Page-Token` until the last page."""
        event = app.current_event
        page, after = services.instances.list(
            caller(),
            tag=query("tag"),
            page_size=request.page_size(event, request.INSTANCES_PAGE, request.INSTANCES_PAGE),
            after=request.instances_after(event),
        )
        headers = {request.NEXT_PAGE_HEADER: request.instances_page_token(after)} if after is not None else None
        return json_response(200, page, headers)

    @app.get("/instances/<instance_id>")
    def get_instance(instance_id: str) -> Response:
        return json_response(200, services.instances.get(caller(), request.instance_id(instance_id)))

    @app.patch("/instances/<instance_id>")
    def patch_instance(instance_id: str) -> Response:
        return json_response(
            200, services.instances.patch(caller(), request.instance_id(instance_id), body(), public_url(), time_left())
        )

    @app.delete("/instances/<instance_id>")
    def delete_instance(instance_id: str) -> Response:
        services.instances.delete(caller(), request.instance_id(instance_id), time_left())
        return json_response(200, {"id": int(instance_id), "deleted": True})

    @app.put("/instances/<instance_id>/enabled")
    def enable_instance(instance_id: str) -> Response:
        return json_response(
            200,
            services.instances.set_enabled(caller(), request.instance_id(instance_id), True, public_url(), time_left()),
        )

    @app.delete("/instances/<instance_id>/enabled")
    def disable_instance(instance_id: str) -> Response:
        return json_response(
            200,
            services.instances.set_enabled(
                caller(), request.instance_id(instance_id), False, public_url(), time_left()
            ),
        )

    @app.get("/instances/<instance_id>/poller")
    def poller_status(instance_id: str) -> Response:
        instance = services.instances.owned(caller(), request.instance_id(instance_id))
        return json_response(200, services.poller.status(instance))

    @app.post("/instances/<instance_id>/events/poll")
    def poll_now(instance_id: str) -> Response:
        instance = services.instances.owned(caller(), request.instance_id(instance_id))
        return json_response(202, services.poller.poll_now(instance))

    @app.post("/instances/<instance_id>/poller/replay")
    def replay(instance_id: str) -> Response:
        instance = services.instances.owned(caller(), request.instance_id(instance_id))
        return json_response(200, services.poller.replay(instance, body()))

    @app.get("/instances/<instance_id>/events")
    def list_events(instance_id: str) -> Response:
        """Newest first, paged like `GET /instances`."""
        instance = services.instances.owned(caller(), request.instance_id(instance_id))
        event = app.current_event
        page, after = services.events.list(
            instance,
            page_size=request.page_size(event, request.NOTIFICATIONS_PAGE, request.NOTIFICATIONS_MAX_PAGE),
            after=request.notifications_after(event),
            status=query("status"),
        )
        headers = {request.NEXT_PAGE_HEADER: request.notifications_page_token(after)} if after is not None else None
        return json_response(200, page, headers)

    @app.post("/instances/<instance_id>/events/redeliver")
    def redeliver(instance_id: str) -> Response:
        instance = services.instances.owned(caller(), request.instance_id(instance_id))
        raw = app.current_event.body
        return json_response(202, services.events.redeliver(instance, body() if raw and raw.strip() else {}))

    @app.get("/instances/<instance_id>/events/<event_id>")
    def get_event(instance_id: str, event_id: str) -> Response:
        instance = services.instances.owned(caller(), request.instance_id(instance_id))
        return json_response(200, services.events.get(instance, request.notification_id(event_id)))

    @app.post("/instances/<instance_id>/events/<event_id>/retry")
    def retry_event(instance_id: str, event_id: str) -> Response:
        instance = services.instances.owned(caller(), request.instance_id(instance_id))
        return json_response(200, services.events.retry(instance, request.notification_id(event_id)))

    # -- SmartRecruiters' webhook callbacks: public, each one checked against its subscription's keys ----
    @app.post("/events/smartrecruiters/<instance_id>")
    @open_to_all
    def smartrecruiters_callback(instance_id: str) -> Response:
        if services.webhooks is None:
            raise NotFound("no such route")
        try:
            target = request.instance_id(instance_id)
        except NotFound:
            return json_response(401, {"message": "callback refused"})
        raw = request.raw_body(app.current_event, services.max_request_bytes)
        answer = services.webhooks.receive(target, app.current_event.headers, raw)
        return json_response(answer.status, answer.body, answer.headers)

    return app
