"""The instances API: routes wired to the use cases. Authentication and errors are handled here once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from srevents.api import console
from srevents.api.errors import json_response, register_error_handlers
from srevents.api.openapi import openapi_document
from srevents.domain.strict_json import DuplicateKeyError, duplicate_key_message, refuse_duplicate_keys
from srevents.errors import NotFound, PayloadTooLarge, ValidationError
from srevents.services.events_service import EventsService
from srevents.services.instances_service import Caller, InstancesService
from srevents.services.poller_control import PollerControl


@dataclass(frozen=True)
class ApiServices:
    instances: InstancesService
    poller: PollerControl
    events: EventsService
    max_request_bytes: int = 64 * 1024


def _instance_id(raw: str) -> int:
    """Path ids are positive integers; anything else names no instance."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # not "²", which int() refuses
        raise NotFound(f"instance {raw[:40]!r} not found")
    return int(raw)


def create_app(services: ApiServices) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(strip_prefixes=[])
    register_error_handlers(app)

    def caller() -> Caller:
        return services.instances.authenticate(app.current_event.headers.get("Authorization"))

    def body() -> Any:
        raw = app.current_event.body or ""
        if app.current_event.is_base64_encoded:
            raise ValidationError("body", "must be JSON text, not base64-encoded bytes")
        if len(raw.encode("utf-8")) > services.max_request_bytes:
            raise PayloadTooLarge(f"request body is larger than {services.max_request_bytes} bytes")
        if not raw.strip():
            raise ValidationError("body", "is required (a JSON object)")
        try:
            parsed = json.loads(raw, object_pairs_hook=refuse_duplicate_keys)
        except DuplicateKeyError as error:  # {"key": "evil", "key": "smartrecruiters"}: no last-wins
            raise ValidationError("body", duplicate_key_message(error)) from None
        except json.JSONDecodeError:
            raise  # answered as 400 with the parser's own message (api.errors)
        except RecursionError:  # e.g. 5,000 nested arrays: valid JSON that Python's parser cannot hold
            raise ValidationError("body", "is nested too deeply") from None
        except ValueError:  # an integer of more digits than Python converts (4,300)
            raise ValidationError("body", "holds a number too long to read") from None
        try:  # JSON may escape a lone surrogate ("\ud800"): no valid text, and nothing can store it
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("body", "holds a string that is not valid Unicode (a lone surrogate)") from None
        return parsed

    def query(name: str) -> str | None:
        return (app.current_event.query_string_parameters or {}).get(name)

    @app.get("/openapi.json")
    def get_openapi() -> Response:
        return json_response(200, openapi_document())

    # -- the web console: static files, no credentials (the API calls the page makes carry them) ----
    @app.get("/console")
    def console_page() -> Response:
        if app.current_event.path.endswith("/"):
            # `/console/` would resolve the page's relative links one level too deep.
            return Response(308, "text/plain; charset=utf-8", "", headers={"Location": "../console"})
        found = console.page()
        return Response(200, found.content_type, found.body, headers=console.SECURITY_HEADERS)

    @app.get("/console/defaults.json")
    def console_defaults() -> Response:
        return json_response(200, console.defaults(), console.SECURITY_HEADERS)

    @app.get("/console/<asset>")
    def console_asset(asset: str) -> Response:
        found = console.asset(asset)
        if found is None:
            raise NotFound(f"console asset {asset[:64]!r} not found")
        return Response(200, found.content_type, found.body, headers=console.SECURITY_HEADERS)

    @app.post("/instances")
    def create_instance() -> Response:
        who = caller()
        return json_response(200, services.instances.create(who, body()))

    @app.get("/instances")
    def list_instances() -> Response:
        who = caller()
        return json_response(200, services.instances.list(who, tag=query("tag")))

    @app.get("/instances/<instance_id>")
    def get_instance(instance_id: str) -> Response:
        who = caller()
        return json_response(200, services.instances.get(who, _instance_id(instance_id)))

    @app.patch("/instances/<instance_id>")
    def patch_instance(instance_id: str) -> Response:
        who = caller()
        return json_response(200, services.instances.patch(who, _instance_id(instance_id), body()))

    @app.delete("/instances/<instance_id>")
    def delete_instance(instance_id: str) -> Response:
        who = caller()
        services.instances.delete(who, _instance_id(instance_id))
        return json_response(200, {"id": int(instance_id), "deleted": True})

    @app.put("/instances/<instance_id>/enabled")
    def enable_instance(instance_id: str) -> Response:
        who = caller()
        return json_response(200, services.instances.set_enabled(who, _instance_id(instance_id), True))

    @app.delete("/instances/<instance_id>/enabled")
    def disable_instance(instance_id: str) -> Response:
        who = caller()
        return json_response(200, services.instances.set_enabled(who, _instance_id(instance_id), False))

    @app.get("/instances/<instance_id>/poller")
    def poller_status(instance_id: str) -> Response:
        instance = services.instances.owned(caller(), _instance_id(instance_id))
        return json_response(200, services.poller.status(instance))

    @app.post("/instances/<instance_id>/events/poll")
    def poll_now(instance_id: str) -> Response:
        instance = services.instances.owned(caller(), _instance_id(instance_id))
        return json_response(202, services.poller.poll_now(instance))

    @app.post("/instances/<instance_id>/poller/replay")
    def replay(instance_id: str) -> Response:
        instance = services.instances.owned(caller(), _instance_id(instance_id))
        return json_response(200, services.poller.replay(instance, body()))

    @app.get("/instances/<instance_id>/events")
    def list_events(instance_id: str) -> Response:
        instance = services.instances.owned(caller(), _instance_id(instance_id))
        return json_response(
            200, services.events.list(instance, limit=query("limit"), cursor=query("cursor"), status=query("status"))
        )

    @app.get("/instances/<instance_id>/events/<event_id>")
    def get_event(instance_id: str, event_id: str) -> Response:
        instance = services.instances.owned(caller(), _instance_id(instance_id))
        return json_response(200, services.events.get(instance, event_id))

    @app.post("/instances/<instance_id>/events/<event_id>/retry")
    def retry_event(instance_id: str, event_id: str) -> Response:
        instance = services.instances.owned(caller(), _instance_id(instance_id))
        return json_response(200, services.events.retry(instance, event_id))

    return app
