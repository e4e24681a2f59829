"""Compiled CPU kernels are cached on disk: a second process loads them, it does not compile;
a first process on a cold cache loads the writer that its helper process compiled."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import kernels
from kernels import cpu
kernels.encode_batch(kernels.make_batch(["Build a CLI"], ["1"]), backend="cpu")
for fn in (cpu._parse, cpu._write):
    print(fn.__name__, sum(fn.stats.cache_hits.values()), sum(fn.stats.cache_misses.values()))
"""


def probe(timeout_s: float = 900) -> dict[str, tuple[int, int]]:
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, timeout=timeout_s)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    rows = [line.split() for line in run.stdout.decode().splitlines()]
    return {name: (int(hits), int(misses)) for name, hits, misses in rows}


def test_second_process_loads_compiled_kernels_from_the_cache():
    first = probe()  # compiles, or loads what an earlier run compiled
    # on a cold cache the writer compiles in a helper process (`kernels._compile_apart`)
    # while this one compiles the parse: either way this process loads it, never compiles
    assert first["_write"] == (1, 0), first
    second = probe()
    for name, (hits, misses) in second.items():
        assert hits >= 1 and misses == 0, (name, hits, misses)


HOLD_THE_LOCK = """
import fcntl, os, time
from kernels._jit import CACHE_DIR
os.makedirs(CACHE_DIR, exist_ok=True)
lock = open(os.path.join(CACHE_DIR, "compile.lock"), "ab")
fcntl.flock(lock, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
"""


def test_a_warm_cache_loads_while_another_process_holds_the_compile_lock():
    probe()  # the cache is warm from here on
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        # a process whose kernels are cached loads them without waiting for the lock
        loaded = probe(timeout_s=120)
        for name, (hits, misses) in loaded.items():
            assert hits >= 1 and misses == 0, (name, hits, misses)
    finally:
        holder.kill()
        holder.communicate()  # reaps it and closes its pipe
