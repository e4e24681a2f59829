"""The numba CPU backend: scan and rules for every intent, one prefix sum, one write.

Intents run in chunks on numba's thread count (plain threads: the kernels release the GIL);
each chunk reuses one scratch table (tokens, word starts, escapes) sized for its longest
text, so the scratch stays in cache. Records (what the writer reads) live in buffers kept
between batches. Every result's size is known after the first pass, so the second pass
writes each byte once, straight into the output arena (one kept between batches,
`_arenas`). A batch larger than GROUP_BYTES of text runs as several groups, to bound the
records' memory; when their results are too large to keep idle, the groups write one
after the other into one growing arena, not into arenas of their own copied together.
Compiled code is cached on disk (`cache=True`): processes that share a cache compile one at
a time, and on a cold cache the writer compiles in a helper process while the first
compiles the parse (`_compile_apart`).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit

from . import _compile_apart
from ._arenas import GrowingArena, HostArenas, LastGrown
from ._jit import CACHE_DIR, jit, jit_inline  # (also sets numba's cache directory first)
from ._layout import M_OUT_LEN, MARK_ROWS, META, REC_ROWS, SCR_ROWS
from .batch import Batch, EncodedResults, groups, parse_format
from .rules.intent import parse_one
from .tables import packed_tables
from .write.result import write_result
from .write.wire import FMT_JSON, FMT_MSGPACK

GROUP_BYTES = 16 << 20  # text bytes per group: its records take ~72 bytes per text byte
CHUNK = 256  # fewest intents per parallel task (each allocates one scratch table)
_FORMATS = {"json": FMT_JSON, "msgpack": FMT_MSGPACK}
_NO_OUT = np.empty(0, np.uint8)  # the output arena's type, for the writer's signature


@jit_inline
def intent_source(batch_arrays, i, label):
    """Intent i of a flat batch: (text, its length, id, constraints, backend label) views."""
    texts, toff, ids, ioff, cons, coff = batch_arrays
    t = texts[toff[i] - toff[0] : toff[i + 1] - toff[0]]
    ident = ids[ioff[i] - ioff[0] : ioff[i + 1] - ioff[0]]
    con = cons[coff[i] - coff[0] : coff[i + 1] - coff[0]]
    return t, len(t), ident, con, label


@jit_inline
def record_views(rec, marks, toff, lo, i, n):
    """Intent i's records, rows of n + 1 columns (marks need half: a sentence is 2 bytes),
    each intent's block of rows contiguous in its group's flat buffers: C-contiguous views,
    so an index into them is a shift, and one intent's records share cache lines."""
    base = REC_ROWS * (toff[i] - toff[lo] + (i - lo))
    mbase = MARK_ROWS * ((toff[i] - toff[lo]) // 2 + (i - lo))
    r = rec[base : base + REC_ROWS * (n + 1)].reshape((REC_ROWS, n + 1))
    m = marks[mbase : mbase + MARK_ROWS * (n // 2 + 1)].reshape((MARK_ROWS, n // 2 + 1))
    return r, m


@njit(cache=True, nogil=True)
def _parse(batch_arrays, lo, a, b, label, tb, fmt, rec, marks, meta):
    """Scan, rules and size for intents [a, b) of the group starting at lo."""
    toff = batch_arrays[1]
    longest = 0
    for i in range(a, b):
        longest = max(longest, toff[i + 1] - toff[i])
    # C-contiguous, so each index into it is a shift, not a multiply by a stride read at run
    # time (3 % less parse time). The write pass hands over the records, C-contiguous too, in
    # its place, so the sizing and writing passes share one array type.
    scr = np.empty((SCR_ROWS, longest + 1), np.int32)
    parse_intents(batch_arrays, lo, a, b, label, tb, fmt, rec, marks, meta, scr)


# The loops over intents run without reference counting (`_jit.jit`): each intent's views
# (its text, id, record columns, the tables' rows) would otherwise cost atomic increments
# and decrements, 4 % of one thread's time. `intent_source` and `record_views` return views
# that hold no reference: only code compiled without reference counting may call them (a
# caller with it would release what it never held, and free the batch's arrays).
@jit
def parse_intents(batch_arrays, lo, a, b, label, tb, fmt, rec, marks, meta, scr):
    toff = batch_arrays[1]
    for i in range(a, b):
        src = intent_source(batch_arrays, i, label)
        r, m = record_views(rec, marks, toff, lo, i, src[1])
        parse_one(src, tb, fmt, r, m, scr, meta[i - lo])


@njit(cache=True, nogil=True)
def _write(batch_arrays, lo, a, b, label, tb, fmt, rec, marks, meta, out, out_off):
    """Write the results of intents [a, b) of the group starting at lo."""
    write_intents(batch_arrays, lo, a, b, label, tb, fmt, rec, marks, meta, out, out_off)


@jit
def write_intents(batch_arrays, lo, a, b, label, tb, fmt, rec, marks, meta, out, out_off):
    toff = batch_arrays[1]
    for i in range(a, b):
        src = intent_source(batch_arrays, i, label)
        r, m = record_views(rec, marks, toff, lo, i, src[1])
        write_result(out, out_off[i - lo], src, r, m, meta[i - lo], tb, fmt)


def _run_chunks(kernel, lo: int, hi: int, *args) -> None:  # type: ignore[no-untyped-def]
    """Run `kernel(.., lo, a, b, ..)` over [lo, hi) in chunks on numba's thread count.

    The kernels release the GIL, so plain threads run them in parallel (a numba `prange`
    driver would cost minutes more to compile)."""
    threads = numba.get_num_threads()
    if threads == 1 or hi - lo <= CHUNK:
        kernel(args[0], lo, lo, hi, *args[1:])
        return
    step = max(CHUNK, (hi - lo + 4 * threads - 1) // (4 * threads))
    futures = [_pool(threads).submit(kernel, args[0], lo, a, min(hi, a + step), *args[1:])
               for a in range(lo, hi, step)]  # fmt: skip
    for future in futures:
        future.result()


_pools: dict[int, ThreadPoolExecutor] = {}


def _pool(threads: int) -> ThreadPoolExecutor:
    if threads not in _pools:
        _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="grump-cpu")
    return _pools[threads]


class _Buffers(threading.local):
    """One group's records, meta rows and result offsets, kept between batches: fresh pages
    cost a fault each, and on a VM whose host takes freed memory back (free page
    reporting), seconds per GB where the host must back them again."""

    def __init__(self) -> None:
        self.rec = np.empty(0, np.int32)
        self.marks = np.empty(0, np.int64)
        self.meta = np.empty((0, META), np.int64)
        self.offsets = np.empty(0, np.int64)

    def take(self, text_bytes: int, intents: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.rec) < REC_ROWS * (text_bytes + intents):
            self.rec = np.empty(REC_ROWS * (text_bytes + intents), np.int32)
        if len(self.marks) < MARK_ROWS * (text_bytes // 2 + intents):
            self.marks = np.empty(MARK_ROWS * (text_bytes // 2 + intents), np.int64)
        return self.rec, self.marks

    def take_meta(self, intents: int) -> tuple[np.ndarray, np.ndarray]:
        """Meta rows (the parse sets every field it reads: no zeroing) and offsets, whose
        first is 0, for a group of `intents`."""
        if len(self.offsets) <= intents:
            self.meta = np.empty((intents, META), np.int64)
            self.offsets = np.empty(intents + 1, np.int64)
        self.offsets[0] = 0
        return self.meta[:intents], self.offsets[: intents + 1]


_buffers = _Buffers()
_arenas = HostArenas()  # result arenas, reused once a batch's results are dropped
_last_grown = LastGrown()  # a batch too large for them: its arena, kept a while


def _compile(
    arrays: tuple, label_bytes: np.ndarray, tb: tuple, fmt: int, parse_fmt: int,
    meta: np.ndarray, offsets: np.ndarray,
) -> None:  # fmt: skip
    """Compile (or load) `_parse` and `_write` for these argument types, parsing nothing.

    A warm cache loads without waiting for anyone. On a cold one, processes sharing the
    cache take turns (the others then load what the first cached), and the writer compiles
    in a helper process beside the parse."""
    rec, marks = _buffers.take(0, 0)
    empty = (0, 0, 0, label_bytes, tb)  # lo, a, b: no intents
    writer = (arrays, *empty, fmt, rec, marks, meta, _NO_OUT, offsets)
    if _compile_apart.load_cached(_write, writer):
        return  # the parse loads on its first call
    with _compile_apart.one_at_a_time(CACHE_DIR):
        helper = _compile_apart.start(_write, writer)  # None if the one before us cached it
        try:
            _parse(arrays, *empty, parse_fmt, rec, marks, meta)
        except BaseException:  # interrupted or failed: the helper's work is not wanted
            _compile_apart.stop(helper)
            raise
        _compile_apart.finish(helper)
        _write(*writer)


def encode_batch(
    batch: Batch, label: str = "cpu", group_bytes: int = GROUP_BYTES
) -> EncodedResults:
    """Parse and encode every intent of the batch; results in input order."""
    tb = packed_tables()
    fmt = _FORMATS[batch.fmt]
    arrays = (batch.texts, batch.text_offsets, batch.ids, batch.id_offsets,
              batch.constraints, batch.constraint_offsets)  # fmt: skip
    label_bytes = np.frombuffer(label.encode(), np.uint8).copy()  # writable: sizing views it
    n = len(batch)
    offsets = np.zeros(n + 1, np.int64)
    parse_fmt = parse_format(fmt)
    if n and not _write.overloads:  # this process's first batch
        _compile(arrays, label_bytes, tb, fmt, parse_fmt, *_buffers.take_meta(0))
    spans = groups(batch.text_offsets, group_bytes)
    parts: list[np.ndarray] = []
    growing = None  # results too large to keep idle: each group writes in its final place
    for lo, hi in spans:
        rec, marks = _buffers.take(int(batch.text_offsets[hi] - batch.text_offsets[lo]), hi - lo)
        meta, group_off = _buffers.take_meta(hi - lo)
        _run_chunks(_parse, lo, hi, arrays, label_bytes, tb, parse_fmt, rec, marks, meta)
        np.cumsum(meta[:, M_OUT_LEN], out=group_off[1:])
        size = int(group_off[-1])
        if lo == 0 and len(spans) > 1 and not _arenas.would_keep(size * n // hi):
            growing = GrowingArena(_last_grown)
        out = growing.extend(size) if growing else _arenas.take(size)
        _run_chunks(_write, lo, hi, arrays, label_bytes, tb, fmt, rec, marks, meta, out,
                    group_off)  # fmt: skip
        offsets[lo + 1 : hi + 1] = group_off[1:] + offsets[lo]
        if growing is None:
            parts.append(out)
        del out  # (the growing arena's mapping moves on its next extend)
    if growing is not None:
        return EncodedResults(growing.whole(), offsets)
    if len(parts) == 1:  # one group (any batch up to GROUP_BYTES of text) is already the arena
        return EncodedResults(parts[0], offsets)
    if not parts:  # an empty batch takes no arena
        return EncodedResults(np.empty(0, np.uint8), offsets)
    # the groups of a batch whose results fit the idle bound: copied into one kept arena
    # (its pages already mapped)
    data = _arenas.take(int(offsets[-1]))
    np.concatenate(parts, out=data)
    return EncodedResults(data, offsets)
