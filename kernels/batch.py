"""The batch layout every backend takes, and the encoded-results layout every backend returns.

A batch is flat: one `uint8` buffer of UTF-8 texts with `int64` offsets (n + 1 of them), the
same layout the ring buffer hands over without copying; ids likewise; constraints likewise,
already encoded in the output format (an empty slot means "no constraints", encoded `{}`).
Results come back the same way: one `uint8` arena of encoded results and n + 1 offsets, so
egress hands each slice straight to Kafka.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np
import orjson

from ._layout import PARSE_NO_STORY

FORMATS = ("json", "msgpack")
# Bench knob, read by every backend at each batch: False parses without the user story
# (an empty block is written), so bench/kernels.py --story-cost can time what it costs.
STORY = True


@dataclass(frozen=True, slots=True)
class Batch:
    """n intents in flat arrays; constraints are pre-encoded in `fmt`."""

    texts: np.ndarray
    text_offsets: np.ndarray
    ids: np.ndarray
    id_offsets: np.ndarray
    constraints: np.ndarray
    constraint_offsets: np.ndarray
    fmt: str = "json"

    def __len__(self) -> int:
        return len(self.text_offsets) - 1

    @property
    def nbytes(self) -> int:
        return int(self.text_offsets[-1] - self.text_offsets[0])


@dataclass(frozen=True, slots=True)
class EncodedResults:
    """n encoded results in one arena."""

    data: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> bytes:
        return self.data[self.offsets[i] : self.offsets[i + 1]].tobytes()

    def to_list(self) -> list[bytes]:
        raw = self.data.tobytes()
        off = self.offsets.tolist()
        return [raw[off[i] : off[i + 1]] for i in range(len(off) - 1)]


def pack(parts: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate byte strings into (uint8 buffer, int64 offsets)."""
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    data = np.frombuffer(b"".join(parts), dtype=np.uint8)
    return data, offsets


def parse_format(fmt: int) -> int:
    """The `fmt` a batch kernel's parse pass takes: the wire format, flagged when the story
    is off (the write pass takes the wire format alone)."""
    return fmt if STORY else fmt | PARSE_NO_STORY


def groups(text_offsets: np.ndarray, group_bytes: int) -> list[tuple[int, int]]:
    """Consecutive intent ranges [lo, hi) of about `group_bytes` text each (at least one intent)."""
    n = len(text_offsets) - 1
    ranges, lo = [], 0
    while lo < n:
        hi = int(np.searchsorted(text_offsets, text_offsets[lo] + group_bytes, side="right")) - 1
        hi = min(max(hi, lo + 1), n)
        ranges.append((lo, hi))
        lo = hi
    return ranges


def make_batch(
    texts: Sequence[str],
    ids: Sequence[str],
    constraints: Sequence[Any] | None = None,
    fmt: str = "json",
) -> Batch:
    """Build a Batch from Python strings (the drain path builds one per claimed ring batch)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (json, msgpack)")
    text_data, text_off = pack([t.encode("utf-8") for t in texts])
    id_data, id_off = pack([i.encode("utf-8") for i in ids])
    dump = orjson.dumps if fmt == "json" else msgpack.packb
    cons = constraints if constraints is not None else [None] * len(texts)
    con_data, con_off = pack([b"" if c is None else dump(c) for c in cons])
    if not len(texts) == len(ids) == len(cons):
        raise ValueError("texts, ids and constraints must have the same length")
    return Batch(text_data, text_off, id_data, id_off, con_data, con_off, fmt)


def batch_texts(batch: Batch) -> list[str]:
    """The texts of a batch as Python strings."""
    raw, off = batch.texts.tobytes(), batch.text_offsets - batch.text_offsets[0]
    return [raw[off[i] : off[i + 1]].decode("utf-8") for i in range(len(batch))]


def batch_ids(batch: Batch) -> list[str]:
    raw, off = batch.ids.tobytes(), batch.id_offsets - batch.id_offsets[0]
    return [raw[off[i] : off[i + 1]].decode("utf-8") for i in range(len(batch))]


def batch_constraints(batch: Batch) -> list[Any]:
    """Decoded constraints (None where the slot is empty)."""
    raw, off = batch.constraints.tobytes(), batch.constraint_offsets - batch.constraint_offsets[0]
    load = orjson.loads if batch.fmt == "json" else msgpack.unpackb
    return [
        load(raw[off[i] : off[i + 1]]) if off[i + 1] > off[i] else None for i in range(len(batch))
    ]
