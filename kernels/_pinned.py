"""Page-locked host memory for the GPU backend: staging for uploads, arenas for results.

cupy's own pinned pool reuses a freed block only for the very same size and keeps every
block it ever freed. A result arena's size changes with every batch, so each batch pinned
fresh memory (a cudaHostAlloc of tens of MB, page by page) and a long-running drain's
pinned memory grew with every batch it parsed. Arenas here come in size classes an eighth
of an octave apart (at most 12.5 % unused), and only a few freed ones are kept.

cupy is imported on first use: this module loads with `kernels.gpu`, on first GPU use.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

SMALLEST_CLASS = 4096  # bytes: one page
KEEP_IDLE = 4  # freed arenas kept for reuse (a drain holds one batch's at a time)


def size_class(nbytes: int) -> int:
    """The arena size that `nbytes` is rounded up to: a multiple of one sixteenth of the
    next power of two, so sizes within an eighth of each other share a class."""
    if nbytes <= SMALLEST_CLASS:
        return SMALLEST_CLASS
    step = (1 << (nbytes - 1).bit_length()) // 16
    return -(-nbytes // step) * step


class ResultArenas:
    """Result arenas handed out as numpy views; an arena comes back for reuse once every
    view of it is gone, and at most `keep` come back (the oldest are freed first)."""

    def __init__(self, keep: int = KEEP_IDLE) -> None:
        self.keep = keep
        self._idle: list[Any] = []  # blocks (here cupy PinnedMemory), oldest first
        self._lock = threading.Lock()
        self.allocated = 0  # blocks allocated so far (a reuse does not count)

    def take(self, nbytes: int) -> np.ndarray:
        size = size_class(nbytes)
        with self._lock:
            block = next((b for b in self._idle if b.size == size), None)
            if block is not None:
                self._idle.remove(block)
        if block is None:
            block = self._allocate(size)
            self.allocated += 1
        whole = self._view(block, size)
        weakref.finalize(whole, self._give_back, block).atexit = False
        return whole[:nbytes]

    def _allocate(self, size: int) -> Any:
        """A new block of `size` bytes (with a `size` attribute): here page-locked."""
        import cupy as cp

        try:
            return cp.cuda.PinnedMemory(size)
        except cp.cuda.runtime.CUDARuntimeError:  # out of pinned memory: let idle go first
            self.release_idle()
            return cp.cuda.PinnedMemory(size)

    def _view(self, block: Any, size: int) -> np.ndarray:
        """The whole block as bytes; every view of it keeps the block alive."""
        import cupy as cp

        return np.ndarray((size,), np.uint8, buffer=cp.cuda.PinnedMemoryPointer(block, 0))

    def idle_bytes(self) -> int:
        with self._lock:
            return sum(b.size for b in self._idle)

    def release_idle(self) -> None:
        with self._lock:
            self._idle.clear()

    def _give_back(self, block: Any) -> None:
        with self._lock:
            self._idle.append(block)
            del self._idle[: -self.keep or len(self._idle)]


class StagingBuffer:
    """A reusable page-locked host buffer that grows as needed (one per stream)."""

    def __init__(self) -> None:
        self.array = np.empty(0, np.uint8)

    def take(self, nbytes: int) -> np.ndarray:
        if self.array.nbytes < nbytes:
            import cupyx

            self.array = cupyx.empty_pinned(max(nbytes, 2 * self.array.nbytes), np.uint8)
        return self.array[:nbytes]


def pinned_int64(n: int) -> np.ndarray:
    import cupyx

    return cupyx.empty_pinned((n,), np.int64)
