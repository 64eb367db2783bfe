"""Reconnect delays grow exponentially, stay capped, and are jittered."""

from __future__ import annotations

import random

import pytest

from adapters.reconnect import ReconnectBackoff


def test_delays_double_per_attempt_within_the_jitter_band_and_stop_at_the_maximum() -> None:
    backoff = ReconnectBackoff(base=0.5, maximum=8.0, rng=random.Random(7))
    for attempt, cap in enumerate([0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]):
        delay = backoff.delay(attempt)
        assert cap / 2 <= delay <= cap
    assert backoff.delay(10_000) <= 8.0


def test_two_gateways_do_not_retry_in_lockstep() -> None:
    first = ReconnectBackoff(base=1.0, maximum=30.0, rng=random.Random(1))
    second = ReconnectBackoff(base=1.0, maximum=30.0, rng=random.Random(2))
    assert [first.delay(n) for n in range(5)] != [second.delay(n) for n in range(5)]


@pytest.mark.parametrize(("base", "maximum"), [(0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)])
def test_nonsense_settings_are_refused(base: float, maximum: float) -> None:
    with pytest.raises(ValueError, match="backoff"):
        ReconnectBackoff(base=base, maximum=maximum)
