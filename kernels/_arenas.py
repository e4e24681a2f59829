"""Result arenas in pageable memory for the cpu backend.

A fresh result arena faults in every page on its first write (a 32 MB one, 10,000 intents'
results: 3.2-3.6 ms of system time on a 2-core VM). A batch here takes a freed arena of its
size class instead (1.3 % less CPU per intent on one thread, measured), with the size
classes and the bound on idle arenas of the GPU's page-locked ones (`_pinned.ResultArenas`);
only the memory differs. Every arena asks for transparent huge pages: a fresh one (a batch
too large to keep one idle) then faults in 2 MB at a time, not 4 KB (`_huge_pages`).
Each block is an anonymous mapping, so every numpy view of an arena keeps it alive and the
block comes back once the last view is gone.

A batch of several groups is sized one group at a time: `GrowingArena` extends one mapping
per group (`mremap` moves its pages, copying nothing), so each group writes its results in
their final place, where concatenating the groups' arenas copied every byte once more on
one thread (3.2 GB for a 1M-intent batch: 2.9-4.2 s on a 2-core VM).
"""

from __future__ import annotations

import contextlib
import mmap

import numpy as np

from ._pinned import ResultArenas

IDLE_BYTES = 1 << 30  # at most this much kept idle: a 1M-intent batch's 3 GB is not kept


def _anonymous(size: int) -> mmap.mmap:
    # private, as malloc's memory is: mmap's default (shared) would let a forked child and
    # its parent write into the same pages of an arena both hold idle
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    _huge_pages(memory)
    return memory


def _huge_pages(memory: mmap.mmap) -> None:
    """Ask for transparent huge pages: a fresh arena faults in every page on its first write.
    A 1M-intent batch's 3.2 GB took 775k faults and 5.8-6.7 s of system time on a 2-core VM
    in 4 KB pages; in huge pages, 8.9k faults and 3.5 s. Where the kernel offers none,
    nothing changes."""
    if hasattr(mmap, "MADV_HUGEPAGE"):
        # (OSError: transparent huge pages switched off, or not in this kernel)
        with contextlib.suppress(OSError):
            memory.madvise(mmap.MADV_HUGEPAGE)


class _Block:
    __slots__ = ("memory", "size")

    def __init__(self, size: int) -> None:
        self.memory = _anonymous(size)
        self.size = size


class HostArenas(ResultArenas):
    """`ResultArenas` in pageable memory: the same classes, reuse and bound on idle ones."""

    def _allocate(self, size: int) -> _Block:
        return _Block(size)

    def _view(self, block: _Block, size: int) -> np.ndarray:
        return np.frombuffer(block.memory, np.uint8)

    def would_keep(self, nbytes: int) -> bool:
        """Whether an arena of `nbytes` could be kept idle once its results are dropped."""
        return nbytes <= IDLE_BYTES

    def _give_back(self, block: _Block) -> None:
        super()._give_back(block)
        with self._lock:
            while sum(b.size for b in self._idle) > IDLE_BYTES:
                del self._idle[0]  # the oldest first


class GrowingArena:
    """One result arena extended group by group: each group writes into its view of the new
    tail, and `whole` views everything written. A view must be dropped before the next
    `extend` (a mapping cannot move while numpy views it)."""

    def __init__(self) -> None:
        self._memory: mmap.mmap | None = None
        self.size = 0

    def extend(self, nbytes: int) -> np.ndarray:
        """The next `nbytes` of the arena, to write."""
        end = self.size + nbytes
        if self._memory is None:  # (a mapping cannot be empty)
            self._memory = _anonymous(max(end, 1))
        elif end > len(self._memory):
            self._memory.resize(end)  # the pages move, nothing is copied
            _huge_pages(self._memory)  # (the grown mapping may be a new one)
        tail = np.frombuffer(self._memory, np.uint8, nbytes, offset=self.size)
        self.size = end
        return tail

    def whole(self) -> np.ndarray:
        """Every byte written, as one array (which keeps the mapping alive)."""
        if self._memory is None:
            return np.empty(0, np.uint8)
        return np.frombuffer(self._memory, np.uint8, self.size)
