"""The result encoder: match arrays to JSON or msgpack bytes, in the wire's field order.

`encode_one` runs twice per intent: once with w=False to size the output, once to write it.
`src` is the bundle (text, id, constraints, backend label) of one intent's input bytes.
"""

from __future__ import annotations

from ._layout import (
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
    M_FEAT,
    M_FLAT_FEATURES,
    M_FLOWS,
    M_LEGACY,
    M_PT,
    M_RF,
    M_SEN,
    M_TECH,
    M_WELL_FORMED,
    NO,
    RF_E,
    RF_S,
    SEN_E,
    SEN_S,
    TECH,
    TECH_NEG,
    TECH_WORD,
)  # fmt: skip
from ._lexical import chunk_end, lookup_chunk
from ._rows import (
    N_DEP_FROM,
    N_LEGACY_STR,
    R_ACTION_STR,
    R_ARCH_STR,
    R_CHAR_CLASS,
    R_DEP_FROM,
    R_DEP_REASON_STR,
    R_DEP_TO_STR,
    R_FEAT_SORTED,
    R_FEAT_STR,
    R_FLOW_STR,
    R_LEGACY_STR,
    R_LENGTHS,
    R_PT_STR,
    R_TECH_CAT_STR,
    R_TECH_SORTED,
    R_TECH_STR,
    R_W_FEAT_KEY,
    R_W_STR,
    R_W_TECH,
)
from ._scan import jit, skip_spaces
from ._tables import FIXED
from ._wire import (
    FMT_MSGPACK,
    close_seq,
    open_seq,
    put_bool,
    put_bytes,
    put_key,
    put_milli,
    put_raw,
    put_sid,
    put_uint,
    sep,
)  # fmt: skip
from .lexicon import LEXICON_VERSION

K = {name: FIXED[name] for name in FIXED}
K_V, K_ID, K_ACTORS, K_FEATURES, K_FLOWS, K_HINTS = (
    K["v"],
    K["id"],
    K["actors"],
    K["features"],
    K["data_flows"],
    K["tech_stack_hints"],
)
K_CONSTRAINTS, K_RAW, K_EFEATURES, K_NAME, K_ACTION, K_NEGATED = (
    K["constraints"],
    K["raw"],
    K["enriched_features"],
    K["name"],
    K["action"],
    K["negated"],
)
K_PRIORITY, K_CONFIDENCE, K_ETECH, K_CANONICAL, K_MATCHED, K_CATEGORY = (
    K["priority"],
    K["confidence"],
    K["enriched_tech"],
    K["canonical"],
    K["matched_as"],
    K["category"],
)
K_PTYPE, K_ARCH, K_COMPLEXITY, K_OVERALL, K_ACTORS_C, K_FEATURES_C, K_TECH_STACK = (
    K["project_type"],
    K["architecture_pattern"],
    K["complexity_score"],
    K["overall"],
    K["actors"],
    K["features"],
    K["tech_stack"],
)
K_DEPS, K_FROM, K_TO, K_REASON, K_SENTENCES, K_TEXT, K_INDEX = (
    K["dependency_graph"],
    K["from"],
    K["to"],
    K["reason"],
    K["sentences"],
    K["text"],
    K["index"],
)
K_FFOUND, K_TFOUND, K_VERIFICATION, K_WELL, K_ERRORS, K_WARNINGS = (
    K["features_found"],
    K["tech_found"],
    K["verification"],
    K["well_formed"],
    K["errors"],
    K["warnings"],
)
K_ERR_EMPTY = K["Intent raw text is empty"]
K_WARN_NONE = K["No features extracted; intent may be underspecified"]
K_PARSER, K_BACKEND, K_LEXICON, K_LEXICON_VERSION, K_USER = (
    K["parser"],
    K["backend"],
    K["lexicon"],
    K[LEXICON_VERSION],
    K["user"],
)
N_FIELDS = 18
# src bundle: (text, n, id bytes, constraints bytes, label bytes)


@jit
def bits_in(mask, count):
    total = 0
    for j in range(count):
        total += mask >> j & 1
    return total


@jit
def put_actors(out, pos, w, src, ws, meta, tb, fmt):
    t = src[0]
    n_act = meta[M_ACT]
    pos = open_seq(out, pos, w, fmt, max(n_act, 1), False)
    if n_act == 0:
        pos = put_sid(out, pos, w, tb, K_USER, fmt)
    for k in range(n_act):
        pos = sep(out, pos, w, fmt, k)
        pos = put_bytes(out, pos, w, t, ws[ACT_S, k], ws[ACT_E, k], True, fmt)
    return close_seq(out, pos, w, fmt, False)


@jit
def put_flat_features(out, pos, w, src, ws, meta, tb, fmt):
    pos = open_seq(out, pos, w, fmt, meta[M_FLAT_FEATURES], False)
    k = 0
    for i in range(meta[M_FEAT]):
        if ws[FEAT_NEG, i] == 0:
            pos = sep(out, pos, w, fmt, k)
            pos = put_sid(out, pos, w, tb, tb[1][R_FEAT_STR, ws[FEAT, i]], fmt)
            k += 1
    for i in range(meta[M_RF]):
        pos = sep(out, pos, w, fmt, k)
        pos = put_bytes(out, pos, w, src[0], ws[RF_S, i], ws[RF_E, i], True, fmt)
        k += 1
    return close_seq(out, pos, w, fmt, False)


@jit
def put_mask_list(out, pos, w, mask, row, tb, fmt):
    """The strings whose bits are set, in table order."""
    strings = tb[1][row]
    count = tb[2][R_LENGTHS, 64 + row]  # an I32 row (see _rows)
    pos = open_seq(out, pos, w, fmt, bits_in(mask, count), False)
    k = 0
    for j in range(count):
        if mask >> j & 1:
            pos = sep(out, pos, w, fmt, k)
            pos = put_sid(out, pos, w, tb, strings[j], fmt)
            k += 1
    return close_seq(out, pos, w, fmt, False)


@jit
def put_hints(out, pos, w, ws, meta, tb, fmt):
    kept = 0
    for i in range(meta[M_TECH]):
        kept += 1 - ws[TECH_NEG, i]
    legacy = meta[M_LEGACY]
    pos = open_seq(out, pos, w, fmt, kept + bits_in(legacy, tb[2][R_LENGTHS, N_LEGACY_STR]), False)
    k = 0
    for i in range(meta[M_TECH]):
        if ws[TECH_NEG, i] == 0:
            pos = sep(out, pos, w, fmt, k)
            pos = put_sid(out, pos, w, tb, tb[1][R_TECH_STR, ws[TECH, i]], fmt)
            k += 1
    for j in range(tb[2][R_LENGTHS, N_LEGACY_STR]):
        if legacy >> j & 1:
            pos = sep(out, pos, w, fmt, k)
            pos = put_sid(out, pos, w, tb, tb[1][R_LEGACY_STR, j], fmt)
            k += 1
    return close_seq(out, pos, w, fmt, False)


@jit
def put_enriched_features(out, pos, w, ws, meta, tb, fmt):
    pos = open_seq(out, pos, w, fmt, meta[M_FEAT], False)
    for i in range(meta[M_FEAT]):
        pos = sep(out, pos, w, fmt, i)
        pos = open_seq(out, pos, w, fmt, 5, True)
        pos = put_key(out, pos, w, tb, K_NAME, fmt, 0)
        pos = put_sid(out, pos, w, tb, tb[1][R_FEAT_STR, ws[FEAT, i]], fmt)
        pos = put_key(out, pos, w, tb, K_ACTION, fmt, 1)
        pos = put_sid(out, pos, w, tb, tb[1][R_ACTION_STR, ws[FEAT_ACTION, i]], fmt)
        pos = put_key(out, pos, w, tb, K_NEGATED, fmt, 2)
        pos = put_bool(out, pos, w, ws[FEAT_NEG, i] == 1, fmt)
        pos = put_key(out, pos, w, tb, K_PRIORITY, fmt, 3)
        pos = put_uint(out, pos, w, ws[FEAT_PRIO, i], fmt)
        pos = put_key(out, pos, w, tb, K_CONFIDENCE, fmt, 4)
        pos = put_milli(out, pos, w, ws[FEAT_CONF, i], tb, fmt)
        pos = close_seq(out, pos, w, fmt, True)
    return close_seq(out, pos, w, fmt, False)


@jit
def put_enriched_tech(out, pos, w, ws, meta, tb, fmt):
    pos = open_seq(out, pos, w, fmt, meta[M_TECH], False)
    for i in range(meta[M_TECH]):
        tech = ws[TECH, i]
        pos = sep(out, pos, w, fmt, i)
        pos = open_seq(out, pos, w, fmt, 5, True)
        pos = put_key(out, pos, w, tb, K_CANONICAL, fmt, 0)
        pos = put_sid(out, pos, w, tb, tb[1][R_TECH_STR, tech], fmt)
        pos = put_key(out, pos, w, tb, K_MATCHED, fmt, 1)
        pos = put_sid(out, pos, w, tb, tb[1][R_W_STR, ws[TECH_WORD, i]], fmt)
        pos = put_key(out, pos, w, tb, K_CATEGORY, fmt, 2)
        pos = put_sid(out, pos, w, tb, tb[1][R_TECH_CAT_STR, tech], fmt)
        pos = put_key(out, pos, w, tb, K_NEGATED, fmt, 3)
        pos = put_bool(out, pos, w, ws[TECH_NEG, i] == 1, fmt)
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
def sentence_masks(t, a, b, cc, tb):
    """(tech bits 0-63, 64-127, feature bits 0-63, 64-127) named by a sentence's own words."""
    t0 = t1 = f0 = f1 = 0
    p = skip_spaces(t, a, b, cc)
    while p < b:
        ce = chunk_end(t, p, b, cc)
        word, _ = lookup_chunk(t, p, ce, cc, tb)
        if word != NO and tb[1][R_W_TECH, word] != NO:
            x = tb[1][R_W_TECH, word]
            if x < 64:
                t0 |= 1 << x
            else:
                t1 |= 1 << (x - 64)
        if word != NO and tb[1][R_W_FEAT_KEY, word] != NO:
            x = tb[1][R_W_FEAT_KEY, word]
            if x < 64:
                f0 |= 1 << x
            else:
                f1 |= 1 << (x - 64)
        p = skip_spaces(t, ce, b, cc)
    return t0, t1, f0, f1


@jit
def put_sorted(out, pos, w, lo, hi, order_row, strings_row, tb, fmt):
    """Names whose bits are set, alphabetically (order lists ids alphabetically)."""
    pos = open_seq(out, pos, w, fmt, bits_in(lo, 64) + bits_in(hi, 64), False)
    k = 0
    order = tb[1][order_row]
    strings = tb[1][strings_row]
    for j in range(tb[2][R_LENGTHS, 64 + order_row]):  # an I32 row (see _rows)
        x = order[j]
        if (lo >> x if x < 64 else hi >> (x - 64)) & 1:
            pos = sep(out, pos, w, fmt, k)
            pos = put_sid(out, pos, w, tb, strings[x], fmt)
            k += 1
    return close_seq(out, pos, w, fmt, False)


@jit
def put_sentences(out, pos, w, src, ws, meta, tb, fmt):
    t = src[0]
    cc = tb[0][R_CHAR_CLASS]
    pos = open_seq(out, pos, w, fmt, meta[M_SEN], False)
    for i in range(meta[M_SEN]):
        a, b = ws[SEN_S, i], ws[SEN_E, i]
        t0, t1, f0, f1 = sentence_masks(t, a, b, cc, tb)
        pos = sep(out, pos, w, fmt, i)
        pos = open_seq(out, pos, w, fmt, 4, True)
        pos = put_key(out, pos, w, tb, K_TEXT, fmt, 0)
        pos = put_bytes(out, pos, w, t, a, b, False, fmt)
        pos = put_key(out, pos, w, tb, K_INDEX, fmt, 1)
        pos = put_uint(out, pos, w, i, fmt)
        pos = put_key(out, pos, w, tb, K_FFOUND, fmt, 2)
        pos = put_sorted(out, pos, w, f0, f1, R_FEAT_SORTED, R_FEAT_STR, tb, fmt)
        pos = put_key(out, pos, w, tb, K_TFOUND, fmt, 3)
        pos = put_sorted(out, pos, w, t0, t1, R_TECH_SORTED, R_TECH_STR, tb, fmt)
        pos = close_seq(out, pos, w, fmt, True)
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
        pos = put_sid(out, pos, w, tb, K_ERR_EMPTY, fmt)
    pos = close_seq(out, pos, w, fmt, False)
    pos = put_key(out, pos, w, tb, K_WARNINGS, fmt, 2)
    pos = open_seq(out, pos, w, fmt, 1 if empty else 0, False)
    if empty:
        pos = put_sid(out, pos, w, tb, K_WARN_NONE, fmt)
    pos = close_seq(out, pos, w, fmt, False)
    return close_seq(out, pos, w, fmt, True)


@jit
def put_parser(out, pos, w, label, tb, fmt):
    pos = open_seq(out, pos, w, fmt, 2, True)
    pos = put_key(out, pos, w, tb, K_BACKEND, fmt, 0)
    pos = put_bytes(out, pos, w, label, 0, len(label), False, fmt)
    pos = put_key(out, pos, w, tb, K_LEXICON, fmt, 1)
    pos = put_sid(out, pos, w, tb, K_LEXICON_VERSION, fmt)
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
def encode_one(out, pos, w, src, ws, meta, tb, fmt):
    """Write (or size, when w is False) one result starting at pos; return the end."""
    t, n, ident, label = src[0], src[1], src[2], src[4]
    pos = open_seq(out, pos, w, fmt, N_FIELDS, True)
    pos = put_key(out, pos, w, tb, K_V, fmt, 0)
    pos = put_uint(out, pos, w, 1, fmt)
    pos = put_key(out, pos, w, tb, K_ID, fmt, 1)
    pos = put_bytes(out, pos, w, ident, 0, len(ident), False, fmt)
    pos = put_key(out, pos, w, tb, K_ACTORS, fmt, 2)
    pos = put_actors(out, pos, w, src, ws, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_FEATURES, fmt, 3)
    pos = put_flat_features(out, pos, w, src, ws, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_FLOWS, fmt, 4)
    pos = put_mask_list(out, pos, w, meta[M_FLOWS], R_FLOW_STR, tb, fmt)
    pos = put_key(out, pos, w, tb, K_HINTS, fmt, 5)
    pos = put_hints(out, pos, w, ws, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_CONSTRAINTS, fmt, 6)
    pos = put_constraints(out, pos, w, src, fmt)
    pos = put_key(out, pos, w, tb, K_RAW, fmt, 7)
    pos = put_bytes(out, pos, w, t, 0, n, False, fmt)
    pos = put_key(out, pos, w, tb, K_EFEATURES, fmt, 8)
    pos = put_enriched_features(out, pos, w, ws, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_ETECH, fmt, 9)
    pos = put_enriched_tech(out, pos, w, ws, meta, tb, fmt)
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
    pos = put_sentences(out, pos, w, src, ws, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_VERIFICATION, fmt, 16)
    pos = put_verification(out, pos, w, meta, tb, fmt)
    pos = put_key(out, pos, w, tb, K_PARSER, fmt, 17)
    pos = put_parser(out, pos, w, label, tb, fmt)
    return close_seq(out, pos, w, fmt, True)
