"""The state handlers of the batch user-story machine, one per state of `_story_states`.

Each sees token i in one state, reads at most two tokens ahead, updates the registers that
closing a phrase leaves alone, may ask (G_REDO) to see the same token again, and returns the
rest as a plan (before, action, argument) for `story.run` to carry out (`story_np.perform`).
"""

from __future__ import annotations

from .._jit import jit_inline
from .._layout import (
    G_ADV_START,
    G_AFTER_ADV,
    G_COMMA,
    G_HAD_PARTICLE,
    G_IMP_OK,
    G_LAST_ROLE,
    G_NEXT,
    G_NP_DET,
    G_NP_END,
    G_NP_NEG,
    G_NP_PRIMARY,
    G_NP_ROLE,
    G_NP_WORDS,
    G_PASSIVE,
    G_PEND_VERB,
    G_PREP_GERUND,
    G_PRIMARY,
    G_REDO,
    G_STATE,
    G_WANT_INF,
)  # fmt: skip
from .._story_machine import (
    FUNCTION,
    NP_OPENERS,
    R_ADVL,
    R_DOBJ,
    R_PREP,
    R_SUBJ,
    R_WANT,
    S_AFTER_NP,
    S_AFTER_VERB,
    S_CLAUSE,
    S_COMP,
    S_NP,
    S_PP,
    S_SUBJ,
    S_VSLOT,
)  # fmt: skip
from .._story_tokens import (
    C_ABLE,
    C_ADJ,
    C_ADV,
    C_AUX,
    C_BE,
    C_CONJ,
    C_DET,
    C_FOCUS,
    C_GEN,
    C_GET,
    C_GPREP,
    C_HAVE,
    C_NEG,
    C_NO,
    C_NONENT,
    C_NUM,
    C_OBJ,
    C_POSS,
    C_PREP,
    C_SUBJ,
    C_TO,
    C_VB,
    C_VBD,
    C_VBG,
    C_VBZ,
    C_WANT,
)  # fmt: skip
from .story_np import (
    DO_COORDINATE,
    DO_EMIT_VERB,
    DO_NOTHING,
    DO_OPEN,
    DO_OPEN_ADD,
    DO_OPEN_PP,
    DO_REOPEN,
    DO_TO_CLAUSE,
    PRE_ADD,
    PRE_CLOSE,
    demote_wanted,
    is_content,
    joined,
    mask,
    mask_at,
    subject_verb,
    to_vslot,
    true_subject,
)  # fmt: skip


@jit_inline
def clause(scr, g, i):
    k = mask_at(scr, i)
    imperative_ok, g[G_IMP_OK] = g[G_IMP_OK], 0
    if k & (C_SUBJ | C_OBJ):
        to_vslot(g)
    elif k & (C_AUX | C_TO):
        to_vslot(g)
        g[G_REDO] = 1 if k & C_AUX else 0
    elif k & C_PREP:
        return 0, DO_OPEN_PP, 0
    elif k & (C_ADV | C_CONJ | C_NEG) and not k & C_DET:
        pass
    elif imperative_ok and k & C_VB and not mask(scr, g, i + 1) & (C_VBZ | C_AUX):
        return 0, DO_EMIT_VERB, 0
    else:
        g[G_REDO] = 1
        return 0, DO_OPEN, R_SUBJ
    return 0, DO_NOTHING, 0


@jit_inline
def subj(scr, g, i):
    k = mask_at(scr, i)
    words = g[G_NP_WORDS]
    if words == 0 and k & (C_DET | C_NUM):
        g[G_NP_NEG] |= 1 if k & C_NO else 0
        g[G_NP_DET] |= 0 if k & C_POSS else 1
    elif words and k & (C_AUX | C_NEG):
        to_vslot(g)
        g[G_REDO] = 1
        return PRE_CLOSE, DO_NOTHING, 0
    elif k & (C_SUBJ | C_OBJ):
        to_vslot(g)
        return PRE_CLOSE, DO_NOTHING, 0
    elif words and subject_verb(scr, g, i):
        return PRE_CLOSE, DO_EMIT_VERB, 0
    elif k & (C_DET | C_GEN):
        g[G_REDO] = 0 if k & C_GEN else 1
        return (PRE_ADD | PRE_CLOSE if k & C_GEN else PRE_CLOSE), DO_OPEN, R_SUBJ
    elif k & (C_PREP | C_TO):
        return PRE_CLOSE, DO_OPEN_PP, 0
    elif k & C_CONJ:
        g[G_STATE] = S_CLAUSE
        return PRE_CLOSE, DO_NOTHING, 0
    elif k & C_ADV and words:
        to_vslot(g)
        g[G_REDO] = 1
        return PRE_CLOSE, DO_NOTHING, 0
    else:
        return PRE_ADD, DO_NOTHING, 0
    return 0, DO_NOTHING, 0


@jit_inline
def vslot(scr, g, i):
    k, nxt = mask_at(scr, i), mask(scr, g, i + 1)
    if k & (C_FOCUS | C_NEG):
        g[G_ADV_START] = -1
    elif k & C_ADV and not k & C_VB:
        if g[G_ADV_START] < 0:
            g[G_ADV_START] = i
    elif k & C_HAVE and not nxt & (C_TO | C_VBD):
        return 0, DO_EMIT_VERB, 0
    elif k & C_HAVE and nxt & C_TO:
        g[G_NEXT] = i + 2
    elif k & C_BE:
        g[G_PASSIVE], g[G_ADV_START] = 1, -1
    elif k & C_ABLE:
        g[G_PASSIVE] = 0  # "be able to" is a modal, not a passive
    elif k & (C_AUX | C_TO):
        pass
    elif k & C_WANT and not g[G_PASSIVE]:
        if nxt & C_TO:
            g[G_NEXT] = i + 2
        elif joined(scr, g, i) and (nxt & (C_DET | C_POSS | C_NUM) or is_content(nxt)):
            g[G_WANT_INF] = 0
            return 0, DO_OPEN, R_WANT
    elif k & C_GET and nxt & C_VBD:
        pass
    elif g[G_PASSIVE] and not k & (C_VBD | C_VBG):
        g[G_STATE], g[G_REDO] = S_COMP, 1
    elif k & FUNCTION:
        g[G_STATE], g[G_REDO] = S_CLAUSE, 1
    else:
        return 0, DO_EMIT_VERB, 0
    return 0, DO_NOTHING, 0


@jit_inline
def after_verb(scr, rec, g, i):
    k, nxt = mask_at(scr, i), mask(scr, g, i + 1)
    if k & C_OBJ:
        if g[G_PEND_VERB]:
            demote_wanted(rec, g)
        g[G_STATE], g[G_LAST_ROLE] = S_AFTER_NP, R_DOBJ
    elif true_subject(k):
        g[G_PRIMARY] = 0
        to_vslot(g)
    elif k & C_ADV:
        g[G_AFTER_ADV] = 1
    elif k & C_CONJ:
        if nxt & C_VB:
            to_vslot(g)
    elif g[G_COMMA] and k & C_VB and not k & FUNCTION:
        to_vslot(g)
        g[G_REDO] = 1
    elif k & C_TO:
        return 0, DO_TO_CLAUSE, 0
    elif k & C_PREP:
        return 0, DO_OPEN_PP, 0
    elif k & C_VBG and (g[G_HAD_PARTICLE] or nxt & NP_OPENERS):
        g[G_PRIMARY], g[G_STATE], g[G_REDO] = 0, S_VSLOT, 1
    elif k & (C_DET | C_POSS | C_NUM) or is_content(k):
        g[G_REDO] = 1
        return 0, DO_OPEN, R_ADVL if g[G_AFTER_ADV] else R_DOBJ
    return 0, DO_NOTHING, 0


@jit_inline
def pp(scr, g, i):
    k, nxt = mask_at(scr, i), mask(scr, g, i + 1)
    if k & C_VBG and g[G_PREP_GERUND] and not k & FUNCTION:
        g[G_PRIMARY] = 0
        if nxt & C_VBZ:
            g[G_REDO] = 1
            return 0, DO_OPEN, R_SUBJ
        g[G_STATE], g[G_REDO], g[G_ADV_START] = S_VSLOT, 1, -1
    elif k & C_SUBJ and (not k & C_OBJ or g[G_PREP_GERUND]):
        g[G_PRIMARY] = 0
        to_vslot(g)
    elif k & C_OBJ:
        g[G_STATE], g[G_LAST_ROLE] = S_AFTER_NP, R_PREP
    elif k & (C_PREP | C_TO):
        g[G_PREP_GERUND] = 1 if k & C_GPREP else 0
    elif k & (C_ADV | C_CONJ) and not k & (C_DET | C_NUM):
        if k & C_ADV and not k & C_FOCUS and joined(scr, g, i) and is_content(nxt):
            return 0, DO_OPEN_ADD, R_PREP  # "for offline use"
    else:
        g[G_REDO] = 1
        return 0, DO_OPEN, R_PREP
    return 0, DO_NOTHING, 0


@jit_inline
def noun_phrase(scr, g, i):
    k = mask_at(scr, i)
    if g[G_NP_WORDS] == 0 and k & (C_DET | C_NUM) and not k & C_OBJ:
        g[G_NP_NEG] |= 1 if k & C_NO else 0
        g[G_NP_DET] |= 0 if k & C_POSS else 1
    elif k & C_GEN:  # the owner is an entity, never primary; the phrase goes on after it
        primary, g[G_NP_PRIMARY] = g[G_NP_PRIMARY], 0
        return PRE_ADD | PRE_CLOSE, DO_REOPEN, primary
    elif k & (C_DET | C_POSS) and not k & C_OBJ:
        g[G_REDO] = 1
        return PRE_CLOSE, DO_OPEN, R_ADVL
    elif true_subject(k):
        g[G_PRIMARY] = 0
        to_vslot(g)
        return PRE_CLOSE, DO_NOTHING, 0
    elif k & C_OBJ:
        g[G_STATE] = S_AFTER_NP
        return PRE_CLOSE, DO_NOTHING, 0
    else:
        return np_boundary(scr, g, i)
    return 0, DO_NOTHING, 0


@jit_inline
def np_boundary(scr, g, i):
    """Token i inside a phrase that is no determiner or pronoun: extend it or end it."""
    k, nxt = mask_at(scr, i), mask(scr, g, i + 1)
    role, words = g[G_NP_ROLE], g[G_NP_WORDS]
    if k & C_TO:
        if role == R_WANT and nxt & (C_VB | C_BE):
            to_vslot(g)
            g[G_WANT_INF] = 1
            return PRE_CLOSE, DO_NOTHING, 0
        return PRE_CLOSE, DO_TO_CLAUSE, 0
    elif k & C_PREP:
        return PRE_CLOSE, DO_OPEN_PP, 0
    elif k & C_CONJ:
        return PRE_CLOSE, DO_COORDINATE, i + 1
    elif k & (C_AUX | C_NEG):
        to_vslot(g)
        g[G_REDO] = 1
        return PRE_CLOSE, DO_NOTHING, 0
    elif words == 0 and k & C_ADV and is_content(nxt):
        return PRE_ADD, DO_NOTHING, 0
    elif k & C_ADV or (words and k & C_NONENT):
        g[G_STATE], g[G_AFTER_ADV] = S_AFTER_NP, 1
        return PRE_CLOSE, DO_OPEN_ADD if k & C_NONENT else DO_NOTHING, R_ADVL
    elif (
        words
        and k & C_VBG
        and not mask_at(scr, g[G_NP_END]) & C_ADJ
        and joined(scr, g, i)
        and (nxt & NP_OPENERS or is_content(nxt))
    ):
        g[G_PRIMARY], g[G_STATE], g[G_REDO], g[G_ADV_START] = 0, S_VSLOT, 1, -1
        return PRE_CLOSE, DO_NOTHING, 0
    elif role == R_WANT and words and k & C_VBD and not (joined(scr, g, i) and is_content(nxt)):
        return PRE_CLOSE, DO_EMIT_VERB, 0
    return np_extend(g)


@jit_inline
def np_extend(g):
    """The plan when token i joins the open phrase: past seven words the phrase ends there."""
    if g[G_NP_WORDS] >= 6:
        return PRE_ADD | PRE_CLOSE, DO_OPEN, R_ADVL
    return PRE_ADD, DO_NOTHING, 0


@jit_inline
def after_np(scr, g, i):
    k = mask_at(scr, i)
    if k & C_CONJ:
        return 0, DO_COORDINATE, i + 1
    elif g[G_COMMA] and is_content(k):  # coordinate's comma: G_COMMA, 1 here
        g[G_REDO] = 1
        return 0, DO_COORDINATE, i
    elif k & C_ADV and not k & C_DET:
        g[G_AFTER_ADV] = 1
    elif k & (C_AUX | C_NEG):
        to_vslot(g)
        g[G_REDO] = 1
    elif k & C_TO:
        return 0, DO_TO_CLAUSE, 0
    elif k & C_PREP:
        return 0, DO_OPEN_PP, 0
    elif true_subject(k):
        g[G_PRIMARY] = 0
        to_vslot(g)
    elif not k & C_OBJ:
        g[G_REDO] = 1
        return 0, DO_OPEN, R_ADVL
    return 0, DO_NOTHING, 0


@jit_inline
def comp(scr, g, i):
    k = mask_at(scr, i)
    if k & (C_DET | C_POSS | C_NUM) and not k & C_OBJ:
        g[G_REDO] = 1
        return 0, DO_OPEN, R_ADVL
    elif k & C_TO:
        return 0, DO_TO_CLAUSE, 0
    elif k & C_PREP:
        return 0, DO_OPEN_PP, 0
    elif true_subject(k):
        g[G_PRIMARY] = 0
        to_vslot(g)
    return 0, DO_NOTHING, 0


@jit_inline
def dispatch(scr, rec, g, i):
    """The plan of the current state's handler for token i."""
    s = g[G_STATE]
    if s == S_CLAUSE:
        return clause(scr, g, i)
    elif s == S_SUBJ:
        return subj(scr, g, i)
    elif s == S_VSLOT:
        return vslot(scr, g, i)
    elif s == S_AFTER_VERB:
        return after_verb(scr, rec, g, i)
    elif s == S_NP:
        return noun_phrase(scr, g, i)
    elif s == S_AFTER_NP:
        return after_np(scr, g, i)
    elif s == S_PP:
        return pp(scr, g, i)
    elif s == S_COMP:
        return comp(scr, g, i)
    return 0, DO_NOTHING, 0
