"""The state handlers of the batch user-story machine, one per state of `_story_states`.

Each sees token i in one state, reads at most two tokens ahead, updates the registers in `g`
and may ask (G_REDO) to see the same token again.
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
    close_np,
    coordinated_verb,
    demote_wanted,
    emit_verb,
    is_content,
    joined,
    mask,
    np_add,
    open_np,
    open_pp,
    subject_verb,
    to_clause,
    to_vslot,
    true_subject,
)  # fmt: skip


@jit_inline
def clause(scr, rec, g, i):
    k = mask(scr, g, i)
    if k & (C_SUBJ | C_OBJ):
        to_vslot(g)
    elif k & (C_AUX | C_TO):
        to_vslot(g)
        g[G_REDO] = 1 if k & C_AUX else 0
    elif k & C_PREP:
        open_pp(scr, g, i)
    elif k & (C_ADV | C_CONJ | C_NEG) and not k & C_DET:
        pass
    elif g[G_IMP_OK] and k & C_VB and not mask(scr, g, i + 1) & (C_VBZ | C_AUX):
        emit_verb(scr, rec, g, i)
    else:
        open_np(g, R_SUBJ)
        g[G_REDO] = 1
    g[G_IMP_OK] = 0


@jit_inline
def subj(t, scr, rec, g, i):
    k = mask(scr, g, i)
    words = g[G_NP_WORDS]
    if words == 0 and k & (C_DET | C_NUM):
        g[G_NP_NEG] |= 1 if k & C_NO else 0
        g[G_NP_DET] |= 0 if k & C_POSS else 1
    elif words and k & (C_AUX | C_NEG):
        close_np(t, scr, rec, g)
        to_vslot(g)
        g[G_REDO] = 1
    elif k & (C_SUBJ | C_OBJ):
        close_np(t, scr, rec, g)
        to_vslot(g)
    elif words and subject_verb(scr, g, i):
        close_np(t, scr, rec, g)
        emit_verb(scr, rec, g, i)
    elif k & (C_DET | C_GEN):
        if k & C_GEN:
            np_add(g, i)
        close_np(t, scr, rec, g)
        open_np(g, R_SUBJ)
        g[G_REDO] = 0 if k & C_GEN else 1
    elif k & (C_PREP | C_TO):
        close_np(t, scr, rec, g)
        open_pp(scr, g, i)
    elif k & C_CONJ:
        close_np(t, scr, rec, g)
        g[G_STATE] = S_CLAUSE
    elif k & C_ADV and words:
        close_np(t, scr, rec, g)
        to_vslot(g)
        g[G_REDO] = 1
    else:
        np_add(g, i)


@jit_inline
def vslot(scr, rec, g, i):
    k, nxt = mask(scr, g, i), mask(scr, g, i + 1)
    if k & (C_FOCUS | C_NEG):
        g[G_ADV_START] = -1
    elif k & C_ADV and not k & C_VB:
        if g[G_ADV_START] < 0:
            g[G_ADV_START] = i
    elif k & C_HAVE and not nxt & (C_TO | C_VBD):
        emit_verb(scr, rec, g, i)
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
            open_np(g, R_WANT)
            g[G_WANT_INF] = 0
    elif k & C_GET and nxt & C_VBD:
        pass
    elif g[G_PASSIVE] and not k & (C_VBD | C_VBG):
        g[G_STATE], g[G_REDO] = S_COMP, 1
    elif k & FUNCTION:
        g[G_STATE], g[G_REDO] = S_CLAUSE, 1
    else:
        emit_verb(scr, rec, g, i)


@jit_inline
def after_verb(scr, rec, g, i):
    k, nxt = mask(scr, g, i), mask(scr, g, i + 1)
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
        to_clause(scr, g, i)
    elif k & C_PREP:
        open_pp(scr, g, i)
    elif k & C_VBG and (g[G_HAD_PARTICLE] or nxt & NP_OPENERS):
        g[G_PRIMARY], g[G_STATE], g[G_REDO] = 0, S_VSLOT, 1
    elif k & (C_DET | C_POSS | C_NUM) or is_content(k):
        open_np(g, R_ADVL if g[G_AFTER_ADV] else R_DOBJ)
        g[G_REDO] = 1


@jit_inline
def pp(scr, g, i):
    k, nxt = mask(scr, g, i), mask(scr, g, i + 1)
    if k & C_VBG and g[G_PREP_GERUND] and not k & FUNCTION:
        g[G_PRIMARY] = 0
        if nxt & C_VBZ:
            open_np(g, R_SUBJ)
            g[G_REDO] = 1
        else:
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
            open_np(g, R_PREP)  # "for offline use"
            np_add(g, i)
    else:
        open_np(g, R_PREP)
        g[G_REDO] = 1


@jit_inline
def noun_phrase(t, scr, rec, g, i):
    k = mask(scr, g, i)
    if g[G_NP_WORDS] == 0 and k & (C_DET | C_NUM) and not k & C_OBJ:
        g[G_NP_NEG] |= 1 if k & C_NO else 0
        g[G_NP_DET] |= 0 if k & C_POSS else 1
    elif k & C_GEN:
        np_add(g, i)
        role, primary = g[G_NP_ROLE], g[G_NP_PRIMARY]
        g[G_NP_PRIMARY] = 0
        close_np(t, scr, rec, g)
        open_np(g, role)
        g[G_NP_PRIMARY] = primary
    elif k & (C_DET | C_POSS) and not k & C_OBJ:
        close_np(t, scr, rec, g)
        open_np(g, R_ADVL)
        g[G_REDO] = 1
    elif true_subject(k):
        close_np(t, scr, rec, g)
        g[G_PRIMARY] = 0
        to_vslot(g)
    elif k & C_OBJ:
        close_np(t, scr, rec, g)
        g[G_STATE] = S_AFTER_NP
    else:
        np_boundary(t, scr, rec, g, i)


@jit_inline
def np_boundary(t, scr, rec, g, i):
    """Token i inside a phrase that is no determiner or pronoun: extend it or end it."""
    k, nxt = mask(scr, g, i), mask(scr, g, i + 1)
    role, words = g[G_NP_ROLE], g[G_NP_WORDS]
    if k & C_TO:
        close_np(t, scr, rec, g)
        if role == R_WANT and nxt & (C_VB | C_BE):
            to_vslot(g)
            g[G_WANT_INF] = 1
        else:
            to_clause(scr, g, i)
    elif k & C_PREP:
        close_np(t, scr, rec, g)
        open_pp(scr, g, i)
    elif k & C_CONJ:
        close_np(t, scr, rec, g)
        coordinate(scr, g, i + 1, g[G_COMMA])
    elif k & (C_AUX | C_NEG):
        close_np(t, scr, rec, g)
        to_vslot(g)
        g[G_REDO] = 1
    elif words == 0 and k & C_ADV and is_content(nxt):
        np_add(g, i)
    elif k & C_ADV or (words and k & C_NONENT):
        close_np(t, scr, rec, g)
        g[G_STATE], g[G_AFTER_ADV] = S_AFTER_NP, 1
        if k & C_NONENT:
            open_np(g, R_ADVL)
            np_add(g, i)
    elif (
        words
        and k & C_VBG
        and not mask(scr, g, g[G_NP_END]) & C_ADJ
        and joined(scr, g, i)
        and (nxt & NP_OPENERS or is_content(nxt))
    ):
        close_np(t, scr, rec, g)
        g[G_PRIMARY], g[G_STATE], g[G_REDO], g[G_ADV_START] = 0, S_VSLOT, 1, -1
    elif role == R_WANT and words and k & C_VBD and not (joined(scr, g, i) and is_content(nxt)):
        close_np(t, scr, rec, g)
        emit_verb(scr, rec, g, i)
    else:
        np_extend(t, scr, rec, g, i)


@jit_inline
def np_extend(t, scr, rec, g, i):
    """Token i joins the open phrase; past seven words the phrase ends there."""
    np_add(g, i)
    if g[G_NP_WORDS] > 6:
        close_np(t, scr, rec, g)
        open_np(g, R_ADVL)


@jit_inline
def coordinate(scr, g, j, comma):
    """After a phrase and a conjunction or comma: more verbs, or a phrase of the same role."""
    if coordinated_verb(scr, g, j, comma):
        to_vslot(g)
    else:
        last = g[G_LAST_ROLE]
        open_np(g, R_DOBJ if last == R_WANT else last)


@jit_inline
def after_np(scr, g, i):
    k = mask(scr, g, i)
    if k & C_CONJ:
        coordinate(scr, g, i + 1, g[G_COMMA])
    elif g[G_COMMA] and is_content(k):
        coordinate(scr, g, i, 1)
        g[G_REDO] = 1
    elif k & C_ADV and not k & C_DET:
        g[G_AFTER_ADV] = 1
    elif k & (C_AUX | C_NEG):
        to_vslot(g)
        g[G_REDO] = 1
    elif k & C_TO:
        to_clause(scr, g, i)
    elif k & C_PREP:
        open_pp(scr, g, i)
    elif true_subject(k):
        g[G_PRIMARY] = 0
        to_vslot(g)
    elif not k & C_OBJ:
        open_np(g, R_ADVL)
        g[G_REDO] = 1


@jit_inline
def comp(scr, g, i):
    k = mask(scr, g, i)
    if k & (C_DET | C_POSS | C_NUM) and not k & C_OBJ:
        open_np(g, R_ADVL)
        g[G_REDO] = 1
    elif k & C_TO:
        to_clause(scr, g, i)
    elif k & C_PREP:
        open_pp(scr, g, i)
    elif true_subject(k):
        g[G_PRIMARY] = 0
        to_vslot(g)


@jit_inline
def dispatch(t, scr, rec, g, i):
    """Run the handler of the current state on token i."""
    s = g[G_STATE]
    if s == S_CLAUSE:
        clause(scr, rec, g, i)
    elif s == S_SUBJ:
        subj(t, scr, rec, g, i)
    elif s == S_VSLOT:
        vslot(scr, rec, g, i)
    elif s == S_AFTER_VERB:
        after_verb(scr, rec, g, i)
    elif s == S_NP:
        noun_phrase(t, scr, rec, g, i)
    elif s == S_AFTER_NP:
        after_np(scr, g, i)
    elif s == S_PP:
        pp(scr, g, i)
    elif s == S_COMP:
        comp(scr, g, i)
