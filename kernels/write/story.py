"""The `story` block of a result: persona, actions, entities and benefit, as spans of the text.

Spans come from `rules.story` (`rec` rows STORY_*, `meta` M_PERSONA_*/M_BENEFIT_*), so they
are written with `put_text` and sized from the scan's escape list like every other span.
"""

from __future__ import annotations

from .._jit import jit
from .._layout import (
    M_BENEFIT_E,
    M_BENEFIT_S,
    M_ESC,
    M_PERSONA_E,
    M_PERSONA_S,
    M_STORY_ACT,
    M_STORY_ENT,
    STORY_ACT_E,
    STORY_ACT_S,
    STORY_ENT_E,
    STORY_ENT_S,
)  # fmt: skip
from ..tables.build import FIXED
from .wire import FMT_MSGPACK, close_seq, open_seq, put, put_bool, put_key, put_text, sep

K_PERSONA, K_ACTIONS, K_ENTITIES = FIXED["persona"], FIXED["actions"], FIXED["entities"]
K_BENEFIT, K_TEXT, K_PRIMARY = FIXED["benefit"], FIXED["text"], FIXED["primary"]


@jit
def put_null(out, pos, w, fmt):
    if fmt == FMT_MSGPACK:
        return put(out, pos, w, 0xC0)
    for c in (110, 117, 108, 108):
        pos = put(out, pos, w, c)
    return pos


@jit
def put_span_or_null(out, pos, w, t, a, b, fmt, scr, n_esc):
    if a < 0:
        return put_null(out, pos, w, fmt)
    return put_text(out, pos, w, t, a, b, False, fmt, scr, n_esc)


@jit
def put_items(out, pos, w, t, rec, row_s, row_e, count, tb, fmt, scr, n_esc):
    """[{"text": span, "primary": bool}, ...] from rows (start, end * 2 + primary)."""
    pos = open_seq(out, pos, w, fmt, count, False)
    for j in range(count):
        e = rec[row_e, j]
        pos = sep(out, pos, w, fmt, j)
        pos = open_seq(out, pos, w, fmt, 2, True)
        pos = put_key(out, pos, w, tb, K_TEXT, fmt, 0)
        pos = put_text(out, pos, w, t, rec[row_s, j], e >> 1, False, fmt, scr, n_esc)
        pos = put_key(out, pos, w, tb, K_PRIMARY, fmt, 1)
        pos = put_bool(out, pos, w, (e & 1) == 1, fmt)
        pos = close_seq(out, pos, w, fmt, True)
    return close_seq(out, pos, w, fmt, False)


@jit
def put_story(out, pos, w, src, rec, meta, tb, fmt, scr):
    """Write (or size) the story object of one intent."""
    t, n_esc = src[0], meta[M_ESC]
    pos = open_seq(out, pos, w, fmt, 4, True)
    pos = put_key(out, pos, w, tb, K_PERSONA, fmt, 0)
    pos = put_span_or_null(out, pos, w, t, meta[M_PERSONA_S], meta[M_PERSONA_E], fmt, scr, n_esc)
    pos = put_key(out, pos, w, tb, K_ACTIONS, fmt, 1)
    pos = put_items(out, pos, w, t, rec, STORY_ACT_S, STORY_ACT_E, meta[M_STORY_ACT], tb, fmt,
                    scr, n_esc)  # fmt: skip
    pos = put_key(out, pos, w, tb, K_ENTITIES, fmt, 2)
    pos = put_items(out, pos, w, t, rec, STORY_ENT_S, STORY_ENT_E, meta[M_STORY_ENT], tb, fmt,
                    scr, n_esc)  # fmt: skip
    pos = put_key(out, pos, w, tb, K_BENEFIT, fmt, 3)
    pos = put_span_or_null(out, pos, w, t, meta[M_BENEFIT_S], meta[M_BENEFIT_E], fmt, scr, n_esc)
    return close_seq(out, pos, w, fmt, True)
