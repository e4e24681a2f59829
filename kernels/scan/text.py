"""Byte-level primitives: UTF-8 decoding, character classes, trimming, literals, bit counts.

Everything here reads one intent's UTF-8 bytes `t` between `0` and `n` and allocates
nothing, so the same functions compile for the CPU (`njit`) and for CUDA device code.
Character classes come from one table indexed by code point (`str.isspace`, `str.isalnum`).
"""

from __future__ import annotations

from numba import int64, uint64

from .._jit import jit, jit_inline, on_gpu
from ..tables.build import CHAR_ALNUM, CHAR_SPACE, FNV_PRIME
from ..tables.rows import R_LIT_DATA, R_LIT_OFF


@jit_inline
def lower(b):
    """ASCII-lowercase one byte (A-Z only)."""
    return b + 32 if 65 <= b <= 90 else b


ONES = uint64(0x0101010101010101)  # a byte of 1 in each of a word's eight


@jit_inline
def load_word(src, p, size, lowered):
    """`size` (8, 4 or 2) bytes from src[p:], little-endian, A-Z lowered if asked. Written
    out byte by byte with no loop, so LLVM folds the bytes into one load before anything
    else sees them (from a loop that is unrolled only after inlining, its vectorizer made
    some twenty instructions of it). The GPU keeps the loop (`on_gpu`)."""
    if on_gpu():
        v = uint64(0)
        for k in range(size):
            v |= uint64(src[p + uint64(k)]) << uint64(8 * k)
        return lowered_word(v) if lowered else v
    v = uint64(src[p]) | (uint64(src[p + uint64(1)]) << uint64(8))
    if size >= 4:
        b2, b3 = uint64(src[p + uint64(2)]), uint64(src[p + uint64(3)])
        v |= (b2 << uint64(16)) | (b3 << uint64(24))
    if size == 8:
        b4, b5 = uint64(src[p + uint64(4)]), uint64(src[p + uint64(5)])
        b6, b7 = uint64(src[p + uint64(6)]), uint64(src[p + uint64(7)])
        v |= (b4 << uint64(32)) | (b5 << uint64(40)) | (b6 << uint64(48)) | (b7 << uint64(56))
    return lowered_word(v) if lowered else v


@jit_inline
def lowered_word(v):
    """The word v with A-Z lowered in all its bytes at once: a byte below 0x80 in A-Z gains
    0x20."""
    low7 = v & (ONES * uint64(0x7F))
    from_a = low7 + ONES * uint64(0x80 - 65)  # high bit: at least 'A'
    past_z = low7 + ONES * uint64(0x80 - 91)  # high bit: past 'Z'
    return v | ((from_a & ~past_z & ~v & (ONES * uint64(0x80))) >> uint64(2))


@jit_inline
def step(h, b):
    """One FNV-1a 64 step over a lowered byte."""
    return (h ^ uint64(lower(b))) * FNV_PRIME


@jit_inline
def char_at(t, p):
    """(code point, byte length) of the UTF-8 character starting at p."""
    b = t[p]
    if b < 0x80:
        return b, 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (t[p + 1] & 0x3F), 2
    if b < 0xF0:
        return ((b & 0x0F) << 12) | ((t[p + 1] & 0x3F) << 6) | (t[p + 2] & 0x3F), 3
    cp = ((b & 0x07) << 18) | ((t[p + 1] & 0x3F) << 12) | ((t[p + 2] & 0x3F) << 6)
    return cp | (t[p + 3] & 0x3F), 4


@jit_inline
def prev_start(t, p):
    """Start of the character that ends just before p."""
    q = p - 1
    while q > 0 and (t[q] & 0xC0) == 0x80:
        q -= 1
    return q


@jit_inline
def space_len(t, p, n, cc):
    """Byte length of the whitespace character at p, or 0."""
    if p >= n:
        return 0
    cp, k = char_at(t, p)
    return k if cc[cp] == CHAR_SPACE else 0


@jit_inline
def is_word_cp(cp, cc):
    return cp == 95 or cc[cp] == CHAR_ALNUM


@jit_inline
def word_at(t, p, n, cc):
    """Whether a word character (alnum or '_') starts at p."""
    if p >= n:
        return False
    cp, _ = char_at(t, p)
    return is_word_cp(cp, cc)


@jit_inline
def word_before(t, p, cc):
    """Whether a word character ends just before p."""
    if p == 0:
        return False
    cp, _ = char_at(t, prev_start(t, p))
    return is_word_cp(cp, cc)


@jit_inline
def skip_spaces(t, p, n, cc):
    """Position after the whitespace run starting at p."""
    k = space_len(t, p, n, cc)
    while k:
        p += k
        k = space_len(t, p, n, cc)
    return p


@jit
def trim(t, a, b, cc):
    """Shrink [a, b) by whitespace at both ends."""
    a = skip_spaces(t, a, b, cc)
    while b > a:
        q = prev_start(t, b)
        if space_len(t, q, b, cc) == 0:
            break
        b = q
    return a, b


@jit_inline
def lit_at(t, p, n, tb, lit):
    """Length of literal `lit` if the lowered text holds it at p, else 0."""
    s, e = tb[2][R_LIT_OFF, lit], tb[2][R_LIT_OFF, lit + 1]
    if p + (e - s) > n:
        return 0
    for k in range(e - s):
        if lower(t[p + k]) != tb[0][R_LIT_DATA, s + k]:
            return 0
    return e - s


@jit
def first_lit_at(t, p, n, tb, first, last):
    """Length of the first of literals first..last (inclusive) found at p, else 0."""
    for lit in range(first, last + 1):
        k = lit_at(t, p, n, tb, lit)
        if k:
            return k
    return 0


@jit
def same_lower(t, a, b, c, d):
    """t[a:b] and t[c:d] are equal once A-Z are lowered."""
    if b - a != d - c:
        return False
    for k in range(b - a):
        if lower(t[a + k]) != lower(t[c + k]):
            return False
    return True


@jit_inline
def bit_count(x):
    """Set bits of a 64-bit int, in a fixed dozen steps (SWAR): `bit_count((x & -x) - 1)`,
    the rank of a mask's lowest bit, would take a step per rank in a loop over set bits."""
    v = uint64(x)
    v = v - ((v >> uint64(1)) & uint64(0x5555555555555555))
    v = (v & uint64(0x3333333333333333)) + ((v >> uint64(2)) & uint64(0x3333333333333333))
    v = (v + (v >> uint64(4))) & uint64(0x0F0F0F0F0F0F0F0F)
    return int64((v * uint64(0x0101010101010101)) >> uint64(56))


@jit_inline
def pop_lowest_bit(x):
    """(index of the lowest set bit of x, x without it), for x != 0."""
    return bit_count((x & -x) - 1), x & (x - 1)
