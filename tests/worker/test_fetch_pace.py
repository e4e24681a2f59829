"""A fetch wait shorter than the broker's fetch takes must not starve the consumer: the pacer
sees records waiting past the position and lengthens the wait until they come."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from worker._fetch_pace import FetchPacer
from worker._kafka import start_producer

# Tansu lists a partition's stored batches on every fetch. With a 1 ms wait, 1,500 one-record
# batches still let a fetch through now and then (one record each); from 3,000 on none came
# in 30 tries, so 4,000 makes the fixed wait's starvation certain, not likely.
_BATCHES = 4_000
_WAIT_MS = 1


async def _long_history(bootstrap: str, topic: str) -> TopicPartition:
    tp = TopicPartition(topic, 0)
    producer = await start_producer(bootstrap, idempotence="off", linger_ms=0)
    try:
        sent = []
        for i in range(_BATCHES):
            batch = producer.create_batch()
            batch.append(key=None, value=str(i).encode(), timestamp=None)
            sent.append(await producer.send_batch(batch, tp.topic, partition=tp.partition))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return tp


async def _read_tail(bootstrap: str, tp: TopicPartition, paced: bool) -> tuple[int, int]:
    """Records read from the last 100 offsets within 5 s, and the final broker wait."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                fetch_max_wait_ms=_WAIT_MS)  # fmt: skip
    await consumer.start()
    try:
        consumer.assign([tp])
        consumer.seek(tp, _BATCHES - 100)
        pacer = FetchPacer(consumer, busy_ms=_WAIT_MS, idle_ms=_WAIT_MS)
        read, deadline = 0, time.monotonic() + 5.0
        while read < 100 and time.monotonic() < deadline:
            fetched = await consumer.getmany(tp, timeout_ms=pacer.round_timeout_ms(100))
            got = sum(len(records) for records in fetched.values())
            read += got
            if paced:
                await pacer.after_round(got > 0)
        return read, consumer._fetcher._fetch_max_wait_ms
    finally:
        await consumer.stop()


def test_a_too_short_fetch_wait_is_lengthened_until_records_come(
    bootstrap: str, fresh_topic: str
) -> None:
    async def scenario() -> tuple[tuple[int, int], tuple[int, int]]:
        tp = await _long_history(bootstrap, fresh_topic)
        return await _read_tail(bootstrap, tp, False), await _read_tail(bootstrap, tp, True)

    (fixed_read, fixed_wait), (paced_read, paced_wait) = asyncio.run(scenario())
    assert fixed_read < 100 and fixed_wait == _WAIT_MS  # the broker starves a fixed 1 ms wait
    assert paced_read == 100 and paced_wait > _WAIT_MS, (paced_read, paced_wait)
