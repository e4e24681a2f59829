"""Egress against the real local broker: output frames in a ring → records, partitions,
headers, dead letters, acks and metrics; a batch the broker fails (with aiokafka's own error
classes) is sent again with a capped backoff, or stops egress, never loops."""

from __future__ import annotations

import asyncio
import itertools

import numpy as np
import pytest
from aiokafka import TopicPartition
from aiokafka.errors import (
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    TopicAuthorizationFailedError,
)
from aiokafka.partitioner import DefaultPartitioner

from ringbuffer import Ring
from schemas import DeadLetter
from worker import _framing as f
from worker._broker import create_topics
from worker._delivery import Delivery
from worker._dlq_limit import DeadLetterLimit
from worker._egress import Egress
from worker._kafka import Idempotence, read_topic, start_producer
from worker._metrics import Metrics
from worker._produce_errors import ProduceFailed, RetryPolicy

_names = itertools.count()
_KEYS = [None, b"", b"k", "ключ-✓".encode(), bytes(range(256)), b"\xff\xfe\x00"]


def _frames(count: int, dead_every: int) -> list[bytes]:
    """Results (and every `dead_every`-th a dead letter) for inputs on partitions 0-2."""
    frames = []
    for i in range(count):
        key = _KEYS[i % len(_KEYS)] if i % 7 else b"id-%d" % i
        source = f.InRecord(i % 3, i // 3, 1_000 + i, key, f.CONTENT_JSON, b"")
        if i % dead_every == dead_every - 1:
            aux = f.dead_aux("malformed_json", "decode", f"bad byte ü at {i}")
            frames.append(f.out_frame(f.DEAD, source, aux, f.CONTENT_NONE, b"raw-%d" % i))
        else:
            content = f.CONTENT_MSGPACK if i % 2 else f.CONTENT_JSON
            frames.append(f.out_frame(f.RESULT, source, b"id-%d" % i, content, b"result-%d" % i))
    return frames + [f.stats_frame(count, 1_000, {"backend": "cpu"})]


class _Setup:
    def __init__(self, bootstrap: str, ring: Ring) -> None:
        n = next(_names)
        self.bootstrap = bootstrap
        self.topics = (f"eg-in-{n}", f"eg-out-{n}", f"eg-out-{n}.dlq")
        self.metrics = Metrics()
        self.delivery = Delivery(self.topics[0], self.metrics)
        self.ring = ring

    async def start(self, count: int, **options: object) -> Egress:
        await create_topics(self.bootstrap, {self.topics[1]: 5, self.topics[2]: 2})
        for partition in range(3):
            tp = TopicPartition(self.topics[0], partition)
            self.delivery.assigned.add(tp)
            self.delivery.track(tp, np.arange(0, (count - partition + 2) // 3, dtype=np.int64))
        producer = await start_producer(self.bootstrap, idempotence=Idempotence.OFF)
        return Egress(producer, self.ring, self.delivery, self.metrics, self.topics,
                      **options)  # type: ignore[arg-type]  # fmt: skip

    async def read(self, topic: str) -> list:
        records: list = []
        await read_topic(self.bootstrap, topic, lambda _tp, batch: records.extend(batch),
                         idle_timeout_s=2.0)  # fmt: skip
        return records


async def _settle(egress: Egress) -> None:
    """Pump until everything sent is acked (resends included); raises what pump raises."""
    while egress.busy():
        await egress.pump()
        await asyncio.sleep(0.01)


def _ring() -> Ring:
    return Ring.create(None, capacity_records=1024, arena_bytes=1 << 20, max_record_bytes=1 << 12)


def test_results_and_dead_letters_reach_their_topics_like_aiokafka_partitions(
    bootstrap: str,
) -> None:
    count = 600

    async def scenario(setup: _Setup) -> tuple[list, list]:
        egress = await setup.start(count)
        try:
            frames = _frames(count, dead_every=50)
            setup.ring.push_many(*f.pack_frames(frames, [len(x) for x in frames]))
            while await egress.pump():
                pass
            await _settle(egress)
        finally:
            await egress.producer.stop()
        return await setup.read(setup.topics[1]), await setup.read(setup.topics[2])

    with _ring() as ring:
        setup = _Setup(bootstrap, ring)
        results, dead = asyncio.run(scenario(setup))
    assert len(results) == count - count // 50 and len(dead) == count // 50
    for r in results:
        i = int(r.value.removeprefix(b"result-"))
        assert r.key == (_KEYS[i % len(_KEYS)] if i % 7 else b"id-%d" % i)
        if r.key is not None:
            assert r.partition == DefaultPartitioner()(r.key, list(range(5)), list(range(5)))
        content = b"application/msgpack" if i % 2 else b"application/json"
        assert list(r.headers) == [("content-type", content), ("grump-schema-version", b"1"),
                                   ("grump-intent-id", b"id-%d" % i)]  # fmt: skip
    keyless = [r.partition for r in results if r.key is None]
    assert sorted(set(keyless)) == list(range(5))  # round-robin spreads keyless results
    for r in dead:
        i = int(r.value.removeprefix(b"raw-"))
        letter = DeadLetter(r.value, "malformed_json", f"bad byte ü at {i}", "decode",
                            setup.topics[0], i % 3, i // 3)  # fmt: skip
        assert list(r.headers) == letter.headers()
        if r.key is not None:
            assert r.partition == DefaultPartitioner()(r.key, [0, 1], [0, 1])
    assert setup.delivery.pending() == 0
    assert setup.metrics.total("grump_results_produced_total") == len(results)
    assert setup.metrics.total("grump_dead_letters_total") == len(dead)
    assert setup.metrics.total("grump_batch_size_records_count") == 1  # the STATS frame


_FAST = RetryPolicy(max_attempts=3, first_backoff_s=0.05, max_backoff_s=0.1)


async def _fail_first_send(setup: _Setup, egress: Egress, count: int, error: Exception) -> None:
    """Claim `count` frames and hand them to egress as if the broker had failed their
    first send with `error`."""
    frames = _frames(count, dead_every=10)[:-1]
    setup.ring.push_many(*f.pack_frames(frames, [len(x) for x in frames]))
    claim = setup.ring.claim_batch(1024)
    out = egress._unframe(claim)
    setup.ring.release(claim)
    egress.dead_letter_limit.check(out.partition, out.kind == f.DEAD)  # as `_send` does
    failed: asyncio.Future = asyncio.get_running_loop().create_future()
    failed.set_exception(error)
    egress.inflight.add(failed)
    egress.inflight_records += len(out)
    egress._on_ack(out, np.arange(len(out)), 1, failed)


@pytest.mark.parametrize("error", [KafkaTimeoutError(), NotLeaderForPartitionError()])
def test_a_retriable_failure_is_sent_again_acked_once_and_counted_once(
    bootstrap: str, error: Exception
) -> None:
    count = 30
    limit = DeadLetterLimit(max_ratio=0.99)

    async def scenario(setup: _Setup) -> tuple[list, int]:
        egress = await setup.start(count, retry_policy=_FAST, dead_letter_limit=limit)
        try:
            tasks_before = len(asyncio.all_tasks())
            await _fail_first_send(setup, egress, count, error)
            assert setup.delivery.pending() == count
            assert len(asyncio.all_tasks()) == tasks_before, "no task nobody awaits"
            await _settle(egress)
        finally:
            await egress.producer.stop()
        return await setup.read(setup.topics[1]) + await setup.read(setup.topics[2]), 0

    with _ring() as ring:
        setup = _Setup(bootstrap, ring)
        records, _ = asyncio.run(scenario(setup))
    assert sorted(r.value for r in records) == sorted(
        (b"raw-%d" if i % 10 == 9 else b"result-%d") % i for i in range(count)
    )
    assert setup.delivery.pending() == 0
    assert setup.metrics.total("grump_results_produced_total") == count - count // 10
    assert setup.metrics.total("grump_dead_letters_total") == count // 10
    counted = {p: records for p, (records, _dead) in limit._counts.items()}
    assert counted == {0: 10, 1: 10, 2: 10}, "a resend is not counted against the DLQ limit"


@pytest.mark.parametrize(
    "error", [MessageSizeTooLargeError(), TopicAuthorizationFailedError(), ValueError("bug")]
)
def test_a_permanent_failure_stops_egress_at_once_with_the_offsets_unacked(
    bootstrap: str, error: Exception
) -> None:
    count = 30

    async def scenario(setup: _Setup) -> tuple[list, ProduceFailed]:
        egress = await setup.start(count, retry_policy=_FAST)
        try:
            await _fail_first_send(setup, egress, count, error)
            with pytest.raises(ProduceFailed) as stopped:
                await asyncio.wait_for(egress.run(), timeout=5)
            assert not egress.busy(), "nothing queued to be sent again"
        finally:
            await egress.producer.stop()
        return await setup.read(setup.topics[1]), stopped.value

    with _ring() as ring:
        setup = _Setup(bootstrap, ring)
        records, stopped = asyncio.run(scenario(setup))
    assert records == []
    assert setup.delivery.pending() == count
    committable = setup.delivery.tracker.committable()
    assert set(committable.values()) == {0}, "the failed offsets are never committed"
    assert "permanently" in str(stopped) and "uncommitted" in str(stopped)
    if isinstance(error, MessageSizeTooLargeError):
        assert "message.max.bytes" in str(stopped)


def test_a_retriable_failure_that_keeps_failing_stops_egress_after_the_cap(
    bootstrap: str,
) -> None:
    """Every send fails (the error is injected into each ack): three sends, then a stop."""
    count = 20

    async def scenario(setup: _Setup) -> tuple[int, ProduceFailed]:
        egress = await setup.start(count, retry_policy=_FAST)
        sends = 0
        real_on_ack = egress._on_ack

        def failing_ack(out, picked, attempt, future):  # the broker's ack, turned into a failure
            nonlocal sends
            sends += 1
            failed = asyncio.get_running_loop().create_future()
            failed.set_exception(KafkaTimeoutError())
            real_on_ack(out, picked, attempt, failed)

        try:
            egress._on_ack = failing_ack  # type: ignore[method-assign]
            frames = _frames(count, dead_every=1000)[:-1]
            setup.ring.push_many(*f.pack_frames(frames, [len(x) for x in frames]))
            with pytest.raises(ProduceFailed) as stopped:
                await asyncio.wait_for(egress.run(), timeout=10)
        finally:
            await egress.producer.stop()
        return sends, stopped.value

    with _ring() as ring:
        setup = _Setup(bootstrap, ring)
        sends, stopped = asyncio.run(scenario(setup))
    batches = sends // _FAST.max_attempts
    assert batches >= 1 and sends == batches * _FAST.max_attempts
    assert "after 3 sends" in str(stopped)
    assert setup.delivery.pending() == count
