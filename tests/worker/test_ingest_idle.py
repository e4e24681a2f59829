"""An idle ingest loop (assigned partitions, no records) wakes a few times a second, not 20,
and asks the broker for long fetch waits; records flowing get short ones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from ringbuffer import Ring
from worker._delivery import Delivery
from worker._ingest import Ingest
from worker._kafka import start_producer
from worker._metrics import Metrics


def _ingest_of(consumer: AIOKafkaConsumer, ring: Ring, topic: str) -> Ingest:
    """An ingest loop over the consumer, assigned the topic's four partitions."""
    tps = [TopicPartition(topic, p) for p in range(4)]
    consumer.assign(tps)
    delivery = Delivery(topic, Metrics())
    delivery.assigned.update(tps)

    async def no_dead_letters(_frames: list[bytes]) -> None:
        raise AssertionError("no record here is a dead letter")

    return Ingest(consumer, ring, delivery, Metrics(), 1_000, no_dead_letters)


def test_an_idle_ingest_loop_wakes_rarely(bootstrap: str, fresh_topic: str) -> None:
    async def scenario(ring: Ring) -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await consumer.start()
        try:
            ingest = _ingest_of(consumer, ring, fresh_topic)
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


def test_fetch_waits_are_short_while_records_flow_and_long_when_idle(
    bootstrap: str, fresh_topic: str
) -> None:
    """Tansu holds a fetch at the log's end for its whole max wait: a short one while records
    flow (each hop adds up to it to their latency), a long one when idle (fewer wake-ups)."""

    async def scenario(ring: Ring) -> list[int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                    auto_offset_reset="earliest")  # fmt: skip
        producer = await start_producer(bootstrap, idempotence="off")
        await consumer.start()
        try:
            ingest = _ingest_of(consumer, ring, fresh_topic)
            task = asyncio.create_task(ingest.run())
            seen = [await _fetch_wait_becomes(consumer, lambda ms: ms > 100)]
            await (await producer.send(fresh_topic, b'{"v":1,"id":"1","text":"x"}', partition=0))
            seen.append(await _fetch_wait_becomes(consumer, lambda ms: ms < 100))
            seen.append(await _fetch_wait_becomes(consumer, lambda ms: ms > 100))
            ingest.stopping = True
            await asyncio.wait_for(task, timeout=2)
            return seen
        finally:
            await consumer.stop()
            await producer.stop()

    with Ring.create(None, capacity_records=64, arena_bytes=1 << 16, max_record_bytes=1 << 12) as r:
        idle, busy, idle_again = asyncio.run(scenario(r))
    assert busy < 100 < idle == idle_again, (idle, busy, idle_again)


async def _fetch_wait_becomes(consumer: AIOKafkaConsumer, wanted: Callable[[int], bool]) -> int:
    """The max wait of the consumer's next fetch, once `wanted` holds (10 s at most)."""
    for _ in range(200):
        wait_ms = consumer._fetcher._fetch_max_wait_ms
        if wanted(wait_ms):
            return int(wait_ms)
        await asyncio.sleep(0.05)
    return int(consumer._fetcher._fetch_max_wait_ms)
