"""The numba CPU backend: the whole parse over a batch, in parallel over intents.

A batch is cut into groups so the working set stays small; each group runs two parallel
passes over the same stage functions the GPU uses: parse and size every intent, then write
every result at its offset. Compiled code is cached on disk (`cache=True`), so a second
process starts without recompiling.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._encode import encode_one
from ._jit import CACHE_DIR  # noqa: F401  (sets the cache directory before decorating)
from ._layout import M_OUT_LEN, META, ROWS
from ._parse import intent_source, parse_one, working_set
from ._rows import R_CHAR_CLASS
from ._tables import packed_tables
from ._wire import FMT_JSON, FMT_MSGPACK
from .batch import Batch, EncodedResults, groups

GROUP_BYTES = 4 << 20  # text bytes per group: keeps the working set (~72 B/byte) in cache
_FORMATS = {"json": FMT_JSON, "msgpack": FMT_MSGPACK}


@njit(cache=True, nogil=True, parallel=True)
def _parse_and_size(batch_arrays, lo, hi, label, tb, fmt, ws, meta):
    toff = batch_arrays[1]
    nowhere = ws[0, :0].view(np.uint8)  # the sizing pass writes nothing
    for i in prange(lo, hi):
        src = intent_source(batch_arrays, i, label)
        w = working_set(ws, toff, lo, i, src[1])
        m = meta[i - lo]
        parse_one(src[0], src[1], tb[0][R_CHAR_CLASS], tb, w, m)
        m[M_OUT_LEN] = encode_one(nowhere, 0, False, src, w, m, tb, fmt)


@njit(cache=True, nogil=True, parallel=True)
def _write(batch_arrays, lo, hi, label, tb, fmt, ws, meta, out, out_off):
    toff = batch_arrays[1]
    for i in prange(lo, hi):
        src = intent_source(batch_arrays, i, label)
        w = working_set(ws, toff, lo, i, src[1])
        encode_one(out, out_off[i - lo], True, src, w, meta[i - lo], tb, fmt)


def encode_batch(
    batch: Batch, label: str = "cpu", group_bytes: int = GROUP_BYTES
) -> EncodedResults:
    """Parse and encode every intent of the batch; results in input order."""
    tb = packed_tables()
    fmt = _FORMATS[batch.fmt]
    arrays = (batch.texts, batch.text_offsets, batch.ids, batch.id_offsets,
              batch.constraints, batch.constraint_offsets)  # fmt: skip
    label_bytes = np.frombuffer(label.encode(), np.uint8)
    n = len(batch)
    sizes = np.zeros(n + 1, np.int64)
    parts = []
    for lo, hi in groups(batch.text_offsets, group_bytes):
        nbytes = int(batch.text_offsets[hi] - batch.text_offsets[lo]) + (hi - lo)
        ws = np.empty((ROWS, nbytes), np.int32)
        meta = np.zeros((hi - lo, META), np.int64)
        _parse_and_size(arrays, lo, hi, label_bytes, tb, fmt, ws, meta)
        out_off = np.zeros(hi - lo + 1, np.int64)  # offsets within this group's output
        np.cumsum(meta[:, M_OUT_LEN], out=out_off[1:])
        sizes[lo + 1 : hi + 1] = meta[:, M_OUT_LEN]
        out = np.empty(int(out_off[-1]), np.uint8)
        _write(arrays, lo, hi, label_bytes, tb, fmt, ws, meta, out, out_off)
        parts.append(out)
    offsets = np.cumsum(sizes)
    data = np.concatenate(parts) if parts else np.empty(0, np.uint8)
    return EncodedResults(data, offsets)
