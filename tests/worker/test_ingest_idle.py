"""An idle ingest loop (assigned partitions, no records) wakes a few times a second, not 20."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition

from ringbuffer import Ring
from worker._delivery import Delivery
from worker._ingest import Ingest
from worker._metrics import Metrics


def test_an_idle_ingest_loop_wakes_rarely(bootstrap: str, fresh_topic: str) -> None:
    async def scenario(ring: Ring) -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await consumer.start()
        try:
            tps = [TopicPartition(fresh_topic, p) for p in range(4)]
            consumer.assign(tps)
            delivery = Delivery(fresh_topic, Metrics())
            delivery.assigned.update(tps)

            async def no_dead_letters(_frames: list[bytes]) -> None:
                raise AssertionError("nothing was consumed")

            ingest = Ingest(consumer, ring, delivery, Metrics(), 1_000, no_dead_letters)
            rounds = 0
            check = ingest._apply_backpressure

            def counted() -> None:
                nonlocal rounds
                rounds += 1
                check()

            ingest._apply_backpressure = counted  # type: ignore[method-assign]
            task = asyncio.create_task(ingest.run())
            await asyncio.sleep(1.0)
            ingest.stopping = True
            await asyncio.wait_for(task, timeout=2)
            return rounds
        finally:
            await consumer.stop()

    with Ring.create(None, capacity_records=64, arena_bytes=1 << 16, max_record_bytes=1 << 12) as r:
        rounds = asyncio.run(scenario(r))
    assert 1 <= rounds <= 6, rounds  # a 50 ms fetch wait made ~20 rounds a second
