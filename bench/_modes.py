"""The end-to-end bench's modes. Each runs as one replica process of a consumer group; the
bench starts 1..N replicas of a mode and watches them through their `Slot`s.

A mode is `async def mode(config: ModeConfig, slot: Slot) -> dict`: it lines up with the
other replicas (`slot.line_up()`) before its consumer joins, consumes `config.input_topic`
in `config.group_id`, writes one result per input to `config.output_topic` with the input's
key, reports progress with `slot.update`, and returns its own report once `slot.stopping`.
"""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiokafka import TopicPartition

from worker._kafka import (
    OutRecord,
    commit,
    fetch_batches,
    send_records,
    start_consumer,
    start_producer,
    stop_consumer,
)
from worker._offsets import OffsetTracker


@dataclass(frozen=True)
class ModeConfig:
    bootstrap: str
    input_topic: str
    output_topic: str
    group_id: str
    partitions: int
    expected: int
    result_bytes: int
    backend: str = "cpu"  # parse backend of the `grump` modes
    drains: int = 1  # drain processes per grump replica
    devices: tuple[int, ...] = ()
    batch_size: int = 8192
    max_batch_wait_ms: int = 20
    # Tansu answers a JoinGroup after session_timeout_ms / 2: short keeps the join at ~1 s.
    session_timeout_ms: int = 2_000
    heartbeat_interval_ms: int = 300


class Slot:
    """One replica's row in a shared table of doubles: consumed, acked, ready, ring fill and
    the wall-clock time of its first fetch."""

    WIDTH = 5
    _CONSUMED, _ACKED, _READY, _FILL, _FIRST = range(WIDTH)

    def __init__(self, table: Any, index: int, replicas: int, stop: Any) -> None:
        self.table, self.index, self.replicas, self.stop = table, index, replicas, stop
        self.base = index * self.WIDTH

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()

    def update(self, consumed: float, acked: float, fill: float = 0.0) -> None:
        t, b = self.table, self.base
        if consumed and not t[b + self._FIRST]:
            t[b + self._FIRST] = time.time()  # within one update interval of the first fetch
        t[b + self._CONSUMED], t[b + self._ACKED], t[b + self._FILL] = consumed, acked, fill

    async def line_up(self) -> None:
        """Ready; wait for every other replica, so all join the group in one round."""
        self.table[self.base + self._READY] = 1.0
        while not self.stopping and not all_ready(self.table, self.replicas):
            await asyncio.sleep(0.02)

    @classmethod
    def column(cls, table: Any, replicas: int, name: str) -> list[float]:
        offset = {"consumed": cls._CONSUMED, "acked": cls._ACKED, "fill": cls._FILL,
                  "first": cls._FIRST}[name]  # fmt: skip
        return [table[k * cls.WIDTH + offset] for k in range(replicas)]


def all_ready(table: Any, replicas: int) -> bool:
    return all(table[k * Slot.WIDTH + Slot._READY] == 1.0 for k in range(replicas))


# --- passthrough and consume-only: the broker's and the client's ceiling ------------------------


class Passthrough:
    """consume → produce a fixed result per input (same size as a real one) → ack → commit;
    no decoding. Results go to the input's partition number in the output topic."""

    max_inflight_records = 100_000  # back-pressure: bounds memory while acks lag
    commit_interval_s = 0.2

    def __init__(self, config: ModeConfig, slot: Slot) -> None:
        self.config, self.slot = config, slot
        self.tracker = OffsetTracker()
        self.result = fixed_result(config.result_bytes)
        self.consumed = self.acked = 0
        self.acks: list[tuple[TopicPartition, np.ndarray]] = []
        self.inflight: set[asyncio.Future] = set()
        self.inflight_records = 0
        self.last_commit_s = 0.0

    async def run(self) -> dict:
        self.producer = await start_producer(self.config.bootstrap, idempotence="auto")
        await self.slot.line_up()
        self.consumer = await _consumer(self.config, on_revoked=self._on_revoked)
        try:
            while not self.slot.stopping:
                for tp, records in (await fetch_batches(self.consumer, max_wait_ms=20)).items():
                    await self._forward(tp, records)
                await self._settle(wait=self.inflight_records > self.max_inflight_records)
                self.slot.update(self.consumed, self.acked)
            if self.inflight:
                await asyncio.wait(self.inflight)
            await self._settle(wait=False, force_commit=True)
        finally:
            await self.producer.stop()
            await stop_consumer(self.consumer)
        return {}

    async def _forward(self, tp: TopicPartition, records: list) -> None:
        offsets = np.fromiter((r.offset for r in records), dtype=np.int64, count=len(records))
        self.tracker.track(tp, offsets)
        self.consumed += len(records)
        topic, result = self.config.output_topic, self.result
        out: list[OutRecord] = [(topic, tp.partition, r.key, result, ()) for r in records]
        for batch in await send_records(self.producer, out):
            picked = np.asarray(batch.indices)
            batch.future.add_done_callback(functools.partial(self._on_ack, tp, offsets[picked]))
            self.inflight.add(batch.future)
            self.inflight_records += len(picked)

    def _on_ack(self, tp: TopicPartition, offsets: np.ndarray, future: asyncio.Future) -> None:
        self.inflight.discard(future)
        self.inflight_records -= len(offsets)
        if not future.cancelled() and future.exception() is None:  # else: never committed
            self.acks.append((tp, offsets))

    async def _settle(self, wait: bool, force_commit: bool = False) -> None:
        if wait and self.inflight:
            await asyncio.wait(self.inflight, return_when=asyncio.FIRST_COMPLETED)
        acks, self.acks = self.acks, []
        for tp, offsets in acks:
            self.tracker.ack(tp, offsets)
            self.acked += len(offsets)
        now_s = time.monotonic()
        if force_commit or now_s - self.last_commit_s > self.commit_interval_s:
            await self._commit()
            self.last_commit_s = now_s

    async def _commit(self) -> None:
        positions = self.tracker.committable()
        if await commit(self.consumer, positions):
            self.tracker.mark_committed(positions)

    async def _on_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._commit()  # the last chance to commit what these partitions finished
        self.tracker.revoke(revoked)


def fixed_result(size_bytes: int) -> bytes:
    head, tail = b'{"v":1,"ok":true,"plan":"', b'"}'
    return head + b"x" * max(0, size_bytes - len(head) - len(tail)) + tail


async def passthrough(config: ModeConfig, slot: Slot) -> dict:
    return await Passthrough(config, slot).run()


async def consume_only(config: ModeConfig, slot: Slot) -> dict:
    """Fetch and count, produce nothing: the broker's fetch ceiling for one client."""
    await slot.line_up()
    consumer = await _consumer(config)
    seen = 0
    try:
        while not slot.stopping:
            for records in (await fetch_batches(consumer, max_wait_ms=20)).values():
                seen += len(records)
            slot.update(seen, seen)
    finally:
        await stop_consumer(consumer)
    return {}


# --- the worker ---------------------------------------------------------------------------------


async def grump(config: ModeConfig, slot: Slot) -> dict:
    """The real worker (rings, drain processes, batch kernels, DLQ, at-least-once commits)."""
    from worker._app import Worker
    from worker._config import WorkerConfig

    settings = WorkerConfig(
        bootstrap_servers=config.bootstrap, input_topic=config.input_topic,
        output_topic=config.output_topic, dlq_topic=f"{config.output_topic}.dlq",
        group_id=config.group_id, backend=config.backend, metrics_port=0, idempotence="auto",
        drain_processes=config.drains, devices=config.devices, batch_size=config.batch_size,
        max_batch_wait_ms=config.max_batch_wait_ms,
        session_timeout_ms=config.session_timeout_ms,
        heartbeat_interval_ms=config.heartbeat_interval_ms,
    )  # fmt: skip
    stop = asyncio.Event()
    worker = Worker(settings, stop, before_join=slot.line_up)
    task = asyncio.create_task(worker.run())
    m = worker.metrics
    while not task.done() and not slot.stopping:
        await asyncio.sleep(0.05)
        acked = m.total("grump_results_produced_total") + m.total("grump_dead_letters_total")
        slot.update(m.total("grump_records_consumed_total"), acked, _ring_fill(worker))
    stop.set()
    await task
    return worker_report(worker)


def _ring_fill(worker: Any) -> float:
    ring = getattr(worker, "inbound", None)
    if ring is None:
        return 0.0
    stats = ring.stats()
    return max(stats.occupancy / stats.capacity_records, stats.bytes_in_use / stats.arena_bytes)


def worker_report(worker: Any) -> dict:
    """Histograms and GPU counters from the worker's own metrics registry."""
    report: dict[str, Any] = {"batch_buckets": {}, "drain_batches": {}, "gpu": {}}
    for family in worker.metrics.registry.collect():
        for s in family.samples:
            if s.name == "grump_batch_size_records_bucket":
                report["batch_buckets"][s.labels["le"]] = s.value
            elif s.name in ("grump_batch_size_records_sum", "grump_batch_size_records_count",
                            "grump_kernel_seconds_sum", "grump_jit_compile_seconds"):  # fmt: skip
                report[s.name] = report.get(s.name, 0.0) + s.value
            elif s.name == "grump_drain_batches_total":
                report["drain_batches"][s.labels["drain"]] = int(s.value)
            elif s.name == "grump_gpu_seconds_total":
                key = f"{s.labels['stage']}_s"
                report["gpu"][key] = report["gpu"].get(key, 0.0) + s.value
            elif s.name == "grump_gpu_transfer_bytes_total":
                key = f"{s.labels['direction']}_bytes"
                report["gpu"][key] = report["gpu"].get(key, 0.0) + s.value
    report["drains"] = len(worker.pool.processes)
    return report


# --- the naive loop ------------------------------------------------------------------------------


async def naive(config: ModeConfig, slot: Slot) -> dict:
    """Per record: decode → kernels.parse → encode → send; await the fetch's sends, commit."""
    import kernels
    from schemas import InvalidRecord, decode_request, derived_id

    producer = await start_producer(config.bootstrap, idempotence="auto")
    await slot.line_up()
    consumer = await _consumer(config)
    consumed = acked = 0
    try:
        while not slot.stopping:
            batches = await fetch_batches(consumer, max_wait_ms=20, max_records=1000)
            futures = []
            for tp, records in batches.items():
                consumed += len(records)
                for r in records:
                    try:
                        request = decode_request(r.value, dict(r.headers).get("content-type"))
                    except InvalidRecord:
                        continue
                    ident = request.id or derived_id(tp.topic, tp.partition, r.offset)
                    result = kernels.parse(request.text, request.constraints, ident)
                    value = kernels.encode_result(result, "json")
                    futures.append(await producer.send(config.output_topic, value, key=r.key))
            if futures:
                await asyncio.gather(*futures)
                acked += len(futures)
                await consumer.commit()  # everything fetched so far is produced and acked
            slot.update(consumed, acked)
    finally:
        await producer.stop()
        await stop_consumer(consumer)
    return {}


# --- helpers -------------------------------------------------------------------------------------


async def _consumer(config: ModeConfig, **hooks: Any) -> Any:
    return await start_consumer(
        config.bootstrap, [config.input_topic], config.group_id,
        session_timeout_ms=config.session_timeout_ms,
        heartbeat_interval_ms=config.heartbeat_interval_ms, **hooks,
    )  # fmt: skip


MODES = {
    "passthrough": passthrough,
    "consume": consume_only,
    "grump": grump,  # --backend picks the parser
    "grump-cpu": grump,
    "grump-gpu": grump,
    "naive": naive,
}


def backend_of(mode: str, default: str) -> str:
    """`grump-gpu` → gpu; other modes use --backend (only grump and naive parse)."""
    return mode.removeprefix("grump-") if mode.startswith("grump-") else default
