"""Settings: one environment variable per field, parsed by the field's type, checked at cold start."""

from __future__ import annotations

from dataclasses import fields

import pytest

from srevents.settings import Settings, SettingsError


def test_every_field_is_read_from_its_upper_cased_variable() -> None:
    # Given a value for every field, in the form the template writes it
    samples = {"str": "x", "bool": "true", "int": "7", "float": "2.5"}
    chosen = {"RETRY_SCHEDULE": "platform"}  # fields that take one of a few words
    env = {f.name.upper(): samples[str(f.type)] for f in fields(Settings)} | chosen

    # When
    settings = Settings.from_env(env)

    # Then no field was left at its default
    for field in fields(Settings):
        expected = {"x": "x", "true": True, "7": 7, "2.5": 2.5}.get(env[field.name.upper()], env[field.name.upper()])
        assert getattr(settings, field.name) == expected


def test_unset_or_empty_variables_keep_the_defaults() -> None:
    settings = Settings.from_env({"SMARTRECRUITERS_BASE_URL": "", "NOTIFICATION_TTL_DAYS": ""})
    assert settings == Settings()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DELIVERY_WORKERS", "ten", "DELIVERY_WORKERS must be a whole number"),
        ("DELIVERY_WORKERS", "0", "DELIVERY_WORKERS must be at least 1"),
        ("CALLBACK_TOTAL_TIMEOUT", "soon", "CALLBACK_TOTAL_TIMEOUT must be a number"),
        ("API_BURST", "0", "API_BURST at least 1"),
        ("API_REQUESTS_PER_SECOND", "0", "API_REQUESTS_PER_SECOND must be positive"),
        ("SMARTRECRUITERS_TOKEN_BATCH", "10", "SMARTRECRUITERS_TOKEN_BATCH from 1 to 9"),
        ("SMARTRECRUITERS_REQUESTS_PER_SECOND", "-1", "SMARTRECRUITERS_REQUESTS_PER_SECOND must be positive"),
        ("RETRY_SCHEDULE", "weekly", "RETRY_SCHEDULE must be day or platform"),
    ],
)
def test_an_unreadable_variable_fails_at_cold_start_naming_it(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({variable: value})


def test_require_names_every_missing_variable() -> None:
    with pytest.raises(SettingsError, match="INSTANCES_TABLE, KMS_KEY_ID"):
        Settings.from_env({}).require("instances_table", "kms_key_id")
