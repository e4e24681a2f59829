"""Results too large to produce become dead letters instead of stalling or crashing.

A small request can have a large result (one annotation per sentence: 60 KB of "a. " gives
1.3 MB). Kafka refuses a record over the broker's `message.max.bytes` (about 1 MiB by
default) with MESSAGE_TOO_LARGE, which no retry fixes, and a frame over the output ring's
record limit cannot be pushed at all. So a drain checks every result frame before pushing
it: one over either limit is replaced by a `result_too_large` dead letter carrying the
original request (which fits both: ingest only admits inputs whose dead letter fits the
ring, and the input topic accepted the request). Its offset is then acked like any other,
so the partition moves on.
"""

from __future__ import annotations

import numpy as np

from schemas.errors import RESULT_TOO_LARGE

from . import _framing as f
from ._columns import InColumns, pack_block

# Apache Kafka's default message.max.bytes is 1 MiB + 12: keep 16 KiB for the record batch
# and record overheads and the headers (content-type, schema version, intent id)
DEFAULT_MAX_RESULT_BYTES = (1 << 20) - (16 << 10)


def bound_results(
    block: tuple[np.ndarray, np.ndarray],
    columns: InColumns,
    max_result_bytes: int,
    max_frame_bytes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """`block` (output frames of `columns`' records) with every RESULT frame whose key, id and
    value pass `max_result_bytes`, or whose frame passes `max_frame_bytes`, replaced (in
    place, in order) by a dead letter of its input record."""
    data, offsets = block
    sizes = np.diff(offsets)
    payload = sizes - f.OUT_HEADER.size
    results = data[offsets[:-1]] == f.RESULT
    over = results & ((payload > max_result_bytes) | (sizes > max_frame_bytes))
    if not over.any():
        return block
    view = data.data  # a memoryview of the array
    parts: list[bytes] = []
    for i, (start, end) in enumerate(zip(offsets[:-1].tolist(), offsets[1:].tolist(),
                                         strict=True)):  # fmt: skip
        frame = view[start:end]
        keep = _dead_letter(frame, columns, max_result_bytes, max_frame_bytes) if over[i] else frame
        parts.append(bytes(keep))
    return pack_block(parts)


def _dead_letter(
    frame: memoryview, columns: InColumns, max_result_bytes: int, max_frame_bytes: int
) -> bytes:
    (result,) = f.iter_out_frames(iter([frame]))
    row = int(np.flatnonzero((columns.partition == result.partition)
                             & (columns.offset == result.offset))[0])  # fmt: skip
    source = columns.record(row)
    size = len(frame) - f.OUT_HEADER.size
    if size > max_result_bytes:
        message = (
            f"the result is {size} bytes (key, intent id and value), over the worker's "
            f"limit of {max_result_bytes} (--max-result-bytes, which must stay under "
            "the broker's message.max.bytes); split the request into smaller ones"
        )
    else:
        message = (f"the result frame is {len(frame)} bytes, over the output ring's record "
                   f"limit of {max_frame_bytes}; raise --ring-bytes")  # fmt: skip
    aux = f.dead_aux(RESULT_TOO_LARGE, "encode", message)
    return f.out_frame(f.DEAD, source, aux, f.CONTENT_NONE, source.value)
