"""Registers and phrase/verb helpers of the user-story state machine (`kernels.story`).

All state lives in one `Machine`: integer registers and two output lists of [start, end,
primary] spans. The state handlers are in `kernels._story_states`.
"""

from __future__ import annotations

from . import _story_tokens as st

S_CLAUSE, S_SUBJ, S_VSLOT, S_AFTER_VERB, S_NP, S_AFTER_NP, S_PP, S_COMP = range(8)
# Noun-phrase roles: direct object, prepositional object, subject, the wanted thing after a
# want-cue, and an adverbial phrase (after an adverb or a finished phrase).
R_DOBJ, R_PREP, R_SUBJ, R_WANT, R_ADVL = range(5)

FUNCTION = (
    st.C_DET | st.C_POSS | st.C_SUBJ | st.C_OBJ | st.C_AUX | st.C_PREP | st.C_CONJ | st.C_SUB
    | st.C_TO | st.C_SO | st.C_NEG | st.C_NUM
)  # fmt: skip
NP_OPENERS = st.C_DET | st.C_POSS | st.C_NUM | st.C_OBJ
# The classes a cue needs (`_story_states._cue`), and those the NP (SUBJ) handler tests
# before it only adds the word: a token with none of them takes a short path in both
# machines' loops (and, in the kernels', opens a phrase at once in PP, CLAUSE and after a
# verb). Keep them in step with `_cue`, `_np`, `_np_boundary` and `_subj`, and `_pp`,
# `_clause` and `_after_verb` (the parity suite compares the kernels with the reference).
# FUNCTION is within PLAIN_IN_NP.
CUES = st.C_SO | st.C_IN | st.C_SUB
PLAIN_IN_NP = (
    CUES | st.C_DET | st.C_NUM | st.C_GEN | st.C_POSS | st.C_SUBJ | st.C_OBJ | st.C_TO
    | st.C_PREP | st.C_CONJ | st.C_AUX | st.C_NEG | st.C_ADV | st.C_NONENT | st.C_VBG
    | st.C_VBD
)  # fmt: skip
PLAIN_IN_SUBJ = (
    CUES | st.C_DET | st.C_NUM | st.C_AUX | st.C_NEG | st.C_SUBJ | st.C_OBJ | st.C_VB
    | st.C_VBZ | st.C_VBD | st.C_GEN | st.C_PREP | st.C_TO | st.C_CONJ | st.C_ADV
)  # fmt: skip


class Machine:
    """Registers of one extraction; the kernels keep the same ones in a small int array."""

    def __init__(self, text: str, toks: st.Tokens, start: int, imperative_ok: bool) -> None:
        self.text, self.t, self.n, self.start = text, toks, len(toks.words), start
        self.state, self.primary, self.imperative_ok = S_CLAUSE, True, imperative_ok
        self.redo, self.next_i, self.comma = False, 0, False
        self.np_start = self.np_end = -1
        self.np_role, self.np_words, self.np_neg, self.np_primary = R_DOBJ, 0, False, False
        self.np_det = False  # a determiner other than a possessive opened the phrase
        self.last_role, self.prep_gerund = R_DOBJ, False
        self.adv_start, self.passive, self.after_adv, self.had_particle = -1, False, False, False
        self.want_inf, self.pend_ent, self.pend_verb = False, -1, False
        self.benefit_start = self.benefit_end = -1
        self.persona = ""
        self.actions: list[list[int]] = []
        self.entities: list[list[int]] = []

    def mask(self, i: int) -> int:
        return self.t.masks[i] if 0 <= i < self.n else 0

    def joined(self, i: int) -> bool:
        """Token i and i+1 are separated by whitespace only."""
        return i + 1 < self.n and self.t.gaps[i] == st.G_SPACE


def is_content(mask: int) -> bool:
    return not mask & FUNCTION


def true_subject(mask: int) -> bool:
    return bool(mask & st.C_SUBJ) and not mask & st.C_OBJ


# ---- noun phrases -------------------------------------------------------------------------


def open_np(m: Machine, role: int) -> None:
    m.np_start, m.np_end, m.np_words, m.np_neg, m.np_det = -1, -1, 0, False, False
    m.np_role = role
    m.np_primary = m.primary and role in (R_DOBJ, R_WANT)
    m.state = S_SUBJ if role == R_SUBJ else S_NP


def np_add(m: Machine, i: int) -> None:
    if m.np_words == 0:
        m.np_start = i
    m.np_end, m.np_words = i, m.np_words + 1


def _keep_entity(m: Machine) -> bool:
    t, first, last = m.t, m.np_start, m.np_end
    if m.np_words == 0 or m.np_neg:
        return False
    if all(t.masks[k] & st.C_ADJ for k in range(first, last + 1)):
        return False
    if m.np_words == 1 and t.masks[last] & st.C_NONENT:
        return False
    # "plan my week" names a thing; "every night", "for a month" say when
    if t.masks[last] & st.C_TIME and (m.np_role != R_DOBJ or m.np_det):
        return False
    start, end = t.starts[first], t.ends[last]
    # (A-Z lowering keeps the length: a span of another length is not the persona)
    return end - start != len(m.persona) or st.lower(m.text[start:end]) != m.persona


def close_np(m: Machine) -> None:
    """Emit the open phrase as an entity when it names one; the phrase registers reset."""
    if m.np_words:
        if _keep_entity(m):
            end = m.t.ends[m.np_end] - (2 if m.t.masks[m.np_end] & st.C_GEN else 0)
            m.entities.append([m.t.starts[m.np_start], end, int(m.np_primary)])
            if m.np_role == R_WANT:
                m.pend_ent = len(m.entities) - 1
            elif m.np_role == R_DOBJ and m.pend_verb:
                demote_wanted(m)
        m.last_role = m.np_role
    m.np_words, m.np_start, m.np_end = 0, -1, -1


def demote_wanted(m: Machine) -> None:
    """The verb wanted of a phrase has its own object: the phrase was only its agent."""
    if m.pend_ent >= 0:
        m.entities[m.pend_ent][2] = 0
    m.pend_ent, m.pend_verb = -1, False


# ---- verbs --------------------------------------------------------------------------------


def emit_verb(m: Machine, i: int) -> None:
    t, k = m.t, m.t.masks[i]
    first, last = (m.adv_start if m.adv_start >= 0 else i), i
    nxt = m.mask(i + 1)
    if m.joined(i) and (nxt & st.C_PART or (nxt & st.C_WPART and k & st.C_PHV)):
        last = i + 1
        m.next_i = i + 2
    m.actions.append([t.starts[first], t.ends[last], int(m.primary)])
    m.had_particle = last > i
    m.pend_verb, m.want_inf = m.want_inf, False
    if not m.pend_verb:
        m.pend_ent = -1
    m.adv_start, m.passive, m.after_adv = -1, False, False
    m.state = S_COMP if k & st.C_LINK and last == i else S_AFTER_VERB


def subject_verb(m: Machine, i: int) -> bool:
    """Inside a subject phrase of one word or more: is token i the clause's verb?"""
    k, nxt = m.t.masks[i], m.mask(i + 1) if m.joined(i) else 0
    if k & (st.C_VBZ | st.C_VBD):
        return not nxt & (st.C_VB | st.C_VBZ | st.C_AUX)
    return bool(k & st.C_VB and m.t.masks[m.np_end] & st.C_ENDS_S)


def coordinated_verb(m: Machine, j: int, comma: bool) -> bool:
    """After a phrase and a conjunction (or comma), does token j start another verb?"""
    k = m.mask(j)
    if not k & st.C_VB or k & FUNCTION:
        return False
    if not m.joined(j):
        return False
    nxt = m.t.masks[j + 1]
    if nxt & (NP_OPENERS | st.C_PART | st.C_SUB) or (nxt & st.C_WPART and k & st.C_PHV):
        return True
    return is_content(nxt) and (comma or m.last_role != R_PREP)


def to_clause(m: Machine, i: int) -> None:
    """'to' after a verb or phrase: an infinitive of purpose before a base form, else a PP."""
    nxt = m.mask(i + 1)
    if nxt & st.C_VB and not nxt & FUNCTION:
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False
    else:
        open_pp(m, i)


def open_pp(m: Machine, i: int) -> None:
    m.state, m.prep_gerund = S_PP, bool(m.t.masks[i] & st.C_GPREP)
