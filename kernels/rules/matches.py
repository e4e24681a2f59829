"""Lexicon rules over the token table: negation scopes, tech and feature matches."""

from __future__ import annotations

from .._jit import jit, jit_inline
from .._layout import (
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
    TOK_FLAGS,
    TOK_WORD,
    WINDOW,
)  # fmt: skip
from ..tables.rows import (
    N_PHRASE_KEY,
    R_LENGTHS,
    R_PAIR_CONTRASTIVE_MASK,
    R_PHRASE_FEAT,
    R_PHRASE_KEY,
    R_W_FEAT_KEY,
    R_W_NEG,
    R_W_PAIR_FIRST,
    R_W_PAIR_SECOND,
    R_W_TECH,
    R_W_VERB,
)


@jit
def cue_at(scr, c, tb):
    """(is a negation cue, is contrastive) for token c."""
    w = scr[TOK_WORD, c]
    if w == NO:
        return False, False
    pair = 0
    if c > 0 and scr[TOK_WORD, c - 1] != NO and not scr[TOK_FLAGS, c - 1] & ENDS_SENTENCE:
        pair = tb[1][R_W_PAIR_FIRST, scr[TOK_WORD, c - 1]] & tb[1][R_W_PAIR_SECOND, w]
    contrastive = (pair & tb[1][R_PAIR_CONTRASTIVE_MASK, 0]) != 0
    return tb[1][R_W_NEG, w] == 1 or pair != 0, contrastive


@jit
def negate(scr, n_tok, tb):
    """Mark tokens within 4 after a cue, stopping at the sentence (or clause) end."""
    for c in range(n_tok):
        cue, contrastive = cue_at(scr, c, tb)
        if not cue or scr[TOK_FLAGS, c] & ENDS_SENTENCE:
            continue
        stop = ENDS_CLAUSE if contrastive else ENDS_SENTENCE
        for i in range(c + 1, min(c + 1 + WINDOW, n_tok)):
            scr[TOK_FLAGS, i] |= NEGATED
            if scr[TOK_FLAGS, i] & stop:
                break


@jit_inline
def token_negated(scr, i):
    return 1 if scr[TOK_FLAGS, i] & NEGATED else 0


@jit
def match_tech(scr, rec, n_tok, tb):
    """Lexicon tech, one entry per canonical, judged at its first occurrence."""
    count = 0
    for i in range(n_tok):
        w = scr[TOK_WORD, i]
        if w == NO or tb[1][R_W_TECH, w] == NO or find(rec, TECH, count, tb[1][R_W_TECH, w]) >= 0:
            continue
        rec[TECH, count], rec[TECH_WORD, count] = tb[1][R_W_TECH, w], w
        rec[TECH_NEG, count] = token_negated(scr, i)
        count += 1
    return count


@jit_inline
def find(rows, row, count, value):
    for k in range(count):
        if rows[row, k] == value:
            return k
    return NO


@jit
def first_action(scr, n_tok, tb):
    for i in range(n_tok):
        w = scr[TOK_WORD, i]
        if w != NO and tb[1][R_W_VERB, w] != NO:
            return tb[1][R_W_VERB, w]
    return 0


@jit
def action_at(scr, i, tb, fallback):
    for j in range(i - 1, max(i - 1 - LOOKBACK, -1), -1):
        w = scr[TOK_WORD, j]
        if w != NO and tb[1][R_W_VERB, w] != NO:
            return tb[1][R_W_VERB, w]
    return fallback


@jit
def add_feature(rec, count, feat, action, negated, confidence_milli):
    rec[FEAT, count], rec[FEAT_ACTION, count] = feat, action
    rec[FEAT_NEG, count], rec[FEAT_CONF, count] = negated, confidence_milli
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
def match_features(scr, rec, n_tok, tb):
    """Single-word features, then two-word phrases; one entry per canonical."""
    count = 0
    fallback = first_action(scr, n_tok, tb)
    for i in range(n_tok):
        w = scr[TOK_WORD, i]
        if (
            w != NO
            and tb[1][R_W_FEAT_KEY, w] != NO
            and find(rec, FEAT, count, tb[1][R_W_FEAT_KEY, w]) < 0
        ):
            action = action_at(scr, i, tb, fallback)
            count = add_feature(
                rec, count, tb[1][R_W_FEAT_KEY, w], action, token_negated(scr, i), 900
            )
    for i in range(n_tok - 1):
        f = phrase_feature(tb, scr[TOK_WORD, i], scr[TOK_WORD, i + 1])
        if f != NO and find(rec, FEAT, count, f) < 0:
            count = add_feature(rec, count, f, fallback, token_negated(scr, i), 850)
    return count
