"""OffsetTracker: commit positions never pass an unacknowledged offset."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker._offsets import OffsetTracker

TP = ("in", 0)
OTHER = ("in", 1)


def test_nothing_tracked_means_nothing_to_commit() -> None:
    tracker = OffsetTracker()
    assert tracker.committable() == {}
    assert tracker.pending(TP) == 0


def test_contiguous_prefix_is_committable() -> None:
    tracker = OffsetTracker()
    tracker.track_range(TP, 10, 19)
    tracker.ack(TP, [10, 11, 12, 14])
    assert tracker.committable() == {TP: 13}
    assert tracker.pending(TP) == 6


def test_gap_in_handed_out_offsets_does_not_block() -> None:
    tracker = OffsetTracker()
    tracker.track(TP, [0, 1, 5, 6])  # 2..4 never handed out (e.g. transaction markers)
    tracker.ack(TP, [0, 1, 5, 6])
    assert tracker.committable() == {TP: 7}


def test_mark_committed_hides_unchanged_partitions() -> None:
    tracker = OffsetTracker()
    tracker.track_range(TP, 0, 4)
    tracker.track_range(OTHER, 0, 4)
    tracker.ack(TP, range(5))
    positions = tracker.committable()
    assert positions == {TP: 5, OTHER: 0}
    tracker.mark_committed(positions)
    assert tracker.committable() == {}
    tracker.ack(OTHER, [0])
    assert tracker.committable() == {OTHER: 1}


def test_duplicate_and_unknown_acks_are_ignored() -> None:
    tracker = OffsetTracker()
    tracker.track_range(TP, 0, 2)
    assert tracker.ack(TP, [1, 1, 7]) == 1
    assert tracker.ack(TP, [1]) == 0
    assert tracker.ack(OTHER, [0]) == 0
    assert tracker.pending(TP) == 2


def test_revoke_forgets_partition_and_allows_rereading() -> None:
    tracker = OffsetTracker()
    tracker.track_range(TP, 0, 9)
    with pytest.raises(ValueError):
        tracker.track_range(TP, 5, 9)
    tracker.revoke([TP])
    assert tracker.committable() == {}
    assert tracker.ack(TP, [0]) == 0
    tracker.track_range(TP, 5, 9)
    assert tracker.committable() == {TP: 5}


def test_unsorted_track_is_rejected() -> None:
    with pytest.raises(ValueError):
        OffsetTracker().track(TP, [3, 2])


def test_a_million_offsets_in_batches_commit_in_full() -> None:
    """Its speed is a figure of bench/worker_checks.py, not an assertion here."""
    tracker = OffsetTracker()
    batch = 500
    for first in range(0, 1_000_000, batch):
        tracker.track_range(TP, first, first + batch - 1)
        tracker.ack(TP, np.arange(first + batch - 1, first - 1, -1))
        if first % 20_000 == 0:
            assert tracker.committable() == {TP: first + batch}
            tracker.mark_committed({TP: first + batch})
    assert tracker.committable() == {TP: 1_000_000}
    assert tracker.pending(TP) == 0


@st.composite
def _tracked_and_acks(draw: st.DrawFn) -> tuple[list[list[int]], list[list[int]]]:
    """Ascending offsets with random holes, cut into track batches, acked in random order."""
    steps = draw(st.lists(st.integers(1, 3), min_size=1, max_size=200))
    offsets = list(np.cumsum(steps).tolist())
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(offsets) - 1)), max_size=10)))
    batches = [offsets[a:b] for a, b in zip([0, *cuts], [*cuts, len(offsets)], strict=True)]
    acked = draw(st.lists(st.sampled_from(offsets), max_size=len(offsets) * 2))
    ack_batches = [acked[i : i + 7] for i in range(0, len(acked), 7)]
    return [b for b in batches if b], ack_batches


@settings(max_examples=300, deadline=None)
@given(_tracked_and_acks())
def test_commit_never_passes_an_unacked_offset(
    case: tuple[list[list[int]], list[list[int]]],
) -> None:
    batches, ack_batches = case
    tracker = OffsetTracker()
    for batch in batches:
        tracker.track(TP, batch)
    tracked = [o for b in batches for o in b]
    done: set[int] = set()
    committed = None
    for ack in ack_batches:
        tracker.ack(TP, ack)
        done.update(ack)
        unacked = [o for o in tracked if o not in done]
        expected = min(unacked) if unacked else tracked[-1] + 1
        position = tracker.committable().get(TP, committed)
        assert position == expected
        assert tracker.pending(TP) == len(unacked)
        tracker.mark_committed({TP: position})
        committed = position


def test_delivery_restarts_tracking_when_the_consumer_goes_back() -> None:
    import numpy as np
    from aiokafka import TopicPartition

    from worker._delivery import Delivery
    from worker._metrics import Metrics

    delivery = Delivery("in", Metrics())
    tp = TopicPartition("in", 0)
    assert not delivery.track(tp, np.arange(0, 10)), "not assigned: skipped"
    delivery.assigned = {tp}
    assert delivery.track(tp, np.arange(0, 10))
    delivery.ack(np.zeros(5, np.int64), np.arange(0, 5))
    assert delivery.tracker.committable() == {tp: 5}
    assert delivery.track(tp, np.arange(5, 12))  # re-read from the committed offset
    delivery.ack(np.zeros(7, np.int64), np.arange(5, 12))
    assert delivery.tracker.committable() == {tp: 12}
    assert delivery.pending() == 0
