"""grump_latency_seconds counts every record (input timestamp → ack), not one per batch."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, Histogram

from ringbuffer import Ring
from worker import _framing as f
from worker._broker import create_topics
from worker._delivery import Delivery
from worker._egress import Egress
from worker._kafka import Idempotence, start_producer
from worker._metrics import Metrics, observe_many


def _samples(histogram: Histogram) -> dict[str, float]:
    return {f"{s.name}{s.labels}": s.value for m in histogram.collect() for s in m.samples
            if not s.name.endswith("_created")}  # fmt: skip


def test_observe_many_equals_one_observe_per_value() -> None:
    buckets = (0.001, 0.01, 0.1, 1.0)
    one = Histogram("one", "", buckets=buckets, registry=CollectorRegistry())
    many = Histogram("many", "", buckets=buckets, registry=CollectorRegistry())
    values = np.array([0.0, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.5, 1.0, 1.5, 99.0, 0.0005])
    for value in values:
        one.observe(float(value))
    observe_many(many, values[:4])
    observe_many(many, values[4:])
    observe_many(many, np.empty(0))
    expected = {k.removeprefix("one"): v for k, v in _samples(one).items()}
    got = {k.removeprefix("many"): v for k, v in _samples(many).items()}
    assert got == {k: pytest.approx(v) for k, v in expected.items()}


def test_every_acked_result_counts_once_with_its_own_wait(bootstrap: str) -> None:
    count = 40
    now_ms = int(time.time() * 1000)
    # half the inputs were stamped 30 s ago, half just now: one sample per batch would
    # count 1 (or 2) and only the old stamp
    stamps = [now_ms - 30_000 if i % 2 else now_ms for i in range(count)]
    frames = [
        f.out_frame(f.RESULT, f.InRecord(0, i, stamps[i], b"k%d" % i, f.CONTENT_JSON, b""),
                    b"id-%d" % i, f.CONTENT_JSON, b"r")
        for i in range(count)
    ]  # fmt: skip

    async def scenario(ring: Ring) -> Metrics:
        await create_topics(bootstrap, {"lat-out": 2, "lat-out.dlq": 1})
        metrics = Metrics()
        delivery = Delivery("lat-in", metrics)
        tp = TopicPartition("lat-in", 0)
        delivery.assigned.add(tp)
        delivery.track(tp, np.arange(count, dtype=np.int64))
        producer = await start_producer(bootstrap, idempotence=Idempotence.OFF)
        egress = Egress(producer, ring, delivery, metrics, ("lat-in", "lat-out", "lat-out.dlq"))
        ring.push_many(*f.pack_frames(frames, [len(x) for x in frames]))
        try:
            while await egress.pump():
                pass
            while delivery.pending():
                await asyncio.sleep(0.01)
        finally:
            await producer.stop()
        return metrics

    with Ring.create(None, capacity_records=256, arena_bytes=1 << 16, max_record_bytes=4096) as r:
        metrics = asyncio.run(scenario(r))
    assert metrics.total("grump_latency_seconds_count") == count
    buckets = {s.labels["le"]: s.value for m in metrics.latency_seconds.collect()
               for s in m.samples if s.name.endswith("_bucket")}  # fmt: skip
    assert buckets["10.0"] == count // 2  # the fresh half; the old half waited ~30 s
    # each record its own wait: 30 s for the old half, plus the few seconds this test took
    assert (
        30 * count // 2 <= metrics.total("grump_latency_seconds_sum") < 30 * count // 2 + 5 * count
    )
