"""Tokens and word classes for the user-story extractor.

A token is a maximal run of word characters (`str.isalnum` or '_'), joined across one '-' or
ASCII apostrophe that has word characters on both sides ("e-commerce", "don't", "user's").
Each token carries its span in the text, a class bitmask and the kind of gap that follows it.
The class table is compiled once, at import, from `kernels._story_words`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from . import _story_words as sw

# Word classes: one bit each; a word may hold several ("like" is a want-cue, a preposition and
# a verb). The extractor decides between them by position.
C_VB = 1 << 0  # verb, base form
C_VBZ = 1 << 1  # verb, -s form
C_VBD = 1 << 2  # verb, past or past participle
C_VBG = 1 << 3  # verb, -ing form
C_DET = 1 << 4  # article, demonstrative, quantifier, number word
C_POSS = 1 << 5  # possessive determiner
C_SUBJ = 1 << 6  # pronoun that can be a subject
C_OBJ = 1 << 7  # pronoun that can be an object
C_AUX = 1 << 8  # auxiliary or modal
C_BE = 1 << 9  # a form of "be"
C_HAVE = 1 << 10  # a form of "have"
C_NEG = 1 << 11  # negation
C_WANT = 1 << 12  # verb of wanting ("want", "need", "would like")
C_PREP = 1 << 13  # preposition
C_GPREP = 1 << 14  # preposition that takes an -ing verb ("without creating")
C_CONJ = 1 << 15  # coordinating conjunction
C_SUB = 1 << 16  # opens a subordinate clause
C_ADV = 1 << 17  # adverb (listed, or an -ly word)
C_FOCUS = 1 << 18  # adverb that never joins an action
C_TIME = 1 << 19  # noun of time
C_NONENT = 1 << 20  # noun only found in adverbial idioms
C_LINK = 1 << 21  # linking verb: an adjective follows, not an object
C_PART = 1 << 22  # particle of any phrasal verb ("up", "out")
C_WPART = 1 << 23  # particle only of PHRASAL_WEAK verbs ("in", "on")
C_PHV = 1 << 24  # verb that takes a weak particle
C_TO = 1 << 25  # "to"
C_AS = 1 << 26  # "as"
C_SO = 1 << 27  # "so"
C_ABLE = 1 << 28  # "able"
C_ADJ = 1 << 29  # adjective
C_WORD = 1 << 30  # known word without a class of its own (an -ly noun such as "family")
C_NUM = 1 << 31  # digits only (set by the tokenizer)
C_GEN = 1 << 32  # ends in "'s" and is not a listed word (set by the tokenizer)
C_FIRST = 1 << 33  # first-person subject: ends a persona
# Bits that name a word (or a handful) the rules test by identity, so no backend compares
# strings: every listed word, "no", "that", the forms of "get", the relative pronouns, "in",
# "order", the articles; and, set by the tokenizer, a word ending in 's'.
C_LISTED = 1 << 34
C_ENDS_S = 1 << 35
C_NO = 1 << 36
C_THAT = 1 << 37
C_GET = 1 << 38
C_REL = 1 << 39
C_IN = 1 << 40
C_ORDER = 1 << 41
C_ARTICLE = 1 << 42

VERB_BITS = C_VB | C_VBZ | C_VBD | C_VBG

# Gap kinds: what separates a token from the next one (the largest kind found in the gap).
G_SPACE = 0  # whitespace only
G_PUNCT = 1  # other punctuation: '/', '(', ')', '"', a standalone '-'
G_COMMA = 2
G_CLAUSE = 3  # ';' or ':'
G_SENT = 4  # '.', '!' or '?' before whitespace or the end, or a newline


def _suffix_s(v: str) -> str:
    if v.endswith(("s", "x", "z", "ch", "sh")):
        return v + "es"
    if v.endswith("y") and v[-2:-1] not in "aeiou":
        return v[:-1] + "ies"
    return v + "s"


def _suffix_ed_ing(v: str) -> tuple[str, str]:
    if v in sw.DOUBLING:
        return v + v[-1] + "ed", v + v[-1] + "ing"
    if v.endswith("e") and not v.endswith(("ee", "ye", "oe")):
        return v + "d", v[:-1] + "ing"
    if v.endswith("y") and v[-2:-1] not in "aeiou":
        return v[:-1] + "ied", v + "ing"
    return v + "ed", v + "ing"


def _verb_forms() -> dict[str, int]:
    forms: dict[str, int] = {}
    irregular = {row[0]: row for row in sw.IRREGULAR}

    def put(word: str, bits: int) -> None:
        forms[word] = forms.get(word, 0) | bits

    for base in (*sw.VERBS, *irregular):
        ed, ing = _suffix_ed_ing(base)
        s_form = _suffix_s(base)
        if base in irregular:
            _, past, participle, irregular_s = irregular[base]
            ed, s_form = past, irregular_s or s_form
            put(participle, C_VBD)
        phv = C_PHV if base in sw.PHRASAL_WEAK else 0
        put(base, C_VB | phv)
        put(s_form, C_VBZ | phv)
        put(ed, C_VBD | phv)
        put(ing, C_VBG | phv)
    return forms


def _word_classes() -> dict[str, int]:
    table = _verb_forms()
    groups: tuple[tuple[list[str] | frozenset[str], int], ...] = (
        (sw.DETERMINERS, C_DET), (sw.POSSESSIVES, C_POSS | C_DET),
        (sw.SUBJECT_PRONOUNS, C_SUBJ), (sw.OBJECT_PRONOUNS, C_OBJ),
        (sw.SUBJECT_AUXILIARIES, C_SUBJ | C_AUX), (sw.AUXILIARIES, C_AUX), (sw.BE_FORMS, C_BE),
        (sw.HAVE_FORMS, C_HAVE), (sw.NEGATIONS, C_NEG), (sw.WANT_CUES, C_WANT),
        (sw.PREPOSITIONS, C_PREP), (sw.GERUND_PREPOSITIONS, C_GPREP),
        (sw.CONJUNCTIONS, C_CONJ), (sw.SUBORDINATORS, C_SUB), (sw.ADVERBS, C_ADV),
        (sw.FOCUS_ADVERBS, C_FOCUS | C_ADV), (sw.NOT_ADVERBS, C_WORD), (sw.TIME_NOUNS, C_TIME),
        (sw.NON_ENTITY_NOUNS, C_NONENT), (sw.LINKING_VERBS, C_LINK),
        (sw.PARTICLES_STRONG, C_PART | C_PREP), (sw.PARTICLES_WEAK, C_WPART),
        (sw.ADJECTIVES, C_ADJ), (["to"], C_TO | C_PREP), (["as"], C_AS | C_PREP),
        (["so"], C_SO), (["able"], C_ABLE), (["i", "we", *sw.SUBJECT_AUXILIARIES[:6]], C_FIRST),
        (["no"], C_NO), (["that"], C_THAT), (["get", "gets", "got", "getting"], C_GET),
        (["who", "that", "which", "what"], C_REL), (["in"], C_IN), (["order"], C_ORDER),
        (["a", "an", "the"], C_ARTICLE),
    )  # fmt: skip
    for words, bits in groups:
        for w in words:
            table[w] = table.get(w, 0) | bits
    return {w: bits | C_LISTED for w, bits in table.items()}


WORD_CLASSES = _word_classes()


class Tokens(NamedTuple):
    """Parallel lists, one entry per token: span, lowercased word, classes, following gap."""

    starts: list[int]
    ends: list[int]
    words: list[str]
    masks: list[int]
    gaps: list[int]


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_TOKEN = re.compile(r"\w+(?:[-']\w+)*")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lower(word: str) -> str:
    """Lowercase A-Z only (as the byte kernels do)."""
    return word.translate(_ASCII_LOWER)


@lru_cache(maxsize=1 << 16)  # a pure function of the word, and words repeat across texts
def classify(word: str) -> int:
    """The class bitmask of one lowercased token."""
    ends_s = C_ENDS_S if word.endswith("s") else 0
    mask = WORD_CLASSES.get(word, 0)
    if mask:
        return mask | ends_s
    if word.isascii() and word.isdigit():
        return C_NUM
    if word.endswith("'s") and len(word) > 2:
        return C_GEN | ends_s
    if len(word) >= 5 and word.endswith("ly"):
        return C_ADV
    return ends_s


def _gap_kind(text: str, start: int, end: int) -> int:
    kind = G_SPACE
    for j in range(start, end):
        ch = text[j]
        if ch == "\n" or (ch in ".!?" and (j + 1 == len(text) or text[j + 1].isspace())):
            return G_SENT
        if ch in ";:":
            kind = max(kind, G_CLAUSE)
        elif ch == ",":
            kind = max(kind, G_COMMA)
        elif not ch.isspace():
            kind = max(kind, G_PUNCT)
    return kind


def tokenize(text: str) -> Tokens:
    """Split `text` into tokens; spans index `text`, gaps describe what follows each token."""
    n = len(text)
    lowered = lower(text)  # once for the whole text: A-Z lowering keeps every offset
    # a run of word characters (`str.isalnum` or '_'), joined across a single '-' or "'"
    # between word characters: the same tokens as the byte kernels' story pass
    spans = [m.span() for m in _TOKEN.finditer(text)]
    starts = [start for start, _ in spans]
    ends = [end for _, end in spans]
    words = [lowered[start:end] for start, end in spans]
    gaps = []
    nexts = [*starts[1:], n] if starts else []  # where the gap after each token ends
    for end, nxt in zip(ends, nexts, strict=True):
        # most gaps are one space
        single_space = nxt == end + 1 and text[end] == " "
        gaps.append(G_SPACE if single_space else _gap_kind(text, end, nxt))
    return Tokens(starts, ends, words, [classify(word) for word in words], gaps)
