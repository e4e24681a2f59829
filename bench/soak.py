"""Soak bench: a paced producer, real worker replicas, rolling restarts, nothing lost.

    python -m bench.soak                                  # 10 min, 2 replicas, rate measured
    python -m bench.soak --minutes 2 --rate 1000 --restart-every 40 --json
    python -m bench.soak --kill-every 60 --plot /tmp/soak.png --json

Against a `LocalBroker`: `--replicas` `grump worker` processes (one consumer group) read
`--partitions` partitions while this process produces `--rate` intents/s (default: half of
what the replicas sustain, measured first with a burst) for `--minutes`. Before that, the
joined replicas sit idle for `--idle-s` and their CPU is read from /proc. `--restart-every
S` sends SIGTERM to the oldest replica every S seconds and starts a fresh one (a rolling
deploy, one at a time); `--kill-every S` sends SIGKILL instead. Every 10 s: produce-to-result
latency p50/p99/max, the lag (records produced without a result yet), RSS and CPU of every
replica and drain, the broker and this process, and the workers' own
`grump_latency_seconds` from /metrics. At the end: lost ids, duplicates, a table, `--json`,
and `--plot` (matplotlib, the `bench` extra). Windows, summary and plot: `_soak_report.py`;
producer and reader: `_soak_io.py`; replicas: `_fleet.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._fleet import (
    Fleet,
    Replica,
    ReplicaSettings,
    cpu_of,
    first_line_after,
    rss_kb,
    shm_segments,
    startup_steps,
)
from bench._machine import commit, cpu_model
from bench._soak_args import parse_args
from bench._soak_io import Ledger, Producer, Reader
from bench._soak_report import (
    WINDOW_S,
    Restart,
    Window,
    histogram_quantile,
    mark_restarts,
    plot,
    print_table,
    summarize,
)
from kernels.corpus import iter_intents
from worker._broker import LocalBroker, create_topics
from worker._kafka import start_producer

TOPICS = ("soak.in", "soak.out", "soak.dlq")
SAMPLE_S = 1.0


class Soak:
    def __init__(self, args: argparse.Namespace, broker: LocalBroker) -> None:
        self.args, self.broker = args, broker
        self.log_dir = Path(args.out_dir)
        batching = ("--batch-size", str(args.batch_size),
                    "--max-batch-wait-ms", str(args.max_batch_wait_ms))  # fmt: skip
        self.fleet = Fleet(ReplicaSettings(
            broker.bootstrap, TOPICS, "soak", args.backend, args.drains, self.log_dir,
            args.session_timeout_ms, extra=batching))  # fmt: skip
        self.ledger = Ledger()
        self.restarts: list[Restart] = []
        self.rows: list[dict] = []
        self.latencies: list[tuple[float, np.ndarray]] = []
        self.window: Window | None = None
        self.producing = False  # the paced phase: restarts happen only then
        self.measuring = False  # the paced phase and the drain after it: windows are kept
        self.started = 0.0
        self.report: dict[str, Any] = {}
        self._cpu: dict[str, float] = {}

    def now(self) -> float:
        return time.monotonic() - self.started

    async def run(self) -> dict:
        a = self.args
        await create_topics(
            self.broker.bootstrap,
            {TOPICS[0]: a.partitions, TOPICS[1]: a.output_partitions, TOPICS[2]: 1},
        )
        reader = Reader(self.broker.bootstrap, TOPICS[1], TOPICS[2], self.ledger, self._latencies)
        reader_stop = asyncio.Event()
        reader_task = asyncio.create_task(reader.run(reader_stop))
        aio = await start_producer(self.broker.bootstrap, idempotence="auto", linger_ms=0)
        producer = Producer(aio, self.ledger, TOPICS[0], a.partitions, iter_intents(a.seed))
        try:
            await asyncio.gather(*(self._start_replica() for _ in range(a.replicas)))
            await asyncio.sleep(3.0)  # the last join's rebalance settles
            self.report["idle"] = await self._idle(a.idle_s)
            rate = a.rate or await self._calibrate(producer)
            await self._soak(producer, rate)
        finally:
            await asyncio.to_thread(self.fleet.stop_all)
            await asyncio.sleep(1.0)  # results acked during the shutdown reach the reader
            reader_stop.set()
            await reader_task
            await aio.stop()
        self.report.update(rate=rate, produce_errors=producer.errors,
                           dead_letters=reader.dead_letters, read_gaps=reader.gaps,
                           read_gaps_rechecked=reader.gaps_rechecked)  # fmt: skip
        return self._summary()

    # --- phases ---------------------------------------------------------------------------

    async def _start_replica(self) -> Replica:
        replica = self.fleet.start()
        deadline = time.monotonic() + self.args.start_timeout_s
        while not await asyncio.to_thread(replica.is_ready):
            if not replica.alive or time.monotonic() > deadline:
                raise RuntimeError(f"replica {replica.number} did not get ready; see "
                                   f"{self.log_dir}/replica-{replica.number}.log")  # fmt: skip
            await asyncio.sleep(0.2)
        replica.ready_at = time.monotonic()
        return replica

    async def _idle(self, seconds: float) -> dict[str, float]:
        """CPU of the joined replicas' parents and drains with no traffic, from /proc."""
        if seconds <= 0:
            return {}
        pids = self.fleet.pids()
        before = cpu_of(pids["parent"] + pids["drain"])
        await asyncio.sleep(seconds)
        after = cpu_of(list(before))
        pct = {pid: (after.get(pid, cpu) - cpu) / seconds * 100 for pid, cpu in before.items()}
        result = {f"idle_{role}_cpu_pct": round(max((pct[p] for p in pids[role]), default=0), 2)
                  for role in ("parent", "drain")}  # fmt: skip
        _say(f"idle {seconds:.0f} s: " + ", ".join(f"{k} {v}" for k, v in result.items()))
        return result

    async def _calibrate(self, producer: Producer) -> float:
        """Half of what the replicas sustain: a burst, timed until its last result arrives."""
        count = self.args.calibrate_records
        started = time.monotonic()
        await producer.burst(count)
        while self.ledger.in_flight > 0:
            if time.monotonic() - started > 300:
                raise RuntimeError("calibration burst not processed within 300 s")
            await asyncio.sleep(0.05)
        sustained = count / (time.monotonic() - started)
        rate = max(1.0, round(sustained / 2))
        self.report["calibrated_per_s"] = round(sustained, 1)
        _say(f"calibration: {count:,} intents at {sustained:,.0f}/s sustained; rate {rate:,.0f}/s")
        return rate

    async def _soak(self, producer: Producer, rate: float) -> None:
        a = self.args
        self.started = time.monotonic()
        self.window = Window(0.0)
        self.producing = self.measuring = True
        sampler = asyncio.create_task(self._sample(rate))
        chaos = asyncio.create_task(self._chaos())
        try:
            await producer.paced(rate, a.minutes * 60, lambda: False, a.tick_ms / 1000)
            self.producing = False
            await producer.flush()
            await chaos
            deadline = time.monotonic() + a.drain_timeout_s
            while self.ledger.in_flight > 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            self.producing = self.measuring = False
            sampler.cancel()
            await asyncio.gather(sampler, chaos, return_exceptions=True)
            self._close_window({})  # the tail since the last full window
        self.report["soak_s"] = round(self.now(), 1)

    async def _chaos(self) -> None:
        every = self.args.restart_every or self.args.kill_every
        if not every:
            return
        kind = "term" if self.args.restart_every else "kill"
        while True:
            await asyncio.sleep(max(0.0, every * (len(self.restarts) + 1) - self.now()))
            if not self.producing or self.now() > self.args.minutes * 60 - 1:
                return  # no restart as the paced phase ends: the drain is measured calm
            await self._restart(kind)

    async def _restart(self, kind: str) -> None:
        victim = self.fleet.oldest()
        surge = kind == "term" and self.args.surge
        restart = Restart(kind, self.now(), started_s=self.now())
        self.restarts.append(restart)
        if surge:  # a Kubernetes rolling update's default: the new pod is ready first
            replacement = await self._start_replica()
            restart.ready_s = restart.signalled_s = self.now()
        signalled_wall = time.time()
        victim.signal(signal.SIGTERM if kind == "term" else signal.SIGKILL)
        code = await asyncio.to_thread(victim.wait, 60.0)
        restart.exited_s = self.now()
        if code is None:
            victim.signal(signal.SIGKILL)
            await asyncio.to_thread(victim.wait, 10.0)
        self.fleet.retire(victim)
        _say(
            f"[{restart.signalled_s:5.0f}s] SIG{kind.upper()} replica {victim.number}: exit "
            f"{code} after {restart.exited_s - restart.signalled_s:.1f} s"
            + ("" if surge else "; starting another")
        )
        survivors = [r for r in self.fleet.replicas if r is not victim]
        if not surge:
            restart.started_s = self.now()
            replacement = await self._start_replica()
            restart.ready_s = self.now()
        restart.handover_s = await self._handover_s(survivors, signalled_wall)
        restart.startup = startup_steps(self._log(replacement)) or None

    async def _handover_s(self, survivors: list[Replica], signalled_wall: float) -> float | None:
        """Signal → a survivor logs its new assignment. With a surge the old replica's exit
        can come before that rebalance ends: wait for it up to 10 s."""
        for _ in range(50):
            taken = [first_line_after(self._log(r), "assigned", signalled_wall)
                     for r in survivors]  # fmt: skip
            moved = [wall for wall in taken if wall is not None]
            if moved:
                return min(moved) - signalled_wall
            await asyncio.sleep(0.2)
        return None

    def _log(self, replica: Replica) -> Path:
        return self.log_dir / f"replica-{replica.number}.log"

    # --- sampling -------------------------------------------------------------------------

    def _latencies(self, latencies: np.ndarray) -> None:
        if self.window is not None:
            self.window.latencies.append(latencies)

    async def _sample(self, rate: float) -> None:
        near_zero = max(50, rate * self.args.lag_near_s)
        self._cpu_prev = self._cpu_now()
        # what the replicas counted before the soak (the calibration burst) is not a window's
        self._scrape_prev: dict[int, dict[float, float]] = {}
        for replica in self.fleet.replicas:
            scraped = await asyncio.to_thread(replica.scrape)
            if scraped is not None:
                self._scrape_prev[replica.pid] = scraped[0]
        while True:
            await asyncio.sleep(SAMPLE_S)
            lag = self.ledger.in_flight
            assert self.window is not None
            self.window.lag.append(lag)
            for r in self.restarts:
                if r.done_s is not None and r.recovered_s is None and lag <= near_zero:
                    r.recovered_s = self.now()
            self._add_cpu()
            if self.now() >= self.window.start_s + WINDOW_S:
                self._close_window(await asyncio.to_thread(self._window_probes))

    def _cpu_now(self) -> dict[int, tuple[str, float]]:
        pids = self.fleet.pids()
        roles = {**{p: "parent" for p in pids["parent"]}, **{p: "drain" for p in pids["drain"]},
                 self.broker.pid or 0: "broker", os.getpid(): "bench"}  # fmt: skip
        return {pid: (roles[pid], cpu) for pid, cpu in cpu_of(list(roles)).items()}

    def _add_cpu(self) -> None:
        """CPU seconds per role since the last sample; a new process counts from 0."""
        now = self._cpu_now()
        for pid, (role, cpu) in now.items():
            spent = cpu - self._cpu_prev.get(pid, (role, 0.0))[1]
            self._cpu[role] = self._cpu.get(role, 0.0) + max(0.0, spent)
        self._cpu_prev = now

    def _window_probes(self) -> dict[str, Any]:
        """RSS of every replica process, /metrics of each replica, ring segments (a thread)."""
        pids = self.fleet.pids()
        mem = [rss_kb(pid) for pid in pids["parent"] + pids["drain"]]
        buckets: dict[float, float] = {}
        for replica in [r for r in self.fleet.replicas if r.alive]:
            scraped = replica.scrape()
            if scraped is None:
                continue
            before = self._scrape_prev.get(replica.pid, {})
            for bound, count in scraped[0].items():
                buckets[bound] = buckets.get(bound, 0.0) + count - before.get(bound, 0.0)
            self._scrape_prev[replica.pid] = scraped[0]
        p50, p99 = (histogram_quantile(q, buckets) for q in (0.5, 0.99))
        return {"rss_mb": round(sum(m.get("rss", 0) for m in mem) / 1024, 1),
                "anon_mb": round(sum(m.get("anon", 0) for m in mem) / 1024, 1),
                "rss_mb_each": [round(m.get("rss", 0) / 1024, 1) for m in mem],
                "worker_p50_ms": None if p50 is None else round(p50 * 1000, 1),
                "worker_p99_ms": None if p99 is None else round(p99 * 1000, 1),
                "worker_buckets": buckets, "shm": shm_segments(self.fleet.all_pids()),
                "replicas": len(pids["parent"]), "drains": len(pids["drain"])}  # fmt: skip

    def _close_window(self, probes: dict[str, Any]) -> None:
        window = self.window
        if window is None:
            return
        span = max(1e-3, self.now() - window.start_s)
        cores = {f"{role}_cores": round(cpu / span, 2) for role, cpu in self._cpu.items()}
        row = window.row({"produced": self.ledger.produced, **cores, **probes})
        self.rows.append(row)
        self.latencies.append((window.start_s, np.concatenate(window.latencies or [[]])))
        self._cpu = {}
        self.window = Window(window.start_s + WINDOW_S) if self.measuring else None
        _say(f"[{row['t_s']:5.0f}s] produced {row['produced']:,} results "
             f"{self.ledger.resolved:,} lag {row['lag_max']} p50 {row['p50_ms']} p99 "
             f"{row['p99_ms']} max {row['max_ms']} ms (worker p99 {row.get('worker_p99_ms')}) "
             f"rss {row.get('rss_mb')} MB cores parent {cores.get('parent_cores')} drain "
             f"{cores.get('drain_cores')} broker {cores.get('broker_cores')} restarts "
             f"{len(self.restarts)}")  # fmt: skip

    # --- results --------------------------------------------------------------------------

    def _summary(self) -> dict[str, Any]:
        a, ledger = self.args, self.ledger
        end = self.rows[-1]["t_s"] if self.rows else 0.0
        mark_restarts(self.rows, self.restarts, end)
        duplicates = ledger.duplicates()
        kills = sum(1 for r in self.restarts if r.kind == "kill")
        calm = _sum_buckets(row.get("worker_buckets", {}) for row in self.rows
                            if not row["restart"])  # fmt: skip
        worker_p99 = histogram_quantile(0.99, calm)
        return {
            "name": "soak", **summarize(self.rows, self.latencies, self.restarts, end),
            "worker_p99_ms": None if worker_p99 is None else round(worker_p99 * 1000, 1),
            "intents": ledger.produced, "lost": ledger.lost(), "duplicates": duplicates,
            "duplicates_share": round(duplicates / max(1, ledger.produced), 6),
            "duplicates_per_kill": round(duplicates / kills, 1) if kills else None,
            "restarts": len(self.restarts) - kills, "kills": kills,
            "rate": self.report["rate"], "minutes": a.minutes, "replicas": a.replicas,
            "drains": a.drains, "partitions": a.partitions, "backend": a.backend,
            "batch": a.batch_size, **self.report.get("idle", {}),
            **{k: v for k, v in self.report.items() if k not in ("idle", "rate")},
            "shm_end": shm_segments(self.fleet.all_pids()),
            "replica_warnings": _log_lines(self.log_dir, (" WARNING ", " ERROR ", "Traceback")),
            "device": cpu_model(), "commit": commit(),
        }  # fmt: skip


def _sum_buckets(parts: Any) -> dict[float, float]:
    total: dict[float, float] = {}
    for buckets in parts:
        for bound, count in buckets.items():
            total[bound] = total.get(bound, 0.0) + count
    return total


def _log_lines(log_dir: Path, needles: tuple[str, ...]) -> int:
    return sum(1 for path in log_dir.glob("replica-*.log")
               for line in path.read_text(errors="replace").splitlines()
               if any(n in line for n in needles))  # fmt: skip


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.plot:
        import matplotlib  # noqa: F401 - fail now, not after a ten-minute run

    args.out_dir = args.out_dir or tempfile.mkdtemp(prefix="grump-soak-")
    _say(f"logs in {args.out_dir}")
    with LocalBroker(log_path=Path(args.out_dir) / "broker.log") as broker:
        soak = Soak(args, broker)
        summary = asyncio.run(soak.run())
    rows = soak.rows
    if args.plot:
        title = (f"{summary['replicas']} replicas, {summary['rate']:,.0f} intents/s, "
                 f"{summary['backend']}, {summary['device']}, {summary['commit']}")  # fmt: skip
        plot(rows, soak.restarts, args.plot, title)
        summary["plot"] = args.plot
    print_table(rows)
    keys = ("p50_ms", "p99_ms", "p99_ms_restarts", "rss_growth_pct", "lag_recovery_s_max",
            "lost", "duplicates", "idle_parent_cpu_pct", "worker_p99_ms")  # fmt: skip
    print("  ".join(f"{k} {summary.get(k)}" for k in keys))
    if args.json:
        print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main()
