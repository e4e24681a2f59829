"""The user-story state machine over the scan's story tokens (twin of `kernels._story_states`).

`story` fills the intent's persona and benefit spans, its actions and entities (deduplicated,
A-Z case-insensitively, keeping the first and or-ing `primary`) and their counts; the
handlers mirror the reference's one for one (`kernels.story` states the rules).
The handlers and helpers are `jit_inline`: the machine compiles to one loop, with no call
per token that passes every array as a bundle of scalars (over half its CPU time, measured).
Handlers only plan; `run` carries each plan out at one call site per helper (two for
`close_np`: a plan's, and punctuation's), so the large ones are inlined once or twice: the
GPU kernel, with a copy at each of their ~30 call sites, was bound by instruction fetch.
"""

from __future__ import annotations

from numba import int64, uint64

from .._jit import jit, jit_inline, jit_merged
from .._layout import (
    G_ADV_START,
    G_AFTER_ADV,
    G_BEN_END,
    G_BEN_START,
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
    G_NP_START,
    G_NP_WORDS,
    G_PASSIVE,
    G_PEND_ENT,
    G_PEND_VERB,
    G_PREP_GERUND,
    G_PRIMARY,
    G_REDO,
    G_START,
    G_STATE,
    G_WANT_INF,
    M_BENEFIT_E,
    M_BENEFIT_S,
    M_PERSONA_E,
    M_PERSONA_S,
    M_STORY_ACT,
    M_STORY_ENT,
    M_STORY_TOK,
    NO,
    STK_E,
    STK_S,
    STORY_ACT_E,
    STORY_ACT_S,
    STORY_ENT_E,
    STORY_ENT_S,
)  # fmt: skip
from .._story_machine import (
    PLAIN_IN_NP,
    PLAIN_IN_SUBJ,
    R_ADVL,
    R_DOBJ,
    R_PREP,
    R_SUBJ,
    S_AFTER_NP,
    S_AFTER_VERB,
    S_CLAUSE,
    S_NP,
    S_PP,
    S_SUBJ,
    S_VSLOT,
)  # fmt: skip
from .._story_tokens import (
    C_ADV,
    C_ARTICLE,
    C_AS,
    C_AUX,
    C_IN,
    C_LISTED,
    C_OBJ,
    C_ORDER,
    C_REL,
    C_SO,
    C_SUB,
    C_THAT,
    C_TO,
    C_VB,
    C_VBD,
    C_VBZ,
)  # fmt: skip
from .._story_tokens import G_CLAUSE as GAP_CLAUSE
from .._story_tokens import G_COMMA as GAP_COMMA
from .._story_tokens import G_SENT as GAP_SENT
from .._story_tokens import G_SPACE as GAP_SPACE
from ..scan.story_tokens import tok_gap
from ..scan.text import lower, same_lower
from ..story import _FIRST_STOP, _PERSONA_STOP
from .story_np import (
    DO_NOTHING,
    DO_OPEN_ADD,
    PRE_ADD,
    PRE_CLOSE,
    close_np,
    mask,
    mask_at,
    np_add,
    perform,
    to_vslot,
)  # fmt: skip
from .story_states import dispatch, np_extend


@jit
def find_persona(scr, g, n):
    """Token range (first, last) of the persona, or (-1, -1) (see `story._find_persona`)."""
    for k in range(min(n, 6)):
        if not mask(scr, g, k) & C_AS:
            continue
        p = k + 1
        if p < n and mask(scr, g, p) & C_ARTICLE and tok_gap(scr, k) == GAP_SPACE:
            p += 1
        mp = mask(scr, g, p)
        adverb = p < n and (mp & C_ADV) != 0 and (mp & C_LISTED) != 0
        if p >= n or mp & _FIRST_STOP:
            return -1, -1
        if adverb and (
            tok_gap(scr, p) != GAP_SPACE or mask(scr, g, min(p + 1, n - 1)) & _PERSONA_STOP
        ):
            return -1, -1
        last = p
        while last - p < 5 and tok_gap(scr, last) == GAP_SPACE and last + 1 < n:
            if mask(scr, g, last + 1) & _PERSONA_STOP:
                break
            last += 1
        return p, last
    return -1, -1


# Passes of `run` over a token: the first look, the handler again (which a plain word of
# the phrase the handler just opened skips), and the close at the end of the text.
STEP_TOKEN, STEP_HANDLER, STEP_CLOSE = 0, 1, 2
ASK_HANDLER = -1  # a first look's `before` when the state's handler must decide


@jit_inline
def clause_break(g, benefit_at, state):
    if g[G_BEN_START] < 0:
        g[G_BEN_START] = benefit_at
    g[G_PRIMARY] = 0
    to_vslot(g)
    g[G_STATE] = state


@jit_inline
def cue(scr, g, i):
    """Benefit connectives and subordinators, seen in every state. True when consumed: the
    open phrase then closes (the registers set here are ones `close_np` leaves alone)."""
    k, n = mask_at(scr, i), g[M_STORY_TOK]
    if k & C_SO and i > g[G_START] and i + 1 < n:
        skip = 2 if mask(scr, g, i + 1) & C_THAT else 1
        clause_break(g, i + skip, S_CLAUSE)
        g[G_NEXT] = i + skip
        return True
    if k & C_IN and i + 2 < n and mask(scr, g, i + 1) & C_ORDER:
        third = mask(scr, g, i + 2)
        if third & (C_TO | C_THAT):
            clause_break(g, i + 3, S_VSLOT if third & C_TO else S_CLAUSE)
            g[G_NEXT] = i + 3
            return True
    if (k & C_SUB and g[G_STATE] != S_VSLOT) or (k & C_SUB and k & C_OBJ):
        g[G_PRIMARY] = 0
        nxt = mask(scr, g, i + 1)
        if k & C_REL and nxt & (C_VB | C_VBZ | C_VBD | C_AUX):
            to_vslot(g)
        else:
            g[G_STATE] = S_CLAUSE
        return True
    return False


@jit_inline
def apply_gap(scr, g, i):
    """Apply the punctuation after token i; PRE_CLOSE when it ends the open phrase."""
    gap = tok_gap(scr, i)
    g[G_COMMA] = 1 if gap == GAP_COMMA else 0
    if gap == GAP_SPACE:
        return 0
    s = g[G_STATE]
    close = s == S_NP or s == S_SUBJ or s == S_PP  # noqa: SIM109  (CUDA: no tuple search)
    if close:
        g[G_STATE] = S_AFTER_NP
    if gap >= GAP_CLAUSE:
        if gap == GAP_SENT and g[G_BEN_START] >= 0 and g[G_BEN_END] < 0:
            g[G_BEN_END] = i
        g[G_PRIMARY], g[G_STATE], g[G_IMP_OK] = 0, S_CLAUSE, 0
    return PRE_CLOSE if close else 0


@jit_inline
def joins(scr, g, i):
    """The plan for token i when it is a plain word inside a phrase, which it only extends
    (most tokens of a text): the same outcome as `cue` and the handler, on one short path
    a GPU warp shares; else (ASK_HANDLER, ...)."""
    k, s = mask_at(scr, i), g[G_STATE]
    if s == S_NP and not k & PLAIN_IN_NP:
        return np_extend(g)
    if s == S_SUBJ and not k & PLAIN_IN_SUBJ:
        return PRE_ADD, DO_NOTHING, 0
    return ASK_HANDLER, DO_NOTHING, 0


@jit_inline
def opens(scr, g, i):
    """The plan for token i when it is a plain word that opens a phrase: where the handler
    of a clause, a prepositional slot or a verb's complement would open one and look again,
    and the second look would only add the word, the phrase opens with the word in it at
    once (a first look only: a second look counts towards `run`'s limit of four).
    Else (ASK_HANDLER, ...)."""
    k, s = mask_at(scr, i), g[G_STATE]
    if s == S_PP and not k & PLAIN_IN_NP:
        return 0, DO_OPEN_ADD, R_PREP
    if s == S_CLAUSE and not k & PLAIN_IN_SUBJ:
        g[G_IMP_OK] = 0  # as `clause` does on every token
        return 0, DO_OPEN_ADD, R_SUBJ
    if s == S_AFTER_VERB and not k & PLAIN_IN_NP and not (g[G_COMMA] and k & C_VB):
        return 0, DO_OPEN_ADD, R_ADVL if g[G_AFTER_ADV] else R_DOBJ
    return ASK_HANDLER, DO_NOTHING, 0


@jit_inline
def glance(scr, g, i):
    """The plan for token i when no handler is needed (a plain word in a phrase or opening
    one, a cue); else (ASK_HANDLER, ...)."""
    plan = joins(scr, g, i)
    if plan[0] == ASK_HANDLER:
        if cue(scr, g, i):
            return PRE_CLOSE, DO_NOTHING, 0
        return opens(scr, g, i)
    return plan


@jit_inline
def reset(g, start, imperative_ok):
    g[G_STATE], g[G_PRIMARY], g[G_IMP_OK] = S_CLAUSE, 1, 1 if imperative_ok else 0
    g[G_REDO], g[G_NEXT], g[G_COMMA], g[G_START] = 0, 0, 0, start
    g[G_NP_START], g[G_NP_END], g[G_NP_ROLE], g[G_NP_WORDS] = -1, -1, R_DOBJ, 0
    g[G_NP_NEG], g[G_NP_PRIMARY], g[G_NP_DET], g[G_LAST_ROLE] = 0, 0, 0, R_DOBJ
    g[G_PREP_GERUND], g[G_ADV_START], g[G_PASSIVE], g[G_AFTER_ADV] = 0, -1, 0, 0
    g[G_HAD_PARTICLE], g[G_WANT_INF], g[G_PEND_ENT], g[G_PEND_VERB] = 0, 0, -1, 0
    g[G_BEN_START], g[G_BEN_END], g[M_STORY_ACT], g[M_STORY_ENT] = -1, -1, 0, 0


@jit
def run(t, scr, rec, g):
    """Walk the tokens once (see `_story_states.run`), one pass over token i per turn.

    A pass plans (a first look, else the state's handler, which may ask for up to three
    more passes), then carries the plan out: the phrase gains token i, closes, and the
    action follows. Punctuation that ends a phrase closes it at once; the end of the text
    takes a pass of its own that only closes.
    """
    n, i, tries = g[M_STORY_TOK], g[G_START], 0
    step = STEP_TOKEN if i < n else STEP_CLOSE
    if i < n:
        g[G_NEXT] = i + 1
    while True:
        handled = False
        before, act, arg = PRE_CLOSE, DO_NOTHING, 0
        if step == STEP_TOKEN:
            before, act, arg = glance(scr, g, i)
        elif step == STEP_HANDLER:  # a phrase just opened at token i often only takes it
            g[G_REDO] = 0
            before, act, arg = joins(scr, g, i)
        if before == ASK_HANDLER:
            g[G_REDO], tries, handled = 0, tries + 1, True
            before, act, arg = dispatch(scr, rec, g, i)
        if before & PRE_ADD:
            np_add(g, i)
        if before & PRE_CLOSE:
            close_np(t, scr, rec, g)
        perform(scr, rec, g, i, act, arg)
        if handled and g[G_REDO] and tries < 4:
            step = STEP_HANDLER
        elif i >= n:
            break
        else:
            if apply_gap(scr, g, min(max(i, g[G_NEXT] - 1), n - 1)):
                close_np(t, scr, rec, g)  # (in place of a pass that would only close)
            i, tries, step = max(g[G_NEXT], i + 1), 0, STEP_TOKEN
            if i < n:
                g[G_NEXT] = i + 1
            else:
                step = STEP_CLOSE


@jit_inline
def dedupe(t, rec, row_s, row_e, count):
    """Drop repeats (A-Z case-insensitive) in place, or-ing `primary` into the first."""
    # a bit per (length, first byte) bucket of the kept items: a new item in an empty
    # bucket, most of them, is no repeat and needs no comparison. The items before the
    # first one whose bucket is taken stay as they are: a loop that only reads finds it.
    # (unsigned indices: numba adds no wrap-around for a negative one to each access)
    buckets, kept = int64(0), 0
    while kept < count:
        _, _, size, first = item_key(t, rec, row_s, row_e, kept)
        bit = bucket_bit(size, first)
        if buckets & bit:
            break
        buckets |= bit
        kept += 1
    for j in range(kept, count):
        a, e, size, first = item_key(t, rec, row_s, row_e, j)
        bit = bucket_bit(size, first)
        seen = False
        if buckets & bit:
            for q in range(kept):
                c, f, other_size, other_first = item_key(t, rec, row_s, row_e, q)
                if other_size != size or other_first != first:
                    continue
                if same_lower(t, c, f >> 1, a, e >> 1):
                    rec[row_e, uint64(q)] = f | (e & 1)
                    seen = True
                    break
        if not seen:
            rec[row_s, uint64(kept)], rec[row_e, uint64(kept)] = a, e
            kept += 1
            buckets |= bit
    return kept


@jit_inline
def item_key(t, rec, row_s, row_e, j):
    """Item j of `dedupe`: its start, its end * 2 + primary, its length and its first byte,
    lowered."""
    a, e = int64(rec[row_s, uint64(j)]), int64(rec[row_e, uint64(j)])
    return a, e, (e >> 1) - a, lower(t[uint64(a)])


@jit_inline
def bucket_bit(size, first):
    """An item's bucket of `dedupe`: one bit of 64 for its length and first byte."""
    return int64(1) << ((size * 7 + first) & 63)


@jit_merged
def story(t, scr, rec, g, n_tok):
    """Extract the user story of t from its n_tok story tokens into rec and g (meta)."""
    g[M_STORY_TOK] = n_tok
    first, last = find_persona(scr, g, n_tok)
    g[M_PERSONA_S], g[M_PERSONA_E] = NO, NO
    if first >= 0:
        g[M_PERSONA_S], g[M_PERSONA_E] = scr[STK_S, first], scr[STK_E, last]
    reset(g, last + 1 if first >= 0 else 0, first < 0)
    run(t, scr, rec, g)
    g[M_STORY_ACT] = dedupe(t, rec, STORY_ACT_S, STORY_ACT_E, g[M_STORY_ACT])
    g[M_STORY_ENT] = dedupe(t, rec, STORY_ENT_S, STORY_ENT_E, g[M_STORY_ENT])
    g[M_BENEFIT_S], g[M_BENEFIT_E] = NO, NO
    b0 = g[G_BEN_START]
    if b0 >= 0 and b0 < n_tok:
        b1 = g[G_BEN_END] if g[G_BEN_END] >= b0 else n_tok - 1
        g[M_BENEFIT_S], g[M_BENEFIT_E] = scr[STK_S, b0], scr[STK_E, b1]
