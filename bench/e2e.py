"""End-to-end Kafka bench: local Tansu broker, N intents in, each mode with 1..R replicas.

    python -m bench.e2e --intents 200000 --partitions 8 --modes passthrough [--json]
    python -m bench.e2e --intents 2000000 --partitions 16 \\
        --modes passthrough,grump-gpu,grump-cpu --replicas 1,2,4,8 --json

Every (mode, replicas) pair gets its own consumer group and output topic and reads the same
input topic. Replicas are separate processes that line up before joining, so they join in
one round. The clock runs from the first fetch to the moment every input is acknowledged;
CPU time is read from /proc for the broker, each replica and its drain processes over that
same window. `lost` counts input ids with no record in the output topic, read back after.
Modes live in `bench/_modes.py`, the probes in `bench/_probes.py`, the figures in
`bench/_figures.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import time
from typing import Any

import numpy as np

from bench._figures import row_figures
from bench._modes import MODES, ModeConfig, Slot, all_ready, backend_of
from bench._probes import CpuWindow, GpuSampler, children
from kernels.corpus import iter_intents
from worker._broker import LocalBroker, create_topics
from worker._kafka import OutRecord, read_topic, send_records, start_producer

INPUT_TOPIC = "intents"
PRODUCE_CHUNK = 20_000  # records queued per send_records call: bounds the parent's memory
POLL_S = 0.02


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


def mean_result_bytes(seed: int, sample: int = 300) -> int:
    """The mean size of a real JSON result for this corpus: passthrough writes that much."""
    import kernels

    texts = [t for _, t in zip(range(sample), iter_intents(seed), strict=False)]
    ids = [str(i) for i in range(sample)]
    encoded = kernels.encode_batch(kernels.make_batch(texts, ids, None, "json"), "reference")
    return int(encoded.offsets[-1] / sample)


def produce_row(broker: LocalBroker, args: argparse.Namespace) -> dict:
    """Producing the input is the broker's produce ceiling for one batching client."""
    window = CpuWindow()
    window.start({"broker": [broker.pid], "producer": [os.getpid()]})
    seconds = asyncio.run(
        produce_intents(broker.bootstrap, args.intents, args.partitions, args.seed)
    )
    window.stop()
    return {
        "mode": "produce", "replicas": 1, "intents": args.intents,
        "intents_per_s": round(args.intents / seconds, 1), "wall_s": round(seconds, 2),
        "broker_cores": round(window.spent["broker"][0] / seconds, 2),
        "client_cores": round(window.spent["producer"][0] / seconds, 2),
    }  # fmt: skip


# --- one (mode, replicas) run -----------------------------------------------------------------


def _replica_main(mode: str, config: ModeConfig, index: int, replicas: int, table: Any,
                  stop: Any, results: Any) -> None:  # fmt: skip
    slot = Slot(table, index, replicas, stop)
    report = asyncio.run(MODES[mode](config, slot))
    report["rss_mb"] = _peak_rss_mb()
    results.put((index, report))


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Run:
    """Replicas of one mode, watched from here until every input is acknowledged."""

    def __init__(self, broker: LocalBroker, mode: str, replicas: int, config: ModeConfig,
                 timeout_s: float, idle_timeout_s: float) -> None:  # fmt: skip
        self.broker, self.mode, self.replicas, self.config = broker, mode, replicas, config
        self.timeout_s, self.idle_timeout_s = timeout_s, idle_timeout_s
        context = multiprocessing.get_context("spawn")
        self.table = context.Array("d", replicas * Slot.WIDTH, lock=False)
        self.stop, self.results = context.Event(), context.Queue()
        self.processes = [
            context.Process(target=_replica_main, name=f"bench-{mode}-{k}", args=(
                mode, config, k, replicas, self.table, self.stop, self.results))
            for k in range(replicas)
        ]  # fmt: skip
        self.cpu, self.gpu = CpuWindow(), GpuSampler()
        self.fills: list[float] = []

    def execute(self) -> dict:
        for process in self.processes:
            process.start()
        try:
            watched = self._watch()
        finally:
            self.stop.set()
            reports = self._collect()
        return {**watched, "reports": reports}

    def _watch(self) -> dict:
        """Wait for every input's ack; the clock starts at the earliest replica's first fetch."""
        deadline = time.monotonic() + self.timeout_s
        lined_up = False
        acked = last_acked = 0.0
        last_progress = time.monotonic()
        while True:
            time.sleep(POLL_S)
            now = time.monotonic()
            if not all(p.is_alive() for p in self.processes):
                raise RuntimeError(f"a {self.mode} replica died")
            if now > deadline:
                raise RuntimeError(f"{self.mode} x{self.replicas} timed out")
            if not lined_up:
                if not all_ready(self.table, self.replicas):
                    continue
                lined_up, last_progress = True, now  # consumers join now: windows open
                self.cpu.start(self._pids())
                self.gpu.start()
            acked = sum(Slot.column(self.table, self.replicas, "acked"))
            self.fills.append(max(Slot.column(self.table, self.replicas, "fill")))
            if acked > last_acked:
                last_acked, last_progress = acked, now
            if acked >= self.config.expected or now - last_progress > self.idle_timeout_s:
                break
        ended = time.time()
        self.cpu.stop()
        firsts = [t for t in Slot.column(self.table, self.replicas, "first") if t > 0]
        fills = np.asarray(self.fills or [0.0])
        return {"acked": acked, "wall_s": ended - min(firsts, default=ended),
                "gpu_util": self.gpu.stop(), "cpu": self.cpu.spent,
                "fill_mean": fills.mean(), "fill_max": fills.max()}  # fmt: skip

    def _pids(self) -> dict[str, list[int]]:
        replicas = [p.pid for p in self.processes]
        drains = [c for pid in replicas for c in children(pid) if _is_drain(c)]
        return {"broker": [self.broker.pid], "replica": replicas, "drain": drains}

    def _collect(self) -> list[dict]:
        reports: list[dict] = [{}] * self.replicas
        deadline = time.monotonic() + 120
        for _ in range(self.replicas):
            try:
                index, report = self.results.get(timeout=max(1.0, deadline - time.monotonic()))
                reports[index] = report
            except queue.Empty:
                break
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        return reports


def _is_drain(pid: int) -> bool:
    """A replica's spawned drain, not multiprocessing's resource tracker."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"resource_tracker" not in cmdline.read()
    except OSError:
        return False


def bench_mode(broker: LocalBroker, mode: str, replicas: int, args: argparse.Namespace) -> dict:
    backend = backend_of(mode, args.backend)
    tag = f"{mode}-x{replicas}"
    config = ModeConfig(
        bootstrap=broker.bootstrap, input_topic=INPUT_TOPIC, output_topic=f"results-{tag}",
        group_id=f"bench-{tag}", partitions=args.partitions, expected=args.intents,
        result_bytes=args.result_bytes, backend=backend,
        drains=_drains(backend, replicas, args), devices=_devices(backend, args),
        batch_size=args.batch_size, max_batch_wait_ms=args.max_batch_wait_ms,
    )  # fmt: skip
    topics = {config.output_topic: args.partitions, f"{config.output_topic}.dlq": 1}
    asyncio.run(create_topics(broker.bootstrap, topics))
    run = Run(broker, mode, replicas, config, args.mode_timeout_s, args.idle_timeout_s)
    watched = run.execute()
    if mode == "consume":
        results, lost = int(watched["acked"]), 0  # nothing is written back
    else:
        results, lost = asyncio.run(count_lost(broker.bootstrap, config.output_topic, args.intents))
    return {"mode": mode, "backend": backend if mode.startswith(("grump", "naive")) else "-",
            "replicas": replicas, "intents": args.intents, "results": results, "lost": lost,
            **row_figures(watched)}  # fmt: skip


def _drains(backend: str, replicas: int, args: argparse.Namespace) -> int:
    if args.drains:
        return args.drains
    if backend == "gpu":
        return len(_devices(backend, args))  # one drain per listed device
    return max(1, ((os.cpu_count() or 2) - 2) // replicas)  # leave room for broker + parents


def _devices(backend: str, args: argparse.Namespace) -> tuple[int, ...]:
    if backend not in ("gpu", "auto"):
        return ()
    listed = args.devices or os.environ.get("GRUMP_DEVICES", "0")
    return tuple(int(d) for d in listed.split(",") if d.strip())


# --- verification and report ----------------------------------------------------------------


async def count_lost(bootstrap: str, output_topic: str, expected: int) -> tuple[int, int]:
    """(results read back, input ids without a result); result keys carry the input id."""
    seen = np.zeros(expected, dtype=bool)

    def mark(_tp: object, records: list) -> None:
        ids = np.fromiter((int(r.key) for r in records), dtype=np.int64, count=len(records))
        seen[ids[(ids >= 0) & (ids < expected)]] = True

    results = await read_topic(bootstrap, output_topic, mark)
    return results, int(expected - seen.sum())


def print_table(rows: list[dict]) -> None:
    columns = [c for c in rows[-1] if not isinstance(rows[-1][c], dict)]
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.rjust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).rjust(widths[c]) for c in columns))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intents", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--modes", default="passthrough", help=f"comma list of {sorted(MODES)}")
    parser.add_argument("--replicas", default="1", help="comma list of replica counts")
    parser.add_argument("--result-bytes", type=int, default=0,
                        help="passthrough result size (0: the mean real result)")  # fmt: skip
    parser.add_argument("--backend", default="cpu", choices=("auto", "cpu", "gpu", "reference"),
                        help="parse backend of the grump and naive modes")  # fmt: skip
    parser.add_argument("--drains", type=int, default=0,
                        help="drain processes per grump replica (0: one per GPU, or "
                             "(cores - 2) / replicas)")  # fmt: skip
    parser.add_argument("--devices", default="", help="GPU list, e.g. 0 or 0,0 (GRUMP_DEVICES)")
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--max-batch-wait-ms", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode-timeout-s", type=float, default=900.0)
    parser.add_argument("--idle-timeout-s", type=float, default=30.0)
    parser.add_argument("--broker-log", default=None, help="file for the broker's log")
    parser.add_argument("--json", action="store_true", help="one JSON line per row")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise SystemExit(f"unknown modes {unknown}; known: {sorted(MODES)}")
    replica_counts = [int(r) for r in args.replicas.split(",")]
    args.result_bytes = args.result_bytes or mean_result_bytes(args.seed)
    rows: list[dict] = []
    with LocalBroker(log_path=args.broker_log) as broker:
        asyncio.run(create_topics(broker.bootstrap, {INPUT_TOPIC: args.partitions}))
        rows.append(produce_row(broker, args))
        _emit(rows[-1], args)
        for mode in modes:
            for replicas in replica_counts:
                rows.append(bench_mode(broker, mode, replicas, args))
                _emit(rows[-1], args)
    if not args.json:
        print_table(rows[1:])
    return rows[1:]


def _emit(row: dict, args: argparse.Namespace) -> None:
    """Each row as soon as it is measured: a long run that dies keeps what it had."""
    print(json.dumps(row) if args.json else f"{row['mode']} x{row['replicas']}: "
          f"{row['intents_per_s']:,} intents/s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
