"""Byte-level text primitives and the legacy regex scanners, as numba functions.

Everything here reads one intent's UTF-8 bytes `t` between `0` and `n` and allocates
nothing, so the same functions compile for the CPU (`njit`) and for CUDA device code.
The scanners reproduce, match for match, Python's `re` on the patterns in
`kernels.reference` (leftmost-first, lazy captures, `(?<!\\w)` word starts); the parity
suite checks them against `re` on generated text.
"""

from __future__ import annotations

from ._jit import jit
from ._rows import R_LIT_DATA, R_LIT_OFF
from ._tables import CHAR_ALNUM, CHAR_SPACE, LIT

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


@jit
def lower(b):
    """ASCII-lowercase one byte (A-Z only)."""
    return b + 32 if 65 <= b <= 90 else b


@jit
def char_at(t, p):
    """(code point, byte length) of the UTF-8 character starting at p."""
    b = t[p]
    if b < 0x80:
        return b, 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (t[p + 1] & 0x3F), 2
    if b < 0xF0:
        return ((b & 0x0F) << 12) | ((t[p + 1] & 0x3F) << 6) | (t[p + 2] & 0x3F), 3
    cp = ((b & 0x07) << 18) | ((t[p + 1] & 0x3F) << 12) | ((t[p + 2] & 0x3F) << 6)
    return cp | (t[p + 3] & 0x3F), 4


@jit
def prev_start(t, p):
    """Start of the character that ends just before p."""
    q = p - 1
    while q > 0 and (t[q] & 0xC0) == 0x80:
        q -= 1
    return q


@jit
def space_len(t, p, n, cc):
    """Byte length of the whitespace character at p, or 0."""
    if p >= n:
        return 0
    cp, k = char_at(t, p)
    return k if cc[cp] == CHAR_SPACE else 0


@jit
def is_word_cp(cp, cc):
    return cp == 95 or cc[cp] == CHAR_ALNUM


@jit
def word_at(t, p, n, cc):
    """Whether a word character (alnum or '_') starts at p."""
    if p >= n:
        return False
    cp, _ = char_at(t, p)
    return is_word_cp(cp, cc)


@jit
def word_before(t, p, cc):
    """Whether a word character ends just before p."""
    if p == 0:
        return False
    cp, _ = char_at(t, prev_start(t, p))
    return is_word_cp(cp, cc)


@jit
def skip_spaces(t, p, n, cc):
    """Position after the whitespace run starting at p."""
    k = space_len(t, p, n, cc)
    while k:
        p += k
        k = space_len(t, p, n, cc)
    return p


@jit
def trim(t, a, b, cc):
    """Shrink [a, b) by whitespace at both ends."""
    a = skip_spaces(t, a, b, cc)
    while b > a:
        q = prev_start(t, b)
        if space_len(t, q, b, cc) == 0:
            break
        b = q
    return a, b


@jit
def lit_at(t, p, n, tb, lit):
    """Length of literal `lit` if the lowered text holds it at p, else 0."""
    s, e = tb[2][R_LIT_OFF, lit], tb[2][R_LIT_OFF, lit + 1]
    if p + (e - s) > n:
        return 0
    for k in range(e - s):
        if lower(t[p + k]) != tb[0][R_LIT_DATA, s + k]:
            return 0
    return e - s


@jit
def first_lit_at(t, p, n, tb, first, last):
    """Length of the first of literals first..last (inclusive) found at p, else 0."""
    for lit in range(first, last + 1):
        k = lit_at(t, p, n, tb, lit)
        if k:
            return k
    return 0


@jit
def capture_char_len(t, p, n, cc):
    """Length of a [a-z0-9\\s-] character at p (lowered text), or 0."""
    if p >= n:
        return 0
    b = lower(t[p])
    if 97 <= b <= 122 or 48 <= b <= 57 or b == 45:
        return 1
    return space_len(t, p, n, cc)


@jit
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
        e = term_end(t, p, n, cc, tb, kind)
        if e >= 0:
            return p, e


@jit
def is_az(t, p, n):
    return p < n and 97 <= lower(t[p]) <= 122


@jit
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
