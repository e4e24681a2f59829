"""The stream worker: Kafka in, ring, batch kernels, Kafka out; and the `grump` command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import run_worker
    from ._config import WorkerConfig, build_config

__all__ = ["WorkerConfig", "build_config", "run_worker"]


def __getattr__(name: str) -> Any:
    """Exports load on first use: a drain process is spawned with `worker.cli` as its main
    module, and importing the Kafka side (aiokafka, prometheus) there cost it ~1 s."""
    if name == "run_worker":
        from ._app import run_worker

        return run_worker
    if name in ("WorkerConfig", "build_config"):
        from . import _config

        return getattr(_config, name)
    raise AttributeError(f"module 'worker' has no attribute {name!r}")
