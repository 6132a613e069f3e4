"""Signatures (docs/DESIGN.md §6): the vendor's test vector, and Standard Webhooks checked by the real library."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from srevents.domain.signing import (
    elements_signature,
    receiver_secret_for_standard_webhooks,
    signature_headers,
    standard_webhooks_key_bytes,
    standard_webhooks_signature,
)

VENDOR_KEY = "MySecretEventSignatureKey"
VENDOR_BODY = b"<INSERT_EVENT_NOTIFICATION_RESPONSE_BODY>"
VENDOR_SIGNATURE = "sha256=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ="

WHSEC_KEY = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
BODY = b'{"id":"n-1","topic":"instance-42-smartrecruiters-events","message":{"caf\xc3\xa9":true}}'


def verify_with_library(key: str, headers: dict[str, str], body: bytes) -> None:
    """What a receiver does: the secret it configures, the headers and the raw body."""
    Webhook(receiver_secret_for_standard_webhooks(key)).verify(body, headers, json_parse=False)


def test_vendor_test_vector() -> None:
    assert elements_signature(VENDOR_KEY, VENDOR_BODY) == VENDOR_SIGNATURE


def test_vendor_signature_is_padded_standard_base64_of_32_bytes() -> None:
    value = elements_signature("k", b"")
    assert value.startswith("sha256=")
    assert len(base64.b64decode(value.removeprefix("sha256="), validate=True)) == 32


def test_signature_covers_every_byte() -> None:
    # Given two bodies that differ only in whitespace
    # Then their signatures differ: the bytes signed are exactly the bytes sent
    assert elements_signature(VENDOR_KEY, b'{"a":1}') != elements_signature(VENDOR_KEY, b'{"a": 1}')


def test_plain_key_bytes_are_its_utf8() -> None:
    assert standard_webhooks_key_bytes("clé") == "clé".encode()


def test_whsec_key_bytes_are_base64_decoded_with_or_without_padding() -> None:
    assert standard_webhooks_key_bytes("whsec_aGVsbG8=") == b"hello"
    assert standard_webhooks_key_bytes("whsec_aGVsbG8") == b"hello"


@pytest.mark.parametrize("key", ["whsec_not*base64!", "whsec_", "whsec_===="])
def test_malformed_whsec_key_is_refused_without_echoing_it(key: str) -> None:
    with pytest.raises(ValueError) as raised:
        standard_webhooks_key_bytes(key)
    assert "not*base64" not in str(raised.value)


def test_standard_webhooks_signature_matches_the_spec_formula() -> None:
    expected = hmac.new(b"secret", b"msg_1.1700000000." + BODY, hashlib.sha256).digest()
    assert (
        standard_webhooks_signature("secret", "msg_1", 1700000000, BODY) == "v1," + base64.b64encode(expected).decode()
    )


def test_without_a_key_only_the_id_is_sent() -> None:
    assert signature_headers(None, "n-1", 1700000000, BODY) == {"Elements-Webhook-Id": "n-1"}
    assert signature_headers("", "n-1", 1700000000, BODY) == {"Elements-Webhook-Id": "n-1"}


def test_with_a_key_both_schemes_are_sent() -> None:
    headers = signature_headers(VENDOR_KEY, "n-1", 1700000000, VENDOR_BODY)
    assert headers == {
        "Elements-Webhook-Id": "n-1",
        "Elements-Webhook-Signature": VENDOR_SIGNATURE,
        "webhook-id": "n-1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": standard_webhooks_signature(VENDOR_KEY, "n-1", 1700000000, VENDOR_BODY),
    }


def test_receiver_secret_for_plain_key_is_whsec_base64_of_the_key() -> None:
    assert receiver_secret_for_standard_webhooks("abc") == "whsec_YWJj"


def test_receiver_secret_for_whsec_key_is_the_key_itself() -> None:
    assert receiver_secret_for_standard_webhooks(WHSEC_KEY) == WHSEC_KEY


@pytest.mark.parametrize("key", [VENDOR_KEY, WHSEC_KEY], ids=["plain key", "whsec key"])
def test_standard_webhooks_library_accepts_our_headers(key: str) -> None:
    # Given headers signed now (the library rejects timestamps more than 5 minutes off)
    headers = signature_headers(key, "n-42", int(time.time()), BODY)
    # Then a receiver using the standardwebhooks library verifies them
    verify_with_library(key, headers, BODY)


@pytest.mark.parametrize("key", [VENDOR_KEY, WHSEC_KEY], ids=["plain key", "whsec key"])
def test_standard_webhooks_library_rejects_a_tampered_body(key: str) -> None:
    headers = signature_headers(key, "n-42", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        verify_with_library(key, headers, BODY.replace(b"true", b"false"))


@pytest.mark.parametrize("key", [VENDOR_KEY, WHSEC_KEY], ids=["plain key", "whsec key"])
def test_standard_webhooks_library_rejects_another_id_or_key(key: str) -> None:
    headers = signature_headers(key, "n-42", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        verify_with_library(key, {**headers, "webhook-id": "n-43"}, BODY)
    with pytest.raises(WebhookVerificationError):
        verify_with_library("another key", headers, BODY)


@given(
    key=st.text(min_size=1).filter(lambda key: not key.startswith("whsec_")),
    message=st.text(),
    notification_id=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=40),
)
def test_library_verifies_any_plain_key_and_utf8_body(key: str, message: str, notification_id: str) -> None:
    body = message.encode("utf-8")
    headers = signature_headers(key, notification_id, int(time.time()), body)
    verify_with_library(key, headers, body)


@given(secret=st.binary(min_size=1, max_size=64), text=st.text())
def test_whsec_signature_equals_the_library_signature(secret: bytes, text: str) -> None:
    key = "whsec_" + base64.b64encode(secret).decode()
    sent_at = datetime.fromtimestamp(1700000000, tz=UTC)
    ours = standard_webhooks_signature(key, "n-1", 1700000000, text.encode("utf-8"))
    assert ours == Webhook(key).sign("n-1", sent_at, text)
