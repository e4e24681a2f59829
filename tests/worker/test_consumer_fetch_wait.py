"""The group consumer bounds how long a fetch may wait (Tansu holds a fetch that long)."""

from __future__ import annotations

import asyncio

from worker._kafka import start_consumer, stop_consumer


def test_the_consumer_asks_for_a_short_fetch_wait(bootstrap: str, fresh_topic: str) -> None:
    async def waits() -> list[int]:
        found = []
        for options in ({}, {"fetch_max_wait_ms": 20}):
            consumer = await start_consumer(bootstrap, [fresh_topic], "fetch-wait",
                                            session_timeout_ms=2_000, **options)  # fmt: skip
            found.append(consumer._fetcher._fetch_max_wait_ms)
            await stop_consumer(consumer)
        return found

    assert asyncio.run(waits()) == [100, 20]  # aiokafka's own default is 500 ms
