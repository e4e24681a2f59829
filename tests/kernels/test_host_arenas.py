"""The cpu backend's result arenas beyond what they share with the GPU's (`test_pinned`): the
bound on idle bytes, private pages across a fork, batches that never write into held results,
and the arena that grows group by group."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import kernels
from kernels import _arenas, cpu
from kernels._arenas import GrowingArena, HostArenas
from kernels.corpus import generate_intents


def test_idle_arenas_stay_under_the_byte_bound(monkeypatch):
    monkeypatch.setattr(_arenas, "IDLE_BYTES", 3 << 20)
    arenas = HostArenas(keep=8)
    held = [arenas.take(1 << 20) for _ in range(5)]
    del held
    assert arenas.idle_bytes() == 3 << 20  # the newest three of five
    big = arenas.take(8 << 20)
    del big
    assert arenas.idle_bytes() <= 3 << 20  # larger than the bound: not kept at all


def test_a_forked_child_writes_into_its_own_copy_of_an_arena():
    arenas = HostArenas()
    arena = arenas.take(1 << 20)
    arena[:] = 7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork beside numba's threads
        child = os.fork()
    if child == 0:  # pragma: no cover - the child only writes and exits
        arena[:] = 9
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert np.all(arena == 7)


def test_cpu_batches_reuse_arenas_and_never_write_into_held_results():
    texts = generate_intents(1200, seed=7)
    parts = [texts[lo : lo + 300 - lo // 20] for lo in range(0, 1200, 300)]  # unequal sizes
    batches = [kernels.make_batch(part, [str(k) for k in range(len(part))]) for part in parts]
    first = kernels.encode_batch(batches[0], "cpu")
    expected = [bytes(first[k]) for k in range(len(first))]
    allocated = cpu._arenas.allocated
    for batch in batches[1:] * 3:  # results of different total sizes, each dropped
        results = kernels.encode_batch(batch, "cpu")
        assert np.all(np.diff(results.offsets) > 0)
        del results
    assert cpu._arenas.allocated - allocated <= 2
    assert [bytes(first[k]) for k in range(len(first))] == expected  # held: untouched
    del first
    again = kernels.encode_batch(batches[0], "cpu")  # into a reused arena, old bytes in it
    assert [bytes(again[k]) for k in range(len(again))] == expected


def test_a_growing_arena_keeps_every_group_written_as_its_mapping_moves():
    arena = GrowingArena()
    assert len(arena.whole()) == 0
    sizes = [0, 5, 1 << 20, 3, 7 << 20, 1]  # the mapping grows past its first pages
    for k, size in enumerate(sizes):
        tail = arena.extend(size)
        assert len(tail) == size
        tail[:] = k + 1
        del tail  # as the driver drops it before the next extend
    expected = np.concatenate([np.full(s, k + 1, np.uint8) for k, s in enumerate(sizes)])
    assert np.array_equal(arena.whole(), expected)


@pytest.mark.parametrize("idle_bytes", [1 << 30, 1 << 16], ids=["kept", "too-large-to-keep"])
def test_a_batch_of_several_groups_is_the_same_bytes_as_one_group(monkeypatch, idle_bytes):
    """Groups copied into one kept arena, or (results too large to keep idle) written one
    after the other into a growing one."""
    monkeypatch.setattr(_arenas, "IDLE_BYTES", idle_bytes)
    texts = generate_intents(400, seed=11)
    batch = kernels.make_batch(texts, [str(k) for k in range(len(texts))])
    whole = kernels.encode_batch(batch, "cpu")
    grouped = cpu.encode_batch(batch, group_bytes=batch.nbytes // 7 + 1)  # seven groups
    assert np.array_equal(grouped.offsets, whole.offsets)
    end = int(whole.offsets[-1])
    assert len(grouped.data) == end
    assert bytes(grouped.data) == bytes(whole.data[:end])


def test_an_empty_batch_takes_no_arena():
    kernels.encode_batch(kernels.make_batch(["Build a CLI"], ["1"]), "cpu")  # compiled
    allocated, idle = cpu._arenas.allocated, cpu._arenas.idle_bytes()
    results = kernels.encode_batch(kernels.make_batch([], []), "cpu")
    assert len(results) == 0 and len(results.data) == 0
    assert (cpu._arenas.allocated, cpu._arenas.idle_bytes()) == (allocated, idle)


def _vm_flags(address: int) -> list[str]:
    """The kernel's flags for the mapping that holds `address` (/proc/self/smaps)."""
    inside = False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            head = line.split(maxsplit=1)[0]
            if "-" in head and not head.endswith(":"):
                start, end = (int(part, 16) for part in head.split("-"))
                inside = start <= address < end
            elif inside and head == "VmFlags:":
                return line.split()[1:]
    raise AssertionError(f"no mapping holds {address:#x}")


def _huge_pages_on_request() -> bool:
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as setting:
            return "[never]" not in setting.read()
    except OSError:
        return False


@pytest.mark.skipif(not _huge_pages_on_request(), reason="no transparent huge pages here")
def test_arenas_ask_for_huge_pages_so_a_fresh_one_faults_in_few_pages():
    """`hg` (MADV_HUGEPAGE) on a kept arena's mapping and on a growing one's, before and
    after the mapping moves: a 1M-intent batch's fresh 3 GB took ~775k faults in 4 KB
    pages."""
    block = HostArenas().take(8 << 20)
    assert "hg" in _vm_flags(block.ctypes.data)
    arena = GrowingArena()
    for size in (4 << 20, 16 << 20):
        tail = arena.extend(size)
        assert "hg" in _vm_flags(tail.ctypes.data)
        del tail
