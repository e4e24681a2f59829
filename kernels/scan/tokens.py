"""The one pass over an intent's bytes that every later stage reads instead of the text.

`scan` walks the UTF-8 bytes once and, at the same time:

- cuts whitespace chunks into tokens (word characters, '-', '_', A-Z lowered) and looks
  each up with one probe of the lexicon's open-addressing table (FNV-1a 64, confirmed
  against the word's bytes), with the chunk's sentence and clause flags;
- looks up each word run, and each hyphen-joined pair of runs, as a data-flow or legacy
  tech keyword (whole words, plural 's' allowed: the table holds both spellings), and
  records the run's start when a legacy pattern can begin with its word;
- cuts sentences after each terminator, trims them, and gives each kept sentence the set
  of tech and feature names its own words name (a chunk cut by a terminator is two words),
  as bits in alphabetical rank, so the writer lists them sorted by walking set bits;
- lists the bytes that JSON escapes, so the writer can size any text span exactly;
- when asked, cuts the user-story tokens (word runs joined across '-' or an apostrophe),
  each with its class bits (the lexicon's story column: a token that is one word run
  takes that run's probe) and the gap after it (`story_tokens`).

The hashes are kept as running states, so no byte is read twice except to confirm a hit.
"""

from __future__ import annotations

from numba import int64, uint64

from .._jit import jit, jit_inline
from .._layout import (
    ENDS_CLAUSE,
    ENDS_SENTENCE,
    ESC_CUM,
    ESC_POS,
    MARK_FEAT_HI,
    MARK_FEAT_LO,
    MARK_TECH_HI,
    MARK_TECH_LO,
    NO,
    SEN_E,
    SEN_S,
    TOK_FLAGS,
    TOK_WORD,
    WORD_PATTERNS,
    WORD_START,
)  # fmt: skip
from ..tables.build import CHAR_ALNUM, CHAR_SPACE, FNV_OFFSET
from ..tables.rows import (
    N_W_STR,
    R_FEAT_RANK,
    R_LENGTHS,
    R_RULE_WORDS,
    R_TECH_RANK,
    R_W_FEAT_KEY,
    R_W_FLOW,
    R_W_LEGACY,
    R_W_PATTERNS,
    R_W_TECH,
)
from .story_tokens import PROBE, story_start, story_step
from .text import char_at, is_word_cp, step
from .words import find_word, kept_char, lookup


@jit_inline
def add_marks(tb, w, m0, m1, m2, m3):
    """Add word w's tech and single-word feature names to a sentence's sets (by rank)."""
    if w == NO:
        return m0, m1, m2, m3
    x = tb[1][R_W_TECH, w]
    if x != NO:
        x = tb[1][R_TECH_RANK, x]
        if x < 64:
            m0 |= int64(1) << x
        else:
            m1 |= int64(1) << (x - 64)
    x = tb[1][R_W_FEAT_KEY, w]
    if x != NO:
        x = tb[1][R_FEAT_RANK, x]
        if x < 64:
            m2 |= int64(1) << x
        else:
            m3 |= int64(1) << (x - 64)
    return m0, m1, m2, m3


@jit_inline
def keywords(t, a, b, cc, tb, h, flows, legacy, limit):
    """Add the data-flow and legacy-tech keyword bits of the word t[a:b]; and its word id
    (below limit: see `find_word`)."""
    w = find_word(t, a, b, cc, tb, h, limit, False)
    if w != NO and tb[1][R_W_FLOW, w] != NO:
        flows |= int64(1) << tb[1][R_W_FLOW, w]
    if w != NO and tb[1][R_W_LEGACY, w] != NO:
        legacy |= int64(1) << tb[1][R_W_LEGACY, w]
    return flows, legacy, w


@jit
def put_sentence(rec, marks, n_sen, a, b, m0, m1, m2, m3, min_bytes):
    """Keep a trimmed sentence [a, b) of at least min_bytes; return the new count."""
    if a < 0 or b - a < min_bytes:
        return n_sen
    rec[SEN_S, n_sen], rec[SEN_E, n_sen] = a, b
    marks[MARK_TECH_LO, n_sen], marks[MARK_TECH_HI, n_sen] = m0, m1
    marks[MARK_FEAT_LO, n_sen], marks[MARK_FEAT_HI, n_sen] = m2, m3
    return n_sen + 1


@jit_inline
def is_terminator(b):
    return b == 46 or b == 33 or b == 63 or b == 59


@jit
def scan(t, n, cc, tb, rec, marks, scr, with_story):
    """Scan t[0:n]; returns (tokens, pattern starts, escapes, sentences, flows, legacy,
    story tokens), the story tokens only when `with_story`.

    One long loop on purpose: every running state stays in a register.
    """
    n_tok = n_starts = n_esc = n_sen = 0
    flows = legacy = int64(0)
    esc_total = 0
    # the open chunk, and the piece of it since its last terminator
    in_chunk = False
    cs = ps = 0
    h_chunk = h_piece = FNV_OFFSET
    chunk_kept = piece_kept = 0
    chunk_ascii = piece_ascii = True
    flags = 0
    first_word = NO  # the word of the chunk's first piece, when a terminator closed it
    first_kept = -1
    last_is_token = False  # whether the last closed chunk made a token (a newline ends it)
    # the open word run, and the run before it when a hyphen joins the two
    in_run = False
    rs = prev_rs = prev_re = -1
    h_run = h_join = h_prev_dash = FNV_OFFSET
    run_ascii = join_ascii = prev_ascii = True
    joined = False
    run_w = NO  # the word id of the last closed run (NO when it was not looked up)
    # the open sentence: first and last non-space byte, and its lexicon marks
    sa = -1
    sb = 0
    m0 = m1 = m2 = m3 = int64(0)
    story = story_start()  # the story tokens' running state
    # a word run's probe also finds the story's words, when the story wants them
    rule_words = tb[2][R_RULE_WORDS, 0]
    limit = tb[2][R_LENGTHS, N_W_STR] if with_story else rule_words
    p = 0
    while p <= n:
        if in_run and sa >= 0:
            # the rest of an open word: every running hash takes the byte, nothing else
            # changes, so a tight loop serves most bytes (see `ascii_word_run`)
            q, h_run, h_join, h_chunk, h_piece = ascii_word_run(
                t, p, n, cc, h_run, h_join, h_chunk, h_piece
            )
            if q > p:
                chunk_kept += q - p
                piece_kept += q - p
                sb = q
                p = q
        if p < n:
            b = int64(t[p])
            if b < 128:
                cp, k = b, 1
            else:
                cp, k = char_at(t, p)
            cls = int64(cc[cp])
            space = cls == CHAR_SPACE
            word = cls == CHAR_ALNUM or cp == 95
        else:  # one step past the end closes whatever is open
            b, cp, k, space, word = int64(32), int64(32), 1, True, False
            cls = int64(CHAR_SPACE)
        # word runs: keyword look-ups and the word starts of the legacy patterns
        if word:
            if not in_run:
                in_run, rs, h_run, run_ascii = True, p, FNV_OFFSET, True
                joined = prev_re == p - 1 and p > 0 and t[p - 1] == 45
                h_join, join_ascii = h_prev_dash, prev_ascii
            for j in range(k):
                h_run = step(h_run, t[p + j])
                h_join = step(h_join, t[p + j])
            if k > 1:
                run_ascii = join_ascii = False
        elif in_run:
            in_run = False
            run_w = NO
            if run_ascii:
                flows, legacy, run_w = keywords(t, rs, p, cc, tb, h_run, flows, legacy, limit)
                if run_w != NO and tb[1][R_W_PATTERNS, run_w] != 0:
                    scr[WORD_START, n_starts] = rs
                    scr[WORD_PATTERNS, n_starts] = tb[1][R_W_PATTERNS, run_w]
                    n_starts += 1
            if joined and join_ascii:
                flows, legacy, w = keywords(t, prev_rs, p, cc, tb, h_join, flows, legacy, limit)
            prev_rs, prev_re, prev_ascii = rs, p, run_ascii
            h_prev_dash = step(h_run, 45)
        if with_story:  # word runs joined across '-' or an apostrophe (`story_tokens`)
            # a token that is the word run just closed here takes that run's probe
            known = run_w if prev_re == p and story[0] == prev_rs else PROBE
            story = story_step(t, p, n, b, cp, k, word, space, cc, tb, scr, story, known)
        # chunks: tokens and the sentence words inside them
        if not space:
            if not in_chunk:
                in_chunk, cs, ps = True, p, p
                h_chunk = h_piece = FNV_OFFSET
                chunk_kept = piece_kept = 0
                chunk_ascii = piece_ascii = True
                flags, first_kept = 0, -1
            if kept_char(cp, cls):
                for j in range(k):
                    h_chunk = step(h_chunk, t[p + j])
                    h_piece = step(h_piece, t[p + j])
                chunk_kept += k
                piece_kept += k
                if k > 1:
                    chunk_ascii = piece_ascii = False
            if sa < 0:
                sa = p
            sb = p + k
            if is_terminator(b):
                flags |= ENDS_SENTENCE | ENDS_CLAUSE
                if piece_kept > 0:
                    if piece_ascii and ps == prev_rs and piece_kept == prev_re - prev_rs:
                        w = run_w  # the piece's kept bytes are one word run: its probe
                    else:
                        w = lookup(t, ps, p, cc, tb, h_piece, True) if piece_ascii else NO
                    m0, m1, m2, m3 = add_marks(tb, w, m0, m1, m2, m3)
                    if ps == cs:
                        first_word, first_kept = w, chunk_kept
                n_sen = put_sentence(rec, marks, n_sen, sa, sb, m0, m1, m2, m3, 2)
                sa, m0, m1, m2, m3 = -1, 0, 0, 0, 0
                ps, h_piece, piece_kept, piece_ascii = p + 1, FNV_OFFSET, 0, True
            elif b == 44:
                flags |= ENDS_CLAUSE
        elif in_chunk:
            in_chunk = False
            last_is_token = chunk_kept > 0
            if chunk_kept > 0:
                if first_kept == chunk_kept:  # nothing kept after the first piece
                    w = first_word
                elif chunk_ascii and cs == prev_rs and chunk_kept == prev_re - prev_rs:
                    w = run_w  # the chunk's kept bytes are one word run: its probe
                elif chunk_ascii:
                    w = lookup(t, cs, p, cc, tb, h_chunk, True)
                else:
                    w = NO
                if piece_kept > 0:
                    pw = w if ps == cs else NO
                    if ps != cs and piece_ascii:
                        pw = lookup(t, ps, p, cc, tb, h_piece, True)
                    m0, m1, m2, m3 = add_marks(tb, pw, m0, m1, m2, m3)
                # (the story's own words are no word of the rules)
                scr[TOK_WORD, n_tok] = w if w < rule_words else NO
                scr[TOK_FLAGS, n_tok] = flags
                n_tok += 1
        if p < n and b == 10:  # a newline ends the sentence and the token before it
            if last_is_token and not in_chunk:
                scr[TOK_FLAGS, n_tok - 1] |= ENDS_SENTENCE | ENDS_CLAUSE
            n_sen = put_sentence(rec, marks, n_sen, sa, sb, m0, m1, m2, m3, 2)
            sa, m0, m1, m2, m3 = -1, 0, 0, 0, 0
        if p < n and (b < 32 or b == 34 or b == 92):
            esc_total += escape_extra(b)
            scr[ESC_POS, n_esc], scr[ESC_CUM, n_esc] = p, esc_total
            n_esc += 1
        p += k
    # the unterminated tail is kept whenever it is not blank
    n_sen = put_sentence(rec, marks, n_sen, sa, sb, m0, m1, m2, m3, 1)
    return n_tok, n_starts, n_esc, n_sen, flows, legacy, story[2]


@jit_inline
def ascii_word_run(t, p, n, cc, h_run, h_join, h_chunk, h_piece):
    """Step the four running hashes over the ASCII word characters from p; returns where
    they end and the hashes. Inside an open word run (so an open chunk, sentence and story
    token) such a byte is a kept, non-terminating, unescaped character of each, and changes
    nothing in the story tokens' state."""
    q = p
    while q < n:
        b = t[uint64(q)]  # (an unsigned index: no wrap-around test per byte)
        if b >= 128 or not is_word_cp(b, cc):
            break
        h_run, h_join, h_chunk = step(h_run, b), step(h_join, b), step(h_chunk, b)
        h_piece = step(h_piece, b)
        q += 1
    return q, h_run, h_join, h_chunk, h_piece


@jit_inline
def escape_extra(b):
    """Bytes JSON adds to escape byte b (`\\n` style, else `\\u00XX`), as orjson writes it."""
    short = b == 34 or b == 92 or b == 8 or b == 9 or b == 10 or b == 12 or b == 13
    return 1 if short else 5


@jit_inline
def escaped_extra(scr, n_esc, a, b):
    """Bytes JSON escaping adds to t[a:b] (binary search over the scan's escape list). Most
    spans hold no escape: the first escape at or after a settles those."""
    if n_esc == 0:
        return 0
    j = first_escape(scr, n_esc, a)
    if j == n_esc or scr[ESC_POS, j] >= b:
        return 0
    return escapes_from(scr, n_esc, j, b)


@jit
def escapes_from(scr, n_esc, j, b):
    """Bytes escaping adds from escape j (the first at or after the span's start) to b."""
    return escapes_before(scr, n_esc, b) - (scr[ESC_CUM, j - 1] if j > 0 else 0)


@jit_inline
def first_escape(scr, n_esc, x):
    """Index of the first escape at or after x (n_esc when there is none)."""
    lo, hi = 0, n_esc
    while lo < hi:
        mid = (lo + hi) >> 1
        if scr[ESC_POS, mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit_inline
def escapes_before(scr, n_esc, x):
    lo = first_escape(scr, n_esc, x)
    return scr[ESC_CUM, lo - 1] if lo > 0 else 0
