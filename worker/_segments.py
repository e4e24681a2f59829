"""The worker's two shared-memory rings in /dev/shm: stale ones removed, the need checked.

A worker names its rings `grump-<pid>-<6 hex>-in` and `-out`, and holds a shared `flock` on
each segment file for as long as it runs. The kernel drops the lock when the process dies,
however it dies, so a segment of that name which nobody locks was left by a worker that is
gone (SIGKILL, an OOM kill, a container restarted inside a pod whose memory volume lives
on); its memory stays taken until the name is removed. Spared all the same: segments
younger than a few seconds (their creator may not have locked them yet) and segments whose
pid is a live process other than this one (a worker of a version without the lock). A
restarted container's worker usually has its predecessor's pid: that one counts as gone.

What a ring really takes: its arena (`--ring-bytes` rounded up to a power of two) plus a
slot table (32 bytes a slot, up to 2**20 slots) and a few KiB of header; tmpfs allocates
pages as they are first written, so the need is checked against free space at start rather
than discovered as a SIGBUS under load.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ringbuffer import Ring

log = logging.getLogger(__name__)

SHM_DIR = Path("/dev/shm")
_OURS = re.compile(r"grump-(\d+)-[0-9a-f]{6}-(in|out)")
_MIB = 1 << 20


class SharedMemoryTooSmall(RuntimeError):
    """The rings this configuration needs do not fit the free shared memory."""


def remove_stale(directory: Path = SHM_DIR, min_age_s: float = 10.0) -> list[str]:
    """Remove ring segments of the worker's naming that no running worker holds; returns
    their names."""
    removed: list[str] = []
    if not directory.is_dir():
        return removed  # no POSIX shared memory directory here (not Linux)
    for path in directory.iterdir():
        name = _OURS.fullmatch(path.name)
        if name is None or _another_live_process(int(name.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if time.time() - path.stat().st_mtime < min_age_s or _held(path):
                continue
            size = path.stat().st_size
            path.unlink()
            removed.append(path.name)
            log.warning("removed stale shared-memory segment %s (%d MiB) left by a worker "
                        "that is gone", path.name, size // _MIB)  # fmt: skip
    return removed


def _another_live_process(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True


def _held(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock just taken
    return False


@contextlib.contextmanager
def hold(rings: Sequence[Ring], directory: Path = SHM_DIR) -> Iterator[None]:
    """Lock the rings' segment files for the life of the block (see the module docstring)."""
    fds: list[int] = []
    try:
        for ring in rings:
            path = directory / ring.name
            if path.exists():
                fds.append(os.open(path, os.O_RDONLY))
                fcntl.flock(fds[-1], fcntl.LOCK_SH)
        yield
    finally:
        for fd in fds:
            os.close(fd)


def need_bytes(rings: Sequence[Ring]) -> int:
    return sum(ring.geometry.segment_bytes for ring in rings)


def check_fits(rings: Sequence[Ring], ring_bytes: int, directory: Path = SHM_DIR) -> None:
    """Raise SharedMemoryTooSmall, with what to change, when the rings cannot all be backed
    by the shared memory still free (what they already hold counts as theirs)."""
    if not directory.is_dir():
        return
    need = need_bytes(rings)
    stats = os.statvfs(directory)
    held = 0
    for ring in rings:
        with contextlib.suppress(FileNotFoundError):
            held += (directory / ring.name).stat().st_blocks * 512
    free = stats.f_bavail * stats.f_frsize + held
    if need <= free:
        return
    size = stats.f_blocks * stats.f_frsize
    raise SharedMemoryTooSmall(
        f"--ring-bytes {ring_bytes} needs {need / _MIB:.0f} MiB of {directory} ({len(rings)} rings "
        f"of {need / len(rings) / _MIB:.0f} MiB: the arena rounded up to a power of two, plus "
        f"slot tables), but only {free / _MIB:.0f} MiB of its {size / _MIB:.0f} MiB are free: "
        "lower --ring-bytes, or give the container more shared memory (docker --shm-size, a "
        "Kubernetes emptyDir with medium Memory and a larger sizeLimit)"
    )
