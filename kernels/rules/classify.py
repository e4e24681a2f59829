"""Rules derived from the matches: dependencies, priorities, project type, architecture."""

from __future__ import annotations

from .._jit import jit, jit_inline
from .._layout import (
    ARCH_EVENT,
    ARCH_JAMSTACK,
    ARCH_MICROSERVICES,
    ARCH_MONOLITH,
    ARCH_SERVERLESS,
    FEAT,
    FEAT_NEG,
    FEAT_PRIO,
    NO,
    PT_API,
    PT_UNKNOWN,
    PT_WEB_APP,
    TECH,
    TECH_NEG,
    TOK_WORD,
)  # fmt: skip
from ..tables.build import (
    CAT_BACKEND,
    CAT_DATABASE,
    CAT_FRONTEND,
    FF_EVENT,
    FF_UI,
    FF_WEB,
    TF_BROKER,
    TF_K8S,
    TF_LAMBDA,
    TF_STATIC_HOST,
)  # fmt: skip
from ..tables.rows import (
    N_ARCH_KW_MASK,
    N_DEP_FROM,
    N_PT_KW_MASK,
    R_ARCH_KW_MASK,
    R_ARCH_KW_TYPE,
    R_DEP_FROM,
    R_DEP_TO_FEAT,
    R_FEAT_FLAGS,
    R_LENGTHS,
    R_PT_KW_MASK,
    R_PT_KW_TYPE,
    R_TECH_CAT,
    R_TECH_FLAGS,
    R_W_KW_FIRST,
    R_W_KW_SECOND,
    R_W_KW_SINGLE,
)
from .matches import find


@jit_inline
def kept_feature(rec, n_feat, f):
    """Whether feature f is listed and not negated."""
    k = find(rec, FEAT, n_feat, f)
    return k != NO and rec[FEAT_NEG, k] == 0


@jit
def dependency_mask(rec, n_feat, tb):
    """Bit r set when rule r (in (from, to) order) fires."""
    mask = 0
    for r in range(tb[2][R_LENGTHS, N_DEP_FROM]):
        if kept_feature(rec, n_feat, tb[1][R_DEP_FROM, r]):
            mask |= 1 << r
    return mask


@jit
def assign_priorities(rec, n_feat, edges, tb):
    """1..5 by position, lifted 0.2 per incoming edge (at most 0.4); integer arithmetic."""
    for i in range(n_feat):
        incoming = 0
        for r in range(tb[2][R_LENGTHS, N_DEP_FROM]):
            if edges >> r & 1 and tb[1][R_DEP_TO_FEAT, r] == rec[FEAT, i]:
                incoming += 1
        raw = 10 * (n_feat - i) + 2 * min(incoming, 2) * n_feat
        level = 5
        for step in range(4):
            if raw >= (9 - 2 * step) * n_feat:
                level = step + 1
                break
        rec[FEAT_PRIO, i] = level


@jit
def keyword_phrases(scr, n_tok, tb):
    """Bit k set when classifier phrase k stands in the words."""
    mask = 0
    for i in range(n_tok):
        w = scr[TOK_WORD, i]
        if w == NO:
            continue
        mask |= tb[2][R_W_KW_SINGLE, w]
        if i > 0 and scr[TOK_WORD, i - 1] != NO:
            mask |= tb[2][R_W_KW_FIRST, scr[TOK_WORD, i - 1]] & tb[2][R_W_KW_SECOND, w]
    return mask


@jit
def tech_summary(rec, n_tech, tb):
    """(categories bitmask by CAT_* bit, tech flags) of non-negated tech."""
    cats = 0
    flags = 0
    for k in range(n_tech):
        if rec[TECH_NEG, k] == 0:
            cats |= 1 << tb[1][R_TECH_CAT, rec[TECH, k]]
            flags |= tb[1][R_TECH_FLAGS, rec[TECH, k]]
    return cats, flags


@jit
def feature_flags(rec, n_feat, tb):
    flags = 0
    for k in range(n_feat):
        if rec[FEAT_NEG, k] == 0:
            flags |= tb[1][R_FEAT_FLAGS, rec[FEAT, k]]
    return flags


@jit
def project_type(phrases, cats, fflags, tb):
    for g in range(tb[2][R_LENGTHS, N_PT_KW_MASK]):
        if phrases & tb[2][R_PT_KW_MASK, g]:
            return tb[1][R_PT_KW_TYPE, g]
    fe = cats >> CAT_FRONTEND & 1
    be = cats >> CAT_BACKEND & 1
    db = cats >> CAT_DATABASE & 1
    if be and db and not fe and not fflags & FF_UI:
        return PT_API
    if fe or fflags & FF_WEB:
        return PT_WEB_APP
    return PT_API if be or db else PT_UNKNOWN


@jit
def architecture(phrases, cats, tflags, fflags, tb):
    for g in range(tb[2][R_LENGTHS, N_ARCH_KW_MASK]):
        if phrases & tb[2][R_ARCH_KW_MASK, g]:
            return tb[1][R_ARCH_KW_TYPE, g]
    if tflags & TF_LAMBDA:
        return ARCH_SERVERLESS
    if tflags & TF_BROKER or fflags & FF_EVENT:
        return ARCH_EVENT
    if tflags & TF_K8S:
        return ARCH_MICROSERVICES
    if tflags & TF_STATIC_HOST and cats >> CAT_FRONTEND & 1 and not cats >> CAT_BACKEND & 1:
        return ARCH_JAMSTACK
    return ARCH_MONOLITH


@jit
def complexity_milli(n_feat, n_tech, n_edges):
    base = 100 if n_feat + n_tech else 0
    raw = base + min(80 * n_feat, 400) + min(50 * n_tech, 300) + min(40 * n_edges, 200)
    return min(1000, raw)
