"""The user-story extractor: persona, actions, entities and benefit of one text, in plain Python.

`extract_story(text)` always returns the same shape; a text that is no user story gets what
the rules allow (an imperative still has actions) and nulls or empty lists elsewhere:

    {"persona": str | None, "actions": [{"text": str, "primary": bool}, ...],
     "entities": [{"text": str, "primary": bool}, ...], "benefit": str | None}

Every string is a span of the input (`text[start:end]`), trimmed only by dropping a trailing
"'s", so a batch kernel can copy it out of the input bytes. This module is the oracle the
numba and CUDA twins port: one pass over tokens, a fixed set of registers, lookahead of at
most two tokens, no recursion, no regular expressions, no tables built per call.

Algorithm
---------
The registers live in `kernels._story_machine`, the state handlers in `kernels._story_states`.

0. Tokenize (`kernels._story_tokens`): runs of word characters with their span, the class
   bitmask of the ASCII-lowercased word (`C_*`) and the kind of gap after each (`G_*`).
1. Persona: among the first 6 tokens find "as"; skip one article (a, an, the); take up to 6
   tokens until a first-person subject (I, we), a preposition, conjunction, subordinator,
   auxiliary, want-cue, "to" or "so", and stop after a token followed by punctuation. The
   first persona token must be a content word. Tokens before "as" (ids, headings) are skipped.
2. Main loop from the token after the persona (or 0) in state CLAUSE, primary. Each token is
   dispatched on the state (CLAUSE, SUBJ, VSLOT, AFTER_VERB, NP, AFTER_NP, PP, COMP); a
   handler may change state and ask to see the same token again (at most 4 times).
   Before the state: "so" / "so that" / "in order to|that" start the benefit (secondary;
   "in order to" goes to VSLOT); a subordinator makes the rest secondary (who/that/which/what
   followed by a verb or auxiliary go to VSLOT, others to CLAUSE).
   - CLAUSE: a pronoun -> VSLOT; auxiliary -> VSLOT (again); "to" -> VSLOT; preposition -> PP;
     adverbs and conjunctions skipped; without a persona the first clause may open with an
     imperative base-form verb; anything else opens a subject noun phrase (SUBJ).
   - SUBJ: determiners open it; after one word, an auxiliary or negation ends it (-> VSLOT), a
     -s/past form ends it as its verb unless the next token is a verb too, and a base form does
     so after a word ending in 's'. A pronoun, preposition, determiner or possessive ends it.
   - VSLOT (a verb is due): manner adverbs mark the action start; focus adverbs and negation
     reset it; be/get/aux/"able"/"to" are skipped ("be" marks passive, "able" clears it,
     "get" only before a participle); "have to" and
     "want|need|like to" are skipped; have + non-participle is the verb "have"; a want-cue
     followed by a noun phrase opens that phrase as the wanted thing (role WANT); after "be",
     a word that is no verb form is a complement (COMP); a function word goes back to CLAUSE;
     any other word is the verb (an -ing word after "be" too: "I am using"). Its particle
     follows directly: up/out/off/down/back/away for
     any verb, in/on/over/through for the PHRASAL_WEAK verbs. Linking verbs go to COMP.
   - AFTER_VERB: an object pronoun is the object; a subject pronoun opens a clause; a
     conjunction or comma before a base-form verb coordinates verbs; "to" + base form opens a
     purpose clause (secondary); an -ing word directly after a particle, or before a
     determiner, is a participle clause; determiners or content words open the object (role
     DOBJ, or ADVL after an adverb).
   - NP: collects words; ends at a preposition (-> PP), "to" (WANT role before a base form or
     "be": infinitive, primary; else purpose before a base form, or PP), conjunction
     (coordination: a base-form verb followed by an object
     continues the verbs, otherwise a noun phrase with the same role), pronoun, adverb,
     auxiliary, a determiner after words (new ADVL phrase), a "'s" word (closed as a
     secondary entity, the phrase goes on), an -ing word after a non-adjective and before a
     determiner or content word (a reduced relative clause, secondary), a past participle
     ending a WANT phrase ("I want analytics integrated": the verb), or punctuation.
   - PP: determiners open the phrase (role PREP); an -ing word after without/by/before/after
     is a verb (secondary) unless a -s verb follows it (then it is a subject: "before tracking
     starts"); a subject pronoun opens a clause; a listed adverb before a content word opens
     the phrase ("for offline use").
   - COMP: skips adjectives; determiners open a secondary phrase; "to" + verb, prepositions
     and pronouns as above.
   Gaps: a sentence end closes the phrase and the benefit and makes the rest secondary;
   ';' and ':' do that but leave the benefit open; a comma closes a phrase and allows
   coordination; other punctuation closes a phrase.
3. A phrase is an entity unless it is empty, negated ("no ads"), only adjectives, only a
   non-entity noun, ends in a noun of time (unless a direct object with no determiner or a
   possessive one: "plan my week"), or repeats the persona.
   DOBJ and WANT phrases of a primary clause are primary; a WANT phrase followed by
   "to <verb>" whose verb takes a direct object becomes secondary ("customers" in "I want
   customers to order food"). Actions and entities are deduplicated case-insensitively,
   keeping the first position and or-ing `primary`.
"""

from __future__ import annotations

from typing import Any

from . import _story_tokens as st
from ._story_machine import Machine
from ._story_states import run

__all__ = ["extract_story", "empty_story"]


def empty_story() -> dict[str, Any]:
    """The result for a text with no story in it."""
    return {"persona": None, "actions": [], "entities": [], "benefit": None}


_PERSONA_STOP = (
    st.C_FIRST | st.C_PREP | st.C_CONJ | st.C_SUB | st.C_AUX | st.C_WANT | st.C_TO | st.C_SO
)
_FIRST_STOP = _PERSONA_STOP | st.C_FOCUS


def _find_persona(t: st.Tokens) -> tuple[int, int]:
    """Token range [first, last] of the persona, or (-1, -1)."""
    n = len(t.words)
    for k in range(min(n, 6)):
        if not t.masks[k] & st.C_AS:
            continue
        p = k + 1
        if p < n and t.masks[p] & st.C_ARTICLE and t.gaps[k] == st.G_SPACE:
            p += 1
        # a listed adverb opens a persona only before a noun ("online shopper", not "as soon as")
        adverb = t.masks[p] & st.C_ADV and t.masks[p] & st.C_LISTED if p < n else 0
        if (
            p >= n
            or t.masks[p] & _FIRST_STOP
            or (adverb and (t.gaps[p] != st.G_SPACE or t.masks[min(p + 1, n - 1)] & _PERSONA_STOP))
        ):
            return -1, -1
        last = p
        while last - p < 5 and t.gaps[last] == st.G_SPACE and last + 1 < n:
            if t.masks[last + 1] & _PERSONA_STOP:
                break
            last += 1
        return p, last
    return -1, -1


def extract_story(text: str) -> dict[str, Any]:
    """Persona, actions, entities and benefit of `text` (see the module docstring)."""
    t = st.tokenize(text)
    first, last = _find_persona(t)
    m = Machine(text, t, last + 1 if first >= 0 else 0, first < 0)
    if first >= 0:
        m.persona = st.lower(text[t.starts[first] : t.ends[last]])
    run(m)
    out = empty_story()
    if first >= 0:
        out["persona"] = text[t.starts[first] : t.ends[last]]
    out["actions"] = _dedupe(text, m.actions)
    out["entities"] = _dedupe(text, m.entities)
    if m.benefit_start >= 0 and m.benefit_start < len(t.words):
        end = m.benefit_end if m.benefit_end >= m.benefit_start else len(t.words) - 1
        out["benefit"] = text[t.starts[m.benefit_start] : t.ends[end]]
    return out


def _dedupe(text: str, spans: list[list[int]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any]] = {}  # ASCII-lowered text -> its entry
    for start, end, primary in spans:
        s = text[start:end]
        key = st.lower(s)
        if key in seen:
            seen[key]["primary"] = seen[key]["primary"] or bool(primary)
        else:
            seen[key] = {"text": s, "primary": bool(primary)}
            out.append(seen[key])
    return out
