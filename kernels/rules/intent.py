"""Every rule for one intent, in order, over the scan's tables; then the exact result size."""

from __future__ import annotations

from .._jit import jit, jit_merged
from .._layout import (
    ACT_E,
    ACT_S,
    FEAT_NEG,
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
    M_OUT_LEN,
    M_PT,
    M_RF,
    M_SEN,
    M_STARTS,
    M_STORY_TOK,
    M_TECH,
    M_TOK,
    M_WELL_FORMED,
    PARSE_FLAGS,
    PARSE_NO_STORY,
    PARSE_STORY_APART,
    TECH,
    TECH_NEG,
)  # fmt: skip
from ..scan.story_tokens import story_scan
from ..scan.text import bit_count, lower, pop_lowest_bit, skip_spaces
from ..scan.tokens import scan
from ..tables.rows import (
    N_LEGACY_TECH,
    R_CHAR_CLASS,
    R_LEGACY_STR,
    R_LEGACY_TECH,
    R_LENGTHS,
    R_TECH_STR,
)
from ..write.result import result_size
from .classify import (
    architecture,
    assign_priorities,
    complexity_milli,
    dependency_mask,
    feature_flags,
    keyword_phrases,
    project_type,
    tech_summary,
)  # fmt: skip
from .extracts import actors, regex_features
from .matches import find, match_features, match_tech, negate
from .story import story


@jit_merged
def parse_one(src, tb, fmt, rec, marks, scr, meta):
    """Parse intent `src` (see `write.result`) into rec/marks/meta and size its result.

    `fmt` is the wire format, plus `PARSE_NO_STORY` to leave the story empty or
    `PARSE_STORY_APART` to cut the story tokens after the rules, not in the scan."""
    parse_rules(src, tb, fmt, rec, marks, scr, meta)
    story_one(src, tb, fmt, rec, scr, meta)
    size_one(src, tb, fmt, rec, marks, scr, meta)


@jit_merged
def parse_rules(src, tb, fmt, rec, marks, scr, meta):
    """The scan and every G-Rump rule (the GPU runs this, `story_one` and `size_one` as three
    kernels)."""
    t, n = src[0], src[1]
    cc = tb[0][R_CHAR_CLASS]
    with_story = (fmt & PARSE_FLAGS) == 0  # no story, or its tokens cut later
    n_tok, n_starts, n_esc, n_sen, flows, legacy, n_story = scan(
        t, n, cc, tb, rec, marks, scr, with_story
    )
    if with_story:  # else `story_one` counts them (on the GPU, at the same time as this)
        meta[M_STORY_TOK] = n_story
    negate(scr, n_tok, tb)
    n_tech = match_tech(scr, rec, n_tok, tb)
    n_feat = match_features(scr, rec, n_tok, tb)
    edges = dependency_mask(rec, n_feat, tb)
    assign_priorities(rec, n_feat, edges, tb)
    phrases = keyword_phrases(scr, n_tok, tb)
    cats, tflags = tech_summary(rec, n_tech, tb)
    fflags = feature_flags(rec, n_feat, tb)
    meta[M_TOK], meta[M_TECH], meta[M_FEAT], meta[M_SEN] = n_tok, n_tech, n_feat, n_sen
    meta[M_STARTS], meta[M_ESC] = n_starts, n_esc
    meta[M_EDGES] = edges
    meta[M_PT] = project_type(phrases, cats, fflags, tb)
    meta[M_ARCH] = architecture(phrases, cats, tflags, fflags, tb)
    meta[M_COMPLEXITY] = complexity_milli(n_feat, n_tech, bit_count(edges))
    n_act = actors(t, n, cc, tb, rec, scr, n_starts)
    n_rf = regex_features(t, n, cc, tb, rec, scr, n_starts, n_feat)
    meta[M_ACT], meta[M_RF] = n_act, n_rf
    meta[M_FLOWS] = flows
    meta[M_LEGACY] = kept_legacy(rec, n_tech, legacy, tb)
    n_flat = n_rf
    for k in range(n_feat):
        n_flat += 1 - rec[FEAT_NEG, k]
    meta[M_FLAT_FEATURES] = n_flat
    meta[M_WELL_FORMED] = 1 if skip_spaces(t, 0, n, cc) < n else 0
    score_confidence(t, rec, meta, n_act, n_feat, n_tech, n_sen)


@jit_merged
def story_one(src, tb, fmt, rec, scr, meta):
    """The user story of intent `src`, from the scan's story tokens or (`PARSE_STORY_APART`)
    from a pass of its own. It reads and writes nothing the rules do, so the GPU runs it
    beside them."""
    t, n = src[0], src[1]
    if fmt & PARSE_NO_STORY:
        n_story = 0
    elif fmt & PARSE_STORY_APART:
        n_story = story_scan(t, n, tb[0][R_CHAR_CLASS], tb, scr)
    else:
        n_story = meta[M_STORY_TOK]
    story(t, scr, rec, meta, n_story)


@jit_merged
def size_one(src, tb, fmt, rec, marks, scr, meta):
    """The result's size in bytes, once the rules and the story are done."""
    meta[M_OUT_LEN] = result_size(src, rec, marks, meta, tb, fmt & ~PARSE_FLAGS, scr)


@jit
def kept_legacy(rec, n_tech, legacy, tb):
    """Legacy tech hits minus negated tech and minus canonicals already listed."""
    kept = 0
    bits = legacy
    while bits:  # set bits only
        j, bits = pop_lowest_bit(bits)
        if j >= tb[2][R_LENGTHS, N_LEGACY_TECH]:
            break
        t = tb[1][R_LEGACY_TECH, j]
        k = find(rec, TECH, n_tech, t) if t >= 0 else -1
        if k >= 0 and rec[TECH_NEG, k] == 1:
            continue
        if k >= 0 and tb[1][R_TECH_STR, t] == tb[1][R_LEGACY_STR, j]:
            continue  # the keyword is the canonical, already in the list
        kept |= 1 << j
    return kept


@jit
def is_user(t, a, b):
    return (
        b - a == 4 and lower(t[a]) == 117 and lower(t[a + 1]) == 115
        and lower(t[a + 2]) == 101 and lower(t[a + 3]) == 114
    )  # fmt: skip


@jit
def score_confidence(t, rec, meta, n_act, n_feat, n_tech, n_sen):
    named = n_act > 1 or (n_act == 1 and not is_user(t, rec[ACT_S, 0], rec[ACT_E, 0]))
    a = 900 if named else 300
    f = 1000 if n_feat else 100
    tech = 950 if n_tech else 100
    overall = (2 * a + 4 * f + 3 * tech) // 10 + min(50 * n_sen, 100)
    meta[M_CONF_OVERALL] = min(1000, overall)
    meta[M_CONF_ACTORS], meta[M_CONF_FEATURES], meta[M_CONF_TECH] = a, f, tech
