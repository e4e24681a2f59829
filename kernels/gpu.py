"""The CUDA backend: the CPU backend's stage functions compiled for the GPU, run as a pipeline.

A batch is cut into groups spread over LANES streams. Each group is uploaded from page-
locked staging (H2D), parsed by one thread per intent in three kernels (the rules, the
user story, then the result's size; threads take intents in order of length, so a warp's
threads do similar work, the longest first in a launch of several waves), and
prefix-summed on the device. A launch of one wave runs the story beside the rules on a
second stream, cutting its own tokens; a larger one runs it after the rules, whose scan
cut them. The story's state-machine registers live in each thread's local memory.
Once every group's size is known, one page-locked arena is taken for the whole batch; then
each group's write kernel fills a device buffer that is copied (D2H) straight into its
place in that arena. Lanes overlap one group's copies with another's kernels. Several GPUs:
`encode_batch_multi` hands batches to one thread per device from one queue.

Importing `kernels` never imports this module; it loads on first GPU use.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._api import GPU_TIME_FIELDS
from ._jit import CACHE_DIR  # noqa: F401  (cache directory first)
from ._layout import (
    M_OUT_LEN,
    M_STORY_TOK,
    MARK_ROWS,
    META,
    PARSE_STORY_APART,
    REC_ROWS,
    SCR_ROWS,
    STORY_META_END,
)
from ._pinned import ResultArenas, StagingBuffer, pinned_int64
from .batch import Batch, EncodedResults, groups, parse_format
from .rules.intent import parse_rules, size_one, story_one
from .tables import packed_tables
from .write.result import write_result
from .write.wire import FMT_JSON, FMT_MSGPACK

# Text bytes per group (~100 B of device records per text byte), and streams: while one
# lane's group uploads (or downloads), the other's kernels run. A sweep on an H200, 1M
# intents, one process: 2 lanes of 16 MB groups 5.59-5.65M/s; 3 lanes of 32 MB (before)
# 4.88M/s, of 16 MB 4.82-5.03M/s; 2 lanes of 32 MB 5.05M/s, of 8 MB 5.14M/s; 1 lane 4.03M/s.
# A third lane only runs more kernels side by side, and larger groups leave a longer last
# copy that nothing overlaps.
GROUP_BYTES = 16 << 20
LANES = 2
_FORMATS = {"json": FMT_JSON, "msgpack": FMT_MSGPACK}
# Threads per block: 256 when a launch fills every SM at least twice, else 128, so a small
# batch still spreads over many SMs (H200: 256 gave 3.05M/s against 2.81M/s at 1M intents,
# 128 was 12 % faster at 10k). 0 in DeviceContext picks by launch size.
THREADS_PER_BLOCK = 0
# A launch of at least this many intents per SM runs its blocks in more than one wave: its
# threads take the longest intents first, so the last wave holds short ones and no long block
# runs alone at the end (H200, 1M intents: 6.44-6.50M/s against 5.55-5.58M/s shortest first).
# A smaller launch keeps shortest first: all its blocks start at once, so the order cannot
# shorten its tail (10k intents: 1.25-1.37M/s longest first, 1.25-1.52M/s shortest first).
# It also runs the story beside the rules (H200, 10k: 1.53-1.57M/s, the story 8-9 % of it,
# against 1.33-1.40M/s and 23-24 % one after the other); a larger one runs them in turn,
# and its rules' scan cuts the story tokens, as the CPU's does (H200, 1M intents, the
# kernels' time: story 42 -> 21 ms, rules 66 -> 72 ms; one pass over the bytes, not two).
LONGEST_FIRST_FROM = 2 * 256
MAX_REGISTERS = 0  # per thread of the parse kernels; 0: the compiler's choice (bench knob)

try:
    import cupy as cp
    import numba
    from numba import cuda
    from numba.cuda import config as cuda_config

    # small batches are normal in a stream worker: do not warn about small grids
    cuda_config.CUDA_LOW_OCCUPANCY_WARNINGS = 0
except ImportError:  # pragma: no cover - depends on the machine
    cp = None
    cuda = None


def available() -> bool:
    """Whether cupy imports and sees at least one CUDA device."""
    if cp is None:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver or no device: no GPU here
        return False


def memory_in_use() -> int:
    """Bytes the backend holds in cupy's device memory pool (0 without a GPU)."""
    return int(cp.get_default_memory_pool().used_bytes()) if available() else 0


def device_count() -> int:
    return cp.cuda.runtime.getDeviceCount() if available() else 0


if cuda is not None:

    @cuda.jit(device=True)
    def _intent(toff, order):
        """The intent this thread takes (intents in order of length), or -1 past the group."""
        j = cuda.grid(1)
        return order[j] if j < len(toff) - 1 else -1

    @cuda.jit(device=True)
    def _views(texts, toff, ids, ioff, cons, coff, i, label, rec, marks, scr):
        """Intent i's source bundle and its columns of the group's device arrays."""
        t = texts[toff[i] : toff[i + 1]]
        src = (t, len(t), ids[ioff[i] : ioff[i + 1]], cons[coff[i] : coff[i + 1]], label)
        base = toff[i] + i
        mbase = toff[i] // 2 + i
        return (
            src,
            rec[:, base : base + len(t) + 1],
            marks[:, mbase : mbase + len(t) // 2 + 1],
            scr[:, base : base + len(t) + 1],
        )

    # Kernels take flat arrays (tuples are built inside): what numba-cuda marshals reliably.
    # The parse runs as three kernels: the G-Rump rules, the user story (they share no rows),
    # then the result's size. Each gets its own register budget and a warp diverges over one
    # kind of work at a time (one fused kernel was a fifth slower at 1M intents). A launch of
    # one wave runs the rules and the story side by side on two streams: its time is its
    # longest threads', so it then waits for the longer of the two, not for both.
    def _rules_body(
        texts, toff, ids, ioff, cons, coff, order, label, u8, i32, i64, u64, fmt,
        rec, marks, scr, meta,
    ):  # fmt: skip
        i = _intent(toff, order)
        if i < 0:
            return
        src, r, m, s = _views(texts, toff, ids, ioff, cons, coff, i, label, rec, marks, scr)
        parse_rules(src, (u8, i32, i64, u64), fmt, r, m, s, meta[i])

    def _story_body(
        texts, toff, ids, ioff, cons, coff, order, label, u8, i32, i64, u64, fmt,
        rec, marks, scr, meta,
    ):  # fmt: skip
        i = _intent(toff, order)
        if i < 0:
            return
        src, r, _, s = _views(texts, toff, ids, ioff, cons, coff, i, label, rec, marks, scr)
        # The machine's registers in the thread's own local memory, not in its `meta` row:
        # a warp's threads read a local word in one transaction, where their rows lie apart.
        g = cuda.local.array(META, numba.int64)
        if not fmt & PARSE_STORY_APART:  # the rules kernel counted the tokens
            g[M_STORY_TOK] = meta[i, M_STORY_TOK]
        story_one(src, (u8, i32, i64, u64), fmt, r, s, g)
        for c in range(M_STORY_TOK, STORY_META_END):
            meta[i, c] = g[c]

    def _size_body(
        texts, toff, ids, ioff, cons, coff, order, label, u8, i32, i64, u64, fmt,
        rec, marks, scr, meta,
    ):  # fmt: skip
        i = _intent(toff, order)
        if i < 0:
            return
        src, r, m, s = _views(texts, toff, ids, ioff, cons, coff, i, label, rec, marks, scr)
        size_one(src, (u8, i32, i64, u64), fmt, r, m, s, meta[i])

    _BODIES = (_rules_body, _story_body, _size_body)
    _PARSE_KERNELS = tuple(cuda.jit(cache=True)(body) for body in _BODIES)

    @cuda.jit(cache=True)
    def _write_kernel(
        texts, toff, ids, ioff, cons, coff, order, label, u8, i32, i64, u64, fmt,
        rec, marks, scr, meta, out, out_off,
    ):  # fmt: skip
        i = _intent(toff, order)
        if i < 0:
            return
        src, r, m, _ = _views(texts, toff, ids, ioff, cons, coff, i, label, rec, marks, scr)
        write_result(out, out_off[i], src, r, m, meta[i], (u8, i32, i64, u64), fmt)


class DeviceTimes:
    """What the GPU spent since process start, timed with CUDA events on the lane streams."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[str, float] = dict.fromkeys(GPU_TIME_FIELDS, 0)

    def add(self, **amounts: float) -> None:
        with self._lock:
            for name, amount in amounts.items():
                self._totals[name] += amount

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self._totals)


device_times = DeviceTimes()


@dataclass
class _Group:
    """One group in flight: its device arrays and the events that time its steps."""

    lo: int
    hi: int
    stream: Any
    inputs: list = field(default_factory=list)
    work: tuple = ()
    meta: Any = None
    order: Any = None
    offsets: Any = None
    written: Any = None  # the write kernel's device output, alive until its copy is done
    # start, uploaded, parsed, write queued, written, downloaded
    events: list = field(default_factory=list)
    h2d_bytes: int = 0
    d2h_bytes: int = 0


class DeviceContext:
    """One GPU: its tables in device memory, LANES streams with their staging buffers."""

    def __init__(
        self, device: int = 0, threads_per_block: int = THREADS_PER_BLOCK, max_registers: int = 0
    ) -> None:
        self.device = device
        self.threads = threads_per_block
        self.sm_count = cp.cuda.Device(device).attributes["MultiProcessorCount"]
        # a register cap trades spills for occupancy; such variants are compiled, not cached
        capped = cuda.jit(max_registers=max_registers) if max_registers else None
        self.parse_kernels = tuple(capped(body) for body in _BODIES) if capped else _PARSE_KERNELS
        with cp.cuda.Device(device):
            self.tables = tuple(cp.asarray(a) for a in packed_tables())
            self.streams = [cp.cuda.Stream(non_blocking=True) for _ in range(LANES)]
            # each lane's second stream: the story kernel, beside the rules kernel
            self.story_streams = [cp.cuda.Stream(non_blocking=True) for _ in range(LANES)]
            self.staging = [StagingBuffer() for _ in range(LANES)]
            self.uploaded: list[Any] = [None] * LANES  # each lane's last upload event
            self.sizes = pinned_int64(64)

    def encode(self, batch: Batch, label: str, group_bytes: int = GROUP_BYTES) -> EncodedResults:
        """Encode a whole batch on this device; results land in one page-locked arena."""
        # cupy and numba both make this device's primary context current for the thread
        with cp.cuda.Device(self.device), cuda.gpus[self.device]:
            try:
                return self._encode(batch, label, group_bytes)
            except BaseException:
                for stream in self.streams:  # no copy may still land in a freed arena
                    stream.synchronize()
                raise

    def _encode(self, batch: Batch, label: str, group_bytes: int) -> EncodedResults:
        fmt = _FORMATS[batch.fmt]
        spans = groups(batch.text_offsets, group_bytes)
        dlabel = cp.asarray(np.frombuffer(label.encode(), np.uint8))
        if len(spans) > len(self.sizes):
            self.sizes = pinned_int64(len(spans))
        parse_fmt = parse_format(fmt)
        flights = [
            self._parse(batch, lo, hi, k, dlabel, parse_fmt) for k, (lo, hi) in enumerate(spans)
        ]
        for stream in self.streams:
            _wait(stream)  # every group's size is known: take the arena
        sizes = [int(self.sizes[k]) for k in range(len(flights))]
        arena = _arena(sum(sizes))
        base = 0
        for g, size in zip(flights, sizes, strict=True):
            self._write(g, dlabel, fmt, arena[base : base + size])
            base += size
        offsets = np.zeros(len(batch) + 1, np.int64)
        base = 0
        for g, size in zip(flights, sizes, strict=True):
            _wait(g.stream)
            offsets[g.lo + 1 : g.hi + 1] = g.offsets[1:].get(stream=g.stream) + base
            base += size
            _record_times(g)
        return EncodedResults(arena, offsets)

    def _parse(self, batch: Batch, lo: int, hi: int, k: int, dlabel: Any, parse_fmt: int) -> _Group:
        """Upload group k and queue its parse kernels (`parse_fmt`: the wire format and the
        parse's flags) and prefix sum on its lane."""
        lane = k % LANES
        stream = self.streams[lane]
        g = _Group(lo, hi, stream, events=[cp.cuda.Event(block=True) for _ in range(6)])
        n = hi - lo
        arrays = _slice(batch, lo, hi)
        if self.uploaded[lane] is not None:
            self.uploaded[lane].synchronize()  # the lane's staging buffer is free again
        with stream:
            g.events[0].record(stream)
            g.inputs = self._upload(lane, arrays)
            g.h2d_bytes = sum(a.nbytes for a in arrays)
            g.events[1].record(stream)
            self.uploaded[lane] = g.events[1]
            nbytes = int(arrays[1][-1])
            g.work = (
                cp.empty((REC_ROWS, nbytes + n), cp.int32),
                cp.empty((MARK_ROWS, nbytes // 2 + n), cp.int64),
                cp.empty((SCR_ROWS, nbytes + n), cp.int32),
            )
            g.meta = cp.empty((max(n, 1), META), cp.int64)
            lengths = g.inputs[1][1:] - g.inputs[1][:-1]
            several_waves = n >= LONGEST_FIRST_FROM * self.sm_count
            if several_waves:
                lengths = -lengths
            g.order = cp.argsort(lengths).astype(cp.int32)  # similar lengths share a warp
            # the GPU full, the rules' scan cuts the story tokens; else the story kernel does
            flags = parse_fmt if several_waves else parse_fmt | PARSE_STORY_APART
            args = (*g.inputs, g.order, dlabel, *self.tables, flags, *g.work, g.meta)
            rules, story, size = self.parse_kernels
            if several_waves:  # one kernel after the other
                self._launch(rules, n, stream, args)
                self._launch(story, n, stream, args)
            else:  # the rules and the story side by side on SMs that would idle
                side = self.story_streams[lane]
                side.wait_event(_marked(stream))
                self._launch(story, n, side, args)
                self._launch(rules, n, stream, args)
                stream.wait_event(_marked(side))
            self._launch(size, n, stream, args)
            g.offsets = cp.zeros(n + 1, cp.int64)
            cp.cumsum(g.meta[:n, M_OUT_LEN], out=g.offsets[1:])
            g.events[2].record(stream)
            g.offsets[n:].get(stream=stream, out=self.sizes[k : k + 1], blocking=False)
        return g

    def _write(self, g: _Group, dlabel: Any, fmt: int, dest: np.ndarray) -> None:
        """Queue group g's write kernel and its copy straight into `dest`, its arena slice."""
        with g.stream:
            g.events[3].record(g.stream)
            out = g.written = cp.empty(max(dest.nbytes, 1), cp.uint8)
            args = (*g.inputs, g.order, dlabel, *self.tables, fmt, *g.work, g.meta, out, g.offsets)
            self._launch(_write_kernel, g.hi - g.lo, g.stream, args)
            g.events[4].record(g.stream)
            if dest.nbytes:
                out[: dest.nbytes].get(stream=g.stream, out=dest, blocking=False)
            g.events[5].record(g.stream)
            g.d2h_bytes = dest.nbytes + g.offsets.nbytes

    def _launch(self, kernel: Any, n: int, stream: Any, args: tuple) -> None:
        if n == 0:
            return
        threads = self.threads or (256 if n >= LONGEST_FIRST_FROM * self.sm_count else 128)
        blocks = (n + threads - 1) // threads
        kernel[blocks, threads, cuda.external_stream(stream.ptr)](*args)

    def _upload(self, lane: int, arrays: tuple) -> list:
        """Stage the inputs in the lane's pinned buffer, then copy them in asynchronously."""
        sizes = [(a.nbytes + 255) // 256 * 256 for a in arrays]  # keep each view aligned
        staging = self.staging[lane].take(sum(sizes))
        dev, at = [], 0
        for a, size in zip(arrays, sizes, strict=True):
            view = staging[at : at + a.nbytes].view(a.dtype)
            np.copyto(view, a)
            d = cp.empty(a.shape, a.dtype)
            d.set(view, stream=self.streams[lane])
            dev.append(d)
            at += size
        return dev


def kernel_registers() -> dict[str, int]:
    """Registers per thread of each kernel compiled so far (what bounds its occupancy)."""
    found = {}
    names = ("rules", "story", "size", "write")
    for name, kernel in zip(names, (*_PARSE_KERNELS, _write_kernel), strict=True):
        if kernel.overloads:
            regs = kernel.get_regs_per_thread()
            found[name] = max(regs.values()) if isinstance(regs, dict) else int(regs)
    return found


def _record_times(g: _Group) -> None:
    ms = [cp.cuda.get_elapsed_time(a, b) for a, b in zip(g.events[:-1], g.events[1:], strict=True)]
    device_times.add(groups=1, h2d_bytes=g.h2d_bytes, h2d_s=ms[0] / 1e3,
                     kernel_s=(ms[1] + ms[3]) / 1e3, d2h_bytes=g.d2h_bytes,
                     d2h_s=ms[4] / 1e3)  # fmt: skip


def _marked(stream: Any) -> Any:
    """An event at the end of the stream's queued work (for another stream to wait on)."""
    event = cp.cuda.Event(disable_timing=True)
    event.record(stream)
    return event


def _wait(stream: Any) -> None:
    """Block until the stream's queued work is done, asleep: a plain synchronize spins a core
    for as long as the kernels and copies run."""
    done = cp.cuda.Event(block=True, disable_timing=True)
    done.record(stream)
    done.synchronize()


_arenas = ResultArenas()


def _arena(nbytes: int) -> np.ndarray:
    """A page-locked result arena (reused once the results that view it are dropped)."""
    return _arenas.take(nbytes)


def _slice(batch: Batch, lo: int, hi: int) -> tuple:
    """Group [lo, hi) of a batch with offsets rebased to zero."""
    t0, t1 = batch.text_offsets[lo], batch.text_offsets[hi]
    i0, i1 = batch.id_offsets[lo], batch.id_offsets[hi]
    c0, c1 = batch.constraint_offsets[lo], batch.constraint_offsets[hi]
    base_t, base_i, base_c = batch.text_offsets[0], batch.id_offsets[0], batch.constraint_offsets[0]
    return (
        batch.texts[t0 - base_t : t1 - base_t],
        batch.text_offsets[lo : hi + 1] - t0,
        batch.ids[i0 - base_i : i1 - base_i],
        batch.id_offsets[lo : hi + 1] - i0,
        batch.constraints[c0 - base_c : c1 - base_c],
        batch.constraint_offsets[lo : hi + 1] - c0,
    )


_contexts: dict[int, DeviceContext] = {}
_contexts_lock = threading.Lock()


def context(device: int = 0) -> DeviceContext:
    with _contexts_lock:
        if device not in _contexts:
            _contexts[device] = DeviceContext(device, max_registers=MAX_REGISTERS)
        return _contexts[device]


def _slot_context(device: int, slot: int) -> DeviceContext:
    """The context of one slot of `encode_batch_multi`, kept between calls."""
    with _contexts_lock:
        key = (device, slot)
        if key not in _slot_contexts:
            _slot_contexts[key] = DeviceContext(device, max_registers=MAX_REGISTERS)
        return _slot_contexts[key]


_slot_contexts: dict[tuple[int, int], DeviceContext] = {}


def encode_batch(
    batch: Batch, label: str = "gpu", device: int = 0, group_bytes: int = GROUP_BYTES
) -> EncodedResults:
    """Parse and encode every intent of the batch on one GPU; results in input order."""
    if not available():
        raise RuntimeError("the gpu backend needs cupy and a CUDA device")
    return context(device).encode(batch, label, group_bytes)


def encode_batch_multi(batches: list[Batch], devices: list[int], label: str = "gpu") -> list:
    """Encode several batches over several GPUs: each device thread takes the next batch.

    Each entry of `devices` gets its own context (streams and buffers), so one device may be
    listed twice to run two lanes of work on it.
    """
    work: queue.Queue = queue.Queue()
    for k, b in enumerate(batches):
        work.put((k, b))
    results: list = [None] * len(batches)
    taken = [0] * len(devices)
    errors: list[BaseException] = []

    def drain(slot: int) -> None:
        try:
            ctx = _slot_context(devices[slot], slot)
            while True:
                try:
                    k, b = work.get_nowait()
                except queue.Empty:
                    return
                results[k] = ctx.encode(b, label)
                taken[slot] += 1
        except BaseException as exc:  # surfaced to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(s,)) for s in range(len(devices))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    encode_batch_multi.last_split = list(taken)  # type: ignore[attr-defined]
    return results
