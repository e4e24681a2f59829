"""The stream worker: Kafka in, ring, batch kernels, Kafka out; and the `grump` command line."""

__all__: list[str] = []
