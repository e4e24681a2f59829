"""A claimed batch of framed requests as one kernel batch per output format, plus dead letters.

The compiled recogniser (`_fast_requests`) takes the common well-formed requests without
a Python object per record; the records it leaves go through `schemas.decode_request` one
by one, as every record once did, and either join their format's batch or become dead
letters. Both paths give the same batch bytes for a record, so the output frames do not
depend on which path took it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import kernels
from schemas import InvalidRecord, decode_request, derived_id
from schemas import errors as codes

from . import _fast_json as fj
from . import _fast_requests as fr
from . import _framing as f
from ._columns import InColumns
from ._jit import jit

_DECODE_CODES = frozenset(
    {codes.MALFORMED_JSON, codes.MALFORMED_MSGPACK, codes.UNKNOWN_ENCODING, codes.INVALID_UTF8}
)
_FORMATS = ("json", "msgpack")  # indexed by the kinds: output format = input kind for "same"
_MSGPACK_FIRST = np.zeros(256, np.bool_)  # a msgpack map's first byte, as `schemas.sniff`
_MSGPACK_FIRST[[*range(0x80, 0x90), 0xDE, 0xDF]] = True


@dataclass(frozen=True, slots=True)
class Group:
    """The valid requests of one output format: their input rows and their kernel batch."""

    fmt: str
    rows: np.ndarray
    batch: kernels.Batch


def decode_requests(
    columns: InColumns, topic: str, output_format: str, max_text_bytes: int, fast: bool = True
) -> tuple[list[Group], list[bytes]]:
    """Kernel batches (in order of their first record) and dead-letter frames (input order)
    for `columns`. `fast=False` takes every record through the per-record path."""
    kinds = _kinds(columns)
    if output_format == "same":
        formats = kinds.copy()
    else:
        formats = np.full(len(kinds), _FORMATS.index(output_format))
    arenas, offsets = _empty_arenas(columns, 0)
    ok = np.zeros(len(kinds), np.bool_)
    if fast and len(kinds):
        arenas, offsets = _empty_arenas(columns, len(topic.encode()))
        json_out = (formats == 0) & (kinds == 0)
        row_columns = (columns.value_start, columns.value_end, kinds, json_out,
                       columns.partition, columns.offset)  # fmt: skip
        rules = (max_text_bytes, np.frombuffer(topic.encode(), np.uint8))
        fr.scan_requests(columns.buffer, row_columns, arenas, offsets, rules, (*fj.scratch(), ok))
    dead, slow = _per_record(columns, np.flatnonzero(~ok), (kinds, formats),
                             (topic, max_text_bytes))  # fmt: skip
    groups = []
    for code in sorted({int(c) for c in np.unique(formats) if c >= 0},
                       key=lambda c: int(np.argmax(formats == c))):  # fmt: skip
        rows = np.flatnonzero(formats == code)
        batch = _merge(rows, ok, (arenas, offsets), slow.get(code), _FORMATS[code])
        groups.append(Group(_FORMATS[code], rows, batch))
    return groups, dead


def _kinds(columns: InColumns) -> np.ndarray:
    """How each value decodes: its content type, else sniffed from its first byte."""
    starts, ends = columns.value_start, columns.value_end
    empty = ends <= starts
    first = columns.buffer[np.where(empty, 0, starts)] if len(columns.buffer) else starts * 0
    sniffed = np.where(_MSGPACK_FIRST[first], fr.KIND_MSGPACK, fr.KIND_JSON)
    content = columns.content
    kinds = np.where(content == f.CONTENT_MSGPACK, fr.KIND_MSGPACK, sniffed)
    kinds = np.where(content == f.CONTENT_JSON, fr.KIND_JSON, kinds)
    return np.where(empty, fr.KIND_EMPTY, kinds).astype(np.int64)


def _empty_arenas(columns: InColumns, topic_bytes: int) -> tuple[tuple, np.ndarray]:
    """Arenas no recognised record can overflow: a decoded text, id or constraints is never
    longer than its raw bytes; a derived id needs the topic and two numbers."""
    n = len(columns)
    raw = int((columns.value_end - columns.value_start).sum()) + 16 if n else 16
    ids = raw + n * (topic_bytes + fr.DERIVED_ID_SLACK)
    arenas = (np.empty(raw, np.uint8), np.empty(ids, np.uint8), np.empty(raw, np.uint8))
    return arenas, np.zeros((3, n + 1), np.int64)


def _per_record(
    columns: InColumns, rows: np.ndarray, kinds_formats: tuple[np.ndarray, np.ndarray],
    rules: tuple[str, int],
) -> tuple[list[bytes], dict[int, tuple[list[int], kernels.Batch]]]:  # fmt: skip
    """Decode and validate `rows` one by one: dead-letter frames, and per output format the
    valid rows and their batch. Dead rows get format -1 in `formats`."""
    kinds, formats = kinds_formats
    topic, max_text_bytes = rules
    dead: list[bytes] = []
    valid: dict[int, tuple[list[Any], list[Any], list[Any], list[Any]]] = {}
    view = columns.buffer.data
    for i in rows.tolist():
        value = view[int(columns.value_start[i]) : int(columns.value_end[i])]
        content_type = f.CONTENT_TYPES[int(columns.content[i])]
        try:
            request = decode_request(value, content_type, max_text_bytes)
        except InvalidRecord as error:
            stage = "decode" if error.code in _DECODE_CODES else "validate"
            aux = f.dead_aux(error.code, stage, error.message)
            dead.append(f.out_frame(f.DEAD, columns.record(i), aux, f.CONTENT_NONE,
                                    bytes(value)))  # fmt: skip
            formats[i] = -1
            continue
        ident = request.id or derived_id(topic, int(columns.partition[i]), int(columns.offset[i]))
        lists = valid.setdefault(int(formats[i]), ([], [], [], []))
        for column, item in zip(lists, (i, request.text, ident, request.constraints), strict=True):
            column.append(item)
    slow = {code: (r, kernels.make_batch(t, d, c, _FORMATS[code]))
            for code, (r, t, d, c) in valid.items()}  # fmt: skip
    return dead, slow


def _merge(
    rows: np.ndarray, ok: np.ndarray, fast: tuple[tuple, np.ndarray],
    slow: tuple[list[int], kernels.Batch] | None, fmt: str,
) -> kernels.Batch:  # fmt: skip
    """One batch of `rows` (input order): recognised rows from the fast arenas, the others
    from the per-record batch of this format (its rows are the others, in order)."""
    arenas, offsets = fast
    if slow is None and len(rows) == len(ok):  # every record recognised: the arenas are it
        ends = offsets[:, -1]
        return kernels.Batch(_frozen(arenas[0][: ends[0]]), offsets[0],
                             _frozen(arenas[1][: ends[1]]), offsets[1],
                             _frozen(arenas[2][: ends[2]]), offsets[2], fmt)  # fmt: skip
    taken = ok[rows]
    fast_rows, parts = rows[taken], list[tuple[np.ndarray, np.ndarray]]()
    for k, (data, off) in enumerate(_slow_columns(slow)):
        base = int(offsets[k, -1])
        source = np.concatenate((arenas[k][:base], data)) if len(data) else arenas[k][:base]
        starts, ends = np.empty(len(rows), np.int64), np.empty(len(rows), np.int64)
        starts[taken], ends[taken] = offsets[k, fast_rows], offsets[k, fast_rows + 1]
        starts[~taken], ends[~taken] = off[:-1] + base, off[1:] + base
        data, off = gather(source, starts, ends)
        parts.append((_frozen(data), off))
    (texts, text_off), (ids, id_off), (cons, con_off) = parts
    return kernels.Batch(texts, text_off, ids, id_off, cons, con_off, fmt)


def _frozen(data: np.ndarray) -> np.ndarray:
    """`data` read-only, as `kernels.make_batch` hands its bytes over: numba compiles the
    kernels once per array type, and a drain warms them with a `make_batch` batch."""
    data.flags.writeable = False
    return data


def _slow_columns(slow: tuple[list[int], kernels.Batch] | None) -> list[tuple[Any, Any]]:
    if slow is None:
        empty = (np.empty(0, np.uint8), np.zeros(1, np.int64))
        return [empty, empty, empty]
    b = slow[1]
    return [(b.texts, b.text_offsets - b.text_offsets[0]), (b.ids, b.id_offsets - b.id_offsets[0]),
            (b.constraints, b.constraint_offsets - b.constraint_offsets[0])]  # fmt: skip


def gather(source: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[Any, Any]:
    """source[starts[j]:ends[j]] for every j, as one arena and its offsets."""
    offsets = np.zeros(len(starts) + 1, np.int64)
    np.cumsum(ends - starts, out=offsets[1:])
    out = np.empty(int(offsets[-1]), np.uint8)
    _gather(source, starts, ends, out, offsets)
    return out, offsets


@jit
def _gather(source, starts, ends, out, offsets):
    for j in range(len(starts)):
        fj.copy_bytes(out, offsets[j], source, starts[j], ends[j])
