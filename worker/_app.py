"""The worker process: wires rings, drain pool, Kafka clients and the HTTP endpoints together.

    consumer ─ingest─▶ input ring ─drains (N processes)─▶ output ring ─egress─▶ producer
        ▲                                                                      │ acks
        └──────────────── commit ◀── Delivery (OffsetTracker) ◀────────────────┘

The consumer joins the group only after every drain has warmed its kernels, so partitions
never wait on a compile. Shutdown (SIGTERM/SIGINT or `stop` set): stop fetching, let the
drains finish the batch they hold, produce their results and await the acks (bounded),
commit, leave the group, and only then wait for the drain processes to exit and stop the
producer: the partitions move to another member as soon as nothing here can touch them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaConnectionError

from ringbuffer import Ring

from . import _segments as segments
from ._config import WorkerConfig
from ._delivery import Delivery
from ._dlq_limit import DeadLetterLimit, DeadLetterRatioExceeded
from ._drain import DrainPool, DrainSettings, DrainsKeepDying
from ._egress import Egress
from ._http import HealthServer
from ._ingest import Ingest
from ._kafka import (
    IdempotenceUnavailable,
    partition_lag,
    start_consumer,
    start_producer,
    stop_consumer,
)
from ._metrics import Metrics
from ._produce_errors import ProduceFailed
from ._startup import StartupClock, warm_parent_jit

log = logging.getLogger("worker")

_HOUSEKEEPING_S = 0.25  # drain revival and commit timing; each round wakes an idle parent
# With nothing in flight there is nothing to commit soon: a dead drain is revived within 1 s.
_IDLE_HOUSEKEEPING_S = 1.0


@dataclass(frozen=True, slots=True)
class RingGeometry:
    capacity_records: int
    arena_bytes: int
    max_record_bytes: int

    @classmethod
    def for_bytes(cls, ring_bytes: int) -> RingGeometry:
        arena = 1 << max(12, (ring_bytes - 1).bit_length())  # a power of two, at least 4 KiB
        capacity = 1 << max(6, min(20, (arena // 128).bit_length() - 1))
        return cls(capacity, arena, min(arena // 2, 16 << 20))

    def ring_args(self) -> dict[str, int]:
        return {"capacity_records": self.capacity_records, "arena_bytes": self.arena_bytes,
                "max_record_bytes": self.max_record_bytes}  # fmt: skip


class Worker:
    """One running worker; `run` returns once it has stopped cleanly."""

    def __init__(
        self,
        config: WorkerConfig,
        stop: asyncio.Event | None = None,
        before_join: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`before_join` is awaited once the drains are warm, before the consumer joins
        the group (benches line replicas up with it)."""
        self.config = config
        self.before_join = before_join
        self.stop_requested = stop or asyncio.Event()
        self.metrics = Metrics()
        self.delivery = Delivery(config.input_topic, self.metrics)
        self.http_port: int | None = None
        self.stopping_since: float | None = None  # monotonic time the pipeline began to stop
        self.startup = StartupClock()

    async def run(self) -> int:
        geometry = RingGeometry.for_bytes(self.config.ring_bytes)
        segments.remove_stale()  # before creating: a dead worker's rings may hold the space
        tag = f"grump-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        with (
            Ring.create(f"{tag}-in", **geometry.ring_args()) as inbound,
            Ring.create(f"{tag}-out", **geometry.ring_args()) as outbound,
            segments.hold([inbound, outbound]),
        ):
            segments.check_fits([inbound, outbound], self.config.ring_bytes)
            for ring in (inbound, outbound):  # all their memory now: RSS flat from the start
                ring.map_pages()
            self.inbound, self.outbound = inbound, outbound
            self.pool = DrainPool(self.config.resolved_drain_processes(), inbound, outbound,
                                  self._drain_settings(geometry), self.config.devices)  # fmt: skip
            self.pool.start()
            self.startup.mark("drains spawned")
            http = self._start_http()
            try:
                await self._run_clients(geometry)
            finally:
                self.pool.stop()
                log.info("shutdown: drain processes stopped")
                if http is not None:
                    http.stop()
        return 0

    def _drain_settings(self, geometry: RingGeometry) -> DrainSettings:
        c = self.config
        drains = c.resolved_drain_processes()
        return DrainSettings(c.input_topic, c.backend, c.batch_size, c.max_batch_wait_ms,
                             c.output_format, c.max_text_bytes, geometry.arena_bytes // 4,
                             cpu_threads=max(1, (os.cpu_count() or 1) // drains),
                             max_result_bytes=c.max_result_bytes,
                             max_frame_bytes=geometry.max_record_bytes)  # fmt: skip

    def _start_http(self) -> HealthServer | None:
        if self.config.metrics_port == 0:
            return None
        server = HealthServer(self.config.metrics_port, self.metrics.registry, self.readiness,
                              healthy=self.health)  # fmt: skip
        self.http_port = server.port
        return server.start()

    def ready(self) -> bool:
        """Joined the group, every drain process running and warm, egress sending, not
        stopping."""
        return self.readiness()[0]

    def readiness(self) -> tuple[bool, str]:
        """`ready` and why: one line per drain (warm, warming up, not running), then the rest."""
        egress = getattr(self, "egress", None)
        warm = egress.warm_pids if egress is not None else set()
        lines, drains_ok = [], True
        for slot, pid in enumerate(self.pool.pids()):
            state = "not running" if pid is None else "warm" if pid in warm else "warming up"
            drains_ok = drains_ok and state == "warm"
            lines.append(f"drain {slot}: {state}")
        failed = egress is not None and egress.failure is not None
        stopping = self.stop_requested.is_set()
        lines += [f"group joined: {self.delivery.joined}", f"producing: {not failed}",
                  f"stopping: {stopping}"]  # fmt: skip
        ok = drains_ok and self.delivery.joined and not failed and not stopping
        return ok, ("ready\n" if ok else "not ready\n") + "\n".join(lines)

    def health(self) -> tuple[bool, str]:
        """Alive unless records wait with no ack or commit for `stall_timeout_s`: a wedged
        event loop, ring or drain, which the HTTP thread alone would not notice."""
        stalled_s, limit_s = self.delivery.stalled_s(), self.config.stall_timeout_s
        if stalled_s <= limit_s:
            return True, "ok"
        return False, (
            f"stalled: {self.delivery.pending_records} records pending and none "
            f"acked or committed for {stalled_s:.0f} s (--stall-timeout-s {limit_s:g})"
        )

    def _drains_warm_now(self) -> bool:
        pids = self.pool.pids()
        return None not in pids and set(pids) <= self.egress.warm_pids  # type: ignore[operator]

    async def _run_clients(self, geometry: RingGeometry) -> None:
        c = self.config
        self.metrics.backend_info.labels(c.backend).set(1)
        client_options = c.security().client_options()  # one TLS context for both clients
        # while the drains warm up: the parent's own compiled functions, and the connection
        parent_warm = asyncio.create_task(asyncio.to_thread(warm_parent_jit))
        producer = await start_producer(c.bootstrap_servers, idempotence=c.idempotence,
                                        **client_options)  # fmt: skip
        self.startup.mark("producer connected")
        try:
            await parent_warm
            self.startup.mark("parent warm")
            self.egress = Egress(producer, self.outbound, self.delivery, self.metrics,
                                 (c.input_topic, c.output_topic, c.dlq_topic),
                                 dead_letter_limit=DeadLetterLimit(c.dlq_max_ratio))  # fmt: skip
            egress_task = asyncio.create_task(self.egress.run(), name="egress")
            try:
                if await self._drains_warm(egress_task):
                    await self._consume(geometry, egress_task, client_options)
            finally:
                egress_task.cancel()
                await asyncio.gather(egress_task, return_exceptions=True)
        finally:
            await producer.stop()  # flushes whatever is still queued

    async def _drains_warm(self, egress_task: asyncio.Task[None]) -> bool:
        """Join the group only once every drain has compiled or loaded its kernels: a member
        that takes partitions before it can parse would stall them for the whole warm-up.
        False when asked to stop first."""
        while not self._drains_warm_now():
            if self.stop_requested.is_set():
                return False
            if egress_task.done():
                egress_task.result()  # re-raise what stopped it
            restarted = self.pool.revive()  # raises DrainsKeepDying on a crash loop
            if restarted:
                self.metrics.drain_restarts.inc(restarted)
            await asyncio.sleep(_HOUSEKEEPING_S)
        self.startup.mark("drains warm")
        self._note_drain_startup()
        if self.before_join is not None:
            await self.before_join()
        return not self.stop_requested.is_set()

    async def _consume(
        self, geometry: RingGeometry, egress_task: asyncio.Task[None], client_options: dict
    ) -> None:
        c = self.config
        consumer = await start_consumer(
            c.bootstrap_servers, [c.input_topic], c.group_id,
            on_revoked=self.delivery.on_revoked, on_assigned=self.delivery.on_assigned,
            session_timeout_ms=c.session_timeout_ms,
            heartbeat_interval_ms=c.heartbeat_interval_ms,
            **client_options,
        )  # fmt: skip
        try:
            await self._pipeline(consumer, geometry, egress_task)
        finally:
            await stop_consumer(consumer)
            log.info("shutdown: left the group %.2f s after the stop request",
                     time.monotonic() - self._stop_seen_at())  # fmt: skip

    async def _pipeline(
        self, consumer: AIOKafkaConsumer, geometry: RingGeometry, egress_task: asyncio.Task[None]
    ) -> None:
        self.delivery.consumer = consumer
        max_unacked = max(20_000, 4 * geometry.capacity_records)
        ingest = Ingest(consumer, self.inbound, self.delivery, self.metrics, max_unacked,
                        self.egress.send_dead_letters)  # fmt: skip
        self.delivery.on_assignment_change = lambda: self._assignment_changed(ingest)
        tasks = {
            asyncio.create_task(ingest.run(), name="ingest"),
            asyncio.create_task(self._housekeeping(consumer), name="housekeeping"),
        }
        stop_task = asyncio.create_task(self.stop_requested.wait())
        watched = {*tasks, egress_task, stop_task}
        done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        self.stopping_since = time.monotonic()
        failed = [t for t in done if t is not stop_task and t.exception() is not None]
        ingest.stopping = True
        ingest_task = next(t for t in tasks if t.get_name() == "ingest")
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(ingest_task, timeout=5)
        if not failed:
            await self._finish_in_flight(self.egress)
        for task in (*tasks, stop_task):
            task.cancel()
        await asyncio.gather(*tasks, stop_task, return_exceptions=True)
        await self.delivery.commit()  # acked records only: a failed produce stays uncommitted
        if failed:
            raise failed[0].exception()  # type: ignore[misc]
        if self.egress.failure is not None:  # failed while finishing in-flight batches
            raise self.egress.failure

    async def _finish_in_flight(self, egress: Egress) -> None:
        """Bounded shutdown: drains finish the batch they hold (records still unclaimed in
        the input ring are dropped: never acked, so never committed, so re-read later),
        then egress sends everything the drains produced and waits for the acks."""
        started = time.monotonic()
        deadline = started + self.config.shutdown_timeout_s
        self.pool.finish()  # the processes exit on their own; `run` waits for them last
        drains_deadline = started + self.config.shutdown_timeout_s / 2
        while not self.pool.finished() and time.monotonic() < drains_deadline:
            await asyncio.sleep(0.01)
        # A rebalance from here on must not wait for records no drain will parse now.
        self.delivery.revoke_wait_s = 0.0
        while (self.outbound.stats().occupancy > 0 or egress.busy()) and egress.failure is None:
            if time.monotonic() > deadline:
                log.warning("shutdown: results still in flight after %.0f s; their inputs "
                            "will be re-read", self.config.shutdown_timeout_s)  # fmt: skip
                break
            await asyncio.sleep(0.01)
        elapsed = time.monotonic() - started
        log.info("shutdown: in-flight batches finished in %.2f s (%d unfinished records "
                 "left uncommitted)", elapsed, self.delivery.pending())  # fmt: skip

    def _note_drain_startup(self) -> None:
        spawned = {p.pid: at for p, at in zip(self.pool.processes, self.pool.started_at,
                                              strict=True) if p is not None}  # fmt: skip
        for pid, (imports_s, warm_s) in self.egress.warm_times.items():
            if pid in spawned:
                self.startup.drain_warm(pid, spawned[pid], imports_s, warm_s)

    def _assignment_changed(self, ingest: Ingest) -> None:
        ingest.sync_pause()
        if self.delivery.joined and not self.startup.reported:
            self.startup.mark("joined")
            self.startup.report_ready()

    def _stop_seen_at(self) -> float:
        return self.stopping_since if self.stopping_since is not None else time.monotonic()

    async def _housekeeping(self, consumer: AIOKafkaConsumer) -> None:
        interval_s = self.config.commit_interval_ms / 1000
        last_commit = time.monotonic()
        while True:
            busy = self.delivery.pending_records or self.delivery.tracker.committable()
            await asyncio.sleep(_HOUSEKEEPING_S if busy else _IDLE_HOUSEKEEPING_S)
            restarted = self.pool.revive()
            if restarted:
                self.metrics.drain_restarts.inc(restarted)
            if time.monotonic() - last_commit >= interval_s:
                await self.delivery.commit()
                last_commit = time.monotonic()
                await self._update_gauges(consumer)

    async def _update_gauges(self, consumer: AIOKafkaConsumer) -> None:
        self.egress.update_gpu_utilization()
        for name, ring in (("input", self.inbound), ("output", self.outbound)):
            stats = ring.stats()
            occupancy = stats.occupancy / stats.capacity_records
            self.metrics.ring_occupancy_ratio.labels(name).set(occupancy)
            self.metrics.ring_bytes.labels(name).set(stats.bytes_in_use)
        for tp in list(self.delivery.assigned):
            with contextlib.suppress(Exception):
                lag = await partition_lag(consumer, tp)
                if lag is not None:
                    self.metrics.consumer_lag_records.labels(str(tp.partition)).set(lag)


async def run_worker(config: WorkerConfig, stop: asyncio.Event | None = None) -> int:
    """Run a worker until `stop` is set (or SIGTERM/SIGINT when installed by the caller)."""
    return await Worker(config, stop).run()


def run_worker_main(config: WorkerConfig) -> int:
    """Blocking entry point for `grump worker`: installs SIGTERM/SIGINT handlers."""
    configure_logging(config.log_level, config.log_json)

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("worker starting: group %s, %s → %s, backend %s, %d drain processes",
                 config.group_id, config.input_topic, config.output_topic, config.backend,
                 config.resolved_drain_processes())  # fmt: skip
        try:
            code = await run_worker(config, stop)
        except (DrainsKeepDying, IdempotenceUnavailable, KafkaConnectionError,
                DeadLetterRatioExceeded, ProduceFailed,
                segments.SharedMemoryTooSmall) as error:  # fmt: skip
            log.error("worker failed: %s", error)
            return 1
        log.info("worker stopped")
        return code

    return asyncio.run(main())


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": round(record.created, 3), "level": record.levelname.lower(),
                 "logger": record.name, "msg": record.getMessage()}  # fmt: skip
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str, as_json: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if as_json:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
