"""User-story tokens, the twin of `kernels._story_tokens`: cut by `story_step` one character at
a time, inside `scan.tokens.scan`'s one pass or in a pass of their own (`story_scan`, which
the GPU runs in its second kernel), and read back by the story machine.

A token is a run of word characters (alphanumeric or '_'), joined across a '-' or an ASCII
apostrophe with a word character on both sides. Each gets its byte span, its class bits
(one probe of the story word table, FNV-1a 64 of the A-Z-lowered bytes, confirmed byte for
byte; else digits, "'s", "-ly" and a final 's' decide) and the kind of gap after it, in
`scr` rows STK_*: bits 0-31 in STK_LO, bits 32+ and the gap (<< 16) in STK_HI.
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
from ..tables.rows import (
    N_STORY_SLOT_WORD,
    R_LENGTHS,
    R_STORY_DATA,
    R_STORY_MASK,
    R_STORY_OFF,
    R_STORY_SLOT_KEY,
    R_STORY_SLOT_WORD,
)
from .text import char_at, is_word_cp, lower, step, word_at


@jit_inline
def story_word(t, a, b, tb, h):
    """Class bits of the listed word t[a:b] (lowered, hash h), or 0 when it is not listed."""
    mask = tb[2][R_LENGTHS, N_STORY_SLOT_WORD] - 1
    slot = int64(h & uint64(mask))
    while tb[1][R_STORY_SLOT_WORD, slot] != NO:
        w = tb[1][R_STORY_SLOT_WORD, slot]
        s, e = tb[2][R_STORY_OFF, w], tb[2][R_STORY_OFF, w + 1]
        if tb[3][R_STORY_SLOT_KEY, slot] == h and e - s == b - a:
            same = True
            for k in range(b - a):
                if lower(t[a + k]) != tb[0][R_STORY_DATA, s + k]:
                    same = False
                    break
            if same:
                return tb[2][R_STORY_MASK, w]
        slot = (slot + 1) & mask
    return int64(0)


@jit_inline
def classify(t, a, b, chars, ascii_only, tb, h):
    """Class bits of token t[a:b] of `chars` characters (see `_story_tokens.classify`)."""
    ends_s = C_ENDS_S if lower(t[b - 1]) == 115 else 0
    if ascii_only:
        mask = story_word(t, a, b, tb, h)
        if mask:
            return mask | ends_s
        digits = True
        for p in range(a, b):
            if t[p] < 48 or t[p] > 57:
                digits = False
                break
        if digits:
            return int64(C_NUM)
    if b - a > 2 and t[b - 2] == 39 and lower(t[b - 1]) == 115:
        return int64(C_GEN | ends_s)
    if chars >= 5 and lower(t[b - 2]) == 108 and lower(t[b - 1]) == 121:
        return int64(C_ADV)
    return int64(ends_s)


@jit_inline
def put_token(scr, k, a, b, mask):
    lo = mask & 0xFFFFFFFF
    scr[STK_S, k], scr[STK_E, k] = a, b
    scr[STK_LO, k] = lo - (int64(1) << 32) if lo >= (int64(1) << 31) else lo
    scr[STK_HI, k] = mask >> 32


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
def story_step(t, p, n, b, cp, k, word, cc, tb, scr, st):
    """Feed the character cp (k bytes, first byte b) at p to the story tokens' running state
    st = (open token's start or -1, its hash, its characters, ASCII only, gap, tokens);
    p == n closes the last token. Returns the new state."""
    ts, h, chars, ascii_only, gap, count = st
    if word:
        if ts < 0:
            if count > 0:
                scr[STK_HI, count - 1] |= gap << 16
            ts, h, chars, ascii_only = p, FNV_OFFSET, 0, True
        for j in range(k):
            h = step(h, t[p + j])
        return ts, h, chars + 1, ascii_only and k == 1, gap, count
    if ts >= 0 and (b == 45 or b == 39) and word_at(t, p + 1, n, cc):
        return ts, step(h, b), chars + 1, ascii_only, gap, count
    if ts >= 0:
        put_token(scr, count, ts, p, classify(t, ts, p, chars, ascii_only, tb, h))
        ts, gap, count = -1, G_SPACE, count + 1
    if p < n and gap != G_SENT:
        gap = gap_kind(t, p, k, n, cp, cc, gap)
    elif p >= n and count > 0:
        scr[STK_HI, count - 1] |= gap << 16
    return ts, h, chars, ascii_only, gap, count


@jit_inline
def story_start():
    return -1, FNV_OFFSET, 0, True, G_SPACE, 0


@jit_inline
def ascii_word_hash(t, p, n, cc, h):
    """Step hash h over the ASCII word characters from p; returns where they end, and h."""
    while p < n:
        b = t[p]
        if b >= 128 or not is_word_cp(b, cc):
            break
        h = step(h, b)
        p += 1
    return p, h


@jit
def story_scan(t, n, cc, tb, scr):
    """The story tokens of t[0:n] in a pass of their own; returns their count."""
    st = story_start()
    p = 0
    while p <= n:
        if st[0] >= 0:  # inside a token, ASCII word bytes only extend its hash
            q, h = ascii_word_hash(t, p, n, cc, st[1])
            st = (st[0], h, st[2] + q - p, st[3], st[4], st[5])
            p = q
        if p < n:
            cp, k = char_at(t, p)
            b, word = int64(t[p]), is_word_cp(cp, cc)
        else:
            b, cp, k, word = int64(32), int64(32), 1, False
        st = story_step(t, p, n, b, cp, k, word, cc, tb, scr, st)
        p += k
    return st[5]


@jit_inline
def tok_mask(scr, n_tok, i):
    """Class bits of story token i, 0 outside the tokens."""
    if i < 0 or i >= n_tok:
        return int64(0)
    lo = int64(scr[STK_LO, uint64(i)]) & 0xFFFFFFFF
    return lo | (int64(scr[STK_HI, uint64(i)] & 0xFFFF) << 32)


@jit_inline
def tok_gap(scr, i):
    """The gap after token i (i a token: never negative, so the index is unsigned and
    numba adds no wrap-around for a negative one to the machine's hottest load)."""
    return scr[STK_HI, uint64(i)] >> 16
