"""The token bucket's arithmetic (domain/token_bucket.py): one stored number, the same limit as a bucket."""

from __future__ import annotations

import pytest

from srevents.domain.token_bucket import MICROS, BucketPolicy, Busy, Denied, Idle, plan

POLICY = BucketPolicy(rate=10, burst=3)  # a token every 100 ms, three at once
MS = 1000


def simulate(policy: BucketPolicy, times_ms: list[int], tokens: int = 1) -> list[bool]:
    """Apply plans to one stored value, as the store would: which takes are allowed."""
    tat: int | None = None
    allowed = []
    for at in times_ms:
        step = plan(policy, tat, at * MS, tokens)
        if isinstance(step, Idle):
            tat = step.new_tat
        elif isinstance(step, Busy):
            assert tat is not None and step.now < tat <= step.highest
            tat += step.cost
        allowed.append(not isinstance(step, Denied))
    return allowed


def test_an_absent_or_idle_bucket_is_written_from_now() -> None:
    # Given / When
    absent = plan(POLICY, None, 5_000 * MS)
    idle = plan(POLICY, 4_000 * MS, 5_000 * MS)

    # Then
    assert absent == Idle(now=5_000 * MS, new_tat=5_100 * MS, tokens=1)
    assert idle == Idle(now=5_000 * MS, new_tat=5_100 * MS, tokens=1)


def test_a_busy_bucket_is_added_to_within_the_burst() -> None:
    # Given a bucket one token ahead of now
    step = plan(POLICY, 5_100 * MS, 5_000 * MS, tokens=2)

    # Then the store adds two tokens' worth if the stored value is at most burst - 2 tokens ahead
    assert step == Busy(now=5_000 * MS, cost=200 * MS, highest=5_100 * MS, tokens=2)


def test_a_burst_passes_and_the_next_take_waits_for_one_token() -> None:
    # When four takes arrive at the same moment
    results = simulate(POLICY, [0, 0, 0, 0])

    # Then three pass (the burst) and the fourth is refused
    assert results == [True, True, True, False]
    assert plan(POLICY, 300 * MS, 0) == Denied(wait=100 * MS)


def test_refused_takes_write_nothing_and_tokens_come_back_at_the_rate() -> None:
    # When a burst is spent, then takes arrive every 50 ms (twice the rate)
    results = simulate(POLICY, [0, 0, 0] + [50 * i for i in range(1, 9)])

    # Then every other one passes: the steady rate is 10 per second, refusals cost nothing
    assert results == [True, True, True] + [False, True] * 4


def test_no_window_gets_more_than_burst_plus_rate_times_its_length() -> None:
    # Given takes every 10 ms for 3 s, of one and of two tokens
    for tokens in (1, 2):
        times = list(range(0, 3000, 10))
        allowed = simulate(POLICY, times, tokens)
        granted = [t for t, ok in zip(times, allowed, strict=True) if ok]

        # Then in every window of length T at most burst + rate x T tokens were handed out
        for start in range(0, 3000, 10):
            for length in (100, 250, 1000):
                inside = sum(tokens for t in granted if start <= t < start + length)
                assert inside <= POLICY.burst + POLICY.rate * length / 1000
        # and the long-run rate is the configured one
        assert abs(len(granted) * tokens - (POLICY.burst + 10 * 2.99)) <= tokens


def test_a_take_of_up_to_n_takes_what_the_bucket_holds() -> None:
    # Given a bucket with one token left of three
    tat = 200 * MS

    # When a batch of three is asked for, at least one
    step = plan(POLICY, tat, 0, tokens=3, at_least=1)

    # Then the one token is taken; asking for at least two waits for the second
    assert step == Busy(now=0, cost=100 * MS, highest=200 * MS, tokens=1)
    assert plan(POLICY, tat, 0, tokens=3, at_least=2) == Denied(wait=100 * MS)
    assert plan(POLICY, None, 0, tokens=3, at_least=1) == Idle(now=0, new_tat=300 * MS, tokens=3)


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert Denied(wait=1).retry_after_seconds == 1
    assert Denied(wait=MICROS).retry_after_seconds == 1
    assert Denied(wait=MICROS + 1).retry_after_seconds == 2


@pytest.mark.parametrize(("tokens", "at_least"), [(0, None), (4, None), (2, 3), (2, 0)])
def test_a_take_is_one_to_burst_tokens(tokens: int, at_least: int | None) -> None:
    with pytest.raises(ValueError, match="1 to 3 tokens"):
        plan(POLICY, None, 0, tokens, at_least)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (float("inf"), 1), (1, 0)])
def test_a_policy_needs_a_positive_rate_and_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        BucketPolicy(rate, burst)
