"""LocalBroker lifecycle and create_topics against the real Tansu binary."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from worker._broker import LocalBroker, create_topics, probe_metadata


@pytest.mark.kafka
def test_broker_starts_on_loopback_answers_metadata_and_stops(tmp_path: Path) -> None:
    broker = LocalBroker(log_path=tmp_path / "tansu.log").start()
    try:
        host, port = broker.bootstrap.split(":")
        assert host == "127.0.0.1" and broker.running
        assert probe_metadata(host, int(port))
    finally:
        broker.stop()
    assert not broker.running
    assert not probe_metadata(host, int(port), timeout_s=0.2)
    assert "listening on" in (tmp_path / "tansu.log").read_text()
    broker.stop()  # idempotent


def test_a_binary_that_is_not_a_broker_fails_to_start() -> None:
    with pytest.raises(RuntimeError, match="failed to start"):
        LocalBroker(binary="/bin/false", start_timeout_s=2).start(attempts=2)


def test_create_topics_is_idempotent_and_waits_for_metadata(bootstrap: str) -> None:
    async def scenario() -> list[dict]:
        await create_topics(bootstrap, {"ct-a": 3, "ct-b": 1})
        await create_topics(bootstrap, {"ct-a": 3})
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            return await admin.describe_topics(["ct-a", "ct-b"])
        finally:
            await admin.close()

    described = {t["topic"]: len(t["partitions"]) for t in asyncio.run(scenario())}
    assert described == {"ct-a": 3, "ct-b": 1}
