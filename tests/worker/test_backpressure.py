"""Backpressure thresholds, with a real ring and a real consumer: fetches pause at 75 % of the
ring's slots, bytes or the unacked-record budget, and resume only at 25 %."""

from __future__ import annotations

import asyncio

import numpy as np
from aiokafka import AIOKafkaConsumer, TopicPartition

from ringbuffer import Ring
from worker._delivery import Delivery
from worker._ingest import HIGH_WATER, LOW_WATER, Ingest
from worker._metrics import Metrics

_SLOTS = 64


async def _no_dead_letters(frames: list[bytes]) -> None:
    raise AssertionError("nothing here is too large")


async def _with_ingest(bootstrap: str, topic: str, scenario) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        tps = {TopicPartition(topic, p) for p in range(4)}
        consumer.assign(list(tps))
        await asyncio.sleep(0.2)  # let the consumer settle its assignment before any pause
        with Ring.create(None, capacity_records=_SLOTS, arena_bytes=1 << 16,
                         max_record_bytes=1 << 12) as ring:  # fmt: skip
            metrics = Metrics()
            delivery = Delivery(topic, metrics)
            ingest = Ingest(consumer, ring, delivery, metrics, 1000, _no_dead_letters)
            scenario(ingest, ring, delivery, consumer, tps)
            await asyncio.sleep(0.2)
    finally:
        await consumer.stop()


def _states(ingest: Ingest, consumer: AIOKafkaConsumer, tps: set) -> tuple[bool, int]:
    ingest._apply_backpressure()
    paused = consumer.paused()
    assert paused in (set(), tps)
    gauge = ingest.metrics.total("grump_paused_partitions")
    assert gauge == (len(tps) if ingest.paused else 0)
    return ingest.paused, len(paused)


def test_the_ring_pauses_at_the_high_mark_and_resumes_at_the_low_mark(
    bootstrap: str, fresh_topic: str
) -> None:
    assert (HIGH_WATER, LOW_WATER) == (0.75, 0.25)

    def scenario(ingest, ring, delivery, consumer, tps) -> None:
        up = {}
        for filled in range(1, _SLOTS + 1):
            ring.push(b"x")
            up[filled] = _states(ingest, consumer, tps)[0]
        assert [n for n, paused in up.items() if paused] == list(range(48, _SLOTS + 1))
        down = {}
        for left in range(_SLOTS - 1, -1, -1):
            claim = ring.claim_batch(1, 1 << 12, timeout=0)
            ring.release(claim)
            down[left] = _states(ingest, consumer, tps)[0]
        assert [n for n, paused in down.items() if not paused] == list(range(16, -1, -1))

    asyncio.run(_with_ingest(bootstrap, fresh_topic, scenario))


def test_unacked_records_pause_fetches_too(bootstrap: str, fresh_topic: str) -> None:
    def scenario(ingest, ring, delivery, consumer, tps) -> None:
        tp = TopicPartition(fresh_topic, 0)
        delivery.assigned.add(tp)
        delivery.track(tp, np.arange(749, dtype=np.int64))
        assert _states(ingest, consumer, tps) == (False, 0)
        delivery.track(tp, np.array([749], np.int64))  # 750 of 1000 unacked
        assert _states(ingest, consumer, tps) == (True, 4)
        delivery.ack(np.zeros(499, np.int64), np.arange(499, dtype=np.int64))  # 251 left
        assert _states(ingest, consumer, tps) == (True, 4)
        delivery.ack(np.zeros(1, np.int64), np.array([499], np.int64))  # 250 left
        assert _states(ingest, consumer, tps) == (False, 0)

    asyncio.run(_with_ingest(bootstrap, fresh_topic, scenario))
