"""The GPU backend reports what its copies and kernels took (CUDA events) in `stats()`."""

from __future__ import annotations

import pytest

import kernels
from kernels.corpus import generate_intents

FIELDS = {"groups", "h2d_bytes", "h2d_s", "kernel_s", "d2h_bytes", "d2h_s"}


def test_stats_always_carry_the_gpu_fields():
    assert set(kernels.stats()["gpu"]) == FIELDS


@pytest.mark.gpu
def test_a_gpu_batch_adds_its_bytes_and_event_times():
    texts = generate_intents(2000, seed=3)
    batch = kernels.make_batch(texts, [str(i) for i in range(len(texts))], None, "json")
    before = kernels.stats()["gpu"]
    results = kernels.encode_batch(batch, "gpu")
    after = kernels.stats()["gpu"]
    spent = {name: after[name] - before[name] for name in FIELDS}
    assert spent["groups"] == 1
    assert spent["h2d_bytes"] >= batch.texts.nbytes + batch.text_offsets.nbytes
    assert spent["d2h_bytes"] >= results.data.nbytes
    assert all(spent[name] > 0 for name in ("h2d_s", "kernel_s", "d2h_s"))
