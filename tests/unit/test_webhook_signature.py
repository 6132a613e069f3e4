"""SmartRecruiters' webhook signatures (docs/DESIGN.md, "Real time"): the vendor's vector, several signatures and
keys, stale timestamps and malformed headers."""

from __future__ import annotations

import pytest

from srevents.domain.webhook_signature import SecretKey, lower_headers, sign, signed_content, verify

SECRET = "HeBVky2bccvvkcXPimH8c"
BODY = b'{"job_id":"jid","candidate_id":"cid"}'
TIMESTAMP = 1574080897
NOW_MS = TIMESTAMP * 1000
VECTOR = "v1=2e9291f10d44ca10204a4cd81b05d73b6a316b2b605d4e2e0e0b37b40198ce1f"


def headers(**changes: str) -> dict[str, str]:
    base = {
        "smartrecruiters-timestamp": str(TIMESTAMP),
        "event-id": "123",
        "event-name": "application.created",
        "event-version": "v201910",
        "link": "<http://smartrecruiters.com/endpoint>; rel=self",
        "smartrecruiters-signature": VECTOR,
    }
    base.update({k.replace("_", "-"): v for k, v in changes.items()})
    return base


def test_the_vendor_vector_signs_and_verifies() -> None:
    # Given the documented callback
    given = headers()

    # Then our signature is the documented one, over the documented content
    assert signed_content(given, BODY) == (
        b'1574080897.{"job_id":"jid","candidate_id":"cid"}.123.application.created.v201910.'
        b"<http://smartrecruiters.com/endpoint>; rel=self"
    )
    assert sign(SECRET, given, BODY) == VECTOR
    assert verify(given, BODY, [SecretKey(SECRET)], NOW_MS).ok


def test_header_names_are_case_insensitive() -> None:
    shouting = {name.upper(): value for name, value in headers().items()}

    assert verify(lower_headers(shouting), BODY, [SecretKey(SECRET)], NOW_MS).ok


def test_any_v1_value_against_any_live_key() -> None:
    # Given two live keys and a header with a foreign scheme, a wrong value and the right one
    keys = [SecretKey("an-older-key", expires_ms=NOW_MS + 1000), SecretKey(SECRET)]
    header = f"v0=abc; v1={'0' * 64};{VECTOR}"

    # Then the callback is accepted
    assert verify(headers(smartrecruiters_signature=header), BODY, keys, NOW_MS).ok


def test_a_signature_made_with_an_older_key_that_is_still_live_is_accepted() -> None:
    older = SecretKey("rotated-away", expires_ms=NOW_MS + 60_000)
    signed = headers()
    signed["smartrecruiters-signature"] = sign(older.value, signed, BODY)

    assert verify(signed, BODY, [older, SecretKey("the-newest")], NOW_MS).ok


def test_an_expired_key_no_longer_verifies() -> None:
    expired = SecretKey(SECRET, expires_ms=NOW_MS - 1)

    verdict = verify(headers(), BODY, [expired], NOW_MS)

    assert not verdict.ok and "no live secret key" in verdict.reason


@pytest.mark.parametrize(
    "change",
    [
        {"body": b'{"job_id":"jid","candidate_id":"other"}'},
        {"event_id": "124"},
        {"event_name": "candidate.deleted"},
        {"event_version": "v201911"},
        {"link": ""},
    ],
)
def test_any_signed_part_changed_is_refused(change: dict) -> None:
    body = change.pop("body", BODY)

    verdict = verify(headers(**change), body, [SecretKey(SECRET)], NOW_MS)

    assert not verdict.ok and verdict.reason == "signature does not match"


def test_a_wrong_key_is_refused() -> None:
    assert not verify(headers(), BODY, [SecretKey("not-the-secret")], NOW_MS).ok


@pytest.mark.parametrize("skew_seconds", [-301, 301, 86_400])
def test_stale_timestamps_are_refused(skew_seconds: int) -> None:
    verdict = verify(headers(), BODY, [SecretKey(SECRET)], NOW_MS + skew_seconds * 1000)

    assert not verdict.ok and "stale" in verdict.reason


@pytest.mark.parametrize("skew_seconds", [-300, 0, 300])
def test_timestamps_within_five_minutes_are_fresh(skew_seconds: int) -> None:
    assert verify(headers(), BODY, [SecretKey(SECRET)], NOW_MS + skew_seconds * 1000).ok


@pytest.mark.parametrize("timestamp", ["", "abc", "1574080897.5", "-1574080897", "١٥٧٤٠٨٠٨٩٧", "9" * 40])
def test_malformed_timestamps_are_refused(timestamp: str) -> None:
    verdict = verify(headers(smartrecruiters_timestamp=timestamp), BODY, [SecretKey(SECRET)], NOW_MS)

    assert not verdict.ok and "timestamp" in verdict.reason


@pytest.mark.parametrize(
    "signature",
    ["", " ", "v1", "v1=", "=abc", VECTOR + ";", VECTOR[:-1], VECTOR + "0", "v1=" + "g" * 64, ";".join([VECTOR] * 40)],
)
def test_malformed_signature_headers_are_refused(signature: str) -> None:
    verdict = verify(headers(smartrecruiters_signature=signature), BODY, [SecretKey(SECRET)], NOW_MS)

    assert not verdict.ok and "signature" in verdict.reason


def test_a_header_without_any_v1_value_is_refused() -> None:
    verdict = verify(headers(smartrecruiters_signature="v2=" + "0" * 64), BODY, [SecretKey(SECRET)], NOW_MS)

    assert not verdict.ok and verdict.reason == "no v1 signature"


def test_missing_headers_sign_as_empty_strings() -> None:
    # Given a callback without event-version and link (a candidate.deleted carries no link)
    sparse = {"smartrecruiters-timestamp": str(TIMESTAMP), "event-id": "9", "event-name": "candidate.deleted"}
    sparse["smartrecruiters-signature"] = sign(SECRET, sparse, b'{"id":"c1"}')

    # Then it verifies, and its content ends with two empty fields
    assert signed_content(sparse, b'{"id":"c1"}').endswith(b".9.candidate.deleted..")
    assert verify(sparse, b'{"id":"c1"}', [SecretKey(SECRET)], NOW_MS).ok
