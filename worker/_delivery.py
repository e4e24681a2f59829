"""At-least-once delivery: which input offsets may be committed, and when.

The commit protocol, one record's life:

1. consume   ingest takes a fetch round (`fetch_frames`) for its assigned partitions;
2. track     the round's offsets enter the OffsetTracker *before* anything else happens;
3. push      ingest pushes the records' frames into the input ring (`push_many`);
4. claim     a drain process claims a run of records from the ring;
5. parse     the drain parses them as one kernel batch and pushes results or dead letters;
6. produce   egress sends them with `send_records` (acks=all);
7. await ack the broker acknowledges a produced batch: its input offsets are acked here;
8. commit    the highest contiguous acked position per partition is committed
             periodically, on revoke and on shutdown — never anything not yet acked.

A crash anywhere before 8 means the records are read again from the last commit:
duplicates are possible, losses are not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import numpy as np
from aiokafka import AIOKafkaConsumer, TopicPartition

from ._kafka import commit
from ._metrics import Metrics
from ._offsets import OffsetTracker

log = logging.getLogger(__name__)


class Delivery:
    """Offset bookkeeping shared by ingest (track), egress (ack) and the group callbacks."""

    def __init__(self, input_topic: str, metrics: Metrics, revoke_wait_s: float = 10.0) -> None:
        self.input_topic = input_topic
        self.metrics = metrics
        self.tracker = OffsetTracker()
        self.consumer: AIOKafkaConsumer | None = None
        self.assigned: set[TopicPartition] = set()
        self.joined = False  # the first assignment (even an empty one) happened
        self.revoke_wait_s = revoke_wait_s
        self.on_assignment_change: Callable[[], None] = lambda: None
        self._tps: dict[int, TopicPartition] = {}  # built once per partition number
        # Progress, for the liveness probe (read from the HTTP thread: plain numbers only).
        self.pending_records = 0  # tracked, not yet acked, after the last change
        self.progress_at = time.monotonic()  # last ack or commit, or when work began

    # step 2
    def track(self, tp: TopicPartition, offsets: np.ndarray) -> bool:
        """Track a fetched batch; False when the partition was revoked meanwhile (skip it)."""
        if tp not in self.assigned:
            return False
        try:
            self.tracker.track(tp, offsets)
        except ValueError:
            # The consumer went back (a seek to the committed offset after a rebalance):
            # everything before the new start is committed, so start the partition afresh.
            log.warning("%s re-read from offset %d; resetting its tracking", tp, offsets[0])
            self.tracker.revoke([tp])
            self.tracker.track(tp, offsets)
        if self.pending_records == 0:  # work begins now: a stall is counted from here
            self.progress_at = time.monotonic()
        self._count_pending()
        return True

    # step 7
    def ack(self, partitions: np.ndarray, offsets: np.ndarray) -> None:
        """Input records (partition, offset) whose result or dead letter the broker acked."""
        for partition in np.unique(partitions).tolist():
            tp = self._tps.get(partition) or self._tps.setdefault(
                partition, TopicPartition(self.input_topic, partition)
            )
            self.tracker.ack(tp, offsets[partitions == partition])
        self.progress_at = time.monotonic()
        self._count_pending()

    # step 8
    async def commit(self) -> None:
        positions = self.tracker.committable()
        if self.consumer is None or not positions:
            return
        if await commit(self.consumer, positions):
            self.tracker.mark_committed(positions)
            self.metrics.offsets_committed.inc()
            self.progress_at = time.monotonic()

    def stalled_s(self, now: float | None = None) -> float:
        """Seconds since the last ack or commit while records are pending; 0 without any."""
        if self.pending_records == 0:
            return 0.0
        return (time.monotonic() if now is None else now) - self.progress_at

    def _count_pending(self) -> None:
        self.pending_records = self.tracker.total_pending()

    def pending(self, tps: set[TopicPartition] | None = None) -> int:
        if tps is None:
            return self.tracker.total_pending()
        return sum(self.tracker.pending(tp) for tp in tps)

    async def wait_done(self, tps: set[TopicPartition] | None, timeout_s: float) -> bool:
        """Wait until every tracked record of `tps` (None: all) is acked; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.pending(tps) > 0:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    # group callbacks: aiokafka awaits them before partitions move
    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        self.metrics.rebalances.labels("revoked").inc()
        mine = revoked & self.assigned
        self.assigned -= revoked
        self.on_assignment_change()
        if not await self.wait_done(mine, self.revoke_wait_s):
            log.warning("revoke: %d records still in flight; the next owner re-reads them",
                        self.pending(mine))  # fmt: skip
        await self.commit()  # the last chance to commit what these partitions finished
        self.tracker.revoke(revoked)
        self._count_pending()

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        self.metrics.rebalances.labels("assigned").inc()
        # A partition that comes back restarts at its committed offset: forget the old state.
        self.tracker.revoke(assigned - self.assigned)
        self._count_pending()
        self.assigned = set(assigned)
        self.joined = True
        self.on_assignment_change()
        log.info("assigned %d partitions: %s", len(assigned),
                 sorted(tp.partition for tp in assigned))  # fmt: skip
