"""Suite-wide fixtures and markers."""

from __future__ import annotations

import os

import pytest
from gpu_probe import cupy_problem, decide, gpu_present

_gpu_verdict: tuple[str, str] = ("run", "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip `gpu` tests where no GPU is present; fail them where one is present but cupy
    cannot use it; run them when GRUMP_REQUIRE_GPU=1 demands it (see gpu_probe)."""
    global _gpu_verdict
    if not any("gpu" in i.keywords for i in items):
        return
    required = os.environ.get("GRUMP_REQUIRE_GPU") == "1"
    _gpu_verdict = decide(required, gpu_present(), None if required else cupy_problem())
    verdict, reason = _gpu_verdict
    if verdict == "skip":
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item: pytest.Item) -> None:
    verdict, reason = _gpu_verdict
    if verdict == "fail" and "gpu" in item.keywords:
        pytest.fail(reason, pytrace=False)
