"""End-to-end Kafka bench: local Tansu broker, N intents in, one worker mode at a time.

    python -m bench.e2e --intents 200000 --partitions 8 --modes passthrough [--json]

Each mode runs in its own process (its CPU time and peak RSS are measured alone) with its
own consumer group and output topic, reading the same input topic. `lost` counts input
ids with no record in the mode's output topic, read back after the mode finishes.
Modes are async callables in `MODES`: `passthrough` (no parsing), `grump` (the worker,
`--backend`, default cpu) and `naive` (decode → parse → send per record).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import queue
import resource
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np
from aiokafka import TopicPartition

from kernels.corpus import iter_intents
from worker._broker import LocalBroker, create_topics
from worker._kafka import (
    OutRecord,
    commit,
    fetch_batches,
    read_topic,
    send_records,
    start_consumer,
    start_producer,
    stop_consumer,
)
from worker._offsets import OffsetTracker

INPUT_TOPIC = "intents"
PRODUCE_CHUNK = 20_000  # records queued per send_records call: bounds the parent's memory


@dataclass(frozen=True)
class ModeConfig:
    bootstrap: str
    input_topic: str
    output_topic: str
    group_id: str
    partitions: int
    expected: int
    result_bytes: int
    idle_timeout_s: float = 30.0
    # Tansu answers a JoinGroup after session_timeout_ms / 2: short keeps the join at ~1 s.
    session_timeout_ms: int = 2_000
    heartbeat_interval_ms: int = 300
    backend: str = "cpu"  # parse backend of the `grump` mode


@dataclass
class ModeStats:
    """What a mode reports back: acked results and their produce→ack latencies (ms)."""

    acked: int = 0
    wall_s: float = 0.0
    latency_ms: np.ndarray = field(default_factory=lambda: np.empty(0))
    service_ms: np.ndarray = field(default_factory=lambda: np.empty(0))  # fetch → ack


Mode = Callable[[ModeConfig], Awaitable[ModeStats]]


class Passthrough:
    """consume → produce a fixed ~1 KB result per input → ack → commit; no decoding at all.

    Results go to the input's partition number in the output topic, so every produced
    batch maps back to offsets of exactly one input partition.
    """

    max_inflight_records = 100_000  # back-pressure: bounds memory while acks lag
    commit_interval_s = 0.2

    def __init__(self, config: ModeConfig) -> None:
        self.config = config
        self.tracker = OffsetTracker()
        self.result = _fixed_result(config.result_bytes)
        self.stats = ModeStats()
        self.latencies: list[np.ndarray] = []
        self.service_ms: list[float] = []
        self.acks: list[tuple[TopicPartition, np.ndarray, np.ndarray, float, float]] = []
        self.inflight: set[asyncio.Future] = set()
        self.inflight_records = 0
        self.failed_batches = 0
        self.last_commit_s = 0.0

    async def run(self) -> ModeStats:
        self.consumer = await start_consumer(
            self.config.bootstrap, [self.config.input_topic], self.config.group_id,
            on_revoked=self._on_revoked,
            session_timeout_ms=self.config.session_timeout_ms,
            heartbeat_interval_ms=self.config.heartbeat_interval_ms,
        )  # fmt: skip
        self.producer = await start_producer(self.config.bootstrap, idempotence="auto")
        try:
            await self._loop()
        finally:
            await self.producer.stop()
            await stop_consumer(self.consumer)
        self.stats.latency_ms = np.concatenate(self.latencies) if self.latencies else np.empty(0)
        self.stats.service_ms = np.asarray(self.service_ms)
        return self.stats

    async def _loop(self) -> None:
        started = None
        last_progress_s = time.monotonic()
        while self.stats.acked < self.config.expected:
            if time.monotonic() - last_progress_s > self.config.idle_timeout_s:
                break
            batches = await fetch_batches(self.consumer, max_wait_ms=20)
            if batches:
                started = started or time.perf_counter()
                last_progress_s = time.monotonic()
                for tp, records in batches.items():
                    await self._forward(tp, records)
            await self._settle(wait=self.inflight_records > self.max_inflight_records)
        if self.inflight:
            await asyncio.wait(self.inflight)
        await self._settle(wait=False, force_commit=True)
        self.stats.wall_s = time.perf_counter() - (started or time.perf_counter())

    async def _forward(self, tp: TopicPartition, records: list) -> None:
        offsets = np.fromiter((r.offset for r in records), dtype=np.int64, count=len(records))
        stamps = np.fromiter((r.timestamp for r in records), dtype=np.int64, count=len(records))
        self.tracker.track(tp, offsets)
        fetched_ms = time.time() * 1000
        topic, result = self.config.output_topic, self.result
        out: list[OutRecord] = [(topic, tp.partition, r.key, result, ()) for r in records]
        for batch in await send_records(self.producer, out):
            picked = np.asarray(batch.indices)
            batch.future.add_done_callback(
                functools.partial(self._on_ack, tp, offsets[picked], stamps[picked], fetched_ms)
            )
            self.inflight.add(batch.future)
            self.inflight_records += len(picked)

    def _on_ack(
        self,
        tp: TopicPartition,
        offsets: np.ndarray,
        stamps: np.ndarray,
        fetched_ms: float,
        future: asyncio.Future,
    ) -> None:
        self.inflight.discard(future)
        self.inflight_records -= len(offsets)
        if future.cancelled() or future.exception() is not None:
            self.failed_batches += 1  # left unacked: never committed, so re-read on restart
            return
        self.acks.append((tp, offsets, stamps, fetched_ms, time.time() * 1000))

    async def _settle(self, wait: bool, force_commit: bool = False) -> None:
        if wait and self.inflight:
            await asyncio.wait(self.inflight, return_when=asyncio.FIRST_COMPLETED)
        acks, self.acks = self.acks, []
        for tp, offsets, stamps, fetched_ms, acked_ms in acks:
            self.tracker.ack(tp, offsets)
            self.latencies.append(acked_ms - stamps)
            self.service_ms.append(acked_ms - fetched_ms)  # one value per produced batch
            self.stats.acked += len(offsets)
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


def _fixed_result(size_bytes: int) -> bytes:
    head, tail = b'{"v":1,"ok":true,"plan":"', b'"}'
    return head + b"x" * max(0, size_bytes - len(head) - len(tail)) + tail


def _passthrough(config: ModeConfig) -> Awaitable[ModeStats]:
    return Passthrough(config).run()


async def _grump(config: ModeConfig) -> ModeStats:
    """The real worker (ring, drain processes, batch kernels) in this process."""
    from worker._app import Worker
    from worker._config import WorkerConfig

    dlq_topic = f"{config.output_topic}.dlq"
    await create_topics(config.bootstrap, {dlq_topic: 1})
    settings = WorkerConfig(
        bootstrap_servers=config.bootstrap, input_topic=config.input_topic,
        output_topic=config.output_topic, dlq_topic=dlq_topic, group_id=config.group_id,
        backend=config.backend, metrics_port=0, idempotence="auto",
        session_timeout_ms=config.session_timeout_ms,
        heartbeat_interval_ms=config.heartbeat_interval_ms,
    )  # fmt: skip
    stop = asyncio.Event()
    worker = Worker(settings, stop)
    task = asyncio.create_task(worker.run())
    stats = ModeStats()
    started = last_progress_s = None
    done = 0.0
    while done < config.expected and not task.done():
        await asyncio.sleep(0.05)
        now = time.monotonic()
        acked = worker.metrics.total("grump_results_produced_total") + worker.metrics.total(
            "grump_dead_letters_total"
        )
        if started is None and worker.metrics.total("grump_records_consumed_total") > 0:
            started = time.perf_counter()  # the first fetch, like the other modes
        if acked > done:
            last_progress_s, done = now, acked
        elif last_progress_s is not None and now - last_progress_s > config.idle_timeout_s:
            break
    stats.wall_s = time.perf_counter() - (started or time.perf_counter())
    stop.set()
    await task
    stats.acked = int(done)
    stats.latency_ms = await _result_latencies(config)
    return stats


async def _result_latencies(config: ModeConfig) -> np.ndarray:
    """Input timestamp → result timestamp (the worker's produce time) per result, in ms."""
    sent: dict[bytes, int] = {}
    await read_topic(config.bootstrap, config.input_topic,
                     lambda _tp, rs: sent.update((r.key, r.timestamp) for r in rs))  # fmt: skip
    latencies: list[int] = []

    def on_results(_tp: object, records: list) -> None:
        latencies.extend(r.timestamp - sent[r.key] for r in records)

    await read_topic(config.bootstrap, config.output_topic, on_results)
    return np.asarray(latencies, dtype=np.float64)


async def _naive(config: ModeConfig) -> ModeStats:
    """The straightforward loop: per record decode → kernels.parse → encode → send; await the
    batch's sends, then commit. One process, no batching of the parse."""
    import kernels
    from schemas import InvalidRecord, decode_request, derived_id

    consumer = await start_consumer(
        config.bootstrap, [config.input_topic], config.group_id,
        session_timeout_ms=config.session_timeout_ms,
        heartbeat_interval_ms=config.heartbeat_interval_ms,
    )  # fmt: skip
    producer = await start_producer(config.bootstrap, idempotence="auto")
    stats, latencies, started = ModeStats(), [], None
    last_progress_s = time.monotonic()
    try:
        while stats.acked < config.expected:
            if time.monotonic() - last_progress_s > config.idle_timeout_s:
                break
            batches = await fetch_batches(consumer, max_wait_ms=20, max_records=1000)
            if not batches:
                continue
            started = started or time.perf_counter()
            last_progress_s = time.monotonic()
            futures, stamps = [], []
            for tp, records in batches.items():
                for r in records:
                    try:
                        request = decode_request(r.value, dict(r.headers).get("content-type"))
                    except InvalidRecord:
                        continue
                    ident = request.id or derived_id(tp.topic, tp.partition, r.offset)
                    result = kernels.parse(request.text, request.constraints, ident)
                    value = kernels.encode_result(result, "json")
                    futures.append(await producer.send(config.output_topic, value, key=r.key))
                    stamps.append(r.timestamp)
            await asyncio.gather(*futures)
            acked_ms = time.time() * 1000
            latencies.extend(acked_ms - stamp for stamp in stamps)
            stats.acked += len(futures)
            await consumer.commit()  # everything fetched so far is produced and acked
    finally:
        await producer.stop()
        await stop_consumer(consumer)
    stats.wall_s = time.perf_counter() - (started or time.perf_counter())
    stats.latency_ms = np.asarray(latencies)
    return stats


MODES: dict[str, Mode] = {"passthrough": _passthrough, "grump": _grump, "naive": _naive}


# --- input ----------------------------------------------------------------------------------


def request_value(index: int, text: str) -> bytes:
    return json.dumps({"v": 1, "id": str(index), "text": text}, ensure_ascii=False).encode()


async def produce_intents(bootstrap: str, count: int, partitions: int, seed: int) -> float:
    """Produce `count` JSON requests, key = id, round-robin partitions; returns seconds taken."""
    producer = await start_producer(bootstrap, idempotence="auto")
    started = time.perf_counter()
    texts = iter_intents(seed)
    try:
        for first in range(0, count, PRODUCE_CHUNK):
            records: list[OutRecord] = [
                (INPUT_TOPIC, i % partitions, b"%d" % i, request_value(i, next(texts)), [])
                for i in range(first, min(first + PRODUCE_CHUNK, count))
            ]
            sent = await send_records(producer, records)
            await asyncio.gather(*(batch.future for batch in sent))
    finally:
        await producer.stop()
    return time.perf_counter() - started


# --- one mode in its own process ------------------------------------------------------------


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """This process and its reaped children (the `grump` mode's drain processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _mode_process(mode_name: str, config: ModeConfig, results: multiprocessing.Queue) -> None:
    cpu_before = _cpu_s()
    stats = asyncio.run(MODES[mode_name](config))
    latency = stats.latency_ms if len(stats.latency_ms) else np.zeros(1)
    service = stats.service_ms if len(stats.service_ms) else np.zeros(1)
    results.put(
        {
            "acked": stats.acked,
            "wall_s": stats.wall_s,
            "cpu_s": _cpu_s() - cpu_before,
            "rss_mb": _peak_rss_mb(),
            "p50_ms": float(np.percentile(latency, 50)),
            "p99_ms": float(np.percentile(latency, 99)),
            "service_p50_ms": float(np.percentile(service, 50)),
            "service_p99_ms": float(np.percentile(service, 99)),
        }
    )


def run_mode_isolated(mode_name: str, config: ModeConfig, timeout_s: float) -> dict:
    context = multiprocessing.get_context("spawn")  # a clean interpreter: RSS is the mode's own
    results = context.Queue()
    process = context.Process(target=_mode_process, args=(mode_name, config, results))
    process.start()
    deadline_s = time.monotonic() + timeout_s
    try:
        while True:
            try:
                return results.get(timeout=1.0)
            except queue.Empty:
                if not process.is_alive() or time.monotonic() > deadline_s:
                    raise RuntimeError(f"mode {mode_name} died or timed out") from None
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()


# --- verification and report ----------------------------------------------------------------


async def count_lost(bootstrap: str, output_topic: str, expected: int) -> tuple[int, int]:
    """(results read back, input ids without a result); result keys carry the input id."""
    seen = np.zeros(expected, dtype=bool)

    def mark(_tp: object, records: list) -> None:
        ids = np.fromiter((int(r.key) for r in records), dtype=np.int64, count=len(records))
        seen[ids[(ids >= 0) & (ids < expected)]] = True

    results = await read_topic(bootstrap, output_topic, mark)
    return results, int(expected - seen.sum())


def bench_mode(broker: LocalBroker, mode_name: str, args: argparse.Namespace) -> dict:
    config = ModeConfig(
        bootstrap=broker.bootstrap,
        input_topic=INPUT_TOPIC,
        output_topic=f"results-{mode_name}",
        group_id=f"bench-{mode_name}",
        partitions=args.partitions,
        expected=args.intents,
        result_bytes=args.result_bytes,
        backend=args.backend,
    )
    asyncio.run(create_topics(broker.bootstrap, {config.output_topic: args.partitions}))
    report = run_mode_isolated(mode_name, config, timeout_s=args.mode_timeout_s)
    results, lost = asyncio.run(count_lost(broker.bootstrap, config.output_topic, args.intents))
    return {
        "mode": mode_name,
        "intents": args.intents,
        "results": results,
        "lost": lost,
        "intents_per_s": round(report["acked"] / max(report["wall_s"], 1e-9), 1),
        "p50_ms": round(report["p50_ms"], 1),
        "p99_ms": round(report["p99_ms"], 1),
        "cpu_s_per_m": round(report["cpu_s"] / args.intents * 1e6, 2),
        "rss_mb": round(report["rss_mb"], 1),
        "service_p50_ms": round(report["service_p50_ms"], 1),
        "service_p99_ms": round(report["service_p99_ms"], 1),
    }


def print_table(rows: list[dict]) -> None:
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.rjust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).rjust(widths[c]) for c in columns))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intents", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--modes", default="passthrough", help=f"comma list of {sorted(MODES)}")
    parser.add_argument("--result-bytes", type=int, default=1024)
    parser.add_argument("--backend", default="cpu", choices=("auto", "cpu", "gpu", "reference"),
                        help="parse backend of the grump mode")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode-timeout-s", type=float, default=900.0)
    parser.add_argument("--broker-log", default=None, help="file for the broker's log")
    parser.add_argument("--json", action="store_true", help="one JSON line per mode")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise SystemExit(f"unknown modes {unknown}; known: {sorted(MODES)}")
    with LocalBroker(log_path=args.broker_log) as broker:
        asyncio.run(create_topics(broker.bootstrap, {INPUT_TOPIC: args.partitions}))
        produce_s = asyncio.run(
            produce_intents(broker.bootstrap, args.intents, args.partitions, args.seed)
        )
        if not args.json:
            print(f"produced {args.intents} intents in {produce_s:.1f}s")
        rows = [bench_mode(broker, mode, args) for mode in modes]
    for row in rows if args.json else ():
        print(json.dumps(row))
    if not args.json:
        print_table(rows)
    return rows


if __name__ == "__main__":
    main()
