"""The result writer: an intent's record to JSON or msgpack bytes, in the wire's field order.

`result_size` walks the record without writing (text spans sized from the scan's escape
list, lexicon strings from the string table) so every result's offset is known before
`write_result` writes each byte once, straight into the batch's output arena.
`src` is the bundle (text, its length, id, constraints, backend label) of one intent.
"""

from __future__ import annotations

from numba import int64

from .._jit import jit, jit_inline, jit_merged
from .._layout import (
    ACT_E,
    ACT_S,
    FEAT,
    FEAT_ACTION,
    FEAT_CONF,
    FEAT_NEG,
    FEAT_PRIO,
    M_ACT,
    M_ARCH,
    M_COMPLEXITY,
    M_CONF_ACTORS,
    M_CONF_FEATURES,
    M_CONF_OVERALL,
    M_CONF_TECH,
    M_EDGES,
    M_ESC,
    M_FEAT,
    M_FLAT_FEATURES,
    M_FLOWS,
    M_LEGACY,
    M_PT,
    M_RF,
    M_TECH,
    M_WELL_FORMED,
    RF_E,
    RF_S,
    TECH,
    TECH_NEG,
    TECH_WORD,
)  # fmt: skip
from ..scan.text import bit_count, pop_lowest_bit
from ..tables.rows import (
    N_DEP_FROM,
    N_LEGACY_STR,
    R_ACTION_STR,
    R_ARCH_STR,
    R_DEP_FROM,
    R_DEP_REASON_STR,
    R_DEP_TO_STR,
    R_FEAT_STR,
    R_FLOW_STR,
    R_LEGACY_STR,
    R_LENGTHS,
    R_PT_STR,
    R_TECH_CAT_STR,
    R_TECH_STR,
    R_W_STR,
)
from .keys import (
    K_ACTION,
    K_ACTORS,
    K_ACTORS_C,
    K_ARCH,
    K_BACKEND,
    K_CANONICAL,
    K_CATEGORY,
    K_COMPLEXITY,
    K_CONFIDENCE,
    K_CONSTRAINTS,
    K_DEPS,
    K_EFEATURES,
    K_ERRORS,
    K_ETECH,
    K_FEATURES,
    K_FEATURES_C,
    K_FLOWS,
    K_FROM,
    K_HINTS,
    K_ID,
    K_LEXICON,
    K_MATCHED,
    K_NAME,
    K_NEGATED,
    K_OVERALL,
    K_PARSER,
    K_PRIORITY,
    K_PTYPE,
    K_RAW,
    K_REASON,
    K_SENTENCES,
    K_STORY,
    K_TECH_STACK,
    K_TO,
    K_V,
    K_VERIFICATION,
    K_WARNINGS,
    K_WELL,
    S_ERR_EMPTY,
    S_LEXICON_VERSION,
    S_USER,
    S_WARN_NONE,
)  # fmt: skip
from .sentences import put_sentences
from .story import put_story
from .wire import (
    FMT_MSGPACK,
    close_seq,
    open_seq,
    put_bool,
    put_bytes,
    put_key,
    put_milli,
    put_raw,
    put_sid,
    put_text,
    put_uint,
    sep,
)  # fmt: skip

N_FIELDS = 19
# src bundle: (text, n, id bytes, constraints bytes, label bytes)


@jit_inline
def bits_in(mask, count):
    """Set bits of mask below bit `count` (< 64)."""
    return bit_count(mask & ((int64(1) << count) - 1))


@jit
def put_actors(out, pos, w, src, rec, meta, tb, fmt, scr):
    t = src[0]
    n_act = meta[M_ACT]
    pos = open_seq(out, pos, w, fmt, max(n_act, 1), False)
    if n_act == 0:
        pos = put_sid(out, pos, w, tb, S_USER, fmt)
    for k in range(n_act):
        pos = sep(out, pos, w, fmt, k)
        pos = put_text(out, pos, w, t, rec[ACT_S, k], rec[ACT_E, k], True, fmt, scr, meta[M_ESC])
    return close_seq(out, pos, w, fmt, False)


@jit
def put_flat_features(out, pos, w, src, rec, meta, tb, fmt, scr):
    pos = open_seq(out, pos, w, fmt, meta[M_FLAT_FEATURES], False)
    k = 0
    for i in range(meta[M_FEAT]):
        if rec[FEAT_NEG, i] == 0:
            pos = sep(out, pos, w, fmt, k)
            pos = put_sid(out, pos, w, tb, tb[1][R_FEAT_STR, rec[FEAT, i]], fmt)
            k += 1
    for i in range(meta[M_RF]):
        pos = sep(out, pos, w, fmt, k)
        pos = put_text(out, pos, w, src[0], rec[RF_S, i], rec[RF_E, i], True, fmt, scr, meta[M_ESC])
        k += 1
    return close_seq(out, pos, w, fmt, False)


@jit
def put_mask_list(out, pos, w, mask, row, tb, fmt):
    """The strings whose bits are set, in table order."""
    strings = tb[1][row]
    count = tb[2][R_LENGTHS, 64 + row]  # an I32 row (see _rows)
    pos = open_seq(out, pos, w, fmt, bits_in(mask, count), False)
    k = 0
    bits = mask
    while bits:  # set bits only, lowest first
        j, bits = pop_lowest_bit(bits)
        if j >= count:
            break
        pos = sep(out, pos, w, fmt, k)
        pos = put_sid(out, pos, w, tb, strings[j], fmt)
        k += 1
    return close_seq(out, pos, w, fmt, False)


@jit
def put_hints(out, pos, w, rec, meta, tb, fmt):
    kept = 0
    for i in range(meta[M_TECH]):
        kept += 1 - rec[TECH_NEG, i]
    legacy = meta[M_LEGACY]
    pos = open_seq(out, pos, w, fmt, kept + bits_in(legacy, tb[2][R_LENGTHS, N_LEGACY_STR]), False)
    k = 0
    for i in range(meta[M_TECH]):
        if rec[TECH_NEG, i] == 0:
            pos = sep(out, pos, w, fmt, k)
            pos = put_sid(out, pos, w, tb, tb[1][R_TECH_STR, rec[TECH, i]], fmt)
            k += 1
    bits = legacy
    while bits:  # set bits only, lowest first
        j, bits = pop_lowest_bit(bits)
        if j >= tb[2][R_LENGTHS, N_LEGACY_STR]:
            break
        pos = sep(out, pos, w, fmt, k)
        pos = put_sid(out, pos, w, tb, tb[1][R_LEGACY_STR, j], fmt)
        k += 1
    return close_seq(out, pos, w, fmt, False)


@jit
def put_enriched_features(out, pos, w, rec, meta, tb, fmt):
    pos = open_seq(out, pos, w, fmt, meta[M_FEAT], False)
    for i in range(meta[M_FEAT]):
        pos = sep(out, pos, w, fmt, i)
        pos = open_seq(out, pos, w, fmt, 5, True)
        pos = put_key(out, pos, w, tb, K_NAME, fmt, 0)
        pos = put_sid(out, pos, w, tb, tb[1][R_FEAT_STR, rec[FEAT, i]], fmt)
        pos = put_key(out, pos, w, tb, K_ACTION, fmt, 1)
        pos = put_sid(out, pos, w, tb, tb[1][R_ACTION_STR, rec[FEAT_ACTION, i]], fmt)
        pos = put_key(out, pos, w, tb, K_NEGATED, fmt, 2)
        pos = put_bool(out, pos, w, rec[FEAT_NEG, i] == 1, fmt)
        pos = put_key(out, pos, w, tb, K_PRIORITY, fmt, 3)
        pos = put_uint(out, pos, w, rec[FEAT_PRIO, i], fmt)
        pos = put_key(out, pos, w, tb, K_CONFIDENCE, fmt, 4)
        pos = put_milli(out, pos, w, rec[FEAT_CONF, i], tb, fmt)
        pos = close_seq(out, pos, w, fmt, True)
    return close_seq(out, pos, w, fmt, False)


@jit
def put_enriched_tech(out, pos, w, rec, meta, tb, fmt):
    pos = open_seq(out, pos, w, fmt, meta[M_TECH], False)
    for i in range(meta[M_TECH]):
        tech = rec[TECH, i]
        pos = sep(out, pos, w, fmt, i)
        pos = open_seq(out, pos, w, fmt, 5, True)
        pos = put_key(out, pos, w, tb, K_CANONICAL, fmt, 0)
        pos = put_sid(out, pos, w, tb, tb[1][R_TECH_STR, tech], fmt)
        pos = put_key(out, pos, w, tb, K_MATCHED, fmt, 1)
        pos = put_sid(out, pos, w, tb, tb[1][R_W_STR, rec[TECH_WORD, i]], fmt)
        pos = put_key(out, pos, w, tb, K_CATEGORY, fmt, 2)
        pos = put_sid(out, pos, w, tb, tb[1][R_TECH_CAT_STR, tech], fmt)
        pos = put_key(out, pos, w, tb, K_NEGATED, fmt, 3)
        pos = put_bool(out, pos, w, rec[TECH_NEG, i] == 1, fmt)
        pos = put_key(out, pos, w, tb, K_CONFIDENCE, fmt, 4)
        pos = put_milli(out, pos, w, 950, tb, fmt)
        pos = close_seq(out, pos, w, fmt, True)
    return close_seq(out, pos, w, fmt, False)


@jit
def put_confidence(out, pos, w, meta, tb, fmt):
    pos = open_seq(out, pos, w, fmt, 4, True)
    pos = put_key(out, pos, w, tb, K_OVERALL, fmt, 0)
    pos = put_milli(out, pos, w, meta[M_CONF_OVERALL], tb, fmt)
    pos = put_key(out, pos, w, tb, K_ACTORS_C, fmt, 1)
    pos = put_milli(out, pos, w, meta[M_CONF_ACTORS], tb, fmt)
    pos = put_key(out, pos, w, tb, K_FEATURES_C, fmt, 2)
    pos = put_milli(out, pos, w, meta[M_CONF_FEATURES], tb, fmt)
    pos = put_key(out, pos, w, tb, K_TECH_STACK, fmt, 3)
    pos = put_milli(out, pos, w, meta[M_CONF_TECH], tb, fmt)
    return close_seq(out, pos, w, fmt, True)


@jit
def put_dependencies(out, pos, w, meta, tb, fmt):
    edges = meta[M_EDGES]
    pos = open_seq(out, pos, w, fmt, bits_in(edges, tb[2][R_LENGTHS, N_DEP_FROM]), False)
    k = 0
    for r in range(tb[2][R_LENGTHS, N_DEP_FROM]):
        if edges >> r & 1:
            pos = sep(out, pos, w, fmt, k)
            pos = open_seq(out, pos, w, fmt, 3, True)
            pos = put_key(out, pos, w, tb, K_FROM, fmt, 0)
            pos = put_sid(out, pos, w, tb, tb[1][R_FEAT_STR, tb[1][R_DEP_FROM, r]], fmt)
            pos = put_key(out, pos, w, tb, K_TO, fmt, 1)
            pos = put_sid(out, pos, w, tb, tb[1][R_DEP_TO_STR, r], fmt)
            pos = put_key(out, pos, w, tb, K_REASON, fmt, 2)
            pos = put_sid(out, pos, w, tb, tb[1][R_DEP_REASON_STR, r], fmt)
            pos = close_seq(out, pos, w, fmt, True)
            k += 1
    return close_seq(out, pos, w, fmt, False)


@jit
def put_verification(out, pos, w, meta, tb, fmt):
    well = meta[M_WELL_FORMED] == 1
    empty = meta[M_FEAT] == 0 and meta[M_FLAT_FEATURES] == 0
    pos = open_seq(out, pos, w, fmt, 3, True)
    pos = put_key(out, pos, w, tb, K_WELL, fmt, 0)
    pos = put_bool(out, pos, w, well, fmt)
    pos = put_key(out, pos, w, tb, K_ERRORS, fmt, 1)
    pos = open_seq(out, pos, w, fmt, 0 if well else 1, False)
    if not well:
        pos = put_sid(out, pos, w, tb, S_ERR_EMPTY, fmt)
    pos = close_seq(out, pos, w, fmt, False)
    pos = put_key(out, pos, w, tb, K_WARNINGS, fmt, 2)
    pos = open_seq(out, pos, w, fmt, 1 if empty else 0, False)
    if empty:
        pos = put_sid(out, pos, w, tb, S_WARN_NONE, fmt)
    pos = close_seq(out, pos, w, fmt, False)
    return close_seq(out, pos, w, fmt, True)


@jit
def put_parser(out, pos, w, label, tb, fmt):
    pos = open_seq(out, pos, w, fmt, 2, True)
    pos = put_key(out, pos, w, tb, K_BACKEND, fmt, 0)
    pos = put_bytes(out, pos, w, label, 0, len(label), False, fmt)
    pos = put_key(out, pos, w, tb, K_LEXICON, fmt, 1)
    pos = put_sid(out, pos, w, tb, S_LEXICON_VERSION, fmt)
    return close_seq(out, pos, w, fmt, True)


@jit
def put_constraints(out, pos, w, src, fmt):
    con = src[3]
    if len(con) > 0:
        return put_raw(out, pos, w, con, 0, len(con))
    if fmt == FMT_MSGPACK:
        return open_seq(out, pos, w, fmt, 0, True)
    return close_seq(out, open_seq(out, pos, w, fmt, 0, True), w, fmt, True)


@jit
def encode_one(out, pos, w, src, rec, marks, meta, tb, fmt, scr):
    """Write (or size, when w is False) one result starting at pos; return the end."""
    t, n, ident, label = src[0], src[1], src[2], src[4]
    pos = open_seq(out, pos, w, fmt, N_FIELDS, True)
    pos = put_key(out, pos, w, tb, K_V, fmt, 0)
    pos = put_uint(out, pos, w, 1, fmt)
    pos = put_key(out, pos, w, tb, K_ID, fmt, 1)
    pos = put_bytes(out, pos, w, ident, 0, len(ident), False, fmt)
    pos = put_key(out, pos, w, tb, K_ACTORS, fmt, 2)
    pos = put_actors(out, pos, w, src, rec, meta, tb, fmt, scr)
    pos = put_key(out, pos, w, tb, K_FEATURES, fmt, 3)
    pos = put_flat_features(out, pos, w, src, rec, meta, tb, fmt, scr)
    pos = put_key(out, pos, w, tb, K_FLOWS, fmt, 4)
    pos = put_mask_list(out, pos, w, meta[M_FLOWS], R_FLOW_STR, tb, fmt)
    pos = put_key(out, pos, w, tb, K_HINTS, fmt, 5)
    pos = put_hints(out, pos, w, rec, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_CONSTRAINTS, fmt, 6)
    pos = put_constraints(out, pos, w, src, fmt)
    pos = put_key(out, pos, w, tb, K_RAW, fmt, 7)
    pos = put_text(out, pos, w, t, 0, n, False, fmt, scr, meta[M_ESC])
    pos = put_key(out, pos, w, tb, K_EFEATURES, fmt, 8)
    pos = put_enriched_features(out, pos, w, rec, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_ETECH, fmt, 9)
    pos = put_enriched_tech(out, pos, w, rec, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_PTYPE, fmt, 10)
    pos = put_sid(out, pos, w, tb, tb[1][R_PT_STR, meta[M_PT]], fmt)
    pos = put_key(out, pos, w, tb, K_ARCH, fmt, 11)
    pos = put_sid(out, pos, w, tb, tb[1][R_ARCH_STR, meta[M_ARCH]], fmt)
    pos = put_key(out, pos, w, tb, K_COMPLEXITY, fmt, 12)
    pos = put_milli(out, pos, w, meta[M_COMPLEXITY], tb, fmt)
    pos = put_key(out, pos, w, tb, K_CONFIDENCE, fmt, 13)
    pos = put_confidence(out, pos, w, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_DEPS, fmt, 14)
    pos = put_dependencies(out, pos, w, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_SENTENCES, fmt, 15)
    pos = put_sentences(out, pos, w, src, rec, marks, meta, tb, fmt, scr)
    pos = put_key(out, pos, w, tb, K_VERIFICATION, fmt, 16)
    pos = put_verification(out, pos, w, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_STORY, fmt, 17)
    pos = put_story(out, pos, w, src, rec, meta, tb, fmt, scr)
    pos = put_key(out, pos, w, tb, K_PARSER, fmt, 18)
    pos = put_parser(out, pos, w, label, tb, fmt)
    return close_seq(out, pos, w, fmt, True)


@jit_merged
def result_size(src, rec, marks, meta, tb, fmt, scr):
    """Exact encoded size of an intent's result, without writing a byte."""
    return encode_one(src[4][:0], 0, False, src, rec, marks, meta, tb, fmt, scr)


@jit_merged
def write_result(out, pos, src, rec, marks, meta, tb, fmt):
    """Write an intent's result at out[pos:]; returns its end."""
    return encode_one(out, pos, True, src, rec, marks, meta, tb, fmt, rec)
