"""The hosted platform's poller keys in a resource block and its legacy `event.poller.urls` (docs/DESIGN.md §3)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from srevents.domain.changes import detect_changes
from srevents.domain.instance_config import (
    API_KEY,
    POLLER_CONFIGURATION,
    POLLER_URLS,
    VENDOR_TYPE,
    CallbackPolicy,
    InstanceSpec,
    merge_patch,
    validate_configuration,
)
from srevents.domain.poller_config import parse_poller_configuration, parse_poller_urls, resource_configs
from srevents.domain.resources import default_resource_config
from srevents.errors import ValidationError

FIELD = f"configuration.{POLLER_CONFIGURATION}.candidates"
URLS = f"configuration.{POLLER_URLS}"
ISO = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
CANDIDATES_URL = "/hubs/humancapital/candidates?where=updatedAfter='${gmtDate}'"
JOBS_URL = "/hubs/humancapital/jobs?where=updatedAfter='${gmtDate}'"
POLICY = CallbackPolicy()
CALLBACK = "https://93.184.216.34/hook"  # a public IP literal: no DNS asked


def block(**keys: Any) -> dict[str, Any]:
    return {**default_resource_config("candidates"), **keys}


def parsed(**keys: Any) -> dict[str, Any]:
    return parse_poller_configuration({"candidates": block(**keys)})["candidates"]


def refusal(**keys: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_poller_configuration({"candidates": block(**keys)})
    return caught.value


def config_of(**keys: Any) -> Any:
    return resource_configs({POLLER_CONFIGURATION: parse_poller_configuration({"candidates": block(**keys)})})[0]


# ------------------------------------------------------------------------------------ the JSON keys


def test_defaults_are_todays_behaviour_and_are_echoed() -> None:
    # Given a block without the platform's keys; When validated; Then the defaults are stored and applied
    shown = parsed()
    assert (shown["pageSize"], shown["filterByCurrentDate"], shown["filterByUpdatedDate"]) == (100, True, True)
    assert (shown["pollDelay"], shown["createdCheckTolerance"]) == (60, 0)
    config = config_of()
    assert (config.page_size, config.filter_by_current_date, config.filter_by_updated_date) == (100, True, True)


@pytest.mark.parametrize("value", [1, 10, 100, "25", " 25 ", 25.0])
def test_page_size_accepts_whole_numbers_from_1_to_100(value: Any) -> None:
    assert parsed(pageSize=value)["pageSize"] == int(float(value))
    assert config_of(pageSize=value).page_size == int(float(value))


@pytest.mark.parametrize("value", [0, 101, -1, "abc", "", "0", "101", 2.5, True, None, [10], "٦٠"])
def test_page_size_outside_1_to_100_or_not_a_number_is_refused(value: Any) -> None:
    error = refusal(pageSize=value)
    assert error.field == f"{FIELD}.pageSize"
    assert "from 1 to 100" in error.problem


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), ("false", False), ("TRUE", True)])
def test_filter_by_current_date_is_a_boolean(value: Any, expected: bool) -> None:
    assert parsed(filterByCurrentDate=value)["filterByCurrentDate"] is expected
    assert config_of(filterByCurrentDate=value).filter_by_current_date is expected


@pytest.mark.parametrize("spelling", ["filterByUpdatedDate", "filterByUpdateDate"])
def test_filter_by_updated_date_in_either_spelling_is_stored_as_filter_by_updated_date(spelling: str) -> None:
    shown = parsed(**{spelling: "false"})
    assert shown["filterByUpdatedDate"] is False
    assert "filterByUpdateDate" not in shown
    assert config_of(**{spelling: False}).filter_by_updated_date is False
    # the stored form is valid again as it is (the poller re-reads it)
    assert parse_poller_configuration({"candidates": shown})["candidates"] == shown


@pytest.mark.parametrize(
    ("keys", "field"),
    [
        ({"filterByCurrentDate": "yes"}, "filterByCurrentDate"),
        ({"filterByCurrentDate": 1}, "filterByCurrentDate"),
        ({"filterByUpdatedDate": None}, "filterByUpdatedDate"),
        ({"filterByUpdateDate": "no"}, "filterByUpdateDate"),
    ],
)
def test_filters_that_are_not_booleans_are_refused(keys: dict[str, Any], field: str) -> None:
    error = refusal(**keys)
    assert error.field == f"{FIELD}.{field}"
    assert "must be a boolean" in error.problem


def test_both_spellings_at_once_are_refused() -> None:
    error = refusal(filterByUpdatedDate=True, filterByUpdateDate=True)
    assert error.field == f"{FIELD}.filterByUpdateDate"
    assert "give one" in error.problem


def test_resource_level_updated_date_timezone_applies_when_dates_configuration_has_none() -> None:
    dates = {"updatedDateField": "updatedOn", "updatedDateFormat": "yyyy-MM-dd HH:mm:ss"}
    shown = parsed(datesConfiguration=dates, updatedDateTimezone="Europe/Warsaw")
    assert shown["updatedDateTimezone"] == "Europe/Warsaw"
    assert config_of(datesConfiguration=dates, updatedDateTimezone="Europe/Warsaw").updated.timezone == "Europe/Warsaw"
    # datesConfiguration's own zone wins
    with_zone = {**dates, "updatedDateTimezone": "America/New_York"}
    assert config_of(datesConfiguration=with_zone, updatedDateTimezone="Europe/Warsaw").updated.timezone == (
        "America/New_York"
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", 5])
def test_a_bad_resource_level_timezone_is_refused(zone: Any) -> None:
    assert refusal(updatedDateTimezone=zone).field == f"{FIELD}.updatedDateTimezone"


@pytest.mark.parametrize(("key", "value", "expected"), [("pollDelay", 0, 0), ("pollDelay", "30", 30)])
def test_poll_delay_takes_a_number_or_a_string(key: str, value: Any, expected: int) -> None:
    assert parsed(**{key: value})[key] == expected
    assert config_of(**{key: value}).poll_delay_seconds == expected


@pytest.mark.parametrize("value", [5, "5"])
def test_created_check_tolerance_takes_a_number_or_a_string(value: Any) -> None:
    assert parsed(createdCheckTolerance=value)["createdCheckTolerance"] == 5
    assert config_of(createdCheckTolerance=value).created_check_tolerance_seconds == 5


@pytest.mark.parametrize(("key", "value"), [("pollDelay", "abc"), ("pollDelay", -1), ("createdCheckTolerance", 1.5)])
def test_bad_seconds_are_refused(key: str, value: Any) -> None:
    assert refusal(**{key: value}).field == f"{FIELD}.{key}"


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("pageSzie", "pageSize"), ("filterByCurrentData", "filterByCurrentDate"), ("updatedDateTimeZone", None)],
)
def test_an_unknown_key_is_refused_with_the_closest_known_key(typo: str, meant: str | None) -> None:
    error = refusal(**{typo: 1})
    assert error.field == f"{FIELD}.{typo}"
    assert "is not a known setting" in error.problem
    assert f"did you mean '{meant or 'updatedDateTimezone'}'" in error.problem


# ------------------------------------------------------------------------------ event.poller.urls


def test_a_full_legacy_line_becomes_the_json_block() -> None:
    line = f"candidates|{CANDIDATES_URL}||updatedOn|{ISO}|GMT|createdOn|{ISO}|Europe/Warsaw"
    assert parse_poller_urls(line) == {
        "candidates": {
            "url": CANDIDATES_URL,
            "datesConfiguration": {
                "updatedDateField": "updatedOn",
                "updatedDateFormat": ISO,
                "updatedDateTimezone": "GMT",
                "createdDateField": "createdOn",
                "createdDateFormat": ISO,
                "createdDateTimezone": "Europe/Warsaw",
            },
        }
    }


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_one_line_per_resource_with_trailing_fields_absent_or_empty(newline: str) -> None:
    text = f"candidates|{CANDIDATES_URL}||updatedOn{newline}jobs|{JOBS_URL}||updatedOn||||{newline}"
    assert parse_poller_urls(text) == {
        "candidates": {"url": CANDIDATES_URL, "datesConfiguration": {"updatedDateField": "updatedOn"}},
        "jobs": {"url": JOBS_URL, "datesConfiguration": {"updatedDateField": "updatedOn"}},
    }


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        (42, URLS, "must be a string"),
        ("", URLS, "has no lines"),
        (" \n \r\n", URLS, "has no lines"),
        (f"candidates|{CANDIDATES_URL}", f"{URLS}[1]", "has 2 field(s)"),
        (f"candidates|{CANDIDATES_URL}||updatedOn|||||||", f"{URLS}[1]", "has 11 field(s)"),
        (f"\ncandidates|{CANDIDATES_URL}|", f"{URLS}[2]", "has 3 field(s)"),
        ("widgets|/hubs/humancapital/widgets||updatedOn", f"{URLS}[1].resource", "not a resource"),
        (f"candidate|{CANDIDATES_URL}||updatedOn", f"{URLS}[1].resource", "did you mean 'candidates'"),
        (f"candidates|{CANDIDATES_URL}|//candidate[@id]|updatedOn", f"{URLS}[1].xPathFilter", "not supported"),
        (f"candidates|{CANDIDATES_URL}||", f"{URLS}[1].updatedDateField", "is required"),
        (f"candidates|{JOBS_URL}||updatedOn", f"{URLS}[1].url", "polls 'jobs'"),
        ("candidates||||updatedOn", f"{URLS}[1].url", "must not be empty"),
        (
            f"candidates|{CANDIDATES_URL}||updatedOn\r\njobs|{JOBS_URL}||updatedOn|yyyy-qq",
            f"{URLS}[2].updatedDateFormat",
            "not a usable date format",
        ),
        (f"users|/hubs/humancapital/users||updatedOn|{ISO}|Mars/Olympus", f"{URLS}[1].updatedDateTimezone", "zone"),
        (f"jobs|{JOBS_URL}||updatedOn|||createdOn|{ISO}|Nowhere", f"{URLS}[1].createdDateTimezone", "zone"),
        (
            f"jobs|{JOBS_URL}||updatedOn\njobs|{JOBS_URL}||updatedOn",
            f"{URLS}[2].resource",
            "already on line 1",
        ),
    ],
)
def test_a_bad_legacy_line_is_refused_naming_the_line_and_field(text: Any, field: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_poller_urls(text)
    assert caught.value.field == field
    assert fragment in caught.value.problem


def base(**extra: Any) -> dict[str, Any]:
    return {API_KEY: "sr-key", **extra}


def test_legacy_urls_are_stored_and_echoed_as_the_json_form() -> None:
    # Given the legacy form; When the configuration is validated; Then only the JSON form is kept
    normalized, _ = validate_configuration(base(**{POLLER_URLS: f"candidates|{CANDIDATES_URL}||updatedOn"}), POLICY)
    assert POLLER_URLS not in normalized
    assert normalized[POLLER_CONFIGURATION] == {
        "candidates": parsed(datesConfiguration={"updatedDateField": "updatedOn"}, url=CANDIDATES_URL)
    }


def test_legacy_urls_and_the_json_form_together_are_refused() -> None:
    both = base(
        **{POLLER_URLS: f"candidates|{CANDIDATES_URL}||updatedOn", POLLER_CONFIGURATION: {"candidates": block()}}
    )
    with pytest.raises(ValidationError) as caught:
        validate_configuration(both, POLICY)
    assert caught.value.field == URLS
    assert "give one" in caught.value.problem


def test_a_patch_with_legacy_urls_replaces_the_stored_json_form() -> None:
    # Given an instance polling candidates
    normalized, secrets = validate_configuration(base(), POLICY)
    current = InstanceSpec("n", (), normalized, secrets)

    # When a PATCH gives the legacy form for jobs
    patched = merge_patch(current, {"configuration": {POLLER_URLS: f"jobs|{JOBS_URL}||updatedOn"}}, POLICY)

    # Then the stored configuration polls jobs only, in the JSON form
    assert list(patched.configuration[POLLER_CONFIGURATION]) == ["jobs"]
    assert POLLER_URLS not in patched.configuration


def test_a_patch_with_both_forms_is_refused() -> None:
    normalized, secrets = validate_configuration(base(), POLICY)
    current = InstanceSpec("n", (), normalized, secrets)
    patch = {
        "configuration": {POLLER_URLS: f"jobs|{JOBS_URL}||updatedOn", POLLER_CONFIGURATION: {"candidates": block()}}
    }
    with pytest.raises(ValidationError) as caught:
        merge_patch(current, patch, POLICY)
    assert caught.value.field == URLS


# ---------------------------------------------------------------------------------- event.vendor.type


def test_vendor_type_may_be_omitted_when_events_are_enabled_and_is_echoed_as_polling() -> None:
    enabled = base(**{"event.notification.enabled": True, "event.notification.callback.url": CALLBACK})
    normalized, _ = validate_configuration(enabled, POLICY)
    assert normalized[VENDOR_TYPE] == "polling"


@pytest.mark.parametrize("value", ["webhooks", "", 1])
def test_a_vendor_type_other_than_polling_or_webhook_is_refused(value: Any) -> None:
    enabled = base(
        **{"event.notification.enabled": True, "event.notification.callback.url": CALLBACK, VENDOR_TYPE: value}
    )
    with pytest.raises(ValidationError) as caught:
        validate_configuration(enabled, POLICY)
    assert caught.value.field == f"configuration.{VENDOR_TYPE}"


# ------------------------------------------------------------------------- the filters in detect_changes

START = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
WATERMARK = START - timedelta(minutes=15)


def record(record_id: str, updated: datetime) -> dict[str, Any]:
    stamp = updated.strftime("%Y-%m-%dT%H:%M:%S.") + f"{updated.microsecond // 1000:03d}Z"
    return {"id": record_id, "updatedOn": stamp, "createdOn": "2020-01-01T00:00:00.000Z"}


RECORDS = [
    record("old", WATERMARK - timedelta(minutes=5)),  # before the lookback bound
    record("now", START - timedelta(minutes=1)),
    record("late", START + timedelta(seconds=5)),  # after the poll's start
]


def ids(**keys: Any) -> list[str]:
    config = config_of(**keys)
    changes = detect_changes(copy.deepcopy(RECORDS), config, watermark=WATERMARK, poll_start=START, remembered=set())
    return [e.object_id for e in changes.events]


def test_by_default_only_records_between_the_bounds_are_events() -> None:
    assert ids() == ["now"]


def test_filter_by_current_date_false_keeps_records_updated_after_the_polls_start() -> None:
    assert ids(filterByCurrentDate=False) == ["now", "late"]


def test_filter_by_updated_date_false_keeps_records_at_or_before_the_lower_bound() -> None:
    assert ids(filterByUpdatedDate=False) == ["old", "now"]


def test_an_explicit_filter_lower_overrides_the_resource_setting() -> None:
    config = replace(config_of(), filter_by_updated_date=False)
    changes = detect_changes(
        copy.deepcopy(RECORDS), config, watermark=WATERMARK, poll_start=START, remembered=set(), filter_lower=True
    )
    assert [e.object_id for e in changes.events] == ["now"]


@pytest.mark.parametrize("text", ["5", '"text"', "null", "true"])
def test_a_poller_configuration_string_holding_no_object_is_a_400(text: str) -> None:
    # JSON-encoded configuration (the platform's other form) that parses to a number, a string or null
    with pytest.raises(ValidationError) as caught:
        validate_configuration(
            {
                API_KEY: "k",
                "event.notification.enabled": True,
                POLLER_CONFIGURATION: text,
                "event.notification.callback.url": CALLBACK,
                "event.poller.refresh_interval": 15,
            },
            POLICY,
        )
    assert caught.value.field.startswith(f"configuration.{POLLER_CONFIGURATION}")
