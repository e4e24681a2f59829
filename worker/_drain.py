"""Drain processes: claim framed requests from the input ring, parse them in batches, and
push framed results (or dead letters) to the output ring.

Each claimed run is released only after its results are in the output ring, so a drain
that dies mid-batch leaves its claim for `Ring.reclaim_dead` to re-queue: the records are
parsed again (duplicates are possible, losses are not). The pool outlives rebalances; the
parent restarts a drain that dies.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

import kernels
from ringbuffer import Claim, Ring, RingFull
from schemas import ParseFailed

from . import _framing as f
from ._columns import (
    FrameArena,
    InColumns,
    ResultPart,
    concat_blocks,
    in_columns,
    output_frames,
    pack_block,
)
from ._requests import Group, decode_requests
from ._result_limit import DEFAULT_MAX_RESULT_BYTES, bound_results
from ._startup import process_age_s

log = logging.getLogger(__name__)

_CLAIM_POLL_S = 0.2  # how often an idle drain looks at its stop flag
_BATCH_GAP_S = 0.002  # a partial batch stops growing once no record came for this long


@dataclass(frozen=True, slots=True)
class DrainSettings:
    input_topic: str
    backend: str
    batch_size: int
    max_batch_wait_ms: int
    output_format: str
    max_text_bytes: int
    max_claim_bytes: int
    cpu_threads: int = 1  # numba threads per drain: the drains share the cores between them
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES  # key + intent id + result, per record
    max_frame_bytes: int = 1 << 62  # the output ring's record limit


# --- one batch: the pure part, testable without processes ------------------------------------


def parse_records(
    columns: InColumns, settings: DrainSettings, device: int | None = None, slot: int = 0,
    *, fast: bool = True, arena: FrameArena | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Output frames for the framed records in `columns`, as one (arena, offsets) block:
    results in input order per format, then dead letters, then one stats frame per batch.
    A result too large to produce is a `result_too_large` dead letter in its place.

    `device` is the GPU this drain uses (its stats name it), None without one. `fast=False`
    decodes every record one by one (the compiled recogniser's reference). With `arena`,
    the frames are written into its buffer and are valid until its next batch."""
    groups, loose = decode_requests(columns, settings.input_topic, settings.output_format,
                                    settings.max_text_bytes, fast)  # fmt: skip
    parts = [_encode_group(columns, group, settings.backend, (device, slot), loose)
             for group in groups]  # fmt: skip
    return bound_results(output_frames(columns, parts, loose, arena), columns,
                         settings.max_result_bytes, settings.max_frame_bytes)  # fmt: skip


def _encode_group(
    columns: InColumns, group: Group, backend: str, where: tuple[int | None, int],
    loose: list[bytes],
) -> ResultPart:  # fmt: skip
    """What the result frames of one group hold; its stats frame (and any dead letters) go
    to `loose`."""
    gpu_before = kernels.stats()["gpu"] if backend in ("gpu", "auto") else None
    started = time.perf_counter_ns()
    rows, ids = group.rows, (group.batch.ids, group.batch.id_offsets)
    try:
        encoded = kernels.encode_batch(group.batch, backend)
    except Exception:  # one bad intent must not sink the batch: retry them one by one
        log.exception("batch parse failed; retrying its %d intents one by one", len(rows))
        rows, ids, encoded = _encode_one_by_one(columns, group, backend, loose)
    elapsed_ns = time.perf_counter_ns() - started
    device, slot = where
    details = {"backend": kernels.choose_backend(backend, len(group.rows)), "drain": slot}
    if details["backend"] == "gpu":
        details.update(_gpu_details(gpu_before, kernels.stats(), device))
    loose.append(f.stats_frame(len(group.rows), elapsed_ns, details))
    return rows, f.FORMAT_CODES[group.fmt], ids, (encoded.data, encoded.offsets)


def _encode_one_by_one(
    columns: InColumns, group: Group, backend: str, loose: list[bytes]
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], kernels.EncodedResults]:
    """Encode each intent alone; the ones that fail become dead letters in `loose`."""
    kept: list[int] = []
    results: list[bytes] = []
    for k, row in enumerate(group.rows.tolist()):
        try:
            results.append(kernels.encode_batch(_one(group.batch, k, k + 1), backend)[0])
            kept.append(k)
        except Exception:
            aux = f.dead_aux(ParseFailed.code, "parse", "the parser failed on this intent")
            source = columns.record(row)
            loose.append(f.out_frame(f.DEAD, source, aux, f.CONTENT_NONE, source.value))
    ids = pack_block([_one(group.batch, k, k + 1).ids.tobytes() for k in kept])
    return group.rows[kept], ids, kernels.EncodedResults(*pack_block(results))


def _one(batch: kernels.Batch, lo: int, hi: int) -> kernels.Batch:
    """Intents lo..hi of `batch` as a batch of their own."""
    t, d, c = batch.text_offsets, batch.id_offsets, batch.constraint_offsets
    return kernels.Batch(
        batch.texts[t[lo] : t[hi]], t[lo : hi + 1] - t[lo],
        batch.ids[d[lo] : d[hi]], d[lo : hi + 1] - d[lo],
        batch.constraints[c[lo] : c[hi]], c[lo : hi + 1] - c[lo], batch.fmt,
    )  # fmt: skip


def _gpu_details(before: dict[str, Any] | None, after: dict[str, Any], device: int | None) -> dict:
    """What one batch cost the GPU: event-timed copies and kernels, and the memory held."""
    start = before or dict.fromkeys(after["gpu"], 0)
    spent = {name: after["gpu"][name] - start[name] for name in after["gpu"]}
    return {**spent, "device": device or 0, "memory_bytes": after["gpu_memory_bytes"]}


# --- the process loop -------------------------------------------------------------------------


def drain_process(*args: Any) -> None:
    """A pool process's target: `drain_main`, then `finished` is set and the process ends
    at once. Tearing down an interpreter that loaded numba's kernels takes about a second,
    which a rolling restart would wait for."""
    *main_args, finished = args
    drain_main(*main_args)  # an exception ends the process the usual way, traceback and all
    finished.set()
    logging.shutdown()
    os._exit(0)


def drain_main(
    in_name: str,
    out_name: str,
    settings: DrainSettings,
    stop: Any,
    device: int | None = None,
    slot: int = 0,
) -> None:
    """Entry point of a drain process (spawned): loop until the parent sets `stop`.

    `slot` is the drain's place in the pool: its stats name it, so the parent can show how
    the shared input ring spread the batches over the drains."""
    if device is not None:  # before the GPU backend is first imported (lazily, on first use)
        os.environ["CUDA_VISIBLE_DEVICES"] = str(device)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: parent decides
    _share_cores(settings.cpu_threads)
    inbound, outbound = Ring.attach(in_name), Ring.attach(out_name)
    for ring in (inbound, outbound):  # as the parent did: this process's RSS flat from now
        ring.map_pages()
    # a frame over this limit would raise RecordTooLarge in the push and kill the drain
    settings = dataclasses.replace(settings, max_frame_bytes=outbound.max_record_bytes)
    parent = os.getppid()
    _warm_up(outbound, settings, stop)
    arena = FrameArena()  # a batch's frames are pushed before the next batch is written
    while not stop.is_set() and os.getppid() == parent:  # an orphaned drain exits
        claims = _claim_batch(inbound, settings)
        if not claims:
            continue
        buffer, offsets = concat_blocks([(claim.buffer, claim.offsets) for claim in claims])
        data, offsets = parse_records(in_columns(buffer, offsets), settings, device, slot,
                                      arena=arena)  # fmt: skip
        if not _push_all(outbound, data, offsets, stop):
            return  # stopping with results unpushed: the claims stay for reclaim_dead
        for claim in claims:
            inbound.release(claim)


def _share_cores(threads: int) -> None:
    """N drains each running numba's default of one thread per core would oversubscribe
    the machine N times (and idle OpenMP threads spin)."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def warm_backends(backend: str, batch_size: int) -> list[str]:
    """The backends this drain's batches will run on. `auto` sends a full batch to the GPU
    when there is one and a partial one to the CPU, so it warms both; warming with one
    intent alone would only ever compile the CPU kernels."""
    if backend != "auto":
        return [backend]
    return sorted({"cpu", kernels.choose_backend("auto", batch_size)})


def warm_up_columns() -> InColumns:
    """One framed JSON request in a writable buffer, as a claim from the ring hands over: a
    read-only buffer is another numba type, and the first real batch would compile the
    request and frame loops again (seconds, with partitions already assigned)."""
    value = b'{"v":1,"id":"warm-up","text":"warm up the parser"}'
    frame = f.IN_HEADER.pack(0, 0, 0, 4, f.CONTENT_JSON) + b"warm" + value
    data, offsets = f.pack_frames([frame], [len(frame)])
    return in_columns(np.frombuffer(data, np.uint8).copy(), offsets)


def _warm_up(outbound: Ring, settings: DrainSettings, stop: Any) -> None:
    """Parse one framed request on every backend the drain will use before claiming
    anything, the whole batch step (columns, kernels, result frames, size bounds): the first
    call compiles (numba) or loads each of them, and the parent reports ready only once
    every drain got past it."""
    before_ms = round(process_age_s() * 1000)
    started = time.perf_counter_ns()
    columns = warm_up_columns()
    batch = kernels.make_batch(["warm up the parser"], ["warm-up"], None, "json")
    for backend in warm_backends(settings.backend, settings.batch_size):
        kernels.encode_batch(batch, backend)  # raises where the backend cannot run here
        # parse_records would turn that into dead letters; here it loads the frame writers
        warm = dataclasses.replace(settings, backend=backend)
        parse_records(columns, warm)
    frame = f.warm_frame(os.getpid(), time.perf_counter_ns() - started, before_ms)
    _push_all(outbound, frame, np.array([0, len(frame)], np.int64), stop)


def _claim_batch(ring: Ring, settings: DrainSettings) -> list[Claim]:
    """Claims adding up to batch_size records. A partial batch waits for more only while
    they keep coming (a pause of _BATCH_GAP_S ends it), and never past max_batch_wait_ms:
    ingest pushes a whole fetch at once, so once a fetch's records are claimed the next
    ones are a broker round trip away, and waiting for them would only add latency."""
    first = ring.claim_batch(settings.batch_size, settings.max_claim_bytes, _CLAIM_POLL_S)
    if first is None:
        return []
    claims, count = [first], len(first)
    deadline = time.monotonic() + settings.max_batch_wait_ms / 1000
    while count < settings.batch_size:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        wait = min(left, _BATCH_GAP_S)
        more = ring.claim_batch(settings.batch_size - count, settings.max_claim_bytes, wait)
        if more is None:
            break
        claims.append(more)
        count += len(more)
    return claims


def _push_all(ring: Ring, data: bytes | np.ndarray, offsets: Any, stop: Any) -> bool:
    pushed = 0
    while pushed < len(offsets) - 1:
        try:
            pushed += ring.push_many(data, offsets[pushed:], timeout=_CLAIM_POLL_S)
        except RingFull as full:
            pushed += full.pushed
            if stop.is_set():
                return False
    return True


# --- the pool ---------------------------------------------------------------------------------


class DrainsKeepDying(RuntimeError):
    """Drain processes die right after starting (a backend that cannot run here?)."""


class DrainPool:
    """N spawned drain processes kept alive across rebalances; `revive` restarts dead ones.

    A drain that dies within EARLY_DEATH_S of its start, MAX_EARLY_DEATHS times in a row,
    stops the worker instead of restarting forever."""

    EARLY_DEATH_S = 10.0
    MAX_EARLY_DEATHS = 3

    def __init__(
        self,
        count: int,
        inbound: Ring,
        outbound: Ring,
        settings: DrainSettings,
        devices: tuple[int, ...] = (),
    ) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._args = (inbound.name, outbound.name, settings, self._stop)
        self._devices = devices  # drain i uses GPU devices[i % len(devices)]
        self._rings = (inbound, outbound)
        self.processes: list[Any] = [None] * count
        self._finished: list[Any] = [None] * count  # set by a drain once its last batch is out
        self.started_at = [0.0] * count
        self._early_deaths = 0

    def start(self) -> None:
        for slot in range(len(self.processes)):
            self._spawn(slot)

    def _spawn(self, slot: int) -> None:
        self._finished[slot] = self._context.Event()
        process = self._context.Process(
            target=drain_process,
            args=(
                *self._args,
                self._devices[slot % len(self._devices)] if self._devices else None,
                slot,
                self._finished[slot],
            ),
            name=f"grump-drain-{slot}",
            daemon=True,
        )
        process.start()
        self.processes[slot] = process
        self.started_at[slot] = time.monotonic()

    def pids(self) -> list[int | None]:
        """Each slot's drain process id, None where it is not running."""
        return [p.pid if p is not None and p.is_alive() else None for p in self.processes]

    def all_alive(self) -> bool:
        return all(p is not None and p.is_alive() for p in self.processes)

    def revive(self) -> int:
        """Restart dead drains and re-queue what they had claimed; returns how many died."""
        dead = [slot for slot, p in enumerate(self.processes) if not p.is_alive()]
        if not dead or self._stop.is_set():
            return 0
        for slot in dead:
            self.processes[slot].join(timeout=1)
            log.warning("drain %d died (exit %s); restarting it", slot,
                        self.processes[slot].exitcode)  # fmt: skip
            early = time.monotonic() - self.started_at[slot] < self.EARLY_DEATH_S
            self._early_deaths = self._early_deaths + 1 if early else 0
        if self._early_deaths >= self.MAX_EARLY_DEATHS:
            raise DrainsKeepDying(
                f"drain processes died {self._early_deaths} times right after starting; "
                "see their traceback above (is the backend available here?)"
            )
        for ring in self._rings:
            ring.reclaim_dead()
        for slot in dead:
            self._spawn(slot)
        return len(dead)

    def finish(self) -> None:
        """Drains finish the batch they hold, push its results, and exit; `finished` says
        when that is done, `stop` waits for the processes."""
        self._stop.set()

    def finished(self) -> bool:
        """Every drain pushed its last results (or is gone: what it held is reclaimable)."""
        return all(p is None or not p.is_alive() or done.is_set()
                   for p, done in zip(self.processes, self._finished, strict=True))  # fmt: skip

    def stop(self, timeout_s: float = 5.0) -> None:
        """`finish`, then wait for the processes to exit (terminated after `timeout_s`)."""
        self.finish()
        deadline = time.monotonic() + timeout_s
        for process in self.processes:
            process.join(timeout=max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(timeout=2)
