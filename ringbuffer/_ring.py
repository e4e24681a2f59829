"""The shared-memory MPMC ring of variable-length byte records.

Segment layout (one POSIX shared-memory object; ``meta`` is int64, offsets in bytes)::

    0     line 0   magic, version, capacity, arena_bytes, max_record_bytes, max_claims, size
    64    HEAD     (slot position << 40 | byte position) of the next reservation
    128   TAIL     (slot position << 40 | byte position) just past the released prefix
    192   READ     next slot position to claim (unbounded counter; used modulo 2**24)
    256   EPOCH    claim epoch counter          320  ORPHANS  re-queued claims waiting
    384   futex words (int32): data-seq, data-waiters | space-seq, space-waiters
    448.. stats, one counter per line: pushes, claims, full/empty waits, reclaimed, poisoned
    832   claim table, one line per entry: state(=kind << 32 | pid), epoch, start, count
    ...   slot table, 4 int64 per slot: seq, byte position, length, writer stamp
    ...   arena (uint8), aligned to 64 bytes

Slot positions count modulo 2**24 and byte positions modulo 2**40 (arena offset = byte
position mod arena_bytes, a power of two), so both fit in one word and bytes in use are
exactly HEAD - TAIL, even with zero-length records:
a producer reserves k slots *and* their bytes with one CAS on HEAD, which keeps arena
order equal to slot order, so any run of slots is one contiguous byte range unless it
crosses the arena end (a batch never does: it skips to offset 0 instead). Record lengths
live in the slot table, not in the arena, so records are packed back to back and a claim
is exactly the kernels' layout (uint8 buffer + int64 offsets) without copying.

Per-slot ``seq`` for position p: ``p + 1`` published, ``p + 2`` done (released or
poisoned); anything else means not yet written. Consumers claim a published run with one
CAS on READ, having first written the run into their claim-table entry (owner pid +
epoch) so a supervisor can re-queue it if they die. Releases mark slots done in any
order; TAIL advances over the contiguous done prefix (never past READ), which returns
slots and arena bytes to producers in order. A producer that dies after reserving leaves
a writer stamp (pid, position); ``reclaim_dead`` marks such slots done ("poisoned": the
record is dropped, it was never published) so the ring keeps moving.

Known limits, by choice: a producer killed in the few instructions between its HEAD CAS
and stamping its slots, or a consumer whose pid was reused by a live process, is not
detected (records behind it wait); a re-queued claim is delivered whole, ignoring the new
claimer's limits; HEAD could suffer ABA only after 2**24 records totalling 0 mod 2**40
bytes pass while one producer sits between its load and its CAS.
"""

from __future__ import annotations

import mmap
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _core as core
from . import _layout as L
from ._errors import ClaimLost, RecordTooLarge, RingClosed, RingFull
from ._shm import Segment
from ._wait import HAVE_FUTEX, futex_wait, futex_wake

_SPINS = 64  # attempts before sleeping: a producer is usually microseconds away
_MAX_SLEEP = 0.2  # re-check at least this often (recovery bumps the words, but be safe)


@dataclass(frozen=True)
class RingStats:
    """Counters for metrics; a racy but consistent-enough snapshot."""

    capacity_records: int
    arena_bytes: int
    occupancy: int  # records not yet given back to producers (space returns in FIFO order)
    unclaimed: int  # records reserved and not yet claimed
    bytes_in_use: int  # arena bytes between TAIL and HEAD, padding included
    pushes: int
    claims: int
    full_waits: int
    empty_waits: int
    reclaimed: int
    poisoned: int


class Claim:
    """A zero-copy run of records: ``buffer[offsets[i]:offsets[i + 1]]`` is record i.

    The views stay valid until :meth:`Ring.release`; after it the bytes may be overwritten.
    """

    __slots__ = ("buffer", "offsets", "entry", "epoch", "start")

    def __init__(
        self, buffer: np.ndarray, offsets: np.ndarray, entry: int, epoch: int, start: int
    ) -> None:
        self.buffer = buffer
        self.offsets = offsets
        self.entry = entry
        self.epoch = epoch
        self.start = start

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def record(self, i: int) -> memoryview:
        return self.buffer[self.offsets[i] : self.offsets[i + 1]].data

    def records(self) -> Iterator[memoryview]:
        o = self.offsets.tolist()
        mv = self.buffer.data
        for i in range(len(o) - 1):
            yield mv[o[i] : o[i + 1]]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed but unreaped child is a zombie: dead for our purposes
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _as_batch(buffer: Any, offsets: Any) -> tuple[np.ndarray, np.ndarray]:
    buf = np.frombuffer(buffer, np.uint8) if not isinstance(buffer, np.ndarray) else buffer
    offs = np.ascontiguousarray(offsets, dtype=np.int64)
    if buf.dtype != np.uint8 or buf.ndim != 1:
        raise TypeError("buffer must be a 1-d uint8 array or bytes-like")
    if offs.ndim != 1 or len(offs) < 1:
        raise ValueError("offsets must be 1-d with n + 1 entries")
    if len(offs) > 1 and (offs[0] < 0 or offs[-1] > len(buf) or np.any(np.diff(offs) < 0)):
        raise ValueError("offsets must be non-decreasing and within the buffer")
    return np.ascontiguousarray(buf), offs


class Ring:
    """A handle on a ring segment in this process. Use :meth:`create` or :meth:`attach`."""

    def __init__(self, seg: Segment) -> None:
        self._seg = seg
        self._creator_pid = os.getpid() if seg.owner else -1
        assert seg.mmap is not None
        raw = np.frombuffer(seg.mmap, np.uint8)
        geo = L.read_geometry(raw[:64].view(np.int64))
        self.geometry = geo
        self._meta = raw[: geo.arena_offset].view(np.int64)
        self._wake = raw[: L.HEADER_LINES * 64].view(np.int32)
        self._arena = raw[geo.arena_offset : geo.segment_bytes]
        base = self._wake.ctypes.data
        self._data_addr = base + L.W_DATA_SEQ * 4
        self._space_addr = base + L.W_SPACE_SEQ * 4

    # -- lifecycle -------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        name: str | None = None,
        capacity_records: int = 65536,
        arena_bytes: int = 16 << 20,
        max_record_bytes: int = 1 << 20,
        max_claims: int = 256,
    ) -> Ring:
        """Create a new segment; this process owns unlinking it."""
        L.validate(capacity_records, arena_bytes, max_record_bytes, max_claims)
        geo = L.Geometry(capacity_records, arena_bytes, max_record_bytes, max_claims)
        seg = Segment.create(name, geo.segment_bytes)
        assert seg.mmap is not None
        L.init_meta(np.frombuffer(seg.mmap, np.int64, geo.meta_words), geo)
        return cls(seg)

    @classmethod
    def attach(cls, name: str) -> Ring:
        """Map an existing ring by name (from any process); never unlinks it."""
        return cls(Segment.attach(name))

    @property
    def name(self) -> str:
        return self._seg.name.lstrip("/")

    @property
    def max_record_bytes(self) -> int:
        return self.geometry.max_record_bytes

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (Ring.attach, (self.name,))

    def __enter__(self) -> Ring:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        if self._creator_pid == os.getpid():
            self.unlink()

    def close(self) -> None:
        """Unmap this process's view; claims still referenced keep the mapping alive."""
        if self._seg.mmap is None:
            return
        self._meta = self._wake = self._arena = None  # type: ignore[assignment]
        self._seg.close()

    def unlink(self) -> None:
        """Remove the segment's name (creator only; a no-op in other processes)."""
        if self._creator_pid == os.getpid():
            self._seg.unlink()
            self._creator_pid = -1

    def map_pages(self) -> None:
        """Fault every page of the segment into this process now, by reading one byte of
        each (safe while other processes use the ring). Shared memory is otherwise taken,
        and counted in each process's RSS, only as the ring first wraps: mapped at start, a
        long-running process's RSS is flat and /dev/shm's limit is met at once, not mid-run."""
        self._live()  # raises once closed here
        assert self._seg.mmap is not None
        int(np.frombuffer(self._seg.mmap, np.uint8)[:: mmap.PAGESIZE].max())

    def _live(self) -> np.ndarray:
        if self._meta is None:
            raise RingClosed("ring is closed in this process")
        return self._meta

    # -- waiting ---------------------------------------------------------------------
    def _block(
        self, attempt: Callable[[], Any], data: bool, stat: int, timeout: float | None
    ) -> Any:
        """Retry ``attempt`` until truthy or timeout: spin, then sleep on the futex."""
        for i in range(_SPINS):
            r = attempt()
            if r or timeout == 0:
                return r
            if i & 7 == 7:
                os.sched_yield()
        deadline = None if timeout is None else time.monotonic() + timeout
        seq_i, waiters_i = (
            (L.W_DATA_SEQ, L.W_DATA_WAITERS) if data else (L.W_SPACE_SEQ, L.W_SPACE_WAITERS)
        )
        addr = self._data_addr if data else self._space_addr
        core.atomic_add64(self._meta, stat, 1)
        core.atomic_add32(self._wake, waiters_i, 1)
        try:
            while True:
                seen = core.atomic_load32(self._wake, seq_i)
                r = attempt()  # re-check after announcing ourselves: no lost wake-ups
                if r:
                    return r
                left = _MAX_SLEEP if deadline is None else deadline - time.monotonic()
                if left <= 0:
                    return r
                futex_wait(addr, seen, min(left, _MAX_SLEEP))
        finally:
            core.atomic_add32(self._wake, waiters_i, -1)

    def _wake_consumers(self) -> None:
        if self._wake[L.W_DATA_WAITERS] > 0 or not HAVE_FUTEX:
            futex_wake(self._data_addr)

    def _wake_producers(self) -> None:
        if self._wake[L.W_SPACE_WAITERS] > 0 or not HAVE_FUTEX:
            futex_wake(self._space_addr)

    # -- producing -------------------------------------------------------------------
    def _check_sizes(self, offs: np.ndarray) -> None:
        if len(offs) < 2:
            return
        lens = np.diff(offs)
        big = int(np.argmax(lens))
        if lens[big] > self.geometry.max_record_bytes:
            raise RecordTooLarge(
                f"record {big} is {int(lens[big])} bytes; this ring takes at most "
                f"{self.geometry.max_record_bytes} (nothing of this call was pushed)"
            )

    def try_push_many(self, buffer: Any, offsets: Any) -> int:
        """Push as many leading records as fit now; returns how many (0 if full)."""
        buf, offs = _as_batch(buffer, offsets)
        self._check_sizes(offs)
        return self._push_from(buf, offs, 0)

    def _push_from(self, buf: np.ndarray, offs: np.ndarray, first: int) -> int:
        meta, pid, total, done = self._live(), os.getpid(), len(offs) - 1, 0
        while first + done < total:
            k = core.push_batch(
                meta, self._arena, self._wake, buf, offs, first + done, total - first - done, pid
            )
            if k == 0:
                break
            done += k
        if done:
            self._wake_consumers()
        return done

    def push_many(self, buffer: Any, offsets: Any, timeout: float | None = None) -> int:
        """Push all records, waiting for space; raises :class:`RingFull` on timeout."""
        buf, offs = _as_batch(buffer, offsets)
        self._check_sizes(offs)
        total, done = len(offs) - 1, 0
        deadline = None if timeout is None else time.monotonic() + timeout

        def attempt() -> int:
            nonlocal done
            k = self._push_from(buf, offs, done)
            done += k
            return done == total or k

        while done < total:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._block(attempt, False, L.S_FULL_WAITS, left) and left == 0.0:
                raise RingFull(f"ring full: pushed {done} of {total} records", done)
        return done

    def try_push(self, data: Any) -> bool:
        """Push one record if it fits now."""
        return self.try_push_many(data, np.array([0, len(memoryview(data).cast("B"))])) == 1

    def push(self, data: Any, timeout: float | None = None) -> None:
        """Push one record, waiting for space; raises :class:`RingFull` on timeout."""
        self.push_many(data, np.array([0, len(memoryview(data).cast("B"))]), timeout)

    # -- consuming -------------------------------------------------------------------
    def _try_claim(self, max_records: int, max_bytes: int) -> Claim | None:
        meta = self._live()
        e, epoch = core.claim_run(meta, self._wake, os.getpid(), max_records, max_bytes)
        if e < 0:
            return None
        _, _, start, n = core.entry_state(meta, e)
        off0, offs = core.claim_offsets(meta, start, n)
        buf = self._arena[off0 : off0 + offs[n]]
        return Claim(buf, offs, e, epoch, start)

    def claim_batch(
        self, max_records: int = 4096, max_bytes: int = 1 << 20, timeout: float | None = None
    ) -> Claim | None:
        """Claim up to ``max_records`` / ``max_bytes`` (at least one record) as a zero-copy
        view; waits up to ``timeout`` seconds (None: forever, 0: don't wait).

        A claim re-queued from a dead consumer is delivered whole, whatever the limits.
        """
        if max_records < 1:
            raise ValueError("max_records must be >= 1")
        return self._block(
            lambda: self._try_claim(max_records, max_bytes), True, L.S_EMPTY_WAITS, timeout
        )

    def release(self, claim: Claim) -> None:
        """Give the claim's slots back; its views must not be used afterwards."""
        n = core.release_entry(self._live(), self._wake, claim.entry, claim.epoch, os.getpid())
        if n < 0:
            raise ClaimLost("claim was re-queued by reclaim_dead or released already")
        self._wake_producers()

    # -- supervision and metrics -----------------------------------------------------
    def reclaim_dead(self, is_alive: Callable[[int], bool] | None = None) -> int:
        """Re-queue claims of dead consumers (returns how many records) and poison slots
        reserved by dead producers; ``is_alive(pid)`` defaults to a kill(pid, 0) probe."""
        alive = is_alive or _pid_alive
        meta, n = self._live(), 0
        for e in range(self.geometry.max_claims):
            st, pid, _, _ = core.entry_state(meta, e)
            if st in (L.ST_CLAIMING, L.ST_ACTIVE) and not alive(pid):
                n += core.orphan_entry(meta, self._wake, e, st * L.STATE_MUL + pid)
        stamps = core.unpublished_writers(meta)
        dead = [int(w) for w in stamps if w >= 0 and not alive(int(w) // L.PID_MUL)]
        if dead:
            core.poison(meta, self._wake, np.array(dead, np.int64))
        futex_wake(self._data_addr)
        futex_wake(self._space_addr)
        return n

    def stats(self) -> RingStats:
        m, g = self._live(), self.geometry
        h, t, r = int(m[L.H_HEAD]), int(m[L.H_TAIL]), int(m[L.H_READ])
        hs, ts = (h >> L.OFF_BITS) & L.POS_MASK, (t >> L.OFF_BITS) & L.POS_MASK
        occ = (hs - ts) & L.POS_MASK
        used = (h - t) & L.OFF_MASK
        return RingStats(
            capacity_records=g.capacity,
            arena_bytes=g.arena_bytes,
            occupancy=occ,
            unclaimed=(hs - r) & L.POS_MASK,
            bytes_in_use=used,
            pushes=int(m[L.S_PUSHES]),
            claims=int(m[L.S_CLAIMS]),
            full_waits=int(m[L.S_FULL_WAITS]),
            empty_waits=int(m[L.S_EMPTY_WAITS]),
            reclaimed=int(m[L.S_RECLAIMED]),
            poisoned=int(m[L.S_POISONED]),
        )
