"""Legacy extractors (actors, regex features, keyword scans) and sentence segmentation."""

from __future__ import annotations

from numba import int64, uint64

from ._layout import ACT_S, FEAT, FEAT_NEG, NO, RF_E, RF_S, SEN_E, SEN_S
from ._lexical import find
from ._rows import (
    N_SLOT_WORD,
    R_LENGTHS,
    R_SLOT_KEY,
    R_SLOT_WORD,
    R_STR_DATA,
    R_STR_OFF,
    R_W_FEAT_KEY,
    R_W_FEAT_NAME,
    R_W_FLOW,
    R_W_LEGACY,
    R_W_STR,
)
from ._scan import (
    L_BUILD,
    L_FEATURING,
    L_HAVE,
    L_WITH,
    TERM_BUILD,
    TERM_WITH,
    char_at,
    is_word_cp,
    jit,
    lower,
    match_actor_as,
    match_actor_for,
    match_actor_role,
    match_actor_word,
    match_feature_word,
    match_verb_phrase,
    trim,
    word_at,
    word_before,
)  # fmt: skip
from ._tables import FNV_OFFSET, FNV_PRIME

# Pattern ids, in the order their hits are listed.
ACTOR_AS, ACTOR_ROLE, ACTOR_WORD, ACTOR_FOR = 0, 1, 2, 3
FEATURE_VERB, FEATURE_WITH, FEATURE_WORD = 4, 5, 6


def _letters(word: str) -> int:
    return sum(1 << (ord(c) - 97) for c in set(word))


# First letters each pattern can start with (bit i = chr(97 + i)): a cheap filter at word starts.
FIRST_LETTERS = (
    _letters("a"), _letters("uadcmg"), _letters("as"), _letters("f"),
    _letters("bcsaeih"), _letters("wf"), _letters("tadesb"),
)  # fmt: skip


@jit
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
def may_start(t, p, pattern):
    """Whether the (lowered) letter at p can begin `pattern`."""
    b = lower(t[p])
    return 97 <= b <= 122 and (FIRST_LETTERS[pattern] >> (b - 97)) & 1 == 1


@jit
def char_len(t, p):
    """Byte length of the UTF-8 character starting at p."""
    b = t[p]
    return 1 if b < 0x80 else 2 if b < 0xE0 else 3 if b < 0xF0 else 4


@jit
def same_span(t, a, b, c, d):
    if b - a != d - c:
        return False
    for k in range(b - a):
        if lower(t[a + k]) != lower(t[c + k]):
            return False
    return True


@jit
def collect_hits(t, n, cc, tb, ws, first, last, row_s, min_bytes):
    """Trimmed, deduped hits of patterns first..last, in pattern order, into rows row_s/+1.

    Every pattern starts with a letter after a non-word character (`(?<!\\w)`), so only
    word starts are tried; after a match the scan resumes at its end, as `re.finditer` does.
    """
    count = 0
    for pattern in range(first, last + 1):
        p = 0
        prev_word = False
        while p < n:
            cp, k = char_at(t, p)
            word = is_word_cp(cp, cc)
            if word and not prev_word and may_start(t, p, pattern):
                e, a, b = match_pattern(t, p, n, cc, tb, pattern)
                if e >= 0:
                    count = add_hit(t, ws, row_s, count, a, b, cc, min_bytes)
                    p = e
                    prev_word = word_before(t, e, cc)
                    continue
            prev_word = word
            p += k
    return count


@jit
def add_hit(t, ws, row_s, count, a, b, cc, min_bytes):
    a, b = trim(t, a, b, cc)
    if b - a > min_bytes and not has_span(t, ws, row_s, count, a, b):
        ws[row_s, count], ws[row_s + 1, count] = a, b
        count += 1
    return count


@jit
def has_span(t, ws, row_s, count, a, b):
    for k in range(count):
        if same_span(t, ws[row_s, k], ws[row_s + 1, k], a, b):
            return True
    return False


@jit
def actors(t, n, cc, tb, ws):
    return collect_hits(t, n, cc, tb, ws, ACTOR_AS, ACTOR_FOR, ACT_S, 1)


@jit
def span_lookup(t, a, b, tb):
    """Lexicon word id of the lowered bytes [a, b), or NO."""
    h = FNV_OFFSET
    for p in range(a, b):
        h = (h ^ uint64(lower(t[p]))) * FNV_PRIME
    mask = tb[2][R_LENGTHS, N_SLOT_WORD] - 1
    slot = int64(h & uint64(mask))
    while tb[1][R_SLOT_WORD, slot] != NO:
        w = tb[1][R_SLOT_WORD, slot]
        s, e = tb[2][R_STR_OFF, tb[1][R_W_STR, w]], tb[2][R_STR_OFF, tb[1][R_W_STR, w] + 1]
        if tb[3][R_SLOT_KEY, slot] == h and e - s == b - a:
            same = True
            for k in range(b - a):
                if lower(t[a + k]) != tb[0][R_STR_DATA, s + k]:
                    same = False
                    break
            if same:
                return w
        slot = (slot + 1) & mask
    return NO


@jit
def regex_features(t, n, cc, tb, ws, n_feat):
    """Legacy feature phrases, minus those naming a negated or already listed feature."""
    count = collect_hits(t, n, cc, tb, ws, FEATURE_VERB, FEATURE_WORD, RF_S, 2)
    kept = 0
    for k in range(count):
        a, b = ws[RF_S, k], ws[RF_E, k]
        w = span_lookup(t, a, b, tb)
        drop = False
        if w != NO:
            named = (
                tb[1][R_W_FEAT_KEY, w] if tb[1][R_W_FEAT_KEY, w] != NO else tb[1][R_W_FEAT_NAME, w]
            )
            pos = find(ws, FEAT, n_feat, named) if named != NO else NO
            drop = pos != NO and ws[FEAT_NEG, pos] == 1
            same = (
                find(ws, FEAT, n_feat, tb[1][R_W_FEAT_NAME, w])
                if tb[1][R_W_FEAT_NAME, w] != NO
                else NO
            )
            drop = drop or (same != NO and ws[FEAT_NEG, same] == 0)
        if not drop:
            ws[RF_S, kept], ws[RF_E, kept] = a, b
            kept += 1
    return kept


@jit
def word_run_end(t, p, n, cc):
    while p < n:
        cp, k = char_at(t, p)
        if not is_word_cp(cp, cc):
            break
        p += k
    return p


@jit
def keyword_masks(t, n, cc, tb):
    """(data-flow mask, legacy-tech mask) of keywords standing as whole words (plural ok)."""
    flows = 0
    legacy = 0
    p = 0
    while p < n:
        if not word_at(t, p, n, cc) or word_before(t, p, cc):
            p += char_len(t, p)
            continue
        e = word_run_end(t, p, n, cc)
        for end in (e, hyphen_end(t, e, n, cc)):
            w = span_lookup(t, p, end, tb) if end > 0 else NO
            if w != NO and tb[1][R_W_FLOW, w] != NO:
                flows |= 1 << tb[1][R_W_FLOW, w]
            if w != NO and tb[1][R_W_LEGACY, w] != NO:
                legacy |= 1 << tb[1][R_W_LEGACY, w]
        p = e
    return flows, legacy


@jit
def hyphen_end(t, e, n, cc):
    """End of the word after a hyphen at e ("real-time"), or -1."""
    if e < n and t[e] == 45 and word_at(t, e + 1, n, cc):
        return word_run_end(t, e + 1, n, cc)
    return -1


@jit
def sentences(t, n, cc, ws):
    """Sentence spans: cut after each terminator, trimmed, one-byte pieces dropped."""
    count = 0
    start = 0
    for i in range(n):
        b = t[i]
        if b == 46 or b == 33 or b == 63 or b == 59 or b == 10:
            a, e = trim(t, start, i + 1, cc)
            if e - a > 1:
                ws[SEN_S, count], ws[SEN_E, count] = a, e
                count += 1
            start = i + 1
    a, e = trim(t, start, n, cc)
    if e > a:
        ws[SEN_S, count], ws[SEN_E, count] = a, e
        count += 1
    return count
