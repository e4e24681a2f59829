"""Shared memory: stale ring segments of the worker's naming are removed at start, live ones
(held by a running worker's lock) are not, and a worker whose rings cannot fit /dev/shm
refuses to start with what to change."""

from __future__ import annotations

import fcntl
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ringbuffer import Ring
from worker._app import RingGeometry
from worker._segments import SHM_DIR, SharedMemoryTooSmall, check_fits, hold, remove_stale

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not SHM_DIR.is_dir(), reason="no /dev/shm here")


def _segment(age_s: float, pid: int | None = None) -> Path:
    """A segment file named like a worker's ring, last written `age_s` ago, by `pid` (by
    default one above any pid Linux hands out: a process that is gone)."""
    pid = pid if pid is not None else 5_000_000 + secrets.randbelow(10**6)
    path = SHM_DIR / f"grump-{pid}-{secrets.token_hex(3)}-in"
    path.write_bytes(b"\0" * 4096)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_only_unheld_old_segments_of_the_worker_naming_are_removed() -> None:
    stale, young, held = _segment(60), _segment(0), _segment(60)
    mine = _segment(60, pid=os.getpid())  # a restarted container's worker has its old pid
    live = _segment(60, pid=os.getppid())  # a live process's, made without the lock
    foreign = SHM_DIR / f"grump_{secrets.token_hex(6)}"  # a ring of another program
    foreign.write_bytes(b"\0")
    os.utime(foreign, (0, 0))
    fd = os.open(held, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)  # what a running worker holds
    try:
        removed = remove_stale()
        assert {stale.name, mine.name} <= set(removed)
        assert not stale.exists() and not mine.exists()
        assert young.exists() and held.exists() and foreign.exists() and live.exists()
    finally:
        os.close(fd)
        for path in (young, held, foreign, live):
            path.unlink(missing_ok=True)


def test_a_running_workers_rings_are_held() -> None:
    tag = f"grump-{os.getpid()}-{secrets.token_hex(3)}"
    with Ring.create(f"{tag}-in", capacity_records=64, arena_bytes=1 << 16,
                     max_record_bytes=1 << 12) as ring, hold([ring]):  # fmt: skip
        os.utime(SHM_DIR / ring.name, (0, 0))
        assert ring.name not in remove_stale()
        assert (SHM_DIR / ring.name).exists()


def test_the_need_is_the_real_segment_sizes_and_refused_when_over_the_free_space() -> None:
    """The figures docker/README.md gives, from real rings (sparse: nothing is written)."""
    need = {}
    for mib in (64, 128, 200):
        args = RingGeometry.for_bytes(mib << 20).ring_args()
        with Ring.create(None, **args) as a, Ring.create(None, **args) as b:
            need[mib] = (a.geometry.segment_bytes + b.geometry.segment_bytes) >> 20
            check_fits([a, b], mib << 20)  # this machine has room for these
    assert need == {64: 160, 128: 320, 200: 576}
    docs = (ROOT / "docker" / "README.md").read_text()
    for mib, total in need.items():
        assert f"| {mib} MiB | {total} MiB |" in docs, (mib, total)
    stats = os.statvfs(SHM_DIR)
    too_big = 1 << (stats.f_blocks * stats.f_frsize).bit_length()  # twice is over the size
    args = RingGeometry.for_bytes(too_big).ring_args()
    with (
        Ring.create(None, **args) as a,
        Ring.create(None, **args) as b,
        pytest.raises(SharedMemoryTooSmall, match="lower --ring-bytes"),
    ):
        check_fits([a, b], too_big)


def test_grump_worker_refuses_to_start_when_its_rings_cannot_fit() -> None:
    stats = os.statvfs(SHM_DIR)
    too_big = 1 << (stats.f_blocks * stats.f_frsize).bit_length()
    stale = _segment(60)
    command = [sys.executable, "-m", "worker.cli", "worker", "--ring-bytes", str(too_big),
               "--bootstrap-servers", "127.0.0.1:9", "--metrics-port", "0",
               "--backend", "reference"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    _out, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 1, stderr
    assert "needs" in stderr and "docker --shm-size" in stderr
    assert f"removed stale shared-memory segment {stale.name}" in stderr
    assert not stale.exists()
    assert not list(SHM_DIR.glob(f"grump-{worker.pid}-*")), "its own rings are removed too"


def test_the_shipped_shared_memory_volumes_hold_both_rings() -> None:
    import yaml

    docker = ROOT / "docker"
    configmap = yaml.safe_load((docker / "k8s" / "configmap.yaml").read_text())
    compose = yaml.safe_load((docker / "compose.yaml").read_text())
    ring_bytes = int(configmap["data"]["GRUMP_RING_BYTES"])
    compose_ring = compose["x-worker-env"]["GRUMP_RING_BYTES"]
    assert int(compose_ring.split(":-")[1].rstrip("}")) == ring_bytes
    args = RingGeometry.for_bytes(ring_bytes).ring_args()
    with Ring.create(None, **args) as a, Ring.create(None, **args) as b:
        need = a.geometry.segment_bytes + b.geometry.segment_bytes
    units = {"m": 1 << 20, "Mi": 1 << 20, "g": 1 << 30, "Gi": 1 << 30}
    sizes = [compose["services"][name]["shm_size"] for name in ("worker", "worker-gpu")]
    for file in ("deployment.yaml", "deployment-gpu.yaml"):
        pod = yaml.safe_load((docker / "k8s" / file).read_text())["spec"]["template"]["spec"]
        (shm,) = [v for v in pod["volumes"] if v["name"] == "shm"]
        sizes.append(shm["emptyDir"]["sizeLimit"])
    for size in sizes:
        number = size.rstrip("mMgGi")
        assert int(number) * units[size[len(number) :]] >= need, (size, need)
