"""The state handlers and main loop of the user-story extractor (`kernels.story` is the spec).

Each handler sees one token in one state, reads at most two tokens ahead, updates the
`Machine` registers and may ask to see the same token again.
"""

from __future__ import annotations

from . import _story_tokens as st
from ._story_machine import (
    CUES,
    FUNCTION,
    NP_OPENERS,
    PLAIN_IN_NP,
    PLAIN_IN_SUBJ,
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
    Machine,
    close_np,
    coordinated_verb,
    demote_wanted,
    emit_verb,
    is_content,
    np_add,
    open_np,
    open_pp,
    subject_verb,
    to_clause,
    true_subject,
)

# ---- states -------------------------------------------------------------------------------


def _clause(m: Machine, i: int) -> None:
    k = m.t.masks[i]
    if k & (st.C_SUBJ | st.C_OBJ):
        m.state, m.adv_start, m.passive = S_VSLOT, -1, False
    elif k & (st.C_AUX | st.C_TO):
        m.state, m.adv_start, m.passive = S_VSLOT, -1, False
        m.redo = bool(k & st.C_AUX)
    elif k & st.C_PREP:
        open_pp(m, i)
    elif k & (st.C_ADV | st.C_CONJ | st.C_NEG) and not k & st.C_DET:
        pass
    elif m.imperative_ok and k & st.C_VB and not m.mask(i + 1) & (st.C_VBZ | st.C_AUX):
        emit_verb(m, i)
    else:
        open_np(m, R_SUBJ)
        m.redo = True
    m.imperative_ok = False


def _subj(m: Machine, i: int) -> None:
    k = m.t.masks[i]
    if m.np_words == 0 and k & (st.C_DET | st.C_NUM):
        m.np_neg = m.np_neg or bool(k & st.C_NO)
        m.np_det = m.np_det or not k & st.C_POSS
    elif m.np_words and k & (st.C_AUX | st.C_NEG):
        close_np(m)
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    elif k & (st.C_SUBJ | st.C_OBJ):
        close_np(m)
        m.state, m.adv_start, m.passive = S_VSLOT, -1, False
    elif m.np_words and subject_verb(m, i):
        close_np(m)
        emit_verb(m, i)
    elif k & (st.C_DET | st.C_GEN):
        if k & st.C_GEN:
            np_add(m, i)
        close_np(m)
        open_np(m, R_SUBJ)
        m.redo = not k & st.C_GEN
    elif k & (st.C_PREP | st.C_TO):
        close_np(m)
        open_pp(m, i)
    elif k & st.C_CONJ:
        close_np(m)
        m.state = S_CLAUSE
    elif k & st.C_ADV and m.np_words:
        close_np(m)
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    else:
        np_add(m, i)


def _vslot(m: Machine, i: int) -> None:
    k, nxt = m.t.masks[i], m.mask(i + 1)
    if k & (st.C_FOCUS | st.C_NEG):
        m.adv_start = -1
    elif k & st.C_ADV and not k & st.C_VB:
        m.adv_start = i if m.adv_start < 0 else m.adv_start
    elif k & st.C_HAVE and not nxt & (st.C_TO | st.C_VBD):
        emit_verb(m, i)
    elif k & st.C_HAVE and nxt & st.C_TO:
        m.next_i = i + 2
    elif k & st.C_BE:
        m.passive, m.adv_start = True, -1
    elif k & st.C_ABLE:
        m.passive = False  # "be able to" is a modal, not a passive
    elif k & (st.C_AUX | st.C_TO):
        pass
    elif k & st.C_WANT and not m.passive:
        if nxt & st.C_TO:
            m.next_i = i + 2
        elif m.joined(i) and (nxt & (st.C_DET | st.C_POSS | st.C_NUM) or is_content(nxt)):
            open_np(m, R_WANT)
            m.want_inf = False
    elif k & st.C_GET and nxt & st.C_VBD:
        pass
    elif m.passive and not k & (st.C_VBD | st.C_VBG):
        m.state, m.redo = S_COMP, True
    elif k & FUNCTION:
        m.state, m.redo = S_CLAUSE, True
    else:
        emit_verb(m, i)


def _after_verb(m: Machine, i: int) -> None:
    k, nxt = m.t.masks[i], m.mask(i + 1)
    if k & st.C_OBJ:
        if m.pend_verb:
            demote_wanted(m)
        m.state, m.last_role = S_AFTER_NP, R_DOBJ
    elif true_subject(k):
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False
    elif k & st.C_ADV:
        m.after_adv = True
    elif k & st.C_CONJ:
        if m.mask(i + 1) & st.C_VB:
            m.state, m.adv_start, m.passive = S_VSLOT, -1, False
    elif m.comma and k & st.C_VB and not k & FUNCTION:
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    elif k & st.C_TO:
        to_clause(m, i)
    elif k & st.C_PREP:
        open_pp(m, i)
    elif k & st.C_VBG and (m.had_particle or nxt & NP_OPENERS):
        m.primary, m.state, m.redo = False, S_VSLOT, True
    elif k & (st.C_DET | st.C_POSS | st.C_NUM) or is_content(k):
        open_np(m, R_ADVL if m.after_adv else R_DOBJ)
        m.redo = True


def _pp(m: Machine, i: int) -> None:
    k, nxt = m.t.masks[i], m.mask(i + 1)
    if k & st.C_VBG and m.prep_gerund and not k & FUNCTION:
        if nxt & st.C_VBZ:
            m.primary = False
            open_np(m, R_SUBJ)
            m.redo = True
        else:
            m.primary, m.state, m.redo, m.adv_start = False, S_VSLOT, True, -1
    elif k & st.C_SUBJ and (not k & st.C_OBJ or m.prep_gerund):
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False
    elif k & st.C_OBJ:
        m.state, m.last_role = S_AFTER_NP, R_PREP
    elif k & (st.C_PREP | st.C_TO):
        m.prep_gerund = bool(k & st.C_GPREP)
    elif k & (st.C_ADV | st.C_CONJ) and not k & (st.C_DET | st.C_NUM):
        if k & st.C_ADV and not k & st.C_FOCUS and m.joined(i) and is_content(nxt):
            open_np(m, R_PREP)  # "for offline use"
            np_add(m, i)
    else:
        open_np(m, R_PREP)
        m.redo = True


def _np(m: Machine, i: int) -> None:
    k = m.t.masks[i]
    if m.np_words == 0 and k & (st.C_DET | st.C_NUM) and not k & st.C_OBJ:
        m.np_neg = m.np_neg or bool(k & st.C_NO)
        m.np_det = m.np_det or not k & st.C_POSS
    elif k & st.C_GEN:
        np_add(m, i)
        role, primary = m.np_role, m.np_primary
        m.np_primary = False
        close_np(m)
        open_np(m, role)
        m.np_primary = primary
    elif k & (st.C_DET | st.C_POSS) and not k & st.C_OBJ:
        close_np(m)
        open_np(m, R_ADVL)
        m.redo = True
    elif true_subject(k):
        close_np(m)
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False
    elif k & st.C_OBJ:
        close_np(m)
        m.state = S_AFTER_NP
    else:
        _np_boundary(m, i)


def _np_boundary(m: Machine, i: int) -> None:
    """Token i inside a phrase that is no determiner or pronoun: extend it or end it."""
    k, nxt = m.t.masks[i], m.mask(i + 1)
    role = m.np_role
    if k & st.C_TO:
        close_np(m)
        if role == R_WANT and nxt & (st.C_VB | st.C_BE):
            m.state, m.want_inf, m.adv_start, m.passive = S_VSLOT, True, -1, False
        else:
            to_clause(m, i)
    elif k & st.C_PREP:
        close_np(m)
        open_pp(m, i)
    elif k & st.C_CONJ:
        close_np(m)
        _coordinate(m, i + 1, m.comma)
    elif k & (st.C_AUX | st.C_NEG):
        close_np(m)
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    elif m.np_words == 0 and k & st.C_ADV and is_content(nxt):
        np_add(m, i)
    elif k & st.C_ADV or (m.np_words and k & st.C_NONENT):
        close_np(m)
        m.state, m.after_adv = S_AFTER_NP, True
        if k & st.C_NONENT:
            open_np(m, R_ADVL)
            np_add(m, i)
    elif (
        m.np_words
        and k & st.C_VBG
        and not m.t.masks[m.np_end] & st.C_ADJ
        and m.joined(i)
        and (nxt & NP_OPENERS or is_content(nxt))
    ):
        close_np(m)
        m.primary, m.state, m.redo, m.adv_start = False, S_VSLOT, True, -1
    elif role == R_WANT and m.np_words and k & st.C_VBD and not (m.joined(i) and is_content(nxt)):
        close_np(m)
        emit_verb(m, i)
    else:
        _np_extend(m, i)


def _np_extend(m: Machine, i: int) -> None:
    """Token i joins the open phrase; past seven words the phrase ends there (the kernels'
    `np_extend`)."""
    np_add(m, i)
    if m.np_words > 6:
        close_np(m)
        open_np(m, R_ADVL)


def _coordinate(m: Machine, j: int, comma: bool) -> None:
    """After a phrase and a conjunction or comma: more verbs, or a phrase of the same role."""
    if coordinated_verb(m, j, comma):
        m.state, m.adv_start, m.passive = S_VSLOT, -1, False
    else:
        open_np(m, R_DOBJ if m.last_role == R_WANT else m.last_role)


def _after_np(m: Machine, i: int) -> None:
    k = m.t.masks[i]
    if k & st.C_CONJ:
        _coordinate(m, i + 1, m.comma)
    elif m.comma and is_content(k):
        _coordinate(m, i, True)
        m.redo = True
    elif k & st.C_ADV and not k & st.C_DET:
        m.after_adv = True
    elif k & (st.C_AUX | st.C_NEG):
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    elif k & st.C_TO:
        to_clause(m, i)
    elif k & st.C_PREP:
        open_pp(m, i)
    elif true_subject(k):
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False
    elif not k & st.C_OBJ:
        open_np(m, R_ADVL)
        m.redo = True


def _comp(m: Machine, i: int) -> None:
    k = m.t.masks[i]
    if k & (st.C_DET | st.C_POSS | st.C_NUM) and not k & st.C_OBJ:
        open_np(m, R_ADVL)
        m.redo = True
    elif k & st.C_TO:
        to_clause(m, i)
    elif k & st.C_PREP:
        open_pp(m, i)
    elif true_subject(k):
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False


_HANDLERS = (_clause, _subj, _vslot, _after_verb, _np, _after_np, _pp, _comp)


# ---- cues and the main loop ---------------------------------------------------------------


def _cue(m: Machine, i: int) -> bool:
    """Benefit connectives and subordinators, seen in every state. True when consumed."""
    t, k = m.t, m.t.masks[i]
    if k & st.C_SO and i > m.start and i + 1 < m.n:
        skip = 1 + bool(t.masks[i + 1] & st.C_THAT)
        _clause_break(m, i + skip, S_CLAUSE)
        m.next_i = i + skip
        return True
    in_order = k & st.C_IN and i + 2 < m.n and t.masks[i + 1] & st.C_ORDER
    if in_order and t.masks[i + 2] & (st.C_TO | st.C_THAT):
        _clause_break(m, i + 3, S_VSLOT if t.masks[i + 2] & st.C_TO else S_CLAUSE)
        m.next_i = i + 3
        return True
    if k & st.C_SUB and m.state != S_VSLOT or (k & st.C_SUB and k & st.C_OBJ):
        close_np(m)
        m.primary = False
        nxt = m.mask(i + 1)
        relative = k & st.C_REL
        if relative and nxt & (st.C_VB | st.C_VBZ | st.C_VBD | st.C_AUX):
            m.state, m.adv_start, m.passive = S_VSLOT, -1, False
        else:
            m.state = S_CLAUSE
        return True
    return False


def _clause_break(m: Machine, benefit_at: int, state: int) -> None:
    close_np(m)
    if m.benefit_start < 0:
        m.benefit_start = benefit_at
    m.primary, m.state, m.adv_start, m.passive = False, state, -1, False


def _gap(m: Machine, i: int) -> None:
    """Apply the punctuation after token i."""
    gap = m.t.gaps[i]
    m.comma = gap == st.G_COMMA
    if gap == st.G_SPACE:
        return
    if m.state in (S_NP, S_SUBJ, S_PP):
        close_np(m)
        m.state = S_AFTER_NP
    if gap >= st.G_CLAUSE:
        if gap == st.G_SENT and m.benefit_start >= 0 and m.benefit_end < 0:
            m.benefit_end = i
        m.primary, m.state, m.imperative_ok = False, S_CLAUSE, False


def _opens(m: Machine, i: int, k: int) -> bool:
    """Open a phrase with plain word i in it where the state's handler would open one and
    look again, only to add the word; True when it did."""
    if m.state == S_PP and not k & PLAIN_IN_NP:
        role = R_PREP
    elif m.state == S_CLAUSE and not k & PLAIN_IN_SUBJ:
        m.imperative_ok, role = False, R_SUBJ
    elif m.state == S_AFTER_VERB and not k & PLAIN_IN_NP and not (m.comma and k & st.C_VB):
        role = R_ADVL if m.after_adv else R_DOBJ
    else:
        return False
    open_np(m, role)
    np_add(m, i)
    return True


def run(m: Machine) -> None:
    """Walk the tokens once, filling `m.actions`, `m.entities` and the benefit range."""
    masks, gaps, n = m.t.masks, m.t.gaps, m.n
    i = m.start
    while i < n:
        m.next_i, k = i + 1, masks[i]
        if not (k & CUES and _cue(m, i)):
            m.redo, tries = True, 0
            while m.redo and tries < 4:
                m.redo, tries = False, tries + 1
                # a plain word inside a phrase only extends it, and on a first look one
                # where a clause, a PP or a verb's complement would open a phrase opens it
                # with the word in it: the handlers' own outcomes, without their tests
                # (most tokens of a text; the kernels' `joins` and `opens`)
                state = m.state
                if state == S_NP and not k & PLAIN_IN_NP:
                    _np_extend(m, i)
                elif state == S_SUBJ and not k & PLAIN_IN_SUBJ:
                    np_add(m, i)
                elif not (tries == 1 and _opens(m, i, k)):
                    _HANDLERS[state](m, i)
        last = m.next_i - 1 if m.next_i - 1 > i else i  # the last token the step took
        if last >= n:
            last = n - 1
        if gaps[last] == st.G_SPACE:
            m.comma = False  # (all `_gap` does for a space)
        else:
            _gap(m, last)
        i = m.next_i if m.next_i > i + 1 else i + 1
    close_np(m)
