"""Which consumed offsets may be committed: at-least-once bookkeeping per partition.

An offset is committable once it and every tracked offset before it are acknowledged.
Offsets Kafka never handed out (compacted away, transaction markers) do not block: the
commit position is the smallest tracked-but-unacknowledged offset, or one past the
highest tracked offset once everything is acknowledged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Sequence

import numpy as np

Offsets = Sequence[int] | np.ndarray


class _Chunk:
    """One `track` call's offsets (ascending) with their done flags."""

    __slots__ = ("offsets", "done", "first_undone")

    def __init__(self, offsets: np.ndarray) -> None:
        self.offsets = offsets
        self.done = np.zeros(len(offsets), dtype=bool)
        self.first_undone = 0  # everything before it is done; saves rescans

    def mark(self, acked: np.ndarray) -> int:
        """Flag the acked offsets that belong to this chunk; return how many were new."""
        positions = np.searchsorted(self.offsets, acked)
        inside = positions < len(self.offsets)
        positions, acked = positions[inside], acked[inside]
        hits = positions[self.offsets[positions] == acked]
        fresh = hits[~self.done[hits]]  # unique: acked and offsets are both unique
        self.done[fresh] = True
        return int(len(fresh))

    def advance(self) -> int | None:
        """First undone offset, or None when the whole chunk is done."""
        rest = self.done[self.first_undone :]
        if rest.all():
            self.first_undone = len(self.offsets)
            return None
        self.first_undone += int(np.argmin(rest))
        return int(self.offsets[self.first_undone])


class _PartitionState:
    __slots__ = ("chunks", "next_track", "pending", "committed")

    def __init__(self) -> None:
        self.chunks: deque[_Chunk] = deque()
        self.next_track: int | None = None  # one past the highest tracked offset
        self.pending = 0
        self.committed: int | None = None

    def track(self, offsets: np.ndarray) -> None:
        if self.next_track is not None and offsets[0] < self.next_track:
            raise ValueError(
                f"offset {int(offsets[0])} tracked after {self.next_track - 1}: "
                "revoke the partition before re-reading it"
            )
        self.chunks.append(_Chunk(offsets))
        self.next_track = int(offsets[-1]) + 1
        self.pending += len(offsets)

    def ack(self, acked: np.ndarray) -> int:
        low, high = acked[0], acked[-1]
        fresh = 0
        for chunk in self.chunks:
            if chunk.offsets[-1] < low:
                continue
            if chunk.offsets[0] > high:
                break
            fresh += chunk.mark(acked)
        self.pending -= fresh
        return fresh

    def position(self) -> int | None:
        """Offset to commit now (the next one to read), or None if nothing was tracked."""
        while self.chunks:
            first_undone = self.chunks[0].advance()
            if first_undone is not None:
                return first_undone
            self.chunks.popleft()
        return self.next_track


class OffsetTracker:
    """Per-partition tracking of handed-out and acknowledged offsets.

    `track` offsets in the order the consumer returns them (ascending per partition);
    `ack` them in any order once their result is acknowledged by the broker.
    """

    def __init__(self) -> None:
        self._partitions: dict[Hashable, _PartitionState] = {}

    def track(self, tp: Hashable, offsets: Offsets) -> None:
        array = _as_array(offsets)
        if len(array) == 0:
            return
        if len(array) > 1 and not (np.diff(array) > 0).all():
            raise ValueError("tracked offsets must be strictly ascending")
        self._partitions.setdefault(tp, _PartitionState()).track(array)

    def track_range(self, tp: Hashable, first: int, last: int) -> None:
        """Track every offset in [first, last]: the common case of a dense fetch."""
        self.track(tp, np.arange(first, last + 1, dtype=np.int64))

    def ack(self, tp: Hashable, offsets: Offsets) -> int:
        """Mark offsets done; returns how many were newly done (unknown ones are ignored)."""
        state = self._partitions.get(tp)
        array = np.unique(_as_array(offsets))
        if state is None or len(array) == 0:
            return 0
        return state.ack(array)

    def committable(self) -> dict[Hashable, int]:
        """{tp: next offset to commit} for partitions that moved since their last commit."""
        result: dict[Hashable, int] = {}
        for tp, state in self._partitions.items():
            position = state.position()
            if position is not None and position != state.committed:
                result[tp] = position
        return result

    def mark_committed(self, positions: dict[Hashable, int]) -> None:
        for tp, position in positions.items():
            state = self._partitions.get(tp)
            if state is not None:
                state.committed = position

    def revoke(self, tps: Iterable[Hashable]) -> None:
        """Forget partitions lost in a rebalance; late acks for them are ignored."""
        for tp in tps:
            self._partitions.pop(tp, None)

    def pending(self, tp: Hashable) -> int:
        state = self._partitions.get(tp)
        return 0 if state is None else state.pending

    def total_pending(self) -> int:
        return sum(state.pending for state in self._partitions.values())

    def partitions(self) -> list[Hashable]:
        return list(self._partitions)


def _as_array(offsets: Offsets) -> np.ndarray:
    array = np.asarray(offsets, dtype=np.int64)
    if array.ndim != 1:
        raise ValueError("offsets must be one-dimensional")
    return array
