"""The cpu backend's result arenas beyond what they share with the GPU's (`test_pinned`): the
bound on idle bytes, private pages across a fork, batches that never write into held results,
the arena that grows group by group, and its mapping kept a while for the next large batch."""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import pytest

import kernels
from kernels import _arenas, cpu
from kernels._arenas import GrowingArena, HostArenas, LastGrown
from kernels.corpus import adversarial_intents, generate_intents


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


def test_a_large_batch_writes_into_the_last_ones_mapping_once_its_results_are_dropped(
    monkeypatch,
):
    monkeypatch.setattr(_arenas, "IDLE_BYTES", 1 << 16)  # every batch of groups grows an arena
    texts = generate_intents(400, seed=13)
    batch = kernels.make_batch(texts, [str(k) for k in range(len(texts))])
    expected = bytes(kernels.encode_batch(batch, "cpu").data)  # one group: a kept arena

    def grouped() -> kernels.EncodedResults:
        return cpu.encode_batch(batch, group_bytes=batch.nbytes // 5 + 1)

    first = grouped()
    address = first.data.ctypes.data
    held = grouped()  # the first still held: a mapping of its own
    assert held.data.ctypes.data != address
    assert bytes(first.data) == bytes(held.data) == expected
    del first
    assert cpu._last_grown.kept_bytes() >= len(expected)
    again = grouped()
    assert again.data.ctypes.data == address
    assert bytes(again.data) == bytes(held.data) == expected
    assert cpu._last_grown.kept_bytes() == 0  # taken: nothing else may write there


def test_a_kept_mapping_is_freed_after_its_decay_time():
    last = LastGrown(decay_s=0.05)
    arena = GrowingArena(last)
    tail = arena.extend(1 << 20)
    tail[:] = 1
    del tail
    results = arena.whole()
    assert last.kept_bytes() == 0  # in use
    del results
    assert last.kept_bytes() >= 1 << 20
    deadline = time.monotonic() + 10
    while last.kept_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert last.kept_bytes() == 0


def test_a_kept_mapping_still_viewed_grows_into_a_copy():
    """A mapping with a view still alive cannot move: the arena copies what it has written
    into a fresh one, and the view keeps its bytes."""
    memory = _arenas._anonymous(1 << 20)
    view = np.frombuffer(memory, np.uint8)
    view[:] = 3
    last = LastGrown()
    last.give_back(memory)
    arena = GrowingArena(last)
    tail = arena.extend(1 << 19)  # fits the kept mapping
    tail[:] = 5
    del tail
    tail = arena.extend(4 << 20)  # grows it
    tail[:] = 6
    del tail
    whole = arena.whole()
    assert np.all(whole[: 1 << 19] == 5) and np.all(whole[1 << 19 :] == 6)
    assert np.all(view[1 << 19 :] == 3)


@pytest.mark.parametrize("stale", [0x5555555555555555, -1], ids=["pattern", "all-ones"])
def test_results_do_not_depend_on_what_the_kept_meta_rows_held(stale):
    """The meta rows are kept between batches and not zeroed: the parse must set every
    field it reads."""
    texts = generate_intents(300, seed=5) + adversarial_intents()
    batch = kernels.make_batch(texts, [str(k) for k in range(len(texts))])
    expected = kernels.encode_batch(batch, "cpu").to_list()
    meta, _ = cpu._buffers.take_meta(len(batch))
    meta.fill(stale)
    assert kernels.encode_batch(batch, "cpu").to_list() == expected


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
