"""Memory layout of the ring's shared-memory segment (see ``_ring.py`` for the picture).

Everything except the arena is a single ``int64`` array, ``meta``; indices below are in
``int64`` units. Slot positions count modulo ``POS_MOD`` (2**24) and byte positions modulo
2**40 so that both fit in one 64-bit word and move together with a single CAS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAGIC = 0x47524D5052494E47  # "GRMPRING"
VERSION = 1

LINE = 8  # int64s per 64-byte cache line
POS_BITS = 24
POS_MOD = 1 << POS_BITS
POS_MASK = POS_MOD - 1
OFF_BITS = 40
OFF_MASK = (1 << OFF_BITS) - 1
PID_MUL = POS_MOD  # writer stamp = pid * PID_MUL + position

# line 0: immutable geometry
H_MAGIC, H_VERSION, H_CAPACITY, H_ARENA, H_MAXREC, H_MAXCLAIMS, H_SEGBYTES = range(7)
# one hot word per cache line
H_HEAD = 1 * LINE  # packed (slot position, arena offset) of the next reservation
H_TAIL = 2 * LINE  # packed (slot position, arena end) of the released prefix
H_READ = 3 * LINE  # next slot position to claim; a plain int64 counter (no modulus) so
# a claimer stalled between its load and its CAS cannot be fooled by a wrapped value
H_EPOCH = 4 * LINE  # claim epoch counter
H_ORPHANS = 5 * LINE  # claim entries waiting for a new owner
H_WAKE = 6 * LINE  # int32 futex words live here (see W_* below)
# statistics, one per line so counters bumped by different roles do not share lines
S_PUSHES = 7 * LINE
S_CLAIMS = 8 * LINE
S_FULL_WAITS = 9 * LINE
S_EMPTY_WAITS = 10 * LINE
S_RECLAIMED = 11 * LINE
S_POISONED = 12 * LINE
HEADER_LINES = 13

# int32 indices (in the int32 view of the same memory) of the futex words and waiter counts
W_DATA_SEQ = H_WAKE * 2
W_DATA_WAITERS = H_WAKE * 2 + 2
W_SPACE_SEQ = H_WAKE * 2 + 8
W_SPACE_WAITERS = H_WAKE * 2 + 10

# claim table entries: one cache line each
C_STATE, C_EPOCH, C_START, C_COUNT = range(4)
ST_FREE = 0
ST_CLAIMING = 1
ST_ACTIVE = 2
ST_ORPHANED = 3
STATE_MUL = 1 << 32  # state word = state * STATE_MUL + pid

# per-slot fields
SLOT_WORDS = 4
F_SEQ, F_OFF, F_LEN, F_WRITER = range(4)


@dataclass(frozen=True)
class Geometry:
    """Sizes and section offsets of one ring segment."""

    capacity: int
    arena_bytes: int
    max_record_bytes: int
    max_claims: int

    @property
    def claims_base(self) -> int:
        return HEADER_LINES * LINE

    @property
    def slots_base(self) -> int:
        return self.claims_base + self.max_claims * LINE

    @property
    def meta_words(self) -> int:
        words = self.slots_base + self.capacity * SLOT_WORDS
        return -(-words // LINE) * LINE

    @property
    def arena_offset(self) -> int:
        return self.meta_words * 8

    @property
    def segment_bytes(self) -> int:
        return self.arena_offset + self.arena_bytes


def validate(capacity: int, arena_bytes: int, max_record_bytes: int, max_claims: int) -> None:
    """Raise ``ValueError`` for geometries the algorithms cannot serve."""
    if capacity < 4 or capacity & (capacity - 1) or capacity > POS_MOD // 4:
        raise ValueError(f"capacity_records must be a power of two in [4, {POS_MOD // 4}]")
    if arena_bytes < 64 or arena_bytes & (arena_bytes - 1) or arena_bytes > (1 << OFF_BITS) // 2:
        raise ValueError("arena_bytes must be a power of two in [64, 2**39]")
    if not 0 < max_record_bytes <= arena_bytes // 2:
        # a record must fit in whichever side of the arena is free after a full drain
        raise ValueError("max_record_bytes must be in [1, arena_bytes // 2]")
    if not 1 <= max_claims <= 65536:
        raise ValueError("max_claims must be in [1, 65536]")


def init_meta(meta: np.ndarray, geo: Geometry) -> None:
    """Write a fresh header; the magic is written last so attachers never see half a header."""
    meta[:] = 0
    meta[H_VERSION] = VERSION
    meta[H_CAPACITY] = geo.capacity
    meta[H_ARENA] = geo.arena_bytes
    meta[H_MAXREC] = geo.max_record_bytes
    meta[H_MAXCLAIMS] = geo.max_claims
    meta[H_SEGBYTES] = geo.segment_bytes
    seqs = meta[geo.slots_base : geo.slots_base + geo.capacity * SLOT_WORDS : SLOT_WORDS]
    seqs[:] = -1  # matches neither "published" nor "done" for any position
    meta[H_MAGIC] = MAGIC


def read_geometry(meta: np.ndarray) -> Geometry:
    """Geometry stored in an existing header; raises ``ValueError`` on a foreign segment."""
    if int(meta[H_MAGIC]) != MAGIC or int(meta[H_VERSION]) != VERSION:
        raise ValueError("shared-memory segment is not a grump ring (bad magic/version)")
    return Geometry(
        capacity=int(meta[H_CAPACITY]),
        arena_bytes=int(meta[H_ARENA]),
        max_record_bytes=int(meta[H_MAXREC]),
        max_claims=int(meta[H_MAXCLAIMS]),
    )
