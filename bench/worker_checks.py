"""Speed figures that once sat in tests as timed assertions, each against its baseline.

Usage: ``python bench/worker_checks.py [--json] [--offsets N]``.

- offsets: CPU seconds to track, ack (in reverse, per batch of 500) and commit N offsets with
  the worker's OffsetTracker, against a plain Python set of pending offsets doing the same.
- ring wake: a consumer blocked in ``claim_batch`` on an empty ring: its CPU share while idle
  and the median delay from a push to its wake-up, against a consumer blocked in
  ``multiprocessing.Pipe.recv`` (the kernel's own wake-up).

CPU time (not wall time) for the offsets, so other processes on the machine do not count.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._machine import commit as machine_commit  # noqa: E402
from ringbuffer import Ring  # noqa: E402
from worker._offsets import OffsetTracker  # noqa: E402

FORK = mp.get_context("fork")
_BATCH = 500
_WAKES = 21


def tracker_cpu_s(total: int) -> float:
    tracker, tp = OffsetTracker(), ("in", 0)
    started = time.process_time()
    for first in range(0, total, _BATCH):
        tracker.track_range(tp, first, first + _BATCH - 1)
        tracker.ack(tp, np.arange(first + _BATCH - 1, first - 1, -1))
        if first % 20_000 == 0:
            tracker.committable()
    spent = time.process_time() - started
    assert tracker.committable() == {tp: total}
    return spent


def set_baseline_cpu_s(total: int) -> float:
    """The obvious alternative: a set of pending offsets, commit = its minimum."""
    pending: set[int] = set()
    started = time.process_time()
    for first in range(0, total, _BATCH):
        pending.update(range(first, first + _BATCH))
        for offset in range(first + _BATCH - 1, first - 1, -1):
            pending.discard(offset)
        if first % 20_000 == 0:
            _ = min(pending) if pending else first + _BATCH
    return time.process_time() - started


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        fields = stat.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ring_waiter(ring: Ring, conn: Any) -> None:
    ring.claim_batch(1, 100, timeout=0)  # load compiled code before idling
    conn.send("ready")
    for _ in range(_WAKES):
        claim = ring.claim_batch(1, 100, timeout=None)
        now = time.perf_counter()
        assert claim is not None
        conn.send(now - float(bytes(claim.record(0))))
        ring.release(claim)


def _pipe_waiter(inbox: Any, conn: Any) -> None:
    conn.send("ready")
    for _ in range(_WAKES):
        sent = inbox.recv()
        conn.send(time.perf_counter() - sent)


def idle_and_wake(kind: str) -> tuple[float, float]:
    """(idle CPU share over 1 s, median wake-up seconds) of a blocked consumer."""
    parent, child = FORK.Pipe()
    with Ring.create(capacity_records=64, arena_bytes=4096, max_record_bytes=1024) as ring:
        inbox, outbox = FORK.Pipe(duplex=False)
        target, args = ((_ring_waiter, (ring, child)) if kind == "grump-ring"
                        else (_pipe_waiter, (inbox, child)))  # fmt: skip
        process = FORK.Process(target=target, args=args)
        process.start()
        assert parent.recv() == "ready"
        time.sleep(0.2)
        cpu0, t0 = _cpu_s(process.pid), time.monotonic()
        time.sleep(1.0)
        idle = (_cpu_s(process.pid) - cpu0) / (time.monotonic() - t0)
        delays = []
        for _ in range(_WAKES):
            if kind == "grump-ring":
                ring.push(repr(time.perf_counter()).encode())
            else:
                outbox.send(time.perf_counter())
            delays.append(parent.recv())
            time.sleep(0.02)  # let it fall asleep again
        process.join(10)
    return idle, float(np.median(delays))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--offsets", type=int, default=1_000_000, help="offsets to track")
    args = parser.parse_args()
    total = args.offsets // _BATCH * _BATCH
    device, commit = f"cpu x{os.cpu_count()}", machine_commit()
    runs = (("offset-tracker", tracker_cpu_s), ("python-set", set_baseline_cpu_s))
    rows = [("offsets", impl, "cpu_s", round(run(total), 3), _BATCH) for impl, run in runs]
    for impl in ("grump-ring", "mp-pipe"):
        idle, wake_s = idle_and_wake(impl)
        rows += [("idle_cpu", impl, "ratio", round(idle, 4), 1),
                 ("wake_latency", impl, "us", round(wake_s * 1e6, 1), 1)]  # fmt: skip
    if args.json:
        for check, impl, unit, value, batch in rows:
            print(json.dumps({"name": f"{check}.{impl}", "value": value, "unit": unit,
                              "batch": batch, "device": device, "commit": commit,
                              "offsets": total}))  # fmt: skip
        return
    print(f"{'check':<14} {'impl':<16} {'value':>12}  ({device}, commit {commit}, "
          f"{total:,} offsets in batches of {_BATCH})")  # fmt: skip
    for check, impl, unit, value, _batch in rows:
        print(f"{check:<14} {impl:<16} {value:>12} {unit}")


if __name__ == "__main__":
    main()
