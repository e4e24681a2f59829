"""Ingest: fetched Kafka batches → framed records in the input ring (protocol steps 1-3).

No decoding here: the event loop only frames bytes. Backpressure pauses every assigned
partition when the ring (or the count of unacked records) passes its high-water mark and
resumes below the low-water mark, so memory stays bounded whatever the producer does.
"""

from __future__ import annotations

import asyncio
import logging

import numpy as np
from aiokafka import AIOKafkaConsumer

from ringbuffer import Ring

from . import _framing as f
from ._delivery import Delivery
from ._kafka import fetch_batches
from ._metrics import Metrics

log = logging.getLogger(__name__)

HIGH_WATER = 0.75
LOW_WATER = 0.25
_PUSH_RETRY_S = 0.002


class Ingest:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        ring: Ring,
        delivery: Delivery,
        metrics: Metrics,
        max_unacked: int,
    ) -> None:
        self.consumer = consumer
        self.ring = ring
        self.delivery = delivery
        self.metrics = metrics
        self.max_unacked = max_unacked
        self.paused = False
        self.stopping = False
        # Never fetch more than half the ring holds: a fetch waits in memory until pushed.
        self.max_fetch_records = max(1, min(10_000, ring.stats().capacity_records // 2))

    async def run(self) -> None:
        while not self.stopping:
            self._apply_backpressure()
            fetched = await fetch_batches(
                self.consumer, max_wait_ms=50, max_records=self.max_fetch_records
            )
            if fetched:
                await self._push_fetched(fetched)

    async def _push_fetched(self, fetched: dict) -> None:
        parts: list[bytes] = []
        sizes: list[int] = []
        for tp, records in fetched.items():
            offsets = np.fromiter((r.offset for r in records), np.int64, len(records))
            if not self.delivery.track(tp, offsets):
                continue  # revoked while fetching: the next owner reads these
            batch_parts, batch_sizes = f.frame_consumer_records(tp.partition, records)
            parts += batch_parts
            sizes += batch_sizes
        if sizes:
            self.metrics.records_consumed.inc(len(sizes))
            await self._push(*f.pack_frames(parts, sizes))

    async def _push(self, data: bytes, offsets: np.ndarray) -> None:
        """Push everything, yielding while the ring is full (never block the event loop).

        Tracked records are always pushed, even when stopping: the drains are still
        running, and a shutdown waits for them to be acked."""
        pushed, total = 0, len(offsets) - 1
        while pushed < total:
            pushed += self.ring.try_push_many(data, offsets[pushed:])
            if pushed < total:
                await asyncio.sleep(_PUSH_RETRY_S)

    def _apply_backpressure(self) -> None:
        fill = self.fill_ratio()
        if not self.paused and fill >= HIGH_WATER:
            self.paused = True
            log.debug("ring at %.0f%%: pausing fetches", fill * 100)
        elif self.paused and fill <= LOW_WATER:
            self.paused = False
            log.debug("ring at %.0f%%: resuming fetches", fill * 100)
        self.sync_pause()

    def sync_pause(self) -> None:
        """Keep the consumer's paused set equal to what backpressure wants (also after a
        rebalance hands over new partitions)."""
        assigned = self.consumer.assignment()
        if self.paused:
            self.consumer.pause(*assigned)
        else:
            self.consumer.resume(*assigned)
        self.metrics.paused_partitions.set(len(assigned) if self.paused else 0)

    def fill_ratio(self) -> float:
        stats = self.ring.stats()
        return max(
            stats.occupancy / stats.capacity_records,
            stats.bytes_in_use / stats.arena_bytes,
            self.delivery.pending() / self.max_unacked,
        )
