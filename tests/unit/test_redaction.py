"""The one redaction every stored or logged upstream error goes through (srevents.domain.redaction)."""

from __future__ import annotations

import pytest
import requests

from srevents.adapters.smartrecruiters import SmartRecruitersAuthError, SmartRecruitersClient
from srevents.domain.redaction import MIN_ECHO, redact, redact_and_cut

KEY = "APIKEY-9f3b2c7d1e6a8b4c0d5e2f7a9b1c3d5e"


@pytest.mark.parametrize(
    "text",
    [
        f"Invalid token: {KEY}",
        f"Invalid token: {KEY[:20]}",  # a prefix
        f"unexpected {KEY[5 : 5 + MIN_ECHO]} in header",  # any piece of MIN_ECHO characters
        f"InvalidHeader: {' ' + KEY + chr(10)!r}",  # Python's repr of the key
        f'{{"token": "{KEY}\\r\\n"}}',  # JSON-escaped
    ],
)
def test_every_piece_of_a_secret_is_redacted(text: str) -> None:
    redacted = redact(text, [KEY])
    assert "***" in redacted
    assert not any(KEY[i : i + MIN_ECHO] in redacted for i in range(len(KEY) - MIN_ECHO + 1))


def test_text_without_a_long_enough_piece_is_kept() -> None:
    text = f"SmartRecruiters GET /candidates returned 500: {KEY[: MIN_ECHO - 1]} oops"
    assert redact(text, [KEY, None, ""]) == text


def test_a_short_secret_is_redacted_whole() -> None:
    assert redact("token abc12 refused", ["abc12"]) == "token *** refused"


def test_redaction_comes_before_the_cut() -> None:
    # Given a long message whose cut would fall inside the key
    text = "x" * 480 + " " + KEY
    # Then no piece of the key is left behind the cut
    cut = redact_and_cut(text, [KEY], limit=500)
    assert len(cut) <= 500 and KEY[:MIN_ECHO] not in cut


def test_a_key_that_is_no_header_value_fails_as_an_auth_error_without_the_key() -> None:
    # Given a key stored before keys were checked, with a leading space and a CR/LF
    client = SmartRecruitersClient(" " + KEY + "\r\n", "http://127.0.0.1:9", max_attempts=1)
    # When a page is asked for
    with pytest.raises(SmartRecruitersAuthError) as raised:
        client.get_page("/candidates", {})
    # Then the error says why, without the key
    assert "not a valid HTTP header value" in str(raised.value)
    assert KEY[:MIN_ECHO] not in str(raised.value)


def test_requests_quotes_such_a_key_in_its_error() -> None:
    """Why the client turns InvalidHeader into its own error: requests' message holds the header value."""
    with pytest.raises(requests.exceptions.InvalidHeader) as raised:
        requests.Request("GET", "http://127.0.0.1:9", headers={"X-SmartToken": " " + KEY}).prepare()
    assert KEY in str(raised.value)
