"""Ring test fixtures: every test must leave /dev/shm as it found it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ringbuffer import Ring


def _grump_segments() -> set[str]:
    try:
        return {n for n in os.listdir("/dev/shm") if n.startswith("grump")}
    except FileNotFoundError:
        return set()


@pytest.fixture(autouse=True)
def no_leaked_segments() -> Iterator[None]:
    before = _grump_segments()
    yield
    assert _grump_segments() - before == set(), "test leaked shared-memory segments"


@pytest.fixture
def ring() -> Iterator[Ring]:
    with Ring.create(capacity_records=64, arena_bytes=4096, max_record_bytes=1024) as r:
        yield r
