"""An idle egress sleeps on the output ring instead of polling it, and a drain's push still
wakes it: results flow, and nothing is left claimed when it is cancelled."""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

import numpy as np
from aiokafka import TopicPartition

from ringbuffer import Ring
from worker import _framing as f
from worker._broker import create_topics
from worker._delivery import Delivery
from worker._egress import Egress
from worker._kafka import Idempotence, read_topic, start_producer
from worker._metrics import Metrics

_names = itertools.count()


class _CountingRing:
    """The ring, counting claim attempts (each one is a wake-up of the egress loop)."""

    def __init__(self, ring: Ring) -> None:
        self.ring = ring
        self.claims = 0

    def claim_batch(self, *args: Any, **kwargs: Any) -> Any:
        self.claims += 1
        return self.ring.claim_batch(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ring, name)


def _results(count: int) -> tuple[bytes, np.ndarray]:
    frames = [
        f.out_frame(f.RESULT, f.InRecord(0, i, 1_000, b"k%d" % i, f.CONTENT_JSON, b""),
                    b"id-%d" % i, f.CONTENT_JSON, b"result-%d" % i)
        for i in range(count)
    ]  # fmt: skip
    return f.pack_frames(frames, [len(x) for x in frames])


async def _egress(bootstrap: str, ring: Any, count: int) -> tuple[Egress, str]:
    n = next(_names)
    topics = (f"idle-in-{n}", f"idle-out-{n}", f"idle-out-{n}.dlq")
    await create_topics(bootstrap, {topics[1]: 2, topics[2]: 1})
    metrics = Metrics()
    delivery = Delivery(topics[0], metrics)
    tp = TopicPartition(topics[0], 0)
    delivery.assigned.add(tp)
    delivery.track(tp, np.arange(count, dtype=np.int64))
    producer = await start_producer(bootstrap, idempotence=Idempotence.OFF)
    return Egress(producer, ring, delivery, metrics, topics), topics[1]


def _ring() -> Ring:
    return Ring.create(None, capacity_records=1024, arena_bytes=1 << 20, max_record_bytes=1 << 12)


def test_an_idle_egress_sleeps_and_a_push_from_another_thread_wakes_it(bootstrap: str) -> None:
    count = 50

    async def scenario(ring: _CountingRing) -> tuple[int, list, int]:
        egress, output = await _egress(bootstrap, ring, count)
        task = asyncio.create_task(egress.run())
        try:
            await asyncio.sleep(1.0)
            idle_claims = ring.claims
            # a drain pushes from another process; another thread is the same to the futex
            threading.Thread(target=ring.ring.push_many, args=_results(count)).start()
            while egress.delivery.pending():
                await asyncio.sleep(0.01)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await egress.producer.stop()
        records: list = []
        await read_topic(bootstrap, output, lambda _tp, b: records.extend(b), idle_timeout_s=2)
        return idle_claims, records, egress.delivery.pending()

    with _ring() as raw:
        idle_claims, records, pending = asyncio.run(scenario(_CountingRing(raw)))
    # Polling every 2 ms made ~500 claim attempts a second; a waiting egress makes one try
    # and one wait (0.25 s) per round.
    assert idle_claims <= 12, idle_claims
    assert sorted(r.value for r in records) == sorted(b"result-%d" % i for i in range(count))
    assert pending == 0


def test_cancelling_a_waiting_egress_leaves_nothing_claimed(bootstrap: str) -> None:
    async def scenario(ring: Ring) -> None:
        egress, _output = await _egress(bootstrap, ring, 1)
        task = asyncio.create_task(egress.run())
        await asyncio.sleep(0.3)  # inside the thread's wait
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await egress.producer.stop()

    with _ring() as ring:
        asyncio.run(scenario(ring))
        ring.push_many(*_results(3))
        claim = ring.claim_batch(10, 1 << 20, timeout=0)  # every slot is free to claim again
        assert claim is not None and len(claim) == 3
        ring.release(claim)
        assert ring.stats().occupancy == 0
