"""bench/cost_model.py: KMS calls under envelope encryption follow data keys and containers, not openings."""

from __future__ import annotations

import math

import pytest

from bench.cost_model import SECONDS_PER_MONTH, Workload, _open_data_keys_bound, data_keys, kms_decrypts
from srevents.adapters.secrets import DATA_KEY_SECONDS, SecretBox

WORKLOAD = Workload(container_hours=2.0, containers_per_concurrent=2.0)
STARTS_PER_CONTAINER = SECONDS_PER_MONTH / 3600 / 2.0  # a month of containers replaced every 2 hours


def test_the_bound_is_the_one_the_functions_build_secret_boxes_with() -> None:
    assert _open_data_keys_bound() == SecretBox(client=None, key_id="k")._max_entries


def test_few_data_keys_cost_one_decrypt_per_key_per_container() -> None:
    # Given 10 concurrent executions (20 containers kept), 10 data keys, and far more openings than keys
    opens = 100_000_000.0

    # When the month's Decrypts are modelled
    decrypts = kms_decrypts(opens, 10, keys=10, bound=1024, w=WORKLOAD)

    # Then each container started decrypts each key once
    assert decrypts == pytest.approx(20 * STARTS_PER_CONTAINER * 10)


def test_more_data_keys_than_a_container_keeps_miss_in_proportion() -> None:
    # Given 4 times as many data keys as a container keeps, met at random
    opens, keys, bound = 1e9, 4096.0, 1024

    decrypts = kms_decrypts(opens, 1, keys=keys, bound=bound, w=WORKLOAD)

    # Then about three openings in four decrypt (the first `bound` of each container's life all do)
    assert decrypts / opens == pytest.approx(1 - bound / keys, rel=0.01)


def test_never_more_decrypts_than_openings() -> None:
    for keys in (1.0, 500.0, 5_000.0, 1e6):
        assert kms_decrypts(1000.0, 50, keys=keys, bound=1024, w=WORKLOAD) <= 1000.0


def test_data_keys_are_one_per_sealing_period_with_a_seal_over_a_year() -> None:
    # A few seals a year: about one key each; many: every sealing period (a day) of the year has its key
    assert DATA_KEY_SECONDS == 86_400
    assert data_keys(10, Workload(seals_per_instance_year=1.0)) == pytest.approx(10, rel=0.02)
    assert data_keys(1_000_000, Workload(seals_per_instance_year=1.0)) == pytest.approx(365)
    assert data_keys(1_000_000, Workload(data_keys=7)) == 7
    assert math.isclose(data_keys(0, Workload()), 0.0)
