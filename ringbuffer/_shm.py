"""A minimal POSIX shared-memory segment with explicit ownership.

``multiprocessing.shared_memory.SharedMemory`` on Python < 3.13 registers *every* attach
with the resource tracker, which then unlinks (and warns about) segments that other
processes still use. Here only the creator registers the name, so a crashed creator's
segment is still cleaned up, while attachers never touch the tracker.
"""

from __future__ import annotations

import _posixshmem
import contextlib
import mmap
import os
import secrets
from multiprocessing import resource_tracker

_RTYPE = "shared_memory"


class Segment:
    """One mapped segment. ``close`` unmaps; only ``unlink`` removes the name."""

    def __init__(self, name: str, fd: int, size: int, owner: bool) -> None:
        self.name = name
        self.size = size
        self.owner = owner
        try:
            self.mmap: mmap.mmap | None = mmap.mmap(fd, size)
        finally:
            os.close(fd)

    @classmethod
    def create(cls, name: str | None, size: int) -> Segment:
        flags = os.O_CREAT | os.O_EXCL | os.O_RDWR
        while True:
            cand = name if name is not None else "grump_" + secrets.token_hex(6)
            path = cand if cand.startswith("/") else "/" + cand
            try:
                fd = _posixshmem.shm_open(path, flags, mode=0o600)
            except FileExistsError:
                if name is not None:
                    raise
                continue
            break
        try:
            os.ftruncate(fd, size)
        except OSError:
            os.close(fd)
            _posixshmem.shm_unlink(path)
            raise
        resource_tracker.register(path, _RTYPE)
        return cls(path, fd, size, owner=True)

    @classmethod
    def attach(cls, name: str) -> Segment:
        path = name if name.startswith("/") else "/" + name
        fd = _posixshmem.shm_open(path, os.O_RDWR, mode=0o600)
        size = os.fstat(fd).st_size
        return cls(path, fd, size, owner=False)

    def close(self) -> bool:
        """Unmap if no buffer views remain; returns whether the mapping was closed now."""
        if self.mmap is None:
            return True
        try:
            self.mmap.close()
        except BufferError:
            # live numpy views (e.g. an unreleased claim) keep the mapping; it is unmapped
            # when the last of them is garbage-collected.
            self.mmap = None
            return False
        self.mmap = None
        return True

    def unlink(self) -> None:
        """Remove the name; existing mappings stay valid until unmapped."""
        with contextlib.suppress(FileNotFoundError):
            _posixshmem.shm_unlink(self.name)
        if self.owner:
            resource_tracker.unregister(self.name, _RTYPE)
            self.owner = False
