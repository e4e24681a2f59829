"""The soak bench's Kafka side: a paced producer of intents and a reader of their results.

Every request is keyed by its id (a counter); the `Ledger` keeps, per id, the wall time its
record was appended to a produce batch (the record's own timestamp, CreateTime, is taken at
the same moment and is what the worker's `grump_latency_seconds` starts from) and how many
results and dead letters came back for it. Latency is produce → result seen by a consumer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator

import numpy as np
from aiokafka import AIOKafkaConsumer, TopicPartition

from worker._fetch_pace import FetchPacer
from worker._kafka import OutRecord, send_records

# The producer sends what is due every tick, one produce batch per partition. Tansu's memory
# store lists every stored batch of a partition on each fetch, so its fetches cost more with
# every batch stored: fewer, larger batches keep a ten-minute run's broker near flat (2 input
# partitions, 1 output partition, 1,000/s: 200 ms ticks 0.14 → 0.27 cores over 10 min,
# 100 ms ticks 0.15 → 0.57; 8 partitions, 2 output, 50 ms ticks 0.29 → 1.2 within 3 min).
# Each record's latency still starts when its tick sends it.
TICK_S = 0.2
# The reader's broker wait: each of its fetches lists soak.out's stored batches, so 20 ms
# (50 fetches a second) rather than 10 halves what it costs the broker, for ~5 ms of latency.
_READ_WAIT_MS = 20
_GAP_RECHECKS = 3


class Ledger:
    """Per intent id: produce time, results and dead letters seen; grows as ids are used."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        self.sent_s = np.full(capacity, np.nan)
        self.results = np.zeros(capacity, np.uint16)
        self.dead = np.zeros(capacity, np.uint16)
        self.failed = np.zeros(capacity, bool)  # the input produce itself failed: not sent
        self.produced = 0
        self.resolved = 0  # ids with at least one result or dead letter
        self.extra = 0  # results beyond the first per id

    def reserve(self, count: int) -> range:
        ids = range(self.produced, self.produced + count)
        while ids.stop > len(self.sent_s):
            grow = len(self.sent_s)
            self.sent_s = np.concatenate([self.sent_s, np.full(grow, np.nan)])
            for name in ("results", "dead", "failed"):
                old = getattr(self, name)
                setattr(self, name, np.concatenate([old, np.zeros(grow, old.dtype)]))
        self.produced = ids.stop
        return ids

    def settle(self, ids: np.ndarray, dead: bool) -> np.ndarray:
        """Count results (or dead letters) for `ids`; returns their latencies in seconds."""
        now = time.time()
        ids = ids[(ids >= 0) & (ids < self.produced)]
        before = self.results[ids] + self.dead[ids]
        np.add.at(self.dead if dead else self.results, ids, 1)
        unique, first_index = np.unique(ids, return_index=True)
        fresh = (before[first_index] == 0).sum()
        self.resolved += int(fresh)
        self.extra += len(ids) - int(fresh)
        return now - self.sent_s[ids]

    @property
    def in_flight(self) -> int:
        """Produced ids with no result yet: the end-to-end lag, in records."""
        return self.produced - int(self.failed[: self.produced].sum()) - self.resolved

    def lost(self) -> int:
        n = self.produced
        return int(((self.results[:n] + self.dead[:n] == 0) & ~self.failed[:n]).sum())

    def duplicates(self) -> int:
        n = self.produced
        return int(np.maximum(self.results[:n].astype(np.int64) - 1, 0).sum())


def request_value(index: int, text: str) -> bytes:
    return json.dumps({"v": 1, "id": str(index), "text": text}, ensure_ascii=False).encode()


class Producer:
    """Sends requests for ids from the ledger; acks are checked, never awaited in the pacing."""

    def __init__(self, aio_producer, ledger: Ledger, topic: str, partitions: int,
                 texts: Iterator[str]) -> None:  # fmt: skip
        self.producer, self.ledger, self.topic = aio_producer, ledger, topic
        self.partitions, self.texts = partitions, texts
        self.pending: set[asyncio.Future] = set()
        self.errors = 0

    async def send(self, count: int) -> None:
        ids = self.ledger.reserve(count)
        records: list[OutRecord] = [
            (self.topic, i % self.partitions, b"%d" % i, request_value(i, next(self.texts)), [])
            for i in ids
        ]
        self.ledger.sent_s[ids.start : ids.stop] = time.time()
        for batch in await send_records(self.producer, records):
            picked = np.asarray(batch.indices, np.int64) + ids.start
            batch.future.add_done_callback(lambda fut, picked=picked: self._acked(fut, picked))
            self.pending.add(batch.future)

    def _acked(self, future: asyncio.Future, ids: np.ndarray) -> None:
        self.pending.discard(future)
        if future.cancelled() or future.exception() is not None:
            self.errors += len(ids)
            self.ledger.failed[ids] = True

    async def burst(self, count: int, chunk: int = 5_000) -> None:
        """`count` requests as fast as the broker takes them (acks awaited per chunk)."""
        for first in range(0, count, chunk):
            await self.send(min(chunk, count - first))
            await self.flush()

    async def paced(self, rate: float, seconds: float, stop: Callable[[], bool],
                    tick_s: float = TICK_S) -> None:  # fmt: skip
        """`rate` requests per second for `seconds`; whatever is due goes out every tick."""
        started = time.monotonic()
        sent = 0
        while not stop():
            elapsed = time.monotonic() - started
            if elapsed >= seconds:
                break
            due = int(elapsed * rate) - sent
            if due > 0:
                await self.send(due)
                sent += due
            await asyncio.sleep(tick_s)

    async def flush(self) -> None:
        if self.pending:
            await asyncio.wait(list(self.pending))


class Reader:
    """Reads the output and dead-letter topics from the start, without a group; every
    result's latency goes to `on_latencies`."""

    def __init__(self, bootstrap: str, output: str, dlq: str, ledger: Ledger,
                 on_latencies: Callable[[np.ndarray], None]) -> None:  # fmt: skip
        self.bootstrap, self.output, self.dlq = bootstrap, output, dlq
        self.ledger, self.on_latencies = ledger, on_latencies
        self.dead_letters = 0
        self.next_offset: dict[TopicPartition, int] = {}
        self.gaps_rechecked = 0  # offset gaps read again (see `_gap`)
        self.gaps = 0  # offset gaps still there after `_GAP_RECHECKS` reads
        self._rechecks: dict[TopicPartition, tuple[int, int]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        # A short fetch wait: the broker holds an empty fetch that long, and a result that
        # lands meanwhile should not wait for it; the pacer lengthens it only while the
        # broker's fetches outlast it (see worker._fetch_pace).
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                    fetch_max_wait_ms=_READ_WAIT_MS)  # fmt: skip
        await consumer.start()
        pacer = FetchPacer(consumer, busy_ms=_READ_WAIT_MS, idle_ms=_READ_WAIT_MS)
        try:
            await consumer.topics()
            tps = [TopicPartition(topic, p) for topic in (self.output, self.dlq)
                   for p in sorted(consumer.partitions_for_topic(topic) or ())]  # fmt: skip
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            self.next_offset = {tp: await consumer.position(tp) for tp in tps}
            while not stop.is_set():
                fetched = await consumer.getmany(timeout_ms=pacer.round_timeout_ms(100))
                for tp, records in fetched.items():
                    if not self._gap(consumer, tp, records):
                        self._settle(tp.topic == self.dlq, records)
                await pacer.after_round(bool(fetched))
        finally:
            await consumer.stop()

    def _gap(self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list) -> bool:
        """True when `records` start past the partition's next offset: read again from there.

        Tansu assigns a batch its offsets before it stores it, so while two replicas produce
        to one partition a fetch at the log's end can return a later batch without an
        earlier one, which is in the log a moment later (Kafka appends under the partition's
        lock). A gap still there after `_GAP_RECHECKS` reads is real: counted, skipped."""
        expected = self.next_offset[tp]
        if records[0].offset > expected:
            first_seen, reads = self._rechecks.get(tp, (expected, 0))
            reads = reads if first_seen == expected else 0  # a new gap starts its count
            if reads < _GAP_RECHECKS:
                self._rechecks[tp] = (expected, reads + 1)
                self.gaps_rechecked += 1
                consumer.seek(tp, expected)
                return True
            self.gaps += 1
        self.next_offset[tp] = records[-1].offset + 1
        return False

    def _settle(self, dead: bool, records: list) -> None:
        ids = np.fromiter((int(r.key) for r in records), np.int64, len(records))
        latencies = self.ledger.settle(ids, dead)
        if dead:
            self.dead_letters += len(ids)
        else:
            self.on_latencies(latencies)
