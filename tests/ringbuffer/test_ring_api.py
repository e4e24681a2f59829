"""Single-process behaviour of the ring: API, edge cases, wrap-around, atomics."""

from __future__ import annotations

import time

import numpy as np
import pytest
from numba import njit
from ring_payload import make_batch, verify_batch

import ringbuffer
from ringbuffer import ClaimLost, RecordTooLarge, Ring, RingClosed, RingFull
from ringbuffer import _layout as L
from ringbuffer._atomics import cas, fetch_add, load_acquire, store_release


def test_public_api_is_pinned() -> None:
    assert ringbuffer.__all__ == [
        "Claim",
        "ClaimLost",
        "RecordTooLarge",
        "Ring",
        "RingClosed",
        "RingError",
        "RingFull",
        "RingStats",
    ]


@njit
def _exercise(a: np.ndarray) -> tuple[int, int, int, int, int]:
    old = fetch_add(a, 0, 5)
    won = cas(a, 1, 0, 7)
    lost = cas(a, 1, 0, 9)
    store_release(a, 2, -3)
    return old, won, lost, load_acquire(a, 2), load_acquire(a, 0)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint32, np.int8])
def test_atomics_semantics(dtype: type) -> None:
    a = np.zeros(4, dtype)
    old, won, lost, stored, now = _exercise(a)
    assert (old, won, lost, now) == (0, 0, 7, 5)
    assert stored == np.array(-3).astype(dtype)
    assert a[1] == 7


def test_push_claim_release_roundtrip(ring: Ring) -> None:
    ring.push(b"hello")
    assert ring.try_push(bytearray(b""))
    ring.push(memoryview(b"world!"))
    c = ring.claim_batch(10, 1 << 20, timeout=0)
    assert c is not None and len(c) == 3
    assert c.buffer.dtype == np.uint8 and c.offsets.dtype == np.int64
    assert c.offsets.tolist() == [0, 5, 5, 11]
    assert c.buffer.tobytes() == b"helloworld!"
    assert [bytes(r) for r in c.records()] == [b"hello", b"", b"world!"]
    assert bytes(c.record(2)) == b"world!"
    s = ring.stats()
    assert (s.occupancy, s.unclaimed, s.bytes_in_use, s.pushes, s.claims) == (3, 0, 11, 3, 3)
    ring.release(c)
    s = ring.stats()
    assert (s.occupancy, s.bytes_in_use) == (0, 0)
    with pytest.raises(ClaimLost):
        ring.release(c)


def test_claim_view_is_zero_copy(ring: Ring) -> None:
    ring.push(b"abc")
    c = ring.claim_batch(1, 100, timeout=0)
    assert c is not None
    assert not c.buffer.flags.owndata and np.shares_memory(c.buffer, ring._arena)
    ring.release(c)


def test_oversize_record_refused_never_truncated(ring: Ring) -> None:
    with pytest.raises(RecordTooLarge, match="1025 bytes"):
        ring.push(b"x" * 1025)
    with pytest.raises(ValueError):
        ring.try_push_many(b"a" * 1030, [0, 5, 1030])  # second record too big
    assert ring.stats().pushes == 0  # nothing of a refused batch went in
    ring.push(b"y" * 1024)  # the maximum itself is fine


def test_full_and_empty_edges(ring: Ring) -> None:
    assert ring.claim_batch(8, 100, timeout=0) is None
    t0 = time.monotonic()
    assert ring.claim_batch(8, 100, timeout=0.05) is None
    assert 0.04 < time.monotonic() - t0 < 1.0
    for i in range(64):  # slots run out first
        assert ring.try_push(bytes([i]))
    assert not ring.try_push(b"z")
    with pytest.raises(RingFull) as exc:
        ring.push_many(b"zz", [0, 1, 2], timeout=0.02)
    assert exc.value.pushed == 0
    s = ring.stats()
    assert s.occupancy == 64 and s.full_waits >= 1 and s.empty_waits >= 1
    c = ring.claim_batch(100, 1 << 20, timeout=0)
    assert c is not None and len(c) == 64
    ring.release(c)
    # now bytes run out: the arena's first 64 bytes hold drained records, so only three
    # 1 KiB records fit before the end and a fourth cannot straddle it or wrap into 64 bytes
    big = b"b" * 1024
    assert ring.try_push_many(big * 5, np.arange(6) * 1024) == 3
    assert ring.stats().bytes_in_use == 3072
    c = ring.claim_batch(1, 1 << 20, timeout=0)
    assert c is not None
    ring.release(c)
    assert ring.try_push_many(big, [0, 1024]) == 1  # wraps to offset 0
    assert ring.stats().bytes_in_use == 3 * 1024 + 960  # three live records + skipped end


def test_partial_push_many_and_limits(ring: Ring) -> None:
    buf, offs = make_batch(np.arange(100, dtype=np.int64))
    pushed = ring.try_push_many(buf, offs)
    assert 0 < pushed < 100  # 100 records of up to 300 bytes cannot all fit in 4 KiB
    c = ring.claim_batch(3, 1 << 20, timeout=0)
    assert c is not None and len(c) == 3
    d = ring.claim_batch(100, 1, timeout=0)  # byte limit still yields one record
    assert d is not None and len(d) == 1
    e = ring.claim_batch(100, 600, timeout=0)
    assert e is not None and e.offsets[-1] <= 600
    for x in (d, c, e):  # out of order
        ring.release(x)


def _start_near_modulus(r: Ring) -> None:
    """Move an empty ring's positions to just before they wrap (2**24 slots, 2**40 bytes)."""
    pos, byte = L.POS_MOD - 37, (1 << L.OFF_BITS) - 5000 - 3
    word = np.array([(pos << L.OFF_BITS) | byte], np.uint64).view(np.int64)[0]
    r._meta[L.H_HEAD] = r._meta[L.H_TAIL] = word
    r._meta[L.H_READ] = pos


@pytest.mark.parametrize("near_modulus", [False, True])
def test_wraps_many_times_with_exact_content(near_modulus: bool) -> None:
    with Ring.create(capacity_records=16, arena_bytes=1024, max_record_bytes=300) as r:
        if near_modulus:
            _start_near_modulus(r)
        seen = np.zeros(20000, np.int64)
        nxt, got, held = 0, 0, []
        rng = np.random.default_rng(1)
        while got < len(seen):
            if nxt < len(seen):
                k = int(rng.integers(1, 8))
                ids = np.arange(nxt, min(nxt + k, len(seen)), dtype=np.int64)
                nxt += r.try_push_many(*make_batch(ids))
            c = r.claim_batch(int(rng.integers(1, 6)), int(rng.integers(1, 700)), timeout=0)
            if c is not None:
                assert verify_batch(c.buffer, c.offsets, seen) == len(c)
                assert int(c.offsets[-1]) == len(c.buffer)
                got += len(c)
                held.append(c)
            if held and (len(held) > 2 or rng.random() < 0.5):
                r.release(held.pop(int(rng.integers(0, len(held)))))
        for c in held:
            r.release(c)
        assert (seen == 1).all()
        assert r.stats().occupancy == 0 and r.stats().bytes_in_use == 0


def test_geometry_is_validated() -> None:
    with pytest.raises(ValueError):
        Ring.create(capacity_records=100)
    with pytest.raises(ValueError):
        Ring.create(arena_bytes=1000)
    with pytest.raises(ValueError):
        Ring.create(arena_bytes=4096, max_record_bytes=4096)


def test_attach_in_process_and_closed_errors(ring: Ring) -> None:
    other = Ring.attach(ring.name)
    other.push(b"via attach")
    other.close()
    other.unlink()  # attachers never remove the name
    c = ring.claim_batch(4, 100, timeout=0)
    assert c is not None and c.buffer.tobytes() == b"via attach"
    ring.release(c)
    with pytest.raises(RingClosed):
        other.push(b"x")
    with pytest.raises(FileNotFoundError):
        Ring.attach("grump_no_such_ring")


def _shared_rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssShmem:"):
                return int(line.split()[1])
    return 0


def test_map_pages_takes_the_whole_segment_at_once() -> None:
    """Untouched, a ring's shared pages enter RSS (and /dev/shm) only as records reach them;
    `map_pages` takes every one now; in a handle that attaches it only reads."""
    with Ring.create(capacity_records=1024, arena_bytes=8 << 20, max_record_bytes=1 << 16) as r:
        size_kib = r.geometry.segment_bytes >> 10
        before = _shared_rss_kib()
        assert before < size_kib // 2  # a fresh segment is sparse
        r.map_pages()
        assert _shared_rss_kib() - before >= size_kib - 64
        r.push(b"still a working ring")
        with Ring.attach(r.name) as again:
            again.map_pages()  # read-only: the record pushed above is intact
            claim = again.claim_batch(8, 1 << 16, 1.0)
            assert claim is not None and bytes(claim.record(0)) == b"still a working ring"
            again.release(claim)
