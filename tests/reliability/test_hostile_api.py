"""A careless or hostile client: request bodies the API must refuse with a 400 naming the field, storing
nothing, never answering 5xx and never echoing a secret. (A hostile SmartRecruiters: test_hostile_upstream.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from srevents.domain.redaction import MIN_ECHO
from tests.reliability.api_env import ApiEnv, api_env
from tests.reliability.cases import case_key
from tests.support.fixtures import seed_body


@pytest.fixture(scope="module")
def env() -> Iterator[ApiEnv]:
    with api_env() as environment:
        yield environment


# --- 1. API keys that cannot be sent ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_key",
    [" APIKEY-leading-space-7a1c", "APIKEY-trailing-newline-7a1c\n", "APIKEY-with\r\nX-Injected: 1", "APIKEY-ключ"],
)
def test_an_api_key_that_is_no_valid_header_is_refused_without_echo(
    env: ApiEnv, bad_key: str, report: Callable[..., None]
) -> None:
    # Given a body whose API key has whitespace around it, a CR/LF inside, or non-ASCII text
    body = seed_body(name="bad-key")
    body["configuration"]["api.key"] = bad_key
    target = env.instances.get("good-key") or env.create("good-key")
    before = env.probe.snapshot()

    # When it is posted, or patched onto an existing instance
    created = env.call("POST", "/instances", auth=env.org, json_body=body, also_secret=(bad_key.strip(),))
    patched = env.call(
        "PATCH",
        f"/instances/{target}",
        auth=env.org,
        json_body={"configuration": {"api.key": bad_key}},
        also_secret=(bad_key.strip(),),
    )

    # Then both are refused naming the field, without the key, and nothing changed
    for reply in (created, patched):
        assert reply.status == 400, reply.text
        assert "configuration.api.key" in reply.body["message"]
        assert bad_key.strip()[:MIN_ECHO] not in reply.text
    assert env.probe.snapshot() == before
    report(
        section="hostile",
        key=case_key("hostile", "api-key-not-a-header"),
        case="An API key that is no valid header value",
        fault="a leading space, a trailing LF, an embedded CR/LF, non-ASCII text",
        outcome="400 naming `configuration.api.key`, the key not echoed, nothing stored (POST and PATCH)",
    )


# --- 2. secrets as large as documented ------------------------------------------------------------------


@pytest.mark.parametrize(
    "secrets",
    [
        {"api.key": "k" * 4096, "event.notification.signature.key": "s" * 4096},
        {"api.key": "sr-key-0042", "event.notification.signature.key": "ключ-" * 819},  # 4,095 non-ASCII-rich
        {"api.key": "sr-key-0042", "event.notification.signature.key": "\U0001f511" * 4096},
    ],
    ids=["4096-ascii", "cyrillic", "astral"],
)
def test_secrets_up_to_the_documented_size_are_stored(
    env: ApiEnv, secrets: dict[str, str], report: Callable[..., None]
) -> None:
    # Given a body with secrets of the largest documented size (4,096 characters), in any script
    body = seed_body(name="large-secrets")
    body["configuration"].update(secrets)

    # When it is posted, then patched with the same secrets again
    created = env.call("POST", "/instances", auth=env.org, json_body=body, also_secret=tuple(secrets.values()))
    assert created.status == 200, created.text[:300]
    patched = env.call(
        "PATCH",
        f"/instances/{created.body['id']}",
        auth=env.org,
        json_body={"configuration": secrets},
        also_secret=tuple(secrets.values()),
    )

    # Then both succeed, the secrets masked
    assert patched.status == 200, patched.text[:300]
    assert all(patched.body["configuration"][name] == "********" for name in secrets)
    env.call("DELETE", f"/instances/{created.body['id']}", auth=env.org)
    report(
        section="hostile",
        key=case_key("hostile", "large-secrets"),
        case="Secrets of the documented size, in any script",
        fault="4,096-character keys: ASCII, Cyrillic, astral (16 KiB of UTF-8)",
        outcome="200 (envelope encryption; KMS Encrypt's 4,096-byte limit no longer applies), secrets masked",
    )


# --- 6. a poller configuration string nothing can hold ----------------------------------------------------

DEEP = "[" * 990 + "]" * 990
SURROGATE_FORMAT = (
    '{"candidates": {"url": "/hubs/humancapital/candidates?where=updatedAfter=\'${gmtDate:yyyy-MM-dd}\'",'
    ' "datesConfiguration": {"updatedDateField": "updatedOn", "updatedDateFormat": "yyyy-MM-dd\'\\ud800\'"}}}'
)


@pytest.mark.parametrize(
    "configuration",
    [
        '{"candidates": ' + DEEP + "}",
        '{"candidates": {"url": "x", "pollDelay": ' + DEEP + "}}",
        "[" * 5000 + "]" * 5000,
        SURROGATE_FORMAT,
    ],
    ids=["nested-990", "nested-990-in-a-setting", "nested-5000", "lone-surrogate"],
)
def test_a_poller_configuration_string_nested_too_deeply_or_not_unicode_is_refused(
    env: ApiEnv, configuration: str, report: Callable[..., None]
) -> None:
    # Given `event.poller.configuration` as a JSON string that nests ~1,000 levels or holds a lone surrogate
    body = seed_body(name="hostile-configuration")
    body["configuration"]["event.poller.configuration"] = configuration
    target = env.instances.get("good-key") or env.create("good-key")
    before = env.probe.snapshot()

    # When it is posted, or patched onto an instance
    created = env.call("POST", "/instances", auth=env.org, json_body=body)
    patched = env.call(
        "PATCH",
        f"/instances/{target}",
        auth=env.org,
        json_body={"configuration": {"event.poller.configuration": configuration}},
    )

    # Then both are refused naming the field, and nothing changed
    for reply in (created, patched):
        assert reply.status == 400, reply.text[:300]
        assert reply.body["message"].startswith("configuration.event.poller.configuration"), reply.body
    assert env.probe.snapshot() == before
    report(
        section="hostile",
        key=case_key("hostile", "deep-configuration-string"),
        case="`event.poller.configuration` as a JSON string nothing can hold",
        fault="nested 990 and 5,000 levels; a lone surrogate in a date format",
        outcome="400 naming the field, nothing stored (POST and PATCH)",
    )


# --- 9. near-misses of known configuration keys -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "suggested"),
    [
        ("Event.notification.signature.key", "event.notification.signature.key"),
        ("EVENT.NOTIFICATION.CALLBACK.URL", "event.notification.callback.url"),
        ("api_key", "api.key"),
        ("API.KEY", "api.key"),
        ("apiKey", "api.key"),
        ("api.kye", "api.key"),
    ],
)
def test_a_near_miss_of_a_known_key_is_refused_with_the_key_suggested(
    env: ApiEnv, key: str, suggested: str, report: Callable[..., None]
) -> None:
    # Given a body with a secret under a near-miss of its key (it would be kept, and echoed, in plain text)
    secret = "near-miss-secret-value-4b1d"
    body = seed_body(name="near-miss")
    body["configuration"][key] = secret
    before = env.probe.snapshot()

    # When it is posted
    reply = env.call("POST", "/instances", auth=env.org, json_body=body, also_secret=(secret,))

    # Then it is refused naming the key and the closest known one, and nothing is stored
    assert reply.status == 400, reply.text[:300]
    assert reply.body["message"].startswith(f"configuration.{key} ") and f"'{suggested}'" in reply.body["message"]
    assert env.probe.snapshot() == before
    report(
        section="hostile",
        key=case_key("hostile", "near-miss-keys"),
        case="Near-misses of known configuration keys",
        fault="`Event.notification.signature.key`, `api_key`, `API.KEY`, `apiKey`, `api.kye`",
        outcome="400 naming the key and the closest known one; no secret kept in plain text",
    )


def test_a_key_of_the_clients_own_is_still_kept(env: ApiEnv) -> None:
    body = seed_body(name="own-keys")
    body["configuration"].update({"customer.reference": "ACME-42", "apiVersion": "2", "keyring": "blue"})
    reply = env.call("POST", "/instances", auth=env.org, json_body=body)
    assert reply.status == 200, reply.text[:300]
    assert reply.body["configuration"]["customer.reference"] == "ACME-42"
    env.call("DELETE", f"/instances/{reply.body['id']}", auth=env.org)


# --- 11. duplicate keys, digits of other scripts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (
            '{"element": {"key": "evil", "key": "smartrecruiters"}, "name": "dup", "configuration": {"api.key": "k"}}',
            "key",
        ),
        (
            '{"element": {"key": "smartrecruiters"}, "name": "a", "name": "b", "configuration": {"api.key": "k"}}',
            "name",
        ),
        (
            '{"element": {"key": "smartrecruiters"}, "name": "dup", '
            '"configuration": {"api.key": "sr-key-one-1234", "api.key": "sr-key-two-5678"}}',
            "api.key",
        ),
    ],
    ids=["element.key", "name", "api.key"],
)
def test_a_body_with_a_duplicate_key_is_refused_naming_it(
    env: ApiEnv, raw: str, key: str, report: Callable[..., None]
) -> None:
    # Given a body where one object holds a key twice (JSON parsers disagree on which one counts)
    target = env.instances.get("good-key") or env.create("good-key")
    before = env.probe.snapshot()

    # When it is posted, or sent as a patch
    created = env.call("POST", "/instances", auth=env.org, raw_body=raw, also_secret=("sr-key-one-1234",))
    patch = {
        "key": '{"configuration": {"key": "a", "key": "b"}}',
        "name": '{"name": "x", "tags": [], "name": "y"}',
        "api.key": '{"configuration": {"api.key": "sr-key-one-1234", "api.key": "sr-key-two-5678"}}',
    }[key]
    patched = env.call("PATCH", f"/instances/{target}", auth=env.org, raw_body=patch)

    # Then both are refused naming the key, and nothing changed
    for reply in (created, patched):
        assert reply.status == 400, reply.text[:300]
        assert f'"{key}"' in reply.body["message"] and "twice" in reply.body["message"], reply.body
        assert "sr-key-one-1234" not in reply.text and "sr-key-two-5678" not in reply.text
    assert env.probe.snapshot() == before
    report(
        section="hostile",
        key=case_key("hostile", "duplicate-keys"),
        case="A body whose object holds a key twice",
        fault='`{"key": "evil", "key": "smartrecruiters"}`, two names, two API keys',
        outcome="400 naming the key (no last-wins), nothing stored (POST and PATCH)",
    )


@pytest.mark.parametrize(
    ("setting", "digits"),
    [
        ("event.poller.refresh_interval", "١٥"),  # Arabic-Indic digits: int() reads them as 15
        ("event.poller.refresh_interval", "１５"),  # fullwidth
        ("event.poller.configuration.candidates.pollDelay", "٦٠"),
    ],
    ids=["interval-arabic-indic", "interval-fullwidth", "poll-delay-arabic-indic"],
)
def test_digits_other_than_ascii_are_refused(
    env: ApiEnv, setting: str, digits: str, report: Callable[..., None]
) -> None:
    # Given a number of minutes or seconds written in digits of another script
    body = seed_body(name="digits")
    if setting == "event.poller.refresh_interval":
        body["configuration"][setting] = digits
    else:
        body["configuration"]["event.poller.configuration"]["candidates"]["pollDelay"] = digits
    before = env.probe.snapshot()

    # When it is posted
    reply = env.call("POST", "/instances", auth=env.org, json_body=body)

    # Then it is refused naming the setting, and nothing is stored
    assert reply.status == 400, reply.text[:300]
    assert reply.body["message"].startswith(f"configuration.{setting}"), reply.body
    assert env.probe.snapshot() == before
    report(
        section="hostile",
        key=case_key("hostile", "non-ascii-digits"),
        case="Minutes and seconds in digits of other scripts",
        fault='`"١٥"`, `"１５"`, `"٦٠"`',
        outcome="400 naming the setting, nothing stored",
    )
