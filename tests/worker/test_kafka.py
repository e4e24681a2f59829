"""The aiokafka adapter against a real Tansu broker (no mocks)."""

from __future__ import annotations

import asyncio
import logging
import time

import numpy as np
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given, settings
from hypothesis import strategies as st

from worker._broker import LocalBroker, create_topics, free_loopback_port
from worker._kafka import (
    Idempotence,
    IdempotenceUnavailable,
    OutRecord,
    PartitionChooser,
    fetch_batches,
    read_topic,
    send_records,
    start_consumer,
    start_producer,
    stop_consumer,
)
from worker._kafka import commit as commit_positions
from worker._offsets import OffsetTracker

# Tansu answers JoinGroup after session_timeout_ms / 2: keep joins at ~1 s in tests.
FAST_GROUP = {"session_timeout_ms": 2_000, "heartbeat_interval_ms": 300}


async def _drain(consumer: AIOKafkaConsumer, expected: int, timeout_s: float = 20.0) -> list:
    records: list = []
    deadline = time.monotonic() + timeout_s
    while len(records) < expected and time.monotonic() < deadline:
        for batch in (await fetch_batches(consumer, max_wait_ms=200)).values():
            records.extend(batch)
    return records


async def _produce(bootstrap: str, records: list[OutRecord]) -> None:
    producer = await start_producer(bootstrap, idempotence=Idempotence.OFF)
    try:
        sent = await send_records(producer, records)
        await asyncio.gather(*(batch.future for batch in sent))
    finally:
        await producer.stop()


def test_batch_produce_20k_and_consume_back_with_headers(bootstrap: str, fresh_topic: str) -> None:
    count = 20_000
    records: list[OutRecord] = [
        (fresh_topic, None, f"k{i}".encode() if i % 2 else None, b"v%d" % i, [("id", b"%d" % i)])
        for i in range(count)
    ]

    async def scenario() -> tuple[list, list]:
        producer = await start_producer(bootstrap, idempotence=Idempotence.OFF)
        try:
            sent = await send_records(producer, records)
            await asyncio.gather(*(batch.future for batch in sent))
        finally:
            await producer.stop()
        consumer = await start_consumer(bootstrap, [fresh_topic], "g-roundtrip", **FAST_GROUP)
        try:
            return sent, await _drain(consumer, count)
        finally:
            await stop_consumer(consumer)

    sent, consumed = asyncio.run(scenario())
    assert sorted(i for batch in sent for i in batch.indices) == list(range(count))
    assert len(consumed) == count
    by_id = {int(dict(r.headers)["id"]): r for r in consumed}
    assert sorted(by_id) == list(range(count))
    keyed = by_id[12_345]
    assert keyed.key == b"k12345" and keyed.value == b"v12345"
    assert keyed.partition == DefaultPartitioner()(b"k12345", [0, 1, 2, 3], [0, 1, 2, 3])
    keyless_partitions = [by_id[i].partition for i in range(0, count, 2)]
    assert {p: keyless_partitions.count(p) for p in range(4)} == dict.fromkeys(range(4), 2_500)


def test_full_batches_are_split_and_order_kept(bootstrap: str, fresh_topic: str) -> None:
    value = b"x" * 1_000
    records: list[OutRecord] = [
        (fresh_topic, 2, None, value, [("n", b"%d" % i)]) for i in range(3_000)
    ]

    async def scenario() -> tuple[list, list]:
        producer = await start_producer(bootstrap, idempotence="off", max_batch_bytes=64 * 1024)
        try:
            sent = await send_records(producer, records)
            await asyncio.gather(*(batch.future for batch in sent))
        finally:
            await producer.stop()
        consumer = await start_consumer(bootstrap, [fresh_topic], "g-split", **FAST_GROUP)
        try:
            return sent, await _drain(consumer, len(records))
        finally:
            await stop_consumer(consumer)

    sent, consumed = asyncio.run(scenario())
    assert len(sent) >= 40  # 3 MB through 64 KiB batches
    assert [int(dict(r.headers)["n"]) for r in consumed] == list(range(3_000))
    assert {r.partition for r in consumed} == {2}


def test_committed_offsets_are_where_a_new_group_member_resumes(
    bootstrap: str, fresh_topic: str
) -> None:
    records: list[OutRecord] = [(fresh_topic, 0, None, b"%d" % i, []) for i in range(100)]
    tp = TopicPartition(fresh_topic, 0)

    async def scenario() -> list:
        await _produce(bootstrap, records)
        first = await start_consumer(bootstrap, [fresh_topic], "g-resume", **FAST_GROUP)
        try:
            assert len(await _drain(first, 100)) == 100
            assert await commit_positions(first, {tp: 60})
        finally:
            await stop_consumer(first)
        second = await start_consumer(bootstrap, [fresh_topic], "g-resume", **FAST_GROUP)
        try:
            assert await second.committed(tp) == 60
            return await _drain(second, 40, timeout_s=10)
        finally:
            await stop_consumer(second)

    resumed = asyncio.run(scenario())
    assert [r.offset for r in resumed] == list(range(60, 100))


def test_idempotence_auto_falls_back_once_with_a_warning(
    bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        producer = await start_producer(bootstrap, idempotence="auto")
        try:
            sent = await send_records(producer, [("idem-auto", None, None, b"v", [])])
            await asyncio.gather(*(batch.future for batch in sent))
        finally:
            await producer.stop()

    asyncio.run(create_topics(bootstrap, {"idem-auto": 1}))
    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["worker._kafka"], [r.getMessage() for r in warnings]
    assert "idempotent producer unavailable" in warnings[0].getMessage()


def test_idempotence_on_fails_fast_on_tansu(bootstrap: str) -> None:
    started = time.monotonic()
    with pytest.raises(IdempotenceUnavailable, match="InitProducerId"):
        asyncio.run(start_producer(bootstrap, idempotence=Idempotence.ON))
    assert time.monotonic() - started < 5


def test_two_consumers_in_one_group_split_partitions(bootstrap: str, fresh_topic: str) -> None:
    assignments: dict[str, set[TopicPartition]] = {"a": set(), "b": set()}

    def hooks(name: str):  # noqa: ANN202
        async def assigned(tps: set[TopicPartition]) -> None:
            assignments[name] = set(tps)

        async def revoked(tps: set[TopicPartition]) -> None:
            assignments[name] = set()

        return {"on_assigned": assigned, "on_revoked": revoked}

    async def scenario() -> dict[str, int]:
        records: list[OutRecord] = [(fresh_topic, i % 4, None, b"v", []) for i in range(400)]
        await _produce(bootstrap, records)
        first = await start_consumer(
            bootstrap, [fresh_topic], "g-split2", **FAST_GROUP, **hooks("a")
        )
        second = await start_consumer(
            bootstrap, [fresh_topic], "g-split2", **FAST_GROUP, **hooks("b")
        )
        counts = {"a": 0, "b": 0}
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                len(assignments["a"]) == 2 == len(assignments["b"])
            ):
                fetched = await asyncio.gather(fetch_batches(first), fetch_batches(second))
                for name, batches in zip("ab", fetched, strict=True):
                    counts[name] += sum(len(b) for b in batches.values())
        finally:
            await asyncio.gather(stop_consumer(first), stop_consumer(second))
        return counts

    asyncio.run(scenario())
    assert len(assignments["a"]) == 2 and len(assignments["b"]) == 2
    assert assignments["a"] | assignments["b"] == {TopicPartition(fresh_topic, p) for p in range(4)}


@pytest.mark.kafka
def test_producer_start_waits_for_a_late_broker(tmp_path) -> None:  # noqa: ANN001
    port = free_loopback_port()

    async def scenario() -> None:
        starting = asyncio.ensure_future(start_producer(f"127.0.0.1:{port}", idempotence="off"))
        await asyncio.sleep(1.0)
        assert not starting.done()
        with LocalBroker(port=port, log_path=tmp_path / "late.log"):
            producer = await asyncio.wait_for(starting, 20)
            await producer.stop()

    asyncio.run(scenario())


def test_keyless_round_robin_and_keyed_murmur2_match_aiokafka() -> None:
    chooser = PartitionChooser()
    assert [chooser.choose("t", None, [0, 1, 2]) for _ in range(6)] == [0, 1, 2, 0, 1, 2]
    for key in (b"", b"a", b"abc", b"user-42", bytes(range(200))):
        expected = DefaultPartitioner()(key, list(range(7)), list(range(7)))
        assert chooser.choose("t", key, list(range(7))) == expected


def test_rebalance_moves_partitions_when_members_join_and_leave(
    bootstrap: str, fresh_topic: str
) -> None:
    owned: dict[str, set[TopicPartition]] = {"a": set(), "b": set()}
    revocations = {"a": 0, "b": 0}

    def hooks(name: str) -> dict:
        async def assigned(tps: set[TopicPartition]) -> None:
            owned[name] = set(tps)

        async def revoked(tps: set[TopicPartition]) -> None:
            revocations[name] += 1
            owned[name] = set()

        return {"on_assigned": assigned, "on_revoked": revoked}

    async def poll_until(consumers: list, done, timeout_s: float = 20) -> float:  # noqa: ANN001
        started = time.monotonic()
        while not done() and time.monotonic() - started < timeout_s:
            await asyncio.gather(*(fetch_batches(c, max_wait_ms=50) for c in consumers))
        return time.monotonic() - started

    async def scenario() -> None:
        group = "g-rebalance"
        first = await start_consumer(bootstrap, [fresh_topic], group, **FAST_GROUP, **hooks("a"))
        second = None
        try:
            await poll_until([first], lambda: len(owned["a"]) == 4)
            assert len(owned["a"]) == 4
            second = await start_consumer(
                bootstrap, [fresh_topic], group, **FAST_GROUP, **hooks("b")
            )
            await poll_until([first, second], lambda: len(owned["a"]) == 2 == len(owned["b"]))
            assert len(owned["a"]) == 2 == len(owned["b"]) and revocations["a"] >= 1
            await stop_consumer(second)
            second = None
            await poll_until([first], lambda: len(owned["a"]) == 4)
            assert len(owned["a"]) == 4
        finally:
            await stop_consumer(first)
            if second is not None:
                await stop_consumer(second)

    asyncio.run(scenario())


def test_tracker_commits_stop_at_the_first_unacked_record_and_a_restart_resumes_there(
    bootstrap: str, fresh_topic: str
) -> None:
    tp = TopicPartition(fresh_topic, 1)
    records: list[OutRecord] = [(fresh_topic, 1, None, b"%d" % i, []) for i in range(50)]

    async def scenario() -> tuple[int | None, list[int]]:
        await _produce(bootstrap, records)
        first = await start_consumer(bootstrap, [fresh_topic], "g-tracker", **FAST_GROUP)
        tracker = OffsetTracker()
        try:
            for record_tp, batch in [(r.topic, r) for r in await _drain(first, 50)]:
                tracker.track(TopicPartition(record_tp, batch.partition), [batch.offset])
            tracker.ack(tp, [o for o in range(50) if o != 17])  # 17's result never acked
            assert await commit_positions(first, tracker.committable())
        finally:
            await stop_consumer(first)
        second = await start_consumer(bootstrap, [fresh_topic], "g-tracker", **FAST_GROUP)
        try:
            committed = await second.committed(tp)
            return committed, [r.offset for r in await _drain(second, 33, timeout_s=10)]
        finally:
            await stop_consumer(second)

    committed, redelivered = asyncio.run(scenario())
    assert committed == 17
    assert redelivered == list(range(17, 50))


def test_read_topic_reads_every_record_of_multi_batch_partitions(
    bootstrap: str, fresh_topic: str
) -> None:
    # Several multi-record batches per partition, where Tansu's end offset is the last
    # batch's base offset + 1 rather than the high watermark.
    records: list[OutRecord] = [(fresh_topic, i % 2, None, b"%d" % i, []) for i in range(900)]
    seen: list[int] = []

    async def scenario() -> int:
        for first in range(0, 900, 300):
            await _produce(bootstrap, records[first : first + 300])
        return await read_topic(
            bootstrap, fresh_topic, lambda _tp, batch: seen.extend(int(r.value) for r in batch)
        )

    assert asyncio.run(scenario()) == 900
    assert sorted(seen) == list(range(900))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.integers(1, 64))
def test_keyed_partition_matches_aiokafka_for_any_key(key: bytes, partition_count: int) -> None:
    partitions = list(range(partition_count))
    expected = DefaultPartitioner()(key, partitions, partitions)
    assert PartitionChooser().choose("t", key, partitions) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.binary(max_size=40)), max_size=30), st.integers(1, 64))
def test_batch_choice_equals_one_by_one_choice(keys: list[bytes | None], partition_count: int):
    """Keyed: aiokafka's partition; keyless: the same round-robin turns, also across calls."""
    partitions = list(range(10, 10 + partition_count))
    data = b"".join(k or b"" for k in keys)
    lengths = np.array([-1 if k is None else len(k) for k in keys], np.int64)
    starts = np.zeros(len(keys), np.int64)
    np.cumsum(np.maximum(lengths, 0)[:-1], out=starts[1:])
    one_by_one, batched = PartitionChooser(), PartitionChooser()
    for _ in range(2):
        expected = [one_by_one.choose("t", k, partitions) for k in keys]
        buffer = np.frombuffer(data, np.uint8)
        got = batched.choose_many("t", buffer, starts, lengths, partitions)
        assert got.tolist() == expected
    for key, partition in zip(keys, expected, strict=True):
        if key is not None:
            assert partition == DefaultPartitioner()(key, partitions, partitions)
