"""Phrase and verb helpers of the batch user-story state machine (twin of `_story_machine`).

Registers are the `G_*` columns of the intent's `meta` row `g`; tokens are the scan's story
tokens in `scr`; actions and entities go to `rec` as (start, end * 2 + primary). Every helper
mirrors the function of the same name in `kernels._story_machine`, rule for rule.

A handler does not call the helpers that touch the phrase or the verb lists: it returns a
plan (before, action, argument) that `story.run` carries out at one call site for all of
them, so the GPU kernel holds one inlined copy of `close_np` and `emit_verb`, not dozens.
"""

from __future__ import annotations

from .._jit import jit_inline
from .._layout import (
    G_ADV_START,
    G_AFTER_ADV,
    G_COMMA,
    G_HAD_PARTICLE,
    G_LAST_ROLE,
    G_NEXT,
    G_NP_DET,
    G_NP_END,
    G_NP_NEG,
    G_NP_PRIMARY,
    G_NP_ROLE,
    G_NP_START,
    G_NP_WORDS,
    G_PASSIVE,
    G_PEND_ENT,
    G_PEND_VERB,
    G_PREP_GERUND,
    G_PRIMARY,
    G_STATE,
    G_WANT_INF,
    M_PERSONA_E,
    M_PERSONA_S,
    M_STORY_ACT,
    M_STORY_ENT,
    M_STORY_TOK,
    STK_E,
    STK_S,
    STORY_ACT_E,
    STORY_ACT_S,
    STORY_ENT_E,
    STORY_ENT_S,
)  # fmt: skip
from .._story_machine import (
    FUNCTION,
    NP_OPENERS,
    R_DOBJ,
    R_PREP,
    R_SUBJ,
    R_WANT,
    S_AFTER_VERB,
    S_COMP,
    S_NP,
    S_PP,
    S_SUBJ,
    S_VSLOT,
)  # fmt: skip
from .._story_tokens import (
    C_ADJ,
    C_AUX,
    C_ENDS_S,
    C_GEN,
    C_GPREP,
    C_LINK,
    C_NONENT,
    C_OBJ,
    C_PART,
    C_PHV,
    C_SUB,
    C_SUBJ,
    C_TIME,
    C_VB,
    C_VBD,
    C_VBZ,
    C_WPART,
)  # fmt: skip
from .._story_tokens import G_SPACE as GAP_SPACE
from ..scan.story_tokens import tok_gap, tok_mask, tok_mask_at
from ..scan.text import same_lower

# `before` bits of a plan, done in this order: token i joins the phrase, the phrase closes.
PRE_ADD, PRE_CLOSE = 1, 2
# Its action, after the close (`perform`); the argument is a role, a token or a flag.
DO_NOTHING, DO_OPEN, DO_OPEN_ADD, DO_REOPEN = 0, 1, 2, 3
DO_COORDINATE, DO_EMIT_VERB, DO_TO_CLAUSE, DO_OPEN_PP = 4, 5, 6, 7


@jit_inline
def mask(scr, g, i):
    return tok_mask(scr, g[M_STORY_TOK], i)


@jit_inline
def mask_at(scr, i):
    """`mask` of a token the machine knows is one: the pass's own, or one of the open
    phrase's. These are its most frequent reads; without the test against the token count
    the machine ran 9 % fewer instructions."""
    return tok_mask_at(scr, i)


@jit_inline
def joined(scr, g, i):
    """Token i and i+1 are separated by whitespace only."""
    return i + 1 < g[M_STORY_TOK] and tok_gap(scr, i) == GAP_SPACE


@jit_inline
def is_content(k):
    return (k & FUNCTION) == 0


@jit_inline
def true_subject(k):
    return (k & C_SUBJ) != 0 and (k & C_OBJ) == 0


@jit_inline
def to_vslot(g):
    """A verb is due: the state VSLOT with no pending adverb or passive."""
    g[G_STATE], g[G_ADV_START], g[G_PASSIVE] = S_VSLOT, -1, 0


@jit_inline
def open_np(g, role):
    g[G_NP_START], g[G_NP_END], g[G_NP_WORDS], g[G_NP_NEG], g[G_NP_DET] = -1, -1, 0, 0, 0
    g[G_NP_ROLE] = role
    wanted = role == R_DOBJ or role == R_WANT  # noqa: SIM109  (CUDA: no tuple search)
    g[G_NP_PRIMARY] = 1 if g[G_PRIMARY] and wanted else 0
    g[G_STATE] = S_SUBJ if role == R_SUBJ else S_NP


@jit_inline
def np_add(g, i):
    if g[G_NP_WORDS] == 0:
        g[G_NP_START] = i
    g[G_NP_END], g[G_NP_WORDS] = i, g[G_NP_WORDS] + 1


@jit_inline
def keep_entity(t, scr, g):
    first, last = g[G_NP_START], g[G_NP_END]
    if g[G_NP_WORDS] == 0 or g[G_NP_NEG]:
        return False
    adjectives_only = True
    for k in range(first, last + 1):
        if not mask_at(scr, k) & C_ADJ:
            adjectives_only = False
            break
    if adjectives_only:
        return False
    if g[G_NP_WORDS] == 1 and mask_at(scr, last) & C_NONENT:
        return False
    if mask_at(scr, last) & C_TIME and (g[G_NP_ROLE] != R_DOBJ or g[G_NP_DET]):
        return False
    ps, pe = g[M_PERSONA_S], g[M_PERSONA_E]
    return ps < 0 or not same_lower(t, scr[STK_S, first], scr[STK_E, last], ps, pe)


@jit_inline
def close_np(t, scr, rec, g):
    """Emit the open phrase as an entity when it names one; the phrase registers reset."""
    if g[G_NP_WORDS]:
        if keep_entity(t, scr, g):
            end = scr[STK_E, g[G_NP_END]] - (2 if mask_at(scr, g[G_NP_END]) & C_GEN else 0)
            j = g[M_STORY_ENT]
            if j < rec.shape[1]:
                rec[STORY_ENT_S, j] = scr[STK_S, g[G_NP_START]]
                rec[STORY_ENT_E, j] = 2 * end + g[G_NP_PRIMARY]
                g[M_STORY_ENT] = j + 1
            if g[G_NP_ROLE] == R_WANT:
                g[G_PEND_ENT] = j
            elif g[G_NP_ROLE] == R_DOBJ and g[G_PEND_VERB]:
                demote_wanted(rec, g)
        g[G_LAST_ROLE] = g[G_NP_ROLE]
    g[G_NP_WORDS], g[G_NP_START], g[G_NP_END] = 0, -1, -1


@jit_inline
def demote_wanted(rec, g):
    """The verb wanted of a phrase has its own object: the phrase was only its agent."""
    j = g[G_PEND_ENT]
    if j >= 0:
        rec[STORY_ENT_E, j] = rec[STORY_ENT_E, j] & ~1
    g[G_PEND_ENT], g[G_PEND_VERB] = -1, 0


@jit_inline
def emit_verb(scr, rec, g, i):
    k = mask_at(scr, i)
    first = g[G_ADV_START] if g[G_ADV_START] >= 0 else i
    last = i
    nxt = mask(scr, g, i + 1)
    if joined(scr, g, i) and (nxt & C_PART or (nxt & C_WPART and k & C_PHV)):
        last = i + 1
        g[G_NEXT] = i + 2
    j = g[M_STORY_ACT]
    if j < rec.shape[1]:
        rec[STORY_ACT_S, j] = scr[STK_S, first]
        rec[STORY_ACT_E, j] = 2 * scr[STK_E, last] + g[G_PRIMARY]
        g[M_STORY_ACT] = j + 1
    g[G_HAD_PARTICLE] = 1 if last > i else 0
    g[G_PEND_VERB], g[G_WANT_INF] = g[G_WANT_INF], 0
    if not g[G_PEND_VERB]:
        g[G_PEND_ENT] = -1
    g[G_ADV_START], g[G_PASSIVE], g[G_AFTER_ADV] = -1, 0, 0
    g[G_STATE] = S_COMP if k & C_LINK and last == i else S_AFTER_VERB


@jit_inline
def subject_verb(scr, g, i):
    """Inside a subject phrase of one word or more: is token i the clause's verb?"""
    k = mask_at(scr, i)
    nxt = mask(scr, g, i + 1) if joined(scr, g, i) else 0
    if k & (C_VBZ | C_VBD):
        return (nxt & (C_VB | C_VBZ | C_AUX)) == 0
    return (k & C_VB) != 0 and (mask_at(scr, g[G_NP_END]) & C_ENDS_S) != 0


@jit_inline
def coordinated_verb(scr, g, j, comma):
    """After a phrase and a conjunction (or comma), does token j start another verb?"""
    k = mask(scr, g, j)
    if not k & C_VB or k & FUNCTION:
        return False
    if not joined(scr, g, j):
        return False
    nxt = mask(scr, g, j + 1)
    if nxt & (NP_OPENERS | C_PART | C_SUB) or (nxt & C_WPART and k & C_PHV):
        return True
    return is_content(nxt) and (comma or g[G_LAST_ROLE] != R_PREP)


@jit_inline
def to_clause(scr, g, i):
    """'to' after a verb or phrase: an infinitive of purpose before a base form, else a PP."""
    nxt = mask(scr, g, i + 1)
    if nxt & C_VB and not nxt & FUNCTION:
        g[G_PRIMARY] = 0
        to_vslot(g)
    else:
        open_pp(scr, g, i)


@jit_inline
def open_pp(scr, g, i):
    g[G_STATE] = S_PP
    g[G_PREP_GERUND] = 1 if mask_at(scr, i) & C_GPREP else 0


@jit_inline
def perform(scr, rec, g, i, act, arg):
    """Carry out a plan's action at token i, after its phrase closed (see the module doc).

    DO_OPEN opens a phrase of role arg; DO_OPEN_ADD then adds token i to it; DO_REOPEN opens
    the same role again with NP_PRIMARY arg (a genitive); DO_COORDINATE looks at token arg.
    """
    if act == DO_COORDINATE:  # reads the role close_np just left in G_LAST_ROLE
        if coordinated_verb(scr, g, arg, g[G_COMMA]):
            to_vslot(g)
            act = DO_NOTHING
        else:
            last = g[G_LAST_ROLE]
            act, arg = DO_OPEN, R_DOBJ if last == R_WANT else last
    if act == DO_EMIT_VERB:
        emit_verb(scr, rec, g, i)
    elif act == DO_TO_CLAUSE:
        to_clause(scr, g, i)
    elif act == DO_OPEN_PP:
        open_pp(scr, g, i)
    elif act != DO_NOTHING:
        open_np(g, g[G_NP_ROLE] if act == DO_REOPEN else arg)
        if act == DO_OPEN_ADD:
            np_add(g, i)
        elif act == DO_REOPEN:
            g[G_NP_PRIMARY] = arg
