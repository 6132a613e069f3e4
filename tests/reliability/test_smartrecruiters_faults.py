"""SmartRecruiters failing at every page position of a four-page poll: 500, 429 and read timeouts; and its
audit log failing at every page position of a three-page read of deletions (includeDeleted): 500 and 429.

Each case fails one page twice over: first on every attempt the client makes (the poll fails and keeps its
watermark), then, at the next scheduled poll, on two attempts only (the client's retries absorb it).
Nothing may be lost, nothing duplicated, and each instance's notifications must arrive in order.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

from srevents.adapters.smartrecruiters import SmartRecruitersClient
from srevents.domain.resources import default_resource_config
from tests.reliability.cases import SR_AUDIT_FAULTS, SR_AUDIT_PAGES, SR_FAULTS, SR_PAGES, case_key
from tests.reliability.faults import AUDIT_EVENTS, TIMEOUT, PageFault
from tests.reliability.world import World

CLIENT_ATTEMPTS = inspect.signature(SmartRecruitersClient).parameters["max_attempts"].default
RECORDS = 301  # pages of 100: four pages, the last one holding a single record


@pytest.mark.parametrize("page", SR_PAGES)
@pytest.mark.parametrize("kind", SR_FAULTS)
def test_smartrecruiters_fault_at_every_page_loses_and_repeats_nothing(
    world: World, report: Callable[..., None], kind: int | str, page: int
) -> None:
    # Given an instance and 301 new candidates: a poll reads four pages
    instance = world.create_instance()
    world.clock.advance(61)
    world.change(creates=RECORDS, gap=0.1)

    # When page `page` fails on every attempt the client makes
    world.sr_session.faults = [PageFault(page, kind, CLIENT_ATTEMPTS)]
    [failed] = world.tick()
    world.deliver()

    # Then the poll reports the error, sends nothing and keeps its watermark
    assert failed.result is not None, failed.error
    [resource] = failed.result["resources"]
    assert resource["result"] == "error" and resource["notifications"] == 0
    assert world.receiver.received == []

    # When the next scheduled poll meets the same fault on two attempts only, and more changes follow
    world.change(creates=5, gap=0.1)
    world.sr_session.faults = [PageFault(page, kind, 2)]
    [recovered] = world.tick()
    world.deliver()
    world.change(updates=world.candidate_ids()[:10])
    world.settle()

    # Then every change arrives once, in order
    assert recovered.result is not None and recovered.result["resources"][0]["result"] == "ok"
    assert recovered.result["resources"][0]["pages"] == 4
    tally = world.tally()
    label = f"{kind} (read timeout)" if kind == TIMEOUT else f"HTTP {kind}"
    report(
        section="smartrecruiters",
        key=case_key("smartrecruiters", kind, page),
        case=f"SmartRecruiters {label} at page {page} of 4",
        fault=f"page {page}: all {CLIENT_ATTEMPTS} attempts fail, then 2 attempts at the next poll",
        notes=f"{world.sr_session.injected} faulty answers; first poll failed, watermark kept",
        instance=instance,
        **tally.as_row(),
    )
    assert tally.lost == 0, tally.missing[:5]
    assert tally.duplicates == 0 and tally.resends == 0
    assert tally.order_violations == 0
    assert tally.phantoms == 0 and tally.bad_signatures == 0


DELETIONS = 250  # audit pages of 100: three pages, the last one holding 50 deletions


@pytest.mark.parametrize("page", SR_AUDIT_PAGES)
@pytest.mark.parametrize("kind", SR_AUDIT_FAULTS)
def test_audit_log_fault_at_every_page_loses_and_repeats_no_deletion(
    world: World, report: Callable[..., None], kind: int, page: int
) -> None:
    # Given an instance reading deletions, which has delivered 260 new candidates
    blocks = {"candidates": {**default_resource_config("candidates"), "includeDeleted": True}}
    instance = world.create_instance(**{"event.poller.configuration": blocks})
    world.clock.advance(61)
    world.change(creates=DELETIONS + 10, gap=0.1)
    world.tick()
    world.deliver()
    delivered_before = len(world.receiver.received)

    # When 250 of them are deleted (three audit pages) and page `page` fails on every attempt the client makes
    world.delete(world.candidate_ids()[:DELETIONS], gap=0.1)
    world.sr_session.faults = [PageFault(page, kind, CLIENT_ATTEMPTS, path=AUDIT_EVENTS)]
    [failed] = world.tick()
    world.deliver()

    # Then the poll reports the error, sends nothing and keeps its watermark
    assert failed.result is not None, failed.error
    [resource] = failed.result["resources"]
    assert resource["result"] == "error" and resource["notifications"] == 0, resource
    assert len(world.receiver.received) == delivered_before

    # When the next scheduled poll meets the same fault on two attempts only, and more changes follow
    world.change(creates=5, gap=0.1)
    world.delete(world.candidate_ids()[:3], gap=0.1)
    world.sr_session.faults = [PageFault(page, kind, 2, path=AUDIT_EVENTS)]
    [recovered] = world.tick()
    world.deliver()
    world.delete(world.candidate_ids()[:2])
    world.change(updates=world.candidate_ids()[:3])
    world.settle()

    # Then every creation, update and deletion arrives once, in order
    assert recovered.result is not None and recovered.result["resources"][0]["result"] == "ok"
    assert recovered.result["resources"][0]["deletions_read"] == DELETIONS + 3
    tally = world.tally()
    report(
        section="smartrecruiters-audit",
        key=case_key("smartrecruiters-audit", kind, page),
        case=f"GET /audit-events HTTP {kind} at page {page} of 3 (250 deletions)",
        fault=f"audit page {page}: all {CLIENT_ATTEMPTS} attempts fail, then 2 attempts at the next poll",
        notes=f"{world.sr_session.injected} faulty answers; first poll failed, watermark kept",
        instance=instance,
        **tally.as_row(),
    )
    assert tally.lost == 0, tally.missing[:5]
    assert tally.duplicates == 0 and tally.resends == 0
    assert tally.order_violations == 0
    assert tally.phantoms == 0 and tally.bad_signatures == 0
