"""The notifications routes: newest first with paging, one notification with its attempts, retry."""

from __future__ import annotations

import json

from devstack.receiver import Scripted
from srevents.domain.backoff import MAX_ATTEMPTS
from tests.support.api_client import ApiClient
from tests.support.pipeline import SIGNATURE_KEY, Pipeline

NEXT_PAGE = "Elements-Next-Page-Token"


def test_list_get_and_retry_through_the_api(pipeline: Pipeline) -> None:
    # Given three notifications, the first failing for good
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance, changes=25)
    doomed: list[str] = []

    def fail_the_first_notification(headers: dict, body: bytes) -> Scripted | None:
        notification_id = json.loads(body)["id"]
        doomed[:] = doomed or [notification_id]
        return Scripted(500) if notification_id == doomed[0] else None

    pipeline.receiver.responder = fail_the_first_notification
    pipeline.pump.drain()
    pipeline.receiver.responder = None
    api = ApiClient.load(pipeline.poll.resources)
    auth = pipeline.poll.credentials

    # When the events are listed, two per page (the platform's names, then the aliases)
    first_page = api.get(f"/instances/{instance}/events", auth=auth, query="pageSize=2")
    token = first_page.headers[NEXT_PAGE]
    second_page = api.get(f"/instances/{instance}/events", auth=auth, query=f"limit=2&cursor={token}")

    # Then they come newest first, each with its status (the two behind the failed one QUEUED: push paused), and
    # the last page names no next one
    assert first_page.status == 200, first_page.text
    assert NEXT_PAGE not in second_page.headers
    listed = first_page.body + second_page.body
    assert [e["id"] for e in listed] == sorted((e["id"] for e in listed), reverse=True)
    assert [e["status"] for e in listed] == ["QUEUED", "QUEUED", "FAILED"]
    failed = listed[-1]
    assert failed["attemptCount"] == MAX_ATTEMPTS and failed["lastStatusCode"] == 500

    # And one notification shows its body, the headers sent and every attempt
    detail = api.get(f"/instances/{instance}/events/{failed['id']}", auth=auth)
    assert detail.body["body"]["id"] == failed["id"]
    assert len(detail.body["attempts"]) == MAX_ATTEMPTS
    assert detail.body["headersSent"]["Elements-Webhook-Id"] == failed["id"]
    assert SIGNATURE_KEY not in detail.text

    # And a retry delivers it now
    retried = api.post(f"/instances/{instance}/events/{failed['id']}/retry", auth=auth)
    assert retried.status == 200 and retried.body["status"] == "DELIVERED"
    assert api.get(f"/instances/{instance}/events", auth=auth, query="status=FAILED").body == []


def test_events_routes_validate_and_hide_other_tenants(pipeline: Pipeline) -> None:
    instance = pipeline.create_instance()
    api = ApiClient.load(pipeline.poll.resources)
    auth = pipeline.poll.credentials
    other = api.create_organization("Other")

    assert api.get(f"/instances/{instance}/events", auth=auth, query="limit=0").status == 400
    assert api.get(f"/instances/{instance}/events", auth=auth, query="status=LOST").status == 400
    assert api.get(f"/instances/{instance}/events", auth=auth, query="cursor=%%%").status == 400
    assert api.get(f"/instances/{instance}/events", auth=auth, query="pageSize=101").status == 400
    assert api.get(f"/instances/{instance}/events", auth=auth, query="nextPage=eyJhZnRlciI6IDF9").status == 400
    assert api.get(f"/instances/{instance}/events/not-an-id", auth=auth).status == 404
    assert api.get(f"/instances/{instance}/events/01a226bf-7010-8a54-bff4-462c63befebd", auth=auth).status == 404
    assert api.get(f"/instances/{instance}/events", auth=other).status == 404
    assert (
        api.post(f"/instances/{instance}/events/01a226bf-7010-8a54-bff4-462c63befebd/retry", auth=other).status == 404
    )


def test_walking_every_page_lists_each_notification_once(pipeline: Pipeline) -> None:
    # Given twelve notifications (120 changes, ten events a notification)
    instance = pipeline.create_instance()
    pipeline.change_and_poll(instance, changes=120)
    pipeline.pump.drain()
    api = ApiClient.load(pipeline.poll.resources)
    auth = pipeline.poll.credentials

    # When they are walked five at a time, following Elements-Next-Page-Token
    pages: list[list[dict]] = []
    query = "pageSize=5"
    while True:
        page = api.get(f"/instances/{instance}/events", auth=auth, query=query)
        assert page.status == 200 and isinstance(page.body, list), page.text
        pages.append(page.body)
        if NEXT_PAGE not in page.headers:
            break
        query = f"pageSize=5&nextPage={page.headers[NEXT_PAGE]}"

    # Then every notification comes once, newest first, and only the last page names no next one
    ids = [n["id"] for page in pages for n in page]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert len(ids) == len(set(ids)) == 12 and ids == sorted(ids, reverse=True)
    # and a status filter pages the same way: every notification is DELIVERED, none FAILED
    delivered = api.get(f"/instances/{instance}/events", auth=auth, query="status=DELIVERED&pageSize=12")
    assert len(delivered.body) == 12 and NEXT_PAGE not in delivered.headers
    assert api.get(f"/instances/{instance}/events", auth=auth, query="status=FAILED").body == []
