"""The compiled batch murmur2 against aiokafka's pure-Python one (the Java client's hash)."""

from __future__ import annotations

import numpy as np
from aiokafka.partitioner import murmur2
from hypothesis import given, settings
from hypothesis import strategies as st

from worker._murmur import murmur2_many


def _flat(keys: list[bytes], gap: bytes = b"") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys in one buffer, `gap` bytes between them so a hash reading too far would differ."""
    data = gap.join(keys) + gap
    lengths = np.array([len(k) for k in keys], np.int64)
    starts = np.zeros(len(keys), np.int64)
    np.cumsum(lengths[:-1] + len(gap), out=starts[1:])
    return np.frombuffer(data, np.uint8), starts, lengths


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=40), st.binary(max_size=3))
def test_batch_hash_equals_aiokafka_for_any_keys(keys: list[bytes], gap: bytes) -> None:
    assert murmur2_many(*_flat(keys, gap)).tolist() == [murmur2(k) for k in keys]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=20))
def test_batch_hash_equals_aiokafka_for_utf8_text_keys(texts: list[str]) -> None:
    keys = [t.encode() for t in texts]
    assert murmur2_many(*_flat(keys)).tolist() == [murmur2(k) for k in keys]


def test_edge_keys_every_tail_length_and_high_bytes() -> None:
    keys = [b"", b"\x00", b"\xff", b"\xff" * 2, b"\xff" * 3, b"\xff" * 4, b"\x80" * 5,
            "ключ-✓".encode(), bytes(range(256)), b"user-42", b"a" * 1000]  # fmt: skip
    assert murmur2_many(*_flat(keys, b"\xaa")).tolist() == [murmur2(k) for k in keys]
    assert murmur2_many(*_flat([])).tolist() == []


def test_many_random_keys() -> None:
    rng = np.random.default_rng(7)
    keys = [rng.bytes(int(n)) for n in rng.integers(0, 64, 20_000)]
    assert murmur2_many(*_flat(keys)).tolist() == [murmur2(k) for k in keys]
