"""The lexicon probe: one open-addressing table (FNV-1a 64 of the A-Z-lowered bytes, a hit
confirmed against the word's bytes) that holds the rules' words and the user story's
alike, so a word run the scan looks up once gives both its rules roles and its story
classes.
"""

from __future__ import annotations

from numba import int64, uint64

from .._jit import jit, jit_inline, on_gpu
from .._layout import NO
from ..tables.build import CHAR_ALNUM
from ..tables.rows import (
    N_SLOT_WORD,
    N_W_STR,
    R_LENGTHS,
    R_SLOT_KEY,
    R_SLOT_WORD,
    R_STR_DATA,
    R_STR_OFF,
    R_W_STR,
)
from .text import char_at, load_word, lower


@jit_inline
def kept_char(cp, cls):
    """Token characters: alphanumerics, '-' and '_'."""
    return cls == CHAR_ALNUM or cp == 45 or cp == 95


@jit_inline
def find_word(t, a, b, cc, tb, h, limit, kept_only):
    """Word id below `limit` of t[a:b] lowered (only its token characters, when kept_only)
    with hash h, or NO. A word at or past the limit is passed over without reading its
    bytes: with the story off, the scan's probes so skip the story's own words."""
    mask = uint64(tb[2][R_LENGTHS, N_SLOT_WORD] - 1)
    slot = h & mask  # (unsigned indices: no wrap-around test for a negative one)
    while tb[1][R_SLOT_WORD, slot] != NO:
        w = tb[1][R_SLOT_WORD, slot]
        if tb[3][R_SLOT_KEY, slot] == h and w < limit and spells(t, a, b, cc, tb, w, kept_only):
            return int64(w)
        slot = (slot + uint64(1)) & mask
    return NO


@jit_inline
def spells(t, a, b, cc, tb, word, kept_only):
    """Whether t[a:b] lowered (only its token characters, when kept_only) spells `word`."""
    if kept_only:
        return spells_kept(t, a, b, cc, tb, word)
    return spells_bytes(t, a, b, tb, word)


@jit_inline
def spells_bytes(t, a, b, tb, word):
    """Whether t[a:b] lowered spells `word` (the words are ASCII and lower case). Compared a
    word at a time, the last one overlapping the one before, as `write.wire.copy_words`
    copies: a lexicon word is mostly a short one, read in two loads of each side."""
    i = uint64(tb[1][R_W_STR, uint64(word)])
    s = tb[2][R_STR_OFF, i]
    n = b - a
    if tb[2][R_STR_OFF, i + uint64(1)] - s != n:
        return False
    data, p, q = tb[0][R_STR_DATA], uint64(a), uint64(s)
    if on_gpu():  # (see `load_word`)
        for k in range(n):
            if lower(t[p + uint64(k)]) != data[q + uint64(k)]:
                return False
        return True
    if n >= 8:
        last, k = uint64(n - 8), uint64(0)
        while k < last:
            if load_word(t, p + k, 8, True) != load_word(data, q + k, 8, False):
                return False
            k += uint64(8)
        return load_word(t, p + last, 8, True) == load_word(data, q + last, 8, False)
    if n >= 4:
        return same_ends(t, p, data, q, uint64(n - 4), 4)
    if n >= 2:
        return same_ends(t, p, data, q, uint64(n - 2), 2)
    return lower(t[p]) == data[q]


@jit_inline
def same_ends(t, p, data, q, last, size):
    """Whether t[p:] lowered and data[q:] agree in the `size` bytes at 0 and at `last` (for
    a span of last + size bytes, the two words overlap or meet: every byte is compared)."""
    if load_word(t, p, size, True) != load_word(data, q, size, False):
        return False
    return load_word(t, p + last, size, True) == load_word(data, q + last, size, False)


@jit
def spells_kept(t, a, b, cc, tb, word):
    """Whether the token characters of t[a:b], lowered, spell `word`."""
    s = tb[2][R_STR_OFF, tb[1][R_W_STR, word]]
    e = tb[2][R_STR_OFF, tb[1][R_W_STR, word] + 1]
    q = s
    p = a
    while p < b:
        cp, k = char_at(t, p)
        if kept_char(cp, cc[cp]):
            if q >= e or lower(t[p]) != tb[0][R_STR_DATA, q]:
                return False
            q += 1
        p += k
    return q == e


@jit
def lookup(t, a, b, cc, tb, h, kept_only):
    """Lexicon word id of t[a:b] with hash h, or NO (see `find_word`), among all words."""
    return find_word(t, a, b, cc, tb, h, tb[2][R_LENGTHS, N_W_STR], kept_only)
