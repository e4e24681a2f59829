"""Throughput of the grump ring vs multiprocessing.Queue and Pipe, 200-byte records.

Usage: ``python bench/ring.py [--json] [--scale X]``. Producers and consumers are real
(forked) processes; the clock runs from a barrier all of them pass to the moment the last
consumer has taken the last record. The ring moves batches (``push_many`` of 1024 records,
``claim_batch`` of up to 4096) and consumers look at the offsets only (zero-copy); Queue and
Pipe move one ``bytes`` object per record, which is how they are used for records.
``mp-pipe`` with 2 -> 2 uses two independent pipes (a Pipe is point-to-point).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ringbuffer import Ring  # noqa: E402

REC = 200
CTX = mp.get_context("fork")
BASE_RECORDS = {"grump-ring": 4_000_000, "mp-queue": 300_000, "mp-pipe": 800_000}


def _ring_producer(ring: Ring, n: int, bar: Any) -> None:
    batch = 1024
    buf = np.frombuffer(os.urandom(REC * batch), np.uint8)
    offs = np.arange(batch + 1, dtype=np.int64) * REC
    bar.wait()
    for i in range(0, n, batch):
        k = min(batch, n - i)
        ring.push_many(buf, offs[: k + 1])


def _ring_consumer(ring: Ring, total: int, bar: Any) -> None:
    bar.wait()
    while True:
        c = ring.claim_batch(4096, 1 << 20, timeout=0.02)
        if c is None:
            if ring.stats().claims >= total:
                return
            continue
        ring.release(c)


def _queue_producer(q: Any, n: int, bar: Any) -> None:
    rec = os.urandom(REC)
    bar.wait()
    for _ in range(n):
        q.put(rec)


def _queue_consumer(q: Any, bar: Any) -> None:
    bar.wait()
    while q.get() is not None:
        pass


def _pipe_producer(conn: Any, n: int, bar: Any) -> None:
    rec = os.urandom(REC)
    bar.wait()
    for _ in range(n):
        conn.send_bytes(rec)
    conn.send_bytes(b"")


def _pipe_consumer(conn: Any, bar: Any) -> None:
    bar.wait()
    while conn.recv_bytes():
        pass


def _timed(prods: list[Any], cons: list[Any], bar: Any, after_prods: Callable[[], None]) -> float:
    for p in cons + prods:
        p.start()
    bar.wait()
    t0 = time.perf_counter()
    for p in prods:
        p.join()
    after_prods()
    for p in cons:
        p.join()
    dt = time.perf_counter() - t0
    assert all(p.exitcode == 0 for p in prods + cons)
    return dt


def run_ring(np_: int, nc: int, total: int) -> float:
    with Ring.create(capacity_records=1 << 15, arena_bytes=1 << 24) as ring:
        bar = CTX.Barrier(np_ + nc + 1)
        share = total // np_
        prods = [CTX.Process(target=_ring_producer, args=(ring, share, bar)) for _ in range(np_)]
        cons = [CTX.Process(target=_ring_consumer, args=(ring, share * np_, bar))
                for _ in range(nc)]
        return _timed(prods, cons, bar, lambda: None)


def run_queue(np_: int, nc: int, total: int) -> float:
    q = CTX.Queue(maxsize=100_000)
    bar = CTX.Barrier(np_ + nc + 1)
    prods = [CTX.Process(target=_queue_producer, args=(q, total // np_, bar)) for _ in range(np_)]
    cons = [CTX.Process(target=_queue_consumer, args=(q, bar)) for _ in range(nc)]

    def stop() -> None:
        for _ in range(nc):
            q.put(None)

    dt = _timed(prods, cons, bar, stop)
    q.close()
    q.join_thread()
    return dt


def run_pipe(np_: int, nc: int, total: int) -> float:
    assert np_ == nc, "pipes are point-to-point"
    bar = CTX.Barrier(np_ + nc + 1)
    pairs = [CTX.Pipe(duplex=False) for _ in range(np_)]
    prods = [CTX.Process(target=_pipe_producer, args=(w, total // np_, bar)) for _, w in pairs]
    cons = [CTX.Process(target=_pipe_consumer, args=(r, bar)) for r, _ in pairs]
    dt = _timed(prods, cons, bar, lambda: None)
    for r, w in pairs:
        r.close()
        w.close()
    return dt


def _idle_consumer(ring: Ring, conn: Any) -> None:
    assert ring.claim_batch(1, 100, timeout=0) is None  # load compiled code before idling
    conn.send("ready")
    while True:
        c = ring.claim_batch(1, 100, timeout=None)
        assert c is not None
        now = time.perf_counter()
        stop = c.buffer.tobytes() == b"stop"
        ring.release(c)
        conn.send(now)
        if stop:
            return


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_and_wake(seconds: float = 2.0) -> tuple[float, float]:
    """CPU share of a consumer blocked on an empty ring, and median push->wake latency."""
    with Ring.create(capacity_records=64, arena_bytes=1 << 12, max_record_bytes=64) as ring:
        parent, child = CTX.Pipe()
        p = CTX.Process(target=_idle_consumer, args=(ring, child))
        p.start()
        parent.recv()
        time.sleep(0.2)
        cpu0, t0 = _cpu_seconds(p.pid), time.monotonic()
        time.sleep(seconds)
        idle = (_cpu_seconds(p.pid) - cpu0) / (time.monotonic() - t0)
        lat = []
        for i in range(51):
            t = time.perf_counter()
            ring.push(b"stop" if i == 50 else b"go")
            lat.append(parent.recv() - t)
            time.sleep(0.01)
        p.join()
        return idle, float(np.median(lat))


IMPLS = {"grump-ring": run_ring, "mp-queue": run_queue, "mp-pipe": run_pipe}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object per result")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply record counts")
    args = ap.parse_args()
    results = []
    for np_, nc in ((1, 1), (2, 2)):
        for impl, fn in IMPLS.items():
            total = int(BASE_RECORDS[impl] * args.scale) // np_ * np_
            dt = fn(np_, nc, total)
            rps = total / dt
            results.append({"impl": impl, "producers": np_, "consumers": nc,
                            "records_per_s": round(rps), "mb_per_s": round(rps * REC / 1e6, 1)})
    if args.json:
        for r in results:
            print(json.dumps(r))
        return
    print(f"{'impl':<12} {'P->C':>5} {'records/s':>12} {'MB/s':>8}  (200-byte records, "
          f"{os.cpu_count()} CPUs)")
    for r in results:
        print(f"{r['impl']:<12} {r['producers']}->{r['consumers']:<3} "
              f"{r['records_per_s']:>12,} {r['mb_per_s']:>8}")
    idle, lat = idle_and_wake()
    print(f"idle consumer CPU: {idle:.2%} (blocked in claim_batch for 2 s); "
          f"push -> sleeping consumer wake-up: median {lat * 1e6:.0f} us")
    for np_ in (1, 2):
        row = {r["impl"]: r["records_per_s"] for r in results if r["producers"] == np_}
        print(f"{np_}->{np_}: grump-ring / mp-queue = {row['grump-ring'] / row['mp-queue']:.1f}x, "
              f"/ mp-pipe = {row['grump-ring'] / row['mp-pipe']:.1f}x")


if __name__ == "__main__":
    main()
