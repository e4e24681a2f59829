"""How long the broker may hold each Fetch: short while records flow, long once idle, and
longer whenever a fetch came back empty although records were waiting.

A fetch that outlasts its max wait comes back empty on Tansu's memory store, with the high
watermark past the consumer's position: the store lists every stored batch of a partition
on each fetch, so a fetch's cost grows with the partition's history, and a fixed short wait
starves the consumer for good once the log is long enough (one partition of one-record
batches: 10 ms waits still got records at 10,000 stored batches and none at 15,000; 1 ms
waits none at 1,500). Kafka answers as soon as records are there, so a longer wait costs it
nothing while records flow.
"""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer

from ._kafka import partition_lag, set_fetch_wait

# Far below aiokafka's 40 s request timeout: a fetch that needs longer is a broken broker.
_MAX_WAIT_MS = 5_000


class FetchPacer:
    """Sets a consumer's broker wait around every `getmany` round.

    `busy_ms` while records flow; `idle_ms` once none came for `idle_after_s` (fewer
    wake-ups for an idle consumer). Tansu holds every fetch for its whole wait, records or
    not, so the wait is latency and stays short unless a round proves it too short: one
    that got nothing in three waits or more while an unpaused partition had records past
    the consumer's position. That doubles the busy wait; `relax_after_s` without such a
    round halves it again, so a broker that was slow once is not paid for forever.
    """

    def __init__(self, consumer: AIOKafkaConsumer, *, busy_ms: int = 20, idle_ms: int = 500,
                 idle_after_s: float = 1.0, relax_after_s: float = 300.0) -> None:  # fmt: skip
        self.consumer = consumer
        self.floor_ms = busy_ms
        self.busy_ms = busy_ms
        self.idle_ms = idle_ms
        self.idle_after_s = idle_after_s
        self.relax_after_s = relax_after_s
        self.last_records_at = -idle_after_s  # idle until the first records
        self.last_starved_at = 0.0
        self.wait_ms = 0  # what the consumer was last told; 0: not yet (its own setting)
        self.round_ms = 0

    def round_timeout_ms(self, base_ms: int) -> int:
        """The next `getmany` timeout: `base_ms`, and at least three broker waits, so that a
        round which gets nothing saw whole fetch responses come back empty."""
        self.round_ms = max(base_ms, 3 * self.wait_ms)
        return self.round_ms

    async def after_round(self, got_records: bool) -> bool:
        """Pace the next fetches after a round that did or did not return records; True
        when that round was starved."""
        now = time.monotonic()
        starved = False
        if got_records:
            self.last_records_at = now
        elif self.round_ms >= 3 * self.wait_ms and await fetch_starved(self.consumer):
            starved = True
            self.last_starved_at = now
            self.busy_ms = min(_MAX_WAIT_MS, self.busy_ms * 2)
        if self.busy_ms > self.floor_ms and now - self.last_starved_at >= self.relax_after_s:
            self.last_starved_at = now
            self.busy_ms = max(self.floor_ms, self.busy_ms // 2)
        idle = now - self.last_records_at >= self.idle_after_s
        wanted = max(self.idle_ms, self.busy_ms) if idle else self.busy_ms
        if wanted != self.wait_ms:
            self.wait_ms = wanted
            set_fetch_wait(self.consumer, wanted)
        return starved


async def fetch_starved(consumer: AIOKafkaConsumer) -> bool:
    """True when an assigned, unpaused partition has records past the consumer's position."""
    for tp in consumer.assignment() - consumer.paused():
        if (await partition_lag(consumer, tp) or 0) > 0:
            return True
    return False
