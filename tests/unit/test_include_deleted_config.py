"""`includeDeleted` in a resource block, and how the check of the key's audit log access answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from srevents.adapters.smartrecruiters import SmartRecruitersAuthError, SmartRecruitersError
from srevents.domain.instance_config import POLLER_CONFIGURATION
from srevents.domain.poller_config import deletion_resources, parse_poller_configuration, resource_configs
from srevents.domain.resources import default_resource_config
from srevents.errors import UpstreamUnavailable, ValidationError
from srevents.services.audit_access import check_audit_access

FIELD = f"configuration.{POLLER_CONFIGURATION}"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def blocks(**per_resource: dict[str, Any]) -> dict[str, Any]:
    return {name: {**default_resource_config(name), **keys} for name, keys in per_resource.items()}


def test_includeDeleted_true_is_stored_and_read_for_candidates_and_jobs() -> None:
    # Given candidates and jobs blocks asking for deletions, users not
    config = parse_poller_configuration(blocks(candidates={"includeDeleted": True}, jobs={"includeDeleted": True}))

    # Then both keep the key and the poller reads it
    assert config["candidates"]["includeDeleted"] is True
    assert [c.include_deleted for c in resource_configs({POLLER_CONFIGURATION: config})] == [True, True]
    assert deletion_resources({POLLER_CONFIGURATION: config}) == ["candidates", "jobs"]


def test_includeDeleted_defaults_to_false_and_false_is_not_stored() -> None:
    config = parse_poller_configuration(blocks(candidates={}, jobs={"includeDeleted": False}))

    assert "includeDeleted" not in config["candidates"] and "includeDeleted" not in config["jobs"]
    assert not any(c.include_deleted for c in resource_configs({POLLER_CONFIGURATION: config}))
    assert deletion_resources({POLLER_CONFIGURATION: config}) == []


@pytest.mark.parametrize("value", ["true", 1, None, [], {}])
def test_a_non_boolean_includeDeleted_is_a_400_naming_it(value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_poller_configuration(blocks(candidates={"includeDeleted": value}))
    assert caught.value.field == f"{FIELD}.candidates.includeDeleted"
    assert "true or false" in caught.value.problem


@pytest.mark.parametrize("value", [True, False])
def test_includeDeleted_in_a_users_block_is_a_400_naming_it(value: bool) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_poller_configuration(blocks(users={"includeDeleted": value}))
    assert caught.value.field == f"{FIELD}.users.includeDeleted"
    assert "candidates and jobs only" in caught.value.problem


# --- the access check ---------------------------------------------------------------------------------
class FakeClient:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.queries: list[dict[str, Any]] = []

    def check_audit_access(self, params: dict[str, Any], *, time_left: Any = None) -> None:
        assert 0 < time_left() <= 20  # the check answers within API Gateway's 29 s
        self.queries.append(params)
        if self.error is not None:
            raise self.error


def test_the_check_asks_once_for_every_resource_deletion_name() -> None:
    client = FakeClient()

    check_audit_access(client, ["candidates", "jobs"], NOW)

    [query] = client.queries
    assert query["eventName"] == ["CANDIDATE_DELETED", "CANDIDATE_DELETED_DUE_TO_MERGE", "JOB_DELETED"]


def test_a_403_is_a_400_naming_the_field_and_the_missing_permission() -> None:
    client = FakeClient(SmartRecruitersAuthError(403, "SmartRecruiters refused the API key access (403): forbidden"))

    with pytest.raises(ValidationError) as caught:
        check_audit_access(client, ["jobs"], NOW)

    assert caught.value.status == 400
    assert caught.value.field == f"{FIELD}.jobs.includeDeleted"
    assert "audit_events_read" in caught.value.problem


def test_a_401_is_a_400_naming_the_api_key() -> None:
    client = FakeClient(SmartRecruitersAuthError(401, "SmartRecruiters rejected the API key (401): no"))

    with pytest.raises(ValidationError) as caught:
        check_audit_access(client, ["candidates"], NOW)

    assert caught.value.field == "configuration.api.key"


@pytest.mark.parametrize("status", [500, 429, None])
def test_other_upstream_failures_are_a_502_that_stores_nothing(status: int | None) -> None:
    client = FakeClient(SmartRecruitersError(status, "SmartRecruiters GET /audit-events failed after 3 attempts"))

    with pytest.raises(UpstreamUnavailable) as caught:
        check_audit_access(client, ["candidates"], NOW)

    assert caught.value.status == 502
    assert "Nothing was stored" in caught.value.message
