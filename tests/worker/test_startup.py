"""Start-up of a replica: what a drain imports, what the warm-up loads, what the log says."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from worker_process import ROOT, WorkerProcess, make_topics


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_drain_process_does_not_import_the_kafka_side() -> None:
    """A spawned drain imports `worker.cli` (the parent's main module) and `worker._drain`
    (its target); neither may pull in aiokafka or prometheus: ~1 s of every drain start."""
    loaded = _run(
        "import sys, worker.cli, worker._drain; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'aiokafka', 'prometheus_client'}))"
    )
    assert loaded == "[]"


def test_the_drain_warm_up_loads_every_compiled_function_of_the_batch_step() -> None:
    """Warming only the kernels left the frame writers to compile (or load) on the first
    real batch, after the replica had joined and taken partitions."""
    unloaded = _run(
        "import multiprocessing\n"
        "from ringbuffer import Ring\n"
        "from worker import _columns, _drain\n"
        "settings = _drain.DrainSettings('in', 'reference', 64, 5, 'same', 1000, 1 << 16)\n"
        "with Ring.create(None, capacity_records=64, arena_bytes=1 << 16,"
        " max_record_bytes=1 << 12) as ring:\n"
        "    _drain._warm_up(ring, settings, multiprocessing.Event())\n"
        "print(_columns._write_result_frames.signatures == [])\n"
    )
    # (the functions it calls are linked into it: loaded from the cache, they stay unlisted)
    assert unloaded == "False"


def test_the_parent_warm_up_loads_the_ring_and_key_hash_functions() -> None:
    unloaded = _run(
        "import numba\n"
        "from ringbuffer import _core\n"
        "from worker import _murmur, _startup\n"
        "_startup.warm_parent_jit()\n"
        "used = [_murmur._hash_many, _core.push_batch, _core.claim_run, _core.release_entry]\n"
        "print([f.py_func.__name__ for f in used if not f.signatures])\n"
    )
    assert unloaded == "[]"


@pytest.mark.kafka
def test_a_ready_worker_logs_where_its_start_up_went(bootstrap: str, tmp_path: Path) -> None:
    topics = make_topics(bootstrap, f"startup-{int(time.time() * 1000) % 100000}")
    worker = WorkerProcess(bootstrap, topics, tmp_path / "worker.log")
    try:
        worker.wait_ready()
    finally:
        assert worker.terminate() == 0, worker.log()
    (line,) = [x for x in worker.log().splitlines() if "start-up (s since the process began)" in x]
    for step in ("imports", "drains spawned", "producer connected", "parent warm",
                 "drains warm", "joined", "ready", "its imports", "kernels"):  # fmt: skip
        assert step in line, line
