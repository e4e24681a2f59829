"""User-story tokens, the twin of `kernels._story_tokens`: cut by `story_step` one character at
a time, inside `scan.tokens.scan`'s one pass or in a pass of their own (`story_scan`, which
a GPU launch of one wave runs in its story kernel), and read back by the story machine.

A token is a run of word characters (alphanumeric or '_'), joined across a '-' or an ASCII
apostrophe with a word character on both sides. Each gets its byte span, its class bits
(the lexicon's story column: `scan.tokens.scan` hands over its word run's probe, else one
probe here; else digits, "'s", "-ly" and a final 's' decide) and the kind of gap after it, in
`scr` rows STK_*: bits 0-31 in STK_LO, bits 32+ and the gap before the token (<< 16) in
STK_HI; the gap after the last token n - 1 is in column n's STK_HI.
"""

from __future__ import annotations

from numba import int64, uint64

from .._jit import jit, jit_inline
from .._layout import NO, STK_E, STK_HI, STK_LO, STK_S
from .._story_tokens import (
    C_ADV,
    C_ENDS_S,
    C_GEN,
    C_NUM,
    G_CLAUSE,
    G_COMMA,
    G_PUNCT,
    G_SENT,
    G_SPACE,
)
from ..tables.build import CHAR_SPACE, FNV_OFFSET
from ..tables.rows import R_W_STORY
from .text import char_at, is_word_cp, lower, step, word_at
from .words import lookup

# A token's lexicon word when the caller has not looked it up: `classify` probes itself
PROBE = -2


@jit_inline
def story_word(t, a, b, cc, tb, w):
    """Class bits of the listed word t[a:b], or 0 when it is not listed; w is its lexicon
    word id when the caller already probed (NO when not found), else PROBE: a probe here,
    of ASCII words only."""
    if w == PROBE:
        h, ascii_only = FNV_OFFSET, True
        for p in range(a, b):
            if t[p] >= 128:
                ascii_only = False
                break
            h = step(h, t[p])
        w = lookup(t, a, b, cc, tb, h, False) if ascii_only else NO
    return tb[2][R_W_STORY, uint64(w)] if w != NO else int64(0)


@jit_inline
def classify(t, a, b, cc, tb, w):
    """Class bits of token t[a:b] (see `_story_tokens.classify`; w as in `story_word`)."""
    # (unsigned indices: no wrap-around test for a negative one)
    last = lower(t[uint64(b - 1)])
    ends_s = C_ENDS_S if last == 115 else 0
    mask = story_word(t, a, b, cc, tb, w)
    if mask:
        return mask | ends_s
    before = t[uint64(b - 2)] if b - a >= 2 else 0
    digits = True  # (a word with a non-ASCII byte is no number)
    for p in range(a, b):
        if t[uint64(p)] < 48 or t[uint64(p)] > 57:
            digits = False
            break
    if digits:
        return int64(C_NUM)
    if b - a > 2 and before == 39 and last == 115:
        return int64(C_GEN | ends_s)
    ly = b - a >= 5 and lower(before) == 108 and last == 121
    if ly and characters(t, a, b) >= 5:  # (five bytes at least, as a character takes one)
        return int64(C_ADV)
    return int64(ends_s)


@jit_inline
def characters(t, a, b):
    """Characters in t[a:b]: its bytes that are no UTF-8 continuation byte."""
    count = 0
    for p in range(a, b):
        count += 1 if (t[p] & 0xC0) != 0x80 else 0
    return count


@jit_inline
def put_token(scr, k, a, b, mask, gap):
    """Token k: its span, its class bits and the gap before it."""
    lo = mask & 0xFFFFFFFF
    u = uint64(k)  # (no wrap-around test for a negative index)
    scr[STK_S, u], scr[STK_E, u] = a, b
    scr[STK_LO, u] = lo - (int64(1) << 32) if lo >= (int64(1) << 31) else lo
    scr[STK_HI, u] = (mask >> 32) | (gap << 16)


@jit_inline
def gap_kind(t, p, k, n, cp, cc, gap):
    """The gap so far, with the non-word character cp (k bytes) at p added."""
    if cp == 10:
        return G_SENT
    if cp == 46 or cp == 33 or cp == 63:
        if p + 1 >= n:
            return G_SENT
        nxt, _ = char_at(t, p + 1)
        if cc[nxt] == CHAR_SPACE:
            return G_SENT
    if cp == 59 or cp == 58:
        return max(gap, G_CLAUSE)
    if cp == 44:
        return max(gap, G_COMMA)
    if cc[cp] != CHAR_SPACE:
        return max(gap, G_PUNCT)
    return gap


@jit_inline
def story_step(t, p, n, b, cp, k, word, space, cc, tb, scr, st, w):
    """Feed the character cp (k bytes, first byte b; a word character, or whitespace) at p
    to the story tokens' running state
    st = (open token's start or -1, gap, tokens); p == n closes the last token. w is the
    lexicon word of a token closing here when the caller has it (see `story_word`), else
    PROBE. Returns the new state.

    A token's hash, characters and ASCII-ness are only needed when it closes, and then only
    for a probe or an '-ly' word: the state holds none of them, so the scan's loop over a
    word's bytes updates no story state at all. The gap is stored with the token after it
    (no store when a token opens, only when it closes)."""
    ts, gap, count = st
    if word:
        return ts if ts >= 0 else p, gap, count
    if ts >= 0 and (b == 45 or b == 39) and word_at(t, p + 1, n, cc):
        return ts, gap, count
    if ts >= 0:
        put_token(scr, count, ts, p, classify(t, ts, p, cc, tb, w), gap)
        ts, gap, count = -1, G_SPACE, count + 1
    if p < n and gap != G_SENT and not (space and cp != 10):  # (a space changes no gap)
        gap = gap_kind(t, p, k, n, cp, cc, gap)
    elif p >= n:  # the gap after the last token (the columns outnumber the tokens)
        scr[STK_HI, uint64(count)] = gap << 16
    return ts, gap, count


@jit_inline
def story_start():
    return -1, G_SPACE, 0


@jit_inline
def ascii_word_end(t, p, n, cc):
    """Where the ASCII word characters from p end."""
    while p < n:
        b = t[p]
        if b >= 128 or not is_word_cp(b, cc):
            break
        p += 1
    return p


@jit
def story_scan(t, n, cc, tb, scr):
    """The story tokens of t[0:n] in a pass of their own; returns their count."""
    st = story_start()
    p = 0
    while p <= n:
        if st[0] >= 0:  # inside a token, ASCII word bytes change nothing
            p = ascii_word_end(t, p, n, cc)
        if p < n:
            cp, k = char_at(t, p)
            b, word, space = int64(t[p]), is_word_cp(cp, cc), cc[cp] == CHAR_SPACE
        else:
            b, cp, k, word, space = int64(32), int64(32), 1, False, True
        st = story_step(t, p, n, b, cp, k, word, space, cc, tb, scr, st, PROBE)
        p += k
    return st[2]


@jit_inline
def tok_mask(scr, n_tok, i):
    """Class bits of story token i, 0 outside the tokens (a negative i is past them too,
    compared unsigned: one test, not two, in the machine's most frequent read)."""
    if uint64(i) >= uint64(n_tok):
        return int64(0)
    return tok_mask_at(scr, i)


@jit_inline
def tok_mask_at(scr, i):
    """Class bits of story token i, which the caller knows is one of the tokens."""
    lo = int64(scr[STK_LO, uint64(i)]) & 0xFFFFFFFF
    return lo | (int64(scr[STK_HI, uint64(i)] & 0xFFFF) << 32)


@jit_inline
def tok_gap(scr, i):
    """The gap after token i, stored with token i + 1 (i a token: never negative, so the
    index is unsigned and numba adds no wrap-around for a negative one to the machine's
    hottest load)."""
    return scr[STK_HI, uint64(i + 1)] >> 16
