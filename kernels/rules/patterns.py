"""The legacy regex patterns (actors, feature phrases) as small state machines over bytes.

Each matcher reproduces, match for match, Python's `re` on one pattern of
`kernels.reference` (leftmost-first, lazy captures, greedy `\\s+` with backtracking).
Every pattern begins with a letter at a word start (`(?<!\\w)` or `\\b`), so a matcher is
tried only at the word starts the scan recorded, never at every byte.
"""

from __future__ import annotations

from .._jit import jit, jit_inline
from ..scan.text import (
    first_lit_at,
    lit_at,
    lower,
    prev_start,
    skip_spaces,
    space_len,
    word_at,
)  # fmt: skip
from ..tables.build import LIT

# Literal ids as plain ints: numba freezes module-level ints, not dicts.
L_AS, L_FOR, L_TO, L_WITH, L_THAT, L_AND = (
    LIT["as"], LIT["for"], LIT["to"], LIT["with"], LIT["that"], LIT["and"],
)  # fmt: skip
L_TASK, L_MANAGEMENT, L_E, L_COMMERCE = LIT["task"], LIT["management"], LIT["e"], LIT["commerce"]
L_USER, L_GUEST, L_ACTOR, L_STAKEHOLDER = (
    LIT["user"], LIT["guest"], LIT["actor"], LIT["stakeholder"],
)  # fmt: skip
L_BUILD, L_HAVE, L_FEATURING = LIT["build"], LIT["have"], LIT["featuring"]
L_AUTH, L_API, L_DASHBOARD, L_SAAS, L_BOOKING = (
    LIT["auth"], LIT["api"], LIT["dashboard"], LIT["saas"], LIT["booking"],
)  # fmt: skip

# Terminators of the lazy captures, one per pattern family.
TERM_ACTOR_AS, TERM_ACTOR_FOR, TERM_BUILD, TERM_WITH = 0, 1, 2, 3


@jit_inline
def capture_char_len(t, p, n, cc):
    """Length of a [a-z0-9\\s-] character at p (lowered text), or 0."""
    if p >= n:
        return 0
    if is_az09_dash(t[p]):
        return 1
    return space_len(t, p, n, cc)


@jit_inline
def spaced_lit_end(t, j, n, cc, tb, lit):
    """End of `\\s+LIT\\s` at j, or -1."""
    if space_len(t, j, n, cc) == 0:
        return -1
    r = skip_spaces(t, j, n, cc)
    k = lit_at(t, r, n, tb, lit)
    if k == 0:
        return -1
    s = space_len(t, r + k, n, cc)
    return r + k + s if s else -1


@jit
def term_end(t, j, n, cc, tb, kind):
    """End of the capture terminator of `kind` at j, or -1."""
    if kind == TERM_ACTOR_AS:
        s = space_len(t, j, n, cc)
        if s:
            return j + s
    elif kind == TERM_ACTOR_FOR:
        r = spaced_lit_end(t, j, n, cc, tb, L_TO)
        if r >= 0:
            return r
    elif kind == TERM_BUILD:
        r = spaced_lit_end(t, j, n, cc, tb, L_WITH)
        if r < 0:
            r = spaced_lit_end(t, j, n, cc, tb, L_THAT)
        if r >= 0:
            return r
    else:
        r = spaced_lit_end(t, j, n, cc, tb, L_AND)
        if r >= 0:
            return r
    if j < n and (t[j] == 46 or (t[j] == 44 and kind != TERM_ACTOR_FOR)):
        return j + 1
    return j if j == n else -1


@jit
def lazy_capture(t, g, n, cc, tb, kind):
    """Lazy `[a-z0-9\\s-]+?` from g up to the first terminator: (group end, match end)."""
    p = g
    while True:
        k = capture_char_len(t, p, n, cc)
        if k == 0:
            return -1, -1
        p += k
        if p < n and is_az09_dash(t[p]):
            continue  # every terminator starts with a space, '.', ',' or the end
        e = term_end(t, p, n, cc, tb, kind)
        if e >= 0:
            return p, e


@jit_inline
def is_az09_dash(b):
    b = lower(b)
    return 97 <= b <= 122 or 48 <= b <= 57 or b == 45


@jit_inline
def is_az(t, p, n):
    return p < n and 97 <= lower(t[p]) <= 122


@jit_inline
def optional_plural_end(t, q, n, cc):
    """End of `s?\\b` after a word ending at q, or -1."""
    if q < n and lower(t[q]) == 115 and not word_at(t, q + 1, n, cc):
        return q + 1
    return -1 if word_at(t, q, n, cc) else q


@jit
def match_actor_as(t, p, n, cc, tb):
    """`as\\s+an?\\s+([a-z][a-z0-9\\s-]+?)(\\s|,|\\.|$)` at p: (end, group start, group end)."""
    if lit_at(t, p, n, tb, L_AS) == 0 or space_len(t, p + 2, n, cc) == 0:
        return -1, 0, 0
    q = skip_spaces(t, p + 2, n, cc)
    if q >= n or lower(t[q]) != 97:
        return -1, 0, 0
    q += 1
    if q < n and lower(t[q]) == 110 and space_len(t, q + 1, n, cc):
        q += 1
    if space_len(t, q, n, cc) == 0:
        return -1, 0, 0
    g = skip_spaces(t, q, n, cc)
    if not is_az(t, g, n):
        return -1, 0, 0
    ge, e = lazy_capture(t, g + 1, n, cc, tb, TERM_ACTOR_AS)
    return e, g, ge


@jit
def match_actor_role(t, p, n, cc, tb):
    """`(user|admin|developer|customer|manager|guest)s?\\b` at p: the whole match."""
    k = first_lit_at(t, p, n, tb, L_USER, L_GUEST)
    if k == 0:
        return -1, 0, 0
    e = optional_plural_end(t, p + k, n, cc)
    return e, p, e


@jit
def match_actor_word(t, p, n, cc, tb):
    """`\\b(actor|stakeholder)s?\\b` at p: the word without its plural."""
    k = first_lit_at(t, p, n, tb, L_ACTOR, L_STAKEHOLDER)
    if k == 0:
        return -1, 0, 0
    return optional_plural_end(t, p + k, n, cc), p, p + k


@jit
def match_actor_for(t, p, n, cc, tb):
    """`for\\s+([a-z][a-z0-9\\s-]+?)(\\s+to\\s|\\.|$)` at p."""
    if lit_at(t, p, n, tb, L_FOR) == 0 or space_len(t, p + 3, n, cc) == 0:
        return -1, 0, 0
    g = skip_spaces(t, p + 3, n, cc)
    if not is_az(t, g, n):
        return -1, 0, 0
    ge, e = lazy_capture(t, g + 1, n, cc, tb, TERM_ACTOR_FOR)
    return e, g, ge


@jit
def match_verb_phrase(t, p, n, cc, tb, first, last, kind):
    """`(first|..|last)\\s+([a-z0-9\\s-]+?)TERM` at p, backtracking the greedy `\\s+`."""
    k = first_lit_at(t, p, n, tb, first, last)
    if k == 0:
        return -1, 0, 0
    s = space_len(t, p + k, n, cc)
    if s == 0:
        return -1, 0, 0
    g = skip_spaces(t, p + k, n, cc)
    while True:
        ge, e = lazy_capture(t, g, n, cc, tb, kind)
        if e >= 0:
            return e, g, ge
        if g <= p + k + s:
            return -1, 0, 0
        g = prev_start(t, g)


@jit
def match_feature_word(t, p, n, cc, tb):
    """`(task\\s+management|auth|api|dashboard|e-?commerce|saas|booking)\\b` at p."""
    if lit_at(t, p, n, tb, L_TASK) and space_len(t, p + 4, n, cc):
        q = skip_spaces(t, p + 4, n, cc)
        k = lit_at(t, q, n, tb, L_MANAGEMENT)
        if k and not word_at(t, q + k, n, cc):
            return q + k, p, q + k
    for lit in (L_AUTH, L_API, L_DASHBOARD):
        k = lit_at(t, p, n, tb, lit)
        if k and not word_at(t, p + k, n, cc):
            return p + k, p, p + k
    if lit_at(t, p, n, tb, L_E):
        for start in (p + 2, p + 1):  # "e-commerce" first: `-?` is greedy
            if start == p + 2 and (p + 1 >= n or t[p + 1] != 45):
                continue
            k = lit_at(t, start, n, tb, L_COMMERCE)
            if k and not word_at(t, start + k, n, cc):
                return start + k, p, start + k
    for lit in (L_SAAS, L_BOOKING):
        k = lit_at(t, p, n, tb, lit)
        if k and not word_at(t, p + k, n, cc):
            return p + k, p, p + k
    return -1, 0, 0
