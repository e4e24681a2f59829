"""The token state machine behind `kernels.story.extract_story` (its docstring is the spec).

All state lives in one `Machine`: integer registers and two output lists of [start, end,
primary] spans. Handlers read only the current token and at most two tokens ahead.
"""

from __future__ import annotations

from . import _story_tokens as st

S_CLAUSE, S_SUBJ, S_VSLOT, S_AFTER_VERB, S_NP, S_AFTER_NP, S_PP, S_COMP = range(8)
# Noun-phrase roles: direct object, prepositional object, subject, the wanted thing after a
# want-cue, and an adverbial phrase (after an adverb or a finished phrase).
R_DOBJ, R_PREP, R_SUBJ, R_WANT, R_ADVL = range(5)

_FUNCTION = (
    st.C_DET | st.C_POSS | st.C_SUBJ | st.C_OBJ | st.C_AUX | st.C_PREP | st.C_CONJ | st.C_SUB
    | st.C_TO | st.C_SO | st.C_NEG | st.C_NUM
)  # fmt: skip
_NP_OPENERS = st.C_DET | st.C_POSS | st.C_NUM | st.C_OBJ


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


def _is_content(mask: int) -> bool:
    return not mask & _FUNCTION


def _true_subject(mask: int) -> bool:
    return bool(mask & st.C_SUBJ) and not mask & st.C_OBJ


# ---- noun phrases -------------------------------------------------------------------------


def _open_np(m: Machine, role: int) -> None:
    m.np_start, m.np_end, m.np_words, m.np_neg, m.np_det = -1, -1, 0, False, False
    m.np_role = role
    m.np_primary = m.primary and role in (R_DOBJ, R_WANT)
    m.state = S_SUBJ if role == R_SUBJ else S_NP


def _np_add(m: Machine, i: int) -> None:
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
    return m.text[t.starts[first] : t.ends[last]].lower() != m.persona


def _close_np(m: Machine) -> None:
    """Emit the open phrase as an entity when it names one; the phrase registers reset."""
    if m.np_words:
        if _keep_entity(m):
            end = m.t.ends[m.np_end] - (2 if m.t.masks[m.np_end] & st.C_GEN else 0)
            m.entities.append([m.t.starts[m.np_start], end, int(m.np_primary)])
            if m.np_role == R_WANT:
                m.pend_ent = len(m.entities) - 1
            elif m.np_role == R_DOBJ and m.pend_verb:
                _demote_wanted(m)
        m.last_role = m.np_role
    m.np_words, m.np_start, m.np_end = 0, -1, -1


def _demote_wanted(m: Machine) -> None:
    """The verb wanted of a phrase has its own object: the phrase was only its agent."""
    if m.pend_ent >= 0:
        m.entities[m.pend_ent][2] = 0
    m.pend_ent, m.pend_verb = -1, False


# ---- verbs --------------------------------------------------------------------------------


def _emit_verb(m: Machine, i: int) -> None:
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


def _subject_verb(m: Machine, i: int) -> bool:
    """Inside a subject phrase of one word or more: is token i the clause's verb?"""
    k, nxt = m.t.masks[i], m.mask(i + 1) if m.joined(i) else 0
    if k & (st.C_VBZ | st.C_VBD):
        return not nxt & (st.C_VB | st.C_VBZ | st.C_AUX)
    return bool(k & st.C_VB) and m.t.words[m.np_end].endswith("s")


def _coordinated_verb(m: Machine, j: int, comma: bool) -> bool:
    """After a phrase and a conjunction (or comma), does token j start another verb?"""
    k = m.mask(j)
    if not k & st.C_VB or k & _FUNCTION:
        return False
    if not m.joined(j):
        return False
    nxt = m.t.masks[j + 1]
    if nxt & (_NP_OPENERS | st.C_PART | st.C_SUB) or (nxt & st.C_WPART and k & st.C_PHV):
        return True
    return _is_content(nxt) and (comma or m.last_role != R_PREP)


# ---- states -------------------------------------------------------------------------------


def _clause(m: Machine, i: int) -> None:
    k = m.t.masks[i]
    if k & (st.C_SUBJ | st.C_OBJ):
        m.state, m.adv_start, m.passive = S_VSLOT, -1, False
    elif k & (st.C_AUX | st.C_TO):
        m.state, m.adv_start, m.passive = S_VSLOT, -1, False
        m.redo = bool(k & st.C_AUX)
    elif k & st.C_PREP:
        _open_pp(m, i)
    elif k & (st.C_ADV | st.C_CONJ | st.C_NEG) and not k & st.C_DET:
        pass
    elif m.imperative_ok and k & st.C_VB and not m.mask(i + 1) & (st.C_VBZ | st.C_AUX):
        _emit_verb(m, i)
    else:
        _open_np(m, R_SUBJ)
        m.redo = True
    m.imperative_ok = False


def _subj(m: Machine, i: int) -> None:
    k = m.t.masks[i]
    if m.np_words == 0 and k & (st.C_DET | st.C_NUM):
        m.np_neg = m.np_neg or m.t.words[i] == "no"
        m.np_det = m.np_det or not k & st.C_POSS
    elif m.np_words and k & (st.C_AUX | st.C_NEG):
        _close_np(m)
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    elif k & (st.C_SUBJ | st.C_OBJ):
        _close_np(m)
        m.state, m.adv_start, m.passive = S_VSLOT, -1, False
    elif m.np_words and _subject_verb(m, i):
        _close_np(m)
        _emit_verb(m, i)
    elif k & (st.C_DET | st.C_GEN):
        if k & st.C_GEN:
            _np_add(m, i)
        _close_np(m)
        _open_np(m, R_SUBJ)
        m.redo = not k & st.C_GEN
    elif k & (st.C_PREP | st.C_TO):
        _close_np(m)
        _open_pp(m, i)
    elif k & st.C_CONJ:
        _close_np(m)
        m.state = S_CLAUSE
    elif k & st.C_ADV and m.np_words:
        _close_np(m)
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    else:
        _np_add(m, i)


def _vslot(m: Machine, i: int) -> None:
    t, k, nxt = m.t, m.t.masks[i], m.mask(i + 1)
    if k & (st.C_FOCUS | st.C_NEG):
        m.adv_start = -1
    elif k & st.C_ADV and not k & st.C_VB:
        m.adv_start = i if m.adv_start < 0 else m.adv_start
    elif k & st.C_HAVE and not nxt & (st.C_TO | st.C_VBD):
        _emit_verb(m, i)
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
        elif m.joined(i) and (nxt & (st.C_DET | st.C_POSS | st.C_NUM) or _is_content(nxt)):
            _open_np(m, R_WANT)
            m.want_inf = False
    elif t.words[i] in ("get", "gets", "got", "getting") and nxt & st.C_VBD:
        pass
    elif m.passive and not k & (st.C_VBD | st.C_VBG):
        m.state, m.redo = S_COMP, True
    elif k & _FUNCTION:
        m.state, m.redo = S_CLAUSE, True
    else:
        _emit_verb(m, i)


def _after_verb(m: Machine, i: int) -> None:
    k, nxt = m.t.masks[i], m.mask(i + 1)
    if k & st.C_OBJ:
        if m.pend_verb:
            _demote_wanted(m)
        m.state, m.last_role = S_AFTER_NP, R_DOBJ
    elif _true_subject(k):
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False
    elif k & st.C_ADV:
        m.after_adv = True
    elif k & st.C_CONJ:
        if m.mask(i + 1) & st.C_VB:
            m.state, m.adv_start, m.passive = S_VSLOT, -1, False
    elif m.comma and k & st.C_VB and not k & _FUNCTION:
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    elif k & st.C_TO:
        _to(m, i)
    elif k & st.C_PREP:
        _open_pp(m, i)
    elif k & st.C_VBG and (m.had_particle or nxt & _NP_OPENERS):
        m.primary, m.state, m.redo = False, S_VSLOT, True
    elif k & (st.C_DET | st.C_POSS | st.C_NUM) or _is_content(k):
        _open_np(m, R_ADVL if m.after_adv else R_DOBJ)
        m.redo = True


def _to(m: Machine, i: int) -> None:
    """'to' after a verb or phrase: an infinitive of purpose before a base form, else a PP."""
    nxt = m.mask(i + 1)
    if nxt & st.C_VB and not nxt & _FUNCTION:
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False
    else:
        _open_pp(m, i)


def _open_pp(m: Machine, i: int) -> None:
    m.state, m.prep_gerund = S_PP, bool(m.t.masks[i] & st.C_GPREP)


def _pp(m: Machine, i: int) -> None:
    k, nxt = m.t.masks[i], m.mask(i + 1)
    if k & st.C_VBG and m.prep_gerund and not k & _FUNCTION:
        if nxt & st.C_VBZ:
            m.primary = False
            _open_np(m, R_SUBJ)
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
        if k & st.C_ADV and not k & st.C_FOCUS and m.joined(i) and _is_content(nxt):
            _open_np(m, R_PREP)  # "for offline use"
            _np_add(m, i)
    else:
        _open_np(m, R_PREP)
        m.redo = True


def _np(m: Machine, i: int) -> None:
    t, k = m.t, m.t.masks[i]
    if m.np_words == 0 and k & (st.C_DET | st.C_NUM) and not k & st.C_OBJ:
        m.np_neg = m.np_neg or t.words[i] == "no"
        m.np_det = m.np_det or not k & st.C_POSS
    elif k & st.C_GEN:
        _np_add(m, i)
        role, primary = m.np_role, m.np_primary
        m.np_primary = False
        _close_np(m)
        _open_np(m, role)
        m.np_primary = primary
    elif k & (st.C_DET | st.C_POSS) and not k & st.C_OBJ:
        _close_np(m)
        _open_np(m, R_ADVL)
        m.redo = True
    elif _true_subject(k):
        _close_np(m)
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False
    elif k & st.C_OBJ:
        _close_np(m)
        m.state = S_AFTER_NP
    else:
        _np_boundary(m, i)


def _np_boundary(m: Machine, i: int) -> None:
    """Token i inside a phrase that is no determiner or pronoun: extend it or end it."""
    k, nxt = m.t.masks[i], m.mask(i + 1)
    role = m.np_role
    if k & st.C_TO:
        _close_np(m)
        if role == R_WANT and nxt & (st.C_VB | st.C_BE):
            m.state, m.want_inf, m.adv_start, m.passive = S_VSLOT, True, -1, False
        else:
            _to(m, i)
    elif k & st.C_PREP:
        _close_np(m)
        _open_pp(m, i)
    elif k & st.C_CONJ:
        _close_np(m)
        _coordinate(m, i + 1, m.comma)
    elif k & (st.C_AUX | st.C_NEG):
        _close_np(m)
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    elif m.np_words == 0 and k & st.C_ADV and _is_content(nxt):
        _np_add(m, i)
    elif k & st.C_ADV or (m.np_words and k & st.C_NONENT):
        _close_np(m)
        m.state, m.after_adv = S_AFTER_NP, True
        if k & st.C_NONENT:
            _open_np(m, R_ADVL)
            _np_add(m, i)
    elif (
        m.np_words
        and k & st.C_VBG
        and not m.t.masks[m.np_end] & st.C_ADJ
        and m.joined(i)
        and (nxt & _NP_OPENERS or _is_content(nxt))
    ):
        _close_np(m)
        m.primary, m.state, m.redo, m.adv_start = False, S_VSLOT, True, -1
    elif role == R_WANT and m.np_words and k & st.C_VBD and not (m.joined(i) and _is_content(nxt)):
        _close_np(m)
        _emit_verb(m, i)
    else:
        _np_add(m, i)
        if m.np_words > 6:
            _close_np(m)
            _open_np(m, R_ADVL)


def _coordinate(m: Machine, j: int, comma: bool) -> None:
    """After a phrase and a conjunction or comma: more verbs, or a phrase of the same role."""
    if _coordinated_verb(m, j, comma):
        m.state, m.adv_start, m.passive = S_VSLOT, -1, False
    else:
        _open_np(m, R_DOBJ if m.last_role == R_WANT else m.last_role)


def _after_np(m: Machine, i: int) -> None:
    k = m.t.masks[i]
    if k & st.C_CONJ:
        _coordinate(m, i + 1, m.comma)
    elif m.comma and _is_content(k):
        _coordinate(m, i, True)
        m.redo = m.state != S_VSLOT or True
    elif k & st.C_ADV and not k & st.C_DET:
        m.after_adv = True
    elif k & (st.C_AUX | st.C_NEG):
        m.state, m.redo, m.adv_start, m.passive = S_VSLOT, True, -1, False
    elif k & st.C_TO:
        _to(m, i)
    elif k & st.C_PREP:
        _open_pp(m, i)
    elif _true_subject(k):
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False
    elif not k & st.C_OBJ:
        _open_np(m, R_ADVL)
        m.redo = True


def _comp(m: Machine, i: int) -> None:
    k = m.t.masks[i]
    if k & (st.C_DET | st.C_POSS | st.C_NUM) and not k & st.C_OBJ:
        _open_np(m, R_ADVL)
        m.redo = True
    elif k & st.C_TO:
        _to(m, i)
    elif k & st.C_PREP:
        _open_pp(m, i)
    elif _true_subject(k):
        m.primary, m.state, m.adv_start, m.passive = False, S_VSLOT, -1, False


_HANDLERS = (_clause, _subj, _vslot, _after_verb, _np, _after_np, _pp, _comp)


# ---- cues and the main loop ---------------------------------------------------------------


def _cue(m: Machine, i: int) -> bool:
    """Benefit connectives and subordinators, seen in every state. True when consumed."""
    t, k = m.t, m.t.masks[i]
    if k & st.C_SO and i > m.start and i + 1 < m.n:
        skip = 1 + (t.words[i + 1] == "that")
        _clause_break(m, i + skip, S_CLAUSE)
        m.next_i = i + skip
        return True
    if t.words[i] == "in" and i + 2 < m.n and t.words[i + 1] == "order":
        if t.words[i + 2] in ("to", "that"):
            _clause_break(m, i + 3, S_VSLOT if t.words[i + 2] == "to" else S_CLAUSE)
            m.next_i = i + 3
            return True
    if k & st.C_SUB and m.state != S_VSLOT or (k & st.C_SUB and k & st.C_OBJ):
        _close_np(m)
        m.primary = False
        nxt = m.mask(i + 1)
        relative = t.words[i] in ("who", "that", "which", "what")
        if relative and nxt & (st.C_VB | st.C_VBZ | st.C_VBD | st.C_AUX):
            m.state, m.adv_start, m.passive = S_VSLOT, -1, False
        else:
            m.state = S_CLAUSE
        return True
    return False


def _clause_break(m: Machine, benefit_at: int, state: int) -> None:
    _close_np(m)
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
        _close_np(m)
        m.state = S_AFTER_NP
    if gap >= st.G_CLAUSE:
        if gap == st.G_SENT and m.benefit_start >= 0 and m.benefit_end < 0:
            m.benefit_end = i
        m.primary, m.state, m.imperative_ok = False, S_CLAUSE, False


def run(m: Machine) -> None:
    """Walk the tokens once, filling `m.actions`, `m.entities` and the benefit range."""
    i = m.start
    while i < m.n:
        m.next_i = i + 1
        if not _cue(m, i):
            m.redo, tries = True, 0
            while m.redo and tries < 4:
                m.redo, tries = False, tries + 1
                _HANDLERS[m.state](m, i)
        last = max(i, m.next_i - 1)
        _gap(m, min(last, m.n - 1))
        i = max(m.next_i, i + 1)
    _close_np(m)
