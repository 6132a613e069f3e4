"""The API's OpenAPI 3 document, served at `GET /openapi.json`.

Written by hand (it is the contract); a test checks that every route the resolver serves is documented
here and nothing documented is missing from the resolver.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from srevents import __version__
from srevents.api import console
from srevents.domain.delivery_status import STATUSES

_ERROR = {"$ref": "#/components/responses/Error"}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_EVENT_ID = {"name": "eventId", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


def _ok(schema: dict[str, Any], description: str = "OK", status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: _ERROR for code in codes}


def _op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An authenticated operation: every one may also answer 429 (its organization's request rate)."""
    return {
        "summary": summary,
        "security": [{"ElementsAuthorization": []}],
        "responses": {**responses, "429": {"$ref": "#/components/responses/TooManyRequests"}},
        **extra,
    }


def _paged_responses(description: str, item: dict[str, Any]) -> dict[str, Any]:
    """A list's answers: a JSON array, the next page's token in `Elements-Next-Page-Token` (the platform's way)."""
    return {
        "200": {
            "description": f"{description}; the next page's token in Elements-Next-Page-Token, absent on the last",
            "headers": {
                "Elements-Next-Page-Token": {
                    "description": "pass as nextPage for the next page; absent on the last page",
                    "schema": {"type": "string"},
                }
            },
            "content": {"application/json": {"schema": {"type": "array", "items": item}}},
        },
        **_errors("400", "401", "404"),
    }


def _paging_parameters(what: str, *, default: int, maximum: int) -> list[dict[str, Any]]:
    return [
        {
            "name": "pageSize",
            "in": "query",
            "required": False,
            "description": f"{what} per page (also `limit`); default {default}, at most {maximum}",
            "schema": {"type": "integer", "minimum": 1, "maximum": maximum},
        },
        {
            "name": "nextPage",
            "in": "query",
            "required": False,
            "description": "the Elements-Next-Page-Token of the previous page (also `cursor`)",
            "schema": {"type": "string"},
        },
    ]


_INSTANCE_REF = {"$ref": "#/components/schemas/Instance"}
_JSON_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InstanceInput"}}},
}

ROUTES: dict[str, dict[str, Any]] = {
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": _ok({"type": "object"}),
        }
    },
    "/console": {
        "get": {
            "summary": "The web console (HTML); it calls this API with the credentials the user enters",
            "security": [],
            "responses": {
                "200": {"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}}},
                "308": {"description": "`/console/` redirects to `/console`"},
            },
        }
    },
    "/console/defaults.json": {
        "get": {
            "summary": "The element's default resource configurations and interval, for the console's create form",
            "security": [],
            "responses": _ok({"$ref": "#/components/schemas/ConsoleDefaults"}),
        }
    },
    "/console/{asset}": {
        "get": {
            "summary": "A static file of the console: its stylesheet, icon and script modules",
            "security": [],
            "parameters": [
                {
                    "name": "asset",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": sorted(console.ASSETS)},
                }
            ],
            "responses": {
                "200": {
                    "description": "The file",
                    "content": {
                        "text/css": {"schema": {"type": "string"}},
                        "text/javascript": {"schema": {"type": "string"}},
                        "image/svg+xml": {"schema": {"type": "string"}},
                    },
                },
                "404": _ERROR,
            },
        }
    },
    "/instances": {
        "post": _op(
            "Create an element instance (the seed's body works verbatim)",
            {
                **_ok(_INSTANCE_REF, "The instance, with its token (shown only here)"),
                **_errors("400", "401", "413", "502"),
            },
            requestBody=_JSON_BODY,
        ),
        "get": _op(
            "List the organization's instances in id order, a page at a time",
            _paged_responses("A page of instances", _INSTANCE_REF),
            parameters=[
                {"name": "tag", "in": "query", "required": False, "schema": {"type": "string"}},
                *_paging_parameters("instances", default=1000, maximum=1000),
            ],
        ),
    },
    "/instances/{id}": {
        "get": _op("One instance, secrets masked", {**_ok(_INSTANCE_REF), **_errors("401", "404")}, parameters=[_ID]),
        "patch": _op(
            "Change name, tags or configuration keys (null removes a key)",
            {**_ok(_INSTANCE_REF), **_errors("400", "401", "404", "409", "413", "502")},
            parameters=[_ID],
            requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        ),
        "delete": _op(
            "Delete the instance, its schedule and its poller state",
            {**_ok({"type": "object"}), **_errors("401", "404")},
            parameters=[_ID],
        ),
    },
    "/instances/{id}/enabled": {
        "put": _op("Enable the instance", {**_ok(_INSTANCE_REF), **_errors("401", "404", "409")}, parameters=[_ID]),
        "delete": _op("Disable the instance", {**_ok(_INSTANCE_REF), **_errors("401", "404", "409")}, parameters=[_ID]),
    },
    "/events/smartrecruiters/{id}": {
        "post": {
            "summary": (
                "SmartRecruiters' webhook callbacks for a webhook instance (public). Accepted only when "
                "`smartrecruiters-signature` matches one of the subscription's live secret keys and "
                "`smartrecruiters-timestamp` is within 5 minutes; answers the `X-Hook-Secret` activation "
                "handshake while the subscription is being activated"
            ),
            "security": [],
            "parameters": [
                _ID,
                *[
                    {"name": name, "in": "header", "schema": {"type": "string"}}
                    for name in (
                        "smartrecruiters-signature",
                        "smartrecruiters-timestamp",
                        "event-id",
                        "event-name",
                        "event-version",
                        "link",
                        "X-Hook-Secret",
                    )
                ],
            ],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {
                "200": {
                    "description": "The activation handshake, X-Hook-Secret echoed",
                    "headers": {"X-Hook-Secret": {"schema": {"type": "string"}}},
                },
                "202": {"description": "A verified callback, handed over for processing"},
                "401": {"description": "Refused (not signed by the subscription, stale, or no activation under way)"},
                "404": _ERROR,
                "413": _ERROR,
            },
        }
    },
    "/instances/{id}/poller": {
        "get": _op(
            "Poller state per resource: watermark, last run, records, events, last error; the webhook subscription",
            {**_ok({"$ref": "#/components/schemas/PollerStatus"}), **_errors("401", "404")},
            parameters=[_ID],
        )
    },
    "/instances/{id}/events/poll": {
        "post": _op(
            "Poll now, without waiting for the schedule",
            {**_ok({"type": "object"}, "Poll requested", "202"), **_errors("401", "404", "409")},
            parameters=[_ID],
        )
    },
    "/instances/{id}/events": {
        "get": _op(
            "The instance's notifications, newest first, with their delivery status, a page at a time",
            _paged_responses("A page of notifications", {"$ref": "#/components/schemas/NotificationSummary"}),
            parameters=[
                _ID,
                *_paging_parameters("notifications", default=25, maximum=100),
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
            ],
        )
    },
    "/instances/{id}/events/{eventId}": {
        "get": _op(
            "One notification: its body, the headers sent and every delivery attempt",
            {**_ok({"type": "object"}), **_errors("401", "404")},
            parameters=[_ID, _EVENT_ID],
        )
    },
    "/instances/{id}/events/redeliver": {
        "post": _op(
            "Resume push and send the parked notifications (QUEUED after push paused, FAILED after their last retry) "
            "again, in the order they were produced; an empty body redelivers both",
            {**_ok({"type": "object"}, "Redelivery started", "202"), **_errors("400", "401", "404", "409", "413")},
            parameters=[_ID],
            requestBody={
                "required": False,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RedeliverRequest"}}},
            },
        )
    },
    "/instances/{id}/events/{eventId}/retry": {
        "post": _op(
            "Deliver the notification again now (also from FAILED)",
            {**_ok({"type": "object"}), **_errors("401", "404")},
            parameters=[_ID, _EVENT_ID],
        )
    },
    "/instances/{id}/poller/replay": {
        "post": _op(
            "Move watermarks back so changes since `since` are emitted again",
            {**_ok({"type": "object"}), **_errors("400", "401", "404", "409", "413")},
            parameters=[_ID],
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReplayRequest"}}},
            },
        )
    },
}

SCHEMAS: dict[str, Any] = {
    "ConsoleDefaults": {
        "type": "object",
        "properties": {
            "element": {"type": "string"},
            "resources": {
                "type": "object",
                "description": "resource name → its default `event.poller.configuration` block",
                "additionalProperties": {"type": "object"},
            },
            "defaultResources": {"type": "array", "items": {"type": "string"}},
            "refreshInterval": {
                "type": "object",
                "properties": {"default": {"type": "integer"}, "min": {"type": "integer"}, "max": {"type": "integer"}},
            },
        },
    },
    "NotificationSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "objectType": {"type": ["string", "null"]},
            "eventCount": {"type": ["integer", "null"]},
            "createdDate": {"type": ["string", "null"]},
            "updatedDate": {"type": ["string", "null"]},
            "attemptCount": {"type": "integer"},
            "lastStatusCode": {"type": ["integer", "null"]},
            "nextAttemptAt": {"type": ["string", "null"]},
        },
    },
    "RedeliverRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "status": {
                "type": "array",
                "items": {"type": "string", "enum": ["QUEUED", "FAILED"]},
                "minItems": 1,
                "description": "which parked notifications to send (default both)",
            },
            "since": {
                "type": "string",
                "format": "date-time",
                "description": "only notifications first logged at or after this instant",
            },
        },
    },
    "ReplayRequest": {
        "type": "object",
        "required": ["since"],
        "properties": {
            "since": {"type": "string", "format": "date-time"},
            "resources": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
    },
    "PollerStatus": {
        "type": "object",
        "properties": {
            "instanceId": {"type": "integer"},
            "pollInProgress": {"type": "boolean"},
            "notificationsSuspended": {"type": "boolean"},
            "pushPaused": {"type": "boolean"},
            "pushPausedReason": {"type": ["string", "null"]},
            "redelivery": {"type": ["object", "null"]},
            "resources": {"type": "array", "items": {"$ref": "#/components/schemas/PollerResourceStatus"}},
            "webhook": {
                "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/WebhookSubscription"}],
                "description": "the SmartRecruiters subscription of a webhook instance (null when polling)",
            },
        },
    },
    "WebhookSubscription": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["active", "inactive"]},
            "subscriptionId": {"type": ["string", "null"]},
            "events": {"type": "array", "items": {"type": "string"}},
            "callbackUrl": {"type": ["string", "null"]},
            "activatedDate": {"type": ["string", "null"], "format": "date-time"},
            "lastCallback": {"type": ["string", "null"], "format": "date-time"},
            "callbacks": {"type": "integer"},
            "webhookEvents": {"type": "integer"},
            "caughtByReconciliation": {"type": "integer"},
            "consecutiveFailures": {"type": "integer"},
            "lastError": {"type": ["string", "null"]},
        },
    },
    "PollerResourceStatus": {
        "type": "object",
        "description": (
            "One resource's poller state; the counts are the last run's. With webhooks also webhookEvents, "
            "caughtByReconciliation (changes a poll found that no callback had brought), callbacks, "
            "duplicateCallbacks, deferredToPoll, pendingDeletions (deletions announced, not sent yet), "
            "deletionsDropped, lastCallback, webhookFailures, lastWebhookError"
        ),
        "properties": {
            "resource": {"type": "string"},
            "watermark": {"type": ["string", "null"], "format": "date-time"},
            "lastResult": {"type": ["string", "null"], "enum": ["ok", "partial", "error", None]},
            "pages": {"type": "integer"},
            "recordsRead": {"type": "integer"},
            "eventsEmitted": {"type": "integer"},
            "deletionsRead": {
                "type": "integer",
                "description": "audit events read for the resource's deletions (includeDeleted; else 0)",
            },
            "deletionsEmitted": {"type": "integer", "description": "of eventsEmitted, DELETED events"},
            "lastError": {"type": ["string", "null"]},
            "consecutiveFailures": {"type": "integer"},
        },
    },
    "PollerResource": {
        "type": "object",
        "description": ("One block of event.poller.configuration (resource name → block): how one resource is polled"),
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "description": "hub path with a where clause, e.g. updatedAfter='${gmtDate}'"},
            "idField": {"type": "string", "default": "id"},
            "datesConfiguration": {"type": "object"},
            "pollDelay": {"type": "integer", "default": 60, "description": "lookback, seconds"},
            "createdCheckTolerance": {"type": "integer", "default": 0},
            "pageSize": {"type": "integer", "minimum": 1, "maximum": 100, "default": 100},
            "filterByCurrentDate": {"type": "boolean", "default": True},
            "filterByUpdatedDate": {"type": "boolean", "default": True},
            "updatedDateTimezone": {"type": "string"},
            "includeDeleted": {
                "type": "boolean",
                "default": False,
                "description": (
                    "candidates and jobs only: also read SmartRecruiters' audit log (GET /audit-events) and emit "
                    "a DELETED event per CANDIDATE_DELETED, CANDIDATE_DELETED_DUE_TO_MERGE or JOB_DELETED. The API "
                    "key needs SmartRecruiters' audit_events_read permission, checked when it is turned on: 400 "
                    "without it, 502 if SmartRecruiters cannot be asked"
                ),
            },
        },
    },
    "Notification": {
        "type": "object",
        "description": "The body POSTed to the callback URL (signed; see the README)",
        "properties": {
            "id": {"type": "string"},
            "topic": {"type": "string"},
            "action": {"type": "string"},
            "severity": {"type": "string"},
            "createdDate": {"type": "string", "format": "date-time"},
            "message": {
                "type": "object",
                "properties": {
                    "instanceId": {"type": "integer"},
                    "raw": {
                        "type": "object",
                        "description": (
                            "{<objectType>: [records], pollDate, objectType}: the records the events are about, in "
                            "the events' order; for a DELETED event, the SmartRecruiters audit event"
                        ),
                    },
                    "events": {
                        "type": "array",
                        "maxItems": 10,
                        "items": {"$ref": "#/components/schemas/NotificationEvent"},
                    },
                },
            },
        },
    },
    "NotificationEvent": {
        "type": "object",
        "required": ["eventType", "objectId", "objectType", "date", "pollDate"],
        "properties": {
            "eventType": {"type": "string", "enum": ["CREATED", "UPDATED", "DELETED"]},
            "objectId": {"type": "string", "description": "the record's id; for DELETED the deleted record's"},
            "objectType": {"type": "string"},
            "elementKey": {"type": "string"},
            "hubKey": {"type": "string"},
            "date": {
                "type": "string",
                "format": "date-time",
                "description": "the record's updated date; for DELETED the audit event's eventDate",
            },
            "pollDate": {"type": "string", "format": "date-time"},
            "mergedInto": {
                "type": "string",
                "description": "DELETED by a merge (CANDIDATE_DELETED_DUE_TO_MERGE): the candidate it was merged into",
            },
            "rawOmitted": {"type": "boolean"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"type": "string"},
            "field": {"type": "string", "description": "dotted path of the offending field"},
            "requestId": {"type": ["string", "null"]},
        },
    },
    "InstanceInput": {
        "type": "object",
        "required": ["element", "name", "configuration"],
        "properties": {
            "element": {"type": "object", "properties": {"key": {"type": "string", "enum": ["smartrecruiters"]}}},
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "configuration": {
                "type": "object",
                "required": ["api.key"],
                "properties": {
                    "api.key": {"type": "string"},
                    "event.notification.enabled": {"type": ["boolean", "string"]},
                    "event.vendor.type": {
                        "type": "string",
                        "enum": ["polling", "webhook"],
                        "description": (
                            "may be omitted: polling. `webhook`: SmartRecruiters pushes changes within seconds "
                            "(a subscription made, activated and deleted with the instance; its callbacks arrive "
                            "at /events/smartrecruiters/{id}), and the schedule keeps polling at the interval to "
                            "reconcile what webhooks missed"
                        ),
                    },
                    "event.notification.callback.url": {"type": "string", "format": "uri"},
                    "event.notification.signature.key": {"type": "string"},
                    "event.poller.refresh_interval": {"type": ["integer", "string"]},
                    "event.poller.configuration": {
                        "type": ["object", "string"],
                        "description": (
                            "resource name (candidates, jobs, users) → a PollerResource block (see "
                            "components.schemas.PollerResource, e.g. includeDeleted), or that object JSON-encoded"
                        ),
                    },
                    "event.poller.urls": {
                        "type": "string",
                        "description": (
                            "the platform's legacy form, one line per resource: resource|url|xPathFilter|"
                            "updatedDateField|updatedDateFormat|updatedDateTimezone|createdDateField|"
                            "createdDateFormat|createdDateTimezone; converted to event.poller.configuration"
                        ),
                    },
                },
            },
        },
    },
    "Instance": {
        "type": "object",
        "required": [
            "id",
            "name",
            "createdDate",
            "element",
            "tags",
            "eventsEnabled",
            "disabled",
            "valid",
            "configuration",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "token": {"type": "string", "description": "only in the response to POST /instances"},
            "createdDate": {"type": "string", "format": "date-time"},
            "updatedDate": {"type": "string", "format": "date-time"},
            "element": {
                "type": "object",
                "properties": {"key": {"type": "string"}, "name": {"type": "string"}, "hub": {"type": "string"}},
            },
            "tags": {"type": "array", "items": {"type": "string"}},
            "eventsEnabled": {"type": "boolean"},
            "disabled": {"type": "boolean"},
            "valid": {"type": "boolean"},
            "notificationsSuspended": {"type": "boolean"},
            "notificationsSuspendedReason": {"type": "string"},
            "pushPaused": {
                "type": "boolean",
                "description": "a notification failed its last retry: later ones are QUEUED until a redelivery, "
                "enabling the instance or a new callback URL",
            },
            "pushPausedReason": {"type": "string"},
            "configuration": {"type": "object", "description": "secrets are masked as ********"},
        },
    },
}


@cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "srevents: polling events for SmartRecruiters",
            "version": __version__,
            "description": (
                "Element instances that poll SmartRecruiters and deliver signed event notifications. Every path "
                "is also served under `/elements/api-v2` (the hosted platform's prefix), so scripts written for "
                "the platform work with only the host changed."
            ),
        },
        "paths": ROUTES,
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                "Error": {
                    "description": "An error, with a message naming what is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
                "TooManyRequests": {
                    "description": (
                        "The organization is over its share of the API (a token bucket per organization); "
                        "nothing was changed. Retry after the number of seconds in `Retry-After`."
                    ),
                    "headers": {
                        "Retry-After": {
                            "description": "Whole seconds until a retry can succeed",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    },
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
            "securitySchemes": {
                "ElementsAuthorization": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "User <user secret>, Organization <organization secret>[, Element <instance token>]",
                }
            },
        },
    }
