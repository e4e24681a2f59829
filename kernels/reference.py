"""The reference parser: one intent in, one result dict out, in plain Python.

This is the oracle. Every batch backend (numba CPU, CUDA GPU) must produce the same bytes
once results are encoded. Each stage is a small pure function over the previous stages'
output, named as the kernels name their stages. The lexicon lives in `kernels.lexicon`.
Character classes are Python's own: whitespace is `str.isspace`, word characters are
`str.isalnum` plus '_', and lowercasing touches A-Z only (see `kernels/README.md`).

Scores are exact multiples of 1/1000 computed on integers, so every backend agrees on
every bit of every float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import batch
from . import lexicon as lx
from .story import empty_story, extract_story

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

TECH_BY_ALIAS = {a: (c, cat) for c, cat, aliases in lx.TECH for a in (c, *aliases)}
FEATURE_BY_KEY = {k: c for c, keys in lx.FEATURES for k in keys}
PHRASE_BY_BIGRAM = {p: c for c, phrases in lx.PHRASES for p in phrases}
VERB_BY_TOKEN = {v: action for action, verbs in lx.VERB_ACTIONS for v in verbs}
_NEGATION_CUES = frozenset(lx.NEGATION_CUES)
_NEGATION_PAIRS = frozenset(lx.NEGATION_PAIRS)
_CONTRASTIVE_PAIRS = frozenset(lx.CONTRASTIVE_NEGATION_PAIRS)

# Legacy extractors: regexes over the ASCII-lowercased text. `\Z` (not `$`) is end of text.
_W = r"(?<!\w)"  # a word starts here
_CHUNK = re.compile(r"\S+")
_ACTOR_PATTERNS = tuple(
    re.compile(p)
    for p in (
        _W + r"as\s+an?\s+([a-z][a-z0-9\s\-]+?)(?:\s|,|\.|\Z)",
        _W + r"(?:user|admin|developer|customer|manager|guest)s?\b",
        r"\b(actor|stakeholder)s?\b",
        _W + r"for\s+([a-z][a-z0-9\s\-]+?)(?:\s+to\s|\.|\Z)",
    )
)
_FEATURE_PATTERNS = tuple(
    re.compile(p)
    for p in (
        _W + r"(?:build|create|support|allow|enable|include|add|have)\s+"
        r"([a-z0-9\s\-]+?)(?:\s+with\s|\s+that\s|,|\.|\Z)",
        _W + r"(?:with|featuring)\s+([a-z0-9\s\-]+?)(?:\s+and\s|,|\.|\Z)",
        _W + r"(?:task\s+management|auth|api|dashboard|e-?commerce|saas|booking)\b",
    )
)


@dataclass(frozen=True, slots=True)
class Token:
    """One word: its lowercased text, and whether a sentence or clause ends in its chunk."""

    text: str
    ends_sentence: bool
    ends_clause: bool  # a comma or a sentence end


def ascii_lower(text: str) -> str:
    """Lowercase A-Z only, leaving every other character as it is."""
    return text.translate(_ASCII_LOWER)


def tokenize(text: str) -> list[Token]:
    """Split on whitespace, keep word characters and '-', '_', lowercase; drop empty chunks.

    A sentence ends in a chunk holding a terminator, or in a newline right after it.
    """
    tokens = []
    chunks = list(_CHUNK.finditer(text))
    for k, m in enumerate(chunks):
        word = "".join(c for c in m.group() if c.isalnum() or c in "-_")
        if word:
            gap_end = chunks[k + 1].start() if k + 1 < len(chunks) else len(text)
            ends = any(c in lx.SENTENCE_TERMINATORS for c in text[m.start() : gap_end])
            tokens.append(Token(ascii_lower(word), ends, ends or "," in m.group()))
    return tokens


def bigrams(words: list[str]) -> list[str]:
    """Every adjacent pair of words joined by one space."""
    return [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def sentences(text: str) -> list[str]:
    """Cut after each terminator; keep trimmed pieces longer than one byte, and any tail."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch in lx.SENTENCE_TERMINATORS:
            piece = text[start : i + 1].strip()
            if len(piece.encode()) > 1:
                out.append(piece)
            start = i + 1
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def negation_mask(tokens: list[Token]) -> list[bool]:
    """Token i is negated when a cue sits at most 4 tokens before it in the same sentence.

    A contrastive cue ("instead of", "rather than") reaches only to the end of its clause,
    so "instead of MySQL, use PostgreSQL" negates MySQL alone.
    """
    mask = [False] * len(tokens)
    for c, tok in enumerate(tokens):
        pair = (tokens[c - 1].text, tok.text) if c and not tokens[c - 1].ends_sentence else None
        contrastive = pair in _CONTRASTIVE_PAIRS
        if tok.ends_sentence or (tok.text not in _NEGATION_CUES and pair not in _NEGATION_PAIRS):
            continue
        for i in range(c + 1, min(c + 1 + lx.NEGATION_WINDOW_TOKENS, len(tokens))):
            mask[i] = True
            if tokens[i].ends_clause if contrastive else tokens[i].ends_sentence:
                break
    return mask


def first_verb(words: list[str]) -> str:
    """The action of the first verb anywhere in the text, else the default."""
    for w in words:
        if w in VERB_BY_TOKEN:
            return VERB_BY_TOKEN[w]
    return lx.DEFAULT_ACTION


def verb_at(words: list[str], i: int, fallback: str) -> str:
    """The action of the nearest verb among the 4 words before word i, else `fallback`."""
    for j in range(i - 1, max(i - 1 - lx.VERB_LOOKBACK_TOKENS, -1), -1):
        if words[j] in VERB_BY_TOKEN:
            return VERB_BY_TOKEN[words[j]]
    return fallback


def match_tech(words: list[str], negated: list[bool]) -> list[dict[str, Any]]:
    """Lexicon tech hits, one per canonical, judged at its first occurrence."""
    out, seen = [], set()
    for i, w in enumerate(words):
        hit = TECH_BY_ALIAS.get(w)
        if hit and hit[0] not in seen:
            seen.add(hit[0])
            out.append(
                {"canonical": hit[0], "matched_as": w, "category": hit[1],
                 "negated": negated[i], "confidence": 0.95}
            )  # fmt: skip
    return out


def match_features(words: list[str], negated: list[bool]) -> list[dict[str, Any]]:
    """Single-word feature hits, then two-word phrase hits, one per canonical."""
    out, seen = [], set()
    fallback = first_verb(words)
    for i, w in enumerate(words):
        name = FEATURE_BY_KEY.get(w)
        if name and name not in seen:
            seen.add(name)
            out.append(_feature(name, verb_at(words, i, fallback), negated[i], 900))
    for i, pair in enumerate(bigrams(words)):
        name = PHRASE_BY_BIGRAM.get(pair)
        if name and name not in seen:
            seen.add(name)
            out.append(_feature(name, fallback, negated[i], 850))
    return out


def _feature(name: str, action: str, negated: bool, confidence_milli: int) -> dict[str, Any]:
    return {"name": name, "action": action, "negated": negated, "priority": 5,
            "confidence": confidence_milli / 1000}  # fmt: skip


def dependencies(feature_names: list[str]) -> list[dict[str, str]]:
    """Edges of every rule whose source feature is present, sorted by (from, to), deduped."""
    present = set(feature_names)
    edges = {(f, t): r for f, t, r in reversed(lx.DEPENDENCY_RULES) if f in present}
    return [{"from": f, "to": t, "reason": edges[(f, t)]} for f, t in sorted(edges)]


def has_phrase(words: list[str], phrase: str) -> bool:
    """Whether the words hold `phrase` as whole words; its last word may add a plural 's'."""
    parts = phrase.split(" ")
    last = len(parts) - 1
    for i in range(len(words) - last):
        if all(words[i + k] == parts[k] for k in range(last)) and words[i + last] in (
            parts[last],
            parts[last] + "s",
        ):
            return True
    return False


def project_type(words: list[str], tech: list[dict[str, Any]], features: list[str]) -> str:
    """First matching rule wins: explicit keywords, then the shape of the tech stack."""
    for kind, phrases in lx.PROJECT_TYPE_KEYWORDS:
        if any(has_phrase(words, p) for p in phrases):
            return kind
    cats = {t["category"] for t in tech}
    has_fe, has_be, has_db = "frontend" in cats, "backend" in cats, "database" in cats
    ui = any(m in f for f in features for m in lx.UI_FEATURE_MARKERS)
    if has_be and has_db and not has_fe and not ui:
        return "api"
    if has_fe or any(m in f for f in features for m in lx.WEB_FEATURE_MARKERS):
        return "web_app"
    return "api" if has_be or has_db else "unknown"


def architecture(words: list[str], tech: list[dict[str, Any]], features: list[str]) -> str:
    """First matching rule wins: explicit keywords, then telling tech and features."""
    for pattern, phrases in lx.ARCHITECTURE_KEYWORDS:
        if any(has_phrase(words, p) for p in phrases):
            return pattern
    names = {t["canonical"] for t in tech}
    cats = {t["category"] for t in tech}
    if "aws-lambda" in names:
        return "serverless"
    if names & set(lx.EVENT_BROKERS) or any(
        m in f for f in features for m in lx.EVENT_FEATURE_MARKERS
    ):
        return "event_driven"
    if "kubernetes" in names:
        return "microservices"
    if names & set(lx.STATIC_HOSTS) and "frontend" in cats and "backend" not in cats:
        return "jamstack"
    return "monolith"


def _regex_hits(patterns: tuple[re.Pattern[str], ...], lower: str, min_bytes: int) -> list[str]:
    """Captures (or whole matches) of each pattern in turn, cleaned and deduped in order."""
    out: dict[str, None] = {}
    for pattern in patterns:
        for m in pattern.finditer(lower):
            hit = (m.group(1) if m.re.groups else m.group(0)).strip()
            hit = hit.replace(".", "").replace(",", "").strip()
            if len(hit.encode()) > min_bytes:
                out.setdefault(hit)
    return list(out)


def actors(lower: str) -> list[str]:
    """Who the intent is for; `["user"]` when nobody is named."""
    return _regex_hits(_ACTOR_PATTERNS, lower, 1) or ["user"]


def regex_features(lower: str, negated_names: set[str]) -> list[str]:
    """Feature phrases caught by the legacy patterns, minus words naming a negated feature."""
    hits = _regex_hits(_FEATURE_PATTERNS, lower, 2)
    return [h for h in hits if FEATURE_BY_KEY.get(h, h) not in negated_names]


def keyword_hits(lower: str, keywords: tuple[str, ...]) -> list[str]:
    """Keywords that occur as whole words (a plural 's' allowed), in keyword order."""
    return [k for k in keywords if re.search(_W + re.escape(k) + r"s?(?!\w)", lower)]


def legacy_tech(lower: str, negated_canonicals: set[str]) -> list[str]:
    """Legacy tech keywords, minus those the lexicon resolves to a negated canonical."""
    hits = keyword_hits(lower, lx.LEGACY_TECH_KEYWORDS)
    return [k for k in hits if TECH_BY_ALIAS.get(k, (k,))[0] not in negated_canonicals]


def complexity_milli(n_features: int, n_tech: int, n_edges: int) -> int:
    """Complexity in thousandths: a base, plus capped shares for features, tech and edges."""
    base = 100 if n_features + n_tech else 0
    raw = base + min(80 * n_features, 400) + min(50 * n_tech, 300) + min(40 * n_edges, 200)
    return min(1000, raw)


def priority(position: int, count: int, in_degree: int) -> int:
    """1 (first) to 5 (last) by position, raised by how many edges point at the feature."""
    # raw = 1 - position/count + min(0.2 * in_degree, 0.4), compared in units of 1/(10*count)
    raw = 10 * (count - position) + 2 * min(in_degree, 2) * count
    for level, threshold in enumerate((9, 7, 5, 3), start=1):
        if raw >= threshold * count:
            return level
    return 5


def confidence_milli(
    actor_list: list[str], n_features: int, n_tech: int, n_sentences: int
) -> dict[str, int]:
    """Confidence components in thousandths."""
    named = len(actor_list) > 1 or actor_list[0] != "user"
    conf = {
        "actors": 900 if named else 300,
        "features": 1000 if n_features else 100,  # every feature scores above 0.5
        "tech_stack": 950 if n_tech else 100,
    }
    overall = (2 * conf["actors"] + 4 * conf["features"] + 3 * conf["tech_stack"]) // 10 + min(
        50 * n_sentences, 100
    )
    return {"overall": min(1000, overall), **conf}


def verification(raw: str, features: list[dict[str, Any]], n_flat_features: int) -> dict:
    """Well-formedness check of a finished parse."""
    errors = ["Intent raw text is empty"] if not raw.strip() else []
    warnings = []
    if not features and not n_flat_features:
        warnings.append("No features extracted; intent may be underspecified")
    return {"well_formed": not errors, "errors": errors, "warnings": warnings}


def annotate_sentence(index: int, text: str) -> dict[str, Any]:
    """A sentence with the lexicon features and tech its own words name (no negation)."""
    words = [t.text for t in tokenize(text)]
    feats = sorted({FEATURE_BY_KEY[w] for w in words if w in FEATURE_BY_KEY})
    tech = sorted({TECH_BY_ALIAS[w][0] for w in words if w in TECH_BY_ALIAS})
    return {"text": text, "index": index, "features_found": feats, "tech_found": tech}


def _merge(first: list[str], second: list[str]) -> list[str]:
    return first + [s for s in second if s not in set(first)]


def parse(text: str, constraints: Any, intent_id: str) -> dict[str, Any]:
    """Parse one intent into a result dict whose key order is the wire order."""
    tokens = tokenize(text)
    words = [t.text for t in tokens]
    negated = negation_mask(tokens)
    lower = ascii_lower(text)
    tech = match_tech(words, negated)
    features = match_features(words, negated)
    flat_features = [f["name"] for f in features if not f["negated"]]
    kept_tech = [t for t in tech if not t["negated"]]
    flat_tech = [t["canonical"] for t in kept_tech]
    negated_tech = {t["canonical"] for t in tech if t["negated"]}
    negated_features = {f["name"] for f in features if f["negated"]}
    edges = dependencies(flat_features)
    for i, f in enumerate(features):
        f["priority"] = priority(i, len(features), sum(e["to"] == f["name"] for e in edges))
    actor_list = actors(lower)
    feature_list = _merge(flat_features, regex_features(lower, negated_features))
    sents = sentences(text)
    conf = confidence_milli(actor_list, len(features), len(tech), len(sents))
    return {
        "v": 1,
        "id": intent_id,
        "actors": actor_list,
        "features": feature_list,
        "data_flows": keyword_hits(lower, lx.DATA_FLOW_KEYWORDS),
        "tech_stack_hints": _merge(flat_tech, legacy_tech(lower, negated_tech)),
        "constraints": {} if constraints is None else constraints,
        "raw": text,
        "enriched_features": features,
        "enriched_tech": tech,
        "project_type": project_type(words, kept_tech, flat_features),
        "architecture_pattern": architecture(words, kept_tech, flat_features),
        "complexity_score": complexity_milli(len(features), len(tech), len(edges)) / 1000,
        "confidence": {k: v / 1000 for k, v in conf.items()},
        "dependency_graph": edges,
        "sentences": [annotate_sentence(i, s) for i, s in enumerate(sents)],
        "verification": verification(text, features, len(feature_list)),
        "story": extract_story(text) if batch.STORY else empty_story(),
        "parser": {"backend": "reference", "lexicon": lx.LEXICON_VERSION},
    }
