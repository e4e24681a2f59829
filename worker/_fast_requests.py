"""The compiled request recogniser: a batch of framed requests to the kernels' flat arrays.

One pass over the claimed buffer recognises the common well-formed requests exactly, JSON
objects or msgpack fixmaps with keys among `v`, `id`, `text`, `constraints` and `ts`, and
writes their texts, ids (or derived ids) and constraints (JSON output only) straight into
the arenas a `kernels.Batch` holds. Every rule of `schemas.request` that such a record
could break sends it to the per-record path instead, as do duplicate keys, floats, escapes
in keys, unknown keys in msgpack and anything else outside the subset: the fast path
accepts nothing the per-record path would refuse, and writes what it would write.
"""

from __future__ import annotations

import numpy as np

from schemas.request import MAX_ID_CHARS

from ._fast_json import (
    NULL,
    QUOTE,
    canonical_value,
    copy_bytes,
    copy_utf8,
    json_int,
    json_string,
    literal,
    same_bytes,
    skip_ws,
)
from ._jit import jit

KIND_JSON, KIND_MSGPACK, KIND_EMPTY = 0, 1, 2  # how a record value is decoded
_V, _ID, _TEXT, _CONSTRAINTS, _TS, _UNKNOWN = 0, 1, 2, 3, 4, 5
_KEYS = [np.frombuffer(name, np.uint8).copy() for name in (b"v", b"id", b"text", b"constraints",
                                                          b"ts")]  # fmt: skip
KEY_V, KEY_ID, KEY_TEXT, KEY_CONSTRAINTS, KEY_TS = _KEYS
DERIVED_ID_SLACK = 1 + 11 + 1 + 20  # "/", an i32 and "/", an i64 after the topic
SLASH_BYTE = 0x2F


@jit
def _same(a, lo, hi, name):
    return hi - lo == len(name) and same_bytes(a, lo, name, 0, len(name))


@jit
def _key(a, lo, hi):
    if _same(a, lo, hi, KEY_TEXT):
        return _TEXT
    if _same(a, lo, hi, KEY_ID):
        return _ID
    if _same(a, lo, hi, KEY_V):
        return _V
    if _same(a, lo, hi, KEY_TS):
        return _TS
    if _same(a, lo, hi, KEY_CONSTRAINTS):
        return _CONSTRAINTS
    return _UNKNOWN


@jit
def _json_field(buf, i, hi, key, out, at, rules, work):
    """One member's value: (next i, end in its arena); an id or constraints of null end at
    -1 and at their start, so "absent" and null agree as in `schemas.request`."""
    texts, ids, cons = out
    t_at, d_at, c_at = at
    max_text, json_out = rules
    c = buf[i]
    if key == _TEXT and c == QUOTE:
        i, end, points = json_string(buf, i + 1, hi, texts, t_at, True)
        return (i, end) if points > 0 and end - t_at <= max_text else (-1, 0)
    if key == _ID and c == QUOTE:
        i, end, points = json_string(buf, i + 1, hi, ids, d_at, True)
        return (i, end) if 1 <= points <= MAX_ID_CHARS else (-1, 0)
    if key == _CONSTRAINTS and c == 0x7B and json_out:
        return canonical_value(buf, i, hi, cons, c_at, work)
    if key in (_ID, _CONSTRAINTS, _TS) and c == 0x6E:
        return literal(buf, i, hi, NULL), (-1 if key == _ID else c_at)
    if key == _V and c == 0x31:  # exactly 1: 1.0 and 1e0 are valid too, but rare
        return (i + 1, 0) if json_int(buf, i, hi) == i + 1 else (-1, 0)
    if key == _TS and 0x30 <= c <= 0x39:
        return json_int(buf, i, hi), 0
    if key == _UNKNOWN:  # validated like any value, written past the constraints, dropped
        return canonical_value(buf, i, hi, cons, c_at, work)[0], 0
    return -1, 0


@jit
def json_request(buf, i, hi, out, at, rules, work):
    """The JSON request in buf[i:hi]: (ok, text end, id end (-1: none), constraints end)."""
    cons = out[2]
    t_at, d_at, c_at = at
    t_end, d_end, c_end, seen = -1, -1, c_at, 0
    i = skip_ws(buf, i, hi)
    if i >= hi or buf[i] != 0x7B:
        return False, 0, 0, 0
    i = skip_ws(buf, i + 1, hi)
    while i < hi and buf[i] == QUOTE:
        i, key_end, _ = json_string(buf, i + 1, hi, cons, c_end, False)  # scratch: the key
        if i < 0:
            break
        key = _key(cons, c_end, key_end)
        if key != _UNKNOWN and seen & (1 << key):
            break  # orjson keeps the last value: the per-record path decides
        seen |= 1 << key
        i = skip_ws(buf, i, hi)
        if i >= hi or buf[i] != 0x3A:
            break
        i = skip_ws(buf, i + 1, hi)
        if i >= hi:
            break
        i, end = _json_field(buf, i, hi, key, out, (t_at, d_at, c_end), rules, work)
        if i < 0:
            break
        if key == _TEXT:
            t_end = end
        elif key == _ID:
            d_end = end
        elif key == _CONSTRAINTS:
            c_end = end
        i = skip_ws(buf, i, hi)
        if i < hi and buf[i] == 0x7D:
            ok = skip_ws(buf, i + 1, hi) == hi and t_end >= 0
            return ok, t_end, d_end, c_end
        if i >= hi or buf[i] != 0x2C:
            break
        i = skip_ws(buf, i + 1, hi)
    return False, 0, 0, 0


@jit
def _msgpack_str(buf, i, hi):
    """(start, end) of the msgpack str at buf[i], or (-1, 0)."""
    c = buf[i]
    if 0xA0 <= c <= 0xBF:
        lo, size = i + 1, c & 0x1F
    elif 0xD9 <= c <= 0xDB:
        width = 1 << (c - 0xD9)  # str8, str16, str32: big-endian length
        if i + 1 + width > hi:
            return -1, 0
        size = 0
        for k in range(width):
            size = (size << 8) | buf[i + 1 + k]
        lo = i + 1 + width
    else:
        return -1, 0
    return (lo, lo + size) if lo + size <= hi else (-1, 0)


@jit
def _msgpack_field(buf, i, hi, key, out, at, max_text):
    """One value of a msgpack request: (next i, end in its arena), as `_json_field`."""
    texts, ids = out
    t_at, d_at = at
    c = buf[i]
    if c == 0xC0 and key in (_ID, _CONSTRAINTS, _TS):
        return i + 1, -1
    if key == _V:
        return (i + 1, 0) if c == 0x01 else (-1, 0)
    if key == _TS:  # a positive fixint or a uint: non-negative
        width = 0 if c <= 0x7F else (1 << (c - 0xCC) if 0xCC <= c <= 0xCF else -1)
        return (i + 1 + width, 0) if width >= 0 and i + 1 + width <= hi else (-1, 0)
    if key != _TEXT and key != _ID:
        return -1, 0
    lo, end = _msgpack_str(buf, i, hi)
    if lo < 0:
        return -1, 0
    arena, start = (texts, t_at) if key == _TEXT else (ids, d_at)
    stop, points = copy_utf8(buf, lo, end, arena, start)
    if stop < 0 or (key == _TEXT and (points == 0 or stop - start > max_text)):
        return -1, 0
    if key == _ID and not 1 <= points <= MAX_ID_CHARS:
        return -1, 0
    return end, stop


@jit
def msgpack_request(buf, i, hi, out, at, max_text):
    """The msgpack request in buf[i:hi] (a fixmap of fixstr keys, no constraints):
    (ok, text end, id end (-1: none))."""
    if i >= hi or not 0x80 <= buf[i] <= 0x8F:
        return False, 0, 0
    members, i = buf[i] & 0x0F, i + 1
    t_end, d_end, seen = -1, -1, 0
    for _ in range(members):
        if i >= hi or not 0xA0 <= buf[i] <= 0xBF:
            return False, 0, 0
        key_lo, i = i + 1, i + 1 + (buf[i] & 0x1F)
        if i >= hi:
            return False, 0, 0
        key = _key(buf, key_lo, i)
        if key == _UNKNOWN or seen & (1 << key):
            return False, 0, 0
        seen |= 1 << key
        i, end = _msgpack_field(buf, i, hi, key, out, at, max_text)
        if i < 0:
            return False, 0, 0
        if key == _TEXT:
            t_end = end
        elif key == _ID:
            d_end = end
    return i == hi and t_end >= 0, t_end, d_end


@jit
def _put_int(out, at, value):
    if value < 0:
        out[at] = 0x2D
        at += 1
        value = -value
    digits, rest = 1, value // 10
    while rest:
        digits, rest = digits + 1, rest // 10
    for k in range(digits - 1, -1, -1):
        out[at + k] = 0x30 + value % 10
        value //= 10
    return at + digits


@jit
def derived_id(out, at, topic, partition, offset):
    """`schemas.derived_id` into out[at:]: topic/partition/offset."""
    at = copy_bytes(out, at, topic, 0, len(topic))
    out[at] = SLASH_BYTE
    at = _put_int(out, at + 1, partition)
    out[at] = SLASH_BYTE
    return _put_int(out, at + 1, offset)


@jit
def scan_requests(buf, rows, out, offsets, rules, work):
    """Recognise every record; row i's text, id and constraints land in the arenas `out` at
    `offsets[:, i]:offsets[:, i + 1]` (empty for rows left to the per-record path).

    rows: value start, value end, kind, JSON constraints allowed, partition, offset.
    rules: max text bytes, topic. work: `_fast_json.scratch()` and a bool per row, set for
    the recognised rows."""
    starts, ends, kinds, json_out, partitions, record_offsets = rows
    max_text, topic = rules
    work, ok = work[:2], work[2]
    n = len(starts)
    t_at, d_at, c_at = 0, 0, 0
    for r in range(n):
        lo, hi = starts[r], ends[r]
        good, t_end, d_end, c_end = False, 0, 0, c_at
        if kinds[r] == KIND_JSON:
            good, t_end, d_end, c_end = json_request(
                buf, lo, hi, out, (t_at, d_at, c_at), (max_text, json_out[r]), work
            )
        elif kinds[r] == KIND_MSGPACK:
            good, t_end, d_end = msgpack_request(buf, lo, hi, out[:2], (t_at, d_at), max_text)
        if good:
            if d_end < 0:
                d_end = derived_id(out[1], d_at, topic, partitions[r], record_offsets[r])
            t_at, d_at, c_at = t_end, d_end, c_end
        ok[r] = good
        offsets[0, r + 1], offsets[1, r + 1], offsets[2, r + 1] = t_at, d_at, c_at
