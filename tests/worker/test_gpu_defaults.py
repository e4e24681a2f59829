"""With a GPU present the defaults use it: a default batch reaches `auto`'s GPU threshold, and
the warm-up compiles every backend the drain's batches will run on."""

from __future__ import annotations

import pytest

import kernels
from kernels import _api
from worker import WorkerConfig
from worker._drain import warm_backends


def test_a_default_batch_is_large_enough_for_auto_to_choose_the_gpu() -> None:
    assert WorkerConfig().batch_size >= _api.AUTO_GPU_MIN_INTENTS


@pytest.mark.parametrize("gpu", [True, False], ids=["with-a-gpu", "without"])
def test_auto_warms_the_backend_a_full_batch_runs_on(
    gpu: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_api, "gpu_available", lambda: gpu)  # the machine, not the code
    batch = WorkerConfig().batch_size
    full = kernels.choose_backend("auto", batch)
    assert full == ("gpu" if gpu else "cpu")
    assert warm_backends("auto", batch) == (["cpu", "gpu"] if gpu else ["cpu"])
    assert full in warm_backends("auto", batch)


# ids unlike "gpu": the suite skips items with a `gpu` keyword on a machine without one
@pytest.mark.parametrize("backend", ["cpu", "gpu", "reference"], ids=lambda b: f"named-{b}")
def test_a_named_backend_warms_itself_alone(backend: str) -> None:
    assert warm_backends(backend, 1) == [backend]
