"""Result arenas, page-locked for the GPU and pageable for the cpu (`HostArenas`): size classes,
reuse, and a bound on what is kept."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from kernels._arenas import HostArenas
from kernels._pinned import SMALLEST_CLASS, ResultArenas, size_class


def test_size_classes_cover_the_request_with_at_most_an_eighth_to_spare():
    for nbytes in [1, 4096, 4097, 5000, 65_537, 20_000_000, 21_234_567, (1 << 30) + 1]:
        size = size_class(nbytes)
        assert size >= nbytes
        assert size == SMALLEST_CLASS or size <= nbytes * 1.125
        assert size_class(size) == size  # a class is its own class


def test_batches_of_similar_size_share_a_class():
    classes = {size_class(n) for n in range(20_000_000, 21_000_000, 1_000)}
    assert len(classes) <= 2


@pytest.mark.parametrize(
    "arenas_kind", [pytest.param(ResultArenas, marks=pytest.mark.gpu, id="pinned"), HostArenas]
)
def test_a_dropped_arena_is_reused_and_idle_ones_are_bounded(arenas_kind):
    arenas = arenas_kind(keep=2)
    first = arenas.take(20_000_000)
    pointer = first.ctypes.data
    first[:] = 7
    view = first[100:200]
    del first
    gc.collect()
    assert arenas.idle_bytes() == 0  # a view still holds it
    assert np.all(view == 7)
    del view
    assert arenas.idle_bytes() == size_class(20_000_000)
    second = arenas.take(20_100_000)  # same class: the same block
    assert second.ctypes.data == pointer and arenas.allocated == 1
    assert second.nbytes == 20_100_000 and second.flags.writeable
    held = [arenas.take(n) for n in (10_000, 1_000_000, 5_000_000, 20_000_000)]
    assert arenas.allocated == 5
    while held:  # given back in the order taken
        held.pop(0)
    del second
    assert arenas.idle_bytes() == size_class(20_000_000) + size_class(20_000_000)  # keep=2


@pytest.mark.gpu
def test_a_gpu_batch_after_batch_pins_no_new_arena():
    import kernels
    from kernels import gpu
    from kernels.corpus import generate_intents

    texts = generate_intents(3000, seed=5)
    pinned = gpu._arenas.allocated
    for lo in range(0, 3000, 500):  # batches of different total result sizes
        part = texts[lo : lo + 500 - lo // 100]
        ids = [str(k) for k in range(len(part))]
        results = kernels.encode_batch(kernels.make_batch(part, ids, None, "json"), "gpu")
        assert np.all(np.diff(results.offsets) > 0)
        del results
    assert gpu._arenas.allocated - pinned <= 2
