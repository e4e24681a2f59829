"""The lexicon compiled into flat arrays for the batch kernels (CPU and GPU alike)."""

from .build import build_tables, fnv1a, packed_tables

__all__ = ["build_tables", "fnv1a", "packed_tables"]
