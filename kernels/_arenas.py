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
one thread (3.2 GB for a 1M-intent batch: 2.9-4.2 s on a 2-core VM). Such an arena is too
large to keep idle for long, but the next large batch often comes soon: `LastGrown` keeps the
last one's mapping for DECAY_S after its results are dropped, as jemalloc lets freed pages
decay, so that batch writes into pages already there.
"""

from __future__ import annotations

import contextlib
import mmap
import threading
import weakref

import numpy as np

from ._pinned import ResultArenas

IDLE_BYTES = 1 << 30  # at most this much kept idle: a 1M-intent batch's 3 GB is not kept
DECAY_S = 10.0  # how long the last growing arena's mapping waits for the next large batch


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


class LastGrown:
    """The mapping of the last growing arena whose results are all dropped, kept for
    `decay_s` seconds. Fresh pages fault in on their first write; on a VM whose host takes
    freed memory back (free page reporting), the host must back them again too: writing
    3.2 GB took 0.3 s of system time in pages the guest kept and 4-8 s in fresh ones
    (2-core VM)."""

    def __init__(self, decay_s: float = DECAY_S) -> None:
        self.decay_s = decay_s
        self._lock = threading.Lock()
        self._memory: mmap.mmap | None = None
        self._timer: threading.Timer | None = None

    def take(self) -> mmap.mmap | None:
        with self._lock:
            memory, self._memory = self._memory, None
            self._stop_timer()
        return memory

    def give_back(self, memory: mmap.mmap) -> None:
        timer = threading.Timer(self.decay_s, self._forget, (memory,))
        timer.daemon = True
        with self._lock:
            self._stop_timer()
            self._memory, self._timer = memory, timer  # (an older one is freed)
        timer.start()

    def kept_bytes(self) -> int:
        with self._lock:
            return len(self._memory) if self._memory is not None else 0

    def _forget(self, memory: mmap.mmap) -> None:
        with self._lock:
            if self._memory is memory:
                self._memory, self._timer = None, None

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class GrowingArena:
    """One result arena extended group by group: each group writes into its view of the new
    tail, and `whole` views everything written. A view must be dropped before the next
    `extend` (a mapping cannot move while numpy views it). With `last`, it starts in the
    mapping `last` kept, and gives its own back there once `whole`'s views are gone."""

    def __init__(self, last: LastGrown | None = None) -> None:
        self._last = last
        self._memory: mmap.mmap | None = None
        self.size = 0

    def extend(self, nbytes: int) -> np.ndarray:
        """The next `nbytes` of the arena, to write."""
        end = self.size + nbytes
        if self._memory is None:
            kept = self._last.take() if self._last is not None else None
            self._memory = kept if kept is not None else _anonymous(max(end, 1))  # (not empty)
        if end > len(self._memory):
            self._grow(end)
        tail = np.frombuffer(self._memory, np.uint8, nbytes, offset=self.size)
        self.size = end
        return tail

    def _grow(self, end: int) -> None:
        assert self._memory is not None
        try:
            self._memory.resize(end)  # the pages move, nothing is copied
            _huge_pages(self._memory)  # (the grown mapping may be a new one)
        except BufferError:  # a kept mapping whose last view is still being released
            grown = _anonymous(end)
            with memoryview(self._memory) as written:  # (no bytes copy in between)
                grown[: self.size] = written[: self.size]
            self._memory = grown

    def whole(self) -> np.ndarray:
        """Every byte written, as one array (which keeps the mapping alive). With `last`,
        the arena's last call: once that array's views are gone, the mapping is reused."""
        if self._memory is None:
            return np.empty(0, np.uint8)
        whole = np.frombuffer(self._memory, np.uint8, self.size)
        if self._last is not None:
            weakref.finalize(whole, self._last.give_back, self._memory).atexit = False
            self._last, self._memory = None, None  # (no second array to outlive the first)
        return whole
