"""The CUDA backend: the same stage functions as the CPU backend, one GPU thread per intent.

Device memory and copies go through cupy: page-locked host buffers, a non-default stream per
in-flight group, `cudaMemcpyAsync` in and out. A batch is cut into groups that alternate
between two streams, so the copies of one group overlap the kernels of the other. Several
GPUs: `encode_batch_multi` hands groups to one worker thread per device from one queue, so a
faster device simply takes more groups (no static split).

Importing `kernels` never imports this module; it loads on first GPU use.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._api import GPU_TIME_FIELDS
from ._encode import encode_one
from ._jit import CACHE_DIR  # noqa: F401  (cache directory first)
from ._layout import M_OUT_LEN, META, ROWS
from ._parse import parse_one
from ._rows import R_CHAR_CLASS
from ._tables import packed_tables
from ._wire import FMT_JSON, FMT_MSGPACK
from .batch import Batch, EncodedResults, groups

GROUP_BYTES = 64 << 20  # text bytes per group: ~72 B of device scratch per text byte
_FORMATS = {"json": FMT_JSON, "msgpack": FMT_MSGPACK}
THREADS_PER_BLOCK = 128

try:
    import cupy as cp
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

    @cuda.jit(cache=True)
    def _parse_kernel(texts, toff, ids, ioff, cons, coff, label, u8, i32, i64, u64, fmt, ws, meta):
        i = cuda.grid(1)
        if i >= len(toff) - 1:
            return
        tb = (u8, i32, i64, u64)
        t = texts[toff[i] - toff[0] : toff[i + 1] - toff[0]]
        ident = ids[ioff[i] - ioff[0] : ioff[i + 1] - ioff[0]]
        src = (t, len(t), ident, cons[coff[i] - coff[0] : coff[i + 1] - coff[0]], label)
        # sliced inline: calling _parse.intent_source here failed numba-cuda type inference
        base = toff[i] - toff[0] + i
        w = ws[:, base : base + len(t) + 1]
        m = meta[i]
        parse_one(t, len(t), u8[R_CHAR_CLASS], tb, w, m)
        m[M_OUT_LEN] = encode_one(label[:0], 0, False, src, w, m, tb, fmt)

    @cuda.jit(cache=True)
    def _write_kernel(
        texts, toff, ids, ioff, cons, coff, label, u8, i32, i64, u64, fmt, ws, meta, out, out_off
    ):
        i = cuda.grid(1)
        if i >= len(toff) - 1:
            return
        tb = (u8, i32, i64, u64)
        t = texts[toff[i] - toff[0] : toff[i + 1] - toff[0]]
        ident = ids[ioff[i] - ioff[0] : ioff[i + 1] - ioff[0]]
        src = (t, len(t), ident, cons[coff[i] - coff[0] : coff[i + 1] - coff[0]], label)
        # sliced inline: calling _parse.intent_source here failed numba-cuda type inference
        base = toff[i] - toff[0] + i
        w = ws[:, base : base + len(t) + 1]
        encode_one(out, out_off[i], True, src, w, meta[i], tb, fmt)


class _Pinned:
    """A reusable page-locked host buffer that grows as needed."""

    def __init__(self) -> None:
        self.array = np.empty(0, np.uint8)

    def take(self, nbytes: int) -> np.ndarray:
        if self.array.nbytes < nbytes:
            import cupyx

            self.array = cupyx.empty_pinned(max(nbytes, 2 * self.array.nbytes), np.uint8)
        return self.array[:nbytes]


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
class _Lane:
    """One stream with its own pinned staging buffers: one group in flight."""

    stream: Any  # cupy.cuda.Stream (cupy is imported lazily)
    pinned_in: _Pinned = field(default_factory=_Pinned)
    pinned_out: _Pinned = field(default_factory=_Pinned)
    pending: tuple | None = None


class DeviceContext:
    """One GPU: its tables in device memory and two lanes for double buffering."""

    def __init__(self, device: int = 0, threads_per_block: int = THREADS_PER_BLOCK) -> None:
        self.device = device
        self.threads = threads_per_block
        with cp.cuda.Device(device):
            self.tables = tuple(cp.asarray(a) for a in packed_tables())
            self.lanes = [_Lane(cp.cuda.Stream(non_blocking=True)) for _ in range(2)]

    def encode(self, batch: Batch, label: str, group_bytes: int = GROUP_BYTES) -> EncodedResults:
        """Encode a whole batch on this device, groups alternating between the two lanes."""
        label_bytes = np.frombuffer(label.encode(), np.uint8)
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        with cp.cuda.Device(self.device):
            for k, (lo, hi) in enumerate(groups(batch.text_offsets, group_bytes)):
                lane = self.lanes[k % 2]
                self._finish(lane, parts)
                lane.pending = (k, *self._start(lane, _slice(batch, lo, hi), label_bytes))
            # the lane holding the earlier group finishes first, so results keep input order
            for lane in sorted(self.lanes, key=lambda ln: ln.pending[0] if ln.pending else -1):
                self._finish(lane, parts)
        return _join(parts, len(batch))

    def _start(self, lane: _Lane, arrays: tuple, label: np.ndarray) -> tuple:
        """Queue one group on a lane: copies in, parse + size, scan, write, copy out.

        Returns the pinned output and offsets, valid once the lane's stream is synchronised.
        """
        fmt = arrays[-1]
        events = [cp.cuda.Event() for _ in range(4)]  # start, uploaded, computed, downloaded
        with lane.stream:
            events[0].record(lane.stream)
            dev = self._upload(lane, arrays[:-1])
            events[1].record(lane.stream)
            n = len(arrays[1]) - 1
            nbytes = int(arrays[1][-1] - arrays[1][0]) + n
            ws = cp.empty((ROWS, max(nbytes, 1)), cp.int32)
            meta = cp.zeros((max(n, 1), META), cp.int64)
            dlabel = cp.asarray(label)
            blocks = (n + self.threads - 1) // self.threads
            nb_stream = cuda.external_stream(lane.stream.ptr)
            _parse_kernel[blocks, self.threads, nb_stream](
                *dev, dlabel, *self.tables, fmt, ws, meta
            )
            out_off = cp.zeros(n + 1, cp.int64)
            cp.cumsum(meta[:n, M_OUT_LEN], out=out_off[1:])
            total = int(out_off[-1].get(stream=lane.stream))
            out = cp.empty(max(total, 1), cp.uint8)
            _write_kernel[blocks, self.threads, nb_stream](
                *dev, dlabel, *self.tables, fmt, ws, meta, out, out_off
            )
            events[2].record(lane.stream)
            host_out = lane.pinned_out.take(total)
            out[:total].get(stream=lane.stream, out=host_out)
            host_off = out_off.get(stream=lane.stream)
            events[3].record(lane.stream)
        sizes = (sum(a.nbytes for a in arrays[:-1]), total + host_off.nbytes)
        return host_out, host_off, events, sizes

    @staticmethod
    def _upload(lane: _Lane, arrays: tuple) -> list:
        """Stage the inputs in the lane's pinned buffer, then copy them in asynchronously."""
        sizes = [(a.nbytes + 255) // 256 * 256 for a in arrays]  # keep each view aligned
        staging = lane.pinned_in.take(sum(sizes))
        dev, at = [], 0
        for a, size in zip(arrays, sizes, strict=True):
            view = staging[at : at + a.nbytes].view(a.dtype)
            np.copyto(view, a)
            d = cp.empty(a.shape, a.dtype)
            d.set(view, stream=lane.stream)
            dev.append(d)
            at += size
        return dev

    def _finish(self, lane: _Lane, parts: list) -> None:
        if lane.pending is None:
            return
        lane.stream.synchronize()
        _, host_out, host_off, events, (up_bytes, down_bytes) = lane.pending
        parts.append((host_out.copy(), host_off))
        lane.pending = None
        ms = [cp.cuda.get_elapsed_time(a, b) for a, b in zip(events[:-1], events[1:], strict=True)]
        device_times.add(groups=1, h2d_bytes=up_bytes, h2d_s=ms[0] / 1e3, kernel_s=ms[1] / 1e3,
                         d2h_bytes=down_bytes, d2h_s=ms[2] / 1e3)  # fmt: skip


def _slice(batch: Batch, lo: int, hi: int) -> tuple:
    t0, t1 = batch.text_offsets[lo], batch.text_offsets[hi]
    i0, i1 = batch.id_offsets[lo], batch.id_offsets[hi]
    c0, c1 = batch.constraint_offsets[lo], batch.constraint_offsets[hi]
    return (
        np.ascontiguousarray(batch.texts[t0 - batch.text_offsets[0] : t1 - batch.text_offsets[0]]),
        batch.text_offsets[lo : hi + 1] - t0,
        np.ascontiguousarray(batch.ids[i0 - batch.id_offsets[0] : i1 - batch.id_offsets[0]]),
        batch.id_offsets[lo : hi + 1] - i0,
        np.ascontiguousarray(
            batch.constraints[c0 - batch.constraint_offsets[0] : c1 - batch.constraint_offsets[0]]
        ),
        batch.constraint_offsets[lo : hi + 1] - c0,
        _FORMATS[batch.fmt],
    )


def _join(parts: list[tuple[np.ndarray, np.ndarray]], n: int) -> EncodedResults:
    offsets = np.zeros(n + 1, np.int64)
    k, base = 0, 0
    for _, off in parts:
        m = len(off) - 1
        offsets[k + 1 : k + m + 1] = off[1:] + base
        k, base = k + m, base + int(off[-1])
    data = np.concatenate([d for d, _ in parts]) if parts else np.empty(0, np.uint8)
    return EncodedResults(data, offsets)


_contexts: dict[int, DeviceContext] = {}
_contexts_lock = threading.Lock()


def context(device: int = 0) -> DeviceContext:
    with _contexts_lock:
        if device not in _contexts:
            _contexts[device] = DeviceContext(device)
        return _contexts[device]


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
            ctx = DeviceContext(devices[slot])
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
