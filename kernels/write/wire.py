"""Byte writers for JSON (as orjson writes it) and msgpack (as msgpack-python packs it).

Each writer takes the output array, a position and `w` (write or only measure) and returns
the new position, so one encoder body serves the sizing pass and the writing pass. Sizing
never walks text or lexicon bytes: a text span's size comes from the scan's escape list,
a lexicon string's from the string table.
"""

from __future__ import annotations

from numba import int64, uint64

from .._jit import jit, jit_inline, on_gpu
from ..scan.text import ONES, load_word, lower
from ..scan.tokens import escaped_extra
from ..tables.rows import R_JSON_DATA, R_JSON_OFF, R_MILLI_BITS, R_MP_DATA, R_MP_OFF

FMT_JSON, FMT_MSGPACK = 0, 1
_HEX = b"0123456789abcdef"
HEX = tuple(_HEX)
TRUE, FALSE, NULL = tuple(b"true"), tuple(b"false"), tuple(b"null")
_SPACES = uint64(0x20202020)  # fills a 4-byte word's upper half with bytes needing no escape


@jit_inline
def put(out, pos, w, b):
    if w:
        at(out, pos, b)
    return pos + 1


@jit_inline
def at(out, pos, b):
    """out[pos] = b through an unsigned index: no wrap-around test for a negative one, so
    LLVM can merge stores to neighbouring bytes (`put_lit`)."""
    out[uint64(pos)] = b


@jit
def put_json_byte(out, pos, w, b):
    """One byte of a JSON string body, escaped as orjson escapes it."""
    if b == 34 or b == 92:
        pos = put(out, pos, w, 92)
        return put(out, pos, w, b)
    if b >= 0x20:
        return put(out, pos, w, b)
    short = 98 if b == 8 else 116 if b == 9 else 110 if b == 10 else 102 if b == 12 else 0
    short = 114 if b == 13 else short
    pos = put(out, pos, w, 92)
    if short:
        return put(out, pos, w, short)
    for c in (117, 48, 48, HEX[b >> 4], HEX[b & 15]):
        pos = put(out, pos, w, c)
    return pos


@jit
def put_msgpack_len(out, pos, w, n, fix_base, fix_max, code8, code16, code32):
    """A msgpack length header: fix form, then 8 (if code8), 16 or 32 bits."""
    if n <= fix_max:
        return put(out, pos, w, fix_base | n)
    if code8 and n <= 0xFF:
        pos = put(out, pos, w, code8)
        return put(out, pos, w, n)
    if n <= 0xFFFF:
        pos = put(out, pos, w, code16)
        return put_be(out, pos, w, n, 2)
    pos = put(out, pos, w, code32)
    return put_be(out, pos, w, n, 4)


@jit_inline
def put_be(out, pos, w, value, size):
    for k in range(size - 1, -1, -1):
        pos = put(out, pos, w, (value >> (8 * k)) & 0xFF)
    return pos


@jit
def put_bytes(out, pos, w, src, a, b, lowered, fmt):
    """A string from src[a:b] (optionally ASCII-lowered)."""
    if fmt == FMT_MSGPACK:
        pos = put_msgpack_len(out, pos, w, b - a, 0xA0, 31, 0xD9, 0xDA, 0xDB)
        for p in range(a, b):
            pos = put(out, pos, w, lower(src[p]) if lowered else src[p])
        return pos
    if not lowered and not needs_escape(src, a, b):  # most ids: a plain copy
        if w:
            at(out, pos, 34)
            copy(out, pos + 1, src, a, b)
            at(out, pos + 1 + b - a, 34)
        return pos + 2 + b - a
    pos = put(out, pos, w, 34)
    for p in range(a, b):
        pos = put_json_byte(out, pos, w, lower(src[p]) if lowered else src[p])
    return put(out, pos, w, 34)


@jit_inline
def put_sid(out, pos, w, tb, sid, fmt):
    """A lexicon string by id: a copy of its encoding, made once when the tables were built."""
    if fmt == FMT_JSON:
        data, a, b = tb[0][R_JSON_DATA], tb[2][R_JSON_OFF, sid], tb[2][R_JSON_OFF, sid + 1]
    else:
        data, a, b = tb[0][R_MP_DATA], tb[2][R_MP_OFF, sid], tb[2][R_MP_OFF, sid + 1]
    if not w:
        return pos + b - a
    copy(out, pos, data, a, b)
    return pos + b - a


@jit
def put_text(out, pos, w, t, a, b, lowered, fmt, scr, n_esc):
    """A span of the intent's text; sized from the scan's escape list without reading it."""
    if not w:
        extra = escaped_extra(scr, n_esc, a, b) if fmt == FMT_JSON else 0
        return pos + string_overhead(b - a, fmt) + (b - a) + extra
    if fmt == FMT_MSGPACK:
        pos = put_msgpack_len(out, pos, w, b - a, 0xA0, 31, 0xD9, 0xDA, 0xDB)
    else:
        at(out, pos, 34)
        pos += 1
        # (the write pass has no escape list: `scr` is only the scan's while sizing)
        if n_esc and needs_escape(t, a, b):  # the careful writer, byte by byte
            for p in range(a, b):
                c = lower(t[p]) if lowered else t[p]
                if c < 0x20 or c == 34 or c == 92:
                    pos = put_json_byte(out, pos, True, c)
                else:
                    at(out, pos, c)
                    pos += 1
            at(out, pos, 34)
            return pos + 1
    if lowered:  # nothing to escape: a plain copy
        copy_lowered(out, pos, t, a, b)
    else:
        copy(out, pos, t, a, b)
    pos += b - a
    if fmt == FMT_JSON:
        at(out, pos, 34)
        pos += 1
    return pos


@jit_inline
def needs_escape(t, a, b):
    """Whether JSON escapes any byte of t[a:b]: eight bytes at a time, the last word
    overlapping the one before (see `copy_words`), each tested without a loop over bytes."""
    n, q = b - a, uint64(a)
    if n >= 8 and not on_gpu():  # (the GPU keeps the loop of bytes below: see `load_word`)
        last, k, found = uint64(n - 8), uint64(0), uint64(0)
        while k < last:
            found |= escape_bits(load_word(t, q + k, 8, False))
            k += uint64(8)
        return (found | escape_bits(load_word(t, q + last, 8, False))) != 0
    if n >= 4 and not on_gpu():
        found = escape_bits(load_word(t, q, 4, False) | (_SPACES << uint64(32)))
        found |= escape_bits(load_word(t, q + uint64(n - 4), 4, False) | (_SPACES << uint64(32)))
        return found != 0
    found = uint64(0)
    for k in range(n):
        c = t[q + uint64(k)]
        found |= uint64((c < 32) | (c == 34) | (c == 92))
    return found != 0


@jit_inline
def escape_bits(v):
    """Non-zero when a byte of the 8-byte word v is below 0x20, '"' or '\\' (whole-word tests
    of the bit tricks "has less than" and "has zero byte": exact for the word, not per byte)."""
    high = ONES * uint64(0x80)
    below = (v - ONES * uint64(0x20)) & ~v
    quote = v ^ (ONES * uint64(34))
    slash = v ^ (ONES * uint64(92))
    quote = (quote - ONES) & ~quote
    slash = (slash - ONES) & ~slash
    return (below | quote | slash) & high


@jit_inline
def copy(out, pos, src, a, b):
    """src[a:b] to out[pos:]."""
    copy_words(out, pos, src, a, b, False)


@jit_inline
def copy_lowered(out, pos, src, a, b):
    """src[a:b] to out[pos:], A-Z lowered."""
    copy_words(out, pos, src, a, b, True)


@jit_inline
def copy_words(out, pos, src, a, b, lowered):
    """As 8-byte words, the last one overlapping the one before (a pair of 4-byte words under
    8 bytes), as memcpy does: one load and one store per word, no loop over bytes."""
    n, p, q = b - a, uint64(pos), uint64(a)
    if n >= 8:
        last, k = uint64(n - 8), uint64(0)
        while k < last:
            store_word(out, p + k, load_word(src, q + k, 8, lowered), 8)
            k += uint64(8)
        store_word(out, p + last, load_word(src, q + last, 8, lowered), 8)
    elif n >= 4:
        last = uint64(n - 4)
        store_word(out, p, load_word(src, q, 4, lowered), 4)
        store_word(out, p + last, load_word(src, q + last, 4, lowered), 4)
    else:
        for k in range(n):
            c = src[q + uint64(k)]
            at(out, pos + k, lower(c) if lowered else c)


@jit_inline
def store_word(out, p, v, size):
    """The low `size` (8 or 4) bytes of v to out[p:], written out with no loop (see
    `load_word`; the GPU keeps a loop)."""
    if on_gpu():
        for k in range(size):
            out[p + uint64(k)] = (v >> uint64(8 * k)) & uint64(0xFF)
        return
    out[p] = v & uint64(0xFF)
    out[p + uint64(1)] = (v >> uint64(8)) & uint64(0xFF)
    out[p + uint64(2)] = (v >> uint64(16)) & uint64(0xFF)
    out[p + uint64(3)] = (v >> uint64(24)) & uint64(0xFF)
    if size == 8:
        out[p + uint64(4)] = (v >> uint64(32)) & uint64(0xFF)
        out[p + uint64(5)] = (v >> uint64(40)) & uint64(0xFF)
        out[p + uint64(6)] = (v >> uint64(48)) & uint64(0xFF)
        out[p + uint64(7)] = (v >> uint64(56)) & uint64(0xFF)


@jit_inline
def string_overhead(length, fmt):
    """Bytes a string of `length` bytes adds beyond its body: quotes or a msgpack header."""
    if fmt == FMT_JSON:
        return 2
    if length <= 31:
        return 1
    if length <= 0xFF:
        return 2
    return 3 if length <= 0xFFFF else 5


@jit
def put_raw(out, pos, w, src, a, b):
    if not w:
        return pos + b - a
    for p in range(a, b):
        pos = put(out, pos, w, src[p])
    return pos


@jit_inline
def open_seq(out, pos, w, fmt, count, is_map):
    if fmt == FMT_MSGPACK:
        if is_map:
            return put_msgpack_len(out, pos, w, count, 0x80, 15, 0, 0xDE, 0xDF)
        return put_msgpack_len(out, pos, w, count, 0x90, 15, 0, 0xDC, 0xDD)
    return put(out, pos, w, 123 if is_map else 91)


@jit_inline
def close_seq(out, pos, w, fmt, is_map):
    if fmt == FMT_MSGPACK:
        return pos
    return put(out, pos, w, 125 if is_map else 93)


@jit_inline
def sep(out, pos, w, fmt, k):
    """The separator before item k of a JSON array or object."""
    if fmt == FMT_JSON and k > 0:
        return put(out, pos, w, 44)
    return pos


@jit_inline
def put_lit(out, pos, w, lit):
    """Bytes known when compiling (a tuple), as immediate stores. The index is unsigned, so
    numba adds no wrap-around for negative indices and LLVM merges neighbouring byte stores
    into wider ones (a 9-byte key: one 8-byte and one 1-byte store, not nine). The counter
    itself is unsigned: through `at` with a signed one, the write pass took 5.2-5.3 against
    4.6-4.9 µs per intent (`bench.cpu_passes`), the stores no longer merged."""
    if not w:
        return pos + len(lit)
    p = uint64(pos)
    for c in lit:
        out[p] = c
        p += uint64(1)
    return int64(p)


@jit_inline
def put_key(out, pos, w, tb, key, fmt, k):
    """Key k of an object (a `keys` pair): separator, name, colon."""
    pos = sep(out, pos, w, fmt, k)
    if fmt == FMT_JSON:
        return put_lit(out, pos, w, key[1])
    return put_sid(out, pos, w, tb, key[0], fmt)


@jit_inline
def put_uint(out, pos, w, value, fmt):
    if fmt == FMT_MSGPACK:
        if value < 128:
            return put(out, pos, w, value)
        if value <= 0xFF:
            return put_be(out, put(out, pos, w, 0xCC), w, value, 1)
        if value <= 0xFFFF:
            return put_be(out, put(out, pos, w, 0xCD), w, value, 2)
        return put_be(out, put(out, pos, w, 0xCE), w, value, 4)
    if value < 10:  # most counts and indices
        return put(out, pos, w, 48 + value)
    digits = 1
    while value >= 10**digits:
        digits += 1
    for k in range(digits - 1, -1, -1):
        pos = put(out, pos, w, 48 + (value // 10**k) % 10)
    return pos


@jit_inline
def put_bool(out, pos, w, value, fmt):
    if fmt == FMT_MSGPACK:
        return put(out, pos, w, 0xC3 if value else 0xC2)
    if value:
        return put_lit(out, pos, w, TRUE)
    return put_lit(out, pos, w, FALSE)


@jit
def put_milli(out, pos, w, milli, tb, fmt):
    """milli / 1000 as a float: shortest decimal (JSON) or float64 (msgpack)."""
    if fmt == FMT_MSGPACK:
        pos = put(out, pos, w, 0xCB)
        return put_be(out, pos, w, tb[3][R_MILLI_BITS, milli], 8)
    # "0.x", "0.xy" or "0.xyz" without trailing zeros ("1.0", "0.0"): no loops, no division chains
    frac = milli % 1000
    if not w:
        return pos + (3 if frac % 100 == 0 else 4 if frac % 10 == 0 else 5)
    at(out, pos, 49 if milli == 1000 else 48)
    at(out, pos + 1, 46)
    at(out, pos + 2, 48 + frac // 100)
    if frac % 100 == 0:
        return pos + 3
    at(out, pos + 3, 48 + frac // 10 % 10)
    if frac % 10 == 0:
        return pos + 4
    at(out, pos + 4, 48 + frac % 10)
    return pos + 5
