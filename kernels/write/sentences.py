"""Per-sentence annotations: each sentence's text and the names its own words carry."""

from __future__ import annotations

from .._jit import jit
from .._layout import (
    M_ESC,
    M_SEN,
    MARK_FEAT_HI,
    MARK_FEAT_LO,
    MARK_TECH_HI,
    MARK_TECH_LO,
    SEN_E,
    SEN_S,
)  # fmt: skip
from ..scan.text import bit_count, pop_lowest_bit
from ..tables.rows import R_FEAT_SORTED, R_FEAT_STR, R_TECH_SORTED, R_TECH_STR
from .keys import K_FFOUND, K_INDEX, K_TEXT, K_TFOUND
from .wire import close_seq, open_seq, put_key, put_sid, put_text, put_uint, sep


@jit
def put_sorted(out, pos, w, lo, hi, order_row, strings_row, tb, fmt):
    """Names whose alphabetical ranks are set, in order (order_row maps rank to id)."""
    pos = open_seq(out, pos, w, fmt, bit_count(lo) + bit_count(hi), False)
    k = 0
    for half in range(2):
        bits = lo if half == 0 else hi
        while bits:
            j, bits = pop_lowest_bit(bits)
            rank = 64 * half + j
            pos = sep(out, pos, w, fmt, k)
            pos = put_sid(out, pos, w, tb, tb[1][strings_row, tb[1][order_row, rank]], fmt)
            k += 1
    return close_seq(out, pos, w, fmt, False)


@jit
def put_sentences(out, pos, w, src, rec, marks, meta, tb, fmt, scr):
    t = src[0]
    pos = open_seq(out, pos, w, fmt, meta[M_SEN], False)
    for i in range(meta[M_SEN]):
        a, b = rec[SEN_S, i], rec[SEN_E, i]
        t0, t1 = marks[MARK_TECH_LO, i], marks[MARK_TECH_HI, i]
        f0, f1 = marks[MARK_FEAT_LO, i], marks[MARK_FEAT_HI, i]
        pos = sep(out, pos, w, fmt, i)
        pos = open_seq(out, pos, w, fmt, 4, True)
        pos = put_key(out, pos, w, tb, K_TEXT, fmt, 0)
        pos = put_text(out, pos, w, t, a, b, False, fmt, scr, meta[M_ESC])
        pos = put_key(out, pos, w, tb, K_INDEX, fmt, 1)
        pos = put_uint(out, pos, w, i, fmt)
        pos = put_key(out, pos, w, tb, K_FFOUND, fmt, 2)
        pos = put_sorted(out, pos, w, f0, f1, R_FEAT_SORTED, R_FEAT_STR, tb, fmt)
        pos = put_key(out, pos, w, tb, K_TFOUND, fmt, 3)
        pos = put_sorted(out, pos, w, t0, t1, R_TECH_SORTED, R_TECH_STR, tb, fmt)
        pos = close_seq(out, pos, w, fmt, True)
    return close_seq(out, pos, w, fmt, False)
