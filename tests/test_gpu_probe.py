"""The suite's GPU verdict: a GPU that cupy cannot use fails the GPU tests, never skips them."""

from __future__ import annotations

from pathlib import Path

from gpu_probe import decide, gpu_present


def test_a_present_gpu_that_cupy_cannot_use_fails_the_gpu_tests() -> None:
    verdict, reason = decide(False, "/dev has nvidia0", "CUDARuntimeError: driver too old")
    assert verdict == "fail" and "driver too old" in reason and "nvidia0" in reason


def test_no_gpu_skips_a_usable_one_runs_and_required_always_runs() -> None:
    assert decide(False, None, "ImportError: no cupy")[0] == "skip"
    assert decide(False, "/dev has nvidia0", None) == ("run", "")
    assert decide(True, None, "ImportError: no cupy") == ("run", "")


def test_presence_comes_from_the_driver_not_from_cupy(tmp_path: Path) -> None:
    proc, dev = tmp_path / "gpus", tmp_path / "dev"
    dev.mkdir()
    assert gpu_present(proc, dev) is None
    (dev / "nvidiactl").touch()  # the control node alone is no GPU
    assert gpu_present(proc, dev) is None
    (dev / "nvidia0").touch()
    assert "nvidia0" in (gpu_present(proc, dev) or "")
    (proc / "0000:3b:00.0").mkdir(parents=True)
    assert "1 GPU" in (gpu_present(proc, dev) or "")
