"""The dead-letter limit trips on a partition's recent share, not on its first bad records."""

from __future__ import annotations

import numpy as np
import pytest

from worker._dlq_limit import MIN_RECORDS, WINDOW, DeadLetterLimit, DeadLetterRatioExceeded


def _claim(partition: int, records: int, dead: int) -> tuple[np.ndarray, np.ndarray]:
    flags = np.zeros(records, bool)
    flags[:dead] = True
    return np.full(records, partition, np.int64), flags


def test_off_by_default_even_for_an_all_dead_stream() -> None:
    limit = DeadLetterLimit()
    for _ in range(50):
        limit.check(*_claim(0, 1000, 1000))


def test_first_records_never_trip_it_then_the_share_does() -> None:
    limit = DeadLetterLimit(0.5)
    limit.check(*_claim(0, MIN_RECORDS - 1, MIN_RECORDS - 1))  # all bad, but too few to judge
    with pytest.raises(DeadLetterRatioExceeded, match="input partition 0"):
        limit.check(*_claim(0, 10, 10))


def test_partitions_are_judged_apart() -> None:
    limit = DeadLetterLimit(0.5)
    partitions = np.array([0] * 150 + [1] * 150, np.int64)
    dead = np.array([True] * 60 + [False] * 90 + [True] * 40 + [False] * 110)
    limit.check(partitions, dead)  # 40 % and 27 %: under the limit
    with pytest.raises(DeadLetterRatioExceeded, match="input partition 1"):
        limit.check(*_claim(1, 200, 200))


def test_the_share_follows_recent_records() -> None:
    """After a long healthy run, a stream gone bad trips the limit within about a window."""
    limit = DeadLetterLimit(0.5)
    for _ in range(20):
        limit.check(*_claim(3, WINDOW // 2, 0))
    with pytest.raises(DeadLetterRatioExceeded):
        for _ in range(4):
            limit.check(*_claim(3, WINDOW // 2, WINDOW // 2))
