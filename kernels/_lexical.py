"""Lexical stages: tokens, lexicon look-ups, negation scopes, tech and feature matches."""

from __future__ import annotations

from numba import int64, uint64

from ._layout import (
    ENDS_CLAUSE,
    ENDS_SENTENCE,
    FEAT,
    FEAT_ACTION,
    FEAT_CONF,
    FEAT_NEG,
    LOOKBACK,
    NEGATED,
    NO,
    TECH,
    TECH_NEG,
    TECH_WORD,
    TOK_CE,
    TOK_CS,
    TOK_FLAGS,
    TOK_WORD,
    WINDOW,
)  # fmt: skip
from ._rows import (
    N_PHRASE_KEY,
    N_SLOT_WORD,
    R_LENGTHS,
    R_PAIR_CONTRASTIVE_MASK,
    R_PHRASE_FEAT,
    R_PHRASE_KEY,
    R_SLOT_KEY,
    R_SLOT_WORD,
    R_STR_DATA,
    R_STR_OFF,
    R_W_FEAT_KEY,
    R_W_NEG,
    R_W_PAIR_FIRST,
    R_W_PAIR_SECOND,
    R_W_STR,
    R_W_TECH,
    R_W_VERB,
)
from ._scan import char_at, jit, lower, skip_spaces, space_len
from ._tables import CHAR_ALNUM, FNV_OFFSET, FNV_PRIME


@jit
def is_kept(cp, cc):
    """Token characters: alphanumerics, '-' and '_'."""
    return cp == 45 or cp == 95 or cc[cp] == CHAR_ALNUM


@jit
def chunk_hash(t, cs, ce, cc):
    """(FNV-1a of the kept lowered bytes, kept byte count, all-ASCII flag) of a chunk."""
    h = FNV_OFFSET
    kept = 0
    ascii_only = True
    p = cs
    while p < ce:
        cp, k = char_at(t, p)
        if is_kept(cp, cc):
            if k > 1:
                ascii_only = False
            for j in range(k):
                h = (h ^ uint64(lower(t[p + j]))) * FNV_PRIME
            kept += k
        p += k
    return h, kept, ascii_only


@jit
def same_word(t, cs, ce, cc, tb, word):
    """Whether the chunk's kept lowered bytes spell the lexicon word."""
    s, e = tb[2][R_STR_OFF, tb[1][R_W_STR, word]], tb[2][R_STR_OFF, tb[1][R_W_STR, word] + 1]
    q = s
    p = cs
    while p < ce:
        cp, k = char_at(t, p)
        if is_kept(cp, cc):
            if q >= e or lower(t[p]) != tb[0][R_STR_DATA, q]:
                return False
            q += 1
        p += k
    return q == e


@jit
def lookup_chunk(t, cs, ce, cc, tb):
    """(lexicon word id or NO, whether the chunk yields a token)."""
    h, kept, ascii_only = chunk_hash(t, cs, ce, cc)
    if kept == 0 or not ascii_only:
        return NO, kept > 0
    mask = tb[2][R_LENGTHS, N_SLOT_WORD] - 1
    slot = int64(h & uint64(mask))
    while tb[1][R_SLOT_WORD, slot] != NO:
        if tb[3][R_SLOT_KEY, slot] == h and same_word(t, cs, ce, cc, tb, tb[1][R_SLOT_WORD, slot]):
            return tb[1][R_SLOT_WORD, slot], True
        slot = (slot + 1) & mask
    return NO, True


@jit
def chunk_end(t, p, n, cc):
    """End of the non-whitespace chunk starting at p."""
    while p < n and space_len(t, p, n, cc) == 0:
        _, k = char_at(t, p)
        p += k
    return p


@jit
def chunk_flags(t, cs, ce, gap_end):
    """ENDS_SENTENCE / ENDS_CLAUSE of a chunk, a newline in the gap after it ending it too."""
    flags = 0
    for p in range(cs, gap_end):
        b = t[p]
        if b == 46 or b == 33 or b == 63 or b == 59 or b == 10:
            flags |= ENDS_SENTENCE | ENDS_CLAUSE
        elif b == 44 and p < ce:
            flags |= ENDS_CLAUSE
    return flags


@jit
def tokenize(t, n, cc, tb, ws):
    """Whole-text tokens: chunk spans, lexicon word ids and sentence/clause flags."""
    count = 0
    p = skip_spaces(t, 0, n, cc)
    while p < n:
        ce = chunk_end(t, p, n, cc)
        nxt = skip_spaces(t, ce, n, cc)
        word, is_token = lookup_chunk(t, p, ce, cc, tb)
        if is_token:
            ws[TOK_CS, count], ws[TOK_CE, count], ws[TOK_WORD, count] = p, ce, word
            ws[TOK_FLAGS, count] = chunk_flags(t, p, ce, nxt)
            count += 1
        p = nxt
    return count


@jit
def cue_at(ws, c, tb):
    """(is a negation cue, is contrastive) for token c."""
    w = ws[TOK_WORD, c]
    if w == NO:
        return False, False
    pair = 0
    if c > 0 and ws[TOK_WORD, c - 1] != NO and not ws[TOK_FLAGS, c - 1] & ENDS_SENTENCE:
        pair = tb[1][R_W_PAIR_FIRST, ws[TOK_WORD, c - 1]] & tb[1][R_W_PAIR_SECOND, w]
    contrastive = (pair & tb[1][R_PAIR_CONTRASTIVE_MASK, 0]) != 0
    return tb[1][R_W_NEG, w] == 1 or pair != 0, contrastive


@jit
def negate(ws, n_tok, tb):
    """Mark tokens within 4 after a cue, stopping at the sentence (or clause) end."""
    for c in range(n_tok):
        cue, contrastive = cue_at(ws, c, tb)
        if not cue or ws[TOK_FLAGS, c] & ENDS_SENTENCE:
            continue
        stop = ENDS_CLAUSE if contrastive else ENDS_SENTENCE
        for i in range(c + 1, min(c + 1 + WINDOW, n_tok)):
            ws[TOK_FLAGS, i] |= NEGATED
            if ws[TOK_FLAGS, i] & stop:
                break


@jit
def token_negated(ws, i):
    return 1 if ws[TOK_FLAGS, i] & NEGATED else 0


@jit
def match_tech(ws, n_tok, tb):
    """Lexicon tech, one entry per canonical, judged at its first occurrence."""
    count = 0
    for i in range(n_tok):
        w = ws[TOK_WORD, i]
        if w == NO or tb[1][R_W_TECH, w] == NO or find(ws, TECH, count, tb[1][R_W_TECH, w]) >= 0:
            continue
        ws[TECH, count], ws[TECH_WORD, count] = tb[1][R_W_TECH, w], w
        ws[TECH_NEG, count] = token_negated(ws, i)
        count += 1
    return count


@jit
def find(ws, row, count, value):
    for k in range(count):
        if ws[row, k] == value:
            return k
    return NO


@jit
def first_action(ws, n_tok, tb):
    for i in range(n_tok):
        w = ws[TOK_WORD, i]
        if w != NO and tb[1][R_W_VERB, w] != NO:
            return tb[1][R_W_VERB, w]
    return 0


@jit
def action_at(ws, i, tb, fallback):
    for j in range(i - 1, max(i - 1 - LOOKBACK, -1), -1):
        w = ws[TOK_WORD, j]
        if w != NO and tb[1][R_W_VERB, w] != NO:
            return tb[1][R_W_VERB, w]
    return fallback


@jit
def add_feature(ws, count, feat, action, negated, confidence_milli):
    ws[FEAT, count], ws[FEAT_ACTION, count] = feat, action
    ws[FEAT_NEG, count], ws[FEAT_CONF, count] = negated, confidence_milli
    return count + 1


@jit
def phrase_feature(tb, w1, w2):
    if w1 == NO or w2 == NO:
        return NO
    key = (w1 << 20) | w2
    mask = tb[2][R_LENGTHS, N_PHRASE_KEY] - 1
    slot = (key * 0x9E3779B1) & mask
    while tb[2][R_PHRASE_KEY, slot] != NO:
        if tb[2][R_PHRASE_KEY, slot] == key:
            return tb[1][R_PHRASE_FEAT, slot]
        slot = (slot + 1) & mask
    return NO


@jit
def match_features(ws, n_tok, tb):
    """Single-word features, then two-word phrases; one entry per canonical."""
    count = 0
    fallback = first_action(ws, n_tok, tb)
    for i in range(n_tok):
        w = ws[TOK_WORD, i]
        if (
            w != NO
            and tb[1][R_W_FEAT_KEY, w] != NO
            and find(ws, FEAT, count, tb[1][R_W_FEAT_KEY, w]) < 0
        ):
            action = action_at(ws, i, tb, fallback)
            count = add_feature(
                ws, count, tb[1][R_W_FEAT_KEY, w], action, token_negated(ws, i), 900
            )
    for i in range(n_tok - 1):
        f = phrase_feature(tb, ws[TOK_WORD, i], ws[TOK_WORD, i + 1])
        if f != NO and find(ws, FEAT, count, f) < 0:
            count = add_feature(ws, count, f, fallback, token_negated(ws, i), 850)
    return count
