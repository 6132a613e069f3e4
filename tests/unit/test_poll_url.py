"""poll_url: the hub URL template of docs/DESIGN.md §3, mapped onto SmartRecruiters query parameters."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from srevents.domain.poll_url import (
    HUB,
    HUB_RESOURCES,
    QUERY_PARAMETERS,
    RESERVED_PARAMETERS,
    PollUrlError,
    PollUrlTemplate,
    parse_poll_url,
    render_value,
)

SEED_URL = "/hubs/humancapital/candidates?where=updatedAfter='${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}'"
SINCE = datetime(2026, 11, 29, 9, 59, tzinfo=UTC)
SINCE_SECONDS = calendar.timegm((2026, 11, 29, 9, 59, 0, 0, 0, 0))
VENDOR_DOC = Path(__file__).resolve().parents[1] / "vendor" / "smartrecruiters-openapi.yaml"
CANDIDATES = "/hubs/humancapital/candidates"


def render(url: str, since: datetime = SINCE) -> dict[str, str]:
    return parse_poll_url(url).render(since)


# ---------------------------------------------------------------------------------------------- the seed


def test_the_seed_url_renders_updated_after_in_gmt() -> None:
    assert render(SEED_URL) == {"updatedAfter": "2026-11-29T09:59:00.000Z"}


def test_the_seed_url_parses_into_a_template() -> None:
    template = parse_poll_url(SEED_URL)
    assert template == PollUrlTemplate(
        resource="candidates",
        path="/candidates",
        params=(("updatedAfter", "${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}"),),
    )


def test_render_takes_any_aware_datetime() -> None:
    same_instant = SINCE.astimezone(timezone(timedelta(hours=2)))
    assert render(SEED_URL, same_instant) == {"updatedAfter": "2026-11-29T09:59:00.000Z"}
    with_millis = SINCE + timedelta(milliseconds=123, microseconds=456)
    assert render(SEED_URL, with_millis) == {"updatedAfter": "2026-11-29T09:59:00.123Z"}


def test_each_hub_resource_maps_to_its_smartrecruiters_path() -> None:
    for resource, path in HUB_RESOURCES.items():
        template = parse_poll_url(f"/hubs/{HUB}/{resource}?where=updatedAfter='${{gmtDate:yyyy-MM-dd}}'")
        assert (template.resource, template.path) == (resource, path)


# ------------------------------------------------------------------------------------------- placeholders


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${epoch}", str(SINCE_SECONDS * 1000)),
        ("${epoch:ms}", str(SINCE_SECONDS * 1000)),
        ("${epoch:s}", str(SINCE_SECONDS)),
        ("${epoch:us}", str(SINCE_SECONDS * 1_000_000)),
        ("${gmtDate:yyyy-MM-dd'T'HH:mm:ssXXX}", "2026-11-29T09:59:00Z"),
        ("${gmtDate:EEE, dd MMM yyyy HH:mm:ss z}", "Sun, 29 Nov 2026 09:59:00 GMT"),
        ("${date:EEE, dd MMM yyyy HH:mm:ss z}", "Sun, 29 Nov 2026 09:59:00 UTC"),  # the deployment zone
        ("${date:yyyyMMddHHmmss}", "20261129095900"),
        ("from ${epoch:s} to ${gmtDate:yyyy}!", f"from {SINCE_SECONDS} to 2026!"),
        ("no placeholders, $5 and {braces}", "no placeholders, $5 and {braces}"),
    ],
)
def test_render_value(template: str, expected: str) -> None:
    assert render_value(template, SINCE) == expected


def test_epoch_units_keep_sub_second_precision() -> None:
    since = SINCE + timedelta(milliseconds=123, microseconds=456)
    assert render_value("${epoch}", since) == f"{SINCE_SECONDS}123"
    assert render_value("${epoch:s}", since) == f"{SINCE_SECONDS}"
    assert render_value("${epoch:us}", since) == f"{SINCE_SECONDS}123456"


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("${now}", "unknown placeholder ${now}"),
        ("${GMTDATE:yyyy}", "unknown placeholder"),
        ("${epoch:ns}", "unknown unit"),
        ("${epoch:}", "unknown unit"),
        ("${gmtDate:}", "without a date format"),
        ("${date:}", "without a date format"),
        ("${gmtDate:yyyy-qq}", "'q' at position 5"),
        ("${date:yyyy'T}", "unterminated quote"),
        ("${gmtDate:yyyy", "unclosed placeholder"),
        ("${gmtDate:${epoch}}", "placeholder inside a placeholder"),
    ],
)
def test_render_value_refuses_bad_placeholders(template: str, fragment: str) -> None:
    with pytest.raises(PollUrlError) as caught:
        render_value(template, SINCE)
    assert fragment in str(caught.value)


def test_bare_date_placeholders_are_iso_8601_with_milliseconds() -> None:
    # Given a poll from 10:00:00.123456 GMT; When the platform's bare placeholders render; Then ISO 8601 ms
    since = datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert render_value("${gmtDate}", since) == "2026-11-01T10:00:00.123Z"
    assert render_value("${date}", since) == "2026-11-01T10:00:00.123Z"
    url = f"{CANDIDATES}?where=updatedAfter='${{gmtDate}}'"
    assert parse_poll_url(url).render(datetime(2026, 11, 1, 10, tzinfo=UTC)) == {
        "updatedAfter": "2026-11-01T10:00:00.000Z"
    }


def test_render_value_refuses_a_naive_since() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_value("${epoch}", datetime(2026, 11, 29, 9, 59))


# ------------------------------------------------------------------------------------------ valid shapes


def test_multiple_where_terms_become_parameters_in_order() -> None:
    url = f"{CANDIDATES}?where=updatedAfter='${{gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}}' and status='NEW'"
    assert list(render(url).items()) == [("updatedAfter", "2026-11-29T09:59:00.000Z"), ("status", "NEW")]


def test_and_is_case_insensitive_and_blanks_are_free() -> None:
    url = f"{CANDIDATES}?where=  updatedAfter = '2026-01-01T00:00:00.000Z'   AND status='NEW'  And q='x' "
    assert render(url) == {"updatedAfter": "2026-01-01T00:00:00.000Z", "status": "NEW", "q": "x"}


def test_quoted_values_escape_quotes_by_doubling_and_keep_everything_else() -> None:
    url = f"{CANDIDATES}?where=q='O''Brien and sons = 1' and tag='a%26b'"  # a raw & would end where=
    assert render(url) == {"q": "O'Brien and sons = 1", "tag": "a&b"}


def test_unquoted_values_are_one_word() -> None:
    url = f"{CANDIDATES}?where=status=NEW and updatedAfter=${{gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSSXXX}}"
    assert render(url) == {"status": "NEW", "updatedAfter": "2026-11-29T09:59:00.000Z"}


def test_plain_query_parameters_pass_through() -> None:
    url = SEED_URL + "&status=NEW&q=${epoch:s}"
    assert render(url) == {
        "updatedAfter": "2026-11-29T09:59:00.000Z",
        "status": "NEW",
        "q": str(SINCE_SECONDS),
    }


def test_plain_parameters_alone_are_enough() -> None:
    assert render("/hubs/humancapital/jobs?updatedAfter=${gmtDate:yyyy-MM-dd}&status=SOURCING") == {
        "updatedAfter": "2026-11-29",
        "status": "SOURCING",
    }


def test_jobs_and_users_accept_their_own_filters() -> None:
    jobs = render("/hubs/humancapital/jobs?where=lastActivityAfter='${gmtDate:yyyy-MM-dd'T'HH:mm:ssXXX}'")
    assert jobs == {"lastActivityAfter": "2026-11-29T09:59:00Z"}
    users = render("/hubs/humancapital/users?where=updatedAfter='${date:yyyy-MM-dd'T'HH:mm:ss.SSSXXX}'")
    assert users == {"updatedAfter": "2026-11-29T09:59:00.000Z"}


def test_a_url_encoded_where_clause_is_decoded() -> None:
    where = "updatedAfter='${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}' and q='R&D'"
    url = f"{CANDIDATES}?where={quote(where, safe='')}"
    assert render(url) == {"updatedAfter": "2026-11-29T09:59:00.000Z", "q": "R&D"}
    assert render(f"{CANDIDATES}?where=q%3D%27a%20b%27&tag=x%2By") == {"q": "a b", "tag": "x+y"}


def test_plus_is_a_plus_sign() -> None:
    assert render(f"{CANDIDATES}?q=c++") == {"q": "c++"}


def test_an_ampersand_inside_a_placeholder_does_not_split_the_query() -> None:
    assert render(f"{CANDIDATES}?where=q='${{gmtDate:yyyy'&'MM}}'&tag=x") == {"q": "2026&11", "tag": "x"}


@pytest.mark.parametrize(
    "url",
    [
        "hubs/humancapital/candidates",
        "/hubs/humancapital/candidates/",
        "  /hubs/humancapital/candidates  ",
        "/hubs/humancapital/candidates?",
        "/hubs/humancapital/candidates?&&",
        "/hubs/humancapital/%63andidates",
    ],
)
def test_tolerated_path_variants(url: str) -> None:
    template = parse_poll_url(url)
    assert (template.resource, template.path, template.params) == ("candidates", "/candidates", ())


# ---------------------------------------------------------------------------------------------- invalid


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "is empty"),
        ("https://api.smartrecruiters.com/candidates?updatedAfter=x", "not a full URL"),
        ("//api.smartrecruiters.com/candidates", "not a full URL"),
        ("/candidates", "must be a hub path /hubs/humancapital/<resource>"),
        ("/hubs/crm/contacts", "names hub 'crm'"),
        ("/hubs/humancapital", "names no resource"),
        (
            "/hubs/humancapital/widgets",
            "maps to no SmartRecruiters call: /hubs/humancapital/widgets (known: candidates, jobs, users)",
        ),
        ("/hubs/humancapital/candidates/123", "maps to no SmartRecruiters call"),
        ("/hubs/humancapital/${epoch}", "placeholder in its path"),
        ("/hubs/humancapital/candidates#top", "fragment"),
        ("/hubs/humancapital/candidates?where=updatedAfter\n='x'", "control character"),
        ("/hubs/humancapital/candidates?where=q%0A='x'", "control character"),
        ("/hubs/humancapital/candidates?q=%ff", "not UTF-8"),
        ("/hubs/humancapital/candidates?where=updatedAfter>'2026-01-01'", "operator '>' on updatedAfter"),
        ("/hubs/humancapital/candidates?where=updatedAfter >= '2026-01-01'", "operator '>='"),
        ("/hubs/humancapital/candidates?where=status!='NEW'", "operator '!='"),
        ("/hubs/humancapital/candidates?where=q like '%smith%'", "operator 'like'"),
        ("/hubs/humancapital/candidates?where=status in ('NEW')", "operator 'in'"),
        ("/hubs/humancapital/candidates?where=status=='NEW'", "operator '=='"),
        ("/hubs/humancapital/candidates?where=status='NEW' or status='LEAD'", "'or'"),
        ("/hubs/humancapital/candidates?where=not status='NEW'", "'not'"),
        ("/hubs/humancapital/candidates?where=(status='NEW')", "parentheses"),
        ("/hubs/humancapital/candidates?where=status='NEW' and", "ends with 'and'"),
        ("/hubs/humancapital/candidates?where=status='NEW' tag='x'", "'and' or the end was expected"),
        ("/hubs/humancapital/candidates?where=status", "status without ='value'"),
        ("/hubs/humancapital/candidates?where=status=", "no value after status="),
        ("/hubs/humancapital/candidates?where=status=''", "empty value"),
        ("/hubs/humancapital/candidates?where=status='NEW", "unterminated quoted value"),
        ('/hubs/humancapital/candidates?where=status="NEW"', "double quotes"),
        ("/hubs/humancapital/candidates?where=", "empty where clause"),
        ("/hubs/humancapital/candidates?where=status='A'&where=tag='b'", "more than one where="),
        ("/hubs/humancapital/candidates?where=status='A' and status='B'", "sets status more than once"),
        ("/hubs/humancapital/candidates?status=A&where=status='B'", "sets status more than once"),
        ("/hubs/humancapital/candidates?status", "without a value"),
        ("/hubs/humancapital/candidates?=x", "without a name"),
        ("/hubs/humancapital/candidates?status='NEW'", "quoted"),
        ("/hubs/humancapital/candidates?status=", "gives status an empty value"),
        ("/hubs/humancapital/candidates?limit=100", "limit, which the poller sets itself"),
        ("/hubs/humancapital/candidates?where=pageId='abc'", "pageId, which the poller sets itself"),
        ("/hubs/humancapital/users?offset=10", "offset, which the poller sets itself"),
        ("/hubs/humancapital/candidates?where=createdAfter='x'", "'createdAfter'"),
        ("/hubs/humancapital/candidates?where=updatedafter='x'", "did you mean updatedAfter?"),
        (
            "/hubs/humancapital/users?status=ACTIVE",
            "GET /users does not accept (it accepts: q, updatedAfter)",
        ),
        ("/hubs/humancapital/jobs?where=lastActivityAfter='${gmtDate:yyyy-qq}'", "'q' at position 5"),
        ("/hubs/humancapital/candidates?where=updatedAfter='${now}'", "unknown placeholder ${now}"),
        ("/hubs/humancapital/candidates?where=updatedAfter='${gmtDate:yyyy-MM-dd'", "unclosed placeholder"),
        ("/hubs/humancapital/candidates?where=updatedAfter='${epoch}'", "not the ISO 8601 date-time"),
        ("/hubs/humancapital/candidates?where=updatedAfter='${gmtDate:dd/MM/yyyy}'", "not the ISO 8601"),
        ("/hubs/humancapital/candidates?updatedAfter=yesterday", "not the ISO 8601"),
    ],
)
def test_invalid_urls_are_refused_with_a_helpful_message(url: str, fragment: str) -> None:
    with pytest.raises(PollUrlError) as caught:
        parse_poll_url(url)
    message = str(caught.value)
    assert fragment in message
    assert message[0].islower(), "the caller prefixes the field's path: the message must read on from it"
    assert not message.startswith("url")


def test_a_non_string_url_is_refused() -> None:
    with pytest.raises(PollUrlError, match="must be a string"):
        parse_poll_url(42)  # type: ignore[arg-type]


def test_poll_url_error_is_a_value_error() -> None:
    assert issubclass(PollUrlError, ValueError)


# ------------------------------------------------------------------------------- the vendor's parameters


def _declared_query_parameters(document: dict, path: str) -> list[str]:
    """The `in: query` parameter names of GET `path`, resolving `$ref`s, in document order."""

    def resolve(parameter: dict) -> dict:
        while "$ref" in parameter:
            node = document
            for part in parameter["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            parameter = node
        return parameter

    item = document["paths"][path]
    parameters = [resolve(p) for p in [*item.get("parameters", []), *item["get"].get("parameters", [])]]
    return [p["name"] for p in parameters if p.get("in") == "query"]


@pytest.fixture(scope="module")
def vendor_document() -> dict:
    if not VENDOR_DOC.is_file():
        pytest.fail(f"vendor OpenAPI document not found at {VENDOR_DOC}")
    with VENDOR_DOC.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("resource", list(HUB_RESOURCES))
def test_allowed_parameters_are_the_vendors_minus_paging(vendor_document: dict, resource: str) -> None:
    declared = _declared_query_parameters(vendor_document, HUB_RESOURCES[resource])
    assert "updatedAfter" in declared  # docs/DESIGN.md §3: we only poll resources that can filter on it
    assert list(QUERY_PARAMETERS[resource]) == [name for name in declared if name not in RESERVED_PARAMETERS]


def test_the_vendor_declares_the_paging_parameters_we_reserve(vendor_document: dict) -> None:
    paths = HUB_RESOURCES.values()
    declared = {name for path in paths for name in _declared_query_parameters(vendor_document, path)}
    assert set(RESERVED_PARAMETERS) <= declared
