"""The worker joins its consumer group only once every drain has warmed its kernels."""

from __future__ import annotations

import asyncio
import time

import pytest
from worker_process import make_topics

from worker import WorkerConfig
from worker._app import Worker

pytestmark = pytest.mark.kafka


def test_the_consumer_joins_only_after_every_drain_is_warm(bootstrap: str) -> None:
    topics = make_topics(bootstrap, f"warm-{int(time.time() * 1000) % 100000}")
    config = WorkerConfig(
        bootstrap_servers=bootstrap, input_topic=topics.input, output_topic=topics.output,
        dlq_topic=topics.dlq, group_id=topics.group, backend="reference", drain_processes=2,
        metrics_port=0, idempotence="auto", session_timeout_ms=2000, heartbeat_interval_ms=300,
    )  # fmt: skip
    seen: dict[str, object] = {}

    async def main() -> None:
        stop = asyncio.Event()

        async def before_join() -> None:  # the last step before the consumer starts
            seen.update(warm=worker.egress.warm_drains, drains=len(worker.pool.processes),
                        joined=worker.delivery.joined, ready=worker.ready())  # fmt: skip
            stop.set()

        worker = Worker(config, stop, before_join=before_join)
        assert await asyncio.wait_for(worker.run(), timeout=120) == 0

    asyncio.run(main())
    assert seen == {"warm": 2, "drains": 2, "joined": False, "ready": False}
