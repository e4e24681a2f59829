"""Self-checking records for ring tests: record ``id`` fully determines length and bytes."""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_LEN = 300


@njit(cache=True, nogil=True)
def record_len(rid: int) -> int:
    h = (rid * 2654435761) & 0xFFFFFFFF
    return 8 + (h % (MAX_LEN - 8 + 1)) if rid % 7 else 8


@njit(cache=True, nogil=True)
def _fill(out: np.ndarray, pos: int, rid: int, n: int) -> None:
    for b in range(8):
        out[pos + b] = (rid >> (8 * b)) & 0xFF
    for j in range(8, n):
        out[pos + j] = (rid * 131 + j * 7) & 0xFF


@njit(cache=True, nogil=True)
def make_batch(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Records for ``ids`` as (uint8 buffer, int64 offsets with n + 1 entries)."""
    offs = np.empty(len(ids) + 1, np.int64)
    offs[0] = 0
    for i in range(len(ids)):
        offs[i + 1] = offs[i] + record_len(ids[i])
    buf = np.empty(offs[-1], np.uint8)
    for i in range(len(ids)):
        _fill(buf, offs[i], ids[i], offs[i + 1] - offs[i])
    return buf, offs


@njit(cache=True, nogil=True)
def verify_batch(buf: np.ndarray, offs: np.ndarray, seen: np.ndarray) -> int:
    """Count each record's id in ``seen``; returns -1 - index of the first corrupt record."""
    for i in range(len(offs) - 1):
        p, n = offs[i], offs[i + 1] - offs[i]
        if n < 8:
            return -1 - i
        rid = 0
        for b in range(8):
            rid |= np.int64(buf[p + b]) << (8 * b)
        if rid < 0 or rid >= len(seen) or n != record_len(rid):
            return -1 - i
        for j in range(8, n):
            if buf[p + j] != ((rid * 131 + j * 7) & 0xFF):
                return -1 - i
        seen[rid] += 1
    return len(offs) - 1


def record(rid: int) -> bytes:
    buf, _ = make_batch(np.array([rid], np.int64))
    return buf.tobytes()
