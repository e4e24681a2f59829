"""The `story` block of a result: persona, actions, entities and benefit, as spans of the text.

Spans come from `rules.story` (`rec` rows STORY_*, `meta` M_PERSONA_*/M_BENEFIT_*), so they
are written with `put_text` and sized from the scan's escape list like every other span.
"""

from __future__ import annotations

from numba import uint64

from .._jit import jit, jit_inline, on_gpu
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
from ..scan.text import load_word
from ..scan.tokens import escaped_extra
from .keys import K_ACTIONS, K_BENEFIT, K_ENTITIES, K_PERSONA, K_PRIMARY, K_TEXT
from .wire import (
    FMT_JSON,
    FMT_MSGPACK,
    NULL,
    at,
    close_seq,
    copy,
    needs_escape,
    open_seq,
    put,
    put_bool,
    put_key,
    put_lit,
    put_text,
    store_word,
)


@jit
def put_null(out, pos, w, fmt):
    if fmt == FMT_MSGPACK:
        return put(out, pos, w, 0xC0)
    return put_lit(out, pos, w, NULL)


@jit_inline
def put_span_or_null(out, pos, w, t, a, b, fmt, scr, n_esc):
    if a < 0:
        return put_null(out, pos, w, fmt)
    return put_text(out, pos, w, t, a, b, False, fmt, scr, n_esc)


# A JSON item is `{"text":"<span>","primary":<bool>}`: its fixed bytes, written as constants
ITEM_HEAD = tuple(b'{"text":"')
ITEM_MID = tuple(b'","primary":')
ITEM_FIXED = len(ITEM_HEAD) + len(ITEM_MID) + 1  # and the closing brace


@jit_inline
def put_items(out, pos, w, t, rec, row_s, row_e, count, tb, fmt, scr, n_esc):
    """[{"text": span, "primary": bool}, ...] from rows (start, end * 2 + primary)."""
    if fmt == FMT_JSON:
        return put_items_json(out, pos, w, t, rec, row_s, row_e, count, scr, n_esc)
    pos = open_seq(out, pos, w, fmt, count, False)
    for j in range(count):
        e = rec[row_e, j]
        pos = open_seq(out, pos, w, fmt, 2, True)
        pos = put_key(out, pos, w, tb, K_TEXT, fmt, 0)
        pos = put_text(out, pos, w, t, rec[row_s, j], e >> 1, False, fmt, scr, n_esc)
        pos = put_key(out, pos, w, tb, K_PRIMARY, fmt, 1)
        pos = put_bool(out, pos, w, (e & 1) == 1, fmt)
    return pos


@jit_inline
def put_items_json(out, pos, w, t, rec, row_s, row_e, count, scr, n_esc):
    """The JSON items with their fixed bytes as constants: a fifth of a result is these."""
    if not w:
        size = 2 + max(count - 1, 0)
        for j in range(count):
            a, e = rec[row_s, j], rec[row_e, j]
            b = e >> 1
            size += ITEM_FIXED + (b - a) + (4 if e & 1 else 5) + escaped_extra(scr, n_esc, a, b)
        return pos + size
    at(out, pos, 91)  # [
    pos += 1
    for j in range(count):
        if j:
            at(out, pos, 44)  # ,
            pos += 1
        a, e = rec[row_s, j], rec[row_e, j]
        b = e >> 1
        pos = put_lit(out, pos, True, ITEM_HEAD)
        # an item needing escapes (its text has a byte JSON escapes) takes the careful
        # writer; the rest, also in a text with escapes elsewhere, a plain copy
        if n_esc and needs_escape(t, a, b):
            pos = put_text(out, pos - 1, True, t, a, b, False, FMT_JSON, scr, n_esc) - 1
        else:
            copy_item(out, pos, t, a, b)
            pos += b - a
        pos = put_lit(out, pos, True, ITEM_MID)
        pos = put_bool(out, pos, True, (e & 1) == 1, FMT_JSON)
        at(out, pos, 125)  # }
        pos += 1
    at(out, pos, 93)  # ]
    return pos + 1


@jit_inline
def copy_item(out, pos, t, a, b):
    """An item's text t[a:b]. Up to 16 bytes go as two 8-byte words whatever the length, so
    no branch on it (items' lengths vary: that branch mispredicted about once an item).
    The 16 - (b - a) bytes past the text are the item's own next bytes, which are written
    after it (`","primary":`, 12, and a bool and a brace). A longer text, or one within
    16 bytes of the intent's end (no word to read there), and the GPU's, as `copy` does."""
    if not on_gpu() and b - a <= 16 and a + 16 <= len(t):
        q, p = uint64(a), uint64(pos)
        store_word(out, p, load_word(t, q, 8, False), 8)
        store_word(out, p + uint64(8), load_word(t, q + uint64(8), 8, False), 8)
    else:
        copy(out, pos, t, a, b)


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
