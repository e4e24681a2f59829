"""Whether the `gpu` tests run, skip or fail here: skip only where no GPU is present at all.

A GPU that the driver shows but cupy cannot use (a broken install, a CUDA mismatch) must
fail the GPU tests with the reason, not skip them: a skip would hide exactly the problem
the tests exist to catch. GRUMP_REQUIRE_GPU=1 runs them whatever this finds.
"""

from __future__ import annotations

from pathlib import Path

NVIDIA_PROC = Path("/proc/driver/nvidia/gpus")
DEV = Path("/dev")


def gpu_present(proc: Path = NVIDIA_PROC, dev: Path = DEV) -> str | None:
    """What shows an NVIDIA GPU on this machine (whatever cupy says), or None."""
    if proc.is_dir() and any(proc.iterdir()):
        return f"{proc} lists {len(list(proc.iterdir()))} GPU(s)"
    nodes = sorted(p.name for p in dev.glob("nvidia[0-9]*"))
    return f"{dev} has {', '.join(nodes)}" if nodes else None


def cupy_problem() -> str | None:
    """Why cupy cannot use a CUDA device here, or None when it can."""
    try:
        import cupy

        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # import, driver and runtime failures all mean "cannot"
        return f"{type(error).__name__}: {error}"
    return None if count > 0 else "cupy sees no CUDA device"


def decide(required: bool, present: str | None, problem: str | None) -> tuple[str, str]:
    """("run" | "skip" | "fail", reason) for the `gpu` tests."""
    if required or problem is None:
        return "run", ""
    if present is None:
        return "skip", f"no GPU here ({problem})"
    return "fail", f"a GPU is present ({present}) but cupy cannot use it: {problem}"
