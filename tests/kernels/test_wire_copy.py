"""The writer's word-wise copies against Python's bytes, at every length and offset that
takes another path (bytes, a 4-byte pair, 8-byte words with an overlapping last one)."""

from __future__ import annotations

import numpy as np
from numba import njit

from kernels.write.wire import copy, copy_lowered


@njit
def _copy_into(out, pos, src, a, b, lowered):
    if lowered:
        copy_lowered(out, pos, src, a, b)
    else:
        copy(out, pos, src, a, b)


def _lowered(data: bytes) -> bytes:
    return bytes(c + 32 if 65 <= c <= 90 else c for c in data)


def test_copies_match_python_at_every_length_and_offset() -> None:
    rng = np.random.default_rng(7)
    # every byte value, the letters' neighbours ('@', '[', '`', '{') many times over
    src = np.concatenate([np.arange(256, dtype=np.uint8),
                          rng.choice(np.frombuffer(b"@AZ[`az{\x80\xc1\xda\xff", np.uint8), 256),
                          rng.integers(0, 256, 256, dtype=np.uint8)])  # fmt: skip
    for lowered in (False, True):
        for a in range(0, 40):
            for n in range(0, 41):
                out = np.full(64, 0xEE, np.uint8)
                pos = (a * 3) % 9
                _copy_into(out, pos, src, a * 17, a * 17 + n, lowered)
                want = bytes(src[a * 17 : a * 17 + n])
                want = _lowered(want) if lowered else want
                assert bytes(out[pos : pos + n]) == want, (lowered, a, n)
                # nothing outside the span is touched
                assert set(out[:pos].tolist()) <= {0xEE}
                assert set(out[pos + n :].tolist()) <= {0xEE}
