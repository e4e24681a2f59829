"""Ingest: fetched Kafka batches → framed records in the input ring (protocol steps 1-3).

No decoding here: the event loop only frames bytes (`_fetch_frames`: compiled, from the
fetched batches). Backpressure pauses every assigned partition when the ring (or the count
of unacked records) passes its high-water mark and resumes below the low-water mark, so
memory stays bounded whatever the producer does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from aiokafka import AIOKafkaConsumer

from ringbuffer import Ring
from schemas.errors import RECORD_TOO_LARGE

from . import _framing as f
from ._delivery import Delivery
from ._fetch_frames import PartitionFrames, fetch_frames, keep_fetched_bytes
from ._fetch_pace import FetchPacer
from ._metrics import Metrics

log = logging.getLogger(__name__)

HIGH_WATER = 0.75
LOW_WATER = 0.25
_PUSH_RETRY_S = 0.002
# A fetch round returns as soon as records arrive, so the wait only sets how often an idle
# loop wakes up; paused, the loop must look at the ring's fill sooner to resume.
_FETCH_WAIT_MS = 1000
_PAUSED_FETCH_WAIT_MS = 50
# The broker's wait per Fetch (see `_fetch_pace`). Tansu holds one at the log's end for all
# of it, so while records flow each fetch hop adds up to the busy wait to their latency
# (100 ms: p50 48 / p99 ~100 ms in a produce → consume → produce probe). Idle, the long
# wait cuts an idle parent's wake-ups, at the price of the first record after a quiet spell
# waiting up to that long on Tansu (Kafka answers when it arrives).
_BUSY_FETCH_WAIT_MS = 20
_IDLE_FETCH_WAIT_MS = 500


class Ingest:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        ring: Ring,
        delivery: Delivery,
        metrics: Metrics,
        max_unacked: int,
        send_dead_letters: Callable[[list[bytes]], Awaitable[None]],
    ) -> None:
        """`send_dead_letters` takes output frames of records too large for the ring."""
        keep_fetched_bytes()  # partitions fetched before this read through aiokafka's records
        self.consumer = consumer
        self.send_dead_letters = send_dead_letters
        self.max_frame_bytes = f.max_input_frame(ring.max_record_bytes)
        self.ring = ring
        self.delivery = delivery
        self.metrics = metrics
        self.max_unacked = max_unacked
        self.paused = False
        self.stopping = False
        # Never fetch more than half the ring holds: a fetch waits in memory until pushed.
        self.max_fetch_records = max(1, min(10_000, ring.stats().capacity_records // 2))
        self.pacer = FetchPacer(consumer, busy_ms=_BUSY_FETCH_WAIT_MS,
                                idle_ms=_IDLE_FETCH_WAIT_MS)  # fmt: skip

    async def run(self) -> None:
        while not self.stopping:
            self._apply_backpressure()
            # Paused, nothing is fetched and the pacer has nothing to judge (it skips paused
            # partitions): short rounds, to resume soon.
            wait_ms = (_PAUSED_FETCH_WAIT_MS if self.paused
                       else self.pacer.round_timeout_ms(_FETCH_WAIT_MS))  # fmt: skip
            fetched = await fetch_frames(self.consumer, max_wait_ms=wait_ms,
                                         max_records=self.max_fetch_records,
                                         frame_limit=self.max_frame_bytes)  # fmt: skip
            if await self.pacer.after_round(bool(fetched)):
                self.metrics.fetch_starved.inc()
            self.metrics.fetch_wait_seconds.set(self.pacer.wait_ms / 1000)
            if fetched:
                await self._push_fetched(fetched)

    async def _push_fetched(self, fetched: dict[Any, PartitionFrames]) -> None:
        pushes: list[PartitionFrames] = []
        too_large: list[bytes] = []
        for tp, frames in fetched.items():
            if not self.delivery.track(tp, frames.offsets):
                continue  # revoked while fetching: the next owner reads these
            self.metrics.records_consumed.inc(len(frames.offsets))
            self.metrics.records_framed.labels(frames.reader).inc(len(frames.offsets))
            pushes.append(frames)
            too_large += [self._too_large(record) for record in frames.too_large]
        if too_large:
            await self.send_dead_letters(too_large)
        for frames in pushes:
            if len(frames.ends) > 1:
                await self._push(frames.data, frames.ends)

    def _too_large(self, source: f.InRecord) -> bytes:
        """A dead letter for a record the ring cannot carry: straight to egress, with its
        original bytes (the DLQ topic must accept what the input topic accepted)."""
        reason = (f"record of {len(source.value)} bytes exceeds the worker's ring record limit "
                  f"({self.max_frame_bytes} bytes framed); raise --ring-bytes")  # fmt: skip
        aux = f.dead_aux(RECORD_TOO_LARGE, "decode", reason)
        return f.out_frame(f.DEAD, source, aux, f.CONTENT_NONE, source.value)

    async def _push(self, data: Any, offsets: np.ndarray) -> None:
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
        was_paused = self.paused
        if not self.paused and fill >= HIGH_WATER:
            self.paused = True
        elif self.paused and fill <= LOW_WATER:
            self.paused = False
        self.sync_pause()
        if self.paused != was_paused:  # the count is the consumer's own paused set
            verb = "pausing" if self.paused else "resuming"
            log.debug("ring at %.0f%%: %s fetches (%d partitions paused)", fill * 100, verb,
                      len(self.consumer.paused()))  # fmt: skip

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
