"""Real processes: N x M exactly-once stress, attach by name, crash recovery, waiting."""

from __future__ import annotations

import mmap
import multiprocessing as mp
import os
import signal
import time
from typing import Any

import numpy as np
import pytest
from ring_payload import make_batch, record, verify_batch

from ringbuffer import ClaimLost, Ring
from ringbuffer import _core as core
from ringbuffer import _layout as L

FORK = mp.get_context("fork")
SPAWN = mp.get_context("spawn")


def _shared_counts(n: int) -> tuple[mmap.mmap, np.ndarray]:
    """Anonymous MAP_SHARED memory: forked children's writes are seen by the parent."""
    m = mmap.mmap(-1, max(8 * n, 8))
    return m, np.frombuffer(m, np.int64, n)


def _producer(ring: Ring, start: int, step: int, total: int, batch: int) -> None:
    ids = np.arange(start, total, step, dtype=np.int64)
    for i in range(0, len(ids), batch):
        ring.push_many(*make_batch(ids[i : i + batch]), timeout=60)


def _consumer(
    ring: Ring, seen: np.ndarray, errors: np.ndarray, stop: Any, max_records: int
) -> None:
    while True:
        c = ring.claim_batch(max_records, 256 << 10, timeout=0.05)
        if c is None:
            if stop.is_set() and ring.stats().unclaimed == 0:
                return
            continue
        if verify_batch(c.buffer, c.offsets, seen) != len(c):
            errors[0] += 1
        ring.release(c)


def _run_stress(
    producers: int, consumers: int, total: int, batch: int = 512, max_records: int = 1024
) -> Ring:
    ring = Ring.create(capacity_records=4096, arena_bytes=1 << 18, max_record_bytes=1024)
    m, seen2d = _shared_counts(total * consumers + 1)
    seen = seen2d[:-1].reshape(consumers, total)
    errors = seen2d[-1:]
    stop = FORK.Event()
    cons = [
        FORK.Process(target=_consumer, args=(ring, seen[i], errors, stop, max_records))
        for i in range(consumers)
    ]
    prods = [
        FORK.Process(target=_producer, args=(ring, i, producers, total, batch))
        for i in range(producers)
    ]
    for p in cons + prods:
        p.start()
    for p in prods:
        p.join(120)
        assert p.exitcode == 0
    stop.set()
    for p in cons:
        p.join(120)
        assert p.exitcode == 0
    assert errors[0] == 0, "a consumer saw a corrupt record"
    counts = seen.sum(axis=0)
    assert (counts == 1).all(), f"lost {(counts == 0).sum()}, duplicated {(counts > 1).sum()}"
    assert all(seen[i].sum() > 0 for i in range(consumers)), "a consumer starved"
    del seen, seen2d, errors, counts
    m.close()
    return ring


@pytest.mark.slow
def test_stress_2x2_exactly_once_two_million() -> None:
    total = 2_000_000
    ring = _run_stress(2, 2, total)
    try:
        s = ring.stats()
        assert s.pushes == s.claims == total
        assert s.occupancy == 0 and s.bytes_in_use == 0
        assert total // 4096 > 400  # the slot ring wrapped hundreds of times
    finally:
        ring.close()
        ring.unlink()


def test_stress_3x2_small_batches() -> None:
    ring = _run_stress(3, 2, 60_000, batch=3, max_records=5)  # many more CAS races
    ring.close()
    ring.unlink()


def _spawn_producer(name: str, n: int) -> None:
    ring = Ring.attach(name)
    for i in range(n):
        ring.push(record(i), timeout=10)
    ring.close()


def test_attach_by_name_from_spawned_process() -> None:
    with Ring.create(capacity_records=64, arena_bytes=1 << 16, max_record_bytes=1024) as ring:
        p = SPAWN.Process(target=_spawn_producer, args=(ring.name, 500))
        p.start()
        seen = np.zeros(500, np.int64)
        got = 0
        while got < 500:
            c = ring.claim_batch(64, 1 << 20, timeout=60)  # a cold child may compile first
            assert c is not None
            assert verify_batch(c.buffer, c.offsets, seen) == len(c)
            got += len(c)
            ring.release(c)
        p.join(60)
        assert p.exitcode == 0 and (seen == 1).all()


def _claim_and_hang(ring: Ring, conn: Any) -> None:
    c = ring.claim_batch(10, 1 << 20, timeout=10)
    assert c is not None
    conn.send([bytes(r) for r in c.records()])
    time.sleep(60)


def test_sigkilled_consumer_claim_is_redelivered() -> None:
    with Ring.create(capacity_records=64, arena_bytes=1 << 16, max_record_bytes=1024) as ring:
        for i in range(25):
            ring.push(record(i))
        first = ring.claim_batch(5, 1 << 20, timeout=0)  # a live claim that must stay put
        assert first is not None
        parent, child = FORK.Pipe()
        p = FORK.Process(target=_claim_and_hang, args=(ring, child))
        p.start()
        held = parent.recv()
        assert held == [record(i) for i in range(5, 15)]
        os.kill(p.pid, signal.SIGKILL)
        p.join(10)
        assert ring.reclaim_dead() == 10
        assert ring.reclaim_dead() == 0  # idempotent
        assert ring.stats().reclaimed == 10
        again = ring.claim_batch(3, 10, timeout=0)  # delivered whole, in the same layout
        assert again is not None and [bytes(r) for r in again.records()] == held
        rest = ring.claim_batch(100, 1 << 20, timeout=0)
        assert rest is not None
        assert [bytes(r) for r in rest.records()] == [record(i) for i in range(15, 25)]
        for c in (rest, first, again):
            ring.release(c)
        assert ring.stats().occupancy == 0


def _reserve_and_die(ring: Ring) -> None:
    """Reserve a slot, stamp it like push_batch does, and die before publishing."""
    offs = np.array([0, 100], np.int64)
    hs, k, base, nb = core._reserve(ring._meta, offs, 0, 1)
    s = core._slot(ring._meta, hs)
    ring._meta[s + L.F_OFF] = base
    ring._meta[s + L.F_LEN] = 100
    ring._meta[s + L.F_WRITER] = os.getpid() * L.PID_MUL + hs
    os._exit(0)


def test_dead_producer_does_not_wedge_the_ring() -> None:
    with Ring.create(capacity_records=8, arena_bytes=4096, max_record_bytes=1024) as ring:
        ring.push(b"before")
        p = FORK.Process(target=_reserve_and_die, args=(ring,))
        p.start()
        p.join(10)
        ring.push(b"after")
        c = ring.claim_batch(10, 1 << 20, timeout=0)
        assert c is not None and [bytes(r) for r in c.records()] == [b"before"]
        assert ring.claim_batch(10, 1 << 20, timeout=0) is None  # stuck behind the hole
        assert ring.reclaim_dead() == 0
        assert ring.stats().poisoned == 1
        d = ring.claim_batch(10, 1 << 20, timeout=0)
        assert d is not None and [bytes(r) for r in d.records()] == [b"after"]
        ring.release(c)
        ring.release(d)
        s = ring.stats()
        assert s.occupancy == 0 and s.bytes_in_use == 0
        for i in range(50):  # and it keeps wrapping normally
            ring.push(b"%d" % i)
            e = ring.claim_batch(1, 100, timeout=0)
            assert e is not None and bytes(e.record(0)) == b"%d" % i
            ring.release(e)


def _sleepy_consumer(ring: Ring, conn: Any) -> None:
    assert ring.claim_batch(1, 100, timeout=0) is None  # load compiled code before idling
    conn.send("ready")
    for _ in range(21):
        c = ring.claim_batch(1, 100, timeout=None)
        now = time.perf_counter()
        assert c is not None
        sent = float(bytes(c.record(0)))
        ring.release(c)
        conn.send(now - sent)


def test_a_sleeping_consumer_wakes_for_every_push() -> None:
    """Its idle CPU and wake-up delay are figures of bench/worker_checks.py."""
    with Ring.create(capacity_records=64, arena_bytes=4096, max_record_bytes=1024) as ring:
        parent, child = FORK.Pipe()
        p = FORK.Process(target=_sleepy_consumer, args=(ring, child))
        p.start()
        assert parent.recv() == "ready"
        time.sleep(0.2)
        for _ in range(21):
            ring.push(repr(time.perf_counter()).encode())
            assert parent.poll(10), "the consumer did not wake up"
            assert parent.recv() >= 0
            time.sleep(0.02)  # let it fall asleep again
        p.join(10)
        assert p.exitcode == 0


def _die_around_read_cas(ring: Ring, do_cas: bool) -> None:
    """Die between writing the claim entry and marking it active (the narrowest window)."""
    meta, pid = ring._meta, os.getpid()
    e = core._grab_entry(meta, pid)
    c = core.CLAIMS_BASE + e * L.LINE
    r = int(meta[L.H_READ])
    meta[c + L.C_START], meta[c + L.C_COUNT] = r, 2
    if do_cas:
        meta[L.H_READ] = r + 2
    os._exit(0)


@pytest.mark.parametrize("cas_done", [True, False])
def test_consumer_dying_around_its_read_cas(cas_done: bool) -> None:
    with Ring.create(capacity_records=8, arena_bytes=4096, max_record_bytes=1024) as ring:
        for i in range(3):
            ring.push(b"r%d" % i)
        p = FORK.Process(target=_die_around_read_cas, args=(ring, cas_done))
        p.start()
        p.join(10)
        assert ring.reclaim_dead() == (2 if cas_done else 0)
        got = []
        while (c := ring.claim_batch(10, 1 << 20, timeout=0)) is not None:
            got += [bytes(r) for r in c.records()]
            ring.release(c)
        assert sorted(got) == [b"r0", b"r1", b"r2"]  # each exactly once
        assert ring.stats().occupancy == 0


def test_reclaim_uses_the_callers_liveness_check() -> None:
    with Ring.create(capacity_records=8, arena_bytes=4096, max_record_bytes=1024) as ring:
        ring.push(b"x")
        c = ring.claim_batch(1, 100, timeout=0)
        assert c is not None
        assert ring.reclaim_dead(is_alive=lambda pid: True) == 0
        assert ring.reclaim_dead(is_alive=lambda pid: pid != os.getpid()) == 1
        with pytest.raises(ClaimLost):
            ring.release(c)  # its records now belong to whoever claims them next
        again = ring.claim_batch(1, 100, timeout=0)
        assert again is not None and bytes(again.record(0)) == b"x"
        assert again.epoch != c.epoch
        ring.release(again)


def _die_mid_release(ring: Ring) -> None:
    """Claim four records, mark the first two done the way release does, then die."""
    c = ring.claim_batch(4, 1 << 20, timeout=0)
    assert c is not None
    for p in (c.start, c.start + 1):
        ring._meta[core._slot(ring._meta, p & L.POS_MASK) + L.F_SEQ] = (p + 2) & L.POS_MASK
    os._exit(0)


def test_consumer_dying_mid_release_requeues_only_the_rest() -> None:
    with Ring.create(capacity_records=8, arena_bytes=4096, max_record_bytes=1024) as ring:
        for i in range(5):
            ring.push(b"m%d" % i)
        p = FORK.Process(target=_die_mid_release, args=(ring,))
        p.start()
        p.join(10)
        assert ring.reclaim_dead() == 2
        c = ring.claim_batch(10, 1 << 20, timeout=0)
        assert c is not None and [bytes(r) for r in c.records()] == [b"m2", b"m3"]
        d = ring.claim_batch(10, 1 << 20, timeout=0)
        assert d is not None and [bytes(r) for r in d.records()] == [b"m4"]
        ring.release(d)
        ring.release(c)
        s = ring.stats()
        assert s.occupancy == 0 and s.bytes_in_use == 0
