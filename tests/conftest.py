"""Suite-wide fixtures and markers."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip `gpu` tests without a usable GPU, unless GRUMP_REQUIRE_GPU=1 demands one."""
    if os.environ.get("GRUMP_REQUIRE_GPU") == "1" or not any("gpu" in i.keywords for i in items):
        return
    if not _gpu_available():
        skip = pytest.mark.skip(reason="no CUDA GPU with cupy available")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


def _gpu_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # any import or driver failure means "no GPU here"
        return False
