"""Actors and feature phrases: the legacy patterns tried where the scan found their words.

Hits are trimmed, deduplicated (ASCII case-insensitively, as the lowered text compares)
and kept in pattern order, as the reference lists them.
"""

from __future__ import annotations

from .._jit import jit, jit_merged
from .._layout import ACT_S, FEAT, FEAT_NEG, NO, RF_E, RF_S, WORD_PATTERNS, WORD_START
from ..scan.text import same_lower, step, trim
from ..scan.words import lookup
from ..tables.build import FNV_OFFSET
from ..tables.rows import R_W_FEAT_KEY, R_W_FEAT_NAME
from .matches import find
from .patterns import (
    L_BUILD,
    L_FEATURING,
    L_HAVE,
    L_WITH,
    TERM_BUILD,
    TERM_WITH,
    match_actor_as,
    match_actor_for,
    match_actor_role,
    match_actor_word,
    match_feature_word,
    match_verb_phrase,
)  # fmt: skip

# Pattern ids, in the order their hits are listed (`tables.build.PATTERN_WORDS` order).
ACTOR_AS, ACTOR_ROLE, ACTOR_WORD, ACTOR_FOR = 0, 1, 2, 3
FEATURE_VERB, FEATURE_WITH, FEATURE_WORD = 4, 5, 6


@jit_merged
def match_pattern(t, p, n, cc, tb, pattern):
    """(match end or -1, group start, group end) of one legacy pattern at word start p."""
    if pattern == ACTOR_AS:
        return match_actor_as(t, p, n, cc, tb)
    if pattern == ACTOR_ROLE:
        return match_actor_role(t, p, n, cc, tb)
    if pattern == ACTOR_WORD:
        return match_actor_word(t, p, n, cc, tb)
    if pattern == ACTOR_FOR:
        return match_actor_for(t, p, n, cc, tb)
    if pattern == FEATURE_VERB:
        return match_verb_phrase(t, p, n, cc, tb, L_BUILD, L_HAVE, TERM_BUILD)
    if pattern == FEATURE_WITH:
        return match_verb_phrase(t, p, n, cc, tb, L_WITH, L_FEATURING, TERM_WITH)
    return match_feature_word(t, p, n, cc, tb)


@jit
def collect_hits(t, n, cc, tb, rec, scr, n_starts, first, last, row_s, min_bytes):
    """Hits of patterns first..last into rows row_s/+1; returns their count.

    A pattern is tried only at a word start whose word can begin it (every pattern starts
    with a literal word); after a match the next try starts at its end, as `re.finditer`
    resumes.
    """
    count = 0
    for pattern in range(first, last + 1):
        resume = 0
        for k in range(n_starts):
            p = scr[WORD_START, k]
            if p < resume or not (scr[WORD_PATTERNS, k] >> pattern) & 1:
                continue
            e, a, b = match_pattern(t, p, n, cc, tb, pattern)
            if e >= 0:
                count = add_hit(t, rec, row_s, count, a, b, cc, min_bytes)
                resume = e
    return count


@jit
def add_hit(t, rec, row_s, count, a, b, cc, min_bytes):
    a, b = trim(t, a, b, cc)
    if b - a > min_bytes and not has_span(t, rec, row_s, count, a, b):
        rec[row_s, count], rec[row_s + 1, count] = a, b
        count += 1
    return count


@jit
def has_span(t, rec, row_s, count, a, b):
    for k in range(count):
        if same_lower(t, rec[row_s, k], rec[row_s + 1, k], a, b):
            return True
    return False


@jit_merged
def actors(t, n, cc, tb, rec, scr, n_starts):
    return collect_hits(t, n, cc, tb, rec, scr, n_starts, ACTOR_AS, ACTOR_FOR, ACT_S, 1)


@jit
def span_word(t, a, b, cc, tb):
    """Lexicon word id of the lowered bytes [a, b), or NO."""
    h = FNV_OFFSET
    for p in range(a, b):
        h = step(h, t[p])
    return lookup(t, a, b, cc, tb, h, False)


@jit
def regex_features(t, n, cc, tb, rec, scr, n_starts, n_feat):
    """Legacy feature phrases, minus those naming a negated or already listed feature."""
    count = collect_hits(t, n, cc, tb, rec, scr, n_starts, FEATURE_VERB, FEATURE_WORD, RF_S, 2)
    kept = 0
    for k in range(count):
        a, b = rec[RF_S, k], rec[RF_E, k]
        w = span_word(t, a, b, cc, tb)
        drop = False
        if w != NO:
            key, name = tb[1][R_W_FEAT_KEY, w], tb[1][R_W_FEAT_NAME, w]
            named = key if key != NO else name
            pos = find(rec, FEAT, n_feat, named) if named != NO else NO
            drop = pos != NO and rec[FEAT_NEG, pos] == 1
            same = find(rec, FEAT, n_feat, name) if name != NO else NO
            drop = drop or (same != NO and rec[FEAT_NEG, same] == 0)
        if not drop:
            rec[RF_S, kept], rec[RF_E, kept] = a, b
            kept += 1
    return kept
