"""Kafka's murmur2 key hash over a batch of keys, compiled with numba.

aiokafka's `murmur2` is plain Python (several µs per key); egress hashes every keyed
record, so this does a claim's keys in one call. Keys lie in one flat `uint8` buffer at
`starts[i]`, `lengths[i]` bytes long (the batch layout used everywhere else). Same result
as `aiokafka.partitioner.murmur2` (the Java client's `Utils.murmur2`), as unsigned 32 bits.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


@njit(nogil=True, cache=True)
def _hash_one(buffer: np.ndarray, start: int, length: int) -> np.uint64:
    # uint64 throughout: a 32-bit value times _M fits, and masking gives Java's int wrap
    m, mask = np.uint64(_M), np.uint64(_MASK)
    h = (np.uint64(_SEED) ^ np.uint64(length)) & mask
    for i in range(start, start + (length & ~3), 4):
        k = (np.uint64(buffer[i]) | (np.uint64(buffer[i + 1]) << np.uint64(8))
             | (np.uint64(buffer[i + 2]) << np.uint64(16))
             | (np.uint64(buffer[i + 3]) << np.uint64(24)))  # fmt: skip
        k = (k * m) & mask
        k ^= k >> np.uint64(24)
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    tail, extra = start + (length & ~3), length & 3
    if extra >= 3:
        h ^= np.uint64(buffer[tail + 2]) << np.uint64(16)
    if extra >= 2:
        h ^= np.uint64(buffer[tail + 1]) << np.uint64(8)
    if extra >= 1:
        h = ((h ^ np.uint64(buffer[tail])) * m) & mask
    h ^= h >> np.uint64(13)
    h = (h * m) & mask
    h ^= h >> np.uint64(15)
    return h


@njit(nogil=True, cache=True)
def _hash_many(buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray, out: np.ndarray):
    for j in range(len(starts)):
        out[j] = _hash_one(buffer, starts[j], lengths[j])


def murmur2_many(buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """murmur2 of `buffer[starts[i] : starts[i] + lengths[i]]` for each i, as int64."""
    out = np.empty(len(starts), np.int64)
    if len(starts):
        _hash_many(buffer, starts.astype(np.int64, copy=False),
                   lengths.astype(np.int64, copy=False), out)  # fmt: skip
    return out
