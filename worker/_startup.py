"""Start-up of a replica: warming what the parent compiles, and where the time went.

A replacement replica is on the critical path of a rolling restart, so its log says how
long each step took, counted from the process's start: imports, each drain (its own
imports, then its kernels' cache load or compile), the broker connection and the join.
"""

from __future__ import annotations

import logging
import os
import time

import numpy as np

from ringbuffer import Ring

from ._murmur import murmur2_many

log = logging.getLogger("worker")


def process_age_s() -> float:
    """Seconds since this process started (Linux /proc), 0 where that is unknown."""
    try:
        with open("/proc/self/stat") as stat:
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as uptime:
            up_s = float(uptime.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, up_s - start_ticks / os.sysconf("SC_CLK_TCK"))


def warm_parent_jit() -> None:
    """Load (or compile) the numba functions the parent calls per batch: the ring's push,
    claim and release, murmur2 for keyed results, the record batch reader and writer. Otherwise
    the first fetched batch would load them on the event loop, after joining, with
    partitions waiting."""
    with Ring.create(None, capacity_records=64, arena_bytes=1 << 12, max_record_bytes=256) as ring:
        ring.try_push_many(np.zeros(8, np.uint8), np.array([0, 4, 8], np.int64))
        claim = ring.claim_batch(2, 1 << 12, timeout=0)
        if claim is not None:
            ring.release(claim)
    murmur2_many(np.zeros(8, np.uint8), np.array([0], np.int64), np.array([8], np.int64))
    # here: drains import this module, not aiokafka
    from ._record_batch import warm_up as warm_writer
    from ._record_reader import warm_up as warm_reader

    warm_writer()
    warm_reader()


class StartupClock:
    """Marks of the start-up steps, in seconds since the process started."""

    def __init__(self) -> None:
        self._origin = time.monotonic() - process_age_s()
        self.marks: dict[str, float] = {"imports": self.now()}
        self.drains: dict[int, tuple[float, float, float]] = {}  # pid: (spawned, imports, warm)
        self.reported = False

    def now(self) -> float:
        return time.monotonic() - self._origin

    def mark(self, step: str) -> None:
        self.marks.setdefault(step, self.now())

    def drain_warm(self, pid: int, spawned_at: float, before_warm_s: float, warm_s: float) -> None:
        """A drain reported warm: `before_warm_s` it spent starting (imports, ring attach),
        then `warm_s` loading or compiling its kernels; `spawned_at` is monotonic time."""
        self.drains[pid] = (spawned_at - self._origin, before_warm_s, warm_s)

    def summary(self) -> str:
        steps = ", ".join(f"{step} {at:.2f} s" for step, at in self.marks.items())
        drains = "; ".join(f"drain {pid} spawned at {spawned:.2f} s, its imports {imports:.2f} s, "
                           f"kernels {warm:.2f} s"
                           for pid, (spawned, imports, warm) in self.drains.items())  # fmt: skip
        return f"start-up (s since the process began): {steps}; {drains or 'no drains'}"

    def report_ready(self) -> None:
        if not self.reported:
            self.reported = True
            self.mark("ready")
            log.info("%s", self.summary())
