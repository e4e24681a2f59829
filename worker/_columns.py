"""The drain's batch view of frames: columns in, one arena out, no per-record objects.

A drain handles thousands of records per batch. Reading each input header with `struct`
and joining each output frame in Python cost more CPU than the GPU kernel; here the input
headers are read as one numpy structured array, and result frames are written by one
compiled loop straight from the batch's id arena and the kernel's result arena.
The frame layouts are the ones `_framing` documents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _framing as f
from ._fast_json import copy_bytes
from ._jit import jit


@dataclass(frozen=True, slots=True)
class InColumns:
    """n framed input records over one buffer: header fields, key and value positions."""

    buffer: np.ndarray  # uint8
    partition: np.ndarray
    offset: np.ndarray
    timestamp: np.ndarray
    content: np.ndarray
    key_start: np.ndarray
    key_len: np.ndarray  # -1: no key
    value_start: np.ndarray
    value_end: np.ndarray

    def __len__(self) -> int:
        return len(self.offset)

    def values(self) -> list[memoryview]:
        """Zero-copy views of every value (valid while the buffer lives)."""
        view = self.buffer.data
        return [view[a:b] for a, b in zip(self.value_start.tolist(), self.value_end.tolist(),
                                          strict=True)]  # fmt: skip

    def record(self, i: int) -> f.InRecord:
        """Record i as the per-record tuple (for dead letters and the one-by-one path)."""
        k0, kn = int(self.key_start[i]), int(self.key_len[i])
        key = None if kn < 0 else bytes(self.buffer[k0 : k0 + kn])
        value = bytes(self.buffer[self.value_start[i] : self.value_end[i]])
        return f.InRecord(int(self.partition[i]), int(self.offset[i]), int(self.timestamp[i]),
                          key, int(self.content[i]), value)  # fmt: skip


def in_columns(buffer: np.ndarray, offsets: np.ndarray) -> InColumns:
    """Columns of the frames `buffer[offsets[i]:offsets[i + 1]]`."""
    starts = offsets[:-1]
    head = f.IN_HEADER.size
    headers = f.read_headers(buffer, starts, f.IN_HEADER_DTYPE)
    key_len = headers["key_len"].astype(np.int64)
    key_start = starts + head
    return InColumns(
        buffer, headers["partition"].astype(np.int64), headers["offset"].copy(),
        headers["timestamp"].copy(), headers["content"].astype(np.int64), key_start, key_len,
        key_start + np.maximum(key_len, 0), offsets[1:].copy(),
    )  # fmt: skip


def concat_blocks(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Several (buffer, offsets) blocks of frames (claims, or a batch's output parts) as one
    buffer and one offsets array, in order."""
    if len(parts) == 1:
        return parts[0]
    buffers, all_offsets, base = [], [np.zeros(1, np.int64)], 0
    for buffer, offsets in parts:
        buffers.append(buffer[offsets[0] : offsets[-1]])
        all_offsets.append(offsets[1:] - offsets[0] + base)
        base += int(offsets[-1] - offsets[0])
    return np.concatenate(buffers), np.concatenate(all_offsets)


def result_frames(
    rows: np.ndarray,
    columns: InColumns,
    content: int,
    ids: tuple[np.ndarray, np.ndarray],
    results: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """RESULT frames for input rows `rows`: aux = id j, value = result j (j-th of `rows`)."""
    return output_frames(columns, [(rows, content, ids, results)], [])


ResultPart = tuple[np.ndarray, int, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class FrameArena:
    """One buffer that the frames of successive batches are written into, so its pages stay
    mapped: a fresh multi-megabyte arena per batch cost 0.7 CPU-us per record in page
    faults. A batch's frames are valid until the next batch is written."""

    def __init__(self) -> None:
        self._buffer = np.empty(0, np.uint8)

    def take(self, nbytes: int) -> np.ndarray:
        if len(self._buffer) < nbytes:
            self._buffer = np.empty(nbytes + nbytes // 4, np.uint8)  # room to vary
        return self._buffer[:nbytes]


def output_frames(
    columns: InColumns, parts: list[ResultPart], loose: list[bytes],
    arena: FrameArena | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The RESULT frames of each part (rows, content, ids, results: see `result_frames`),
    then the `loose` frames, in one arena (`arena`'s buffer, else a new one): each frame is
    written once, where it stays."""
    sizes = [f.OUT_HEADER.size + np.maximum(columns.key_len[rows], 0) + np.diff(ids[1])
             + np.diff(results[1]) for rows, _, ids, results in parts]  # fmt: skip
    sizes.append(np.array([len(frame) for frame in loose], np.int64))
    out_off = np.zeros(sum(len(s) for s in sizes) + 1, np.int64)
    np.cumsum(np.concatenate(sizes), out=out_off[1:])
    nbytes = int(out_off[-1])
    out = arena.take(nbytes) if arena is not None else np.empty(nbytes, np.uint8)
    first = 0
    for rows, content, (id_buf, id_off), (value_buf, value_off) in parts:
        _write_result_frames(
            out, out_off[first : first + len(rows) + 1], columns.buffer, columns.partition[rows],
            columns.offset[rows], columns.timestamp[rows], columns.key_start[rows],
            columns.key_len[rows], content, id_buf, id_off, value_buf, value_off,
        )  # fmt: skip
        first += len(rows)
    if loose:
        out[out_off[first] :] = np.frombuffer(b"".join(loose), np.uint8)
    return out, out_off


@jit(inline=True)
def _put(out, at, value, width):  # little-endian, like the struct layout
    for b in range(width):
        out[at + b] = (value >> (8 * b)) & 0xFF
    return at + width


@jit
def _write_result_frames(out, out_off, src, partition, offset, timestamp, key_start, key_len,
                         content, id_buf, id_off, value_buf, value_off):  # fmt: skip
    for j in range(len(out_off) - 1):
        at = out_off[j]
        out[at] = 0  # RESULT
        at = _put(out, at + 1, partition[j], 4)
        at = _put(out, at, offset[j], 8)
        at = _put(out, at, timestamp[j], 8)
        at = _put(out, at, key_len[j], 4)
        at = _put(out, at, id_off[j + 1] - id_off[j], 4)
        out[at] = content
        at += 1
        if key_len[j] > 0:
            at = copy_bytes(out, at, src, key_start[j], key_start[j] + key_len[j])
        at = copy_bytes(out, at, id_buf, id_off[j], id_off[j + 1])
        copy_bytes(out, at, value_buf, value_off[j], value_off[j + 1])


def pack_block(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Byte strings built one by one (dead letters, stats, lone results) as one block."""
    data, offsets = f.pack_frames(parts, [len(part) for part in parts])
    return np.frombuffer(data, np.uint8), offsets
