"""Shared-memory, lock-free, multi-producer multi-consumer ring of variable-length records."""

__all__: list[str] = []
