"""The stream worker: Kafka in, ring, batch kernels, Kafka out; and the `grump` command line."""

from ._app import run_worker
from ._config import WorkerConfig, build_config

__all__ = ["WorkerConfig", "build_config", "run_worker"]
